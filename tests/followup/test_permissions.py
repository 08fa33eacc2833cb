"""The write services check the person's right themselves, whoever calls them.

A page checks first, but a service called from anywhere else (a command, a task, a future
API) refuses the same people: generated over the roles, for one record in scope and one out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from mejora.accounts.models import Role
from mejora.followup.models import ActivityArea, Cut, ProgressReport
from mejora.followup.services.cuts import cut_open
from mejora.followup.services.progress import progress_save, progress_validate
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CutFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cut = CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)
    ours = ActivityFactory()
    area = AreaFactory(institution=ours.aspect.program.institution)
    ActivityArea.objects.create(activity=ours, area=area, role="responsible", position=1)
    return {"cut": cut, "ours": ours, "theirs": ActivityFactory(), "area": area}


PEOPLE = {
    "liaison": lambda w: member(Role.LIAISON, program=w["ours"].aspect.program),
    "area_staff": lambda w: member(Role.AREA_STAFF, area=w["area"]),
    "evaluator": lambda w: member(Role.EVALUATOR, institution=w["ours"].aspect.program.institution),
    "oversight": lambda w: member(Role.OVERSIGHT),
    "administrator": lambda w: member(Role.ADMINISTRATOR),
    "nobody": lambda w: UserFactory(username="nadie"),
}
CAPTURES = {"liaison", "area_staff", "administrator"}
REVIEWS = {"evaluator", "administrator"}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("which", ["ours", "theirs"])
def test_capturing_is_refused_to_whoever_may_not_capture_that_activity(world, person, which):
    actor = PEOPLE[person](world)
    allowed = person in CAPTURES and (which == "ours" or person == "administrator")

    def capture():
        return progress_save(
            activity=world[which],
            cut=world["cut"],
            actor=actor,
            percent=40,
            justification="Avance parcial.",
            concluded_text="",
            observations="",
        )

    if allowed:
        assert capture().percent == 40
    else:
        with pytest.raises(PermissionDenied, match="capturar avance"):
            capture()
        assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("person", PEOPLE)
def test_validating_is_refused_to_whoever_may_not_review(world, person):
    actor = PEOPLE[person](world)
    report = ProgressReportFactory(
        activity=world["ours"], cut=world["cut"], state=ProgressReport.State.SUBMITTED
    )
    if person in REVIEWS:
        assert progress_validate(report=report, actor=actor).state == "validated"
    else:
        with pytest.raises(PermissionDenied, match="revisar avance"):
            progress_validate(report=report, actor=actor)
        report.refresh_from_db()
        assert report.state == "submitted"


@pytest.mark.parametrize("person", PEOPLE)
def test_only_an_administrator_opens_a_cut(world, person):
    world["cut"].state = Cut.State.CLOSED
    world["cut"].save()
    actor = PEOPLE[person](world)

    def open_one():
        return cut_open(name="Marzo 2013", date=dt.date(2013, 3, 31), deadline=None, actor=actor)

    if person == "administrator":
        assert open_one().state == Cut.State.OPEN
    else:
        with pytest.raises(PermissionDenied, match="administrar"):
            open_one()
        assert not Cut.objects.filter(date=dt.date(2013, 3, 31)).exists()
