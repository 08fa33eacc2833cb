"""Each ASM's kept conclusions (followup/conclusions.py): the days all its activities stand
concluded, kept as the follow-up's services, the admin's forms and bulk loads write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from mejora.accounts.models import Role
from mejora.followup.conclusions import (
    concluded_days,
    conclusions_differing,
    conclusions_rebuild,
)
from mejora.followup.models import UNTIL_ALWAYS, Aspect, AspectConclusion, Cut
from mejora.followup.services.progress import progress_save, progress_submit, progress_validate
from mejora.followup.services.synth import synth_load
from tests.at_once import validate_at_once
from tests.factories import (
    ActivityFactory,
    AspectFactory,
    CutFactory,
    ProgressReportFactory,
    member,
)

MARCH, SEPTEMBER = dt.date(2012, 3, 31), dt.date(2012, 9, 30)
D = dt.date


def test_the_days_all_activities_share_and_none_without_activities():
    assert concluded_days([]) == []
    assert concluded_days([[]]) == []
    # Touching spans of one activity are one stretch; the ASM's days are those all share.
    first = [(D(2012, 3, 31), D(2012, 9, 30)), (D(2012, 9, 30), UNTIL_ALWAYS)]
    second = [(D(2012, 9, 30), D(2013, 3, 31)), (D(2014, 3, 31), UNTIL_ALWAYS)]
    assert concluded_days([first, second]) == [
        (D(2012, 9, 30), D(2013, 3, 31)),
        (D(2014, 3, 31), UNTIL_ALWAYS),
    ]
    assert concluded_days([first, second, []]) == []


def _concluded(aspect: Aspect) -> list[tuple[dt.date, dt.date]]:
    return list(
        AspectConclusion.objects.filter(aspect=aspect)
        .order_by("starts")
        .values_list("starts", "ends")
    )


@pytest.mark.django_db
def test_the_follow_up_keeps_them_as_activities_conclude_join_and_move():
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    activity = ActivityFactory()
    aspect = activity.aspect
    liaison = member(Role.LIAISON, program=aspect.program)
    assert _concluded(aspect) == []
    report = progress_save(
        activity=activity,
        cut=cut,
        actor=liaison,
        percent=100,
        justification="Se publicó el padrón depurado.",
        concluded_text="septiembre 2012",
        observations="",
        references=["Oficio DGAP/123/2012"],
    )
    assert _concluded(aspect) == []  # not validated yet
    (report,) = progress_submit(reports=[report], actor=liaison)
    progress_validate(report=report, actor=member(Role.ADMINISTRATOR))
    assert _concluded(aspect) == [(SEPTEMBER, UNTIL_ALWAYS)]
    # An activity more, not concluded: the ASM no longer is.
    other = ActivityFactory(aspect=aspect)
    assert _concluded(aspect) == []
    # Moved to another ASM (the admin's form): both are kept again.
    elsewhere = AspectFactory(program=aspect.program)
    other.aspect = elsewhere
    other.save()
    assert _concluded(aspect) == [(SEPTEMBER, UNTIL_ALWAYS)]
    assert _concluded(elsewhere) == []
    assert conclusions_differing([aspect.pk, elsewhere.pk]) == []


@pytest.mark.django_db(transaction=True)
def test_an_activity_removed_is_forgotten_once_the_removal_commits():
    done = ProgressReportFactory(cut=CutFactory(date=MARCH, name="Marzo 2012"), percent=100)
    aspect = done.activity.aspect
    unfinished = ActivityFactory(aspect=aspect)
    assert _concluded(aspect) == []
    with transaction.atomic():
        unfinished.delete()
    assert _concluded(aspect) == [(MARCH, UNTIL_ALWAYS)]
    aspect.delete()  # its rows go with it
    assert not AspectConclusion.objects.exists()


@pytest.mark.django_db
def test_a_synthetic_load_keeps_them_in_bulk_and_a_change_behind_its_back_is_found():
    summary = synth_load(aspects=40, seed=7)
    ids = list(Aspect.objects.filter(program=summary.program).values_list("pk", flat=True))
    assert AspectConclusion.objects.filter(aspect_id__in=ids).exists()
    assert conclusions_differing(ids) == []
    changed = AspectConclusion.objects.filter(aspect_id__in=ids).first()
    AspectConclusion.objects.filter(pk=changed.pk).delete()
    assert conclusions_differing(ids) == [changed.aspect_id]
    assert conclusions_rebuild() == len(ids)
    assert conclusions_differing(ids) == []


@pytest.mark.django_db(transaction=True)
def test_two_activities_of_one_aspect_validated_at_once_conclude_it():
    """PostgreSQL: each writer holds the ASM's program before keeping its conclusions, so the
    second waits for the first and reads its facts; the ASM ends concluded."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    aspect = AspectFactory()
    cut = CutFactory(date=MARCH, name="Marzo 2012")
    reports = [
        ProgressReportFactory(activity=ActivityFactory(aspect=aspect), cut=cut, percent=100)
        for _ in range(2)
    ]
    for report in reports:
        report.state = "submitted"
        report.save()
    assert _concluded(aspect) == []
    validate_at_once(reports)
    assert _concluded(aspect) == [(MARCH, UNTIL_ALWAYS)]
