"""The annex kinds of the mechanism, as data: letter, title, columns and footnote per version.

The letters and column sets changed between versions of the mechanism, so each kind is tied
to the version it was published in. Headings are reproduced letter for letter.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from mejora.annex.document import ActivityEntry, AspectEntry
from mejora.annex.words import fold

FOOTNOTE_MARKER = "¹"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str


@dataclass(frozen=True)
class AnnexFormat:
    code: str
    mechanism: str
    letter: str
    name: str
    title: str
    classification: str
    columns: tuple[Column, ...]
    footnote: str

    @property
    def has_progress(self) -> bool:
        return any(column.key == "progress" for column in self.columns)

    @property
    def annex_line(self) -> str:
        return f"Anexo {self.letter}. {self.name}"

    def headings(self) -> list[str]:
        return [column.heading for column in self.columns]

    def matches_header(self, cells: list[str]) -> bool:
        keys = _heading_keys(self)
        # Data rows are long; the first cell and the count tell most of them apart cheaply.
        if len(cells) != len(keys) or heading_key(cells[0]) != keys[0]:
            return False
        return [heading_key(c) for c in cells] == keys


@cache
def _heading_keys(annex: AnnexFormat) -> list[str]:
    return [heading_key(h) for h in annex.headings()]


def heading_key(heading: str) -> str:
    """Column names compared without accents, case, spacing or the footnote marker."""
    return fold(heading.replace(FOOTNOTE_MARKER, "")).rstrip(" .")


_COMMITMENT_COLUMNS = (
    Column("number", "No."),
    Column("aspect", "Aspecto Susceptible de Mejora"),
    Column("activity", "Actividades"),
    Column("coordinating", "Área Coordinadora"),
    Column("responsible", "Área Responsable"),
    Column("due", "Fecha de Término"),
    Column("expected_results", "Resultados Esperados"),
    Column("deliverable", "Producto y/o evidencia"),
)
# The ASM's own columns: written once over all its activities (merged cells, or left empty).
ASPECT_KEYS = ("number", "aspect")
_PROGRESS_COLUMNS = (
    Column("progress", f"Porcentaje de avance y justificación {FOOTNOTE_MARKER}"),
    Column(
        "proof",
        "Identificación del documento probatorio (Nombre del archivo y extensión)",
    ),
    Column("observations", "Observaciones"),
)
REPLANNING_FOOTNOTE = (
    f"{FOOTNOTE_MARKER} En caso de un replanteamiento de las acciones comprometidas se deberá "
    "justificar y en su caso se solicita se vuelva a llenar las actividades y sus "
    "características"
)

_TITLE = (
    "SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO {plural}, "
    "DERIVADOS DE INFORMES Y EVALUACIONES EXTERNAS"
)
_WORK_COLUMNS = tuple(c for c in _COMMITMENT_COLUMNS if c.key != "coordinating")


def _format(
    code: str, letter: str, name: str, classification: str, columns: tuple[Column, ...]
) -> AnnexFormat:
    plural = "ESPECÍFICOS" if classification == "especifico" else "INSTITUCIONALES"
    has_progress = any(c.key == "progress" for c in columns)
    return AnnexFormat(
        code=code,
        mechanism="2011",
        letter=letter,
        name=name,
        title=_TITLE.format(plural=plural),
        classification=classification,
        columns=columns,
        footnote=REPLANNING_FOOTNOTE if has_progress else "",
    )


# The mechanism of 2011 (in force when the seed was prepared). Anexo E, its title, columns
# and footnote are the seed's, letter for letter. The letters of the other three follow the
# mechanism's order of documents (A is the institutional position, which has no table);
# the working document drops the coordinating area, and the progress documents add the
# last three columns to the commitments.
FORMATS: dict[str, AnnexFormat] = {
    f.code: f
    for f in (
        _format("documento-trabajo", "B", "Documento de trabajo", "especifico", _WORK_COLUMNS),
        _format(
            "documento-institucional",
            "C",
            "Documento institucional",
            "institucional",
            _COMMITMENT_COLUMNS,
        ),
        _format(
            "avance-documento-trabajo",
            "D",
            "Avance del documento de trabajo",
            "especifico",
            _WORK_COLUMNS + _PROGRESS_COLUMNS,
        ),
        _format(
            "anexo-e",
            "E",
            "Avance al documento institucional",
            "institucional",
            _COMMITMENT_COLUMNS + _PROGRESS_COLUMNS,
        ),
    )
}

CLASSIFICATIONS = {
    "especificos": "especifico",
    "institucionales": "institucional",
    "interinstitucionales": "interinstitucional",
    "intergubernamentales": "intergubernamental",
}
_HEADING = re.compile(
    r"^aspectos\s+(?P<kind>especificos|institucionales|interinstitucionales|intergubernamentales)"
    r"\s+(?P<period>\d{4}\s*-\s*\d{4})\s*\(\s*mecanismo\s+(?P<year>\d{4})\s*\)$"
)


@dataclass(frozen=True)
class CycleHeading:
    classification: str
    evaluation_period: str
    mechanism_year: int


def read_cycle_heading(line: str) -> CycleHeading | None:
    """'ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)' → its three parts."""
    match = _HEADING.match(fold(line))
    if match is None:
        return None
    period = re.sub(r"\s+", "", match["period"])
    return CycleHeading(CLASSIFICATIONS[match["kind"]], period, int(match["year"]))


_PLURALS = {singular: plural.upper() for plural, singular in CLASSIFICATIONS.items()}
_PLURALS["especifico"] = "ESPECÍFICOS"


def cycle_heading(classification: str, evaluation_period: str, mechanism_year: int) -> str:
    """'ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)'."""
    return f"ASPECTOS {_PLURALS[classification]} {evaluation_period} (Mecanismo {mechanism_year})"


def format_named_by(line: str) -> AnnexFormat | None:
    """The annex a line such as 'Anexo E. Avance al documento institucional' names."""
    key = fold(line)
    return next((f for f in FORMATS.values() if key.startswith(f"anexo {f.letter.lower()}.")), None)


_FIRST_HEADINGS = frozenset(heading_key(f.columns[0].heading) for f in FORMATS.values())


def has_first_heading(cells: Iterable[str]) -> bool:
    """Whether a row holds a short 'No.'-like cell, as every annex header does in some position:
    the cheap test before `match_header`, whose close spelling is slow over every data row."""
    # 'No.' with room for stray spaces and dots; a longer cell is text, not this heading.
    return any(len(cell) < 20 and heading_key(cell) in _FIRST_HEADINGS for cell in cells)


def format_for_header(cells: list[str]) -> AnnexFormat | None:
    match = match_header(cells)
    return match.annex if match is not None else None


@dataclass(frozen=True)
class HeaderMatch:
    """An annex's header as a file wrote it: which official column each cell position holds
    (None for a column of no annex), in the file's own order and spelling."""

    annex: AnnexFormat
    columns: tuple[Column | None, ...]
    written: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return tuple(self.columns) == self.annex.columns and all(
            heading_key(w) == heading_key(c.heading)
            for w, c in zip(self.written, self.annex.columns, strict=True)
        )

    def cells(self, texts: list[str]) -> dict[str, str]:
        """A row's texts by column key, whatever order the file keeps its columns in."""
        padded = texts + [""] * (len(self.columns) - len(texts))
        return {c.key: t for c, t in zip(self.columns, padded, strict=False) if c is not None}

    def differences(self) -> list[str]:
        """What a person should know of this header: renamed, unknown or moved columns."""
        notes = [
            f"La columna «{written}» se leyó como «{column.heading.rstrip(' ' + FOOTNOTE_MARKER)}»."
            for written, column in zip(self.written, self.columns, strict=True)
            if column is not None and heading_key(written) != heading_key(column.heading)
        ]
        notes += [
            f"La columna «{written}» no es de ningún anexo: su contenido no se leyó."
            for written, column in zip(self.written, self.columns, strict=True)
            if column is None and written.strip()
        ]
        order = [c.key for c in self.columns if c is not None]
        if order != [c.key for c in self.annex.columns]:
            notes.append("Las columnas están en otro orden que el oficial; se leyeron por nombre.")
        return notes


def match_header(cells: list[str]) -> HeaderMatch | None:
    """The annex whose columns a row names, exactly or by close spelling, in any order."""
    exact = next((f for f in FORMATS.values() if f.matches_header(cells)), None)
    if exact is not None:
        return HeaderMatch(exact, exact.columns, tuple(cells))
    # Data rows are long and headings short: only rows of short cells are worth comparing.
    if len(cells) < 5 or any(len(c) > _LONGEST_HEADING for c in cells):
        return None
    columns = tuple(_column_named(cell) for cell in cells)
    found = [c.key for c in columns if c is not None]
    if len(found) != len(set(found)):
        return None
    for annex in sorted(FORMATS.values(), key=lambda f: -len(f.columns)):
        if set(found) == {c.key for c in annex.columns}:
            return HeaderMatch(annex, columns, tuple(cells))
    return None


_ALL_COLUMNS = {c.key: c for f in FORMATS.values() for c in f.columns}
_LONGEST_HEADING = 2 * max(len(c.heading) for c in _ALL_COLUMNS.values())
_SIMILAR = 0.8


def _column_named(written: str) -> Column | None:
    key = heading_key(written)
    if not key:
        return None
    best, score = None, 0.0
    for column in _ALL_COLUMNS.values():
        official = heading_key(column.heading)
        if key == official:
            return column
        similarity = difflib.SequenceMatcher(None, key, official).ratio()
        # 'Porcentaje de avance' for 'Porcentaje de avance y justificación', and the like.
        if len(key) >= 8 and (official.startswith(key) or key.startswith(official)):
            similarity = max(similarity, 0.9)
        # 'Documento probatorio (nombre del archivo)': most of its words are the official's.
        words = set(re.findall(r"\w+", key))
        if len(words) >= 3 and len(words & set(re.findall(r"\w+", official))) >= 0.75 * len(words):
            similarity = max(similarity, 0.85)
        if similarity > score:
            best, score = column, similarity
    return best if score >= _SIMILAR else None


def row_cells(
    annex: AnnexFormat, aspect: AspectEntry, activity: ActivityEntry | None, first: bool
) -> list[str]:
    """The texts of one table row, in the format's column order."""
    texts = {
        "number": aspect.number if first else "",
        "aspect": aspect.text if first else "",
    }
    if activity is not None:
        texts |= {
            "activity": activity.text,
            "coordinating": activity.coordinating.text,
            "responsible": activity.responsible.text,
            "due": activity.due.text,
            "expected_results": activity.expected_results,
            "deliverable": activity.deliverable,
            "progress": activity.progress.text,
            "proof": activity.proof,
            "observations": activity.observations,
        }
    return [texts.get(column.key, "") for column in annex.columns]
