"""The navigation's counts of pending work: right for each role, never stale after a change
through the services, never one person's for another, and cheap once counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mejora.accounts.models import Membership, Role
from mejora.followup.models import ActivityArea, ChangeRecord, Cut, ProgressReport
from mejora.followup.pending_work import record_generation, to_capture
from mejora.followup.services.cuts import cut_close, cut_open
from mejora.followup.services.progress import (
    progress_return,
    progress_save,
    progress_submit,
    progress_validate,
)
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db

SEPTEMBER = dt.date(2012, 9, 30)


@pytest.fixture
def admin():
    return member(Role.ADMINISTRATOR)


@pytest.fixture
def cut(admin) -> Cut:
    # Opened through the service, as in use: the record has the history its generation reads.
    return cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=admin)


@pytest.fixture
def aspect():
    return AspectFactory()


def counts(client, person) -> tuple[int, int, int]:
    client.force_login(person)
    found = client.get(reverse("pending")).context["pending_counts"]
    return (found.capture, found.fix, found.review)


def draft(activity, cut, person, percent=50, **values):
    return progress_save(
        activity=activity,
        cut=cut,
        actor=person,
        percent=percent,
        justification=values.pop("justification", ""),
        concluded_text=values.pop("concluded_text", ""),
        observations="",
        **values,
    )


# What each role counts.


@pytest.fixture
def world(cut, aspect):
    """Two programs of one institution and one of another, with one of each thing waiting."""
    area = AreaFactory(institution=aspect.program.institution)
    blank = ActivityFactory(aspect=aspect)
    ActivityArea.objects.create(activity=blank, area=area, role="responsible", position=1)
    drafted = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=drafted, cut=cut, state="draft")
    sent = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=sent, cut=cut, state="submitted")
    returned = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=returned, cut=cut, state="returned", return_reason="x")
    ActivityArea.objects.create(activity=returned, area=area, role="responsible", position=1)
    concluded = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=concluded, percent=100)  # validated in March
    sibling = AspectFactory(program__institution=aspect.program.institution)
    ActivityFactory(aspect=sibling)
    elsewhere = AspectFactory()
    ProgressReportFactory(activity=ActivityFactory(aspect=elsewhere), cut=cut, state="submitted")
    return {"aspect": aspect, "area": area, "sibling": sibling, "elsewhere": elsewhere}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # Its program: the blank and the drafted activity, the returned report.
        (Role.LIAISON, (2, 1, 0)),
        # Its area's: the blank activity and the returned report, nothing of the others.
        (Role.AREA_STAFF, (1, 1, 0)),
        # Its institution's sent report, not the other institution's.
        (Role.EVALUATOR, (0, 0, 1)),
        # Every program: three activities to capture (the sibling program's, the other
        # institution's has its report sent), the returned one, and both sent reports.
        (Role.ADMINISTRATOR, (3, 1, 2)),
        (Role.OVERSIGHT, (0, 0, 0)),
    ],
)
def test_each_role_counts_what_waits_for_it(client, world, role, expected):
    institution = world["aspect"].program.institution
    scope = {
        Role.LIAISON: {"program": world["aspect"].program},
        Role.AREA_STAFF: {"area": world["area"]},
        Role.EVALUATOR: {"institution": institution},
    }.get(role, {})
    assert counts(client, member(role, **scope)) == expected


def test_a_concluded_activity_brought_below_100_is_to_capture_again(cut, aspect, client):
    again = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=again, cut=CutFactory(), percent=100)  # March
    june = CutFactory(date=dt.date(2012, 6, 30), name="junio 2012")
    ProgressReportFactory(activity=again, cut=june, percent=80, justification="Se reabrió.")
    done = ActivityFactory(aspect=aspect)
    ProgressReportFactory(activity=done, cut=june, percent=100)
    # The status at the cut's date, as its annex shows it: the latest validated percent.
    assert list(to_capture(aspect.activities.all(), cut)) == [again]
    assert counts(client, member(Role.LIAISON, program=aspect.program)) == (1, 0, 0)


# No stale count: each change through the services is counted on the next page.


def test_the_counts_follow_a_report_through_its_review(client, cut, aspect):
    activity = ActivityFactory(aspect=aspect)
    liaison = member(Role.LIAISON, program=aspect.program)
    evaluator = member(Role.EVALUATOR, institution=aspect.program.institution)
    assert counts(client, liaison) == (1, 0, 0)
    assert counts(client, evaluator) == (0, 0, 0)

    report = draft(activity, cut, liaison)
    assert counts(client, liaison) == (1, 0, 0)  # a draft is still to capture
    progress_submit(reports=[report], actor=liaison)
    assert counts(client, liaison) == (0, 0, 0)
    assert counts(client, evaluator) == (0, 0, 1)

    progress_return(report=report, actor=evaluator, reason="Falta el oficio.")
    assert counts(client, liaison) == (0, 1, 0)
    assert counts(client, evaluator) == (0, 0, 0)

    report = draft(activity, cut, liaison, percent=60, justification="Con el oficio.")
    progress_submit(reports=[report], actor=liaison)
    assert counts(client, liaison) == (0, 0, 0)
    assert counts(client, evaluator) == (0, 0, 1)
    progress_validate(report=ProgressReport.objects.get(pk=report.pk), actor=evaluator)
    assert counts(client, evaluator) == (0, 0, 0)
    assert counts(client, liaison) == (0, 0, 0)


def test_a_cut_opened_is_counted_at_once(client, admin, aspect):
    ActivityFactory(aspect=aspect)
    liaison = member(Role.LIAISON, program=aspect.program)
    march = cut_open(name="Marzo 2012", date=dt.date(2012, 3, 31), deadline=None, actor=admin)
    assert counts(client, liaison) == (1, 0, 0)
    cut_close(cut=march, actor=admin)
    assert counts(client, liaison) == (0, 0, 0)  # no cut takes reports
    cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=admin)
    assert counts(client, liaison) == (1, 0, 0)


def test_a_change_committed_after_a_later_one_still_changes_the_generation(admin, cut):
    # On PostgreSQL a writer may commit a history row whose id it took before another
    # writer's later row committed: the latest id stays, the generation must not.
    latest = ChangeRecord.objects.order_by("-pk").first()
    later = ChangeRecord.objects.create(
        pk=latest.pk + 10, action="update", model="followup.Cut", object_id=str(cut.pk)
    )
    seen = record_generation()
    ChangeRecord.objects.create(
        pk=latest.pk + 5, action="update", model="followup.Cut", object_id=str(cut.pk)
    )
    now = record_generation()
    assert (now.change_id, seen.change_id) == (later.pk, later.pk)
    assert now != seen


# Never one person's counts for another.


def test_two_people_never_share_counts(client, cut, aspect):
    other = AspectFactory(program__institution=aspect.program.institution)
    ActivityFactory(aspect=aspect)
    ActivityFactory(aspect=other)
    ActivityFactory(aspect=other)
    one = member(Role.LIAISON, program=aspect.program)
    another = member(Role.LIAISON, program=other.program)
    # Counted in turn at the same generation of the record, each keeps their own.
    for _ in range(2):
        assert counts(client, one) == (1, 0, 0)
        assert counts(client, another) == (2, 0, 0)


def test_a_membership_given_counts_its_reach_at_once(client, cut, aspect):
    other = AspectFactory()
    ActivityFactory(aspect=aspect)
    ActivityFactory(aspect=other)
    liaison = member(Role.LIAISON, program=aspect.program)
    assert counts(client, liaison) == (1, 0, 0)
    # A membership written without a history row: the key holds the person's memberships.
    Membership.objects.create(user=liaison, role=Role.LIAISON, program=other.program)
    assert counts(client, liaison) == (2, 0, 0)


# Cheap once counted: what a page costs does not grow with the record.


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# The cuts page for an administrator: the session, the person, the page's own check of their
# role (their memberships, which the navigation reads too) and its cuts, and the navigation's
# one: the record's generation and its open cut.
KEPT_PAGE_QUERIES = 5


@pytest.mark.parametrize("activities", [10, 300])
def test_a_page_with_the_counts_kept_costs_a_few_fixed_queries(
    client, admin, cut, aspect, activities, django_assert_num_queries
):
    for n in range(activities):
        activity = ActivityFactory(aspect=aspect)
        if n % 3 == 0:
            sent = ("submitted", "returned")[n % 2]
            ProgressReportFactory(activity=activity, cut=cut, state=sent)
    client.force_login(admin)
    url = reverse("cut-list")
    counting = _queries(client, url)
    with django_assert_num_queries(KEPT_PAGE_QUERIES):
        response = client.get(url)
    assert counting > KEPT_PAGE_QUERIES
    kept = response.context["pending_counts"]
    assert kept.total == activities  # each activity waits for one thing or another


def test_only_an_administrator_of_the_whole_record_is_offered_the_cuts(client, admin, aspect):
    """Cuts are everyone's: the navigation links them for an administrator over the whole
    record (a membership, not a superuser), never for one of an institution."""
    client.force_login(admin)
    assert client.get(reverse("pending")).context["may_open_cuts"]
    of_institution = member(Role.ADMINISTRATOR, institution=aspect.program.institution)
    client.force_login(of_institution)
    assert not client.get(reverse("pending")).context["may_open_cuts"]
