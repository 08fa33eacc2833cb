"""The neutral annex document every parser yields and every renderer takes (no Django)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, the month or the year, with the text it was read from."""

    year: int
    month: int | None = None
    day: int | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        # Raises ValueError for impossible dates such as 31/02.
        dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period: a partial date is due at the end of its period."""
        if self.day is not None:
            return self.start
        if self.month is not None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, 12, 31)

    def iso(self) -> str:
        """ISO form at its own precision: 2009, 2009-01 or 2009-01-30."""
        if self.day is not None:
            return self.start.isoformat()
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @classmethod
    def from_iso(cls, value: str, text: str = "") -> PartialDate:
        parts = [int(p) for p in value.split("-")]
        year, month, day = [*parts, None, None][:3]
        return cls(year=year, month=month, day=day, text=text or value)

    @classmethod
    def of(cls, date: dt.date, precision: Precision, text: str = "") -> PartialDate:
        month = None if precision is Precision.YEAR else date.month
        day = date.day if precision is Precision.DAY else None
        return cls(year=date.year, month=month, day=day, text=text)


@dataclass(frozen=True)
class CellRef:
    """The value a finding is about, so a person's correction can be put in its place.

    `section` is the index of the cycle in the document, `activity` the index within the ASM
    (None for the ASM's own text), `field` the value ('due', 'actual_end', 'percent',
    'concluded', 'coordinating', 'responsible', 'theme') and `subject` the name concerned
    when a cell holds several (an unknown area).
    """

    section: int
    aspect: str
    activity: int | None
    field: str
    subject: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "aspect": self.aspect,
            "activity": self.activity,
            "field": self.field,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Finding:
    """Something read that a person should look at: where it was seen and what was chosen."""

    kind: str
    where: str
    text: str
    cell: CellRef | None = None
    # What the person reviewing the import decided: 'Confirmada' or 'Corregida: «…»'.
    resolution: str = ""

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {"kind": self.kind, "where": self.where, "text": self.text}
        if self.cell is not None:
            found["cell"] = self.cell.as_dict()
        if self.resolution:
            found["resolution"] = self.resolution
        return found


class AnnexRejected(Exception):
    """The input cannot be read as an annex; the message says why, in Spanish."""


@dataclass(frozen=True)
class AreaRef:
    """One area named in a cell, as written (a trailing period dropped), and its role note."""

    name: str
    note: str = ""


@dataclass(frozen=True)
class AreaCell:
    text: str
    areas: tuple[AreaRef, ...] = ()


@dataclass(frozen=True)
class DueCell:
    """'Fecha de Término': the committed date and, when the cell gives it, the actual end."""

    text: str
    due: PartialDate | None = None
    actual_end: PartialDate | None = None


@dataclass(frozen=True)
class ProgressCell:
    """'Porcentaje de avance y justificación' with what its free text states."""

    text: str
    percent: int | None = None
    concluded: PartialDate | None = None
    replanning: bool | None = None


@dataclass(frozen=True)
class ActivityEntry:
    text: str
    coordinating: AreaCell
    responsible: AreaCell
    due: DueCell
    expected_results: str = ""
    deliverable: str = ""
    progress: ProgressCell = ProgressCell("")
    proof: str = ""
    observations: str = ""

    @property
    def percent(self) -> int | None:
        return self.progress.percent

    @property
    def concluded(self) -> PartialDate | None:
        return self.progress.concluded or self.due.actual_end


@dataclass(frozen=True)
class AspectEntry:
    number: str
    text: str
    theme: str | None
    statement: str
    activities: tuple[ActivityEntry, ...] = ()


@dataclass(frozen=True)
class Section:
    """One cycle heading, e.g. 'ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)'."""

    heading: str
    classification: str
    evaluation_period: str
    mechanism_year: int
    aspects: tuple[AspectEntry, ...] = ()


@dataclass(frozen=True)
class AnnexDocument:
    title: str
    institution: str
    program: str
    annex: str
    kind: str
    sections: tuple[Section, ...] = ()
    prepared: PartialDate | None = None
    footnote: str = ""
    # Findings describe one reading of one file, not the annex itself: two readings of the
    # same annex are equal even when one of them had to join page-break fragments.
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def aspect_count(self) -> int:
        return sum(len(s.aspects) for s in self.sections)

    def activity_count(self) -> int:
        return sum(len(a.activities) for s in self.sections for a in s.aspects)
