"""The `mejora` command: exit codes, machine-readable shapes, messages in Spanish."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db.models import F

from mejora.cli import EXIT_INTERNAL, EXIT_OK, EXIT_REJECTED, main
from mejora.followup.models import (
    Activity,
    ActivityFacts,
    Aspect,
    AspectConclusion,
    ChangeRecord,
    CutTally,
)
from tests.factories import ActivityFactory, AspectFactory

# `main` checks the migrations of the tasks database too (a file of its own on SQLite).
pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture
def seed_file(tmp_path: Path, seed_bytes: bytes) -> Path:
    path = tmp_path / "anexo-e.txt"
    path.write_bytes(seed_bytes)
    return path


def test_import_prints_what_it_read_and_every_finding(seed_file, capsys):
    assert main(["import", str(seed_file)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Leídos: 9 ASM y 20 actividades en 2 ciclos." in out
    assert "«01/06/2010» puede leerse día/mes" in out
    assert "Importado:" in out
    assert Aspect.objects.count() == 9


def test_import_json_has_the_documented_shape(seed_file, capsys):
    assert main(["import", str(seed_file), "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert (summary["aspects"], summary["activities"]) == (9, 20)
    # The documented keys, and where the reading points at one value, which value it is.
    assert all({"kind", "where", "text"} <= set(f) for f in summary["findings"])
    dates = [f for f in summary["findings"] if f["kind"] == "ambiguous_date"]
    assert {f["cell"]["field"] for f in dates} == {"due", "concluded"}
    fragments = [f for f in summary["findings"] if f["kind"] == "joined_fragment"]
    assert fragments and all(set(f) == {"kind", "where", "text"} for f in fragments)


def test_dry_run_reports_and_writes_nothing(seed_file, capsys):
    assert main(["import", str(seed_file), "--dry-run"]) == EXIT_OK
    assert "Prueba sin escribir" in capsys.readouterr().out
    assert Activity.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_a_second_import_says_nothing_changed(seed_file, capsys):
    main(["import", str(seed_file)])
    capsys.readouterr()
    assert main(["import", str(seed_file)]) == EXIT_OK
    assert "Sin cambios" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "está vacío", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binario", id="binary"),
        pytest.param(b"No.\tOtra cosa\n", "Sobran: «Otra cosa»", id="not-an-annex"),
    ],
)
def test_bad_input_exits_2_with_a_spanish_message(tmp_path, capsys, content, message):
    path = tmp_path / "malo.txt"
    path.write_bytes(content)
    assert main(["import", str(path)]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert message in err
    assert "No se escribió nada." in err
    assert Aspect.objects.count() == 0


def test_a_missing_file_is_rejected_not_a_traceback(tmp_path, capsys):
    assert main(["import", str(tmp_path / "no-existe.txt")]) == EXIT_REJECTED
    assert "No existe el archivo" in capsys.readouterr().err


def test_an_unknown_extension_asks_for_the_format(tmp_path, capsys):
    path = tmp_path / "anexo.odt"
    path.write_bytes(b"x")
    assert main(["import", str(path)]) == EXIT_REJECTED
    assert "los formatos que se leen son: txt, csv, xlsx, docx, pdf" in capsys.readouterr().err


def test_an_internal_error_exits_1_and_writes_nothing(seed_file, capsys, monkeypatch):
    from mejora.followup.services import imports

    def explode(*args, **kwargs):
        raise RuntimeError("falla simulada")

    monkeypatch.setattr(imports._Loader, "_reports", explode)
    assert main(["import", str(seed_file)]) == EXIT_INTERNAL
    assert "Error interno" in capsys.readouterr().err
    assert Aspect.objects.count() == 0


def test_status_of_the_seed_at_its_cut_is_the_published_one(seed_file, capsys, golden):
    main(["import", str(seed_file)])
    capsys.readouterr()
    assert main(["status", "--as-of", "2012-03-31", "--json"]) == EXIT_OK
    expected = golden["status_as_of_2012-03-31"]
    assert json.loads(capsys.readouterr().out) == {
        "as_of": expected["as_of"],
        "aspects": expected["aspects"],
        "activities": expected["activities"],
    }


@pytest.mark.parametrize(
    ("options", "aspects", "activities"),
    [
        (["--cycle", "2008"], 4, 10),
        (["--cycle", "2010"], 5, 10),
        (["--program", "programa opciones productivas"], 9, 20),
        (["--institution", "Secretaría de Desarrollo Social"], 9, 20),
        (["--institution", "secretaría de desarrollo social", "--cycle", "2010"], 5, 10),
    ],
)
def test_status_options_narrow_the_scope(seed_file, capsys, options, aspects, activities):
    main(["import", str(seed_file)])
    capsys.readouterr()
    main(["status", "--as-of", "2012-03-31", "--json", *options])
    counts = json.loads(capsys.readouterr().out)
    assert (counts["aspects"]["total"], counts["activities"]["total"]) == (aspects, activities)


def test_status_before_the_due_dates_shows_work_in_progress(seed_file, capsys):
    main(["import", str(seed_file)])
    capsys.readouterr()
    # On 1 Jan 2009 only the 2008 mechanism's ASM were registered (the 2010 ones came with
    # their own mechanism), and nothing was due yet except 2008/1.1 (31/12/2008), which is
    # concluded at the only cut recorded (March 2012) — after the date, so no report counts.
    main(["status", "--as-of", "2009-01-01", "--json"])
    counts = json.loads(capsys.readouterr().out)
    assert (counts["aspects"]["total"], counts["activities"]["total"]) == (4, 10)
    assert counts["activities"]["overdue"] == 1
    assert counts["activities"]["concluded"] == 0
    assert counts["activities"]["not_started"] == 9


def test_status_at_a_date_counts_only_the_asm_registered_by_then(seed_file, capsys):
    main(["import", str(seed_file)])
    aspect = Aspect.objects.first()
    ActivityFactory(aspect=AspectFactory(program=aspect.program, registered_on=dt.date(2026, 5, 4)))
    capsys.readouterr()
    main(["status", "--as-of", "2012-03-31", "--json"])
    then = json.loads(capsys.readouterr().out)
    assert (then["aspects"]["total"], then["activities"]["total"]) == (9, 20)
    main(["status", "--as-of", "2026-05-04", "--json"])
    now = json.loads(capsys.readouterr().out)
    assert (now["aspects"]["total"], now["activities"]["total"]) == (10, 21)


def test_status_check_finds_what_is_kept_for_counting_out_of_step_and_repairs_it(seed_file, capsys):
    main(["import", str(seed_file)])
    assert main(["status", "--check"]) == EXIT_OK
    # A change written behind the services' back (by hand in the database) is found.
    spans = ActivityFacts.objects.filter(percent=100)
    changed = sorted(set(spans.values_list("activity_id", flat=True)))[:2]
    spans.filter(activity_id__in=changed).update(percent=50)
    capsys.readouterr()
    assert main(["status", "--check"]) == EXIT_REJECTED
    out = capsys.readouterr().out
    assert out.startswith("2 actividades") and "--repair" in out
    assert main(["status", "--check", "--repair"]) == EXIT_OK
    assert main(["status", "--check"]) == EXIT_OK
    # So are the days an ASM is kept as concluded.
    kept = AspectConclusion.objects.order_by("aspect_id").first()
    AspectConclusion.objects.filter(pk=kept.pk).update(starts=dt.date(2000, 1, 1))
    capsys.readouterr()
    assert main(["status", "--check"]) == EXIT_REJECTED
    assert capsys.readouterr().out.startswith("1 ASM no coincide con sus actividades")
    assert main(["status", "--check", "--repair"]) == EXIT_OK
    assert main(["status", "--check"]) == EXIT_OK
    assert AspectConclusion.objects.get(aspect_id=kept.aspect_id).starts == kept.starts
    # An ASM's days out of step on their own are repaired with another's activity's facts.
    of_changed = Activity.objects.filter(pk__in=changed).values("aspect_id")
    alone = AspectConclusion.objects.exclude(aspect_id__in=of_changed).first()
    AspectConclusion.objects.filter(pk=alone.pk).delete()
    spans.filter(activity_id__in=changed).update(percent=50)
    assert main(["status", "--check", "--repair"]) == EXIT_OK
    assert main(["status", "--check"]) == EXIT_OK
    assert AspectConclusion.objects.filter(aspect_id=alone.aspect_id).exists()
    # So is a cut's tally changed by hand.
    CutTally.objects.filter(breadth=CutTally.Breadth.PROGRAM).update(concluded=F("concluded") + 1)
    capsys.readouterr()
    assert main(["status", "--check"]) == EXIT_REJECTED
    assert "Las cuentas guardadas de 1 corte no coinciden" in capsys.readouterr().out
    assert main(["status", "--check", "--repair"]) == EXIT_OK
    assert main(["status", "--check"]) == EXIT_OK
    main(["status", "--as-of", "2012-03-31", "--json"])


def test_status_rejects_a_malformed_date(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["status", "--as-of", "31/03/2012"])
    assert exit_info.value.code == 2
    assert "no es una fecha AAAA-MM-DD" in capsys.readouterr().err


def test_progress_draws_a_bar_on_stderr_and_leaves_stdout_alone(seed_file, capsys):
    assert main(["import", str(seed_file), "--dry-run"]) == EXIT_OK
    plain = capsys.readouterr()
    assert plain.err == ""  # not a terminal: no bar unless asked for
    assert main(["import", str(seed_file), "--dry-run", "--progress"]) == EXIT_OK
    shown = capsys.readouterr()
    assert shown.out == plain.out
    lines = shown.err.split("\n")
    assert lines[-1] == ""  # the bar ends its line
    finals = [line.split("\r")[-1] for line in lines[:-1]]
    assert [line.split("[")[0].strip() for line in finals] == [
        "Leyendo", "Interpretando", "Importando",
    ]  # fmt: skip
    lines_read = len(seed_file.read_bytes().splitlines())
    assert finals[0].endswith(f"] 100 % ({lines_read}/{lines_read} líneas)")
    assert finals[2].endswith("] 100 % (9/9 ASM)")
    assert "\r" in shown.err  # redrawn in place


def test_progress_keeps_the_json_on_stdout_clean(seed_file, capsys):
    assert main(["import", str(seed_file), "--json", "--progress"]) == EXIT_OK
    captured = capsys.readouterr()
    assert json.loads(captured.out)["aspects"] == 9
    assert "Importando" in captured.err


def test_a_rejected_file_ends_the_bar_before_saying_why(tmp_path, capsys):
    path = tmp_path / "vacio.txt"
    path.write_bytes(b"No.\tOtra cosa\n")
    assert main(["import", str(path), "--progress"]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "\nArchivo rechazado." in err
