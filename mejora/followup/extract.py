"""The record as an AnnexDocument: what every renderer of the official annexes takes.

An annex at a cut shows, for each activity, the latest progress validated at or before the
cut's date; for an imported annex that is what the document said.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from mejora.annex.areas import AreaCatalogue
from mejora.annex.cells import Reading, read_due
from mejora.annex.compose import area_cell, aspect_text, due_cell, progress_cell, same_date
from mejora.annex.dates import spanish_month_year
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AreaRef,
    AspectEntry,
    PartialDate,
    ProgressCell,
    Section,
    Signatory,
)
from mejora.annex.formats import FORMATS, AnnexFormat, cycle_heading
from mejora.annex.words import fold
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Aspect,
    Cut,
    Cycle,
    Program,
)
from mejora.followup.selectors import aspect_tree
from mejora.followup.services.catalogue import catalogue_for


def annex_extract(
    program: Program, *, cut: Cut, kind: str, classification: str = ""
) -> AnnexDocument:
    """The annex of one kind for a program at a cut, built from validated progress; with a
    `classification`, its ASM of that class in the kind's cells (the free format's)."""
    annex = FORMATS[kind]
    classification = classification or annex.classification
    catalogue = catalogue_for(program.institution)
    aspects = aspect_tree(
        Aspect.objects.filter(program=program, classification=classification), cut.date
    )
    by_cycle: dict[Cycle, list[AspectEntry]] = {}
    # In chunks, each with its own prefetch: a large program never holds all its rows at once.
    for aspect in aspects.iterator(chunk_size=500):
        activities = (_activity(a, annex, catalogue) for a in aspect.activities.all())
        by_cycle.setdefault(aspect.cycle, []).append(
            AspectEntry(
                number=aspect.number,
                text=aspect_text(aspect.text, aspect.theme or None, aspect.statement),
                theme=aspect.theme or None,
                statement=aspect.statement,
                activities=tuple(activities),
            )
        )
    sections = tuple(
        Section(
            heading=cycle_heading(classification, cycle.evaluation_period, cycle.mechanism_year),
            classification=classification,
            evaluation_period=cycle.evaluation_period,
            mechanism_year=cycle.mechanism_year,
            aspects=tuple(entries),
        )
        for cycle, entries in by_cycle.items()
    )
    month = PartialDate(cut.date.year, cut.date.month)
    return AnnexDocument(
        title=annex.title,
        institution=program.institution.name,
        program=program.name,
        annex=annex.annex_line,
        kind=annex.code,
        sections=sections,
        prepared=PartialDate(month.year, month.month, text=spanish_month_year(month)),
        footnote=annex.footnote if annex.has_progress else "",
        program_key=program.key,
        signatories=tuple(Signatory.from_dict(s) for s in program.signatories),
    )


def _activity(activity: Activity, annex: AnnexFormat, catalogue: AreaCatalogue) -> ActivityEntry:
    roles = list(activity.area_roles.all())
    report = activity.validated_reports[-1] if activity.validated_reports else None
    concluded = report.concluded if report else None
    # After a replanning the annex shows the new date, as the program reported it.
    if activity.replanned:
        due_text, due = activity.replanned[-1].new_due_text, activity.replanned[-1].new_due
    else:
        due_text, due = activity.due_text, activity.due
    written_end = read_due(due_text, Reading()).actual_end
    concluded_in_due = written_end is not None and same_date(written_end, concluded)
    progress = ProgressCell("")
    if report is not None and annex.has_progress:
        progress = progress_cell(
            report.justification,
            report.percent,
            concluded,
            concluded_in_due=concluded_in_due,
        )
    return ActivityEntry(
        text=activity.text,
        coordinating=area_cell(activity.coordinating_text, _refs(roles, "coordinating"), catalogue),
        responsible=area_cell(activity.responsible_text, _refs(roles, "responsible"), catalogue),
        due=due_cell(due_text, due, concluded if concluded_in_due else None),
        expected_results=activity.expected_results,
        deliverable=activity.deliverable,
        progress=progress,
        proof=report.proof_text if report and annex.has_progress else "",
        observations=report.observations if report and annex.has_progress else "",
    )


def _refs(roles: list[ActivityArea], role: str) -> tuple[AreaRef, ...]:
    return tuple(AreaRef(r.written_as, r.note) for r in roles if r.role == role)


def latest_cut(program: Program) -> Cut | None:
    """The program's most recent cut with progress reported or an annex imported at it (a
    commitments annex reports no progress, yet it was issued at its cut)."""
    at = Q(reports__activity__aspect__program=program) | Q(anneximport__program=program)
    return Cut.objects.filter(at).distinct().order_by("-date").first()


def find_cut(text: str) -> Cut | None:
    """A cut by its date (2012-03-31) or its name ('marzo 2012', any case or accents)."""
    try:
        return Cut.objects.filter(date=dt.date.fromisoformat(text)).first()
    except ValueError:
        key = fold(text)
        return next((cut for cut in Cut.objects.all() if fold(cut.name) == key), None)
