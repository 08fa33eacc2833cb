"""The tallies kept per cut and program sum to what counting live says, and every writer
keeps them: a dashboard at a cut read from them is the dashboard counted over the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mejora.accounts.models import Role
from mejora.annex.synth import synth_document
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Aspect,
    Classification,
    Cut,
    CutTally,
    Program,
    ProgressReport,
    Replanning,
)
from mejora.followup.services.cuts import cut_open
from mejora.followup.services.imports import annex_import
from mejora.followup.services.progress import (
    activity_replan,
    progress_save,
    progress_submit,
    progress_validate,
)
from mejora.followup.services.synth import synth_government, synth_load
from mejora.followup.status import Status
from mejora.stats import dashboard as dashboard_module
from mejora.stats.dashboard import (
    ListFilters,
    Scope,
    _Kept,
    _Live,
    dashboard,
    listed_rows,
    scoped_records,
)
from mejora.stats.tallies import tallies_differing, tallies_rebuild
from tests.at_once import validate_at_once
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    CycleFactory,
    InstitutionFactory,
    ProgramFactory,
    UserFactory,
    member,
)
from tests.stats.test_counting import CUT_DATES
from tests.stats.test_counting import activities as activity_plans

pytestmark = pytest.mark.django_db

MARCH, SEPTEMBER = dt.date(2012, 3, 31), dt.date(2012, 9, 30)

aspect_plans = st.tuples(
    st.integers(0, 1),  # program
    st.integers(0, 1),  # cycle
    st.sampled_from([Classification.SPECIFIC, Classification.INSTITUTIONAL]),
    st.sampled_from(["", "alta", "baja"]),
    # registered before every cut, between two of them, or after the last
    st.sampled_from([dt.date(2009, 1, 1), dt.date(2011, 6, 1), dt.date(2012, 6, 1)]),
    st.lists(st.tuples(activity_plans, st.lists(st.integers(0, 2), max_size=3)), max_size=3),
)


def _store(plans) -> tuple[list, list]:
    institution = InstitutionFactory()
    programs = [ProgramFactory(institution=institution) for _ in range(2)]
    areas = [AreaFactory(institution=institution) for _ in range(3)]
    cycles = [
        CycleFactory(mechanism_year=2011, evaluation_period="2010-2011"),
        CycleFactory(mechanism_year=2012, evaluation_period="2011-2012"),
    ]
    cuts = [CutFactory(date=d, name=str(d)) for d in CUT_DATES]
    for program, cycle, classification, priority, registered, activities in plans:
        aspect = AspectFactory(
            program=programs[program],
            cycle=cycles[cycle],
            classification=classification,
            priority=priority,
            registered_on=registered,
        )
        for order, (item, chosen) in enumerate(activities, start=1):
            activity = ActivityFactory(aspect=aspect, order=order)
            activity.due = item.due
            activity.save()
            for n, area in enumerate(chosen):
                role = ActivityArea.Role.COORDINATING if n == 0 else ActivityArea.Role.RESPONSIBLE
                ActivityArea.objects.create(
                    activity=activity, area=areas[area], role=role, position=n + 1
                )
            for index, (percent, state) in item.reports.items():
                ProgressReport.objects.create(
                    activity=activity, cut=cuts[index], percent=percent, state=state
                )
            for new_due, index in item.replannings:
                replanning = Replanning(
                    activity=activity,
                    cut=None if index is None else cuts[index],
                    justification="Sin presupuesto.",
                )
                replanning.new_due = new_due
                replanning.save()
    return programs, cuts


def _parts(counting, cuts: list[Cut], previous: Cut | None) -> dict:
    """What a dashboard shows, from one way of counting."""
    return {
        "figures": counting.figures(),
        "aspects": counting.aspects_by_status(),
        "areas": counting.areas(),
        "trend": counting.trend(cuts),
        "changes": counting.changes(previous) if previous else [],
    }


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(aspect_plans, min_size=1, max_size=5), data=st.data())
def test_the_kept_tallies_sum_to_what_counting_live_says(plans, data, monkeypatch):
    with transaction.atomic():
        programs, cuts = _store(plans)
        user = member(Role.ADMINISTRATOR)
        assert tallies_differing() == []
        cut = data.draw(st.sampled_from(cuts), label="cut")
        scope = Scope(
            institution=data.draw(st.sampled_from([None, programs[0].institution_id])),
            program=data.draw(st.sampled_from([None, programs[0].pk, programs[1].pk])),
            cycle=data.draw(
                st.sampled_from([None, *Aspect.objects.values_list("cycle_id", flat=True)])
            ),
            classification=data.draw(st.sampled_from(["", Classification.SPECIFIC])),
            priority=data.draw(st.sampled_from(["", "alta"])),
        )
        shown = [c for c in cuts if c.date <= cut.date]
        previous = shown[-2] if len(shown) > 1 else None
        live = _Live(*scoped_records(user, scope, cut.date), cut.date)
        kept = _Kept(Program.objects.all(), scope, cut, lambda: live)
        assert _parts(kept, shown, previous) == _parts(live, shown, previous)
        # The list behind a figure counts the same, where one kept count says it.
        for status in ["", *(s.value for s in Status)]:
            for aging, due in [("", None), ("1-30", None), ("181+", None), ("", 30), ("", 90)]:
                filters = ListFilters(status=status, aging=aging, due_within=due)
                known = kept.listed(filters)
                if known is not None or (status, due) == ("", None):
                    assert known == listed_rows(live.activities, filters, cut.date).count()
        # The overdue walked along the spans by their due date's end are the page the whole
        # scope sorted gives, whether the walk reaches the page's end or gives up short.
        monkeypatch.setattr(
            dashboard_module, "WALK_SPANS", data.draw(st.sampled_from([0, 1, 4, 50]))
        )
        for aging in ("", "1-30", "181+"):
            filters = ListFilters(status="overdue", aging=aging)
            read = listed_rows(live.activities, filters, cut.date)
            walked = listed_rows(live.activities, filters, cut.date, walk=True)
            assert walked.walk is not None
            for window in (slice(0, 2), slice(1, 4), slice(0, 50)):
                assert [r.activity.pk for r in walked[window]] == [
                    r.activity.pk for r in read[window]
                ]
        transaction.set_rollback(True)


def test_a_dashboard_at_a_cut_reads_the_tallies_and_any_other_day_counts_live(
    django_assert_num_queries,
):
    activity = ActivityFactory(aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)))
    ProgressReport.objects.create(
        activity=activity, cut=CutFactory(date=MARCH, name="marzo"), percent=100, state="validated"
    )
    unit = member(Role.ADMINISTRATOR)
    area = AreaFactory(institution=activity.aspect.program.institution)
    ActivityArea.objects.create(activity=activity, area=area, role="coordinating", position=1)
    area_staff = member(Role.AREA_STAFF, area=area)
    at_cut = dashboard(unit, Scope(), MARCH)
    # The tallies emptied behind the dashboard's back: only the path that reads them changes.
    CutTally.objects.all().delete()
    assert dashboard(unit, Scope(), MARCH).activities["total"] == 0
    assert dashboard(unit, Scope(), MARCH + dt.timedelta(days=1)).activities["total"] == 1
    assert dashboard(unit, Scope(area=area.pk), MARCH).activities["total"] == 1
    assert dashboard(area_staff, Scope(), MARCH).activities["total"] == 1
    assert at_cut.activities == {
        "total": 1,
        "concluded": 1,
        "in_progress": 0,
        "overdue": 0,
        "not_started": 0,
    }
    assert tallies_differing() == ["marzo"]
    tallies_rebuild()
    assert tallies_differing() == []


def test_the_services_of_the_follow_up_keep_them():
    CutFactory(date=MARCH, name="Marzo 2012")
    activity = ActivityFactory(aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)))
    program = activity.aspect.program
    liaison = member(Role.LIAISON, program=program)
    unit = member(Role.ADMINISTRATOR)
    cut = cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=unit)
    assert tallies_differing() == []
    report = progress_save(
        activity=activity,
        cut=cut,
        actor=liaison,
        percent=100,
        justification="Se depuró el padrón.",
        concluded_text="15/09/2012",
        observations="",
        references=["Oficio DGP/123/2012"],
    )
    activity_replan(
        activity=activity,
        cut=cut,
        actor=liaison,
        new_due_text="diciembre 2013",
        new_text="",
        justification="El RENAPO entregó la base tarde.",
    )
    (report,) = progress_submit(reports=[report], actor=liaison)
    progress_validate(report=report, actor=unit)
    assert tallies_differing() == []
    # An ASM moved to another classification and registered later, an area given, a cut
    # moved: each recounts what it changed.
    aspect = Aspect.objects.get(pk=activity.aspect_id)
    aspect.classification, aspect.registered_on = Classification.SPECIFIC, dt.date(2012, 6, 1)
    aspect.save()
    area = AreaFactory(institution=program.institution)
    ActivityArea.objects.create(activity=activity, area=area, role="responsible", position=1)
    assert tallies_differing() == []
    moved = Cut.objects.get(date=MARCH)
    moved.date = dt.date(2012, 4, 30)
    moved.save()
    assert tallies_differing() == []
    tallied = CutTally.objects.filter(cut=cut, area__isnull=True).order_by("-breadth")
    columns = ("breadth", "classification", "total", "concluded", "on_time", "replanned")
    assert list(tallied.values_list(*columns)) == [
        (CutTally.Breadth.GROUP, Classification.SPECIFIC, 1, 1, 1, 1),
        (CutTally.Breadth.PROGRAM, "", 1, 1, 1, 1),
    ]


@pytest.mark.django_db(transaction=True)
def test_removed_records_leave_their_tallies_once_the_removal_commits():
    aspect = AspectFactory(registered_on=dt.date(2009, 1, 1))
    report = ProgressReport.objects.create(
        activity=ActivityFactory(aspect=aspect),
        cut=CutFactory(date=MARCH),
        percent=40,
        state="validated",
    )
    other = ActivityFactory(aspect=report.activity.aspect, order=99)
    with transaction.atomic():
        Activity.objects.filter(pk=other.pk).delete()
    assert tallies_differing() == []
    with transaction.atomic():
        report.activity.aspect.delete()
    assert tallies_differing() == []
    assert not CutTally.objects.exists()
    with transaction.atomic():
        Cut.objects.all().delete()
    assert tallies_differing() == []


def test_an_import_and_the_synthetic_loads_keep_them_in_bulk():
    CutFactory(date=dt.date(2009, 3, 31), name="marzo 2009")
    synth_load(aspects=30, seed=7)
    assert tallies_differing() == []
    synth_government(programs=3, cycles=2, seed=11)
    assert tallies_differing() == []
    assert CutTally.objects.filter(area__isnull=False).exists()
    assert CutTally.objects.filter(overdue_to_concluded__gt=0).exists()


def test_the_walk_gives_the_page_when_it_reaches_its_end_and_else_reads_the_scope(monkeypatch):
    aspect = AspectFactory(registered_on=dt.date(2009, 1, 1))
    CutFactory(date=MARCH, name="marzo")
    due = [dt.date(2011, 5, 1), dt.date(2010, 2, 1), dt.date(2011, 1, 1), dt.date(2013, 1, 1)]
    late = [ActivityFactory(aspect=aspect, order=n, due_on=day) for n, day in enumerate(due, 1)]
    by_days_late = [late[1].pk, late[2].pk, late[0].pk]  # the last is not due yet
    rows = listed_rows(Activity.objects.all(), ListFilters(status="overdue"), MARCH, walk=True)
    assert rows._walked(0, 2) == by_days_late[:2]
    assert rows._walked(1, 3) == by_days_late[1:]
    assert rows._walked(0, 4) is None  # fewer than asked: the page is read from the scope
    monkeypatch.setattr(dashboard_module, "WALK_SPANS", 1)
    assert rows._walked(0, 2) == by_days_late[:2]  # up to the second span's due date
    monkeypatch.setattr(dashboard_module, "WALK_SPANS", 0)
    assert rows._walked(0, 2) is None  # the walk stops before the page's end
    assert [r.activity.pk for r in rows[0:3]] == by_days_late


def test_an_import_that_brings_a_new_cut_counts_every_program_there():
    other = ActivityFactory(
        aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)), due_on=dt.date(2012, 6, 30)
    )
    CutFactory(date=SEPTEMBER, name="septiembre 2012")
    # The annex's «Fecha de Elaboración» is March 2012: the import makes that cut, which
    # counts the other program too and comes before September's changes.
    annex_import(
        document=synth_document(aspects=4), file_name="a.txt", sha256="0" * 64, file_format="txt"
    )
    assert Cut.objects.filter(date=MARCH).exists()
    assert tallies_differing() == []
    unit = member(Role.ADMINISTRATOR)
    assert dashboard(unit, Scope(program=other.aspect.program_id), MARCH).activities["total"] == 1


def test_an_activity_or_a_role_moved_elsewhere_recounts_both_programs():
    CutFactory(date=MARCH, name="marzo")
    activity = ActivityFactory(aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)))
    other = ActivityFactory(aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)))
    role = ActivityArea.objects.create(
        activity=activity, area=AreaFactory(), role="coordinating", position=1
    )
    role.activity = other  # as the admin's forms save them
    role.save()
    assert tallies_differing() == []
    activity.aspect = AspectFactory(registered_on=dt.date(2009, 1, 1))
    activity.save()
    assert tallies_differing() == []


def test_a_person_who_reaches_nothing_sees_an_empty_dashboard_at_a_cut(client):
    cut = CutFactory(date=MARCH, name="marzo")
    activity = ActivityFactory(aspect=AspectFactory(registered_on=dt.date(2009, 1, 1)))
    ProgressReport.objects.create(activity=activity, cut=cut, percent=50, state="validated")
    client.force_login(UserFactory())
    for name in ("dashboard", "dashboard-overdue"):
        response = client.get(reverse(name))
        assert response.status_code == 200
    assert dashboard(UserFactory(username="nadie"), Scope(), MARCH).activities["total"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_validations_in_one_program_at_once_leave_one_tally_each():
    """PostgreSQL: each writer holds the program while it recounts it, so the second counts
    what the first committed and replaces its rows instead of adding its own beside them."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    aspect = AspectFactory(registered_on=dt.date(2009, 1, 1))
    cut = CutFactory(date=MARCH, name="marzo")
    reports = [
        ProgressReport.objects.create(
            activity=ActivityFactory(aspect=aspect, order=n), cut=cut, percent=60, state="submitted"
        )
        for n in (1, 2)
    ]
    validate_at_once(reports)
    assert tallies_differing() == []
    whole = CutTally.objects.filter(cut=cut, breadth=CutTally.Breadth.PROGRAM, area=None)
    assert list(whole.values_list("total", "overdue")) == [(2, 2)]
