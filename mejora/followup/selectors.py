"""Reads with rules: the record at a date, by program, with its status."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum

from mejora.annex.document import PartialDate, Precision
from mejora.annex.formats import FORMATS
from mejora.followup.models import (
    Activity,
    ActivityArea,
    AnnexImport,
    Area,
    Aspect,
    Cycle,
    Program,
    ProgressReport,
    Replanning,
)
from mejora.followup.status import (
    Status,
    activity_status,
    aspect_progress,
    aspect_status,
    days_late,
)
from mejora.stats.counting import activity_counts, aspect_counts


@dataclass(frozen=True)
class ActivityFacts:
    """What the status rules need to know of one activity at a date."""

    percent: int | None
    due: PartialDate | None
    replanned: tuple[PartialDate, ...]

    def status(self, as_of: dt.date) -> Status:
        return activity_status(
            percent=self.percent, due=self.due, replanned=self.replanned, as_of=as_of
        )


def _partial(date: dt.date | None, precision: str, text: str) -> PartialDate | None:
    return PartialDate.of(date, Precision(precision), text) if date else None


def activity_facts(activities: QuerySet[Activity], as_of: dt.date) -> dict[int, ActivityFacts]:
    """Latest validated percent at or before the date, and the replanned due dates, by id.

    Three queries whatever the number of activities.
    """
    ids = activities.values("id")
    percents: dict[int, int | None] = {}
    reports = (
        ProgressReport.objects.filter(
            activity_id__in=ids, state=ProgressReport.State.VALIDATED, cut__date__lte=as_of
        )
        .order_by("activity_id", "cut__date")
        .values_list("activity_id", "percent")
    )
    for activity_id, percent in reports:
        percents[activity_id] = percent  # ordered by cut: the last one is the latest
    replanned: dict[int, list[PartialDate]] = defaultdict(list)
    replannings = (
        Replanning.objects.filter(activity_id__in=ids)
        .filter(Q(cut__isnull=True) | Q(cut__date__lte=as_of))
        .order_by("activity_id", "created_at", "id")
        .values_list("activity_id", "new_due_on", "new_due_precision", "new_due_text")
    )
    for activity_id, date, precision, text in replannings:
        replanned[activity_id].append(_partial(date, precision, text))
    return {
        row["id"]: ActivityFacts(
            percents.get(row["id"]),
            _partial(row["due_on"], row["due_precision"], row["due_text"]),
            tuple(replanned.get(row["id"], ())),
        )
        for row in activities.values("id", "due_on", "due_precision", "due_text")
    }


def scoped_aspects(
    *,
    programs: QuerySet[Program] | None = None,
    institution: str | None = None,
    program: str | None = None,
    cycle: int | None = None,
) -> QuerySet[Aspect]:
    """ASM narrowed by the options of `mejora status` (names, acronyms or budget keys)."""
    aspects = Aspect.objects.all()
    if programs is not None:
        aspects = aspects.filter(program__in=programs)
    if institution:
        aspects = aspects.filter(
            Q(program__institution__name__iexact=institution)
            | Q(program__institution__acronym__iexact=institution)
        )
    if program:
        aspects = aspects.filter(Q(program__name__iexact=program) | Q(program__key__iexact=program))
    if cycle:
        aspects = aspects.filter(cycle__mechanism_year=cycle)
    return aspects


def find_programs(text: str | None) -> QuerySet[Program]:
    """Programs by name or budget key, any case; all of them when no text is given."""
    programs = Program.objects.select_related("institution").order_by("name")
    if not text:
        return programs
    return programs.filter(Q(name__iexact=text) | Q(key__iexact=text))


def status_counts(aspects: QuerySet[Aspect], as_of: dt.date) -> dict:
    """Counts by status of the ASM in scope and their activities, as `mejora status` prints.

    Only the ASM registered by the date count: the state at a date is the state then.
    Counted by the database (mejora.stats.counting): three queries whatever the size."""
    aspects = aspects.filter(registered_on__lte=as_of)
    activities = Activity.objects.filter(aspect__in=aspects)
    return {
        "as_of": as_of.isoformat(),
        "aspects": aspect_counts(aspects, as_of),
        "activities": activity_counts(activities, as_of),
    }


@dataclass
class ActivityRow:
    activity: Activity
    coordinating: list[ActivityArea]
    responsible: list[ActivityArea]
    report: ProgressReport | None
    status: Status
    days_late: int


@dataclass
class AspectBlock:
    aspect: Aspect
    progress: float
    status: Status
    activities: list[ActivityRow] = field(default_factory=list)


@dataclass
class CycleBlock:
    cycle: Cycle
    aspects: list[AspectBlock] = field(default_factory=list)


@dataclass
class ProgramOverview:
    program: Program
    as_of: dt.date
    cycles: list[CycleBlock]
    latest_import: AnnexImport | None


def aspect_tree(aspects: QuerySet[Aspect], as_of: dt.date) -> QuerySet[Aspect]:
    """ASM in cycle order with their activities, areas, and the validated reports and
    replannings in force at the date (`validated_reports`, `replanned`, oldest first)."""
    reports = ProgressReport.objects.filter(
        state=ProgressReport.State.VALIDATED, cut__date__lte=as_of
    ).order_by("cut__date")
    replannings = Replanning.objects.filter(Q(cut__isnull=True) | Q(cut__date__lte=as_of)).order_by(
        "created_at", "id"
    )
    activities = Activity.objects.order_by("order").prefetch_related(
        Prefetch(
            "area_roles",
            queryset=ActivityArea.objects.select_related("area").order_by("role", "position"),
        ),
        Prefetch("reports", queryset=reports, to_attr="validated_reports"),
        Prefetch("replannings", queryset=replannings, to_attr="replanned"),
    )
    return (
        aspects.select_related("cycle")
        .order_by("cycle__mechanism_year", "cycle__evaluation_period", "id")
        .prefetch_related(Prefetch("activities", queryset=activities))
    )


def program_as_of_date(program: Program) -> dt.date:
    """The date a program's record is shown at: its latest cut with validated data, else today.

    Drafts and reports waiting for review are not the official state, so they move nothing."""
    latest = (
        ProgressReport.objects.filter(
            activity__aspect__program=program, state=ProgressReport.State.VALIDATED
        )
        .order_by("-cut__date")
        .values_list("cut__date", flat=True)
        .first()
    )
    return latest or dt.date.today()


def program_overview(
    program: Program,
    as_of: dt.date,
    visible: QuerySet[Activity] | None = None,
    aspects: QuerySet[Aspect] | None = None,
) -> ProgramOverview:
    """Cycles → ASM → activities with their areas, latest validated report and status.

    With `visible`, only those activities are listed (an area's), and only the ASM holding
    one; an ASM's progress and status are still those of all its activities. With `aspects`,
    only those of the program's ASM (a page of them)."""
    registered = (aspects if aspects is not None else Aspect.objects).filter(
        program=program, registered_on__lte=as_of
    )
    shown = (
        None
        if visible is None
        else set(visible.filter(aspect__in=registered).values_list("pk", flat=True))
    )
    facts = activity_facts(Activity.objects.filter(aspect__in=registered), as_of)
    aspects = aspect_tree(registered, as_of)
    cycles: dict[int, CycleBlock] = {}
    for aspect in aspects:
        rows = []
        for activity in aspect.activities.all():
            roles = list(activity.area_roles.all())
            fact = facts[activity.pk]
            rows.append(
                ActivityRow(
                    activity=activity,
                    coordinating=[r for r in roles if r.role == ActivityArea.Role.COORDINATING],
                    responsible=[r for r in roles if r.role == ActivityArea.Role.RESPONSIBLE],
                    report=activity.validated_reports[-1] if activity.validated_reports else None,
                    status=fact.status(as_of),
                    days_late=days_late(
                        percent=fact.percent, due=fact.due, replanned=fact.replanned, as_of=as_of
                    ),
                )
            )
        progress = aspect_progress(facts[r.activity.pk].percent for r in rows)
        status = aspect_status([r.status for r in rows], progress)
        if shown is not None:
            rows = [r for r in rows if r.activity.pk in shown]
            if not rows:
                continue
        block = AspectBlock(aspect, progress, status, rows)
        cycles.setdefault(aspect.cycle_id, CycleBlock(aspect.cycle)).aspects.append(block)
    latest_import = AnnexImport.objects.filter(program=program).first()
    return ProgramOverview(program, as_of, list(cycles.values()), latest_import)


def program_record_stamp(program: Program | None) -> str:
    """A fingerprint of everything an import would compare with: it changes with any edit.

    A review page keeps it; confirming checks it again, so an import never writes over a
    change another person made while the first one was reviewing.
    """
    if program is None:
        return "nuevo"
    parts = []
    for rows in (
        Aspect.objects.filter(program=program),
        Activity.objects.filter(aspect__program=program),
        ActivityArea.objects.filter(activity__aspect__program=program),
        ProgressReport.objects.filter(activity__aspect__program=program),
        Replanning.objects.filter(activity__aspect__program=program),
        AnnexImport.objects.filter(program=program),
    ):
        fields = {f.name for f in rows.model._meta.get_fields()}
        aggregates = {"count": Count("pk"), "last": Max("pk")}
        if "version" in fields:
            aggregates["versions"] = Sum("version")
        if "updated_at" in fields:  # edits that leave the version alone (admin inlines)
            aggregates["edited"] = Max("updated_at")
        summary = rows.aggregate(**aggregates)
        parts.append(",".join(str(summary[key]) for key in sorted(summary)))
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:32]


def area_names_for(institution_name: str) -> list[str]:
    """The names in an institution's area catalogue, for a reviewer to choose from."""
    return list(
        Area.objects.filter(institution__name=institution_name)
        .order_by("name")
        .values_list("name", flat=True)
    )


def annex_activity_count(program: Program, kind: str) -> int:
    """How many activities the program's annex of that kind holds: how long it is to print."""
    classification = FORMATS[kind].classification
    return Activity.objects.filter(
        aspect__program=program, aspect__classification=classification
    ).count()
