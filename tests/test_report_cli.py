"""`mejora report`: the official annex written to a file, refusals in Spanish."""

from __future__ import annotations

import pytest

from mejora.cli import EXIT_OK, EXIT_REJECTED, main
from mejora.demo import demo_prepare

# `main` checks the migrations of the tasks database too (a file of its own on SQLite).
pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture(autouse=True)
def seed():
    demo_prepare()


def test_the_text_annex_is_the_seed_without_its_page_breaks(tmp_path, capsys, seed_bytes):
    from mejora.annex.parsers.text import parse_text

    out = tmp_path / "anexo-e.txt"
    assert main(["report", "anexo-e", "--format", "txt", "-o", str(out)]) == EXIT_OK
    assert "SHA-256" in capsys.readouterr().out
    assert parse_text(out.read_bytes()) == parse_text(seed_bytes)


def test_the_format_comes_from_the_extension(tmp_path):
    out = tmp_path / "anexo.txt"
    assert main(["report", "anexo-e", "-o", str(out)]) == EXIT_OK
    assert out.read_text(encoding="utf-8").count("\n") > 20


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "anexo-z", "-o", "x.txt"], "No existe el tipo de anexo «anexo-z»"),
        (["report", "anexo-e", "-o", "x.odt"], "No se sabe en qué formato escribir"),
        (["report", "anexo-e", "--program", "Otro", "-o", "x.txt"], "exactamente un programa"),
        (["report", "anexo-e", "--cut", "abril 2031", "-o", "x.txt"], "No existe el corte"),
    ],
)
def test_impossible_requests_exit_2_with_a_spanish_reason(tmp_path, capsys, argv, message):
    argv = [*argv[:-1], str(tmp_path / argv[-1])]
    assert main(argv) == EXIT_REJECTED
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.txt").exists()


def test_a_pdf_shows_its_printing_progress_when_asked(tmp_path, capsys):
    out = tmp_path / "anexo.pdf"
    assert main(["report", "anexo-e", "-o", str(out), "--progress"]) == EXIT_OK
    printed = capsys.readouterr()
    assert "Imprimiendo" in printed.err and "100 %" in printed.err and "filas)" in printed.err
    assert "Imprimiendo" not in printed.out
    assert out.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize(
    ("kind", "annex_line"),
    [
        ("anexo-b", "Anexo B. Documento de trabajo"),
        ("anexo-c", "Anexo C. Avance del documento de trabajo"),
        ("anexo-d", "Anexo D. Documento institucional"),
        ("documento-institucional", "Anexo D. Documento institucional"),
        ("E", "Anexo E. Avance al documento institucional"),
    ],
)
def test_each_annex_is_named_by_its_letter_or_its_code(tmp_path, capsys, kind, annex_line):
    out = tmp_path / "anexo.txt"
    assert main(["report", kind, "-o", str(out)]) == EXIT_OK
    assert capsys.readouterr().out.startswith(annex_line)
    # The demo's ASM are institutional: the working documents come out without rows.
    assert annex_line in out.read_text(encoding="utf-8").splitlines()
