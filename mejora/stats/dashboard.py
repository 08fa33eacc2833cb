"""The figures of a dashboard: what is late, who is behind, what falls due, what changed.

Every figure is counted by the database over what the reader may see (the access layer's
querysets), at a date, in a fixed number of queries whatever the size of the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mejora.accounts.access import activities_for_user, aspects_for_user, whole_program_reach
from mejora.annex.document import PartialDate, Precision
from mejora.followup.models import (
    UNTIL_ALWAYS,
    Activity,
    ActivityArea,
    ActivityFacts,
    Area,
    Aspect,
    Classification,
    Cut,
    CutTally,
    Program,
    ProgressReport,
)
from mejora.followup.status import STATUS_ORDER, Status, days_late
from mejora.stats.counting import (
    DUE_END,
    PERCENT,
    STATUS,
    activity_counts_at,
    aspect_groups,
    counts_from,
    day_key,
    empty_counts,
    fetch_rows,
    status_table,
    statuses_at,
    with_status,
)

# The trend shows at most this many cuts up to the date: a fixed number of queries.
TREND_CUTS = 6
LIST_PAGE_SIZE = 50
AREA_PAGE_SIZE = 25
DUE_WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class Aging:
    key: str
    label: str
    low: int
    high: int | None

    def ends(self, as_of: dt.date) -> tuple[dt.date | None, dt.date]:
        """The ends of the due dates overdue by between `low` and `high` days (both
        included) at the date: from the first (None: any) to before the second."""
        since = as_of - dt.timedelta(days=self.high) if self.high is not None else None
        return since, as_of - dt.timedelta(days=self.low - 1)

    def sql(self, as_of: dt.date) -> tuple[str, list]:
        """Overdue by between `low` and `high` days (both included) at the date, as a
        condition on a status table's columns, and its parameters."""
        since, before = self.ends(as_of)
        condition = f"{DUE_END} < %s AND {STATUS} <> %s"
        params = [day_key(before), Status.CONCLUDED.value]
        if since is not None:
            condition += f" AND NOT {DUE_END} < %s"
            params.append(day_key(since))
        return condition, params


AGING = (
    Aging("1-30", _("1 a 30 días"), 1, 30),
    Aging("31-90", _("31 a 90 días"), 31, 90),
    Aging("91-180", _("91 a 180 días"), 91, 180),
    Aging("181+", _("más de 180 días"), 181, None),
)
AGING_BY_KEY = {a.key: a for a in AGING}


class Light(StrEnum):
    """The semáforo: one rule for an activity, an ASM, an area, a program or a whole scope."""

    GREEN = "verde"
    AMBER = "amarillo"
    RED = "rojo"

    @property
    def label(self) -> str:
        return str(_LIGHT_LABELS[self])


_LIGHT_LABELS = {Light.GREEN: _("Verde"), Light.AMBER: _("Amarillo"), Light.RED: _("Rojo")}
# Written on every page that shows a light.
LIGHT_RULE = _(
    "Semáforo: verde, ninguna actividad vencida; amarillo, menos de una de cada cuatro "
    "vencida; rojo, una de cada cuatro o más vencida (25 % o más). Una actividad vencida es "
    "la que no llega a 100 % y cuya fecha de término vigente (la última replanteada, si no la "
    "comprometida; una fecha de mes o año vence al final del periodo) quedó antes de la fecha "
    "consultada."
)
RED_SHARE = 0.25


def light(overdue: int, total: int) -> Light:
    """The semáforo of anything with `total` activities of which `overdue` are overdue."""
    if not overdue or not total:
        return Light.GREEN
    return Light.RED if overdue / total >= RED_SHARE else Light.AMBER


def rate(part: int, whole: int) -> float | None:
    """A percentage to one decimal, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Scope:
    """What a dashboard is narrowed to (?dependencia=&programa=&area=&ciclo=&tipo=&prioridad=);
    anything unknown is left out. The reader's access narrows it further, always."""

    institution: int | None = None
    program: int | None = None
    area: int | None = None
    cycle: int | None = None
    classification: str = ""
    priority: str = ""

    @classmethod
    def from_query(cls, query) -> Scope:
        def number(key: str) -> int | None:
            value = query.get(key, "")
            return int(value) if value.isdigit() and len(value) < 10 else None

        classification = query.get("tipo", "")
        priority = query.get("prioridad", "")
        return cls(
            institution=number("dependencia"),
            program=number("programa"),
            area=number("area"),
            cycle=number("ciclo"),
            classification=classification if classification in Classification.values else "",
            priority=priority if priority in Aspect.Priority.values else "",
        )

    def narrowing(self) -> dict:
        """The lookups that narrow an ASM, or a tally, to the scope (area aside: it is an
        activity's)."""
        lookups = {
            "program__institution_id": self.institution,
            "program_id": self.program,
            "cycle_id": self.cycle,
            "classification": self.classification,
            "priority": self.priority,
        }
        return {lookup: value for lookup, value in lookups.items() if value}

    def as_query(self) -> dict[str, str]:
        values = {
            "dependencia": self.institution,
            "programa": self.program,
            "area": self.area,
            "ciclo": self.cycle,
            "tipo": self.classification,
            "prioridad": self.priority,
        }
        return {key: str(value) for key, value in values.items() if value}


def scoped_records(user, scope: Scope, as_of: dt.date) -> tuple[QuerySet[Aspect], QuerySet]:
    """The ASM registered by the date and their activities the reader may see, narrowed."""
    aspects = aspects_for_user(user).filter(registered_on__lte=as_of, **scope.narrowing())
    activities = activities_for_user(user).filter(aspect__in=aspects)
    if scope.area:
        roles = ActivityArea.objects.filter(area_id=scope.area)
        activities = activities.filter(pk__in=roles.values("activity_id"))
        aspects = aspects.filter(pk__in=activities.values("aspect_id"))
    return aspects, activities


def default_as_of() -> dt.date:
    """The latest cut with validated progress (the official state), else today."""
    # The cuts, latest first, until one holds a validated report: a few indexed lookups, not
    # a sort of every report.
    validated = ProgressReport.objects.filter(
        cut=OuterRef("pk"), state=ProgressReport.State.VALIDATED
    )
    latest = (
        Cut.objects.filter(Exists(validated))
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return latest or dt.date.today()


@dataclass
class Transition:
    before: Status
    after: Status
    count: int


@dataclass
class TrendPoint:
    cut: Cut
    counts: dict[str, int]

    @property
    def by_status(self) -> list[tuple[Status, int]]:
        return [(s, self.counts[s.value]) for s in STATUS_ORDER]


@dataclass
class Dashboard:
    as_of: dt.date
    activities: dict[str, int]
    aspects: dict[str, int]
    aging: list[tuple[Aging, int]]
    due_soon: list[tuple[int, int]]
    on_time: int
    concluded_undated: int
    replanned: int
    light: Light
    areas: Page
    trend: list[TrendPoint]
    previous_cut: Cut | None
    transitions: list[Transition] = field(default_factory=list)

    @property
    def activities_by_status(self) -> list[tuple[Status, int]]:
        return [(s, self.activities[s.value]) for s in STATUS_ORDER]

    @property
    def aspects_by_status(self) -> list[tuple[Status, int]]:
        return [(s, self.aspects[s.value]) for s in STATUS_ORDER]

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.activities[Status.CONCLUDED.value])

    @property
    def replanned_rate(self) -> float | None:
        return rate(self.replanned, self.activities["total"])

    @property
    def concluded_rate(self) -> float | None:
        return rate(self.activities[Status.CONCLUDED.value], self.activities["total"])

    @property
    def aspects_concluded_rate(self) -> float | None:
        return rate(self.aspects[Status.CONCLUDED.value], self.aspects["total"])


def _due_within(as_of: dt.date, days: int) -> tuple[str, list]:
    """Not concluded nor overdue, and due by `days` days after the date: a condition on a
    status table's columns, and its parameters."""
    end = day_key(as_of + dt.timedelta(days=days + 1))
    pending = [Status.IN_PROGRESS.value, Status.NOT_STARTED.value]
    return f"{STATUS} IN (%s, %s) AND {DUE_END} < %s", [*pending, end]


def _group_sql(fields) -> tuple[str, str]:
    """The columns `fields` names, as selected from the table `t` and as grouped by."""
    return "".join(f"t.{name}, " for name in fields), "".join(f"{name}, " for name in fields)


def figure_groups(activities: QuerySet[Activity], as_of: dt.date, *, fields=None) -> list[tuple]:
    """The activities at the date grouped by what the figures count (`figures_from`): rows
    of the columns `fields` names (name → expression over the activity), then the status,
    the aging bucket ('' for none, the conditions of `Aging.sql`), the narrowest window of
    `DUE_WINDOWS` it falls due in (`_due_within`; None), on time (concluded by the end of the
    effective due date's period), concluded without a date, replanned (each 1 or 0), and how
    many. One query."""
    fields = fields or {}
    table, table_params = status_table(activities, as_of, fields=fields)
    aging, aging_params = [], []
    for a in AGING:
        condition, params = a.sql(as_of)
        aging.append(f"WHEN {condition} THEN %s")
        aging_params += [*params, a.key]
    due, due_params = [], []
    for n in DUE_WINDOWS:
        condition, params = _due_within(as_of, n)
        due.append(f"WHEN {condition} THEN {n}")
        due_params += params
    concluded = Status.CONCLUDED.value
    selected, grouped = _group_sql(fields)
    sql = f"""
        SELECT {grouped}status, aging, due_within, on_time, undated, replanned, COUNT(*) FROM (
          SELECT {selected}{STATUS} AS status,
            CASE {" ".join(aging)} ELSE '' END AS aging,
            CASE {" ".join(due)} END AS due_within,
            CASE WHEN {STATUS} = %s AND concluded_then <= {DUE_END} THEN 1 ELSE 0 END AS on_time,
            CASE WHEN {STATUS} = %s AND concluded_then IS NULL THEN 1 ELSE 0 END AS undated,
            replanned_then AS replanned
          FROM {table} t
        ) g
        GROUP BY {grouped}status, aging, due_within, on_time, undated, replanned"""
    params = [*aging_params, *due_params, concluded, concluded, *table_params]
    return fetch_rows(activities.db, sql, params)


def figures_from(rows) -> dict[str, int]:
    """Counts by status, aging buckets, due windows, on time, concluded undated and
    replanned, from rows of `figure_groups` without its group's columns."""
    counted = empty_counts()
    counted |= {f"aging_{a.key}": 0 for a in AGING}
    counted |= {f"due_{n}": 0 for n in DUE_WINDOWS}
    counted |= {"on_time": 0, "concluded_undated": 0, "replanned": 0}
    for status, aging, due_within, on_time, undated, replanned, n in rows:
        counted["total"] += n
        counted[status] += n
        if aging:
            counted[f"aging_{aging}"] += n
        for window in DUE_WINDOWS:
            if due_within is not None and due_within <= window:
                counted[f"due_{window}"] += n
        counted["on_time"] += n if on_time else 0
        counted["concluded_undated"] += n if undated else 0
        counted["replanned"] += n if replanned else 0
    return counted


# How the areas may be sorted: its value in the address and what it says.
AREA_ORDERS = {
    "vencidas": _("más actividades vencidas primero"),
    "proporcion": _("mayor proporción vencida primero"),
    "nombre": _("nombre"),
}


def area_groups(activities: QuerySet[Activity], as_of: dt.date, *, fields=None) -> list[tuple]:
    """Per area (coordinating or responsible) its activities at the date by status, each
    activity once per area whatever its roles there: rows of the columns `fields` names, the
    area, the status and how many. One query."""
    fields = fields or {}
    table, params = status_table(activities, as_of, fields=fields, joined=True)
    roles = connections[activities.db].ops.quote_name(ActivityArea._meta.db_table)
    selected, grouped = _group_sql(fields)
    # Grouped per (area, activity), not COUNT DISTINCT, which sorts every group.
    sql = f"""
        SELECT {grouped}area_id, status, COUNT(*) FROM (
          SELECT {selected}r.area_id, t.row_id, MAX(t.{STATUS}) AS status
          FROM {table} t JOIN {roles} r ON r.activity_id = t.row_id
          GROUP BY {selected}r.area_id, t.row_id
        ) p
        GROUP BY {grouped}area_id, status"""
    return fetch_rows(activities.db, sql, params)


def areas_from(rows) -> dict[int, dict[str, int]]:
    """Per area its activities, concluded and overdue, from rows of `area_groups` without its
    group's columns."""
    counted: dict[int, dict[str, int]] = {}
    for area_id, status, n in rows:
        counts = counted.setdefault(area_id, {"total": 0, "concluded": 0, "overdue": 0})
        counts["total"] += n
        if status in (Status.CONCLUDED.value, Status.OVERDUE.value):
            counts[status] += n
    return counted


def area_rows(
    counted: dict[int, dict[str, int]], *, order="vencidas", late_only=False
) -> list[dict]:
    """Who is behind: per area its activities in scope, how many are concluded and overdue
    (`areas_from`); with `late_only`, only the areas with an overdue one. One query for their
    names; an institution's areas are a few hundred at most, sorted here."""
    if late_only:
        counted = {pk: counts for pk, counts in counted.items() if counts["overdue"]}
    names = Area.objects.filter(pk__in=list(counted)).values_list("pk", "name", "acronym")
    found = [
        {
            "area_roles__area_id": pk,
            "area_roles__area__name": name,
            "area_roles__area__acronym": acronym,
            **counted[pk],
            "light": light(counted[pk]["overdue"], counted[pk]["total"]),
        }
        for pk, name, acronym in (names if counted else [])
    ]
    by_name = sorted(found, key=lambda r: (r["area_roles__area__name"], r["area_roles__area_id"]))
    if order == "nombre":
        return by_name
    if order == "proporcion":
        return sorted(by_name, key=lambda r: -r["overdue"] / r["total"])
    return sorted(by_name, key=lambda r: -r["overdue"])


def change_groups(
    activities: QuerySet[Activity], as_of: dt.date, before: dt.date, *, fields=None
) -> list[tuple]:
    """How many activities moved from each status at `before` to another at `as_of`: rows of
    the columns `fields` names, the status before, the status after and how many."""
    fields = fields or {}
    table, params = statuses_at(activities, [before, as_of], fields=fields)
    selected, grouped = _group_sql(fields)
    # Each activity's two statuses side by side by grouping its spans, in one pass.
    sql = f"""
        SELECT {grouped}was, status, COUNT(*) FROM (
          SELECT {selected}MAX(status_0) AS was, MAX(status_1) AS status
          FROM {table} t GROUP BY {selected}row_id
        ) g
        WHERE was <> status GROUP BY {grouped}was, status"""
    return fetch_rows(activities.db, sql, params)


def transitions_from(rows) -> list[Transition]:
    """The changes of status from rows of `change_groups` without its group's columns."""
    counted: dict[tuple[str, str], int] = {}
    for was, now, n in rows:
        counted[was, now] = counted.get((was, now), 0) + n
    return [Transition(Status(was), Status(now), n) for (was, now), n in sorted(counted.items())]


# What a tally keeps (followup.models.CutTally) of each figure, under its column's name.
FIGURE_COLUMNS = {
    **{key: key for key in empty_counts()},
    **{f"aging_{a.key}": f"aging_{a.key.replace('-', '_').rstrip('+')}" for a in AGING},
    **{f"due_{n}": f"due_{n}" for n in DUE_WINDOWS},
    **{key: key for key in ("on_time", "concluded_undated", "replanned")},
}
ASPECT_COLUMNS = {"total": "aspects", **{s.value: f"aspects_{s.value}" for s in STATUS_ORDER}}
CHANGE_COLUMNS = {
    (was.value, now.value): f"{was.value}_to_{now.value}"
    for was in STATUS_ORDER
    for now in STATUS_ORDER
    if was != now
}
TALLIED = [*FIGURE_COLUMNS.values(), *ASPECT_COLUMNS.values(), *CHANGE_COLUMNS.values()]


def tallied_figures(figures: dict[str, int]) -> dict[str, int]:
    return {FIGURE_COLUMNS[key]: n for key, n in figures.items() if n}


def tallied_activities(counts: dict[str, int]) -> dict[str, int]:
    return {key: n for key, n in counts.items() if n}


def tallied_aspects(counts: dict[str, int]) -> dict[str, int]:
    return {ASPECT_COLUMNS[key]: n for key, n in counts.items() if n}


def tallied_changes(changes: list[Transition]) -> dict[str, int]:
    return {CHANGE_COLUMNS[c.before.value, c.after.value]: c.count for c in changes}


class _Live:
    """The figures counted over the reader's records themselves: at any day, for any scope."""

    def __init__(self, aspects: QuerySet[Aspect], activities: QuerySet[Activity], as_of):
        self.aspects, self.activities, self.as_of = aspects, activities, as_of

    def figures(self) -> dict[str, int]:
        return figures_from(figure_groups(self.activities, self.as_of))

    def aspects_by_status(self) -> dict[str, int]:
        return counts_from(aspect_groups(self.aspects, self.as_of))

    def areas(self) -> dict[int, dict[str, int]]:
        return areas_from(area_groups(self.activities, self.as_of))

    def trend(self, cuts: list[Cut]) -> list[dict[str, int]]:
        # Each cut counted at its own date, over what is in scope at the date asked.
        return activity_counts_at(self.activities, [c.date for c in cuts])

    def changes(self, before: Cut) -> list[Transition]:
        return transitions_from(change_groups(self.activities, self.as_of, before.date))

    def listed(self, filters: ListFilters) -> int | None:
        return None  # counted with the rows

    def size(self) -> int | None:
        return None  # not known before counting


class _Kept:
    """The same figures summed from the tallies kept per cut and program (stats/tallies.py):
    a row per program, or per group of its ASM when the scope names a cycle, a classification
    or a priority, whatever the size of the programs. At a cut's date, for a reader who
    reaches whole programs, over any scope but an area (the tallies are not kept for an
    area's reach); who is behind in a narrowed scope is counted live."""

    def __init__(
        self, programs: QuerySet[Program], scope: Scope, cut: Cut, live: Callable[[], _Live]
    ):
        tallies = CutTally.objects.filter(program__in=programs)
        tallies = tallies.filter(**scope.narrowing())
        self.narrowed = bool(scope.cycle or scope.classification or scope.priority)
        self.breadth = CutTally.Breadth.GROUP if self.narrowed else CutTally.Breadth.PROGRAM
        self.tallies, self.cut, self.live = tallies, cut, live
        self._sums: dict[str, int] | None = None

    def _by(self, rows: QuerySet[CutTally], key: str | None, columns) -> dict:
        """The sums of the columns over the rows, per value of the `key` column (or None):
        written as SQL around the rows' query, which the ORM's forty aggregates cost more
        to compile than the database to sum."""
        keyed = [key] if key else []
        try:
            sql, params = rows.order_by().values_list(*keyed, *columns).query.sql_with_params()
        except EmptyResultSet:  # a reach of no program
            return {} if key else {None: dict.fromkeys(columns, 0)}
        sums = ", ".join(f"SUM({column})" for column in columns)
        group = f"{key}, " if key else ""
        grouped = f"GROUP BY {key}" if key else ""
        found = fetch_rows(
            self.tallies.db, f"SELECT {group}{sums} FROM ({sql}) t {grouped}", params
        )
        counted = {}
        for row in found:
            values = row[1:] if key else row
            counted[row[0] if key else None] = {
                column: n or 0 for column, n in zip(columns, values, strict=True)
            }
        return counted

    def _summed(self) -> dict[str, int]:
        """Every count of the scope's rows at the cut (of no area): one query for the
        figures, the ASM and the changes."""
        if self._sums is None:
            rows = self.tallies.filter(cut=self.cut, breadth=self.breadth)
            self._sums = self._by(rows, None, TALLIED)[None]
        return self._sums

    def figures(self) -> dict[str, int]:
        sums = self._summed()
        return {key: sums[column] for key, column in FIGURE_COLUMNS.items()}

    def aspects_by_status(self) -> dict[str, int]:
        sums = self._summed()
        return {key: sums[column] for key, column in ASPECT_COLUMNS.items()}

    def areas(self) -> dict[int, dict[str, int]]:
        if self.narrowed:  # an area's activities are kept for the whole program only
            return self.live().areas()
        rows = self.tallies.filter(cut=self.cut, breadth=CutTally.Breadth.AREA)
        return self._by(rows, "area_id", ("total", "concluded", "overdue"))

    def trend(self, cuts: list[Cut]) -> list[dict[str, int]]:
        rows = self.tallies.filter(cut__in=cuts, breadth=self.breadth)
        by_cut = self._by(rows, "cut_id", list(empty_counts()))
        return [by_cut.get(cut.pk, empty_counts()) for cut in cuts]

    def changes(self, before: Cut) -> list[Transition]:
        sums = self._summed()
        return [
            Transition(Status(was), Status(now), sums[column])
            for (was, now), column in sorted(CHANGE_COLUMNS.items())
            if sums[column]
        ]

    def size(self) -> int | None:
        """How many activities are in scope."""
        return self.figures()["total"]

    def listed(self, filters: ListFilters) -> int | None:
        """How many activities the list's filters keep, where one count says it: an aging
        bucket holds only overdue activities and a due window only pending ones."""
        figures = self.figures()
        status, pending = filters.status, {Status.IN_PROGRESS.value, Status.NOT_STARTED.value}
        if filters.aging and filters.due_within:
            return 0
        if filters.aging:
            return figures[f"aging_{filters.aging}"] if status in ("", Status.OVERDUE) else 0
        if filters.due_within:
            if status in pending:
                return None  # the window's count is of both pending statuses: counted live
            return figures[f"due_{filters.due_within}"] if not status else 0
        return figures[status or "total"]


def _counting(
    user, scope: Scope, as_of: dt.date, cuts: list[Cut], records: tuple | None = None
) -> _Live | _Kept:
    """Kept tallies where they answer the same (a cut's date, whole programs, no area);
    else counting live (over the scoped `records`, when the caller has them)."""

    def live() -> _Live:
        return _Live(*(records or scoped_records(user, scope, as_of)), as_of)

    cut = next((c for c in cuts if c.date == as_of), None) if not scope.area else None
    programs = whole_program_reach(user) if cut else None
    return live() if programs is None else _Kept(programs, scope, cut, live)


def dashboard(
    user,
    scope: Scope,
    as_of: dt.date,
    *,
    cuts: list[Cut] | None = None,
    area_page=1,
    area_order="vencidas",
    late_only=False,
) -> Dashboard:
    """The dashboard at the date; `cuts`, every cut, when the caller has read them."""
    cuts = list(Cut.objects.all()) if cuts is None else cuts
    counting = _counting(user, scope, as_of, cuts)
    counted = counting.figures()
    cuts = sorted((c for c in cuts if c.date <= as_of), key=lambda c: c.date)[-TREND_CUTS:]
    previous = next((c for c in reversed(cuts) if c.date < as_of), None)
    areas = area_rows(counting.areas(), order=area_order, late_only=late_only)
    areas = Paginator(areas, AREA_PAGE_SIZE).get_page(area_page)
    return Dashboard(
        as_of=as_of,
        activities={k: counted[k] for k in ("total", *(s.value for s in STATUS_ORDER))},
        aspects=counting.aspects_by_status(),
        aging=[(a, counted[f"aging_{a.key}"]) for a in AGING],
        due_soon=[(n, counted[f"due_{n}"]) for n in DUE_WINDOWS],
        on_time=counted["on_time"],
        concluded_undated=counted["concluded_undated"],
        replanned=counted["replanned"],
        light=light(counted[Status.OVERDUE.value], counted["total"]),
        areas=areas,
        trend=[
            TrendPoint(cut, counts) for cut, counts in zip(cuts, counting.trend(cuts), strict=True)
        ],
        previous_cut=previous,
        transitions=counting.changes(previous) if previous else [],
    )


# How the list of activities may be sorted: its value in the address and what it says.
LIST_ORDERS = {
    "atraso": _("más días de retraso primero"),
    "atraso-menor": _("menos días de retraso primero"),
    "programa": _("programa, ciclo y número"),
}


@dataclass(frozen=True)
class ListFilters:
    """The list's own filters (?estado=&atraso=&vence=&orden=), checked."""

    status: str = ""
    aging: str = ""
    due_within: int | None = None
    order: str = "atraso"

    @classmethod
    def from_query(cls, query, *, status: str = "") -> ListFilters:
        asked = query.get("estado", status)
        aging = query.get("atraso", "")
        due = query.get("vence", "")
        order = query.get("orden", "")
        return cls(
            status=asked if asked in Status._value2member_map_ else "",
            aging=aging if aging in AGING_BY_KEY else "",
            due_within=int(due) if due.isdigit() and int(due) in DUE_WINDOWS else None,
            order=order if order in LIST_ORDERS else "atraso",
        )

    def as_query(self) -> dict[str, str]:
        values = {
            "estado": self.status,
            "atraso": self.aging,
            "vence": str(self.due_within or ""),
            "orden": "" if self.order == "atraso" else self.order,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class ListRow:
    activity: Activity
    status: Status
    due: PartialDate | None
    days_late: int
    light: Light


# How the list is sorted: in SQL over a status table with the program's columns, and the
# same for the ORM over the page's records. The earliest end is the most days late (no due
# date sorts as the latest).
_LATE_KEY = f"COALESCE({DUE_END}, '{UNTIL_ALWAYS.isoformat()}')"
_LIST_SQL_ORDERS = {
    "atraso": f"{_LATE_KEY} ASC, row_id",
    "atraso-menor": f"{_LATE_KEY} DESC, row_id",
    "programa": "program_name, mechanism_year, aspect_id, position, row_id",
}
_LATE = Coalesce(DUE_END, Value(UNTIL_ALWAYS))
_LIST_ORDERS = {
    "atraso": (_LATE.asc(), "pk"),
    "atraso-menor": (_LATE.desc(), "pk"),
    "programa": ("aspect__program__name", "aspect__cycle__mechanism_year", "aspect_id", "order"),
}


# The overdue of a scope this large, most days late first, are found by walking the kept
# spans in the order of their due date's end, at most WALK_SPANS of them, instead of reading
# every activity of the scope and sorting it; a walk that does not fill the page reads it
# whole. (Least days late first is not walked: the index's ties run the other way.)
WALK_FROM = 5000
WALK_SPANS = 20000


# What a listed row shows of its activity (dashboard_activities.html): the rest of the three
# records' columns, long texts among them, was most of what fetching a page of rows cost.
LISTED_COLUMNS = (
    "order", "text", "aspect__number", "aspect__program__key", "aspect__program__name",
    "aspect__cycle__mechanism_year",
)  # fmt: skip


class _ListedRows:
    """The rows of a status table, filtered and sorted by the database, as the paginator
    counts and slices them: a count, then one query per page for the records of its ids
    (with their status, percent and due date: a few subqueries for a page of rows).

    With `walk`, the overdue rows (the due dates' ends from `walk[0]`, None for any, to
    before `walk[1]`) of a large scope."""

    def __init__(
        self,
        activities: QuerySet[Activity],
        as_of: dt.date,
        where: list,
        order: str,
        counted: int | None = None,
        walk: tuple[dt.date | None, dt.date] | None = None,
    ):
        self.activities, self.walk = activities, walk
        # The program's columns only for the order that sorts by them: joined for every row
        # of the scope, they were most of what counting the rows cost.
        columns = (
            {
                "program_name": F("aspect__program__name"),
                "mechanism_year": F("aspect__cycle__mechanism_year"),
                "position": F("order"),
            }
            if order == "programa"
            else {}
        )
        table, params = status_table(activities, as_of, fields=columns)
        conditions = " AND ".join(c for c, _ in where) or "1 = 1"
        self.sql = f"FROM {table} t WHERE {conditions}"
        self.params = params + [p for _, ps in where for p in ps]
        self.order, self.as_of, self.db = order, as_of, activities.db
        self.counted = counted  # already known (from the tallies)

    def count(self) -> int:
        if self.counted is not None:
            return self.counted
        return fetch_rows(self.db, f"SELECT COUNT(*) {self.sql}", self.params)[0][0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[ListRow]:
        start, stop = window.start or 0, window.stop
        if stop <= start:  # an empty page (nothing counted): no query, as a queryset's
            return []
        ids = self._walked(start, stop) if self.walk else None
        if ids is None:
            # The page's ids on their own, as the walk gives them: the same queries either way.
            order = _LIST_SQL_ORDERS[self.order]
            sql = f"SELECT row_id {self.sql} ORDER BY {order} LIMIT %s OFFSET %s"
            ids = [pk for (pk,) in fetch_rows(self.db, sql, [*self.params, stop - start, start])]
        records = with_status(Activity.objects.using(self.db).filter(pk__in=ids), self.as_of)
        records = (
            records.select_related("aspect__program", "aspect__cycle")
            .only(*LISTED_COLUMNS)
            .order_by(*_LIST_ORDERS[self.order])
        )
        return [_row(activity, self.as_of) for activity in records]

    def _walked(self, start: int, stop: int) -> list[int] | None:
        """The page's ids from a walk over the spans by their due date's end, earliest
        first (the list's default order, `_LIST_SQL_ORDERS["atraso"]`), or None when the
        walk stopped before the page's end. One query, as reading the scope whole is."""
        since, before = self.walk
        facts = connections[self.db].ops.quote_name(ActivityFacts._meta.db_table)

        def ends(span: str) -> tuple[str, list]:
            condition = f"{span}.due_end < %s" + (f" AND {span}.due_end >= %s" if since else "")
            return condition, [day_key(before), *([day_key(since)] if since else [])]

        # How far the walk goes: the due date's end WALK_SPANS spans along it, else its end;
        # a row of its own, joined first, so the database walks the index up to it and no
        # further (compared with a subquery, it walked on).
        reach_ends, reach_params = ends("r")
        page_ends, page_params = ends("f")
        scope = self.activities.order_by().filter(pk=RawSQL("f.activity_id", ())).values("pk")
        scope_sql, scope_params = scope.query.sql_with_params()
        day = day_key(self.as_of)
        sql = f"""
            SELECT f.activity_id FROM (
              SELECT COALESCE(MAX(w.due_end), %s) AS bound FROM (
                SELECT r.due_end FROM {facts} r WHERE {reach_ends}
                ORDER BY r.due_end, r.activity_id LIMIT 1 OFFSET {WALK_SPANS}
              ) w
            ) b
            CROSS JOIN {facts} f
            WHERE f.due_end <= b.bound AND {page_ends}
              AND f.starts <= %s AND f.ends > %s AND (f.percent IS NULL OR f.percent < 100)
              AND EXISTS ({scope_sql})
            ORDER BY f.due_end, f.activity_id LIMIT %s OFFSET %s"""
        params = [
            day_key(UNTIL_ALWAYS), *reach_params, *page_params, day, day, *scope_params,
            stop - start, start,
        ]  # fmt: skip
        ids = [pk for (pk,) in fetch_rows(self.db, sql, params)]
        return ids if len(ids) == stop - start else None


def activity_list(
    user,
    scope: Scope,
    filters: ListFilters,
    as_of: dt.date,
    *,
    cuts: list[Cut] | None = None,
    page=1,
) -> tuple[Page, list[ListRow]]:
    """The activities behind a figure, filtered and sorted by the database, one page of them;
    `cuts`, every cut, when the caller has read them."""
    records = scoped_records(user, scope, as_of)
    _, activities = records
    cuts = list(Cut.objects.all()) if cuts is None else cuts
    counting = _counting(user, scope, as_of, cuts, records)
    large = (counting.size() or 0) >= WALK_FROM
    rows = listed_rows(activities, filters, as_of, counted=counting.listed(filters), walk=large)
    listed = Paginator(rows, LIST_PAGE_SIZE).get_page(page)
    return listed, list(listed.object_list)


def listed_rows(
    activities: QuerySet[Activity],
    filters: ListFilters,
    as_of: dt.date,
    *,
    counted=None,
    walk: bool = False,
) -> _ListedRows:
    """The activities the list's filters keep, as the paginator counts and slices them; with
    `walk`, the overdue by days late found by walking the spans (a large scope)."""
    where = []
    if filters.status:
        where.append((f"{STATUS} = %s", [filters.status]))
    if filters.aging:
        where.append(AGING_BY_KEY[filters.aging].sql(as_of))
    if filters.due_within:
        where.append(_due_within(as_of, filters.due_within))
    overdue_only = filters.aging or filters.status == Status.OVERDUE
    walked = None
    if walk and overdue_only and not filters.due_within and filters.order == "atraso":
        walked = AGING_BY_KEY[filters.aging].ends(as_of) if filters.aging else (None, as_of)
    return _ListedRows(activities, as_of, where, filters.order, counted, walked)


def _row(activity: Activity, as_of: dt.date) -> ListRow:
    # The effective due date's last day as the kept facts hold it, the day the list shows
    # and the rule counts the days late from.
    due_end = getattr(activity, DUE_END)
    due = PartialDate.of(due_end, Precision.DAY) if due_end else None
    status = Status(getattr(activity, STATUS))
    late = days_late(percent=getattr(activity, PERCENT), due=due, as_of=as_of)
    return ListRow(activity, status, due, late, light(int(status is Status.OVERDUE), 1))
