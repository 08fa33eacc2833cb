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

from mejora.annex.document import ActivityEntry, AspectEntry, Signatory
from mejora.annex.words import fold, squash

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
# The working document and its progress as state filings copying the federal formats show
# them (Campeche, 2019-2024): no coordinating area, 'Productos y/o Evidencias', and the
# progress as '% Avance'.
_WORK_COLUMNS = (
    Column("number", "No."),
    Column("aspect", "Aspecto Susceptible de Mejora"),
    Column("activity", "Actividades"),
    Column("responsible", "Área Responsable"),
    Column("due", "Fecha de Término"),
    Column("expected_results", "Resultados Esperados"),
    Column("deliverable", "Productos y/o Evidencias"),
)
_WORK_PROGRESS_COLUMNS = (
    Column("progress", "% Avance"),
    Column("proof", "Identificación del documento probatorio"),
    Column("observations", "Observaciones"),
)
# The institutional document as filed: the coordinating area before the actions.
_INSTITUTIONAL_COLUMNS = (
    Column("number", "Núm. Consc."),
    Column("aspect", "Aspecto Susceptible de Mejora"),
    Column("coordinating", "Área Coordinadora"),
    Column("activity", "Acciones a emprender"),
    Column("responsible", "Área Responsable"),
    Column("due", "Fecha de Término"),
    Column("expected_results", "Resultados Esperados"),
    Column("deliverable", "Productos y/o evidencias"),
)
# Other spellings agencies give the same columns, read without a finding.
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("No.", "Núm. Consc.", "Núm.", "Núm. Consecutivo", "No. Consc.", "Número"),
    "activity": ("Actividades", "Acciones a emprender", "Acción a emprender", "Actividad"),
    "deliverable": ("Producto y/o evidencia", "Productos y/o evidencias"),
    "progress": (
        "% Avance",
        "% de Avance",
        "Porcentaje de avance",
        "Porcentaje de avance y justificación",
    ),
    "proof": (
        "Identificación del documento probatorio",
        "Identificación del documento probatorio (Nombre del archivo y extensión)",
    ),
}


def _format(
    code: str, letter: str, name: str, classification: str, columns: tuple[Column, ...]
) -> AnnexFormat:
    plural = "ESPECÍFICOS" if classification == "especifico" else "INSTITUCIONALES"
    marked = any(FOOTNOTE_MARKER in c.heading for c in columns)
    return AnnexFormat(
        code=code,
        mechanism="2011",
        letter=letter,
        name=name,
        title=_TITLE.format(plural=plural),
        classification=classification,
        columns=columns,
        footnote=REPLANNING_FOOTNOTE if marked else "",
    )


# The mechanism's documents, lettered as public filings that copy the federal formats show
# them: B the working document, C its progress, D the institutional document, E its progress
# (the seed's, letter for letter: title, columns and footnote). A is the criteria and F the
# institutional position; neither has this table. Annexes issued before 2026-11 carried C and
# D swapped: `format_named_by` reads them by their title and says so.
FORMATS: dict[str, AnnexFormat] = {
    f.code: f
    for f in (
        _format("documento-trabajo", "B", "Documento de trabajo", "especifico", _WORK_COLUMNS),
        _format(
            "avance-documento-trabajo",
            "C",
            "Avance del documento de trabajo",
            "especifico",
            _WORK_COLUMNS + _WORK_PROGRESS_COLUMNS,
        ),
        _format(
            "documento-institucional",
            "D",
            "Documento institucional",
            "institucional",
            _INSTITUTIONAL_COLUMNS,
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

# The names `mejora report` and the pages accept for each kind: its code, its letter, its name.
KIND_NAMES: dict[str, str] = {
    name: f.code
    for f in FORMATS.values()
    for name in (
        f.code,
        f"anexo-{f.letter.lower()}",
        f.letter.lower(),
        fold(f.name).replace(" ", "-"),
    )
}


def annex_kind(name: str) -> str | None:
    """The code of the annex kind a person names: 'anexo-c', 'C', 'documento-trabajo'…"""
    key = fold(name).replace(" ", "-").replace("_", "-").rstrip(".")
    key = re.sub(r"^anexo-?(?=[a-z]$)", "anexo-", key)
    return KIND_NAMES.get(key)


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


_ANNEX_LINE = re.compile(r"^anexo\s+(?P<letter>[a-z])(?:\s*[.:\-–])*\s*(?P<name>.*?)[\s.]*$")


@dataclass(frozen=True)
class AnnexLine:
    """The annex a line such as 'Anexo C. Avance del documento de trabajo' names, by its
    title, and the letter the line gave it (annexes issued before 2026-11 swapped C and D)."""

    annex: AnnexFormat
    letter: str

    @property
    def letter_corrected(self) -> bool:
        return self.letter != self.annex.letter


def _name_key(name: str) -> str:
    # 'Avance al documento de trabajo' and 'Avance del documento institucional' are both seen.
    return re.sub(r"\b(?:al|del)\b", "de", fold(name))


_BY_NAME = {_name_key(f.name): f for f in FORMATS.values()}


def read_annex_line(line: str) -> AnnexLine | None:
    """The annex a line names by its title, whatever letter precedes it; by the letter alone
    when the line gives no title."""
    match = _ANNEX_LINE.match(fold(line))
    if match is None:
        return None
    letter = match["letter"].upper()
    named = _BY_NAME.get(_name_key(match["name"]))
    if named is None and not match["name"]:
        named = next((f for f in FORMATS.values() if f.letter == letter), None)
    return AnnexLine(named, letter) if named is not None else None


def format_named_by(line: str) -> AnnexFormat | None:
    """The annex a line such as 'Anexo E. Avance al documento institucional' names."""
    named = read_annex_line(line)
    return named.annex if named is not None else None


def letter_corrected_message(named: AnnexLine) -> str:
    return (
        f"El archivo titula «Anexo {named.letter}. {named.annex.name}»: ese documento es el "
        f"Anexo {named.annex.letter}; se corrigió la letra (los anexos emitidos antes de este "
        "cambio llevaban C y D intercambiadas)."
    )


def _compact(key: str) -> str:
    """A heading key without any space: headings printed vertically or split letter by letter."""
    return key.replace(" ", "")


# Every name a column is known by, official or alias, for every kind: key → column key.
_NAMES: dict[str, str] = {
    heading_key(name): key
    for key, names in (
        *((c.key, (c.heading,)) for f in FORMATS.values() for c in f.columns),
        *ALIASES.items(),
    )
    for name in names
}
_COMPACT_NAMES = {_compact(name): key for name, key in _NAMES.items()}
_ACCEPTED = frozenset(_NAMES)
_FIRST_HEADINGS = frozenset(name for name, key in _NAMES.items() if key == "number")
_COMPACT_FIRST = frozenset(map(_compact, _FIRST_HEADINGS))


def has_first_heading(cells: Iterable[str]) -> bool:
    """Whether a row holds a short 'No.'-like cell, as every annex header does in some position:
    the cheap test before `match_header`, whose close spelling is slow over every data row."""
    # 'No.' with room for stray spaces and dots; a longer cell is text, not this heading.
    return any(
        len(cell) < 30
        and (
            (key := heading_key(cell)) in _FIRST_HEADINGS
            or _compact(key).rstrip(".") in _COMPACT_FIRST
        )
        for cell in cells
    )


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
            f"La columna «{squash(written)}» se leyó como "
            f"«{column.heading.rstrip(' ' + FOOTNOTE_MARKER)}»."
            for written, column in zip(self.written, self.columns, strict=True)
            if column is not None and not accepted_heading(written)
        ]
        notes += [
            f"La columna «{squash(written)}» no es de ningún anexo: su contenido no se leyó."
            for written, column in zip(self.written, self.columns, strict=True)
            if column is None and written.strip()
        ]
        order = [c.key for c in self.columns if c is not None]
        if order != [c.key for c in self.annex.columns]:
            notes.append("Las columnas están en otro orden que el oficial; se leyeron por nombre.")
        return notes


def accepted_heading(written: str) -> bool:
    """A spelling read without a finding: a column's own heading, an alias, or either
    printed vertically or over several lines."""
    key = heading_key(written)
    return key in _ACCEPTED or _compact(key) in _COMPACT_NAMES


def match_header(cells: list[str]) -> HeaderMatch | None:
    """The annex whose columns a row names, exactly or by close spelling, in any order."""
    exact = next((f for f in FORMATS.values() if f.matches_header(cells)), None)
    if exact is not None:
        return HeaderMatch(exact, exact.columns, tuple(cells))
    # Data rows are long and headings short: only rows of short cells are worth comparing.
    if len(cells) < 5 or any(len(c) > _LONGEST_HEADING for c in cells):
        return None
    keys = tuple(_column_named(cell) for cell in cells)
    found = [k for k in keys if k is not None]
    if len(found) != len(set(found)):
        return None
    for annex in sorted(FORMATS.values(), key=lambda f: -len(f.columns)):
        if set(found) == {c.key for c in annex.columns}:
            own = {c.key: c for c in annex.columns}
            columns = tuple(own[k] if k is not None else None for k in keys)
            return HeaderMatch(annex, columns, tuple(cells))
    return None


# Vertical headings spread one letter per line: a cell of up to ~3 characters per line.
_LONGEST_HEADING = 4 * max(len(name) for name in _NAMES)
_SIMILAR = 0.8


def _column_named(written: str) -> str | None:
    """The key of the column a header cell names, exactly, as an alias or by close spelling."""
    key = heading_key(written)
    if not key:
        return None
    if key in _NAMES:
        return _NAMES[key]
    if (compact := _compact(key)) in _COMPACT_NAMES:
        return _COMPACT_NAMES[compact]
    best, score = None, 0.0
    for official, column_key in _NAMES.items():
        similarity = difflib.SequenceMatcher(None, key, official).ratio()
        # 'Porcentaje de avance' for 'Porcentaje de avance y justificación', and the like.
        if len(key) >= 8 and (official.startswith(key) or key.startswith(official)):
            similarity = max(similarity, 0.9)
        # 'Documento probatorio (nombre del archivo)': most of its words are the official's.
        words = set(re.findall(r"\w+", key))
        if len(words) >= 3 and len(words & set(re.findall(r"\w+", official))) >= 0.75 * len(words):
            similarity = max(similarity, 0.85)
        if similarity > score:
            best, score = column_key, similarity
    return best if score >= _SIMILAR else None


# The lines above the table that name the institution and the program, and the signatories
# below it, as filings write them.
INSTITUTION_LABEL = "Nombre de la Dependencia/Entidad"
PROGRAM_LABEL = "Nombre del programa"
_HEADER_LABELS = {
    "institution": (
        "nombre de la dependencia/entidad",
        "nombre de la dependencia o entidad",
        "nombre de la dependencia",
        "nombre de la entidad",
        "dependencia/entidad",
        "dependencia o entidad",
        "dependencia",
        "entidad",
    ),
    "program": (
        "nombre del programa",
        "nombre del programa presupuestario",
        "programa presupuestario",
        "programa",
    ),
}
_LABEL_KINDS = {label: kind for kind, labels in _HEADER_LABELS.items() for label in labels}
# A program's budget key before its name: '107 Educación Superior', 'S054 Opciones Productivas'.
_PROGRAM_KEY = re.compile(r"^(?P<key>[A-Za-z]\d{3}|\d{1,4})\s*[-–.]?\s+(?P<name>\S.*)$")

SIGNATORY_ROLES = {
    "responsable": "Responsable del programa",
    "enlace": "Enlace de evaluación",
    "titular": "Titular de la dependencia",
}
_SIGNATORY_LABELS = {
    "responsable del programa": "responsable",
    "responsable del programa presupuestario": "responsable",
    "enlace de evaluacion": "enlace",
    "enlace de la evaluacion": "enlace",
    "enlace de evaluaciones": "enlace",
    "enlace": "enlace",
    "titular de la dependencia": "titular",
    "titular de la entidad": "titular",
    "titular de la dependencia/entidad": "titular",
    "titular de la institucion": "titular",
    "titular": "titular",
}


def _labelled(line: str) -> tuple[str, str] | None:
    label, colon, value = line.partition(":")
    if not colon or len(label) > 45:
        return None
    return fold(label).rstrip(" ."), squash(value)


def read_header_line(line: str) -> tuple[str, str] | None:
    """'Nombre de la Dependencia/Entidad: X' → ('institution', 'X'); the program likewise."""
    labelled = _labelled(line)
    if labelled is None or labelled[0] not in _LABEL_KINDS:
        return None
    return _LABEL_KINDS[labelled[0]], labelled[1]


def split_program(value: str) -> tuple[str, str]:
    """'107 Educación Superior' → ('107', 'Educación Superior'); a name alone keeps no key."""
    match = _PROGRAM_KEY.match(value)
    return (match["key"], match["name"]) if match else ("", value)


def header_lines(institution: str, program: str, program_key: str) -> list[str]:
    named = f"{program_key} {program}" if program_key else program
    return [f"{INSTITUTION_LABEL}: {institution}", f"{PROGRAM_LABEL}: {named}"]


def signatory_line(signatory: Signatory) -> str:
    """'Responsable del programa: Name, Post' — names carry no comma, posts may."""
    role = SIGNATORY_ROLES.get(signatory.role, signatory.role)
    who = f"{signatory.name}, {signatory.post}" if signatory.post else signatory.name
    return f"{role}: {who}"


def read_signatory_line(line: str) -> Signatory | None:
    labelled = _labelled(line)
    if labelled is None or labelled[0] not in _SIGNATORY_LABELS or not labelled[1]:
        return None
    name, _, post = labelled[1].partition(",")
    return Signatory(_SIGNATORY_LABELS[labelled[0]], name.strip(), post.strip())


def signatory_role(text: str) -> str | None:
    """The role a label names ('Responsable del Programa:' → 'responsable'), or None."""
    return _SIGNATORY_LABELS.get(fold(text).rstrip(" .:"))


def post_role(post: str) -> str | None:
    """The role a post names when it is one ('Enlace de Evaluación del Programa' → 'enlace'):
    a label of several words opening it; a bare 'Titular' opens other posts too ('Titular de
    la Unidad de Evaluación')."""
    folded = fold(post).rstrip(" .:")
    for label, role in _SIGNATORY_LABELS.items():
        if folded == label or (" " in label and folded.startswith(f"{label} ")):
            return role
    return None


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
