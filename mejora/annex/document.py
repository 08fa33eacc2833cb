"""The neutral annex document every parser yields and every renderer takes (no Django)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import json
import types
import typing
from dataclasses import dataclass, field
from enum import StrEnum

from mejora.annex.messages import Message


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
    """The input cannot be read as an annex; the message says why.

    Raised as `AnnexRejected(gettext_noop("… {where} …"), where=…)`, its `message` keeps the
    template and the values apart so the page showing it can translate it; `str()` is the
    Spanish.
    """

    def __init__(self, message: str | Message, /, **fields: object) -> None:
        self.message = message if isinstance(message, Message) else Message(message, fields)
        super().__init__(str(self.message))


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
    def products(self) -> tuple[str, ...]:
        """The products and evidence the cell lists, one each: a cell parts them with ' / '
        (blank lines between them are read as that)."""
        return tuple(p for p in (part.strip() for part in self.deliverable.split(" / ")) if p)

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
class Signatory:
    """One who signs below the table: `role` is 'responsable' (of the program), 'enlace'
    (the evaluation liaison) or 'titular' (the head of the institution)."""

    role: str
    name: str
    post: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "name": self.name, "post": self.post}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Signatory:
        return cls(data["role"], data["name"], data.get("post", ""))


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
    # 'Nombre del programa: 107 Educación Superior' gives the key '107' beside the name.
    program_key: str = ""
    signatories: tuple[Signatory, ...] = ()
    # Findings describe one reading of one file, not the annex itself: two readings of the
    # same annex are equal even when one of them had to join page-break fragments.
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def aspect_count(self) -> int:
        return sum(len(s.aspects) for s in self.sections)

    def activity_count(self) -> int:
        return sum(len(a.activities) for s in self.sections for a in s.aspects)


# A reading kept between a page and a background task is JSON: plain data anyone can read,
# never a serialized object that runs code when loaded.


def document_to_json(document: AnnexDocument) -> str:
    """The document, findings included, as JSON that document_from_json reads back equal."""
    return json.dumps(as_plain(document), ensure_ascii=False, separators=(",", ":"))


def document_from_json(text: str) -> AnnexDocument:
    """The document document_to_json wrote; ValueError when the text is not one."""
    try:
        return from_plain(AnnexDocument, json.loads(text))
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"not an annex document: {error}") from error


def as_plain(value: object) -> object:
    """Any dataclass of the reading (a document, a finding, a part of a filing) as plain
    JSON-ready data; `from_plain` builds it back from its type."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [as_plain(item) for item in value]
    return value


def from_plain(kind: object, data: object) -> object:
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        if data is None:
            return None
        [kind] = [option for option in typing.get_args(kind) if option is not type(None)]
        return from_plain(kind, data)
    if origin is tuple:
        [item_kind, _ellipsis] = typing.get_args(kind)
        return tuple(from_plain(item_kind, item) for item in data)  # type: ignore[union-attr]
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        if not isinstance(data, dict):
            raise TypeError(f"{kind.__name__} expects an object")
        values = {
            f.name: from_plain(hints[f.name], data[f.name])
            for f in dataclasses.fields(kind)
            if f.name in data
        }
        return kind(**values)
    if kind in (int, str, bool) and not isinstance(data, kind):
        raise TypeError(f"expected {kind}, got {type(data).__name__}")
    return data
