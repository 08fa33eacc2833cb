"""Each ASM's kept conclusions (`AspectConclusion`): the stretches of days it stands concluded.

An ASM is concluded at a day when it has activities and every one of them is: the latest
validated report at a cut up to the day says 100 (followup/status.py). Each activity's facts
are kept span by span (followup/facts.py), so an ASM's concluded days are the days common to
the concluded spans of all its activities, kept as rows for the balance to ask one indexed
row per ASM instead of counting its activities.

Kept in the writer's transaction, from the facts (mejora.followup.keeping): an activity whose
spans changed notes its ASM (facts.py); an activity moved to another ASM notes both, and one
removed notes its ASM once the removal commits (the receivers below).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from mejora.followup.keeping import CONCLUSIONS, keeper, note, stored_aspect_id
from mejora.followup.models import Activity, ActivityFacts, Aspect, AspectConclusion, Program

Days = tuple[dt.date, dt.date]  # from the first day until the day before the second

# ASM rewritten per round of queries: a bounded IN list and memory.
CHUNK = 2000


def _merged(spans: Iterable[Days]) -> list[Days]:
    """The same days as the fewest spans: sorted, touching or overlapping ones joined."""
    merged: list[Days] = []
    for starts, ends in sorted(spans):
        if merged and starts <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(ends, merged[-1][1]))
        else:
            merged.append((starts, ends))
    return merged


def _common(first: list[Days], second: list[Days]) -> list[Days]:
    """The days in both (each merged and sorted), merged and sorted."""
    common, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        starts = max(first[i][0], second[j][0])
        ends = min(first[i][1], second[j][1])
        if starts < ends:
            common.append((starts, ends))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return _merged(common)


def concluded_days(activities: Sequence[Iterable[Days]]) -> list[Days]:
    """The days an ASM stands concluded, from the concluded spans of each of its activities:
    none without activities, else the days all of them share."""
    if not activities:
        return []
    days = _merged(activities[0])
    for spans in activities[1:]:
        days = _common(days, _merged(spans))
    return days


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    return (ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK))


def _conclusions_of(
    ids: list[int], models: tuple[type, type] = (Activity, ActivityFacts)
) -> dict[int, list[Days]]:
    """The concluded days the kept facts give these ASM: two queries. `models` are the
    migration's historical ones when it fills the table."""
    activity, facts = models
    activities: defaultdict[int, list[int]] = defaultdict(list)
    for aspect_id, pk in activity.objects.filter(aspect_id__in=ids).values_list("aspect_id", "pk"):
        activities[aspect_id].append(pk)
    concluded: defaultdict[int, list[Days]] = defaultdict(list)
    for pk, starts, ends in facts.objects.filter(
        activity__aspect_id__in=ids, percent=100
    ).values_list("activity_id", "starts", "ends"):
        concluded[pk].append((starts, ends))
    return {
        aspect: concluded_days([concluded[pk] for pk in pks]) for aspect, pks in activities.items()
    }


def _kept(ids: list[int]) -> defaultdict[int, list[Days]]:
    kept: defaultdict[int, list[Days]] = defaultdict(list)
    for aspect_id, starts, ends in (
        AspectConclusion.objects.filter(aspect_id__in=ids)
        .order_by("aspect_id", "starts")
        .values_list("aspect_id", "starts", "ends")
    ):
        kept[aspect_id].append((starts, ends))
    return kept


def conclusions_keep(aspect_ids: Iterable[int]) -> None:
    """Rewrite the rows of these ASM that differ from what their kept facts give now, in the
    caller's transaction."""
    with transaction.atomic():
        for chunk in _chunks(sorted(set(aspect_ids))):
            # Two writers keeping one ASM (two of its activities validated at once) wait for
            # each other (PostgreSQL): the second reads the facts the first committed. Its
            # program is what is held, as the tallies hold it after the facts' activities:
            # the same order of locks, so no two writers wait for each other in a circle.
            held = Program.objects.select_for_update().order_by("pk")
            of = Aspect.objects.filter(pk__in=chunk).values("program_id")
            list(held.filter(pk__in=of).values_list("pk"))
            expected, kept = _conclusions_of(chunk), _kept(chunk)
            changed = [pk for pk in chunk if kept[pk] != expected.get(pk, [])]
            if not changed:
                continue
            AspectConclusion.objects.filter(aspect_id__in=changed).delete()
            AspectConclusion.objects.bulk_create(
                AspectConclusion(aspect_id=pk, starts=starts, ends=ends)
                for pk in changed
                for starts, ends in expected.get(pk, [])
            )


def conclusions_rebuild(models: tuple[type, type, type, type] | None = None) -> int:
    """Rewrite every ASM's rows (to repair, or in the migration that made the table, with its
    historical `models`: Aspect, Activity, ActivityFacts and the conclusions): how many ASM."""
    aspect, *sources, conclusion = models or (Aspect, Activity, ActivityFacts, AspectConclusion)
    ids = list(aspect.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        conclusion.objects.all().delete()
        for chunk in _chunks(ids):
            conclusion.objects.bulk_create(
                conclusion(aspect_id=pk, starts=starts, ends=ends)
                for pk, days in _conclusions_of(chunk, models=tuple(sources)).items()
                for starts, ends in days
            )
    return len(ids)


def conclusions_differing(aspect_ids: Iterable[int]) -> list[int]:
    """The ASM whose kept rows are not what their kept facts give now: none, when every writer
    kept them (an auditor's check, and the tests')."""
    differing = []
    for chunk in _chunks(sorted(set(aspect_ids))):
        expected, kept = _conclusions_of(chunk), _kept(chunk)
        differing += [pk for pk in chunk if kept[pk] != expected.get(pk, [])]
    return differing


# Kept as records are saved.

keeper(CONCLUSIONS, conclusions_keep)


def conclusions_note(aspect_ids: Iterable[int]) -> None:
    """Rewrite these ASM's rows now, or on leaving the `kept_once` block."""
    note(CONCLUSIONS, (pk for pk in aspect_ids if pk is not None))


def _saved_activity(sender, instance, raw=False, **kwargs) -> None:
    # A new activity changes its spans, which notes its ASM (facts.py); a moved one does not.
    before = stored_aspect_id(instance)
    if not raw and before is not None and before != instance.aspect_id:
        conclusions_note({before, instance.aspect_id})


def _deleted_activity(sender, instance, **kwargs) -> None:
    # Once the removal commits: in a cascade (an ASM removed) its rows go with it.
    aspect_id = instance.aspect_id
    transaction.on_commit(lambda: conclusions_note([aspect_id]))


def connect_receivers() -> None:
    uid = "mejora.followup.conclusions"
    post_save.connect(_saved_activity, sender=Activity, dispatch_uid=f"{uid}.activity_saved")
    post_delete.connect(_deleted_activity, sender=Activity, dispatch_uid=f"{uid}.activity")
