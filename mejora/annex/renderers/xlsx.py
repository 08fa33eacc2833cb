"""The annex as an Excel workbook, laid out as the agencies print it and readable by parse_xlsx.

One sheet: the title block, then per cycle its heading, the header row and one row per
activity, with the ASM number and text merged over the ASM's activities; the footnote and the
preparation date close it. The same document always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
import zipfile
from typing import IO
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument, AspectEntry
from mejora.annex.formats import FORMATS, AnnexFormat, header_lines, row_cells, signatory_line
from mejora.annex.renderers.office import fixed_moment, strip_non_xml

_CHUNK = 1 << 20
_PARTS_PER_WRITE = 20_000  # XML parts held before they go to the rows' file
_EMPTY_ROWS = b"<sheetData></sheetData>"
_MAX_TEXT = 32_767  # what a cell holds
# A carriage return must be written as a reference, or a reader takes it for a line break.
_ENTITIES = {"\r": "&#13;"}

_WIDTHS = {
    "number": 6,
    "aspect": 40,
    "activity": 45,
    "coordinating": 24,
    "responsible": 24,
    "due": 14,
    "expected_results": 35,
    "deliverable": 30,
    "progress": 32,
    "proof": 35,
    "observations": 30,
}
_DEFAULT_WIDTH = 20
_MERGED_KEYS = ("number", "aspect")

_TITLE = "Anexo título"
_BANNER = "Anexo encabezado"
_CYCLE = "Anexo ciclo"
_COLUMN = "Anexo columna"
_DATA = "Anexo dato"
_NUMBER = "Anexo número"
_NOTE = "Anexo nota"


def _named_styles() -> list[NamedStyle]:
    thin = Side(style="thin", color="808080")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    top = Alignment(vertical="top", wrap_text=True)
    centered = Alignment(horizontal="center", vertical="center", wrap_text=True)
    bold = Font(bold=True)
    return [
        NamedStyle(_TITLE, font=Font(bold=True, size=12), alignment=centered),
        NamedStyle(_BANNER, font=bold, alignment=centered),
        NamedStyle(_CYCLE, font=bold, alignment=top),
        NamedStyle(
            _COLUMN,
            font=bold,
            fill=PatternFill("solid", fgColor="D9E1F2"),
            alignment=centered,
            border=grid,
        ),
        NamedStyle(_DATA, alignment=top, border=grid),
        NamedStyle(
            _NUMBER,
            alignment=Alignment(horizontal="center", vertical="top", wrap_text=True),
            border=grid,
        ),
        NamedStyle(_NOTE, alignment=top),
    ]


def render_xlsx(doc: AnnexDocument) -> bytes:
    """Write the annex as a printable XLSX workbook, byte for byte the same on every run."""
    annex = FORMATS[doc.kind]
    moment = fixed_moment(doc)
    workbook = Workbook(write_only=True)
    for style in _named_styles():
        workbook.add_named_style(style)
    sheet = workbook.create_sheet(f"Anexo {annex.letter}")
    properties = workbook.properties
    properties.creator = "Mejora"
    properties.title = doc.title
    properties.created = properties.modified = moment
    with tempfile.TemporaryFile() as rows:
        # openpyxl writes the workbook, the styles and the sheet's layout; the rows, which it
        # would build a cell object and an XML element for one cell at a time (two thirds of
        # the time of a large annex), are written as text beside it and put in when saving.
        _SheetWriter(sheet, annex, rows).write(doc)
        buffer = io.BytesIO()
        with _DatedZip(buffer, moment, rows) as archive:
            ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


class _SheetWriter:
    """The sheet's rows as XML, and its layout (merges, frozen header, print setup)."""

    def __init__(self, sheet: WriteOnlyWorksheet, annex: AnnexFormat, out: IO[bytes]) -> None:
        self.sheet = sheet
        self.annex = annex
        self.out = out
        self.width = len(annex.columns)
        self.row = self.last_row = 0
        self.parts: list[str] = []
        self.merges: list[CellRange] = []
        self.letters = [get_column_letter(index) for index in range(1, self.width + 1)]
        self.merged_columns = [
            index for index, column in enumerate(annex.columns, 1) if column.key in _MERGED_KEYS
        ]
        self.style_ids = {style.name: _style_id(sheet, style.name) for style in _named_styles()}
        self.number_column = next(
            (i for i, column in enumerate(annex.columns) if column.key == "number"), -1
        )
        self.data_styles = [
            self.style_ids[_NUMBER if column.key == "number" else _DATA] for column in annex.columns
        ]

    def write(self, doc: AnnexDocument) -> None:
        self._line(doc.title, _TITLE)
        named = header_lines(doc.institution, doc.program, doc.program_key)
        for line in (*named, doc.annex):
            self._line(line, _BANNER)
        self.row += 1
        first_header = 0
        for section in doc.sections:
            self._line(section.heading, _CYCLE)
            self._header()
            first_header = first_header or self.row
            for aspect in section.aspects:
                self._aspect(aspect)
            self.row += 1
            self._flush()
        if doc.footnote:
            self._line(doc.footnote, _NOTE)
        for signatory in doc.signatories:
            self._line(signatory_line(signatory), _NOTE)
        if doc.prepared is not None:
            prepared = doc.prepared.text or spanish_month_year(doc.prepared)
            self._line(f"Fecha de Elaboración: {prepared}", _NOTE)
        self._flush()
        # The covered cells of a merge keep their own style, as Excel writes them.
        self.sheet.merged_cells = MultiCellRange(self.merges)
        self._page_setup(first_header)
        # openpyxl writes the used range of a sheet that can say it; a write-only sheet cannot,
        # and readers that stream a sheet (openpyxl's read-only mode, pandas) rely on it.
        used_range = f"A1:{self.letters[-1]}{self.last_row}"
        self.sheet.calculate_dimension = lambda: used_range

    def _line(self, text: str, style: str) -> None:
        """A line of text outside the table, across the table's width."""
        self.row = self.last_row = self.row + 1
        self.parts.append(
            f'<row r="{self.row}">{_cell(f"A{self.row}", self.style_ids[style], text)}</row>'
        )
        if self.width > 1:
            self._merge(self.row, 1, self.row, self.width)

    def _header(self) -> None:
        self._row(self.annex.headings(), [self.style_ids[_COLUMN]] * self.width)

    def _aspect(self, aspect: AspectEntry) -> None:
        first_row = self.row + 1
        for position, activity in enumerate(aspect.activities or (None,)):
            texts = row_cells(self.annex, aspect, activity, first=position == 0)
            self._row(texts, self.data_styles, self.number_column)
        if self.row > first_row:
            for index in self.merged_columns:
                self._merge(first_row, index, self.row, index)
        if len(self.parts) > _PARTS_PER_WRITE:
            self._flush()

    def _row(self, texts: list[str], styles: list[int], number_column: int = -1) -> None:
        self.row = self.last_row = row = self.row + 1
        parts = self.parts
        parts.append(f'<row r="{row}">')
        for index, (letter, style, text) in enumerate(
            zip(self.letters, styles, texts, strict=True)
        ):
            # A plain number lets the agency sort and filter without Excel's warning.
            if index == number_column and _is_plain_number(text):
                parts.append(f'<c r="{letter}{row}" s="{style}" t="n"><v>{text}</v></c>')
            else:
                parts.append(_cell(f"{letter}{row}", style, text))
        parts.append("</row>")

    def _flush(self) -> None:
        self.out.write("".join(self.parts).encode("utf-8"))
        self.parts.clear()

    def _merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        # Kept as ranges and set at once: merge_cells checks each new range against all
        # earlier ones, which is quadratic in the number of ASM.
        self.merges.append(
            CellRange(
                min_col=first_column, min_row=first_row, max_col=last_column, max_row=last_row
            )
        )

    def _page_setup(self, first_header: int) -> None:
        sheet = self.sheet
        for index, column in enumerate(self.annex.columns, 1):
            width = _WIDTHS.get(column.key, _DEFAULT_WIDTH)
            sheet.column_dimensions[get_column_letter(index)].width = width
        if first_header:
            sheet.freeze_panes = f"A{first_header + 1}"
            sheet.print_title_rows = f"{first_header}:{first_header}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_LEGAL
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages tall as the rows need
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.oddFooter.center.text = "Página &P de &N"


def _style_id(sheet: WriteOnlyWorksheet, name: str) -> int:
    """The workbook's number for a named style, as its cells refer to it."""
    cell = WriteOnlyCell(sheet)
    cell.style = name
    return cell.style_id


def _cell(ref: str, style: int, text: str) -> str:
    """A cell of text, as openpyxl writes it; a text that starts with '=' is not a formula."""
    if not text.isprintable():
        # Control characters are not allowed in XLSX; tabs and line breaks are.
        text = strip_non_xml(text)
    text = text[:_MAX_TEXT]
    if not text:
        return f'<c r="{ref}" s="{style}"/>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    text = escape(text, _ENTITIES)
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _is_plain_number(text: str) -> bool:
    """'12' but not '012', '1.5' or '١٢': a number that reads back as the same text."""
    return text.isdigit() and text.isascii() and (text == "0" or not text.startswith("0"))


class _DatedZip(zipfile.ZipFile):
    """A zip whose entries all carry one date and mode, so that the same annex gives the same
    bytes (openpyxl would date them at the time of saving), and whose one sheet gets its rows
    from the file they were written to."""

    def __init__(self, file: IO[bytes], moment: dt.datetime, rows: IO[bytes]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = moment.timetuple()[:6]
        self.rows: IO[bytes] | None = rows

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None) -> None:
        """The sheet, which openpyxl writes without rows to a file of its own, with its rows."""
        with open(filename, "rb") as source:
            layout = source.read()
        head, empty, tail = layout.partition(_EMPTY_ROWS)
        if self.rows is None or not empty:
            raise ValueError(f"no rows for {arcname}: the workbook should have one sheet")
        rows, self.rows = self.rows, None
        rows.seek(0)
        with self.open(self._info(arcname), "w") as target:
            target.write(head + b"<sheetData>")
            shutil.copyfileobj(rows, target, _CHUNK)
            target.write(b"</sheetData>" + tail)
