"""Each activity's kept facts: the spans the pure rules give, and every writer keeps them."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from django.db import connection, transaction

from mejora.accounts.models import Role
from mejora.annex.document import PartialDate, Precision
from mejora.followup.facts import (
    Replanned,
    Span,
    ValidatedReport,
    activity_spans,
    facts_differing,
    facts_rebuild,
)
from mejora.followup.models import SINCE_ALWAYS, UNTIL_ALWAYS, Activity, ActivityFacts, Cut
from mejora.followup.services.progress import (
    activity_replan,
    progress_save,
    progress_submit,
    progress_validate,
)
from mejora.followup.services.synth import synth_load
from mejora.followup.status import activity_status
from tests.at_once import validate_at_once
from tests.factories import ActivityFactory, CutFactory, ProgressReportFactory, member

MARCH, SEPTEMBER = dt.date(2012, 3, 31), dt.date(2012, 9, 30)
DECEMBER_2011 = PartialDate.of(dt.date(2011, 12, 1), Precision.MONTH)
JUNE_2013 = PartialDate.of(dt.date(2013, 6, 1), Precision.MONTH)


def test_the_spans_turn_at_the_cut_dates_and_merge_when_nothing_changes():
    reports = [ValidatedReport(MARCH, 40, None), ValidatedReport(SEPTEMBER, 40, None)]
    replannings = [Replanned(SEPTEMBER, (1,), JUNE_2013)]
    spans = activity_spans(DECEMBER_2011, reports, replannings)
    december_end = dt.date(2011, 12, 31)
    assert spans == [
        Span(SINCE_ALWAYS, MARCH, None, None, december_end, False),
        Span(MARCH, SEPTEMBER, 40, None, december_end, False),
        Span(SEPTEMBER, UNTIL_ALWAYS, 40, None, dt.date(2013, 6, 30), True),
    ]


def test_a_replanning_without_a_cut_holds_from_the_start_and_the_latest_wins():
    replannings = [Replanned(None, (2,), JUNE_2013), Replanned(MARCH, (1,), DECEMBER_2011)]
    spans = activity_spans(None, [], replannings)
    # The one at March was made first: the later one, with no cut, stays in force.
    assert [(s.starts, s.due_end, s.replanned) for s in spans] == [
        (SINCE_ALWAYS, dt.date(2013, 6, 30), True)
    ]


def test_the_span_of_a_day_gives_what_the_pure_rules_say():
    reports = [ValidatedReport(MARCH, 100, dt.date(2012, 2, 10))]
    spans = activity_spans(DECEMBER_2011, reports, [])
    for day, expected in [
        (dt.date(2011, 12, 31), "not_started"),
        (dt.date(2012, 1, 1), "overdue"),
        (MARCH, "concluded"),
    ]:
        (span,) = [s for s in spans if s.starts <= day < s.ends]
        due = PartialDate.of(span.due_end, Precision.DAY)
        assert activity_status(percent=span.percent, due=due, as_of=day) == expected


@pytest.mark.django_db
def test_the_services_of_the_follow_up_keep_them():
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    activity = ActivityFactory()
    liaison = member(Role.LIAISON, program=activity.aspect.program)
    unit = member(Role.ADMINISTRATOR)
    assert facts_differing([activity.pk]) == []
    report = progress_save(
        activity=activity,
        cut=cut,
        actor=liaison,
        percent=60,
        justification="Se depuró parte del padrón.",
        concluded_text="",
        observations="",
    )
    activity_replan(
        activity=activity,
        cut=cut,
        actor=liaison,
        new_due_text="diciembre 2013",
        new_text="",
        justification="El RENAPO entregó la base tarde.",
    )
    assert facts_differing([activity.pk]) == []
    (report,) = progress_submit(reports=[report], actor=liaison)
    progress_validate(report=report, actor=unit)
    assert facts_differing([activity.pk]) == []
    span = ActivityFacts.objects.get(activity=activity, starts=SEPTEMBER)
    assert (span.percent, span.concluded_on, span.due_end, span.replanned) == (
        60,
        None,
        dt.date(2013, 12, 31),
        True,
    )


@pytest.mark.django_db
def test_a_report_moved_to_another_activity_leaves_the_first_one_s_spans_too():
    cut = CutFactory(date=MARCH, name="Marzo 2012")
    report = ProgressReportFactory(cut=cut, percent=100)
    first, other = report.activity, ActivityFactory()
    report.activity = other  # as the admin's form saves it
    report.save()
    assert facts_differing([first.pk, other.pk]) == []


@pytest.mark.django_db
def test_a_cut_moved_to_another_date_moves_the_spans():
    cut = CutFactory(date=MARCH, name="Marzo 2012")
    report = ProgressReportFactory(cut=cut, percent=30)
    cut.date = dt.date(2012, 4, 30)
    cut.save()
    assert facts_differing([report.activity_id]) == []
    assert ActivityFacts.objects.filter(activity=report.activity, starts=cut.date).exists()


@pytest.mark.django_db(transaction=True)
def test_a_deleted_report_is_forgotten_once_the_deletion_commits():
    report = ProgressReportFactory(cut=CutFactory(date=MARCH, name="Marzo 2012"), percent=30)
    activity = report.activity
    with transaction.atomic():
        report.delete()
    assert facts_differing([activity.pk]) == []
    assert list(
        ActivityFacts.objects.filter(activity=activity).values_list("percent", flat=True)
    ) == [None]
    activity.delete()  # the spans go with their activity
    assert not ActivityFacts.objects.exists()


@pytest.mark.django_db
def test_an_import_and_a_synthetic_load_keep_them_in_bulk():
    summary = synth_load(aspects=40, seed=7)
    ids = list(
        Activity.objects.filter(aspect__program=summary.program).values_list("pk", flat=True)
    )
    assert len(ids) > 100
    assert facts_differing(ids) == []
    # Each activity has spans covering every day, with no gap and no overlap.
    for pk in ids[:20]:
        spans = list(ActivityFacts.objects.filter(activity_id=pk).order_by("starts"))
        assert spans[0].starts == SINCE_ALWAYS and spans[-1].ends == UNTIL_ALWAYS
        assert all(a.ends == b.starts for a, b in pairwise(spans))


@pytest.mark.django_db
def test_a_span_changed_behind_the_writers_back_is_found_and_the_rebuild_repairs_it():
    report = ProgressReportFactory(cut=CutFactory(date=MARCH, name="Marzo 2012"), percent=30)
    ActivityFacts.objects.filter(activity=report.activity, starts=MARCH).update(percent=90)
    assert facts_differing() == [report.activity_id]
    assert facts_rebuild() == 1
    assert facts_differing() == []


@pytest.mark.django_db(transaction=True)
def test_two_validations_of_one_activity_at_once_both_reach_its_spans():
    """PostgreSQL: each writer locks the activity before rewriting its spans, so the second
    waits for the first and reads its report; neither overwrites the other's."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    activity = ActivityFactory()
    cuts = [CutFactory(date=d, name=str(d)) for d in (MARCH, SEPTEMBER)]
    reports = [
        ProgressReportFactory(activity=activity, cut=c, percent=p, state="submitted")
        for c, p in zip(cuts, (40, 80), strict=True)
    ]
    validate_at_once(reports)
    assert facts_differing([activity.pk]) == []
    assert sorted(
        ActivityFacts.objects.filter(activity=activity).values_list("percent", flat=True),
        key=lambda p: p or 0,
    ) == [None, 40, 80]
