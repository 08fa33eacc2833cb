"""The annex kinds of the mechanism, as data: letter, title, columns and footnote per version.

The letters and column sets changed between versions of the mechanism, so each kind is tied
to the version it was published in. Headings are reproduced letter for letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    def annex_line(self) -> str:
        return f"Anexo {self.letter}. {self.name}"

    def headings(self) -> list[str]:
        return [column.heading for column in self.columns]

    def matches_header(self, cells: list[str]) -> bool:
        return [heading_key(c) for c in cells] == [heading_key(h) for h in self.headings()]


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

FORMATS: dict[str, AnnexFormat] = {
    "anexo-e": AnnexFormat(
        code="anexo-e",
        mechanism="2011",
        letter="E",
        name="Avance al documento institucional",
        title=(
            "SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO INSTITUCIONALES, "
            "DERIVADOS DE INFORMES Y EVALUACIONES EXTERNAS"
        ),
        classification="institucional",
        columns=_COMMITMENT_COLUMNS + _PROGRESS_COLUMNS,
        footnote=REPLANNING_FOOTNOTE,
    ),
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


def format_for_header(cells: list[str]) -> AnnexFormat | None:
    return next((f for f in FORMATS.values() if f.matches_header(cells)), None)


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
