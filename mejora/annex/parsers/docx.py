"""Word documents (DOCX): the annex as `render_docx` writes it, and as agencies type it.

The body is read in order, paragraphs and tables interleaved: the paragraphs before the first
cycle heading are the title block; a heading paragraph (or a table row holding only a heading)
opens a cycle; table rows that name a format's columns are header rows, repeated ones skipped;
the other rows go to `AnnexBuilder`, so every cell is read exactly as the text parser reads it.

Word merges a cell down several rows with `w:vMerge`; python-docx then gives the top cell's text
for every row. A merged ASM number or text is read as empty below its first row, which makes the
rows below more activities of the same ASM; a merged activity cell (the same area or date for
several activities) gives its text to each row it covers. One cycle may be typed as several
tables: the first row of a later table that fills none of the cells an activity needs is the
rest of the previous row, cut by a page break, as in the text layout.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from docx import Document
from docx.oxml.ns import qn

from mejora.annex.areas import AreaCatalogue
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
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.words import fold, squash

NOT_DOCX = "El archivo no es un documento de Word (DOCX) válido."
_HINTS = {
    b"%PDF": " Parece un PDF.",
    b"\xd0\xcf\x11\xe0": " Parece un documento de Office antiguo (DOC o XLS): guárdelo como DOCX.",
}
_P, _TBL, _TR, _TC, _R = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc"), qn("w:r")
_V_MERGE, _GRID_SPAN, _GRID_BEFORE = qn("w:vMerge"), qn("w:gridSpan"), qn("w:gridBefore")
_VERT_ALIGN, _TABS, _VAL, _TYPE = qn("w:vertAlign"), qn("w:tabs"), qn("w:val"), qn("w:type")
# Content controls and custom XML wrap paragraphs, tables, rows or cells without changing them.
_WRAPPERS = {qn("w:sdt"): qn("w:sdtContent"), qn("w:customXml"): None}
_ASPECT_KEYS = ("number", "aspect")
_FIRST_HEADINGS = {heading_key(f.columns[0].heading) for f in FORMATS.values()}
_RAISED = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def parse_docx(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
) -> AnnexDocument:
    """Read an annex from a Word document, ours or an agency's, into the neutral document."""
    if not data.strip():
        raise AnnexRejected("El archivo está vacío.")
    body = _open(data).element.body
    return _DocxReader(catalogue, progress=progress).read(body)


def _open(data: bytes):
    if _is_workbook(data):
        raise AnnexRejected(f"{NOT_DOCX} Es una hoja de cálculo (XLSX).")
    try:
        return Document(io.BytesIO(data))
    # A damaged file fails anywhere in zipfile, lxml or python-docx, each with its own error.
    except Exception as error:
        hint = next((h for sig, h in _HINTS.items() if data.startswith(sig)), "")
        raise AnnexRejected(NOT_DOCX + hint) from error


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "xl/workbook.xml" in names and "word/document.xml" not in names


def _children(element, tags: tuple[str, ...]):
    """The children with one of `tags`, looking inside content controls and custom XML."""
    for child in element.iterchildren():
        if child.tag in tags:
            yield child
        elif child.tag in _WRAPPERS:
            content = _WRAPPERS[child.tag]
            inner = child if content is None else child.find(content)
            if inner is not None:
                yield from _children(inner, tags)


class _Text:
    """The paragraphs of a paragraph or a cell, fed the text-bearing elements in order.

    Read as python-docx's `Run.text` reads a run (tabs, line breaks, no deleted text), straight
    from the XML: python-docx's element accessors look up each child by name, which is most
    of the time on a long annex. Superscript digits become such: '¹' typed as a raised '1'.
    """

    __slots__ = ("paragraphs", "raised")

    def __init__(self) -> None:
        self.paragraphs: list[list[str]] = []
        self.raised = False

    def feed(self, element, tag: str) -> None:
        if tag == _P:
            self.paragraphs.append([])
            self.raised = False
        elif tag == _R:
            self.raised = False
        elif tag == _VERT_ALIGN:
            # Only a run's own properties: not the paragraph mark's, not a tracked change's.
            if element.getparent().getparent().tag == _R:
                self.raised = element.get(_VAL) == "superscript"
        elif self.paragraphs:
            text = _RUN_TEXT[tag](element)
            self.paragraphs[-1].append(text.translate(_RAISED) if self.raised else text)

    def text(self) -> str:
        return "\n".join("".join(parts) for parts in self.paragraphs)


def _tab(tab) -> str:
    """A tab character; the tab stops of a paragraph's properties are not text."""
    return "" if tab.getparent().tag == _TABS else "\t"


def _line_break(br) -> str:
    """A line break; a page or column break inside a paragraph adds no text."""
    return "\n" if br.get(_TYPE, "textWrapping") == "textWrapping" else ""


_RUN_TEXT = {
    qn("w:t"): lambda t: t.text or "",
    qn("w:tab"): _tab,
    qn("w:ptab"): lambda _: "\t",
    qn("w:br"): _line_break,
    qn("w:cr"): lambda _: "\n",
    qn("w:noBreakHyphen"): lambda _: "-",
}
_TEXT_TAGS = (_P, _R, _VERT_ALIGN, *_RUN_TEXT)


def _paragraph_text(p) -> str:
    text = _Text()
    for element in p.iter(*_TEXT_TAGS):
        text.feed(element, element.tag)
    return text.text()


@dataclass
class _Cell:
    text: _Text = field(default_factory=_Text)
    continued: bool = False
    span: int = 1


@dataclass
class _RawTableRow:
    cells: list[_Cell] = field(default_factory=list)
    grid_before: int = 0


def _table_rows(tbl) -> Iterator[_RawTableRow]:
    """The table's rows in one pass over the elements that matter, in document order.

    A table nested in a cell adds its text to that cell; its rows and cells are not the
    annex's. Rows and cells wrapped in content controls are rows and cells all the same.
    """
    row: _RawTableRow | None = None
    tr = tc = None
    for element in tbl.iter(_TR, _TC, _V_MERGE, _GRID_SPAN, _GRID_BEFORE, *_TEXT_TAGS):
        tag = element.tag
        if tag == _TR:
            if next(element.iterancestors(_TBL)) is tbl:
                if row is not None:
                    yield row
                row, tr, tc = _RawTableRow(), element, None
        elif tag == _TC:
            if tr is not None and next(element.iterancestors(_TR)) is tr:
                row.cells.append(_Cell())
                tc = element
        elif tag == _GRID_BEFORE:
            # The row's own properties (w:trPr), not a tracked change's former ones.
            if tr is not None and element.getparent().getparent() is tr:
                row.grid_before = int(element.get(_VAL, "0"))
        elif tag in (_V_MERGE, _GRID_SPAN):
            if tc is not None and element.getparent().getparent() is tc:
                if tag == _V_MERGE:
                    row.cells[-1].continued = element.get(_VAL, "continue") != "restart"
                else:
                    row.cells[-1].span = int(element.get(_VAL, "1"))
        elif tc is not None:
            row.cells[-1].text.feed(element, tag)
    if row is not None:
        yield row


class _TableRow:
    """One row's texts by grid column, and which of them continue a merged cell from above."""

    def __init__(self, raw: _RawTableRow, above: _TableRow | None) -> None:
        self.texts: list[str] = [""] * raw.grid_before
        self.continued: set[int] = set()
        for cell in raw.cells:
            column = len(self.texts)
            if cell.continued:
                self.continued.add(column)
                inherited = above.texts[column] if above and column < len(above.texts) else ""
                self.texts.append(inherited)
            else:
                self.texts.append(cell.text.text())
            self.texts.extend([""] * (cell.span - 1))

    def filled(self) -> list[str]:
        return [text for text in self.texts if text.strip()]

    def trimmed(self) -> list[str]:
        """The texts without the empty grid columns at the end, to compare with a header."""
        end = len(self.texts)
        while end and not self.texts[end - 1].strip():
            end -= 1
        return self.texts[:end]


def _header_format(row: _TableRow) -> HeaderMatch | None:
    """The annex whose columns the row names, in any order; a row without 'No.' is data."""
    if not any(len(t) < 20 and heading_key(t) in _FIRST_HEADINGS for t in row.texts):
        return None
    return match_header(row.trimmed())


class _DocxReader(AnnexReader):
    def __init__(
        self, catalogue: AreaCatalogue | CatalogueFor | None, *, progress: Progress | None
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.paragraphs = 0
        self.tables = 0
        self.rows = self.row_count = 0  # table rows read, and in the body (for the progress)

    def read(self, body) -> AnnexDocument:
        self.row_count = sum(1 for _ in body.iter(_TR))
        for block in _children(body, (_P, _TBL)):
            if block.tag == _P:
                self.paragraphs += 1
                self._text(squash(_paragraph_text(block)), f"párrafo {self.paragraphs}")
            else:
                self.tables += 1
                self._table(block, self.tables)
        self.advance(self.row_count, self.row_count)  # rows of nested tables are not walked
        return self.finish(container=" en el documento")

    # --- paragraphs ------------------------------------------------------------------------

    def _text(self, line: str, where: str) -> None:
        if not line:
            return
        if read_cycle_heading(line) is not None:
            self.pending_headings.append((line, where))
        elif line.startswith(FOOTNOTE_MARKER):
            self.footnote = line
        elif (prepared := PREPARED_LINE.match(line)) is not None and not self.prepared_seen:
            self.read_prepared(prepared["date"], where)
        elif self.builder is None and not self.pending_headings:
            self.preamble.append(line)
        else:
            # Notes, signatures or page furniture around the tables: shown, not read.
            self.note("ignored_line", where, f"Texto fuera de la tabla, no se leyó: «{line[:60]}».")

    # --- tables ----------------------------------------------------------------------------

    def _table(self, tbl, number: int) -> None:
        rows = []
        above: _TableRow | None = None
        for index, raw in enumerate(_table_rows(tbl), start=1):
            self.rows += 1
            self.advance(self.rows, self.row_count)
            above = _TableRow(raw, above)
            if above.filled():
                rows.append((f"tabla {number}, fila {index}", above))
        formats = [_header_format(row) for _, row in rows]
        width = max((len(row.texts) for _, row in rows), default=0)
        if not any(formats) and (self.builder is None or width != len(self.header.columns)):
            # A table without the annex's columns: the title block laid out in a table, or
            # the signatures after the annex.
            for where, row in rows:
                self._outside_annex(row, where)
            return
        first_data_row = True
        for (where, row), header in zip(rows, formats, strict=True):
            filled = row.filled()
            if header is not None:
                self._header(header, where)
            elif len(filled) == 1 and read_cycle_heading(squash(filled[0])) is not None:
                self.pending_headings.append((squash(filled[0]), where))
            elif self.builder is None:
                self._outside_annex(row, where)
            else:
                # A later table of the same cycle starts where a page broke in Word.
                self._data_row(row, where, after_page_break=first_data_row)
                first_data_row = False

    def _header(self, header: HeaderMatch, where: str) -> None:
        if self.builder is None:
            self.start_with(header, where)
        elif header.columns != self.header.columns:
            raise AnnexRejected(f"{where}: el encabezado de columnas cambia a mitad del archivo.")
        self.open_pending_sections()

    def _outside_annex(self, row: _TableRow, where: str) -> None:
        """A row of no annex table: its text is read as paragraphs would be."""
        if fold(row.texts[0]).rstrip(".") == "no":
            raise AnnexRejected(wrong_columns_message(row.trimmed(), where))
        filled = row.filled()
        label = PREPARED_LINE.match(squash(filled[0])) if len(filled) == 2 else None
        if label is not None and not label["date"]:
            # 'Fecha de Elaboración:' in one cell and the date in the next, as in a workbook.
            self._text(squash(" ".join(filled)), where)
            return
        for text in row.filled():
            for line in text.splitlines():
                self._text(squash(line), where)

    def _data_row(self, row: _TableRow, where: str, *, after_page_break: bool) -> None:
        assert self.builder is not None
        # A cycle typed without its own header row continues the columns already read.
        self.open_pending_sections()
        columns = self.header.columns
        extra = [text for text in row.texts[len(columns) :] if text.strip()]
        if extra:
            raise AnnexRejected(
                f"{where}: la fila tiene texto en {len(row.texts)} columnas y el "
                f"{self.builder.annex.annex_line.split('.')[0]} tiene {len(columns)}."
            )
        texts = row.texts + [""] * (len(columns) - len(row.texts))
        cells = {}
        for index, (column, text) in enumerate(zip(columns, texts, strict=False)):
            if column is None:
                continue  # a column of no annex, reported with the header
            merged_aspect = column.key in _ASPECT_KEYS and index in row.continued
            cells[column.key] = "" if merged_aspect else text.strip()
        self.builder.add_row(RawRow(cells, where), after_page_break=after_page_break)
