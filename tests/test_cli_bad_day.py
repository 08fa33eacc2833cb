"""`mejora` on a bad day: unknown names, foreign words, missed figures, bad paths, no schema."""

from __future__ import annotations

import errno
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from mejora.cli import EXIT_MISSED, EXIT_OK, EXIT_REJECTED, _parser, main
from mejora.demo import SAMPLE_ANNEX, demo_prepare, sample_bytes

# `main` checks the migrations of the tasks database too (a file of its own on SQLite).
pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

ARGPARSE_ENGLISH = ["usage:", "positional arguments", "options:", "show this help message"]
COMMANDS = sorted(_parser()._subparsers._group_actions[0].choices)


def speaking(monkeypatch, lang: str) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_is_spanish_under_a_spanish_locale(monkeypatch, capsys, command):
    speaking(monkeypatch, "es_MX.UTF-8")
    text = help_of(capsys, *([command] if command else []))
    assert text.startswith("uso: mejora")
    assert "mostrar esta ayuda y salir" in text
    assert [word for word in ARGPARSE_ENGLISH if word in text] == []


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_is_english_under_an_english_locale(monkeypatch, capsys, command):
    speaking(monkeypatch, "en_US.UTF-8")
    text = help_of(capsys, *([command] if command else []))
    assert text.startswith("usage: mejora")
    assert "options:" in text and "show this help message and exit" in text
    assert "uso:" not in text and "opciones" not in text


def test_a_c_locale_gets_the_default_spanish(monkeypatch, capsys):
    speaking(monkeypatch, "C.UTF-8")
    assert help_of(capsys, "status").startswith("uso: mejora status")


@pytest.mark.parametrize(
    ("lang", "argv", "message"),
    [
        ("es_MX.UTF-8", ["status", "--cycle", "dos mil"], "--cycle: valor no válido"),
        ("es_MX.UTF-8", ["informe"], "opción no válida: 'informe'"),
        ("es_MX.UTF-8", ["report", "anexo-e"], "faltan estos argumentos: -o/--output"),
        ("en_US.UTF-8", ["report", "anexo-e"], "the following arguments are required"),
    ],
)
def test_argparse_errors_speak_the_locale(monkeypatch, capsys, lang, argv, message):
    speaking(monkeypatch, lang)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == EXIT_REJECTED
    assert message in capsys.readouterr().err


def test_the_real_command_reads_the_locale_of_its_environment(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    base["MEJORA_DATA_DIR"] = str(tmp_path)

    def run(lang):
        argv = [sys.executable, "-m", "mejora", "bench", "--help"]
        env = base | {"LANG": lang}
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout

    assert "Columnas: cifra" in run("es_MX.UTF-8")
    assert "Columns: figure" in run("en_US.UTF-8")


@pytest.fixture
def seed():
    demo_prepare()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--program", "No existe"], "No existe el programa «No existe»"),
        (["--institution", "SEP"], "No existe la dependencia «SEP»"),
        (["--cycle", "1999"], "No hay ciclo del mecanismo 1999. Los hay de: 2008, 2010."),
        (
            ["--program", "programa opciones productivas", "--cycle", "2009"],
            "No hay ciclo del mecanismo 2009",
        ),
    ],
)
def test_status_of_something_that_does_not_exist_is_refused(seed, capsys, options, message):
    assert main(["status", "--json", *options]) == EXIT_REJECTED
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_status_of_what_exists_but_has_nothing_is_zeros_not_an_error(seed, capsys):
    from mejora.followup.models import Program

    program = Program.objects.create(
        institution=Program.objects.get().institution, name="Programa sin ASM"
    )
    assert main(["status", "--json", "--program", program.name]) == EXIT_OK
    assert '"total": 0' in capsys.readouterr().out


FIGURES = [
    {"name": "annex_csv", "value": 1.0, "unit": "s", "baseline_name": "bare_csv",
     "baseline_value": 1.0, "ratio": 1.0, "target_ratio": 1.5, "scale": 10},
    {"name": "import_csv_peak_memory", "value": 120.0, "unit": "MB",
     "baseline_name": "load_document_peak_memory", "baseline_value": 100.0, "ratio": 1.2,
     "target_ratio": 4.0, "scale": 10, "limit": 400},
]  # fmt: skip


def bench_with(monkeypatch, results):
    import benchmarks.run

    monkeypatch.setattr(benchmarks.run, "run", lambda **kwargs: results)
    # The page figures build a whole government's records: what is judged here is the exit.
    monkeypatch.setattr(benchmarks.run, "run_pages", lambda **kwargs: [])


@pytest.mark.parametrize("json_output", [False, True])
def test_bench_exits_0_when_every_figure_meets_its_target(monkeypatch, capsys, json_output):
    bench_with(monkeypatch, FIGURES)
    assert main(["bench", *(["--json"] if json_output else [])]) == EXIT_OK
    assert "No alcanzaron" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"value": 2.0, "ratio": 2.0}, "annex_csv (2.00 > 1.50)"),
        ({"value": 2.0, "ratio": None, "baseline_value": 0}, None),
    ],
)
def test_bench_exits_3_and_names_the_figure_that_missed(monkeypatch, capsys, change, reason):
    bench_with(monkeypatch, [FIGURES[0] | change, FIGURES[1]])
    code = main(["bench"])
    err = capsys.readouterr().err
    if reason is None:  # no baseline, no ratio: nothing to judge, and no crash printing it
        assert code == EXIT_OK
    else:
        assert code == EXIT_MISSED
        assert f"No alcanzaron su meta: {reason}." in err


def test_bench_counts_a_peak_over_the_memory_cap_as_missed(monkeypatch, capsys):
    bench_with(monkeypatch, [FIGURES[0], FIGURES[1] | {"value": 450.0, "ratio": 4.5}])
    assert main(["bench", "--json"]) == EXIT_MISSED
    err = capsys.readouterr().err
    assert "import_csv_peak_memory (4.50 > 4.00, 450 MB > 400 MB)" in err


def test_the_bench_table_explains_its_columns(monkeypatch, capsys):
    bench_with(monkeypatch, [FIGURES[0] | {"value": 2.0, "ratio": 2.0}, FIGURES[1]])
    main(["bench"])
    out = capsys.readouterr().out
    header, first = out.splitlines()[:2]
    assert header.split() == ["cifra", "valor", "base", "razón", "meta"]
    assert first.endswith("✗ 2.00 > 1.50")
    assert "razón, valor ÷ base" in out and "Sale con código 3" in out


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("/nonexistent/dir/x.xlsx", "no existe la carpeta «/nonexistent/dir»"),
        ("{tmp}/carpeta.xlsx", "es una carpeta; indique el nombre del archivo"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_the_work(
    seed, tmp_path, capsys, output, message
):
    (tmp_path / "carpeta.xlsx").mkdir()
    assert main(["report", "anexo-e", "-o", output.format(tmp=tmp_path)]) == EXIT_REJECTED
    assert message in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in any folder")
def test_an_output_in_a_read_only_folder_is_refused(seed, tmp_path, capsys):
    tmp_path.chmod(0o555)
    try:
        assert main(["report", "anexo-e", "-o", str(tmp_path / "x.xlsx")]) == EXIT_REJECTED
    finally:
        tmp_path.chmod(0o755)
    assert "no hay permiso" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (errno.EROFS, "el disco es de solo lectura"),
        (errno.ENOSPC, "no queda espacio en el disco"),
        (errno.EACCES, "no hay permiso"),
    ],
)
def test_a_write_that_fails_midway_says_why_in_spanish(
    seed, tmp_path, capsys, monkeypatch, number, reason
):
    def refuse(self, data):
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    out = tmp_path / "x.txt"
    assert main(["report", "anexo-e", "-o", str(out)]) == EXIT_REJECTED
    assert capsys.readouterr().err.strip() == f"No se pudo escribir «{out}»: {reason}."


def fresh(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    environment |= {"MEJORA_DATA_DIR": str(tmp_path / "datos"), "LANG": "es_MX.UTF-8", **env}
    return subprocess.run(
        [sys.executable, "-m", "mejora", *argv],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_the_first_command_on_a_new_embedded_folder_makes_its_database(tmp_path):
    seed = tmp_path / "anexo.txt"
    seed.write_bytes(sample_bytes(SAMPLE_ANNEX))
    report = fresh(tmp_path, "report", "anexo-e", "-o", str(tmp_path / "x.txt"))
    assert report.returncode == EXIT_REJECTED, report.stderr
    assert "exactamente un programa" in report.stderr
    done = fresh(tmp_path, "import", str(seed))
    assert done.returncode == EXIT_OK, done.stderr
    assert "Importado:" in done.stdout


def test_a_production_start_without_its_secret_is_told_not_traced(tmp_path):
    done = fresh(tmp_path, "status", MEJORA_PRODUCTION="true")
    assert done.returncode == EXIT_REJECTED
    assert "Mejora no puede empezar: Modo de producción: falta MEJORA_SECRET_KEY." in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def empty_postgres():
    """A new, never migrated PostgreSQL database on the local server; skipped without one."""
    psycopg = pytest.importorskip("psycopg")
    server = "postgres://postgres@127.0.0.1:5432"
    name = f"mejora_unmigrated_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=3) as c:
            c.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.parametrize("argv", [["status"], ["import", "anexo.txt"], ["report", "anexo-e"]])
def test_a_server_database_never_migrated_is_named_not_migrated(tmp_path, empty_postgres, argv):
    (tmp_path / "anexo.txt").write_bytes(sample_bytes(SAMPLE_ANNEX))
    argv = [str(tmp_path / a) if a.endswith(".txt") else a for a in argv]
    if argv[0] == "report":
        argv += ["-o", str(tmp_path / "x.txt")]
    done = fresh(tmp_path, *argv, MEJORA_DATABASE_URL=empty_postgres)
    assert done.returncode == EXIT_REJECTED, done.stderr
    assert "La base de datos no está al día" in done.stderr
    assert "mejora manage migrate" in done.stderr


def test_a_database_that_cannot_be_reached_is_told_not_traced(tmp_path):
    done = fresh(tmp_path, "status", MEJORA_DATABASE_URL="postgres://postgres@127.0.0.1:1/nada")
    assert done.returncode == EXIT_REJECTED
    assert "No se pudo abrir la base de datos" in done.stderr
    assert "Traceback" not in done.stderr
