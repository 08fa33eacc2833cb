"""Pendientes: what each person must capture, fix or review, and what falls due soon."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mejora.accounts.models import Role
from mejora.followup.models import ActivityArea, Cut, Replanning
from mejora.followup.pending_work import due_soon
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    ProgressReportFactory,
    member,
)


def ReplanningFactory(*, activity, new_due_on):
    replanning = Replanning(
        activity=activity, justification="Razón.", new_due_on=new_due_on, new_due_text="x"
    )
    replanning.new_due_precision = "day"
    replanning.save()
    return replanning


pytestmark = pytest.mark.django_db


@pytest.fixture
def cut() -> Cut:
    return CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)


@pytest.fixture
def aspect():
    return AspectFactory()


def link(activity) -> str:
    return reverse("activity-detail", args=[activity.pk])


def test_the_liaison_sees_what_to_capture_and_what_was_returned(client, cut, aspect):
    blank = ActivityFactory(aspect=aspect)
    drafted = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=drafted, cut=cut, state="draft")
    sent = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=sent, cut=cut, state="submitted")
    returned = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=returned, cut=cut, state="returned", return_reason="Sin oficio.")
    concluded = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=concluded, percent=100)  # validated at an earlier cut
    client.force_login(member(Role.LIAISON, program=aspect.program))
    page = client.get(reverse("pending")).content.decode()
    capture = page[page.index("Por capturar") :]
    assert link(blank) in capture and link(drafted) in capture
    assert link(sent) not in capture and link(concluded) not in capture
    fix = page[page.index("Por corregir") : page.index("Por capturar")]
    assert link(returned) in fix and "Sin oficio." in fix


def test_the_navigation_counts_what_waits(client, cut, aspect):
    ActivityFactory(aspect=aspect)
    returned = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=returned, cut=cut, state="returned", return_reason="x")
    client.force_login(member(Role.LIAISON, program=aspect.program))
    response = client.get(reverse("pending"))
    counts = response.context["pending_counts"]
    assert (counts.capture, counts.fix, counts.review, counts.total) == (1, 1, 0, 2)


def test_area_staff_see_only_their_areas_activities(client, cut, aspect):
    area = AreaFactory(institution=aspect.program.institution)
    own, other = ActivityFactory(aspect=aspect), ActivityFactory(aspect=aspect)
    ActivityArea.objects.create(activity=own, area=area, role="responsible", position=1)
    client.force_login(member(Role.AREA_STAFF, area=area))
    page = client.get(reverse("pending")).content.decode()
    assert link(own) in page and link(other) not in page


def test_the_evaluation_unit_sees_what_waits_for_review(client, cut, aspect):
    ProgressReportFactory(activity=ActivityFactory(aspect=aspect), cut=cut, state="submitted")
    ProgressReportFactory(cut=cut, state="submitted")  # another institution's
    client.force_login(member(Role.EVALUATOR, institution=aspect.program.institution))
    response = client.get(reverse("pending"))
    assert response.context["pending_counts"].review == 1
    assert "1 reporte espera su revisión" in response.content.decode()


def test_without_an_open_cut_there_is_nothing_to_capture(client, aspect):
    ActivityFactory(aspect=aspect)
    client.force_login(member(Role.LIAISON, program=aspect.program))
    response = client.get(reverse("pending"))
    assert response.context["pending_counts"].total == 0
    assert "No hay un corte abierto" in response.content.decode()


def test_what_falls_due_in_30_days_counts_the_replanned_date(aspect):
    today = timezone.localdate()
    soon = ActivityFactory(aspect=aspect, due_on=today + dt.timedelta(days=10), due_text="x")
    later = ActivityFactory(aspect=aspect, due_on=today + dt.timedelta(days=90), due_text="x")
    moved = ActivityFactory(aspect=aspect, due_on=today + dt.timedelta(days=5), due_text="x")
    ReplanningFactory(activity=moved, new_due_on=today + dt.timedelta(days=200))
    moved_in = ActivityFactory(aspect=aspect, due_on=today - dt.timedelta(days=400), due_text="x")
    ReplanningFactory(activity=moved_in, new_due_on=today + dt.timedelta(days=20))
    done = ActivityFactory(aspect=aspect, due_on=today + dt.timedelta(days=3), due_text="x")
    ProgressReportFactory(activity=done, percent=100)
    found = [d.activity for d in due_soon(aspect.activities.all(), today)]
    assert found == [soon, moved_in]
    assert later not in found


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


@pytest.mark.parametrize("role", [Role.LIAISON, Role.EVALUATOR])
def test_the_pending_page_costs_the_same_queries_whatever_waits(
    client, cut, aspect, role, django_assert_num_queries
):
    scope = {"program": aspect.program} if role == Role.LIAISON else {}
    client.force_login(member(role, **scope))
    today = timezone.localdate()
    ActivityFactory(aspect=aspect, due_on=today)  # one of each list, few as they are
    ProgressReportFactory(activity=ActivityFactory(aspect=aspect), cut=cut, state="returned")
    ProgressReportFactory(activity=ActivityFactory(aspect=aspect), cut=cut, state="submitted")
    client.get(reverse("pending"))
    few = _queries(client, reverse("pending"))
    for n in range(10):
        activity = ActivityFactory(aspect=aspect, due_on=today + dt.timedelta(days=n))
        ProgressReportFactory(activity=activity, cut=cut, state=("returned", "submitted")[n % 2])
        ReplanningFactory(activity=activity, new_due_on=today + dt.timedelta(days=n + 1))
    with django_assert_num_queries(few):
        client.get(reverse("pending"))


@pytest.mark.parametrize("role", [Role.LIAISON, Role.AREA_STAFF, Role.EVALUATOR, Role.OVERSIGHT])
def test_the_navigation_counts_cost_a_fixed_handful_of_queries(rf, cut, aspect, role):
    from mejora.web.context_processors import pending

    scope = {
        Role.LIAISON: {"program": aspect.program},
        Role.AREA_STAFF: {"area": AreaFactory(institution=aspect.program.institution)},
    }.get(role, {})
    person = member(role, **scope)
    request = rf.get("/")

    def navigation_queries() -> int:
        # Each request reads its person anew (what it read of them lasts one request).
        request.user = type(person).objects.get(pk=person.pk)
        with CaptureQueriesContext(connection) as queries:
            context = pending(request)
            str(context["pending_counts"].total)
            bool(context["may_review"]), bool(context["may_administer"])
        return len(queries)

    baseline = navigation_queries()
    for n in range(10):
        activity = ActivityFactory(aspect=aspect)
        ProgressReportFactory(activity=activity, cut=cut, state=("submitted", "returned")[n % 2])
    assert navigation_queries() == baseline
    # Memberships once, the open cut, the reaches of capture and review, and a count each.
    assert baseline <= 8
