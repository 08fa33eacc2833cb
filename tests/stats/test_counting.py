"""The database counts what the pure rules of followup/status.py say, on generated records:
partial dates due at the end of their period, the latest replanning in force, only validated
reports at cuts up to the date, ASM with many activities or none."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mejora.annex.document import PartialDate, Precision
from mejora.followup.models import Activity, AspectConclusion, ProgressReport, Replanning
from mejora.followup.status import Status, activity_status, aspect_progress, aspect_status
from mejora.stats.counting import (
    STATUS,
    activity_counts,
    activity_counts_at,
    aspect_counts,
    fetch_rows,
    statuses_at,
    with_status,
)
from tests.factories import ActivityFactory, AspectFactory, CutFactory, ProgramFactory

pytestmark = pytest.mark.django_db

CUT_DATES = (dt.date(2011, 3, 31), dt.date(2011, 9, 30), dt.date(2012, 3, 31))
STATES = [s.value for s in ProgressReport.State]


@dataclass
class Plan:
    due: PartialDate | None
    reports: dict[int, tuple[int | None, str]]  # cut index → (percent, state)
    replannings: list[tuple[PartialDate, int | None]]  # (new date, cut index or none)


days = st.dates(dt.date(2010, 1, 1), dt.date(2013, 12, 31))
partial_dates = st.builds(
    lambda day, precision: PartialDate.of(day, precision), days, st.sampled_from(list(Precision))
)
percents = st.one_of(st.none(), st.sampled_from([0, 1, 50, 99, 100]), st.integers(0, 100))
activities = st.builds(
    Plan,
    due=st.one_of(st.none(), partial_dates),
    reports=st.dictionaries(
        st.integers(0, len(CUT_DATES) - 1), st.tuples(percents, st.sampled_from(STATES))
    ),
    replannings=st.lists(
        st.tuples(partial_dates, st.one_of(st.none(), st.integers(0, len(CUT_DATES) - 1))),
        max_size=3,
    ),
)
# Some ASM with one activity at 1%: the mean rounds to 0.0 from 21 activities on; some with
# every activity validated at 100 from the first or a later cut.
concluding = st.builds(
    Plan,
    due=st.none(),
    reports=st.sampled_from([{0: (100, "validated")}, {1: (100, "validated")}]),
    replannings=st.just([]),
)
aspects = st.lists(
    st.one_of(
        st.lists(activities, max_size=4),
        st.lists(concluding, min_size=1, max_size=3),
        st.builds(
            lambda n, p: [p] + [Plan(None, {}, [])] * n,
            st.integers(18, 22),
            st.just(Plan(None, {0: (1, "validated")}, [])),
        ),
    ),
    min_size=1,
    max_size=4,
)
# Ends of months and years, the days around the cuts, and any day.
as_of_days = st.one_of(
    days,
    st.sampled_from([dt.date(2011, 12, 31), dt.date(2012, 1, 1), dt.date(2011, 2, 28)]),
    st.sampled_from([d + dt.timedelta(days=k) for d in CUT_DATES for k in (-1, 0, 1)]),
)


def _store(plans: list[list[Plan]]) -> tuple[object, list[list[Activity]]]:
    program = ProgramFactory()
    cuts = [CutFactory(date=d, name=str(d)) for d in CUT_DATES]
    stored = []
    for plan in plans:
        aspect = AspectFactory(program=program, registered_on=dt.date(2009, 1, 1))
        rows = []
        for order, item in enumerate(plan, start=1):
            activity = ActivityFactory(aspect=aspect, order=order)
            activity.due = item.due
            activity.save()
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
            rows.append(activity)
        stored.append(rows)
    return program, stored


def _by_the_rules(item: Plan, as_of: dt.date):
    """The percent and status the pure rules give, from the plan itself."""
    reports = sorted(
        (CUT_DATES[i], report)
        for i, report in item.reports.items()
        if CUT_DATES[i] <= as_of and report[1] == "validated"
    )
    percent = reports[-1][1][0] if reports else None
    replanned = [d for d, i in item.replannings if i is None or CUT_DATES[i] <= as_of]
    status = activity_status(percent=percent, due=item.due, replanned=replanned, as_of=as_of)
    return percent, status


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=aspects, data=st.data())
def test_the_database_counts_what_the_rules_say(plans, data):
    # Mostly the days where a rule turns: inside a due period, at its end, the day after.
    turns = [
        day
        for plan in plans
        for item in plan
        for due in [item.due, *(d for d, _ in item.replannings)]
        if due is not None
        for day in (due.start, due.end, due.end + dt.timedelta(days=1))
    ]
    as_of = data.draw(st.sampled_from(turns) if turns else as_of_days, label="as_of")
    if turns and data.draw(st.booleans(), label="any day"):
        as_of = data.draw(as_of_days, label="as_of")
    with transaction.atomic():
        program, stored = _store(plans)
        expected_activities: Counter = Counter()
        expected_aspects: Counter = Counter()
        expected_rows = {}
        for plan, rows in zip(plans, stored, strict=True):
            facts = [_by_the_rules(item, as_of) for item in plan]
            for activity, (_, status) in zip(rows, facts, strict=True):
                expected_rows[activity.pk] = status.value
                expected_activities[status.value] += 1
            progress = aspect_progress(p for p, _ in facts)
            expected_aspects[aspect_status([s for _, s in facts], progress).value] += 1
        scope = Activity.objects.filter(pk__in=expected_rows)
        rows = dict(with_status(scope, as_of).values_list("pk", STATUS))
        assert rows == expected_rows
        counted = activity_counts(scope, as_of)
        assert counted.pop("total") == len(expected_rows)
        assert counted == {s: expected_activities[s] for s in counted}
        # Each ASM's kept conclusions say it is concluded exactly when the rules do.
        concluded = {
            aspect.pk
            for aspect, plan in zip(program.aspects.order_by("pk"), plans, strict=True)
            if plan and all(_by_the_rules(item, as_of)[1] is Status.CONCLUDED for item in plan)
        }
        kept = AspectConclusion.objects.filter(starts__lte=as_of, ends__gt=as_of)
        assert set(kept.filter(aspect__program=program).values_list("aspect_id", flat=True)) == (
            concluded
        )
        by_aspect = aspect_counts(program.aspects.all(), as_of)
        assert by_aspect.pop("total") == len(plans)
        assert by_aspect == {s: expected_aspects[s] for s in by_aspect}
        # Several dates in one pass over the spans count what each date counts alone, and
        # the statuses side by side are each date's.
        days = [*CUT_DATES, as_of]
        assert activity_counts_at(scope, days, registered=False) == [
            activity_counts(scope, day) for day in days
        ]
        table, params = statuses_at(scope, [CUT_DATES[0], as_of])
        pairs = fetch_rows(
            "default",
            f"SELECT row_id, MAX(status_0), MAX(status_1) FROM {table} t GROUP BY row_id",
            params,
        )
        before = dict(with_status(scope, CUT_DATES[0]).values_list("pk", STATUS))
        assert {pk: (was, now) for pk, was, now in pairs} == {
            pk: (before[pk], expected_rows[pk]) for pk in expected_rows
        }
        transaction.set_rollback(True)
