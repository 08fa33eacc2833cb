"""Status at a date computed by the database: the rules of `followup/status.py` written as
annotations and subqueries, so a count costs the same few queries whatever the size.

The pure rules stay the specification; tests/stats/test_counting.py holds these figures
equal to them on generated records.

A partial date is kept as the start of its period and its precision. It ends before a day D
exactly when its start is before the start of D's period of the same precision (the day
itself, the first of D's month, the first of D's year): that comparison needs no
end-of-month arithmetic, which SQLite and PostgreSQL spell differently.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    ExtractDay,
    ExtractMonth,
    ExtractYear,
    TruncMonth,
    TruncYear,
)
from django.db.models.lookups import GreaterThanOrEqual

from mejora.followup.models import Activity, Aspect, ProgressReport, Replanning
from mejora.followup.status import STATUS_ORDER, Status

# The annotations `with_status` adds, under these names.
PERCENT = "percent_then"
DUE = "effective_due"  # effective_due_on, effective_due_precision
STATUS = "status_then"


def ends_before(prefix: str, day) -> Q:
    """Whether the partial date in `<prefix>_on`/`<prefix>_precision` ends before `day`
    (a date, or an expression of one): a partial date is due at the end of its period."""
    on, precision = f"{prefix}_on", f"{prefix}_precision"
    if isinstance(day, dt.date):
        month, year = day.replace(day=1), day.replace(month=1, day=1)
    else:
        month, year = TruncMonth(day), TruncYear(day)
    return (
        Q(**{precision: "day", f"{on}__lt": day})
        | Q(**{precision: "month", f"{on}__lt": month})
        | Q(**{precision: "year", f"{on}__lt": year})
    )


def _latest_validated(as_of: dt.date) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(
        activity=OuterRef("pk"), state=ProgressReport.State.VALIDATED, cut__date__lte=as_of
    ).order_by("-cut__date")


def _replanned(as_of: dt.date) -> QuerySet[Replanning]:
    """The replannings in force at the date, latest first (as `activity_facts` orders them)."""
    return (
        Replanning.objects.filter(activity=OuterRef("pk"))
        .filter(Q(cut__isnull=True) | Q(cut__date__lte=as_of))
        .order_by("-created_at", "-id")
    )


def status_case(as_of: dt.date, percent: str = PERCENT, due: str = DUE) -> Case:
    """`activity_status` as an expression over a percent and an effective due date."""
    return Case(
        When(**{percent: 100}, then=Value(Status.CONCLUDED.value)),
        When(ends_before(due, as_of), then=Value(Status.OVERDUE.value)),
        When(**{f"{percent}__gt": 0}, then=Value(Status.IN_PROGRESS.value)),
        default=Value(Status.NOT_STARTED.value),
        output_field=CharField(),
    )


def with_status(
    activities: QuerySet[Activity], as_of: dt.date, *, suffix: str = ""
) -> QuerySet[Activity]:
    """Activities annotated with their latest validated percent at the date, their effective
    due date (the latest replanned date in force, else the due date) and their status then.

    With a `suffix`, the same under other names, so two dates can sit side by side."""
    percent, due, status = PERCENT + suffix, DUE + suffix, STATUS + suffix
    replanned = _replanned(as_of)
    return activities.annotate(
        **{
            percent: Subquery(_latest_validated(as_of).values("percent")[:1]),
            f"{due}_on": Coalesce(Subquery(replanned.values("new_due_on")[:1]), F("due_on")),
            f"{due}_precision": Coalesce(
                Subquery(replanned.values("new_due_precision")[:1]), F("due_precision")
            ),
        }
    ).annotate(**{status: status_case(as_of, percent, due)})


def with_conclusion(activities: QuerySet[Activity], as_of: dt.date) -> QuerySet[Activity]:
    """The conclusion date of the latest validated report at the date (its first day)."""
    return activities.annotate(
        concluded_then=Subquery(_latest_validated(as_of).values("concluded_on")[:1])
    )


def with_replanning(activities: QuerySet[Activity], as_of: dt.date) -> QuerySet[Activity]:
    """Whether the activity's date was replanned by the date."""
    return activities.annotate(replanned_then=Exists(_replanned(as_of)))


def due_end_key(due: str = DUE) -> Case:
    """A number that sorts like the end of a partial date (YYYYMMDD, a month ending on '31'),
    so lists sort by days late in the database."""
    on = f"{due}_on"
    year, month = ExtractYear(on) * 10000, ExtractMonth(on) * 100
    return Case(
        When(**{f"{due}_precision": "day"}, then=year + month + ExtractDay(on)),
        When(**{f"{due}_precision": "month"}, then=year + month + 31),
        default=year + 1231,
        output_field=IntegerField(),
    )


def empty_counts() -> dict[str, int]:
    return {"total": 0, **{status.value: 0 for status in STATUS_ORDER}}


def _by_status(field: str) -> dict[str, Count]:
    return {status.value: Count("pk", filter=Q(**{field: status.value})) for status in STATUS_ORDER}


def activity_counts(activities: QuerySet[Activity], as_of: dt.date) -> dict[str, int]:
    """Activities by status at the date: one query."""
    return with_status(activities, as_of).aggregate(total=Count("pk"), **_by_status(STATUS))


def activity_counts_at(
    activities: QuerySet[Activity], dates: list[dt.date]
) -> list[dict[str, int]]:
    """Activities by status at each of several dates (those registered by each): one query,
    however many dates, the counts of each date a row of one UNION ALL."""
    if not dates:
        return []
    parts = [
        with_status(activities.filter(aspect__registered_on__lte=day), day, suffix=f"_{n}")
        .annotate(at=Value(n))
        .values("at")
        .annotate(total=Count("pk"), **_by_status(STATUS + f"_{n}"))
        .order_by()
        for n, day in enumerate(dates)
    ]
    rows = {row["at"]: row for row in parts[0].union(*parts[1:], all=True)}
    counted = []
    for n in range(len(dates)):
        row = rows.get(n, {"total": 0})
        counted.append({key: row.get(key, 0) for key in empty_counts()})
    return counted


def aspect_counts(aspects: QuerySet[Aspect], as_of: dt.date) -> dict[str, int]:
    """ASM by status at the date: concluded when all their activities are, overdue when any
    is, else in progress when the mean of their percents (rounded to a tenth, as
    `aspect_progress` does) is above 0. Two queries.

    An ASM's status is always that of all its activities, whoever looks at it."""
    per_aspect = (
        with_status(Activity.objects.filter(aspect__in=aspects), as_of)
        .values("aspect_id")
        .annotate(
            n=Count("pk"),
            concluded=Count("pk", filter=Q(**{STATUS: Status.CONCLUDED.value})),
            overdue=Count("pk", filter=Q(**{STATUS: Status.OVERDUE.value})),
            percents=Sum(Coalesce(F(PERCENT), 0)),
        )
        .annotate(
            aspect_status=Case(
                When(concluded=F("n"), then=Value(Status.CONCLUDED.value)),
                When(overdue__gt=0, then=Value(Status.OVERDUE.value)),
                # round(sum / n, 1) > 0 exactly when sum / n >= 0.05
                When(
                    GreaterThanOrEqual(F("percents") * 20, F("n")) & Q(percents__gt=0),
                    then=Value(Status.IN_PROGRESS.value),
                ),
                default=Value(Status.NOT_STARTED.value),
                output_field=CharField(),
            )
        )
        .order_by()
    )
    counts = per_aspect.aggregate(
        with_activities=Count("aspect_id"),
        **{
            status.value: Count("aspect_id", filter=Q(aspect_status=status.value))
            for status in STATUS_ORDER
        },
    )
    total = aspects.count()
    # An ASM without activities has no progress: not started.
    counts[Status.NOT_STARTED.value] += total - counts.pop("with_activities")
    return {"total": total, **counts}
