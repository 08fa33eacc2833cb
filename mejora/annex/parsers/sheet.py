"""Walking a spreadsheet's rows: the layout an XLSX sheet and a sheet saved as CSV share.

The table is found by its header row, wherever it is; the text rows above the first cycle
heading give the title, institution, program and annex line. A merged cell holds its text in
its top-left cell only (and a CSV saved from it, in its first row), so the rows under an ASM
number left empty read as more activities of the same ASM. Rows are handed to the
AnnexBuilder, so cells read exactly as in the text parser.

Below the table, signatures may stand side by side, a signatory to a column (or to cells
merged across columns), empty columns between them: rows of roles, signature lines, names and
posts, read as every reader reads them (mejora.annex.signatures). Such rows could pass for a
table's, so only a row of nothing but signature lines, roles, verbs above a signature or
names after an honorific opens them; a block that proves no signatures is read row by row as
before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexRejected, Finding
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    HeaderMatch,
    has_first_heading,
    match_header,
    read_cycle_heading,
)
from mejora.annex.messages import Text, gettext_noop
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexBuilder,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.signatures import shows_signatures, signs, spanned_lines
from mejora.annex.words import squash

# More cells than any row of signatures has: a row of the table.
_MOST_SIGNATURES = 6


def column_letter(index: int) -> str:
    """The name a spreadsheet gives the column at this index: 'A', …, 'Z', 'AA', …"""
    letters = ""
    number = index + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def table_span(cells: list[str]) -> tuple[int, list[str]]:
    """Where the row's filled cells start, and the cells from there to its last filled one."""
    filled = [index for index, text in enumerate(cells) if text]
    if not filled:
        return 0, []
    return filled[0], cells[filled[0] : filled[-1] + 1]


def header_format(span: list[str]) -> HeaderMatch | None:
    return match_header(span) if has_first_heading(span) else None


def is_header(cells: list[str]) -> bool:
    return header_format(table_span(cells)[1]) is not None


class SheetReader(AnnexReader):
    """Reads a sheet's rows, each a list of stripped cell texts, into the reader's state;
    the caller then finishes with the words for where the table was looked for."""

    def __init__(
        self,
        catalogue: AreaCatalogue | CatalogueFor | None,
        findings: Iterable[Finding] = (),
        *,
        progress: Progress | None,
    ) -> None:
        super().__init__(catalogue, findings, progress=progress)
        self.offset = 0  # the column index of the table's first column
        # The rows a block of signatures holds, by where each is, until the block is read.
        self.signature_rows: dict[str, list[str]] = {}

    def walk(self, rows: Iterable[list[str]]) -> None:
        self.walk_numbered(enumerate(rows, start=1))

    def walk_numbered(
        self,
        rows: Iterable[tuple[int, list[str]]],
        merged: Mapping[int, Mapping[int, int]] | None = None,
    ) -> None:
        """Walk rows given with their numbers in the sheet: a workbook keeps no empty one.
        `merged` gives, by row number, where each cell merged across columns ends."""
        merged = merged or {}
        last = 0
        for number, cells in rows:
            if not any(cells):
                continue
            if number > last + 1:
                self.side_by_side.offer([])  # empty rows between: room to sign
            last = number
            where = Text(gettext_noop("fila {number}"), number=number)
            if self.builder is not None and self._signature_row(cells, merged.get(number), where):
                continue
            if self.side_by_side.lines:
                self._end_signatures()
            self._row(cells, where)
        self._end_signatures()

    def _signature_row(self, cells: list[str], spans: Mapping[int, int] | None, where: str) -> bool:
        """Whether the row goes into a block of signatures side by side, kept there until the
        block is read: one that opens a block, or the names and posts that go on with one."""
        texts = [text for text in cells if text]
        if len(texts) > _MOST_SIGNATURES:
            return False
        # The first cell tells most rows of a table at once, before the row is laid out.
        if not (self.side_by_side.lines or signs(texts[0].partition("\n")[0])):
            return False
        lines = spanned_lines(cells, spans)
        if not (lines and (self.side_by_side.lines or shows_signatures(lines))):
            return False
        if not self.offer_signature_line(" ".join(texts), lines[0], where):
            return False
        for line in lines[1:]:
            self.side_by_side.offer(line)
        self.signature_rows[where] = cells
        return True

    def _end_signatures(self) -> None:
        """Read the block of rows kept: its signatories, or else each row as it would have been."""
        rows, self.signature_rows = self.signature_rows, {}
        self.end_signatures(lambda _, where: self._row(rows[where], where))

    def _row(self, cells: list[str], where: str) -> None:
        start, span = table_span(cells)
        texts = [text for text in span if text]
        single = len(texts) == 1
        # A heading, the footnote or the date fills one cell, or two when an agency puts the
        # date in a cell of its own; table rows fill more.
        text_line = len(texts) <= 2
        # A table row's cells are never read as one line: joining them is most of the cost
        # of walking a long sheet.
        line = squash(" ".join(texts)) if text_line or self.builder is None else ""
        if single and self.read_signatory(line):
            return
        first_heading = has_first_heading(span)
        if self.prepared_seen:
            if not single:
                raise AnnexRejected(
                    gettext_noop("{where}: hay filas después de la «Fecha de Elaboración»."),
                    where=where,
                )
            self._ignore(line, where)
        elif text_line and read_cycle_heading(line) is not None:
            self.pending_headings.append((line, where))
        elif text_line and line.startswith(FOOTNOTE_MARKER):
            self.footnote = line
        elif text_line and (prepared := PREPARED_LINE.match(line)) is not None:
            self.read_prepared(prepared["date"], where)
        elif first_heading and (header := match_header(span)) is not None:
            self._header(header, start, where)
        elif first_heading and not single:
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
                gettext_noop("{where}: se esperaba el encabezado de columnas y hay «{line}»."),
                where=where,
                line=line[:60],
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
            raise AnnexRejected(
                gettext_noop("{where}: el encabezado de columnas cambia a mitad de la hoja."),
                where=where,
            )
        self.open_pending_sections()

    def _table_row(self, builder: AnnexBuilder, cells: list[str], where: str) -> None:
        end = self.offset + len(self.header.columns)
        for index, text in enumerate(cells):
            if text and not self.offset <= index < end:
                builder.note(
                    "ignored_cell",
                    f"{where} · columna {column_letter(index)}",
                    f"Celda fuera de las columnas del anexo, no se leyó: «{text[:60]}».",
                )
        texts = cells[self.offset : end] + [""] * max(0, end - len(cells))
        row = RawRow(self.header.cells(texts), where)
        builder.add_row(row, after_page_break=False)
