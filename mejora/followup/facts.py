"""Each activity's kept facts (`ActivityFacts`): what its status rests on, span by span.

An activity's status at a day depends on its latest validated report at a cut up to the day,
the latest replanning in force then and its due date (followup/status.py); all of them change
only at cut dates. So the facts are kept as spans between cut dates, and counting at any day
reads the one span that covers it instead of every report and replanning.

Kept in the writer's transaction: a saved report, replanning, activity or cut rewrites the
spans of the activities it touches (the receivers below, connected in FollowupConfig.ready);
writers of many rows at once (imports, `mejora synth`) bulk-insert, which sends no signal, and
note what they wrote (`facts_note_written`). Deleting a report or a replanning rewrites the
spans once the deletion commits: in the middle of a cascade the activity may be on its way out.
Spans that changed note their ASM's conclusions (followup/conclusions.py) and their program's
tallies from the first day they changed (stats/tallies.py), both kept from them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from mejora.annex.document import PartialDate, Precision
from mejora.followup.keeping import CONCLUSIONS, FACTS, TALLIES, keeper, note
from mejora.followup.models import (
    SINCE_ALWAYS,
    UNTIL_ALWAYS,
    Activity,
    ActivityFacts,
    Cut,
    ProgressReport,
    Replanning,
)

# Activities whose spans are rewritten per round of queries: a bounded IN list and memory.
CHUNK = 2000


@dataclass(frozen=True)
class ValidatedReport:
    cut_date: dt.date
    percent: int | None
    concluded_on: dt.date | None


@dataclass(frozen=True)
class Replanned:
    cut_date: dt.date | None  # none: in force whatever the date
    order: tuple  # (created_at, id): the latest in force is the effective one
    new_due: PartialDate | None


@dataclass(frozen=True)
class Span:
    starts: dt.date
    ends: dt.date
    percent: int | None
    concluded_on: dt.date | None
    due_end: dt.date | None
    replanned: bool


def facts_at(
    day: dt.date,
    due: PartialDate | None,
    reports: list[ValidatedReport],
    replannings: list[Replanned],
) -> tuple[int | None, dt.date | None, dt.date | None, bool]:
    """Percent and conclusion date of the latest validated report at a cut up to the day, the
    end of the effective due date then, and whether a replanning was in force: what
    `activity_status` is given."""
    latest = max((r for r in reports if r.cut_date <= day), key=lambda r: r.cut_date, default=None)
    in_force = [r for r in replannings if r.cut_date is None or r.cut_date <= day]
    effective = max(in_force, key=lambda r: r.order, default=None)
    deadline = effective.new_due if effective is not None and effective.new_due else due
    return (
        latest.percent if latest else None,
        latest.concluded_on if latest else None,
        deadline.end if deadline else None,
        bool(in_force),
    )


def activity_spans(
    due: PartialDate | None, reports: list[ValidatedReport], replannings: list[Replanned]
) -> list[Span]:
    """The spans that cover every day, one per stretch of days with the same facts."""
    turns = sorted({r.cut_date for r in reports} | {r.cut_date for r in replannings} - {None})
    starts = [SINCE_ALWAYS, *(d for d in turns if d > SINCE_ALWAYS)]
    spans: list[Span] = []
    for start, end in zip(starts, [*starts[1:], UNTIL_ALWAYS], strict=True):
        facts = facts_at(start, due, reports, replannings)
        if (
            spans
            and (spans[-1].percent, spans[-1].concluded_on, spans[-1].due_end, spans[-1].replanned)
            == facts
        ):
            spans[-1] = Span(spans[-1].starts, end, *facts)
        else:
            spans.append(Span(start, end, *facts))
    return spans


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    return (ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK))


def _partial(on: dt.date | None, precision: str) -> PartialDate | None:
    return PartialDate.of(on, Precision(precision)) if on and precision else None


SPAN_FIELDS = [f.name for f in fields(Span)]


def facts_keep(activity_ids: Iterable[int]) -> None:
    """Rewrite the spans of these activities from their records, in the caller's transaction.

    Each activity is locked first (PostgreSQL): two people validating reports of one activity
    at once each rewrite its spans after the other's commit, never over it."""
    ids = sorted(set(activity_ids))
    with transaction.atomic():
        for chunk in _chunks(ids):
            _keep_chunk(chunk)


def _keep_chunk(ids: list[int]) -> None:
    spans = _spans_of(ids, lock=True)
    before = _kept_spans(ids)
    changed = {pk: _changed_since(before[pk], kept) for pk, kept in spans.items()}
    changed = {pk: day for pk, day in changed.items() if day is not None}
    if not changed:
        return
    ActivityFacts.objects.filter(activity_id__in=list(changed)).delete()
    ActivityFacts.objects.bulk_create(
        _row(ActivityFacts, pk, span) for pk in changed for span in spans[pk]
    )
    # Each program from the first day a change counts: no cut before its ASM was registered.
    changed_aspects = list(
        Activity.objects.filter(pk__in=list(changed)).values_list(
            "pk", "aspect_id", "aspect__program_id", "aspect__registered_on"
        )
    )
    note(CONCLUSIONS, {aspect for _, aspect, _, _ in changed_aspects})
    note(TALLIES, {(program, max(changed[pk], day)) for pk, _, program, day in changed_aspects})


def _changed_since(before: list[Span], after: list[Span]) -> dt.date | None:
    """The first day whose facts differ between two lists of spans (both cover every day),
    or None when they are the same."""
    if not before:
        return None if not after else SINCE_ALWAYS
    for old, new in zip(before, after, strict=False):
        if old == new:
            continue
        if _facts(old) != _facts(new):
            return old.starts
        return min(old.ends, new.ends)
    return None


def _facts(span: Span) -> tuple:
    return span.percent, span.concluded_on, span.due_end, span.replanned


def _kept_spans(ids: list[int]) -> defaultdict[int, list[Span]]:
    kept: defaultdict[int, list[Span]] = defaultdict(list)
    for pk, *columns in (
        ActivityFacts.objects.filter(activity_id__in=ids)
        .order_by("activity_id", "starts")
        .values_list("activity_id", *SPAN_FIELDS)
    ):
        kept[pk].append(Span(*columns))
    return kept


def _row(model: type, activity_id: int, span: Span):
    # Field by field: dataclasses.asdict copies deeply, a third of the keeping of an import.
    return model(
        activity_id=activity_id,
        starts=span.starts,
        ends=span.ends,
        percent=span.percent,
        concluded_on=span.concluded_on,
        due_end=span.due_end,
        replanned=span.replanned,
    )


def _spans_of(
    ids: list[int],
    *,
    lock: bool = False,
    models: tuple[type, type, type] = (Activity, ProgressReport, Replanning),
) -> dict[int, list[Span]]:
    """The spans the records of these activities give: three queries. `models` are the
    migration's historical ones when it fills the table."""
    activity, report, replanning = models
    activities = activity.objects.filter(pk__in=ids).order_by("pk")
    if lock:
        activities = activities.select_for_update()
    dues = {
        pk: _partial(on, precision)
        for pk, on, precision in activities.values_list("pk", "due_on", "due_precision")
    }
    reports: defaultdict[int, list[ValidatedReport]] = defaultdict(list)
    for activity_id, cut_date, percent, concluded_on in report.objects.filter(
        activity_id__in=ids, state=ProgressReport.State.VALIDATED
    ).values_list("activity_id", "cut__date", "percent", "concluded_on"):
        reports[activity_id].append(ValidatedReport(cut_date, percent, concluded_on))
    replannings: defaultdict[int, list[Replanned]] = defaultdict(list)
    for activity_id, cut_date, created_at, pk, on, precision in replanning.objects.filter(
        activity_id__in=ids
    ).values_list(
        "activity_id", "cut__date", "created_at", "pk", "new_due_on", "new_due_precision"
    ):
        replannings[activity_id].append(
            Replanned(cut_date, (created_at, pk), _partial(on, precision))
        )
    return {pk: activity_spans(due, reports[pk], replannings[pk]) for pk, due in dues.items()}


def facts_rebuild(models: tuple[type, type, type, type] | None = None) -> int:
    """Rewrite every activity's spans (after a bulk load, to repair, or in the migration that
    made the table, with its historical `models` and the facts model last): how many."""
    *sources, facts = models or (Activity, ProgressReport, Replanning, ActivityFacts)
    ids = list(sources[0].objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        facts.objects.all().delete()
        for chunk in _chunks(ids):
            facts.objects.bulk_create(
                _row(facts, pk, span)
                for pk, kept in _spans_of(chunk, models=tuple(sources)).items()
                for span in kept
            )
    return len(ids)


def facts_differing(activity_ids: Iterable[int] | None = None) -> list[int]:
    """The activities whose kept spans are not what their records give now: none, when every
    writer kept them (an auditor's check, and the tests')."""
    if activity_ids is None:
        activity_ids = Activity.objects.order_by("pk").values_list("pk", flat=True)
    differing = []
    for chunk in _chunks(sorted(set(activity_ids))):
        kept = _kept_spans(chunk)
        expected = _spans_of(chunk)
        differing += [pk for pk in chunk if kept[pk] != expected.get(pk, [])]
    return differing


# Keeping them as records are saved.

keeper(FACTS, facts_keep)


def facts_note(activity_ids: Iterable[int]) -> None:
    """Rewrite these activities' spans now, or on leaving the `kept_once` block."""
    note(FACTS, activity_ids)


def facts_note_written(objects: Iterable[object]) -> None:
    """Note the activities of records inserted in bulk, which send no signal."""
    facts_note(
        obj.pk if isinstance(obj, Activity) else obj.activity_id
        for obj in objects
        if isinstance(obj, Activity | ProgressReport | Replanning)
    )


def _activity_before(sender, instance, raw=False, **kwargs) -> None:
    instance._activity_before = (
        None
        if raw or instance.pk is None
        else sender.objects.filter(pk=instance.pk).values_list("activity_id", flat=True).first()
    )


def _saved_report_or_replanning(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        # Moved to another activity (the admin's form): the one it left changes too.
        before = getattr(instance, "_activity_before", None)
        facts_note({instance.activity_id, *([before] if before else [])})


def _saved_activity(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        facts_note([instance.pk])


def _deleted_report_or_replanning(sender, instance, **kwargs) -> None:
    activity_id = instance.activity_id
    transaction.on_commit(lambda: facts_keep([activity_id]))


def _cut_date_before(sender, instance, raw=False, **kwargs) -> None:
    instance._date_before = (
        None
        if raw or instance.pk is None
        else Cut.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
    )


def _saved_cut(sender, instance, raw=False, created=False, **kwargs) -> None:
    before = getattr(instance, "_date_before", None)
    if raw or created or before is None or before == instance.date:
        return
    reported = ProgressReport.objects.filter(cut=instance).values_list("activity_id", flat=True)
    replanned = Replanning.objects.filter(cut=instance).values_list("activity_id", flat=True)
    facts_note({*reported, *replanned})


def connect_receivers() -> None:
    uid = "mejora.followup.facts"
    for model in (ProgressReport, Replanning):
        pre_save.connect(_activity_before, sender=model, dispatch_uid=f"{uid}.before")
        post_save.connect(_saved_report_or_replanning, sender=model, dispatch_uid=f"{uid}.saved")
        post_delete.connect(
            _deleted_report_or_replanning, sender=model, dispatch_uid=f"{uid}.deleted"
        )
    post_save.connect(_saved_activity, sender=Activity, dispatch_uid=f"{uid}.activity")
    pre_save.connect(_cut_date_before, sender=Cut, dispatch_uid=f"{uid}.cut_before")
    post_save.connect(_saved_cut, sender=Cut, dispatch_uid=f"{uid}.cut")
