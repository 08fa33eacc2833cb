"""The dashboard of the sample annex as of 2012-03-31, every figure worked out by hand from
the annex and found on the page; the records behind each figure; and the reader's scope."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.demo import demo_prepare
from mejora.followup.models import ActivityArea, Area, Cut, Program, ProgressReport
from mejora.stats.dashboard import Light, light
from tests.factories import (
    ActivityFactory,
    AspectFactory,
    CutFactory,
    ProgramFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db

AS_OF = {"al": "2012-03-31"}
# The four activities below 100% on 2012-03-31, their due dates as the annex writes them and
# the days from then to 2012-03-31 (2012 is a leap year: February has 29 days).
OVERDUE = {
    "2008/4.1": ("30/09/2009", 730 + 183),  # two years, then Oct 1 2011 … Mar 31 2012
    "2008/3.4": ("31/12/2009", 730 + 91),  # two years, then January 31 + February 29 + March 31
    "2010/1.1": ("31/12/2010", 365 + 91),
    "2008/3.5": ("14/02/2011", 365 + 15 + 31),  # to Feb 14 2012, then 15 days + March
}


@pytest.fixture
def seed() -> Program:
    demo_prepare()
    return Program.objects.get()


def _text(response) -> str:
    """The page's text with tags and runs of spaces collapsed, as a reader sees it."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_seeds_dashboard_shows_every_figure_worked_out_by_hand(client, seed):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), AS_OF)
    assert response.status_code == 200
    text = _text(response)
    # 20 activities: 16 at 100%, 4 below it past their due dates; none pending before them.
    assert "16 de 20 actividades concluidas (80 %)" in text
    # 9 ASM: the 6 whose activities are all at 100%; the 3 holding the 4 overdue.
    assert "6 de 9 ASM concluidos (66.7 %)" in text
    figures = response.context["figures"]
    assert figures.activities == {
        "total": 20,
        "concluded": 16,
        "in_progress": 0,
        "overdue": 4,
        "not_started": 0,
    }
    assert figures.aspects == {
        "total": 9,
        "concluded": 6,
        "in_progress": 0,
        "overdue": 3,
        "not_started": 0,
    }
    # All four are more than 180 days late; nothing falls due in the next 90 days.
    assert [n for _, n in figures.aging] == [0, 0, 0, 4]
    assert [n for _, n in figures.due_soon] == [0, 0, 0]
    # Of the 16 concluded, 6 give a conclusion date: Enero de 2009 (due 31/12/2008: late),
    # enero de 2009 (due 30/01/2009), Agosto de 2009 (due 31/12/2009), octubre 2009 (due
    # 30/06/2009: late), Diciembre de 2009 (due 31/12/2009), 17/Sept/2009 (due 17/09/2009).
    assert (figures.on_time, figures.concluded_undated) == (4, 10)
    assert "25 % · 4 de 16 concluidas" in text
    # The annex records no replanning in force by then.
    assert "0 % · 0 de 20 actividades tienen al menos un replanteamiento" in text
    # 4 of 20 overdue (20 %): amber, and the rule is written on the page.
    assert figures.light is Light.AMBER
    assert "Semáforo: verde, ninguna actividad vencida" in text
    # One cut so far: the trend is its row, and there is no previous cut to compare with.
    assert [p.counts["concluded"] for p in figures.trend] == [16]
    assert "No hay un corte anterior a esta fecha." in text


def test_who_is_behind_counts_each_areas_overdue_activities(client, seed, golden):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), AS_OF)
    rows = {r["area_roles__area__name"]: r for r in response.context["figures"].areas}
    # From the annex as read by hand: the areas named on the four overdue activities.
    late = set(golden["status_as_of_2012-03-31"]["overdue_activities"])
    expected: Counter = Counter()
    for cycle in golden["cycles"]:
        for number, aspect in enumerate(cycle["aspects"], start=1):
            for order, activity in enumerate(aspect["activities"], start=1):
                key = f"{cycle['mechanism_year']}/{aspect.get('no', number)}.{order}"
                if key in late:
                    for name in {*activity["coordinating_areas"], *activity["responsible_areas"]}:
                        expected[name] += 1
    assert sum(expected.values()) >= 4
    # The annex names an area by its name or its acronym.
    found = {
        (name if name in expected else row["area_roles__area__acronym"]): row["overdue"]
        for name, row in rows.items()
        if row["overdue"]
    }
    assert found == expected
    first = next(iter(response.context["figures"].areas))
    assert first["overdue"] == max(expected.values())
    for row in rows.values():
        assert row["light"] is light(row["overdue"], row["total"])
    # Only the areas with an overdue activity, the largest share overdue first.
    response = client.get(
        reverse("dashboard"), {**AS_OF, "areas_vencidas": "1", "orden_areas": "proporcion"}
    )
    late_areas = list(response.context["figures"].areas)
    assert len(late_areas) == len(expected)
    shares = [r["overdue"] / r["total"] for r in late_areas]
    assert shares == sorted(shares, reverse=True)


def test_the_overdue_list_gives_each_its_days_late_the_latest_first(client, seed):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard-overdue"), AS_OF)
    assert response.status_code == 200
    rows = response.context["rows"]
    listed = [
        (
            f"{r.activity.aspect.cycle.mechanism_year}/{r.activity.aspect.number}."
            f"{r.activity.order}",
            r.activity.due_text,
            r.days_late,
        )
        for r in rows
    ]
    assert listed == [(key, due, days) for key, (due, days) in OVERDUE.items()]
    text = _text(response)
    for _, days in OVERDUE.values():
        assert f" {days} " in text
    # The other order, and the aging bucket the dashboard links to.
    fewest = client.get(reverse("dashboard-overdue"), {**AS_OF, "orden": "atraso-menor"})
    assert [r.days_late for r in fewest.context["rows"]] == sorted(d for _, d in OVERDUE.values())
    old = client.get(reverse("dashboard-overdue"), {**AS_OF, "atraso": "181+"})
    assert len(old.context["rows"]) == 4
    recent = client.get(reverse("dashboard-overdue"), {**AS_OF, "atraso": "1-30"})
    assert recent.context["rows"] == []
    concluded = client.get(reverse("dashboard-activities"), {**AS_OF, "estado": "concluded"})
    assert concluded.context["page"].paginator.count == 16
    assert {r.days_late for r in concluded.context["rows"]} == {0}


def test_each_figure_links_to_the_records_behind_it(client, seed):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), {"corte": Cut.objects.get().pk})
    links = re.findall(r'href="([^"]*tablero/[^"]*)"', response.content.decode())
    followed = {}
    for link in links:
        page = client.get(link.replace("&amp;", "&"))
        assert page.status_code == 200, link
        if "estado=" in link or "vencidas" in link:
            followed[link] = page.context["page"].paginator.count
    overdue = [
        n
        for link, n in followed.items()
        if "vencidas" in link and "atraso" not in link and "area" not in link
    ]
    assert overdue and set(overdue) == {4}
    assert 16 in followed.values()


def test_a_day_that_is_not_one_is_said_so_and_the_latest_cut_is_shown(client, seed):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), {"al": "31/13/2012"})
    assert response.status_code == 200
    assert "«31/13/2012» no es una fecha" in response.content.decode()
    assert response.context["as_of"] == dt.date(2012, 3, 31)


def test_the_figures_count_only_what_the_reader_may_see(client, seed):
    elsewhere = ProgramFactory()
    for _ in range(3):
        activity = ActivityFactory(
            aspect=AspectFactory(program=elsewhere, registered_on=dt.date(2011, 1, 1))
        )
        ProgressReportFactory(activity=activity, cut=Cut.objects.get(), percent=10)
    client.force_login(member(Role.EVALUATOR, institution=seed.institution))
    response = client.get(reverse("dashboard"), AS_OF)
    assert response.context["figures"].activities["total"] == 20
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), AS_OF)
    assert response.context["figures"].activities["total"] == 23
    assert response.context["figures"].activities["overdue"] == 7
    # Area staff: their area's activities; an ASM's status is still that of all of its own.
    upri = Area.objects.get(acronym="UPRI")
    theirs = ActivityArea.objects.filter(area=upri).values("activity").distinct().count()
    client.force_login(member(Role.AREA_STAFF, area=upri))
    response = client.get(reverse("dashboard"), AS_OF)
    assert response.context["figures"].activities["total"] == theirs < 20
    overdue = client.get(reverse("dashboard-overdue"), AS_OF)
    assert all(r.activity.area_roles.filter(area=upri).exists() for r in overdue.context["rows"])
    # Narrowed to a program outside their reach, nothing is counted.
    client.force_login(member(Role.EVALUATOR, institution=seed.institution))
    response = client.get(reverse("dashboard"), {**AS_OF, "programa": elsewhere.pk})
    assert response.context["figures"].activities["total"] == 0


def test_what_changed_since_the_previous_cut(client, seed):
    september = CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012")
    late = ProgressReport.objects.filter(percent__lt=100, cut__date=dt.date(2012, 3, 31))
    first = late.order_by("pk").first()
    ProgressReportFactory(activity=first.activity, cut=september, percent=100)
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("dashboard"), {"corte": september.pk})
    figures = response.context["figures"]
    assert figures.previous_cut.date == dt.date(2012, 3, 31)
    assert [(t.before.value, t.after.value, t.count) for t in figures.transitions] == [
        ("overdue", "concluded", 1)
    ]
    assert [p.counts["concluded"] for p in figures.trend] == [16, 17]
    assert response.context["trend_chart"] is not None
    assert "<svg" in response.content.decode()
