"""Reads of the follow-up in progress: what waits for whom, and an activity's story.

The scoping querysets come from the access layer (the caller's), so the domain stays free of
memberships: each function narrows what it is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery

from mejora.annex.document import PartialDate
from mejora.followup.models import (
    Activity,
    ActivityArea,
    ActivityFacts,
    ChangeRecord,
    Cut,
    Evidence,
    Program,
    ProgressReport,
    Replanning,
)
from mejora.followup.status import effective_due

DUE_SOON_DAYS = 30


def concluded_at(day: dt.date) -> Exists:
    """Whether the activity is concluded at the day: the span of its kept facts that covers the
    day holds a validated 100 (followup/facts.py), one indexed probe per activity.

    The one rule of "concluded" for pending work, the status at a date (DESIGN.md: its latest
    validated percent is 100), not "ever validated at 100": a later report may bring a 100
    down, with its justification, and that activity is being worked on again. Read from the
    reports, "latest" would sort each activity's validated reports; the spans hold it."""
    return Exists(
        ActivityFacts.objects.filter(
            activity=OuterRef("pk"), starts__lte=day, ends__gt=day, percent=100
        )
    )


def to_capture(activities: QuerySet[Activity], cut: Cut | None) -> QuerySet[Activity]:
    """Activities not concluded at the open cut's date that have no report at it, or only a
    draft."""
    if cut is None:
        return activities.none()
    # At the cut's date, as its annex will show the status, rather than today: the count then
    # rests on the record alone, never the clock, so the navigation may keep it until the
    # record changes. The two read the same span unless another cut is dated between them.
    sent = ProgressReport.objects.filter(activity=OuterRef("pk"), cut=cut).exclude(
        state=ProgressReport.State.DRAFT
    )
    return activities.exclude(concluded_at(cut.date)).exclude(Exists(sent))


def to_fix(reports: QuerySet[ProgressReport], cut: Cut | None) -> QuerySet[ProgressReport]:
    """Reports of the open cut the evaluation unit returned."""
    if cut is None:
        return reports.none()
    return reports.filter(cut=cut, state=ProgressReport.State.RETURNED)


def to_review(reports: QuerySet[ProgressReport]) -> QuerySet[ProgressReport]:
    """Reports sent to the evaluation unit and waiting for its decision."""
    return reports.filter(state=ProgressReport.State.SUBMITTED)


@dataclass(frozen=True)
class PendingCounts:
    capture: int
    fix: int
    review: int

    @property
    def total(self) -> int:
        return self.capture + self.fix + self.review


def pending_counts(
    *,
    capture_activities: QuerySet[Activity] | None,
    capture_reports: QuerySet[ProgressReport] | None,
    review_reports: QuerySet[ProgressReport] | None,
    cut: Cut | None,
) -> PendingCounts:
    """The numbers the navigation shows; one query each, whatever the record holds.

    A scope not given (None) is one the person does not have: it counts nothing."""
    capture = (
        to_capture(capture_activities, cut).count() if cut and capture_activities is not None else 0
    )
    fix = to_fix(capture_reports, cut).count() if cut and capture_reports is not None else 0
    review = to_review(review_reports).count() if review_reports is not None else 0
    return PendingCounts(capture=capture, fix=fix, review=review)


# How many change rows, counted back from the latest, the generation also counts. On
# PostgreSQL a writer may commit a row whose id it took before another writer's later row
# committed: the latest id stays as it was, while the count of the recent ones grows.
RECENT_CHANGES = 1000


@dataclass(frozen=True)
class RecordGeneration:
    """What every count of pending work rests on: the history's latest change row (every write
    of the record writes one in its own transaction) and the cut open for reports."""

    change_id: int
    change_at: dt.datetime  # two records restored over one another may reuse an id, not a time
    recent_changes: int
    cut_id: int | None
    cut_date: dt.date | None

    @classmethod
    def of(cls, columns: tuple) -> RecordGeneration | None:
        """From the values of `generation_columns`; None for a record without history (loaded
        around the services: nothing tells when it changes)."""
        return cls(*columns) if columns and columns[0] is not None else None


def generation_columns() -> dict[str, Subquery]:
    """The record's generation as columns of one query: subqueries over the history's primary
    key and the open cut."""
    latest = ChangeRecord.objects.order_by("-pk")
    recent = (
        ChangeRecord.objects.filter(pk__gt=Subquery(latest.values("pk")[:1]) - RECENT_CHANGES)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    opened = Cut.objects.filter(state=Cut.State.OPEN).order_by("-date")
    return {
        "generation_change_id": Subquery(latest.values("pk")[:1]),
        "generation_change_at": Subquery(latest.values("at")[:1]),
        "generation_recent_changes": Subquery(recent),
        "generation_cut_id": Subquery(opened.values("pk")[:1]),
        "generation_cut_date": Subquery(opened.values("date")[:1]),
    }


def record_generation() -> RecordGeneration | None:
    """The record's generation on its own, in one query."""
    columns = generation_columns()
    latest = ChangeRecord.objects.order_by("-pk").annotate(**columns).values_list(*columns)
    return RecordGeneration.of(latest.first() or ())


def with_program(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.select_related("aspect__program", "aspect__cycle").order_by(
        "aspect__program__name", "aspect__cycle__mechanism_year", "aspect_id", "order"
    )


def reports_listed(reports: QuerySet[ProgressReport]) -> QuerySet[ProgressReport]:
    return reports.select_related(
        "cut", "activity__aspect__program", "activity__aspect__cycle", "submitted_by"
    ).order_by(
        "cut__date", "activity__aspect__program__name", "activity__aspect_id", "activity__order"
    )


@dataclass(frozen=True)
class DueSoon:
    activity: Activity
    due: PartialDate


def due_soon(
    activities: QuerySet[Activity], today: dt.date, days: int = DUE_SOON_DAYS
) -> list[DueSoon]:
    """Activities not concluded whose effective due date ends within the next `days` days.

    Two queries: a partial date starts at most a year before it ends, so the candidates are
    those whose committed or replanned date starts within a year before the window's end.
    """
    until = today + dt.timedelta(days=days)
    earliest = today - dt.timedelta(days=366)
    replanned = Replanning.objects.filter(
        activity=OuterRef("pk"), new_due_on__gte=earliest, new_due_on__lte=until
    )
    candidates = (
        with_program(activities.exclude(concluded_at(today)))
        .filter(Exists(replanned) | _due_between(earliest, until))
        .prefetch_related(
            Prefetch(
                "replannings",
                queryset=Replanning.objects.order_by("created_at", "id"),
                to_attr="replanned",
            )
        )
    )
    found = []
    for activity in candidates:
        due = effective_due(activity.due, [r.new_due for r in activity.replanned])
        if due is not None and today <= due.end <= until:
            found.append(DueSoon(activity, due))
    return sorted(found, key=lambda d: d.due.end)


def _due_between(earliest: dt.date, until: dt.date) -> Q:
    return Q(due_on__gte=earliest, due_on__lte=until)


# The activity page: its facts, reports per cut, replannings, evidence and history.


@dataclass
class ActivityStory:
    activity: Activity
    coordinating: list[ActivityArea]
    responsible: list[ActivityArea]
    reports: list[ProgressReport]
    replannings: list[Replanning]
    evidence: list[Evidence]
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def effective_due(self) -> PartialDate | None:
        return effective_due(self.activity.due, [r.new_due for r in self.replannings])

    @property
    def replanned_text(self) -> str:
        """The wording of the latest replanning that changed it ('' when none did)."""
        return next((r.new_text for r in reversed(self.replannings) if r.new_text), "")

    def report_at(self, cut: Cut | None) -> ProgressReport | None:
        return next((r for r in self.reports if cut and r.cut_id == cut.pk), None)


@dataclass(frozen=True)
class Change:
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    actor: Any
    action: str
    what: str
    source: str
    changes: tuple[Change, ...]


# Columns that say nothing to a person reading the story.
_QUIET = {
    "id",
    "version",
    "activity_id",
    "report_id",
    "cut_id",
    "sha256",
    "file",
    "submitted_by_id",
    "submitted_at",
    "reviewed_by_id",
    "reviewed_at",
    "uploaded_by_id",
    "uploaded_at",
    "created_by_id",
}


def _quiet(key: str, values: dict) -> bool:
    """Ids and stamps the entry already says; a partial date is read by its written text."""
    if key in _QUIET or key.endswith("_id"):
        return True
    stem = key.removesuffix("_precision").removesuffix("_on")
    return stem != key and f"{stem}_text" in values


def activity_story(activity: Activity) -> ActivityStory:
    """Everything the activity page shows, in a fixed number of queries."""
    roles = list(ActivityArea.objects.filter(activity=activity).select_related("area"))
    reports = list(
        ProgressReport.objects.filter(activity=activity)
        .select_related("cut", "submitted_by", "reviewed_by")
        .order_by("cut__date")
    )
    replannings = list(
        Replanning.objects.filter(activity=activity)
        .select_related("cut", "created_by")
        .order_by("created_at", "id")
    )
    evidence = list(
        Evidence.objects.filter(report__activity=activity)
        .select_related("report__cut", "uploaded_by")
        .order_by("uploaded_at", "id")
    )
    story = ActivityStory(
        activity,
        [r for r in roles if r.role == ActivityArea.Role.COORDINATING],
        [r for r in roles if r.role == ActivityArea.Role.RESPONSIBLE],
        reports,
        replannings,
        evidence,
    )
    story.timeline = _timeline(activity, reports, replannings, evidence)
    return story


def _timeline(
    activity: Activity,
    reports: list[ProgressReport],
    replannings: list[Replanning],
    evidence: list[Evidence],
) -> list[TimelineEntry]:
    wanted = Q(model=Activity._meta.label, object_id=str(activity.pk))
    labels: dict[str, str] = {Activity._meta.label: str(Activity._meta.verbose_name)}
    for model, rows in (
        (ProgressReport, reports),
        (Replanning, replannings),
        (Evidence, evidence),
    ):
        labels[model._meta.label] = str(model._meta.verbose_name)
        if rows:
            wanted |= Q(model=model._meta.label, object_id__in=[str(r.pk) for r in rows])
    records = ChangeRecord.objects.filter(wanted).select_related("actor").order_by("-at", "-id")
    return [
        TimelineEntry(
            at=record.at,
            actor=record.actor,
            action=record.get_action_display(),
            what=f"{labels.get(record.model, record.model)} · {record.object_repr}",
            source=record.source,
            changes=_changes(record),
        )
        for record in records
    ]


def _changes(record: ChangeRecord) -> tuple[Change, ...]:
    """What changed, in the words of the field labels: before → after."""
    from django.apps import apps

    try:
        model = apps.get_model(record.model)
    except (LookupError, ValueError):
        return ()
    names = {f.attname: str(f.verbose_name) for f in model._meta.concrete_fields}
    # A partial date is shown by its written text under the date's own label.
    for attname in list(names):
        stem = attname.removesuffix("_text")
        if stem != attname and f"{stem}_on" in names:
            names[attname] = names[f"{stem}_on"]
    before, after = record.before or {}, record.after or {}
    changes = []
    for key in after.keys() | before.keys():
        if _quiet(key, after or before):
            continue
        old, new = before.get(key), after.get(key)
        if old == new or (record.before is None and new in (None, "")):
            continue
        changes.append(Change(names.get(key, key), _word(model, key, old), _word(model, key, new)))
    return tuple(sorted(changes, key=lambda c: c.label))


def _word(model: Any, key: str, value: Any) -> Any:
    """A choice shown by its label ('validado'), not its code."""
    try:
        field_ = model._meta.get_field(key)
    except Exception:
        return value
    choices = dict(getattr(field_, "flatchoices", ()) or ())
    return choices.get(value, value)


# The program page: the state at a chosen cut, and what is being captured beside it.


def unofficial_reports(
    program: Program, cut: Cut | None, activity_ids: list[int] | None = None
) -> dict[int, ProgressReport]:
    """The program's drafts, submitted and returned reports at a cut, by activity id (of
    those activities only, when given: the page of them shown).

    Shown as such beside the official (validated) state, never as it."""
    if cut is None:
        return {}
    reports = ProgressReport.objects.filter(activity__aspect__program=program, cut=cut).exclude(
        state=ProgressReport.State.VALIDATED
    )
    if activity_ids is not None:
        reports = reports.filter(activity_id__in=activity_ids)
    return {r.activity_id: r for r in reports}


def unofficial_reports_editable(program: Program, cut: Cut) -> bool:
    """Whether the program has reports at the cut still to be sent (drafts, returned ones)."""
    from mejora.followup.services.progress import EDITABLE

    return ProgressReport.objects.filter(
        activity__aspect__program=program, cut=cut, state__in=EDITABLE
    ).exists()
