"""The dashboard and the overdue list cost the same queries for 10 ASM as for 10,000: every
figure is counted by the database, the trend is one query, the lists are pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.facts import facts_note_written
from mejora.followup.models import Activity, ActivityArea, Aspect, ProgressReport, Replanning
from tests.factories import AreaFactory, CutFactory, CycleFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db

CUTS = (dt.date(2011, 3, 31), dt.date(2011, 9, 30), dt.date(2012, 3, 31))


def _grow(program, area, cuts, start: int, to: int) -> None:
    """ASM `start`..`to` of the program, two activities each, with reports at every cut (some
    at 100%, some stuck), a replanning on one in three and both area roles."""
    cycle = CycleFactory()
    aspects = Aspect.objects.bulk_create(
        Aspect(
            program=program,
            cycle=cycle,
            number=str(n),
            text=f"ASM {n}",
            statement=f"ASM {n}",
            classification="institucional",
            registered_on=dt.date(2010, 1, 1),
        )
        for n in range(start, to)
    )
    activities = Activity.objects.bulk_create(
        Activity(
            aspect=aspect,
            order=order,
            text="Depurar el padrón",
            due_on=dt.date(2010 + n % 3, 1 + n % 12, 1),
            due_precision=("day", "month", "year")[n % 3],
        )
        for n, aspect in enumerate(aspects, start=start)
        for order in (1, 2)
    )
    ActivityArea.objects.bulk_create(
        ActivityArea(activity=a, area=area, role=role, position=1)
        for a in activities
        for role in ActivityArea.Role.values
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(
            activity=a,
            cut=cut,
            percent=min(100, (i + 1) * (40 if a.pk % 2 else 20)),
            state=ProgressReport.State.VALIDATED,
        )
        for a in activities
        for i, cut in enumerate(cuts)
    )
    Replanning.objects.bulk_create(
        Replanning(
            activity=a,
            cut=cuts[1],
            new_due_on=dt.date(2012, 6, 1),
            new_due_precision="month",
            justification="Sin presupuesto.",
        )
        for a in activities[::3]
    )
    facts_note_written(activities)  # inserted in bulk, kept as the importers keep them


def test_the_same_queries_for_10_and_10000_asm(client, django_assert_num_queries):
    program = ProgramFactory()
    area = AreaFactory(institution=program.institution)
    cuts = [CutFactory(date=day, name=str(day)) for day in CUTS]
    _grow(program, area, cuts, 0, 10)
    readers = {
        "evaluator": member(Role.EVALUATOR, institution=program.institution),
        "area_staff": member(Role.AREA_STAFF, area=area),
    }
    pages = [
        ("evaluator", "dashboard"),
        ("area_staff", "dashboard"),
        ("evaluator", "dashboard-overdue"),
    ]
    baselines = {}
    for who, name in pages:
        client.force_login(readers[who])
        client.get(reverse(name))  # warms what a process keeps between requests
        with CaptureQueriesContext(connection) as few:
            assert client.get(reverse(name)).status_code == 200
        baselines[who, name] = len(few.captured_queries)
    _grow(program, area, cuts, 10, 10_000)
    for who, name in pages:
        client.force_login(readers[who])
        client.get(reverse(name))
        with django_assert_num_queries(baselines[who, name]):
            large = client.get(reverse(name))
        assert large.status_code == 200
        # The larger record really is larger on the page (no test that cannot fail).
        if name == "dashboard":
            assert large.context["figures"].activities["total"] == 20_000
            assert len(large.context["figures"].trend) == len(CUTS)
        else:
            assert large.context["page"].paginator.count > len(large.context["rows"]) > 0
            assert "estado=overdue&amp;pagina=2" in large.content.decode()
