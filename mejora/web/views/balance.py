"""The oversight balance of a cycle: on the page with its charts, and as PDF and XLSX."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mejora.accounts.access import aspects_for_user
from mejora.annex.renderers import MEDIA_TYPES
from mejora.followup.models import Cycle
from mejora.stats.balance import cycle_balance
from mejora.stats.balance_report import (
    BalanceReport,
    balance_report,
    render_balance_pdf,
    render_balance_xlsx,
)
from mejora.web.forms_balance import BalanceForm

_RENDERERS = {"pdf": render_balance_pdf, "xlsx": render_balance_xlsx}


def _report(request: HttpRequest) -> tuple[BalanceForm, Cycle | None, BalanceReport | None]:
    """The form read from the query and, when it is valid and a cycle is in reach, the report
    (of the latest cycle in reach, today, for what the query leaves out)."""
    aspects = aspects_for_user(request.user)
    form = BalanceForm(request.GET or None, aspects=aspects)
    if form.is_bound and not form.is_valid():
        return form, None, None
    data = form.cleaned_data if form.is_bound else {}
    cycle = data.get("cycle") or form.fields["cycle"].queryset.first()
    if cycle is None:
        return form, None, None
    as_of = data.get("as_of") or timezone.localdate()
    if not form.is_bound:
        form = BalanceForm(initial={"cycle": cycle, "as_of": as_of}, aspects=aspects)
    return form, cycle, balance_report(cycle_balance(aspects, cycle=cycle, as_of=as_of))


@login_required
def balance_page(request: HttpRequest) -> HttpResponse:
    form, cycle, report = _report(request)
    query = ""
    if cycle is not None and report is not None:
        query = urlencode({"cycle": cycle.pk, "as_of": report.balance.as_of.isoformat()})
    status = 400 if form.errors else 200
    context = {"form": form, "report": report, "query": query}
    return render(request, "web/balance.html", context, status=status)


@login_required
def balance_download(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format not in _RENDERERS:
        raise Http404
    form, cycle, report = _report(request)
    if cycle is None or report is None:
        return render(request, "web/balance.html", {"form": form, "report": None}, status=400)
    data = _RENDERERS[file_format](report)
    response = HttpResponse(data, content_type=MEDIA_TYPES[file_format])
    name = f"balance-{cycle.mechanism_year}-{report.balance.as_of.isoformat()}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
