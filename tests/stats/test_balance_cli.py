"""`mejora report balance`: the balance of a cycle written as PDF or XLSX from the command line."""

import io

import openpyxl
import pdfplumber
import pytest

from mejora.cli import EXIT_OK, EXIT_REJECTED, main
from tests.stats import coneval


@pytest.fixture
def record(db):
    return coneval.build()


def test_the_spreadsheet_of_a_cycle_named_by_its_period(record, tmp_path, capsys):
    out = tmp_path / "balance.xlsx"
    argv = ["report", "balance", "--cycle", "2017-2018", "--as-of", "2019-03-31", "-o", str(out)]
    assert main(argv) == EXIT_OK
    assert "243 ASM, cumplimiento 79%" in capsys.readouterr().out
    book = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    summary = {r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert (summary["ASM"], summary["Concluidos"]) == (243, 188)


def test_the_pdf_of_a_cycle_named_by_its_year(record, tmp_path):
    out = tmp_path / "balance.pdf"
    argv = ["report", "balance", "--cycle", "2018", "--as-of", "2019-03-31", "-o", str(out)]
    assert main(argv) == EXIT_OK
    with pdfplumber.open(out) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    for figure in ("79%", "73.4%", "5.9%", "18.1%"):
        assert figure in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cycle", "1999"], "No existe el ciclo «1999». Los hay: 2017 (2016-2017), 2018"),
        (["--format", "docx"], "El balance se emite en PDF o XLSX"),
    ],
)
def test_impossible_requests_exit_2_with_a_spanish_reason(record, tmp_path, capsys, extra, message):
    out = tmp_path / "balance.xlsx"
    assert main(["report", "balance", *extra, "-o", str(out)]) == EXIT_REJECTED
    assert message in capsys.readouterr().err
    assert not out.exists()
