"""Signatures laid out side by side below an annex, as filings print them.

    Elaboró                  Revisó                   Autorizó
    ________________         ________________         ________________
    Lic. Ana Pérez Gómez     Mtro. Luis Ortiz Ruiz    Dr. Juan Soto Díaz
    Responsable del          Enlace de Evaluación     Titular de la Dependencia
    Programa

Every reader turns what it sees into lines of pieces, each piece a text and where it stands
across the page: a text file's characters, a PDF's points, a table's column. The columns are
where the pieces stand, apart from one another by gutters no piece of any line crosses, so a
name and a post of another length, centred or not, fall in one column. Each column, top to
bottom, is a signatory: labels above the signature line ('Elaboró', 'Responsable del
programa'), the name, then the post, on one line or several. Signature lines, 'Firma' and
blank cells are not text.

A signatory's role is the one its label or its post names; the others take the roles no
column named, in the order the annexes print them (responsable, enlace, titular), which the
reading tells (`guessed`) for a person to confirm.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Generic, TypeVar

from mejora.annex.document import Signatory
from mejora.annex.formats import SIGNATORY_ROLES, post_role, read_signatory_line, signatory_role
from mejora.annex.words import fold, squash

T = TypeVar("T")


@dataclass(frozen=True)
class Piece:
    """A text on a line and the stretch of the line it covers, `start` to `end`."""

    start: float
    end: float
    text: str


Line = Sequence[Piece]


@dataclass(frozen=True)
class SignatureReading:
    """The signatories of a block, left to right, and those whose role only their place gave."""

    signatories: tuple[Signatory, ...]
    guessed: tuple[Signatory, ...] = ()


# A run of text whose words are one space apart: two spaces or more part the columns.
_SPACED_RUN = re.compile(r"\S+(?: \S+)*")
_RULE = re.compile(r"_{2,}|-{4,}|\.{6,}|…{2,}")
# What is written for the signature itself, not about who signs.
_SIGNING = frozenset({"firma", "firmas", "rubrica", "firmaysello"})
# Verbs and words above a signature that say what the signing does, not who signs.
_VERBS = frozenset(
    {
        "elaboro",
        "elaboraron",
        "reviso",
        "revisaron",
        "autorizo",
        "aprobo",
        "valido",
        "propuso",
        "vobo",
        "vistobueno",
        "atentamente",
        "firmo",
    }
)
_HONORIFIC = re.compile(
    r"^(?:lic|licda|lcda|lcdo|mtro|mtra|dr|dra|ing|arq|act|c\.?p|prof|profr|profra|c)\.\s"
)
_ROLE_ORDER = tuple(SIGNATORY_ROLES)
# Longer than any name or post: a paragraph of text, not a signature.
_LONGEST = 160
# Taller than any block of signatures (rows of them, each with labels, room to sign, a name and
# a post on two lines) or wider than any row of them: lines of something else. Bounded, a
# block costs the same however many lines in columns a hostile file holds.
_MOST_LINES = 40
MOST_PIECES = 12
# Longer than any role's label or verb above a signature ('Responsable del programa
# presupuestario:').
_LONGEST_LABEL = 48


def text_pieces(line: str, most: int | None = None) -> list[Piece]:
    """A text line's pieces by character position; tabs stop every 8 characters. With `most`,
    the first that many only: enough to tell a line wider than a row of signatures, which a
    reader asks of every line below its table."""
    expanded = line.expandtabs(8).replace("\u00a0", " ")
    runs = islice(_SPACED_RUN.finditer(expanded), most)
    return [Piece(m.start(), m.end(), m.group()) for m in runs]


def tabbed_lines(lines: Sequence[str]) -> list[list[Piece]]:
    """Lines whose columns tabs (or long runs of spaces) part, a word processor's paragraphs: by
    the number of the field when every line has as many, else by the order of the texts on
    the line, since the tabs typed to reach a column vary with the length of the text before
    it."""
    fields = [[squash(text) for text in re.split(r"\t| {4,}", line)] for line in lines]
    widths = {len(row) for row in fields if any(row)}
    if len(widths) == 1:
        return [[Piece(i, i + 1, t) for i, t in enumerate(row) if t] for row in fields]
    ordered = [[t for t in row if t] for row in fields]
    return [[Piece(i, i + 1, t) for i, t in enumerate(row)] for row in ordered]


def laid_out(lines: Sequence[str]) -> list[list[Piece]]:
    """Lines of a text as their columns stand: by tabs when there are any (a table exported
    with tabs), else by runs of spaces, character by character."""
    if any("\t" in line for line in lines):
        return tabbed_lines(lines)
    return [text_pieces(line) for line in lines]


def grid_lines(rows: Iterable[Sequence[str]]) -> list[Line]:
    """A table's rows as lines: each cell's text lines, one column wide, under one another."""
    lines: list[Line] = []
    for row in rows:
        cells = [text.split("\n") for text in row]
        for depth in range(max(map(len, cells), default=0)):
            texts = [squash(c[depth]) if depth < len(c) else "" for c in cells]
            lines.append([Piece(column, column + 1, t) for column, t in enumerate(texts) if t])
    return lines


def spanned_lines(cells: Sequence[str], spans: Mapping[int, int] | None = None) -> list[Line]:
    """A sheet's row as lines, as `grid_lines` lays a table's out (its cells' blank lines left
    out: the room to sign within a cell parts nothing), a merged cell stretched from its
    column to the end `spans` gives it: its text sits in its first column only, and the name
    below a label merged across three columns stands in that label's column."""
    lines = [line for line in grid_lines([cells]) if line]
    if not spans:
        return lines
    return [
        [Piece(piece.start, spans.get(int(piece.start), piece.end), piece.text) for piece in line]
        for line in lines
    ]


def char_pieces(chars: Sequence[dict], gap_em: float = 1.5) -> list[Piece]:
    """A printed line's pieces (pdfplumber's characters: text, x0, x1, size), parted where
    the space between two glyphs is wider than `gap_em` times the type's size; a narrower
    one wider than a glyph's kerning is a space between words."""
    pieces: list[Piece] = []
    text, start, end = "", 0.0, 0.0
    for char in sorted(chars, key=lambda c: c["x0"]):
        if not char["text"].strip():
            continue  # printed spaces or none: the gap between glyphs tells
        size = char["size"] or 1.0
        if text and char["x0"] - end > gap_em * size:
            pieces.append(Piece(start, end, text))
            text = ""
        if not text:
            start = char["x0"]
        elif char["x0"] - end > 0.12 * size:
            text += " "
        text, end = text + char["text"], char["x1"]
    if text:
        pieces.append(Piece(start, end, text))
    return pieces


def is_labelled(line: Line) -> bool:
    """Whether a line is a label and its value that a tab or a run of spaces parts
    ('Responsable del programa:<tab>Lic. Ana Pérez, Directora', 'Nombre:   Lic. Ana Pérez'):
    one line, read whole, not two columns, even when the value is a post that names a role
    ('Cargo:   Enlace de evaluación'). Labels or verbs side by side ('Titular:   Enlace:',
    'Elaboró:   Revisó') are columns."""
    if len(line) != 2:
        return False
    label, value = (piece.text.strip() for piece in line)
    return label.endswith(":") and not value.endswith(":") and _key(value) not in _VERBS


def is_rule(line: Line) -> bool:
    """Whether a line holds only signature lines ('__________')."""
    return bool(line) and all(not _RULE.sub("", piece.text).strip() for piece in line)


def columns(lines: Iterable[Line]) -> list[tuple[float, float]]:
    """The stretches of the page the pieces cover, left to right, apart by gutters no piece
    crosses."""
    spans = sorted((piece.start, piece.end) for line in lines for piece in line)
    found: list[tuple[float, float]] = []
    for start, end in spans:
        if found and start < found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        else:
            found.append((start, end))
    return found


def column_of(starts: Sequence[float], piece: Piece) -> int:
    """Which of the `columns` (by their starts, left to right) a piece stands in: the last to
    start at or before it. A piece of no width (a glyph a PDF prints with none) is a column
    of its own, which no stretch from its start to its end holds."""
    return bisect_right(starts, piece.start) - 1


def _column_texts(lines: Sequence[Line]) -> list[list[str]]:
    """Each column's texts top to bottom; pieces of one line within a column joined."""
    starts = [start for start, _ in columns(lines)]
    texts: list[list[str]] = [[] for _ in starts]
    for line in lines:
        on_line: dict[int, list[str]] = {}
        for piece in sorted(line, key=lambda p: p.start):
            on_line.setdefault(column_of(starts, piece), []).append(piece.text)
        for index, parts in on_line.items():
            texts[index].append(" ".join(parts))
    return texts


def _bands(lines: list[Line]) -> list[list[Line]]:
    """Rows of signatures one under another ('Elaboró' and 'Revisó', and 'Autorizó' centred
    below them): a row starts at a signature line or a row of verbs below names. Labels right
    above that signature line go with it, unless they stand as the names above them do (the
    posts of those, when a post is a role's name)."""
    bands: list[list[Line]] = [[]]
    named = False  # a line of names or posts seen in the row of signatures being read
    for line in lines:
        rule = is_rule(line)
        verbs = all(_key(piece.text) in _VERBS for piece in line)
        if (rule or verbs) and named:
            moved: list[Line] = []
            band = bands[-1]
            while rule and len(band) > 1 and _labels_of_the_next(band[-1], band[-2]):
                moved.insert(0, band.pop())
            bands.append(moved)
            named = False
        elif not (rule or all(_is_label(piece.text) for piece in line)):
            named = True
        bands[-1].append(line)
    return [band for band in bands if band]


def _labels_of_the_next(line: Line, above: Line) -> bool:
    """Whether a line of labels heads the signatures below it rather than closing the ones
    above: some piece of it stands under none of the line above, by its start (columns
    aligned left) or by its middle (centred)."""
    if not all(_is_label(piece.text) for piece in line):
        return False
    return not all(any(_aligned(piece, other) for other in above) for piece in line)


def _aligned(piece: Piece, other: Piece) -> bool:
    slack = max(1.0, 0.15 * min(piece.end - piece.start, other.end - other.start))
    middles = (piece.start + piece.end) / 2 - (other.start + other.end) / 2
    return abs(piece.start - other.start) <= slack or abs(middles) <= slack


def _key(text: str) -> str:
    return re.sub(r"[\s.:,;()]", "", fold(text))


def _is_label(text: str) -> bool:
    return signatory_role(text) is not None or _key(text) in _VERBS


@dataclass
class _Column:
    labels: list[str] = field(default_factory=list)
    name: str = ""
    post: list[str] = field(default_factory=list)
    signed: bool = False  # a signature line or 'Firma' in it

    def role(self) -> str | None:
        for label in self.labels:
            if (role := signatory_role(label)) is not None:
                return role
        return post_role(" ".join(self.post)) if self.post else None


def _read_column(texts: list[str]) -> _Column:
    """Labels above the signature line (or, without one, the labels it opens with), then the
    name, then the post."""
    column = _Column()
    below = not any(_RULE.search(text) for text in texts)
    for raw in texts:
        text = squash(_RULE.sub(" ", raw))
        if text != squash(raw):
            column.signed = below = True
        if not text:
            continue
        if _key(text) in _SIGNING:
            column.signed = True
        elif not column.name and (one_line := read_signatory_line(text)) is not None:
            # 'Responsable del programa: Lic. Ana Pérez, Directora', one to a column.
            column.labels.append(SIGNATORY_ROLES[one_line.role])
            column.name = one_line.name
            column.post += [one_line.post] if one_line.post else []
        elif not column.name and (not below or _is_label(text)):
            column.labels.append(text)
        elif not column.name:
            column.name = text
        else:
            column.post.append(text)
    return column


def _cued(column: _Column) -> bool:
    """Whether the column shows itself a signature: a signature line, a label, a post that
    names a role, or a name after an honorific ('Lic.', 'Mtra.', 'Dr.')."""
    return (
        column.signed
        or bool(column.labels)
        or column.role() is not None
        or _HONORIFIC.match(fold(column.name)) is not None
    )


def shows_signatures(lines: Sequence[Line]) -> bool:
    """Whether lines (a sheet's row, a line of text) open signatures side by side by
    themselves, among rows that may be a table's: the first text of each column is a
    signature line, 'Firma', a role or a verb above one, the one-line form or a name after an
    honorific, and there are two columns or a signature line."""
    heads: dict[float, Piece] = {}
    for line in lines:
        for piece in line:
            heads.setdefault(piece.start, piece)
    tops = [heads[start] for start in sorted(heads)]
    return SideBySide.opens(tops) and all(signs(piece.text) for piece in tops)


def signs(text: str) -> bool:
    """Whether a text is one only signatures hold: a signature line, 'Firma', a role or a verb
    above one, the one-line form, or a name after an honorific. A long cell of a table is told
    apart by its length first: a sheet asks this of every row's first cell."""
    if len(text) > _LONGEST:
        return False
    # What _RULE needs, found without a regular expression: a table's cell seldom has it.
    ruled = "__" in text or "--" in text or ".." in text or "……" in text
    if not ruled and len(text) > _LONGEST_LABEL and ":" not in text[:_LONGEST_LABEL]:
        # Longer than a label, without one before a colon: a name after an honorific, or none.
        return _HONORIFIC.match(text[:12].casefold()) is not None
    bare = squash(_RULE.sub(" ", text))
    if not bare:
        return True
    if len(bare) <= _LONGEST_LABEL and (_key(bare) in _SIGNING or _is_label(bare)):
        return True
    # Honorifics are ASCII: a short prefix, not the whole text, is folded for them.
    return (
        _HONORIFIC.match(bare[:12].casefold()) is not None or read_signatory_line(bare) is not None
    )


def read_signatures(lines: Sequence[Line], *, told: bool = False) -> SignatureReading | None:
    """The signatories of a block of lines; None when the block is not one of signatures
    (nothing in it shows it is, unless `told` so, or it holds no name, or it is taller or
    wider than any block of them)."""
    lines = [line for line in lines if line]
    if not lines or len(lines) > _MOST_LINES or any(len(line) > MOST_PIECES for line in lines):
        return None
    if any(len(piece.text) > _LONGEST for line in lines for piece in line):
        return None
    read = [_read_column(texts) for band in _bands(lines) for texts in _column_texts(band)]
    named = [column for column in read if column.name]
    if not named or any(len(column.name) > _LONGEST // 2 for column in named):
        return None
    if not told and not any(_cued(column) for column in named):
        return None
    roles = [column.role() for column in named]
    free = [role for role in _ROLE_ORDER if role not in roles]
    signatories, guessed = [], []
    for column, role in zip(named, roles, strict=True):
        signatory = Signatory(
            role or (free.pop(0) if free else ""), column.name, squash(" ".join(column.post))
        )
        if role is None:
            guessed.append(signatory)
        signatories.append(signatory)
    return SignatureReading(tuple(signatories), tuple(guessed))


def guessed_role_text(signatory: Signatory) -> str:
    """The finding's text for a role that only the signatory's place gave, or none left."""
    said = f"Ni la etiqueta ni el cargo de «{signatory.name}» dicen qué firma"
    if not signatory.role:
        return f"{said}, y los tres papeles ya los tienen otras firmas: quedó sin papel."
    role = SIGNATORY_ROLES.get(signatory.role, signatory.role)
    return f"{said}; por su lugar entre las firmas se tomó como «{role}»."


class SideBySide(Generic[T]):
    """The lines of a block of signatures as a reader meets them, each with what the reader
    needs to read it otherwise when the block proves to be no signatures.

    A block opens with a line of two pieces or more, or a signature line; it goes on with such
    lines, blank lines between them (the space to sign), and a line of one piece right below
    another (a post's second line).
    """

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.kept: list[T] = []
        self.gap = False
        self.overrun = False  # the block passed `_MOST_LINES`: the run is no signatures

    @staticmethod
    def opens(line: Line) -> bool:
        return (len(line) >= 2 and not is_labelled(line)) or is_rule(line)

    def offer(self, line: Line, kept: T | None = None) -> bool:
        """Whether the line belongs to the block; if so it is taken (a blank line marks a gap).
        A block taller or wider than any of signatures takes no more lines until a blank one:
        the reader reads it as none, and the rest of the run as lines."""
        if not line:
            self.gap = bool(self.lines)
            self.overrun = False
            return self.gap
        if self.overrun or len(line) > MOST_PIECES:
            return False
        if not (self.opens(line) or (self.lines and not self.gap)):
            return False
        if len(self.lines) > _MOST_LINES:
            self.overrun = True
            return False
        self.lines.append(line)
        if kept is not None:
            self.kept.append(kept)
        self.gap = False
        return True

    def take(self) -> tuple[list[Line], list[T]]:
        """The block's lines and what was kept of them, and the block empties."""
        taken = self.lines, self.kept
        self.lines, self.kept, self.gap = [], [], False
        return taken
