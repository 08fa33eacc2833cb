"""Status at a date computed by the database: the rules of `followup/status.py` written as
annotations and subqueries, so a count costs the same few queries whatever the size.

What each activity's status rests on is kept span by span between cut dates
(`ActivityFacts`, followup/facts.py): counting at a date reads the span covering it. The pure
rules stay the specification; tests/stats/test_counting.py holds these figures equal to them
on generated records.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)

from mejora.followup.models import Activity, ActivityFacts, Aspect
from mejora.followup.status import STATUS_ORDER, Status

# The annotations `with_status` adds, under these names.
PERCENT = "percent_then"
DUE_END = "due_end_then"  # the effective due date's last day
STATUS = "status_then"


def day_key(day: dt.date) -> str:
    """A day as the ISO text raw SQL compares date columns with (both databases)."""
    return day.isoformat()


def _span_at(as_of: dt.date) -> QuerySet[ActivityFacts]:
    """The kept span of the outer activity that covers the date."""
    return ActivityFacts.objects.filter(activity=OuterRef("pk"), starts__lte=as_of, ends__gt=as_of)


def with_status(
    activities: QuerySet[Activity], as_of: dt.date, *, suffix: str = ""
) -> QuerySet[Activity]:
    """Activities annotated with their latest validated percent at the date, the end of their
    effective due date (the latest replanned date in force, else the due date) and their
    status then, as `activity_status` says: read from the span of kept facts covering the
    date, one indexed row per activity (followup/facts.py).

    With a `suffix`, the same under other names, so two dates can sit side by side."""
    percent, due_end, status = PERCENT + suffix, DUE_END + suffix, STATUS + suffix
    span = _span_at(as_of)
    return activities.annotate(
        **{
            percent: Subquery(span.values("percent")[:1]),
            due_end: Subquery(span.values("due_end")[:1]),
        }
    ).annotate(
        **{
            status: Case(
                When(**{percent: 100}, then=Value(Status.CONCLUDED.value)),
                When(**{f"{due_end}__lt": as_of}, then=Value(Status.OVERDUE.value)),
                When(**{f"{percent}__gt": 0}, then=Value(Status.IN_PROGRESS.value)),
                default=Value(Status.NOT_STARTED.value),
                output_field=CharField(),
            )
        }
    )


# More rows than any table holds. As a LIMIT it keeps every row and makes SQLite read the
# table once, as a table of its own, instead of pouring it into the query around it: that
# cost most where the query joins it to another (the join became a loop over every pair of
# rows) or sums many columns each a CASE (each sum computed its CASE again). Elsewhere the
# table poured in is faster, and PostgreSQL plans better without it everywhere.
EVERY_ROW = 2**62


def _kept_whole(db: str, joined: bool) -> str:
    return f"LIMIT {EVERY_ROW}" if joined and connections[db].vendor == "sqlite" else ""


def empty_counts() -> dict[str, int]:
    return {"total": 0, **{status.value: 0 for status in STATUS_ORDER}}


def status_table(
    activities: QuerySet[Activity],
    as_of: dt.date,
    *,
    suffix: str = "",
    fields=None,
    joined: bool = False,
) -> tuple[str, list]:
    """The SQL of a table of the activities (`row_id`, `aspect_id`) with what `with_status`
    annotates, the conclusion date of the latest validated report (`concluded_then`) and
    whether the date was replanned by then (`replanned_then`, 1 or 0), each name with the
    suffix, and the columns `fields` names (name → expression over the activity); and its
    parameters.

    Each activity joined to its span of kept facts covering the date (followup/facts.py):
    one indexed row each, however many reports and replannings it has."""
    activities = activities.order_by()
    try:
        activities.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter on no values: the same empty table, written as SQL
        activities = Activity.objects.filter(pk__isnull=True)
    fields = fields or {}
    base = activities.annotate(row_id=F("pk"), **fields).values("row_id", "aspect_id", *fields)
    base_sql, base_params = base.query.sql_with_params()
    facts = connections[activities.db].ops.quote_name(ActivityFacts._meta.db_table)
    percent, due_end, status = PERCENT + suffix, DUE_END + suffix, STATUS + suffix
    case, case_params = span_status(as_of)
    sql = f"""(SELECT b.row_id, b.aspect_id, {"".join(f"b.{name}, " for name in fields)}
          f.percent AS {percent}, f.due_end AS {due_end}, f.concluded_on AS concluded_then{suffix},
          CASE WHEN f.replanned THEN 1 ELSE 0 END AS replanned_then{suffix},
          {case} AS {status}
        FROM ({base_sql}) b
        LEFT JOIN {facts} f ON f.activity_id = b.row_id AND f.starts <= %s AND f.ends > %s
        {_kept_whole(activities.db, joined)})"""
    day = day_key(as_of)
    return sql, [*case_params, *base_params, day, day]


def span_status(day: dt.date) -> tuple[str, list]:
    """The status at the day of an activity whose kept span `f` covers it, as SQL and its
    parameters: `activity_status`'s rule over the span's columns."""
    sql = (
        "CASE WHEN f.percent = 100 THEN %s WHEN f.due_end < %s THEN %s"
        " WHEN f.percent > 0 THEN %s ELSE %s END"
    )
    params = [
        Status.CONCLUDED.value,
        day_key(day),
        Status.OVERDUE.value,
        Status.IN_PROGRESS.value,
        Status.NOT_STARTED.value,
    ]
    return sql, params


def statuses_at(
    activities: QuerySet[Activity],
    dates: list[dt.date],
    *,
    registered: bool = False,
    fields=None,
) -> tuple[str, list]:
    """The SQL of a table of the activities' spans that cover any of the dates (`row_id`, the
    columns `fields` names as `status_table` does, and `status_0`, `status_1`… : the status at
    each date when the span covers it, else NULL; with `registered`, NULL too before the ASM
    was registered), and its parameters.

    One pass over the spans, however many dates: each activity has exactly one span covering
    a date, so per date the non-null statuses count each activity once."""
    activities = activities.order_by()
    try:
        activities.values("pk").query.sql_with_params()
    except EmptyResultSet:
        activities = Activity.objects.filter(pk__isnull=True)
    fields = fields or {}
    base = activities.annotate(
        row_id=F("pk"), registered_then=F("aspect__registered_on"), **fields
    ).values("row_id", "registered_then", *fields)
    base_sql, base_params = base.query.sql_with_params()
    facts = connections[activities.db].ops.quote_name(ActivityFacts._meta.db_table)
    columns, params = [f"b.{name}" for name in fields], []
    for n, day in enumerate(dates):
        case, case_params = span_status(day)
        covers = "f.starts <= %s AND f.ends > %s"
        covers_params = [day_key(day), day_key(day)]
        if registered:
            covers += " AND b.registered_then <= %s"
            covers_params.append(day_key(day))
        columns.append(f"CASE WHEN {covers} THEN {case} END AS status_{n}")
        params += covers_params + case_params
    sql = f"""(SELECT b.row_id, {", ".join(columns)}
        FROM ({base_sql}) b
        JOIN {facts} f ON f.activity_id = b.row_id AND f.starts <= %s AND f.ends > %s
        {_kept_whole(activities.db, joined=True)})"""
    return sql, [*params, *base_params, day_key(max(dates)), day_key(min(dates))]


def activity_counts(activities: QuerySet[Activity], as_of: dt.date) -> dict[str, int]:
    """Activities by status at the date: one query."""
    return activity_counts_at(activities, [as_of], registered=False)[0]


def _status_sums(column: str) -> tuple[str, list]:
    """One sum per status over a column of statuses, in STATUS_ORDER."""
    sums = ", ".join(f"SUM(CASE WHEN {column} = %s THEN 1 ELSE 0 END)" for _ in STATUS_ORDER)
    return sums, [status.value for status in STATUS_ORDER]


def fetch_rows(db: str, sql: str, params: list) -> list[tuple]:
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def activity_counts_at(
    activities: QuerySet[Activity], dates: list[dt.date], *, registered: bool = True
) -> list[dict[str, int]]:
    """Activities by status at each of several dates (with `registered`, those registered by
    each): one query and one pass over the spans, however many dates."""
    if not dates:
        return []
    table, params = statuses_at(activities, dates, registered=registered)
    sums, sum_params = [], []
    for n in range(len(dates)):
        column_sums, column_params = _status_sums(f"status_{n}")
        sums.append(f"COUNT(status_{n}), {column_sums}")
        sum_params += column_params
    (values,) = fetch_rows(
        activities.db, f"SELECT {', '.join(sums)} FROM {table} t", sum_params + params
    )
    keys = list(empty_counts())
    width = len(keys)
    return [
        dict(zip(keys, [v or 0 for v in values[n * width : (n + 1) * width]], strict=True))
        for n in range(len(dates))
    ]


def aspect_groups(aspects: QuerySet[Aspect], as_of: dt.date, *, fields=None) -> list[tuple]:
    """ASM by status at the date, grouped also by the columns `fields` names (name →
    expression over the ASM): rows of those columns' values, the status and how many. One
    query. Concluded when all their activities are, overdue when any is, else in progress
    when the mean of their percents (rounded to a tenth, as `aspect_progress` does) is above
    0; an ASM without activities has no progress: not started.

    An ASM's status is always that of all its activities, whoever looks at it."""
    aspects = aspects.order_by()
    try:
        aspects.values("pk").query.sql_with_params()
    except EmptyResultSet:
        aspects = Aspect.objects.filter(pk__isnull=True)
    fields = fields or {}
    base = aspects.annotate(row_id=F("pk"), **fields).values("row_id", *fields)
    base_sql, base_params = base.query.sql_with_params()
    activities = Activity.objects.filter(aspect__in=aspects)
    table, table_params = status_table(activities, as_of)
    group = "".join(f"a.{name}, " for name in fields)
    # round(sum / n, 1) > 0 exactly when sum / n >= 0.05, that is sum * 20 >= n.
    sql = f"""
        SELECT {group}CASE
            WHEN g.n IS NULL THEN %s WHEN g.c = g.n THEN %s WHEN g.o > 0 THEN %s
            WHEN g.p > 0 AND g.p * 20 >= g.n THEN %s ELSE %s END AS status,
          COUNT(*)
        FROM ({base_sql}) a
        LEFT JOIN (
          SELECT aspect_id, COUNT(*) AS n,
            SUM(CASE WHEN {STATUS} = %s THEN 1 ELSE 0 END) AS c,
            SUM(CASE WHEN {STATUS} = %s THEN 1 ELSE 0 END) AS o,
            SUM(COALESCE({PERCENT}, 0)) AS p
          FROM {table} t GROUP BY aspect_id
        ) g ON g.aspect_id = a.row_id
        GROUP BY {group}status"""
    params = [
        Status.NOT_STARTED.value,
        Status.CONCLUDED.value,
        Status.OVERDUE.value,
        Status.IN_PROGRESS.value,
        Status.NOT_STARTED.value,
        *base_params,
        Status.CONCLUDED.value,
        Status.OVERDUE.value,
        *table_params,
    ]
    return fetch_rows(aspects.db, sql, params)


def counts_from(rows) -> dict[str, int]:
    """Counts by status (and their total) from rows of a status and how many."""
    counts = empty_counts()
    for status, n in rows:
        counts[status] += n
        counts["total"] += n
    return counts


def aspect_counts(aspects: QuerySet[Aspect], as_of: dt.date) -> dict[str, int]:
    """ASM by status at the date (`aspect_groups`): one query."""
    return counts_from(aspect_groups(aspects, as_of))
