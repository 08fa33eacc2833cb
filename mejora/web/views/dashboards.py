"""Dashboards: the figures at a date over what the reader may see, and the records behind
each figure (the overdue list and its siblings)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mejora.accounts.access import programs_for_user
from mejora.followup.models import Area, Aspect, Classification, Cut, Cycle, Institution
from mejora.followup.status import STATUS_ORDER, Status
from mejora.stats.charts import line_chart
from mejora.stats.dashboard import (
    AGING,
    AREA_ORDERS,
    DUE_WINDOWS,
    LIGHT_RULE,
    LIST_ORDERS,
    ListFilters,
    Scope,
    activity_list,
    dashboard,
    default_as_of,
)


def _as_of(request: HttpRequest, cuts: list[Cut]) -> tuple[dt.date, Cut | None, str]:
    """The date asked for: a cut (?corte=<id>), a day (?al=AAAA-MM-DD), else the latest
    official cut. A day that is not one is said so, in Spanish, and the default is shown."""
    wanted = request.GET.get("corte", "")
    cut = next((c for c in cuts if str(c.pk) == wanted), None)
    if cut is not None:
        return cut.date, cut, ""
    day = request.GET.get("al", "").strip()
    if day:
        try:
            as_of = dt.date.fromisoformat(day)
        except ValueError:
            as_of = None
        if as_of is not None and dt.date(1990, 1, 1) <= as_of <= dt.date(2100, 12, 31):
            return as_of, next((c for c in cuts if c.date == as_of), None), ""
        error = _("«%(day)s» no es una fecha: escríbala como AAAA-MM-DD, p. ej. 2012-03-31.") % {
            "day": day[:40]
        }
    else:
        error = ""
    as_of = default_as_of()
    return as_of, next((c for c in cuts if c.date == as_of), None), error


def _context(request: HttpRequest, scope: Scope) -> dict:
    """What both pages show above their figures: the date, the scope and its choices."""
    cuts = list(Cut.objects.order_by("-date"))
    as_of, cut, error = _as_of(request, cuts)
    reach = programs_for_user(request.user)
    institutions = list(
        Institution.objects.filter(pk__in=reach.values("institution_id")).order_by("name")
    )
    # An institution's programs to choose from, not every program of the record: a page
    # whose weight does not grow with the number of programs.
    if scope.institution or len(institutions) == 1:
        programs = reach.filter(institution_id=scope.institution or institutions[0].pk)
    else:
        programs = reach.filter(pk=scope.program or None)
    date_query = {"corte": str(cut.pk)} if cut else {"al": as_of.isoformat()}
    return {
        "as_of": as_of,
        "chosen_cut": cut,
        "date_error": error,
        "cuts": cuts,
        "scope": scope,
        "programs": list(programs.select_related(None).only("key", "name").order_by("name")),
        "institutions": institutions,
        "cycles": list(Cycle.objects.all()),
        "classifications": list(Classification),
        "priorities": list(Aspect.Priority),
        "area": Area.objects.filter(pk=scope.area).first() if scope.area else None,
        "light_rule": LIGHT_RULE,
        # What the links to the records behind a figure carry: the date and the scope.
        "scope_params": {**date_query, **scope.as_query()},
        "scope_query": urlencode({**date_query, **scope.as_query()}),
    }


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    scope = Scope.from_query(request.GET)
    context = _context(request, scope)
    area_order = request.GET.get("orden_areas", "")
    area_order = area_order if area_order in AREA_ORDERS else "vencidas"
    late_only = request.GET.get("areas_vencidas") == "1"
    figures = dashboard(
        request.user,
        scope,
        context["as_of"],
        cuts=context["cuts"],
        area_page=request.GET.get("pagina", 1),
        area_order=area_order,
        late_only=late_only,
    )
    area_query = {"orden_areas": area_order, **({"areas_vencidas": "1"} if late_only else {})}
    trend = None
    if len(figures.trend) > 1:
        trend = line_chart(
            _("Actividades por estado en cada corte"),
            [point.cut.name for point in figures.trend],
            {s.label: [point.counts[s.value] for point in figures.trend] for s in STATUS_ORDER},
            x_label=_("Corte"),
            value_label=_("Actividades"),
        )
    context.update(
        figures=figures,
        statuses=STATUS_ORDER,
        aging=AGING,
        trend_chart=trend,
        area_orders=AREA_ORDERS,
        area_order=area_order,
        late_only=late_only,
        area_query=urlencode({**context["scope_params"], **area_query}),
        overdue=Status.OVERDUE,
    )
    return render(request, "web/dashboard.html", context)


@login_required
def dashboard_activities(request: HttpRequest, status: str = "") -> HttpResponse:
    """The activities behind a figure; at its own address, the overdue list."""
    scope = Scope.from_query(request.GET)
    context = _context(request, scope)
    filters = ListFilters.from_query(request.GET, status=status)
    page, rows = activity_list(
        request.user,
        scope,
        filters,
        context["as_of"],
        cuts=context["cuts"],
        page=request.GET.get("pagina", 1),
    )
    context.update(
        filters=filters,
        page=page,
        rows=rows,
        statuses=STATUS_ORDER,
        aging=AGING,
        orders=LIST_ORDERS,
        due_windows=DUE_WINDOWS,
        list_query=urlencode({**context["scope_params"], **filters.as_query()}),
    )
    return render(request, "web/dashboard_activities.html", context)


@login_required
def dashboard_overdue(request: HttpRequest) -> HttpResponse:
    return dashboard_activities(request, status=Status.OVERDUE.value)
