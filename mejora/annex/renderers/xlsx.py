"""The annex as an Excel workbook, laid out as the agencies print it and readable by parse_xlsx.

One sheet: the title block, then per cycle its heading, the header row and one row per
activity, with the ASM number and text merged over the ASM's activities; the footnote and the
preparation date close it. The same document always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from typing import IO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import AnnexDocument, AspectEntry
from mejora.annex.formats import FORMATS, AnnexFormat, row_cells

# A fixed moment for the workbook's dates when the annex has no usable preparation date; ZIP
# timestamps cannot go before 1980.
_FALLBACK_MOMENT = dt.datetime(2000, 1, 1)
_CHUNK = 1 << 20

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
    moment = _fixed_moment(doc)
    workbook = Workbook()
    # A named style costs one lookup per cell; setting a font or border on each of thousands
    # of cells hashes the style object every time.
    for style in _named_styles():
        workbook.add_named_style(style)
    sheet = workbook.active
    sheet.title = f"Anexo {annex.letter}"
    _SheetWriter(sheet, annex).write(doc)
    properties = workbook.properties
    properties.creator = "Mejora"
    properties.title = doc.title
    properties.created = properties.modified = moment

    buffer = io.BytesIO()
    with _DatedZip(buffer, moment) as archive:
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


class _SheetWriter:
    def __init__(self, sheet: Worksheet, annex: AnnexFormat) -> None:
        self.sheet = sheet
        self.annex = annex
        self.width = len(annex.columns)
        self.row = 0
        self.merges: list[CellRange] = []
        self.style_arrays: dict[str, StyleArray] = {}
        self.merged_columns = [
            index for index, column in enumerate(annex.columns, 1) if column.key in _MERGED_KEYS
        ]

    def write(self, doc: AnnexDocument) -> None:
        self._line(doc.title, _TITLE)
        for line in (doc.institution, doc.program, doc.annex):
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
        if doc.footnote:
            self._line(doc.footnote, _NOTE)
        if doc.prepared is not None:
            prepared = doc.prepared.text or spanish_month_year(doc.prepared)
            self._line(f"Fecha de Elaboración: {prepared}", _NOTE)
        # merge_cells checks each new range against all earlier ones and recomputes borders;
        # setting the ranges at once keeps thousands of ASM linear. The covered cells keep
        # their own style, as Excel writes them.
        self.sheet.merged_cells = MultiCellRange(self.merges)
        self._page_setup(first_header)

    def _line(self, text: str, style: str) -> None:
        """A line of text outside the table, across the table's width."""
        self.row += 1
        cell = self.sheet.cell(self.row, 1)
        _set_text(cell, text)
        cell.style = style
        if self.width > 1:
            self._merge(self.row, 1, self.row, self.width)

    def _header(self) -> None:
        self.row += 1
        for index, heading in enumerate(self.annex.headings(), 1):
            cell = self.sheet.cell(self.row, index)
            _set_text(cell, heading)
            cell.style = _COLUMN

    def _aspect(self, aspect: AspectEntry) -> None:
        first_row = self.row + 1
        for position, activity in enumerate(aspect.activities or (None,)):
            self.row += 1
            texts = row_cells(self.annex, aspect, activity, first=position == 0)
            for index, (column, text) in enumerate(zip(self.annex.columns, texts, strict=True), 1):
                cell = self.sheet.cell(self.row, index)
                if column.key == "number":
                    self._style(cell, _NUMBER)
                    # A plain number lets the agency sort and filter without Excel's warning.
                    if text.isdigit() and str(int(text)) == text:
                        cell.value = int(text)
                        continue
                else:
                    self._style(cell, _DATA)
                _set_text(cell, text)
        if self.row > first_row:
            for index in self.merged_columns:
                self._merge(first_row, index, self.row, index)

    def _style(self, cell: Cell, name: str) -> None:
        """Give the cell a named style; sharing the first cell's style array is the fast way,
        since openpyxl looks the name up again for every cell (half the time of a large annex).
        The array is only read, when the sheet is saved, so the cells can share it.
        """
        array = self.style_arrays.get(name)
        if array is None:
            cell.style = name
            self.style_arrays[name] = cell._style
        else:
            cell._style = array

    def _merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
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
        sheet.page_setup.paperSize = sheet.PAPERSIZE_LEGAL
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages tall as the rows need
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.oddFooter.center.text = "Página &P de &N"


def _set_text(cell: Cell, text: str) -> None:
    # Control characters are not allowed in XLSX; a text starting with '=' is not a formula.
    try:
        cell.value = text or None
    except IllegalCharacterError:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", text) or None
    if cell.value is not None:
        cell.data_type = "s"


def _fixed_moment(doc: AnnexDocument) -> dt.datetime:
    if doc.prepared is not None and doc.prepared.year >= 1980:
        return dt.datetime.combine(doc.prepared.start, dt.time())
    return _FALLBACK_MOMENT


class _DatedZip(zipfile.ZipFile):
    """A zip whose entries all carry one date and mode, so that the same annex gives the same
    bytes; openpyxl would date them at the time of saving."""

    def __init__(self, file: IO[bytes], moment: dt.datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.date_time = moment.timetuple()[:6]

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
        """The sheet, which openpyxl writes to a file of its own, streamed in as it is."""
        with open(filename, "rb") as source, self.open(self._info(arcname), "w") as target:
            shutil.copyfileobj(source, target, _CHUNK)
