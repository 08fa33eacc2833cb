"""A person's review of a read annex: each doubtful reading confirmed or corrected.

The parser leaves a finding for every reading a person should look at, pointing at the value
it concerns (`Finding.cell`). Reviewing gives back the document with the corrections put in
place and every finding marked with what the person decided, so the import writes what was
reviewed and its record keeps the decisions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from enum import StrEnum

from mejora.annex.areas import AreaCatalogue, area_key
from mejora.annex.dates import read_date
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AnnexRejected,
    AreaCell,
    AreaRef,
    CellRef,
    Finding,
    PartialDate,
)
from mejora.annex.messages import Message, gettext_noop
from mejora.annex.words import squash


class CorrectionInput(StrEnum):
    """What a person types to correct a reading."""

    DATE = "date"
    PERCENT = "percent"
    AREA = "area"
    TEXT = "text"


# An activity's cells of plain text (a scan's doubtful reading of them is corrected as typed).
TEXT_FIELDS = ("text", "expected_results", "deliverable", "proof", "observations")


_INPUT_BY_FIELD = {
    "due": CorrectionInput.DATE,
    "actual_end": CorrectionInput.DATE,
    "concluded": CorrectionInput.DATE,
    "percent": CorrectionInput.PERCENT,
    "coordinating": CorrectionInput.AREA,
    "responsible": CorrectionInput.AREA,
} | dict.fromkeys(TEXT_FIELDS, CorrectionInput.TEXT)


class ReviewIncomplete(AnnexRejected):
    """Some findings are neither confirmed nor correctly corrected; nothing is imported."""

    def __init__(self, problems: Mapping[int, Message]) -> None:
        self.problems = dict(problems)
        super().__init__(
            gettext_noop(
                "Hay {count} lecturas sin confirmar o con una corrección que no se entendió; no "
                "se importó nada."
            ),
            count=len(self.problems),
        )


def correction_input(finding: Finding) -> CorrectionInput | None:
    """The kind of value that corrects this finding, or None when it can only be confirmed."""
    if finding.cell is None:
        return None
    if finding.cell.field in ("coordinating", "responsible") and not finding.cell.subject:
        return None
    return _INPUT_BY_FIELD.get(finding.cell.field)


def read_correction(
    finding: Finding, typed: str, catalogue: AreaCatalogue
) -> PartialDate | int | str:
    """The typed correction as a value, or AnnexRejected saying in Spanish what is wrong."""
    typed = squash(typed)
    match correction_input(finding):
        case CorrectionInput.DATE:
            found = read_date(typed)
            if found.date is None or found.doubt:
                raise AnnexRejected(
                    gettext_noop(
                        "No se entendió la fecha «{typed}»; escríbala como 30/06/2012 o junio 2012."
                    ),
                    typed=typed,
                )
            return found.date
        case CorrectionInput.PERCENT:
            number = typed.rstrip("% ").strip()
            if not number.isascii() or not number.isdecimal() or not 0 <= int(number) <= 100:
                raise AnnexRejected(
                    gettext_noop("«{typed}» no es un porcentaje entero entre 0 y 100."), typed=typed
                )
            return int(number)
        case CorrectionInput.AREA:
            area = catalogue.find(typed)
            if area is None:
                raise AnnexRejected(
                    gettext_noop("«{typed}» no está en el catálogo de áreas."), typed=typed
                )
            return area.name
        case CorrectionInput.TEXT:
            return typed
    raise AnnexRejected(gettext_noop("Esta lectura solo puede confirmarse."))


def review_document(
    doc: AnnexDocument,
    *,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    catalogue: AreaCatalogue,
) -> AnnexDocument:
    """The document with the corrections in place and each finding marked as decided.

    `corrections` maps a finding's index to what the person typed (blank: no correction);
    every other finding must be in `confirmed`. Raises ReviewIncomplete, naming each
    finding left undecided or corrected with a value that cannot be read.
    """
    problems: dict[int, Message] = {}
    values: dict[int, PartialDate | int | str] = {}
    for index, finding in enumerate(doc.findings):
        typed = squash(corrections.get(index, ""))
        if typed:
            try:
                values[index] = read_correction(finding, typed, catalogue)
            except AnnexRejected as error:
                problems[index] = error.message
        elif index not in confirmed:
            problems[index] = Message(gettext_noop("Confirme esta lectura o corríjala."))
    if problems:
        raise ReviewIncomplete(problems)
    doc = _put_all(doc, {doc.findings[index].cell: value for index, value in values.items()})
    findings = tuple(
        replace(
            finding,
            resolution=(
                f"Corregida: «{squash(corrections[index])}»" if index in values else "Confirmada"
            ),
        )
        for index, finding in enumerate(doc.findings)
    )
    return replace(doc, findings=findings)


def current_value(doc: AnnexDocument, cell: CellRef) -> str:
    """The value a finding's reading chose, as the review page shows it."""
    activity = _activity(doc, cell)
    if activity is None:
        return ""
    match cell.field:
        case "due" | "actual_end":
            return _date_shown(getattr(activity.due, cell.field))
        case "concluded":
            return _date_shown(activity.progress.concluded)
        case "percent":
            percent = activity.progress.percent
            return f"{percent}%" if percent is not None else "sin porcentaje"
        case "coordinating" | "responsible":
            return " | ".join(area.name for area in getattr(activity, cell.field).areas)
        case field if field in TEXT_FIELDS:
            return getattr(activity, field)
    return ""


def _date_shown(date: PartialDate | None) -> str:
    return date.iso() if date is not None else "sin fecha"


def _activity(doc: AnnexDocument, cell: CellRef) -> ActivityEntry | None:
    if cell.activity is None or cell.section >= len(doc.sections):
        return None
    for aspect in doc.sections[cell.section].aspects:
        if aspect.number == cell.aspect and cell.activity < len(aspect.activities):
            return aspect.activities[cell.activity]
    return None


def _put_all(
    doc: AnnexDocument, values: Mapping[CellRef | None, PartialDate | int | str]
) -> AnnexDocument:
    """Every correction in one pass over the document, however many there are."""
    if not values:
        return doc
    by_activity: dict[tuple[int, str, int | None], dict[str, PartialDate | int | str]] = {}
    area_names: dict[str, str] = {}
    for cell, value in values.items():
        assert cell is not None  # read_correction accepts only findings that point at a cell
        if cell.field in ("coordinating", "responsible"):
            # An unknown area is reported once, the first time it is read: naming it is
            # naming it wherever it was written, however it was spelled.
            area_names[area_key(cell.subject)] = str(value)
        else:
            by_activity.setdefault((cell.section, cell.aspect, cell.activity), {})[cell.field] = (
                value
            )

    def renamed(area_cell: AreaCell) -> AreaCell:
        if not any(area_key(area.name) in area_names for area in area_cell.areas):
            return area_cell
        areas = tuple(
            AreaRef(area_names.get(area_key(area.name), area.name), area.note)
            for area in area_cell.areas
        )
        return replace(area_cell, areas=areas)

    def corrected(place: tuple[int, str, int], activity: ActivityEntry) -> ActivityEntry:
        if area_names:
            activity = replace(
                activity,
                coordinating=renamed(activity.coordinating),
                responsible=renamed(activity.responsible),
            )
        fields = by_activity.get(place, {})
        due = {key: fields[key] for key in ("due", "actual_end") if key in fields}
        progress = {key: fields[key] for key in ("concluded", "percent") if key in fields}
        texts = {key: fields[key] for key in TEXT_FIELDS if key in fields}
        if texts:
            activity = replace(activity, **texts)
        if due:
            activity = replace(activity, due=replace(activity.due, **due))
        if progress:
            activity = replace(activity, progress=replace(activity.progress, **progress))
        return activity

    return _map_activities(
        doc, lambda section, aspect, index, activity: corrected((section, aspect, index), activity)
    )


def _map_activities(doc: AnnexDocument, change) -> AnnexDocument:
    sections = tuple(
        replace(
            section,
            aspects=tuple(
                replace(
                    aspect,
                    activities=tuple(
                        change(s, aspect.number, i, activity)
                        for i, activity in enumerate(aspect.activities)
                    ),
                )
                for aspect in section.aspects
            ),
        )
        for s, section in enumerate(doc.sections)
    )
    return replace(doc, sections=sections)
