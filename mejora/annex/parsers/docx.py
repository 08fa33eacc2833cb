"""Word documents (DOCX): the annex as `render_docx` writes it, and as agencies type it.

The body is read in order, paragraphs and tables interleaved: the paragraphs before the first
cycle heading are the title block; a heading paragraph (or a table row holding only a heading)
opens a cycle; table rows that name a format's columns are header rows, repeated ones skipped;
the other rows go to `AnnexBuilder`, so every cell is read exactly as the text parser reads it.

The body is streamed from the package and let go as it is read: each table row once its end
tag is parsed, the paragraphs around the tables once the next table starts. A long annex's XML
is many times the size of its text, and is never held whole.

Word merges a cell down several rows with `w:vMerge`; the rows below the first hold an empty
cell that continues it. A merged ASM number or text is read as empty below its first row, which
makes the rows below more activities of the same ASM; a merged activity cell (the same area or
date for several activities) gives its text to each row it covers. One cycle may be typed as
several tables: the first row of a later table that fills none of the cells an activity needs is
the rest of the previous row, cut by a page break, as in the text layout.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import (
    ASPECT_KEYS,
    FOOTNOTE_MARKER,
    HeaderMatch,
    has_first_heading,
    match_header,
    read_cycle_heading,
)
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import Message, Text, gettext_noop, joined
from mejora.annex.parsers.encoding import check_characters
from mejora.annex.parsers.package import (
    CHUNK,
    Member,
    OverLimit,
    Package,
    beyond,
    cell_over_limit,
)
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.signatures import grid_lines, is_rule, tabbed_lines
from mejora.annex.words import fold, squash

NOT_DOCX = gettext_noop("El archivo no es un documento de Word (DOCX) válido.")
_HINTS = {
    b"%PDF": gettext_noop("Parece un PDF."),
    b"\xd0\xcf\x11\xe0": gettext_noop(
        "Parece un documento de Office antiguo (DOC o XLS): guárdelo como DOCX."
    ),
}
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _qn(name: str) -> str:
    """The Clark name of a WordprocessingML tag written as 'w:tag'."""
    return f"{{{_W_NS}}}{name.removeprefix('w:')}"


_BODY, _P, _TBL, _TR, _TC, _R = map(_qn, ("w:body", "w:p", "w:tbl", "w:tr", "w:tc", "w:r"))
_V_MERGE, _GRID_SPAN, _GRID_BEFORE = _qn("w:vMerge"), _qn("w:gridSpan"), _qn("w:gridBefore")
_VERT_ALIGN, _TABS, _VAL, _TYPE = _qn("w:vertAlign"), _qn("w:tabs"), _qn("w:val"), _qn("w:type")
# Content controls and custom XML wrap paragraphs and tables without changing them.
_SDT, _SDT_CONTENT, _CUSTOM_XML = _qn("w:sdt"), _qn("w:sdtContent"), _qn("w:customXml")
# Columns typed with tabs or long runs of spaces, as signatures side by side are; two spaces
# are a slip of the typist more often.
_SPACED = re.compile(r"\t|\S {4,}\S")
_RAISED = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# Word lays out at most 63 columns; a larger span or offset is damage, not a wider table.
_MAX_GRID = 64

# The package's parts as python-docx finds them: the main part by its relationship, checked to
# be a Word document's by its content type.
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_WORD_MAIN = f"{_WML}document.main+xml"
# The other parts python-docx parsed as it opened a file: a malformed one made it refuse the
# file, and still does, though only the document part is read.
_PARSED_TYPES = {
    "application/vnd.openxmlformats-package.core-properties+xml",
    *(f"{_WML}{kind}+xml" for kind in ("comments", "footer", "header", "numbering")),
    *(f"{_WML}{kind}+xml" for kind in ("settings", "styles")),
}


def _xml_parser() -> etree.XMLParser:
    # As python-docx parses: no entity is expanded, no file or network is read.
    return etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def parse_docx(
    data: bytes,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex from a Word document, ours or an agency's, into the neutral document."""
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    package, part, row_count = _open(data, limits)
    with package:
        reader = _DocxReader(catalogue, progress=progress, limits=limits)
        return reader.read(package, part, row_count)


def _open(data: bytes, limits: ReadingLimits) -> tuple[Package, str, int]:
    """The package, the name of its document part and about how many table rows it holds."""
    package = Package(data, limits, lambda: _not_docx(data))
    if package.has("xl/workbook.xml") and not package.has("word/document.xml"):
        package.zip.close()
        raise AnnexRejected(
            gettext_noop("{not_docx} Es una hoja de cálculo (XLSX)."), not_docx=Message(NOT_DOCX)
        )
    try:
        types = _ContentTypes(package)
        part = _main_part(package, types)
        _check_parts(package, part, types)
        rows = _count_rows(package, part)
    except AnnexRejected:
        package.zip.close()
        raise
    # A damaged package fails anywhere in zipfile, zlib or lxml, each with its own error.
    except Exception as error:
        package.zip.close()
        raise _not_docx(data) from error
    if rows > limits.rows:
        package.zip.close()
        raise beyond(gettext_noop("filas de las tablas del documento"), limits.rows)
    return package, part, rows


def _not_docx(data: bytes) -> AnnexRejected:
    hint = next((h for sig, h in _HINTS.items() if data.startswith(sig)), None)
    if hint is None:
        return AnnexRejected(NOT_DOCX)
    return AnnexRejected(joined([Message(NOT_DOCX), Message(hint)]))


class _ContentTypes:
    """The package's content types, by part name or else by extension, in any letter case."""

    def __init__(self, package: Package) -> None:
        types = etree.fromstring(package.read("[Content_Types].xml"), _xml_parser())
        self.overrides = {
            o.get("PartName", "").lower(): o.get("ContentType")
            for o in types.iter(f"{_CONTENT_TYPES}Override")
        }
        self.defaults = {
            d.get("Extension", "").lower(): d.get("ContentType")
            for d in types.iter(f"{_CONTENT_TYPES}Default")
        }

    def of(self, member: str) -> str | None:
        extension = posixpath.splitext(member)[1].lstrip(".").lower()
        return self.overrides.get(f"/{member}".lower(), self.defaults.get(extension))


def _main_part(package: Package, types: _ContentTypes) -> str:
    """The zip member of the package's main part; a part of another kind is refused."""
    relationships = etree.fromstring(package.read("_rels/.rels"), _xml_parser())
    target = next(
        r.get("Target", "")
        for r in relationships.iter(_RELATIONSHIP)
        if r.get("Type") == _OFFICE_DOCUMENT and r.get("TargetMode") != "External"
    )
    member = posixpath.normpath(posixpath.join("/", target)).lstrip("/")
    if types.of(member) != _WORD_MAIN:
        raise ValueError(f"the main part is a {types.of(member)}, not a Word document")
    return member


def _check_parts(package: Package, part: str, types: _ContentTypes) -> None:
    """Fail on a damaged member, or a malformed one of the parts python-docx parsed; the
    document part is checked as it is read."""
    for name in package.members:
        if name == part:
            continue
        parsed = name.endswith(".rels") or types.of(name) in _PARSED_TYPES
        parser = _well_formed_parser() if parsed else None
        with package.open(name, xml=parsed) as member:
            while chunk := member.read(CHUNK):
                if parser is not None:
                    parser.feed(chunk)
        if parser is not None:
            parser.close()


class _Discard:
    """A parser target that keeps nothing: the part is only checked to be well-formed."""

    def close(self) -> None:
        return None


def _well_formed_parser() -> etree.XMLParser:
    return etree.XMLParser(target=_Discard(), resolve_entities=False, no_network=True)


def _count_rows(package: Package, part: str) -> int:
    """The table rows of the part, counted by their tags in its bytes: the reading's total.

    Reading the whole part also finds a damaged archive before any of it is read.
    """
    with package.open(part) as stream:
        chunk = stream.read(CHUNK)
        declared = re.search(rb'xmlns(?::([\w.-]+))?="' + _W_NS.encode() + b'"', chunk)
        prefix = (declared[1] + b":" if declared[1] else b"") if declared else b"w:"
        tag = re.compile(rb"<" + re.escape(prefix) + rb"tr[\s/>]")
        count, tail = 0, b""
        while chunk:
            text = tail + chunk
            count += len(tag.findall(text))
            # One byte shorter than a tag: none is counted twice, none cut in two is missed.
            tail = text[-(len(prefix) + 3) :]
            chunk = stream.read(CHUNK)
    return count


def _elements(stream: Member) -> Iterator[etree._Element]:
    """The part's table rows and tables, each once its end tag is read, and last its body.

    Paragraphs are not told one by one: most are in cells, read with their row, and telling
    each costs more than reading it.
    """
    events = etree.iterparse(
        stream,
        events=("end",),
        tag=(_TR, _TBL, _BODY),
        remove_blank_text=True,
        resolve_entities=False,
        no_network=True,
    )
    try:
        for _, element in events:
            yield element
    except (etree.LxmlError, zipfile.BadZipFile, EOFError, OSError) as error:
        raise AnnexRejected(NOT_DOCX) from error


def _blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """The paragraphs and tables of the body, looking inside content controls and custom XML."""
    for child in parent.iterchildren():
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)
        elif child.tag == _CUSTOM_XML:
            yield from _blocks(child)


def _in_body(element: etree._Element) -> bool:
    """Whether a table is one of the body's `_blocks`, not a cell's or a text box's."""
    parent = element.getparent()
    while parent is not None and parent.tag in (_SDT_CONTENT, _CUSTOM_XML):
        if parent.tag == _SDT_CONTENT:
            control = parent.getparent()
            if control is None or control.tag != _SDT or control.find(_SDT_CONTENT) is not parent:
                return False
            parent = control
        parent = parent.getparent()
    return parent is not None and _is_body(parent)


def _is_body(element: etree._Element) -> bool:
    """Whether the element is the document's body, not a stray one deeper down."""
    parent = element.getparent()
    return element.tag == _BODY and parent is not None and parent.getparent() is None


def _forget(element: etree._Element) -> None:
    """Free what was read: the element's content and whatever came before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


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
        if tag == _T:  # most of what a cell holds: told first
            if self.paragraphs:
                text = element.text or ""
                self.paragraphs[-1].append(text.translate(_RAISED) if self.raised else text)
        elif tag == _P:
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


_T = _qn("w:t")
_RUN_TEXT = {
    _T: lambda t: t.text or "",
    _qn("w:tab"): _tab,
    _qn("w:ptab"): lambda _: "\t",
    _qn("w:br"): _line_break,
    _qn("w:cr"): lambda _: "\n",
    _qn("w:noBreakHyphen"): lambda _: "-",
}
_TEXT_TAGS = (_P, _R, _VERT_ALIGN, *_RUN_TEXT)
_TEXT_TAG_SET = frozenset(_TEXT_TAGS)


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


def _raw_row(tr: etree._Element, limits: ReadingLimits, where: str) -> _RawTableRow:
    """The row's cells in one pass over the elements that matter, in document order.

    A table nested in a cell adds its text to that cell; its rows and cells are not the
    annex's. Cells wrapped in content controls are cells all the same.
    """
    row = _RawTableRow()
    tc = None
    feed = None  # the text of the row's cell being read
    for element in tr.iter(_TC, _V_MERGE, _GRID_SPAN, _GRID_BEFORE, *_TEXT_TAGS):
        tag = element.tag
        if feed is not None and tag in _TEXT_TAG_SET:  # most elements: told first
            feed(element, tag)
        elif tag == _TC:
            if element.getparent() is tr or next(element.iterancestors(_TR)) is tr:
                row.cells.append(_Cell())
                tc = element
                feed = row.cells[-1].text.feed
                if len(row.cells) > limits.columns:
                    raise _columns_over_limit(limits, where)
        elif tag == _GRID_BEFORE:
            # The row's own properties (w:trPr), not a tracked change's former ones.
            if element.getparent().getparent() is tr:
                row.grid_before = _grid_count(element, "0")
        elif tc is not None and element.getparent().getparent() is tc:
            # A cell's own properties (w:tcPr): how it spans the grid and merges down.
            if tag == _V_MERGE:
                row.cells[-1].continued = element.get(_VAL, "continue") != "restart"
            else:
                row.cells[-1].span = _grid_count(element, "1")
    return row


def _columns_over_limit(limits: ReadingLimits, where: str) -> OverLimit:
    return beyond(
        gettext_noop("columnas de una tabla"),
        limits.columns,
        advice=Message(
            gettext_noop("La {where} tiene más; deje en la tabla solo las columnas del anexo"),
            {"where": where},
        ),
    )


def _grid_count(element: etree._Element, default: str) -> int:
    try:
        return min(int(element.get(_VAL, default)), _MAX_GRID)
    except ValueError:
        raise AnnexRejected(NOT_DOCX) from None


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
    if not has_first_heading(row.texts):
        return None
    return match_header(row.trimmed())


@dataclass
class _Table:
    """A body table being read: its number, its last row, and its filled rows while no header
    row has said they are the annex's."""

    element: etree._Element
    number: int
    rows: int = 0
    above: _TableRow | None = None
    waiting: list[tuple[_TableRow, str]] = field(default_factory=list)
    annex: bool = False
    first_data_row: bool = True


class _DocxReader(AnnexReader):
    def __init__(
        self,
        catalogue: AreaCatalogue | CatalogueFor | None,
        *,
        progress: Progress | None,
        limits: ReadingLimits,
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.limits = limits
        self.stream: Member | None = None
        self.text_chars = 0
        self.paragraphs = 0
        self.tables = 0
        self.rows = self.row_count = 0  # table rows read, and in the body (for the progress)
        self.table: _Table | None = None

    def read(self, package: Package, part: str, row_count: int) -> AnnexDocument:
        self.row_count = row_count
        with package.open(part) as stream:
            # What a row, or the paragraphs between two tables, may take as XML: as many
            # cells as a row may have, each as long as a cell may be, in UTF-8.
            stream.held_limit = max(self.limits.columns * self.limits.cell_chars * 4, 1 << 20)
            self.stream = stream
            elements = _elements(stream)
            try:
                for element in elements:
                    self._element(element)
            except OverLimit:
                raise
            except AnnexRejected:
                # A damaged file is told as such, not by what its damage made of a row.
                for element in elements:
                    _forget(element)
                    stream.release()
                raise
        total = max(self.row_count, self.rows)
        self.advance(total, total)  # rows of nested tables are not walked
        return self.finish(container=" en el documento")

    def _element(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == _TR:
            tbl = element.getparent()
            if tbl is not None and tbl.tag != _TBL:
                tbl = next(tbl.iterancestors(_TBL), None)
            if self.table is None or tbl is not self.table.element:
                if tbl is None or not _in_body(tbl):
                    return  # a row of a table in a cell, read with that cell
                self._start_table(tbl)
            self._row(self.table, element)
        elif tag == _TBL:
            if self.table is None or element is not self.table.element:
                if not _in_body(element):
                    return
                self._start_table(element)  # a table without rows
            self._end_table(self.table)
            self.table = None
        elif _is_body(element):
            self._paragraphs_before(None, element)
        else:
            return
        _forget(element)
        assert self.stream is not None
        self.stream.release()

    def _start_table(self, tbl: etree._Element) -> None:
        self._paragraphs_before(tbl, next(tbl.iterancestors(_BODY)))
        self.tables += 1
        self.table = _Table(tbl, self.tables)

    def _check_text(self, text: str, where: str) -> None:
        """A cell's or paragraph's text within the limits, and only of characters."""
        if len(text) > self.limits.cell_chars:
            raise cell_over_limit(self.limits)
        self.text_chars += len(text)
        if self.text_chars > self.limits.text_chars:
            raise beyond(gettext_noop("caracteres de texto del archivo"), self.limits.text_chars)
        check_characters(text, where)

    # --- paragraphs ------------------------------------------------------------------------

    def _paragraphs_before(self, tbl: etree._Element | None, body: etree._Element) -> None:
        """Read the body's paragraphs up to the table starting now, or to the end: the title
        block, headings and notes around the tables, each read once and then let go."""
        for block in list(_blocks(body)):
            if block is tbl:
                break
            if block.tag == _P:
                self.paragraphs += 1
                where = Text(gettext_noop("párrafo {paragraphs}"), paragraphs=self.paragraphs)
                text = _paragraph_text(block)
                self._check_text(text, where)
                if not self._signature_lines(text, where):
                    self.end_signatures(self._kept_line, arrange=tabbed_lines)
                    self._text(squash(text), where)
                block.getparent().remove(block)
        self.end_signatures(self._kept_line, arrange=tabbed_lines)

    def _signature_lines(self, text: str, where: str) -> bool:
        """Whether the paragraph below the table is read as lines of a block of signatures
        side by side: parted by tabs or runs of spaces, signature lines, or an empty paragraph
        within the block. Its later lines the block does not take are read as paragraphs."""
        if self.builder is None:
            return False
        if text.strip() and not _SPACED.search(text) and not is_rule(tabbed_lines([text])[0]):
            return False
        for number, line in enumerate(text.split("\n")):
            if self.offer_signature_line(line, tabbed_lines([line])[0], where):
                continue
            if number == 0:
                return False  # not in a block: the paragraph is read whole, as any other
            self.end_signatures(self._kept_line, arrange=tabbed_lines)
            self._text(squash(line), where)
        return True

    def _kept_line(self, line: str, where: str) -> None:
        self._text(squash(line), where)

    def _text(self, line: str, where: str) -> None:
        if not line:
            return
        if read_cycle_heading(line) is not None:
            self.pending_headings.append((line, where))
        elif self.read_signatory(line):
            pass
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

    def _row(self, table: _Table, tr: etree._Element) -> None:
        table.rows += 1
        self.rows += 1
        self.advance(self.rows, self.row_count)
        where = Text(
            gettext_noop("tabla {number}, fila {rows}"), number=table.number, rows=table.rows
        )
        row = table.above = _TableRow(_raw_row(tr, self.limits, where), table.above)
        if len(row.texts) > self.limits.columns:
            raise _columns_over_limit(self.limits, where)
        for text in row.texts:
            self._check_text(text, where)
        if not row.filled():
            return
        header = _header_format(row)
        if table.annex:
            self._annex_row(table, row, header, where)
        elif header is not None:
            # A header row makes the table the annex's, with the rows it had before.
            table.annex = True
            for waiting, waiting_where in table.waiting:
                self._annex_row(table, waiting, None, waiting_where)
            table.waiting.clear()
            self._annex_row(table, row, header, where)
        else:
            table.waiting.append((row, where))

    def _end_table(self, table: _Table) -> None:
        if table.annex:
            return
        width = max((len(row.texts) for row, _ in table.waiting), default=0)
        if self.builder is None or width != len(self.header.columns):
            # A table without the annex's columns: the title block laid out in a table, or
            # the signatures after the annex.
            rows = [row.texts for row, _ in table.waiting]
            if rows and self.take_signatures(grid_lines(rows), table.waiting[0][1]):
                return
            for row, where in table.waiting:
                self._outside_annex(row, where)
        else:
            for row, where in table.waiting:
                self._annex_row(table, row, None, where)

    def _annex_row(
        self, table: _Table, row: _TableRow, header: HeaderMatch | None, where: str
    ) -> None:
        filled = row.filled()
        if header is not None:
            self._header(header, where)
        elif len(filled) == 1 and read_cycle_heading(squash(filled[0])) is not None:
            self.pending_headings.append((squash(filled[0]), where))
        elif self.builder is None:
            self._outside_annex(row, where)
        else:
            # A later table of the same cycle starts where a page broke in Word.
            self._data_row(row, where, after_page_break=table.first_data_row)
            table.first_data_row = False

    def _header(self, header: HeaderMatch, where: str) -> None:
        if self.builder is None:
            self.start_with(header, where)
        elif header.columns != self.header.columns:
            raise AnnexRejected(
                gettext_noop("{where}: el encabezado de columnas cambia a mitad del archivo."),
                where=where,
            )
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
                gettext_noop(
                    "{where}: la fila tiene texto en {count} columnas y el {annex} "
                    "tiene {expected}."
                ),
                where=where,
                count=len(row.texts),
                annex=self.builder.annex.annex_line.split(".")[0],
                expected=len(columns),
            )
        texts = row.texts + [""] * (len(columns) - len(row.texts))
        cells = {}
        for index, (column, text) in enumerate(zip(columns, texts, strict=False)):
            if column is None:
                continue  # a column of no annex, reported with the header
            merged_aspect = column.key in ASPECT_KEYS and index in row.continued
            cells[column.key] = "" if merged_aspect else text.strip()
        self.builder.add_row(RawRow(cells, where), after_page_break=after_page_break)
