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
from bisect import bisect_left
from functools import lru_cache
from operator import itemgetter

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import Message, Text, gettext_noop
from mejora.annex.parsers.encoding import NOT_XML, check_characters
from mejora.annex.parsers.package import (
    CHUNK,
    Package,
    cell_over_limit,
    expat_parser,
    local,
    part_path,
    rels_path,
)
from mejora.annex.parsers.rows import CatalogueFor
from mejora.annex.parsers.sheet import SheetReader, column_letter, is_header
from mejora.annex.progress import READING, Progress, Stage

NOT_A_WORKBOOK = gettext_noop("El archivo no es un libro de Excel (XLSX) válido.")
_OLD_EXCEL = b"\xd0\xcf\x11\xe0"

_Rows = list[tuple[int, list[str]]]  # each row with text: its number in the sheet, its cells
# By row number, each cell merged across columns: its column index to the index past its last.
_Merged = dict[int, dict[int, int]]
_Sheet = tuple[str, _Rows, _Merged]

_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_ID = f"{_RELATIONSHIPS} id"
_COLUMN = re.compile(r"([A-Za-z]{1,3})(\d+)$")


def parse_xlsx(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex from an XLSX workbook, finding its table by the headings of its columns."""
    sheets = _read_workbook(data, Stage(progress, READING), limits)
    with_table = [sheet for sheet in sheets if any(is_header(cells) for _, cells in sheet[1])]
    # Without any table, reading the first sheet says best what is wrong with it.
    _, rows, merged = with_table[0] if with_table else sheets[0]
    reader = SheetReader(catalogue, progress=progress)
    reader.walk_numbered(rows, merged)
    if reader.builder is not None:
        for name, *_ in with_table[1:]:
            reader.builder.note(
                "ignored_sheet",
                Text(gettext_noop("hoja «{name}»"), name=name),
                "El libro tiene otra hoja con una tabla de anexo; solo se leyó la primera.",
            )
    return reader.finish(container=" en el libro", unfinished=" debajo")


def _read_workbook(data: bytes, reading: Stage, limits: ReadingLimits) -> list[_Sheet]:
    """Every sheet's rows with text, as stripped texts; a damaged workbook is rejected."""
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    if data.startswith(_OLD_EXCEL):
        raise AnnexRejected(
            gettext_noop(
                "El archivo parece un libro de Excel antiguo (XLS): guárdelo "
                "como XLSX y vuelva a subirlo."
            )
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise AnnexRejected(NOT_A_WORKBOOK)
    with Package(data, limits, lambda: AnnexRejected(NOT_A_WORKBOOK)) as package:
        try:
            sheets = _Workbook(package, limits).sheets(reading)
        except AnnexRejected:
            raise
        # A zip that is not a workbook fails in zipfile, zlib or expat in many different ways.
        except Exception as error:
            raise AnnexRejected(NOT_A_WORKBOOK) from error
    if not sheets:
        raise AnnexRejected(
            gettext_noop("{not_a_workbook} No tiene hojas."), not_a_workbook=Message(NOT_A_WORKBOOK)
        )
    return sheets


class _Workbook:
    """The workbook's parts read on their own, streaming: no part is ever held whole but the
    package's small ones, and a sheet's cells are read as they come."""

    def __init__(self, package: Package, limits: ReadingLimits) -> None:
        self.package = package
        self.limits = limits
        self.text_chars = 0
        main = self._main_part()
        relationships = self._relationships(main)
        self.epoch, self.sheet_parts = self._sheets(main, relationships)
        styles = next((t for k, t in relationships.values() if k == "styles"), None)
        self.number_formats = self._styles(styles) if styles else []
        strings = next((t for k, t in relationships.values() if k == "sharedStrings"), None)
        self.shared: list[str] = self._shared_strings(strings) if strings else []

    def sheets(self, reading: Stage) -> list[_Sheet]:
        return [(name, *self._rows(part, reading)) for name, part in self.sheet_parts]

    # --- the package's structure -----------------------------------------------------------

    def _main_part(self) -> str:
        for kind, target in self._relationships("").values():
            if kind == "officeDocument":
                return target
        return "xl/workbook.xml"

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id to (kind, part), the kind a type's last word."""
        name = rels_path(part) if part else "_rels/.rels"
        found: dict[str, tuple[str, str]] = {}
        if not self.package.has(name):
            return found

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
                # A type by its last word: the same in the transitional and strict schemas.
                kind = attrs.get("Type", "").rpartition("/")[2]
                target = part_path(part or "/", attrs.get("Target", ""))
                found[attrs.get("Id", "")] = (kind, target)

        _parse_small(self.package, name, start)
        return found

    def _sheets(
        self, main: str, relationships: dict[str, tuple[str, str]]
    ) -> tuple[dt.datetime, list[tuple[str, str]]]:
        """The epoch dates count from and each worksheet's name and part; a chart or dialog
        sheet holds no table."""
        sheets: list[tuple[str, str]] = []
        epoch = [WINDOWS_EPOCH]

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = local(tag)
            if name == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                epoch[0] = CALENDAR_MAC_1904
            elif name == "sheet":
                kind, target = relationships.get(attrs.get(_REL_ID, ""), ("", ""))
                title = attrs.get("name", "")
                if kind == "worksheet":
                    if not self.package.has(target):
                        raise AnnexRejected(
                            gettext_noop(
                                "{not_a_workbook} Le falta la hoja «{title}»: está dañado."
                            ),
                            not_a_workbook=Message(NOT_A_WORKBOOK),
                            title=title[:60],
                        )
                    sheets.append((title, target))
                elif not kind:
                    raise AnnexRejected(
                        gettext_noop(
                            "{not_a_workbook} La hoja «{title}» no lleva a ninguna parte "
                            "del libro: está dañado."
                        ),
                        not_a_workbook=Message(NOT_A_WORKBOOK),
                        title=title[:60],
                    )

        _parse_small(self.package, main, start)
        return epoch[0], sheets

    def _styles(self, part: str) -> list[str]:
        """Each cell style's number format, by the style's index."""
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_xfs = [False]

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = local(tag)
            if name == "numFmt":
                custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "General")
            elif name == "cellXfs":
                in_cell_xfs[0] = True
            elif name == "xf" and in_cell_xfs[0]:
                formats.append(int(attrs.get("numFmtId", "0")))

        def end(tag: str) -> None:
            if local(tag) == "cellXfs":
                in_cell_xfs[0] = False

        if self.package.has(part):
            _parse_small(self.package, part, start, end)
        return [custom.get(i) or BUILTIN_FORMATS.get(i, "General") for i in formats]

    def _shared_strings(self, part: str) -> list[str]:
        """The shared strings, each checked as it is read; a rich one is its runs' text."""
        strings: list[str] = []
        if not self.package.has(part):
            return strings
        text = _CellText(self.limits)

        def start(tag: str, attrs: dict[str, str]) -> None:
            if local(tag) == "si":
                text.begin()
            elif text.open:
                text.start(local(tag))

        def end(tag: str) -> None:
            if local(tag) == "si":
                strings.append(text.end())
                self._count(len(strings[-1]))
            elif text.open:
                text.stop(local(tag))

        _stream(self.package, part, start, end, text.data)
        return strings

    def _count(self, chars: int) -> None:
        self.text_chars += chars
        if self.text_chars > self.limits.text_chars:
            raise over_limit(
                gettext_noop("caracteres de texto del archivo"), self.limits.text_chars
            )

    # --- a sheet ---------------------------------------------------------------------------

    def _rows(self, part: str, reading: Stage) -> tuple[_Rows, _Merged]:
        sheet = _SheetCells(self, reading)
        _stream(self.package, part, sheet.start, sheet.end, sheet.text.data)
        # The stage ends with the sheet, whatever its stored dimension estimated.
        end = max(sheet.estimate, sheet.row_elements)
        reading.advance(end, end)
        return sheet.rows, sheet.merged

    def cell_text(self, kind: str, value: str | None, style: int) -> str:
        """The text the cell shows, as a person reads it in Excel."""
        number_format = self.number_formats[style] if 0 <= style < len(self.number_formats) else ""
        if value is None:
            return ""
        if kind in ("s", "str", "inlineStr", "e"):
            text = self.shared[int(value)] if kind == "s" else value
            return text.strip()
        if kind == "b":
            return _cell_text(bool(int(value)), number_format)
        if kind == "d":
            return _cell_text(from_ISO8601(value), number_format)
        number: float | int = float(value) if any(c in value for c in ".eE") else int(value)
        if is_date_format(number_format):
            try:
                moment = from_excel(
                    number, self.epoch, timedelta=is_timedelta_format(number_format)
                )
            except (OverflowError, ValueError):
                return "#VALUE!"  # as openpyxl and Excel show a date beyond their calendar
            return _cell_text(moment, number_format)
        return _cell_text(number, number_format)


class _CellText:
    """The text of a cell or shared string, fed as expat reads it and counted as it comes:
    its own text and its rich runs' (not a phonetic guide's), a value, never past the limit."""

    __slots__ = ("capture", "chars", "elements", "limits", "open", "parts", "phonetic")

    def __init__(self, limits: ReadingLimits) -> None:
        self.limits = limits
        self.begin()
        self.open = False

    def begin(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.elements = 0
        self.capture = False
        self.phonetic = 0
        self.open = True

    def start(self, name: str) -> None:
        if name == "rPh":
            self.phonetic += 1
        elif name in ("t", "v") and not self.phonetic:
            self.capture = True
        # A cell may hold as many elements as characters: a million empty runs cost as much.
        self.elements += 1
        if self.elements > self.limits.cell_chars:
            raise cell_over_limit(self.limits)

    def stop(self, name: str) -> None:
        if name == "rPh":
            self.phonetic -= 1
        elif name in ("t", "v"):
            self.capture = False

    def data(self, text: str) -> None:
        if not self.open:
            return
        self.chars += len(text)
        if self.chars > self.limits.cell_chars:
            raise cell_over_limit(self.limits)
        if self.capture:
            self.parts.append(text)

    def end(self) -> str:
        self.open = False
        return "".join(self.parts)


class _SheetCells:
    """A sheet's rows as expat reads them: each cell's text once its end tag is read, the
    rows holding any kept by their number. A cell past the columns of the limit is never
    placed in a row; one with a value there rejects the file."""

    def __init__(self, workbook: _Workbook, reading: Stage) -> None:
        self.workbook = workbook
        self.limits = workbook.limits
        self.reading = reading
        self.rows: _Rows = []
        self.merged: _Merged = {}
        self.text = _CellText(workbook.limits)
        self.text.open = False
        self.row_elements = 0
        self.estimate = 0  # the rows the sheet says it spans, for the progress
        self.row_number = 0
        self.column = 0
        self.cells: list[str] = []
        self.kind = "n"
        self.style = 0
        self.has_value = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rpartition(" ")[2]  # local(tag), without a call for each of the elements
        if self.text.open:
            if name in ("v", "is"):
                self.has_value = True
            self.text.start(name)
        elif name == "c":
            reference = attrs.get("r")
            if reference:
                found = _COLUMN.match(reference)
                if found is None:
                    raise AnnexRejected(NOT_A_WORKBOOK)
                self.column = _column_index(found[1])
            else:
                self.column += 1
            self.kind = attrs.get("t", "n")
            self.style = int(attrs.get("s") or 0)
            self.has_value = False
            self.text.begin()
        elif name == "row":
            self.row_elements += 1
            if self.row_elements > self.limits.rows:
                raise _rows_over_limit(self.limits)
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.column = 0
            self.cells = []
            self.reading.advance(self.row_elements, max(self.estimate, self.row_elements))
        elif name == "dimension":
            found = _COLUMN.match(attrs.get("ref", "").rpartition(":")[2])
            self.estimate = int(found[2]) if found else 0
        elif name == "mergeCell":
            self._merge(attrs.get("ref", ""))

    def _merge(self, reference: str) -> None:
        """Keep a merge across columns of a cell with text (signatures side by side are read by
        where their cells stand): as many kept as the cells read, whatever the sheet declares.
        The merges follow the rows, all read by then."""
        first, _, last = reference.partition(":")
        start, end = _COLUMN.match(first), _COLUMN.match(last)
        if start is None or end is None:
            return
        number, column, past = int(start[2]), _column_index(start[1]) - 1, _column_index(end[1])
        if past <= column + 1:
            return  # one column wide: merged down the rows only
        index = bisect_left(self.rows, number, key=itemgetter(0))
        if index == len(self.rows) or self.rows[index][0] != number:
            return
        cells = self.rows[index][1]
        if column < len(cells) and cells[column]:
            self.merged.setdefault(number, {})[column] = past

    def end(self, tag: str) -> None:
        name = tag.rpartition(" ")[2]
        if name == "c" and self.text.open:
            text = self.text.end()
            if not self.has_value:
                return
            value = text if self.kind == "inlineStr" or text else None
            shown = self.workbook.cell_text(self.kind, value, self.style)
            if not shown:
                return
            if self.column > self.limits.columns:
                raise over_limit(
                    gettext_noop("columnas de una hoja"),
                    self.limits.columns,
                    advice=(
                        Message(
                            gettext_noop(
                                "Hay texto en la columna {letters} de la fila {row_number}; "
                                "deje en la hoja solo las columnas del anexo"
                            ),
                            {"letters": _letters(self.column), "row_number": self.row_number},
                        )
                    ),
                )
            # The cell's place is spelled out only for a cell refused: spelling it for every
            # cell cost a tenth of the reading.
            if NOT_XML.search(shown) is not None:
                check_characters(
                    shown,
                    Text(
                        gettext_noop("fila {row_number} · columna {letter}"),
                        row_number=self.row_number,
                        letter=column_letter(self.column - 1),
                    ),
                )
            if self.kind != "s":
                self.workbook._count(len(shown))
            if len(self.cells) < self.column:
                self.cells.extend([""] * (self.column - len(self.cells)))
            self.cells[self.column - 1] = shown
        elif self.text.open:
            self.text.stop(name)
        elif name == "row" and self.cells:
            if self.row_number > self.limits.rows:
                raise _rows_over_limit(self.limits)
            # A row numbered before the last one is out of place; a spreadsheet skips it.
            if not self.rows or self.row_number > self.rows[-1][0]:
                self.rows.append((self.row_number, self.cells))
            self.cells = []


def _rows_over_limit(limits: ReadingLimits) -> AnnexRejected:
    return over_limit(gettext_noop("filas de una hoja"), limits.rows)


def _letters(column: int) -> str:
    # A column past XFD is no spreadsheet's: told by its number.
    return column_letter(column - 1) if column <= 16_384 else f"número {column}"


@lru_cache(maxsize=1024)  # a sheet names the same few columns on every row
def _column_index(letters: str) -> int:
    """'A' is 1, 'XFD' 16 384."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def _parse_small(package: Package, part: str, start, end=None) -> None:
    """Parse one of the package's small parts, read whole."""
    parser = expat_parser()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    parser.Parse(package.read(part), True)


def _stream(package: Package, part: str, start, end, data) -> None:
    """Parse a part as it inflates, a chunk at a time."""
    parser = expat_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    with package.open(part) as member:
        while chunk := member.read(CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _cell_text(value, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "VERDADERO" if value else "FALSO"  # as a Spanish Excel shows them
    if isinstance(value, int | float):
        if "%" in (number_format or ""):
            return f"{round(value * 100, 2):g}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return _shown_date(value, number_format)
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
