"""The one access layer: each role reaches what its scope holds, for the actions it allows.

Generated over every role × action × record inside and outside the person's scope, so a new
role or action fails here until someone decides what it may do.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from mejora.accounts.access import (
    activities_for_user,
    aspects_for_user,
    evidence_for_user,
    get_activity_for_user,
    programs_for_user,
    reports_for_user,
)
from mejora.accounts.models import ROLE_ACTIONS, Action, Role
from mejora.followup.models import ActivityArea, Evidence
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    InstitutionFactory,
    ProgramFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Institution I with program P (two activities: one of area A, one of area B) and P2;
    another institution J with program Q."""
    i, j = InstitutionFactory(), InstitutionFactory()
    p, p2, q = (
        ProgramFactory(institution=i),
        ProgramFactory(institution=i),
        ProgramFactory(institution=j),
    )
    area_a, area_b = AreaFactory(institution=i), AreaFactory(institution=i)
    ours = ActivityFactory(aspect=AspectFactory(program=p))
    theirs = ActivityFactory(aspect=ours.aspect, order=2)
    ActivityArea.objects.create(activity=ours, area=area_a, role="responsible", position=1)
    ActivityArea.objects.create(activity=theirs, area=area_b, role="responsible", position=1)
    sibling = ActivityFactory(aspect=AspectFactory(program=p2))
    foreign = ActivityFactory(aspect=AspectFactory(program=q))
    for activity in (ours, theirs, sibling, foreign):
        report = ProgressReportFactory(activity=activity)
        Evidence.objects.create(report=report, name=f"evidencia-{activity.pk}.pdf")
    return {
        "i": i,
        "p": p,
        "area_a": area_a,
        "ours": ours,
        "theirs": theirs,
        "sibling": sibling,
        "foreign": foreign,
    }


PEOPLE = {
    "liaison": lambda w: member(Role.LIAISON, program=w["p"]),
    "area_staff": lambda w: member(Role.AREA_STAFF, area=w["area_a"]),
    "evaluator": lambda w: member(Role.EVALUATOR, institution=w["i"]),
    "oversight": lambda w: member(Role.OVERSIGHT),
    "administrator": lambda w: member(Role.ADMINISTRATOR),
    "outsider": lambda w: UserFactory(username="nadie"),
}
ROLE_OF = {name: Role(name) for name in PEOPLE if name in Role.values}

# The activities each person's scope holds, whatever the action.
IN_SCOPE = {
    "liaison": {"ours", "theirs"},
    "area_staff": {"ours"},
    "evaluator": {"ours", "theirs", "sibling"},
    "oversight": {"ours", "theirs", "sibling", "foreign"},
    "administrator": {"ours", "theirs", "sibling", "foreign"},
    "outsider": set(),
}


def expected(person: str, action: str) -> set[str]:
    role = ROLE_OF.get(person)
    return IN_SCOPE[person] if role is not None and action in ROLE_ACTIONS[role] else set()


def test_every_role_has_its_actions_decided():
    assert set(ROLE_ACTIONS) == set(Role.values)
    assert all(Action.VIEW in actions for actions in ROLE_ACTIONS.values())


@pytest.mark.parametrize("action", Action.values)
@pytest.mark.parametrize("person", PEOPLE)
def test_each_selector_reaches_exactly_the_scope(person, action, world):
    user = PEOPLE[person](world)
    want = {world[name].pk for name in expected(person, action)}
    activities = set(activities_for_user(user, action).values_list("pk", flat=True))
    assert activities == want
    reports = set(reports_for_user(user, action).values_list("activity_id", flat=True))
    assert reports == want
    evidence = set(evidence_for_user(user, action).values_list("report__activity_id", flat=True))
    assert evidence == want
    aspects = set(aspects_for_user(user, action).values_list("pk", flat=True))
    assert aspects == {world[name].aspect_id for name in expected(person, action)}
    programs = set(programs_for_user(user, action).values_list("pk", flat=True))
    assert programs == {world[name].aspect.program_id for name in expected(person, action)}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("activity", ["ours", "theirs", "sibling", "foreign"])
def test_a_fetch_is_404_outside_and_403_for_a_reader_who_may_not_act(person, activity, world):
    user = PEOPLE[person](world)
    pk = world[activity].pk
    for action in Action.values:
        if activity not in expected(person, Action.VIEW):
            with pytest.raises(Http404):
                get_activity_for_user(user, pk, action)
        elif activity not in expected(person, action):
            with pytest.raises(PermissionDenied):
                get_activity_for_user(user, pk, action)
        else:
            assert get_activity_for_user(user, pk, action).pk == pk


def test_an_inactive_person_reaches_nothing(world):
    user = PEOPLE["administrator"](world)
    user.is_active = False
    user.save()
    assert not activities_for_user(user).exists()


def test_a_superuser_reaches_everything(world):
    user = UserFactory(username="raiz", is_superuser=True)
    assert activities_for_user(user, Action.ADMINISTER).count() == 4


def test_an_area_with_several_roles_in_one_activity_sees_it_once(world):
    ActivityArea.objects.create(
        activity=world["ours"], area=world["area_a"], role="coordinating", position=1
    )
    user = PEOPLE["area_staff"](world)
    assert list(activities_for_user(user).values_list("pk", flat=True)) == [world["ours"].pk]
    assert programs_for_user(user).count() == 1
