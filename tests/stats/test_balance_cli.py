"""`mejora report balance`: the balance of a cycle written from the command line (the PDF and
the spreadsheet themselves are read back in tests/web/test_balance_pages.py)."""

import io

import openpyxl
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


def test_the_latest_cycle_when_none_is_named(record, tmp_path, capsys):
    out = tmp_path / "balance.xlsx"
    assert main(["report", "balance", "--as-of", "2019-03-31", "-o", str(out)]) == EXIT_OK
    assert "Balance 2017-2018 (Mecanismo 2018) al 2019-03-31" in capsys.readouterr().out


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
