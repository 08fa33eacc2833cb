"""Reading an Anexo F (posición institucional) from text, Word or PDF.

Each format is first turned into blocks in reading order, paragraphs and tables, and one
reader walks them the same way for every format: the title block's labelled lines, the
numbered section headings ('1. Comentarios generales' … '5. Firmantes'), and the tables by
their headings (recommendations, ASM, counts, signatories), in any order and close spelling.
An agency's file is free in its layout, so nothing depends on where a table stands, only on
what it says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise

from mejora.annex.document import AnnexRejected, Finding
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import gettext_noop
from mejora.annex.parsers.encoding import NOT_XML_IN_LINES, decode
from mejora.annex.position import (
    Acceptance,
    Block,
    Paragraph,
    PositionAspect,
    PositionCounts,
    PositionDocument,
    RecommendationEntry,
    Signatory,
    Table,
    count_row_key,
    own_count_findings,
    read_acceptance,
)
from mejora.annex.signatures import (
    MOST_PIECES,
    Line,
    SideBySide,
    grid_lines,
    laid_out,
    read_signatures,
    text_pieces,
)
from mejora.annex.words import fold, squash

_ENUMERATOR = re.compile(r"^(?:\(?(?:\d{1,2}|[ivx]{1,4})[.)-]?\s+|[a-e][.)]\s+)")
_SECTIONS = (
    ("general", lambda t: t.startswith("comentarios generales")),
    ("specific", lambda t: t.startswith("comentarios especificos")),
    ("discarded", lambda t: t.startswith("recomendaciones descartadas")),
    ("sources", lambda t: t.startswith(("fuentes de informacion", "fuentes utilizadas"))),
    ("units", lambda t: t.startswith("unidades") and "particip" in t),
    ("signatories", lambda t: t.startswith(("firmantes", "firmas"))),
)
_HEADER_LINES = (
    ("institution", ("nombre de la dependencia", "dependencia/entidad", "dependencia o entidad")),
    ("program", ("nombre del programa", "programa")),
    ("evaluation", ("nombre de la evaluacion", "evaluacion", "tipo de evaluacion")),
)
_LABELLED = re.compile(r"^(?P<label>[^:]{2,60}):\s*(?P<value>.*)$")
_COUNT_LINE = re.compile(r"^(?P<label>[^:]{2,60}):\s*(?P<number>\d{1,5})\.?$")
_BULLET = re.compile(r"^(?:[•·\-–*]|\d{1,2}[.)])\s+")
_MAX_HEADING = 120


def section_of(text: str) -> str | None:
    """Which section a heading opens ('2. Comentarios específicos' → 'specific'), or None."""
    if len(text) > _MAX_HEADING:
        return None
    folded = _ENUMERATOR.sub("", fold(text)).strip(" .:")
    for name, opens in _SECTIONS:
        if opens(folded):
            return name
    return None


def is_position_title(text: str) -> bool:
    return len(text) <= _MAX_HEADING and "posicion institucional" in fold(text)


def looks_like_position(blocks: Iterable[Block], *, within: int = 12) -> bool:
    """Whether the first blocks title the file as an Anexo F (posición institucional)."""
    seen = 0
    for block in blocks:
        if isinstance(block, Paragraph) and not block.text.strip():
            continue  # blank lines of a text file are no blocks of the title's
        if isinstance(block, Paragraph) and is_position_title(block.text):
            return True
        seen += 1
        if seen >= within:
            break
    return False


@dataclass
class _Reader:
    title: str = ""
    header: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(
        default_factory=lambda: {
            "general": [],
            "specific": [],
            "discarded": [],
            "sources": [],
            "units": [],
        }
    )
    recommendations: list[RecommendationEntry] = field(default_factory=list)
    aspects: list[PositionAspect] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    signatories: list[Signatory] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    section: str | None = None
    last_table: str = ""
    last_columns: dict[str, int] = field(default_factory=dict)
    last_width: int = 0
    # Lines that may be signatures side by side, as written, until the block ends.
    side_by_side: SideBySide[str] = field(default_factory=SideBySide)

    def read(self, blocks: Iterable[Block]) -> PositionDocument:
        for block in blocks:
            if isinstance(block, Paragraph):
                if not self._signature_lines(block.text):
                    self._end_signatures()
                    self._paragraph(squash(block.text))
            else:
                self._end_signatures()
                self._table([[squash(cell) for cell in row] for row in block.rows], block.rows)
        self._end_signatures()
        if not self.title:
            raise AnnexRejected(
                gettext_noop(
                    "El archivo no es un Anexo F: no se encontró el título "
                    "«Posición institucional»."
                )
            )
        if not self.header.get("program"):
            raise AnnexRejected(
                gettext_noop(
                    "El Anexo F no dice el nombre del programa («Nombre del programa: …»)."
                )
            )
        doc = PositionDocument(
            title=self.title,
            institution=self.header.get("institution", ""),
            program=self.header["program"],
            evaluation=self.header.get("evaluation", ""),
            general_comments=tuple(self.lists["general"]),
            specific_comments=tuple(self.lists["specific"]),
            recommendations=tuple(self.recommendations),
            aspects=tuple(self.aspects),
            counts=PositionCounts(**self.counts),
            discarded=tuple(self.lists["discarded"]),
            sources=tuple(self.lists["sources"]),
            units=tuple(self.lists["units"]),
            signatories=tuple(self.signatories),
        )
        return replace(doc, findings=(*self.findings, *own_count_findings(doc)))

    def _paragraph(self, text: str) -> None:
        if not text:
            return
        section = section_of(text)
        if section is not None:
            self.section = section
            self.last_table = ""
            return
        if not self.title:
            if is_position_title(text):
                self.title = text
            return
        if self.section is None:
            self._header_line(text)
        elif self.section == "signatories":
            self._signatory_line(text)
        elif self.section in ("general", "specific") and self._count_line(text):
            return
        elif self.section in ("discarded", "sources", "units"):
            self.lists[self.section].append(_BULLET.sub("", text))
        else:
            self.lists[self.section].append(text)

    def _header_line(self, text: str) -> None:
        labelled = _LABELLED.match(text)
        if labelled is None:
            return
        label = fold(labelled["label"])
        for key, words in _HEADER_LINES:
            if key not in self.header and any(label.startswith(w) or w in label for w in words):
                self.header[key] = labelled["value"].strip()
                return

    def _count_line(self, text: str) -> bool:
        line = _COUNT_LINE.match(text)
        if line is None:
            return False
        key = count_row_key(line["label"])
        if key is None:
            return False
        self.counts.setdefault(key, int(line["number"]))
        return True

    def _signatory_line(self, text: str) -> None:
        labelled = _LABELLED.match(text)
        label = fold(labelled["label"]) if labelled else ""
        if labelled and label.startswith("nombre"):
            self.signatories.append(Signatory(labelled["value"].strip()))
        elif labelled and label.startswith(("cargo", "puesto")) and self.signatories:
            last = self.signatories[-1]
            self.signatories[-1] = Signatory(last.name, labelled["value"].strip())
        elif self.signatories and not self.signatories[-1].post:
            # A name line and, below it, the post: how a signature block is printed.
            self.signatories[-1] = Signatory(self.signatories[-1].name, text)
        else:
            self.signatories.append(Signatory(text))

    # --- signatures side by side ----------------------------------------------------------

    def _signature_lines(self, text: str) -> bool:
        """Whether the paragraph's lines go into a block of signatures side by side: parted
        by tabs or runs of spaces, or signature lines; an empty paragraph within the block
        is the space to sign."""
        if not self.title:
            return False
        lines = text.split("\n")
        laid = [text_pieces(line, most=MOST_PIECES + 1) for line in lines]
        if not self.side_by_side.lines and not any(map(SideBySide.opens, laid)):
            return False
        for line, raw in zip(laid, lines, strict=True):
            if not self.side_by_side.offer(line, raw):
                self._end_signatures()
                self._paragraph(squash(raw))
        return True

    def _end_signatures(self) -> None:
        """Read the block of lines kept: its signatories, or else each line as a paragraph.
        Outside '5. Firmantes' only a block that shows itself one of signatures is."""
        _, kept = self.side_by_side.take()
        if not kept:
            return
        if not self._take_signatures(laid_out(kept)):
            for text in kept:
                self._paragraph(squash(text))

    def _take_signatures(self, lines: list[Line]) -> bool:
        reading = read_signatures(lines, told=self.section == "signatories")
        if reading is None:
            return False
        self.signatories.extend(Signatory(s.name, s.post) for s in reading.signatories)
        return True

    def _table(self, rows: list[list[str]], written: Iterable[Iterable[str]] = ()) -> None:
        """A table by its heading; one of no known heading may hold signatures side by side,
        each cell's lines (`written`, unsquashed) under the one above."""
        if self._signature_table(rows, written):
            return
        rows = [row for row in rows if any(row)]
        if not rows:
            return
        header = [fold(cell) for cell in rows[0]]
        kind, columns = _table_kind(header)
        body = rows[1:]
        if kind in ("recommendations", None) and "recomendacion" in " ".join(header):
            # 'Se acepta' as a mark under 'Sí' or 'No' (and 'Parcialmente'), in the header
            # row or a row of its own beneath it.
            for skip, marks in ((1, rows[0]), (2, rows[1] if len(rows) > 1 else [])):
                found = _mark_columns(marks)
                if found:
                    kind, body = "recommendations", rows[skip:]
                    columns = {
                        "text": _column(header, "recomendacion"),
                        "comment": _column(header, *_COMMENT_WORDS, exclude=("acepta",)),
                        **found,
                    }
                    break
        if kind is None:
            if self._counts(rows):
                self.last_table = ""
                return
            if not self.last_table or len(rows[0]) != self.last_width:
                return
            # The rest of a table a page break cut, with no header repeated; its first row
            # may be the rest of a row the break cut, its 'Se acepta' cell left above.
            kind, columns, body = self.last_table, self.last_columns, rows
            if kind == "recommendations" and self.recommendations:
                body = self._rest_of_row(body, columns)
        if kind == "recommendations":
            self._recommendations(body, columns)
        elif kind == "aspects":
            self._aspects(body, columns)
        elif kind == "signatories":
            self._signatories(body, columns)
        self.last_table, self.last_columns, self.last_width = kind, columns, len(rows[0])

    def _signature_table(self, rows: list[list[str]], written: Iterable[Iterable[str]]) -> bool:
        filled = [row for row in rows if any(row)]
        if not filled or _table_kind([fold(cell) for cell in filled[0]])[0] is not None:
            return False
        if self.last_table and len(filled[0]) == self.last_width:
            return False  # the rest of a table a page break cut ('Nombre | Cargo' too)
        if self._take_signatures(grid_lines(list(map(tuple, written)))):
            self.last_table = ""
            return True
        return False

    def _recommendations(self, rows: list[list[str]], columns: dict[str, int]) -> None:
        for row in rows:
            text = _cell(row, columns["text"])
            if not text:
                continue
            said, accepted = _said(row, columns)
            if accepted is None:
                self.findings.append(
                    Finding(
                        kind="posición",
                        where=f"recomendación «{text[:60]}»",
                        text=f"No se entiende «{said}» en «Se acepta»; se tomó como no aceptada.",
                    )
                )
                accepted = Acceptance.NO
            self.recommendations.append(
                RecommendationEntry(text, accepted, _cell(row, columns.get("comment")))
            )

    def _rest_of_row(self, rows: list[list[str]], columns: dict[str, int]) -> list[list[str]]:
        first = rows[0]
        if _said(first, columns)[0]:
            return rows
        last = self.recommendations[-1]
        text, comment = _cell(first, columns["text"]), _cell(first, columns.get("comment"))
        self.recommendations[-1] = replace(
            last,
            text=squash(f"{last.text} {text}"),
            comment=squash(f"{last.comment} {comment}"),
        )
        return rows[1:]

    def _aspects(self, rows: list[list[str]], columns: dict[str, int]) -> None:
        for row in rows:
            text = _cell(row, columns["text"])
            if text:
                self.aspects.append(
                    PositionAspect(
                        number=_cell(row, columns.get("number")).rstrip("."),
                        text=text,
                        classification=_cell(row, columns.get("classification")),
                        priority=_cell(row, columns.get("priority")),
                    )
                )

    def _signatories(self, rows: list[list[str]], columns: dict[str, int]) -> None:
        for row in rows:
            name = _cell(row, columns["name"])
            if name:
                self.signatories.append(Signatory(name, _cell(row, columns.get("post"))))

    def _counts(self, rows: list[list[str]]) -> bool:
        """A counts table, one row per count ('Específicos | 2') or one row of labels over one
        of figures; a total is taken once, from the classification's table."""
        found: list[tuple[str, int]] = []
        for row in rows:
            key, number = count_row_key(row[0]) if row else None, _number(row[-1])
            if key is not None and number is not None and len(row) > 1:
                found.append((key, number))
        for labels, figures in pairwise(rows):
            keys = [count_row_key(label) for label in labels]
            numbers = [_number(cell) for cell in figures]
            if sum(k is not None for k in keys) >= 2 and all(
                n is not None for k, n in zip(keys, numbers, strict=False) if k is not None
            ):
                found.extend(
                    (k, n) for k, n in zip(keys, numbers, strict=False) if k and n is not None
                )
        for key, number in found:
            self.counts.setdefault(key, number)
        return bool(found)


_MARKS = {"si": "yes", "no": "no", "parcial": "partial", "parcialmente": "partial"}
_MARKED = {"yes": Acceptance.YES, "no": Acceptance.NO, "partial": Acceptance.PARTIAL}


def _mark_columns(cells: list[str]) -> dict[str, int]:
    """The columns of a 'Sí' / 'No' (/ 'Parcialmente') mark, when both 'Sí' and 'No' are there."""
    found = {}
    for index, cell in enumerate(cells):
        mark = _MARKS.get(fold(cell).strip(" .:()"))
        if mark is not None:
            found.setdefault(mark, index)
    return found if {"yes", "no"} <= found.keys() else {}


def _said(row: list[str], columns: dict[str, int]) -> tuple[str, Acceptance | None]:
    """What the row says in 'Se acepta', as written, and what it means (None: unreadable)."""
    if "yes" not in columns:
        said = _cell(row, columns.get("accepted"))
        return said, read_acceptance(said)
    marked = [mark for mark in ("yes", "partial", "no") if _cell(row, columns.get(mark))]
    said = ", ".join(f"{mark}: {_cell(row, columns[mark])}" for mark in marked)
    said = said.replace("yes:", "Sí:").replace("no:", "No:").replace("partial:", "Parcialmente:")
    return said, _MARKED[marked[0]] if len(marked) == 1 else None


_COMMENT_WORDS = ("comentario", "observacion", "justificacion", "razon")


def _column(header: list[str], *words: str, exclude: tuple[str, ...] = ()) -> int | None:
    """The first column whose heading holds one of the words and none of `exclude`."""
    for index, cell in enumerate(header):
        if any(w in cell for w in words) and not any(x in cell for x in exclude):
            return index
    return None


def _table_kind(header: list[str]) -> tuple[str | None, dict[str, int]]:
    def first(*words: str, exclude: tuple[str, ...] = ()) -> int | None:
        return _column(header, *words, exclude=exclude)

    text = first("recomendacion")
    accepted = first("acepta", "aceptada", "atiende")
    if text is not None and accepted is not None:
        comment = first(*_COMMENT_WORDS, exclude=("acepta",))
        return "recommendations", {"text": text, "accepted": accepted, "comment": comment}
    aspect = first("aspecto")
    if aspect is not None:
        columns = {
            "text": aspect,
            "number": first("no.", "num", "numero") if header[0] != header[aspect] else None,
            "classification": first("clasificacion", "tipo"),
            "priority": first("prioridad"),
        }
        return "aspects", columns
    name = first("nombre")
    post = first("cargo", "puesto")
    if name is not None and post is not None:
        return "signatories", {"name": name, "post": post}
    return None, {}


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]


def _number(text: str) -> int | None:
    text = text.strip(" .")
    return int(text) if text.isdigit() and len(text) <= 5 else None


def read_position(blocks: Iterable[Block]) -> PositionDocument:
    """An Anexo F from its blocks in reading order; AnnexRejected when it is not one."""
    return _Reader().read(blocks)


# The text layout: one paragraph a line, a table's rows as tab-separated lines, a blank line
# after a table.


def text_blocks(text: str) -> Iterator[Block]:
    rows: list[tuple[str, ...]] = []
    for line in text.splitlines():
        if "\t" in line:
            rows.append(tuple(line.split("\t")))
            continue
        if rows:
            yield Table(tuple(rows))
            rows = []
        # A blank line too: within signatures side by side it parts them from what follows.
        yield Paragraph(line)
    if rows:
        yield Table(tuple(rows))


def parse_position_text(data: bytes, *, limits: ReadingLimits = DEFAULT_LIMITS) -> PositionDocument:
    text, findings = decode(data, limits, NOT_XML_IN_LINES)
    doc = read_position(text_blocks(text))
    return replace(doc, findings=(*findings, *doc.findings))


def position_blocks(data: bytes, file_format: str, limits: ReadingLimits) -> Iterator[Block]:
    """The blocks of a file of the given format, lazily where the format allows it."""
    match file_format:
        case "txt":
            text, _ = decode(data, limits, NOT_XML_IN_LINES)
            return text_blocks(text)
        case "docx":
            from mejora.annex.parsers.position_docx import docx_blocks

            return docx_blocks(data, limits)
        case "pdf":
            from mejora.annex.parsers.position_pdf import pdf_blocks

            return pdf_blocks(data, limits)
    raise AnnexRejected(
        gettext_noop("Un Anexo F se lee de texto, Word o PDF, no de «{file_format}»."),
        file_format=file_format,
    )


POSITION_FORMATS = ("txt", "docx", "pdf")


def is_position_file(
    data: bytes, file_format: str, limits: ReadingLimits = DEFAULT_LIMITS, *, within: int = 12
) -> bool:
    """Whether a file is an Anexo F, by its title; a file that cannot be read is not one (its
    own reader then says why)."""
    if file_format not in POSITION_FORMATS:
        return False
    try:
        if file_format == "docx":
            from mejora.annex.parsers.position_docx import docx_opening

            lines = docx_opening(data).split("\n")[:within]
            return any(is_position_title(line) for line in lines)
        if file_format == "pdf":
            from mejora.annex.parsers.position_pdf import pdf_blocks

            return looks_like_position(pdf_blocks(data, limits, pages=1), within=within)
        text, _ = decode(data, limits, NOT_XML_IN_LINES)
        # The first page only, as for a PDF: a filing's later pages are not its title.
        return looks_like_position(text_blocks(text.split("\f", 1)[0]), within=within)
    except AnnexRejected:
        return False


def parse_position(
    data: bytes, file_format: str, *, limits: ReadingLimits = DEFAULT_LIMITS
) -> PositionDocument:
    """Read an Anexo F of the given format; bad input raises AnnexRejected, in Spanish."""
    if file_format == "txt":
        return parse_position_text(data, limits=limits)
    return read_position(position_blocks(data, file_format, limits))
