"""Reading an annex from an Excel workbook: render_xlsx's own layout and agencies' variants.

Every cell is read as the text the sheet shows (dates as precise as their format, percents
as percents); the rows are then walked as parsers.sheet walks any sheet, the sheet with a
table first.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from openpyxl import load_workbook

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.parsers.rows import CatalogueFor
from mejora.annex.parsers.sheet import SheetReader, is_header
from mejora.annex.progress import READING, Progress, Stage

NOT_A_WORKBOOK = "El archivo no es un libro de Excel (XLSX) válido."
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"

_Sheet = tuple[str, list[list[str]]]


def parse_xlsx(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex from an XLSX workbook, finding its table by the headings of its columns."""
    sheets = _read_workbook(data, Stage(progress, READING))
    with_table = [sheet for sheet in sheets if any(map(is_header, sheet[1]))]
    # Without any table, reading the first sheet says best what is wrong with it.
    _, rows = with_table[0] if with_table else sheets[0]
    reader = SheetReader(catalogue, progress=progress)
    reader.walk(rows)
    if reader.builder is not None:
        for name, _ in with_table[1:]:
            reader.builder.note(
                "ignored_sheet",
                f"hoja «{name}»",
                "El libro tiene otra hoja con una tabla de anexo; solo se leyó la primera.",
            )
    return reader.finish(container=" en el libro", unfinished=" debajo")


def _read_workbook(data: bytes, reading: Stage) -> list[_Sheet]:
    """Every sheet's rows as stripped texts; anything openpyxl cannot open is rejected."""
    if not data.strip():
        raise AnnexRejected("El archivo está vacío.")
    if data.startswith(_OLD_EXCEL):
        raise AnnexRejected(
            "El archivo parece un libro de Excel antiguo (XLS): guárdelo como XLSX y vuelva a "
            "subirlo."
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AnnexRejected(NOT_A_WORKBOOK)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [(sheet.title, _sheet_rows(sheet, reading)) for sheet in workbook.worksheets]
        finally:
            workbook.close()
    # A zip that is not a workbook fails in openpyxl or the XML parser in many different ways.
    except Exception:
        raise AnnexRejected(NOT_A_WORKBOOK) from None


def _sheet_rows(sheet, reading: Stage) -> list[list[str]]:
    # The stored dimension may be missing or wrong in files from other programs: it only
    # estimates the rows for the progress.
    estimate = sheet.max_row or 0
    sheet.reset_dimensions()
    return [[_cell_text(cell) for cell in row] for row in reading.each(sheet.iter_rows(), estimate)]


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"  # as a Spanish Excel shows them
    if isinstance(value, int | float):
        if "%" in (cell.number_format or ""):
            return f"{round(value * 100, 2):g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _shown_date(value, cell.number_format)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# Quoted text, escaped characters and bracketed locale or colour codes of a number format.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _shown_date(value: dt.date, number_format: str | None) -> str:
    """A date as precise as the cell shows it: 'jun-12' is June 2012, not its first day."""
    shown = _FORMAT_LITERALS.sub("", number_format or "").lower()
    if "d" not in shown and "m" in shown:
        return f"{MONTH_NAMES[value.month - 1]} de {value.year}"
    if "d" not in shown and "m" not in shown and "y" in shown:
        return str(value.year)
    # ISO dates read back without the day/month ambiguity of '05/03/2009'.
    return value.isoformat()
