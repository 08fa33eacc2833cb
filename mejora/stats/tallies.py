"""The tallies kept per cut and program (`CutTally`): what a dashboard at a cut sums.

A dashboard counted live reads every activity in scope, so it costs in proportion to the
record: at whole-government scale, an institution's 30,000 activities on every request. What
it counts at a cut's date changes only when a program's records do, so it is kept: per cut
and group of a program (cycle, classification, priority), its activities by status and by
what the figures count them by, its ASM by status, each area's activities by status and the
changes of status since the cut before. A dashboard at a cut then sums a few rows per program
(stats/dashboard.py `_Kept`); at any other day, for an area, or for a reader who reaches
only an area's activities, it counts live.

Counted by the same queries as the live figures, with the group's columns, so the two cannot
say different things (tests/stats/test_tallies.py holds them equal on generated records).
Kept in the writer's transaction (mejora.followup.keeping): an activity's changed facts note
its program from the first day they changed; an ASM's changed group or registration date,
an area's roles, a removed ASM or activity and rows inserted in bulk note their program; a
cut added, moved or removed recounts every program.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import pairwise

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save

from mejora.followup.keeping import (
    EVERY_PROGRAM,
    TALLIES,
    keeper,
    note,
    stored_aspect_id,
    tallies_note,
    tallies_note_every,
)
from mejora.followup.models import (
    SINCE_ALWAYS,
    Activity,
    ActivityArea,
    Aspect,
    Cut,
    CutTally,
    Program,
)
from mejora.stats.counting import aspect_groups, counts_from
from mejora.stats.dashboard import (
    TALLIED,
    area_groups,
    change_groups,
    figure_groups,
    figures_from,
    tallied_activities,
    tallied_aspects,
    tallied_changes,
    tallied_figures,
    transitions_from,
)

# What an ASM's tallies are grouped by besides the cut: (name, column of the ASM).
_GROUP = (
    ("g_program", "program_id"),
    ("g_cycle", "cycle_id"),
    ("g_classification", "classification"),
    ("g_priority", "priority"),
)
_OF_ACTIVITY = {name: F(f"aspect__{column}") for name, column in _GROUP}
_OF_ASPECT = {name: F(column) for name, column in _GROUP}


def tallies_keep(noted: Iterable[tuple[int, dt.date]]) -> None:
    """Recount the tallies of the programs noted (or of every one, EVERY_PROGRAM), each at
    the cuts from the day noted with it."""
    noted = set(noted)
    if not noted:
        return
    cuts = list(Cut.objects.order_by("date"))
    if not cuts or cuts[-1].date < min(day for _, day in noted):
        return  # no cut the change reaches
    previous = {cut.pk: before for before, cut in pairwise([None, *cuts])}
    every = min((day for pk, day in noted if pk == EVERY_PROGRAM), default=None)
    with transaction.atomic():
        # Two writers recounting one program wait for each other (PostgreSQL): the second
        # counts what the first committed and deletes the rows it wrote, instead of adding
        # its own beside them.
        held = Program.objects.select_for_update().order_by("pk")
        if every is None:
            held = held.filter(pk__in={pk for pk, _ in noted})
        list(held.values_list("pk"))
        for cut in cuts:
            if every is not None and every <= cut.date:
                programs = None
            else:
                programs = sorted({pk for pk, day in noted if day <= cut.date} - {EVERY_PROGRAM})
                if not programs:
                    continue
            stale = CutTally.objects.filter(cut=cut)
            if programs is not None:
                stale = stale.filter(program_id__in=programs)
            stale.delete()
            CutTally.objects.bulk_create(
                tallies_counted(cut, previous[cut.pk], programs), batch_size=2000
            )


def tallies_rebuild() -> None:
    """Recount every program's tallies at every cut (to repair)."""
    tallies_keep({(EVERY_PROGRAM, SINCE_ALWAYS)})


def tallies_counted(cut: Cut, previous: Cut | None, programs: list[int] | None) -> list[CutTally]:
    """The tallies of these programs (every one: None) at a cut, counted from the records by
    the live figures' own queries, grouped; each program's whole row the sum of its groups'."""
    aspects = Aspect.objects.filter(registered_on__lte=cut.date)
    if programs is not None:
        aspects = aspects.filter(program_id__in=programs)
    activities = Activity.objects.filter(aspect__in=aspects)
    day = cut.date
    # Per group (program, cycle, classification, priority, area) the live rows it holds.
    figures = _by_group(figure_groups(activities, day, fields=_OF_ACTIVITY), area=False)
    by_status = _by_group(aspect_groups(aspects, day, fields=_OF_ASPECT), area=False)
    areas = _by_group(area_groups(activities, day, fields=_OF_ACTIVITY), area=True)
    changes = (
        _by_group(change_groups(activities, day, previous.date, fields=_OF_ACTIVITY), area=False)
        if previous is not None
        else {}
    )
    counted: defaultdict[tuple, Counter] = defaultdict(Counter)
    for group, rows in figures.items():
        counted[group].update(tallied_figures(figures_from(rows)))
    for group, rows in by_status.items():
        counted[group].update(tallied_aspects(counts_from(rows)))
    for group, rows in changes.items():
        counted[group].update(tallied_changes(transitions_from(rows)))
    wholes: defaultdict[tuple, Counter] = defaultdict(Counter)
    for (program, _cycle, _classification, _priority, area), counts in counted.items():
        wholes[program, area].update(counts)
    # An area's activities for the whole program only: per group they would be most of the
    # rows, for a table a narrowed dashboard counts live.
    for (program, _cycle, _classification, _priority, area), rows in areas.items():
        wholes[program, area].update(tallied_activities(counts_from(rows)))
    return [
        CutTally(
            cut=cut,
            program_id=program,
            breadth=CutTally.Breadth.GROUP,
            cycle_id=cycle,
            classification=classification,
            priority=priority,
            area_id=area,
            **counts,
        )
        for (program, cycle, classification, priority, area), counts in counted.items()
    ] + [
        CutTally(
            cut=cut,
            program_id=program,
            breadth=CutTally.Breadth.AREA if area else CutTally.Breadth.PROGRAM,
            area_id=area,
            **counts,
        )
        for (program, area), counts in wholes.items()
    ]


def _by_group(rows: list[tuple], *, area: bool) -> defaultdict[tuple, list[tuple]]:
    """Rows of a grouped live query by their group and area (None for rows of no area)."""
    width = len(_GROUP)
    grouped: defaultdict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        key = (*row[:width], row[width]) if area else (*row[:width], None)
        grouped[key].append(row[width + 1 :] if area else row[width:])
    return grouped


def tallies_differing() -> list[str]:
    """The cuts whose kept tallies are not what the records give now: none, when every
    writer kept them (an auditor's check, and the tests')."""
    cuts = list(Cut.objects.order_by("date"))
    previous = {cut.pk: before for before, cut in pairwise([None, *cuts])}
    return [
        cut.name
        for cut in cuts
        if _as_counts(CutTally.objects.filter(cut=cut))
        != _as_counts(tallies_counted(cut, previous[cut.pk], None))
    ]


_KEY = ("program_id", "breadth", "cycle_id", "classification", "priority", "area_id")


def _as_counts(tallies: Iterable[CutTally]) -> dict[tuple, Counter]:
    """The counts per group, summed: a group kept twice counts twice, and differs."""
    counted: defaultdict[tuple, Counter] = defaultdict(Counter)
    for tally in tallies:
        counted[tuple(getattr(tally, name) for name in _KEY)].update(
            {name: getattr(tally, name) for name in TALLIED if getattr(tally, name)}
        )
    return counted


# Keeping them as records are saved.

keeper(TALLIES, tallies_keep)

_ASPECT_GROUP = ("program_id", "cycle_id", "classification", "priority", "registered_on")


def _aspect_before(sender, instance, raw=False, **kwargs) -> None:
    instance._group_before = (
        None
        if raw or instance.pk is None
        else Aspect.objects.filter(pk=instance.pk).values_list(*_ASPECT_GROUP).first()
    )


def _saved_aspect(sender, instance, raw=False, created=False, **kwargs) -> None:
    if raw:
        return
    before = getattr(instance, "_group_before", None)
    now = tuple(getattr(instance, name) for name in _ASPECT_GROUP)
    if before == now:
        return
    days = [now[-1]] + ([before[-1]] if before else [])
    programs = [now[0]] + ([before[0]] if before else [])
    tallies_note(programs, since=min(days))


def _deleted_aspect(sender, instance, **kwargs) -> None:
    noted = {(instance.program_id, instance.registered_on)}
    transaction.on_commit(lambda: note(TALLIES, noted))


def _registered(activity_ids) -> set[tuple[int, dt.date]]:
    """The programs of these activities, each from the day its ASM was registered: no cut
    before counts it."""
    activities = Activity.objects.filter(pk__in=[pk for pk in activity_ids if pk is not None])
    return set(activities.values_list("aspect__program_id", "aspect__registered_on"))


def _saved_activity(sender, instance, raw=False, created=False, **kwargs) -> None:
    # Moved to another ASM (the admin's form): its facts are the same, its group is not.
    before = stored_aspect_id(instance)
    if not raw and before is not None and before != instance.aspect_id:
        aspects = Aspect.objects.filter(pk__in=[before, instance.aspect_id])
        note(TALLIES, set(aspects.values_list("program_id", "registered_on")))


def _deleted_activity(sender, instance, **kwargs) -> None:
    aspect = Aspect.objects.filter(pk=instance.aspect_id)
    noted = set(aspect.values_list("program_id", "registered_on"))
    transaction.on_commit(lambda: note(TALLIES, noted))


def _role_before(sender, instance, raw=False, **kwargs) -> None:
    instance._tallied_activity = (
        None
        if raw or instance.pk is None
        else ActivityArea.objects.filter(pk=instance.pk)
        .values_list("activity_id", flat=True)
        .first()
    )


def _saved_role(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        # Moved to another activity (the admin's form): the program it left changes too.
        before = getattr(instance, "_tallied_activity", None)
        note(TALLIES, _registered({instance.activity_id, before}))


def _deleted_role(sender, instance, **kwargs) -> None:
    # Once the deletion commits: in a cascade (an ASM removed) the program is recounted once.
    noted = _registered({instance.activity_id})
    transaction.on_commit(lambda: note(TALLIES, noted))


def _cut_before(sender, instance, raw=False, **kwargs) -> None:
    instance._tallied_date = (
        None
        if raw or instance.pk is None
        else Cut.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
    )


def _saved_cut(sender, instance, raw=False, **kwargs) -> None:
    before = getattr(instance, "_tallied_date", None)
    if not raw and before != instance.date:
        tallies_note_every(min(d for d in (before, instance.date) if d))


def _deleted_cut(sender, instance, **kwargs) -> None:
    day = instance.date
    transaction.on_commit(lambda: tallies_note_every(day))


def connect_receivers() -> None:
    uid = "mejora.stats.tallies"
    pre_save.connect(_aspect_before, sender=Aspect, dispatch_uid=f"{uid}.aspect_before")
    post_save.connect(_saved_aspect, sender=Aspect, dispatch_uid=f"{uid}.aspect")
    post_delete.connect(_deleted_aspect, sender=Aspect, dispatch_uid=f"{uid}.aspect_deleted")
    post_save.connect(_saved_activity, sender=Activity, dispatch_uid=f"{uid}.activity_saved")
    post_delete.connect(_deleted_activity, sender=Activity, dispatch_uid=f"{uid}.activity")
    pre_save.connect(_role_before, sender=ActivityArea, dispatch_uid=f"{uid}.role_before")
    post_save.connect(_saved_role, sender=ActivityArea, dispatch_uid=f"{uid}.role")
    post_delete.connect(_deleted_role, sender=ActivityArea, dispatch_uid=f"{uid}.role_deleted")
    pre_save.connect(_cut_before, sender=Cut, dispatch_uid=f"{uid}.cut_before")
    post_save.connect(_saved_cut, sender=Cut, dispatch_uid=f"{uid}.cut")
    post_delete.connect(_deleted_cut, sender=Cut, dispatch_uid=f"{uid}.cut_deleted")
