"""Anexo F, the institution's position on one evaluation, as plain data (no Django).

Every parser of an Anexo F yields a PositionDocument and every renderer takes one, as the
other annexes do with AnnexDocument: `parse(render(doc)) == doc`. The counts of ASM by
classification and priority are kept as the document states them; `counted` gives what its
own list of ASM says, and `count_findings` names every figure that disagrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum

from mejora.annex.document import Finding
from mejora.annex.words import fold

POSITION_TITLE = "Anexo F. Posición institucional"
POSITION_KIND = "anexo-f"


class Acceptance(StrEnum):
    """'Se acepta (Sí/No)', with the partial acceptance agencies also write."""

    YES = "si"
    PARTIAL = "parcial"
    NO = "no"


ACCEPTANCE_LABELS = {Acceptance.YES: "Sí", Acceptance.PARTIAL: "Parcialmente", Acceptance.NO: "No"}


def read_acceptance(text: str) -> Acceptance | None:
    """'Sí', 'SI', 'x', 'Parcialmente', 'No': the cell of 'Se acepta', or None when unreadable."""
    folded = fold(text).strip(" .")
    if "parcial" in folded:
        return Acceptance.PARTIAL
    if folded in ("si", "x", "se acepta", "aceptada", "acepta") or _ANSWER_YES.match(folded):
        return Acceptance.YES
    if folded in ("no se acepta", "rechazada") or _ANSWER_NO.match(folded):
        return Acceptance.NO
    return None


# 'Sí, se atenderá…', 'No. Corresponde a…': the answer, then its reason.
_ANSWER_YES = re.compile(r"^si(?:$|[\s,.;:-])")
_ANSWER_NO = re.compile(r"^no(?:$|[\s,.;:-])")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of an Anexo F as laid out: its readers and renderers walk these blocks."""

    text: str


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class RecommendationEntry:
    """A row of the specific comments: the recommendation, whether it is accepted, and the
    comment of the administrative units."""

    text: str
    accepted: Acceptance
    comment: str = ""


@dataclass(frozen=True)
class PositionAspect:
    """An ASM the position lists: its number, text, classification and priority as words."""

    number: str
    text: str
    classification: str = ""
    priority: str = ""


@dataclass(frozen=True)
class Signatory:
    name: str
    post: str = ""


# The counts' rows, in the order the annex prints them: (field, label, words that name it).
CLASSIFICATION_ROWS = (
    ("specific", "Específicos", ("especific",)),
    ("institutional", "Institucionales", ("institucional",)),
    ("interinstitutional", "Interinstitucionales", ("interinstitucional",)),
    ("intergovernmental", "Intergubernamentales", ("intergubernamental",)),
)
PRIORITY_ROWS = (
    ("very_high", "Muy alta", ("muy alta", "muy alto")),
    ("high", "Alta", ("alta", "alto")),
    ("medium", "Media", ("media", "medio")),
    ("low", "Baja", ("baja", "bajo")),
)
TOTAL_LABEL = "Total"
# The record's words (followup.models Classification and Aspect.Priority) for each count.
CLASSIFICATION_VALUES = {
    "especifico": "specific",
    "institucional": "institutional",
    "interinstitucional": "interinstitutional",
    "intergubernamental": "intergovernmental",
}
PRIORITY_VALUES = {"muy_alta": "very_high", "alta": "high", "media": "medium", "baja": "low"}
_COUNT_WORDS = {
    "specific": "ASM específicos",
    "institutional": "ASM institucionales",
    "interinstitutional": "ASM interinstitucionales",
    "intergovernmental": "ASM intergubernamentales",
    "total": "ASM en total",
    "very_high": "ASM de prioridad muy alta",
    "high": "ASM de prioridad alta",
    "medium": "ASM de prioridad media",
    "low": "ASM de prioridad baja",
}


@dataclass(frozen=True)
class PositionCounts:
    """The ASM counted by classification and by priority; None where the annex says nothing
    (a 'muy alta' row only where a state's scale has it)."""

    specific: int | None = None
    institutional: int | None = None
    interinstitutional: int | None = None
    intergovernmental: int | None = None
    total: int | None = None
    very_high: int | None = None
    high: int | None = None
    medium: int | None = None
    low: int | None = None

    def stated(self) -> dict[str, int]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    @property
    def has_classification(self) -> bool:
        return any(getattr(self, name) is not None for name, _, _ in CLASSIFICATION_ROWS)

    @property
    def has_priority(self) -> bool:
        return any(getattr(self, name) is not None for name, _, _ in PRIORITY_ROWS)


def count_aspects(pairs: Iterable[tuple[str, str]]) -> PositionCounts:
    """The counts of ASM given as (classification, priority) in the record's words; 'muy alta'
    stays unstated when no ASM has it, as the federal scale has no such row."""
    tally = dict.fromkeys(_COUNT_WORDS, 0)
    for classification, priority in pairs:
        tally["total"] += 1
        if classification in CLASSIFICATION_VALUES:
            tally[CLASSIFICATION_VALUES[classification]] += 1
        if priority in PRIORITY_VALUES:
            tally[PRIORITY_VALUES[priority]] += 1
    if not tally["very_high"]:
        del tally["very_high"]
    return PositionCounts(**tally)


def classification_value(text: str) -> str:
    """The record's word for a classification as written ('Institucional' → 'institucional')."""
    key = _row_key(text, CLASSIFICATION_ROWS)
    return {v: k for k, v in CLASSIFICATION_VALUES.items()}.get(key or "", "")


def priority_value(text: str) -> str:
    """The record's word for a priority as written ('Alto' → 'alta')."""
    key = _row_key(text, PRIORITY_ROWS)
    return {v: k for k, v in PRIORITY_VALUES.items()}.get(key or "", "")


def count_row_key(label: str) -> str | None:
    """Which count a row of a counts table gives, from its label ('ASM Institucionales')."""
    if fold(label).strip(" .:").endswith("total") or fold(label).startswith("total"):
        return "total"
    return _row_key(label, CLASSIFICATION_ROWS) or _row_key(label, PRIORITY_ROWS)


def _row_key(text: str, rows) -> str | None:
    folded = fold(text)
    # The longest words first: 'interinstitucional' contains 'institucional', 'muy alta' 'alta'.
    candidates = sorted(
        ((word, key) for key, _, words in rows for word in words), key=lambda p: -len(p[0])
    )
    for word, key in candidates:
        if re.search(rf"(?<![a-z]){re.escape(word)}", folded):
            return key
    # A narrow printed cell breaks a long word anywhere ('Intergubername ntales').
    joined = folded.replace(" ", "")
    for word, key in candidates:
        if len(word) > 8 and word.replace(" ", "") in joined:
            return key
    return None


@dataclass(frozen=True)
class PositionDocument:
    """The Anexo F of one evaluation: the title block, the five sections, and the counts."""

    institution: str
    program: str
    evaluation: str
    title: str = POSITION_TITLE
    general_comments: tuple[str, ...] = ()
    specific_comments: tuple[str, ...] = ()
    recommendations: tuple[RecommendationEntry, ...] = ()
    aspects: tuple[PositionAspect, ...] = ()
    counts: PositionCounts = PositionCounts()
    discarded: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    signatories: tuple[Signatory, ...] = ()
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    kind = POSITION_KIND

    def counted(self) -> PositionCounts:
        """The counts its own list of ASM gives."""
        return count_aspects(
            (classification_value(a.classification), priority_value(a.priority))
            for a in self.aspects
        )


def count_findings(
    stated: PositionCounts, actual: PositionCounts, *, of: str, where: str = "Anexo F"
) -> tuple[Finding, ...]:
    """One finding per stated count that differs from the actual one, naming both figures;
    `of` says what was counted ('su lista de ASM', 'los ASM de la evaluación en el registro')."""
    found = []
    for name, words in _COUNT_WORDS.items():
        said = getattr(stated, name)
        if said is None:
            continue
        real = getattr(actual, name) or 0
        if said != real:
            found.append(
                Finding(
                    kind="conteo",
                    where=where,
                    text=f"El anexo dice {said} {words}, pero {of} da {real}.",
                )
            )
    return tuple(found)


def own_count_findings(doc: PositionDocument) -> tuple[Finding, ...]:
    """The stated counts against the annex's own list of ASM, when it lists them."""
    if not doc.aspects:
        return ()
    return count_findings(doc.counts, doc.counted(), of="su lista de ASM")
