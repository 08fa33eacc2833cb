"""The seed's own layout: tab-separated rows of a table exported from a word processor.

Title lines, the institution, the program and the annex line come first; then, per cycle,
a heading, the header row (repeated on every page) and the rows. A blank line is where a
page broke; a row after it that fills none of the cells an activity needs continues the
previous row. The footnote may appear mid-table; 'Fecha de Elaboración' closes the file.
"""

from __future__ import annotations

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected, Finding
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    FORMATS,
    HeaderMatch,
    has_first_heading,
    heading_key,
    match_header,
    read_cycle_heading,
)
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import Message, Text, gettext_noop
from mejora.annex.parsers.encoding import NOT_XML_IN_LINES, check_text, decode
from mejora.annex.parsers.package import cell_over_limit
from mejora.annex.parsers.rows import (
    PREPARED_LINE,
    AnnexReader,
    CatalogueFor,
    RawRow,
    wrong_columns_message,
)
from mejora.annex.progress import Progress
from mejora.annex.signatures import MOST_PIECES, laid_out, text_pieces
from mejora.annex.words import squash


def parse_text(
    data: bytes | str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex in the seed's tab-separated layout."""
    if isinstance(data, bytes):
        text, findings = decode(data, limits, NOT_XML_IN_LINES)
    else:
        check_text(data, limits, NOT_XML_IN_LINES)
        text, findings = data, []
    if not text.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    # Counted before the text is split: ten million empty lines would cost gigabytes as a list.
    lines = sum(map(text.count, _LINE_ENDS)) - text.count("\r\n") + 1
    if lines > limits.rows:
        raise over_limit(gettext_noop("filas (líneas del texto)"), limits.rows)
    reader = _TextReader(catalogue, findings, progress=progress, limits=limits)
    return reader.read(text.splitlines())


# More columns than any row of signatures has: a row of the annex, however short of cells.
_MOST_SIGNATURES = 6
# What str.splitlines splits at.
_LINE_ENDS = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class _TextReader(AnnexReader):
    def __init__(
        self,
        catalogue: AreaCatalogue | CatalogueFor | None,
        findings: list[Finding],
        *,
        progress: Progress | None,
        limits: ReadingLimits,
    ) -> None:
        super().__init__(catalogue, findings, progress=progress)
        self.limits = limits

    def read(self, lines: list[str]) -> AnnexDocument:
        after_break = False
        for number, line in enumerate(lines, start=1):
            self.advance(number, len(lines))
            where = Text(gettext_noop("línea {number}"), number=number)
            if not line.strip():
                after_break = True
                self.side_by_side.offer([])
            elif "\t" in line:
                cells = self._cells(line, where)
                if self._signature_row(cells, line, where):
                    continue
                self.end_signatures(self._kept_line, arrange=laid_out)
                after_break = self._table_line(cells, where, after_break)
            else:
                if len(line) > self.limits.cell_chars:
                    raise cell_over_limit(self.limits)
                pieces = text_pieces(line, most=MOST_PIECES + 1)
                if self.offer_signature_line(line, pieces, where):
                    continue
                self.end_signatures(self._kept_line, arrange=laid_out)
                self._text_line(squash(line), where)
        self.end_signatures(self._kept_line, arrange=laid_out)
        return self._finish(len(lines))

    def _signature_row(self, cells: list[str], line: str, where: str) -> bool:
        """Whether a tab-separated row narrower than the annex's, below its table, goes into a
        block of signatures: a borderless table of them exported with the annex's."""
        if self.header is None or len(cells) >= len(self.header.columns):
            return False
        if has_first_heading(cells) or sum(1 for cell in cells if cell.strip()) > _MOST_SIGNATURES:
            return False
        return self.offer_signature_line(line, laid_out([line])[0], where)

    def _kept_line(self, line: str, where: str) -> None:
        """A line a block kept that proved no signatures, read as it would have been."""
        if "\t" in line:
            self._table_line(self._cells(line, where), where, after_break=False)
        else:
            self._text_line(squash(line), where)

    def _cells(self, line: str, where: str) -> list[str]:
        """The line's cells, each within the limits, the line refused before it is split."""
        width = line.count("\t") + 1
        if width > self.limits.columns:
            raise over_limit(
                gettext_noop("columnas de una tabla"),
                self.limits.columns,
                advice=Message(
                    gettext_noop("La {where} tiene {width} celdas separadas por tabuladores"),
                    {"where": where, "width": width},
                ),
            )
        cells = line.split("\t")
        if max(map(len, cells)) > self.limits.cell_chars:
            raise cell_over_limit(self.limits)
        return cells

    def _table_line(self, cells: list[str], where: str, after_break: bool) -> bool:
        """Handle one row; returns whether the next row still follows a page break."""
        if self.prepared_seen:
            raise AnnexRejected(
                gettext_noop("{where}: hay filas después de la «Fecha de Elaboración»."),
                where=where,
            )
        header = match_header(cells) if has_first_heading(cells) else None
        if header is not None:
            self._header(header, where)
            return after_break  # the header repeated atop a page keeps the break open
        if self.builder is None:
            if _looks_like_header(cells):
                raise AnnexRejected(wrong_columns_message(cells, where))
            raise AnnexRejected(
                gettext_noop("{where}: hay una fila de datos antes del encabezado de columnas."),
                where=where,
            )
        width = len(self.header.columns)
        if len(cells) != width:
            raise AnnexRejected(
                gettext_noop(
                    "{where}: la fila tiene {count} celdas y el {annex} tiene "
                    "{width}; el archivo puede estar truncado o tener columnas "
                    "de más."
                ),
                where=where,
                count=len(cells),
                annex=self.builder.annex.annex_line.split(".")[0],
                width=width,
            )
        row = RawRow({key: text.strip() for key, text in self.header.cells(cells).items()}, where)
        self.builder.add_row(row, after_page_break=after_break)
        return False

    def _header(self, header: HeaderMatch, where: str) -> None:
        if self.builder is None:
            self.start_with(header, where)
        elif header.columns != self.header.columns:
            raise AnnexRejected(
                gettext_noop("{where}: el encabezado de columnas cambia a mitad del archivo."),
                where=where,
            )
        self.open_pending_sections()

    def _text_line(self, line: str, where: str) -> None:
        if self.read_signatory(line):
            return
        if self.prepared_seen:
            raise AnnexRejected(
                gettext_noop("{where}: hay texto después de la «Fecha de Elaboración»."),
                where=where,
            )
        if read_cycle_heading(line) is not None:
            self.pending_headings.append((line, where))
        elif line.startswith(FOOTNOTE_MARKER):
            self.footnote = line
        elif (prepared := PREPARED_LINE.match(line)) is not None:
            self.read_prepared(prepared["date"], where)
        elif self.builder is None and not self.pending_headings:
            self.preamble.append(line)
        elif self.builder is not None:
            self.builder.note(
                "ignored_line", where, f"Texto fuera de la tabla, no se leyó: «{line[:60]}»."
            )
        else:
            raise AnnexRejected(
                gettext_noop("{where}: se esperaba el encabezado de columnas y hay «{line}»."),
                where=where,
                line=line[:60],
            )

    def _finish(self, line_count: int) -> AnnexDocument:
        if self.builder is not None and not self.pending_headings and not self.prepared_seen:
            raise AnnexRejected(
                gettext_noop(
                    "El archivo termina en la línea {line_count} sin la «Fecha "
                    "de Elaboración»: parece truncado."
                ),
                line_count=line_count,
            )
        return self.finish(unfinished="; el archivo parece truncado")


def _looks_like_header(cells: list[str]) -> bool:
    """'No.' first, or mostly known column names: a header row, however wrong its columns."""
    known = {heading_key(h) for annex in FORMATS.values() for h in annex.headings()}
    named = sum(1 for c in cells if heading_key(c) in known)
    return heading_key(cells[0]) == "no" or named * 2 > len(cells)
