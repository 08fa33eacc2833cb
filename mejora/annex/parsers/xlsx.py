"""Reading an annex from an Excel workbook: render_xlsx's own layout and agencies' variants.

The table is found by its header row, wherever it is; the text rows above the first cycle
heading give the title, institution, program and annex line. A merged cell holds its text in
its top-left cell only, so the rows under a merged ASM number read as more activities of the
same ASM. Rows are handed to the AnnexBuilder, so cells read exactly as in the text parser.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    FORMATS,
    HeaderMatch,
    heading_key,
    match_header,
    read_cycle_heading,
)
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexBuilder,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import READING, Progress, Stage
from mejora.annex.words import squash

NOT_A_WORKBOOK = "El archivo no es un libro de Excel (XLSX) válido."
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"

_FIRST_HEADINGS = {heading_key(annex.columns[0].heading) for annex in FORMATS.values()}
_LONGEST_FIRST_HEADING = max(len(annex.columns[0].heading) for annex in FORMATS.values()) + 10

_Sheet = tuple[str, list[list[str]]]


def parse_xlsx(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
) -> AnnexDocument:
    """Read an annex from an XLSX workbook, finding its table by the headings of its columns."""
    sheets = _read_workbook(data, Stage(progress, READING))
    with_table = [sheet for sheet in sheets if any(map(_is_header, sheet[1]))]
    # Without any table, reading the first sheet says best what is wrong with it.
    _, rows = with_table[0] if with_table else sheets[0]
    reader = _SheetReader(catalogue, progress=progress)
    return reader.read(rows, ignored_sheets=[n for n, _ in with_table[1:]])


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


def _table_span(cells: list[str]) -> tuple[int, list[str]]:
    """Where the row's filled cells start, and the cells from there to its last filled one."""
    filled = [index for index, text in enumerate(cells) if text]
    if not filled:
        return 0, []
    return filled[0], cells[filled[0] : filled[-1] + 1]


def _starts_a_header(span: list[str]) -> bool:
    # Folding every cell of every row is slow on big sheets; a header row has a short
    # heading such as 'No.' somewhere (agencies move columns around).
    return any(
        len(cell) <= _LONGEST_FIRST_HEADING and heading_key(cell) in _FIRST_HEADINGS
        for cell in span
    )


def _header_format(span: list[str]) -> HeaderMatch | None:
    return match_header(span) if _starts_a_header(span) else None


def _is_header(cells: list[str]) -> bool:
    return _header_format(_table_span(cells)[1]) is not None


class _SheetReader(AnnexReader):
    def __init__(
        self, catalogue: AreaCatalogue | CatalogueFor | None, *, progress: Progress | None
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.offset = 0  # the column index of the table's first column

    def read(self, rows: Iterable[list[str]], ignored_sheets: list[str]) -> AnnexDocument:
        for number, cells in enumerate(rows, start=1):
            if any(cells):
                self._row(cells, f"fila {number}")
        return self._finish(ignored_sheets)

    def _row(self, cells: list[str], where: str) -> None:
        start, span = _table_span(cells)
        texts = [text for text in span if text]
        line = squash(" ".join(texts))
        single = len(texts) == 1
        # A heading, the footnote or the date fills one cell, or two when an agency puts the
        # date in a cell of its own; table rows fill more.
        text_line = len(texts) <= 2
        if self.prepared_seen:
            if not single:
                raise AnnexRejected(f"{where}: hay filas después de la «Fecha de Elaboración».")
            self._ignore(line, where)
        elif text_line and read_cycle_heading(line) is not None:
            self.pending_headings.append((line, where))
        elif text_line and line.startswith(FOOTNOTE_MARKER):
            self.footnote = line
        elif text_line and (prepared := PREPARED_LINE.match(line)) is not None:
            self.read_prepared(prepared["date"], where)
        elif (header := _header_format(span)) is not None:
            self._header(header, start, where)
        elif _starts_a_header(span) and not single:
            raise AnnexRejected(wrong_columns_message(span, where))
        elif self.builder is None:
            self._before_table(line, where)
        elif single and start <= self.offset:
            self._ignore(line, where)
        else:
            self._table_row(self.builder, cells, where)

    def _before_table(self, line: str, where: str) -> None:
        if self.pending_headings:
            raise AnnexRejected(
                f"{where}: se esperaba el encabezado de columnas y hay «{line[:60]}»."
            )
        self.preamble.append(line)

    def _ignore(self, line: str, where: str) -> None:
        if self.builder is not None:
            self.builder.note(
                "ignored_line", where, f"Texto fuera de la tabla, no se leyó: «{line[:60]}»."
            )

    def _header(self, header: HeaderMatch, start: int, where: str) -> None:
        if self.builder is None:
            self.start_with(header, where)
            self.offset = start
        elif header.columns != self.header.columns or start != self.offset:
            raise AnnexRejected(f"{where}: el encabezado de columnas cambia a mitad de la hoja.")
        self.open_pending_sections()

    def _table_row(self, builder: AnnexBuilder, cells: list[str], where: str) -> None:
        end = self.offset + len(self.header.columns)
        for index, text in enumerate(cells):
            if text and not self.offset <= index < end:
                builder.note(
                    "ignored_cell",
                    f"{where} · columna {get_column_letter(index + 1)}",
                    f"Celda fuera de las columnas del anexo, no se leyó: «{text[:60]}».",
                )
        texts = cells[self.offset : end] + [""] * max(0, end - len(cells))
        row = RawRow(self.header.cells(texts), where)
        builder.add_row(row, after_page_break=False)

    def _finish(self, ignored_sheets: list[str]) -> AnnexDocument:
        if self.builder is not None:
            for name in ignored_sheets:
                self.builder.note(
                    "ignored_sheet",
                    f"hoja «{name}»",
                    "El libro tiene otra hoja con una tabla de anexo; solo se leyó la primera.",
                )
        return self.finish(container=" en el libro", unfinished=" debajo")
