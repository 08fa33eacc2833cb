"""The oversight balance of a cycle: on the page with its charts, and as PDF and XLSX."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mejora.accounts.access import aspects_for_user
from mejora.annex.renderers import MEDIA_TYPES
from mejora.followup.models import Cycle
from mejora.stats.balance import CycleBalance, cycle_balance
from mejora.stats.balance_printing import BALANCE_RENDERERS, balance_print_path
from mejora.stats.balance_report import balance_report
from mejora.tasks.balance import balance_print_start
from mejora.tasks.jobs import job_forget
from mejora.web.forms_balance import BalanceForm
from mejora.web.views.jobs import job_page

# The compliance of every program is in the PDF and the XLSX; the page shows it a page at a
# time, so its weight stays the same whatever the number of programs.
PROGRAMS_PER_PAGE = 50


def _balance(request: HttpRequest) -> tuple[BalanceForm, Cycle | None, CycleBalance | None]:
    """The form read from the query and, when it is valid and a cycle is in reach, the balance
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
    return form, cycle, cycle_balance(aspects, cycle=cycle, as_of=as_of)


@login_required
def balance_page(request: HttpRequest) -> HttpResponse:
    form, cycle, result = _balance(request)
    report = balance_report(result) if result is not None else None
    query = ""
    if cycle is not None and report is not None:
        query = urlencode({"cycle": cycle.pk, "as_of": report.balance.as_of.isoformat()})
    status = 400 if form.errors else 200
    context = {"form": form, "report": report, "query": query}
    if report is not None:
        programs = Paginator(report.programs.rows, PROGRAMS_PER_PAGE)
        context["program_page"] = page = programs.get_page(request.GET.get("pagina"))
        context["program_rows"] = report.programs.displayed(page.object_list)
    return render(request, "web/balance.html", context, status=status)


@login_required
def balance_download(request: HttpRequest, file_format: str) -> HttpResponse:
    """The file is printed by a task over the reader's reach; the page shows its progress,
    then hands the file over (the same figures asked again are handed over at once)."""
    if file_format not in BALANCE_RENDERERS:
        raise Http404
    # The figures are cheap; drawing the charts and printing them is the worker's.
    form, cycle, result = _balance(request)
    if cycle is None or result is None:
        return render(request, "web/balance.html", {"form": form, "report": None}, status=400)
    state = balance_print_start(request.user, cycle=cycle, result=result, file_format=file_format)
    if request.GET.get("progreso"):
        return JsonResponse(state.as_dict())
    if not state.finished:
        separator = "&" if request.GET else "?"
        progress_url = f"{request.get_full_path()}{separator}progreso=1"
        title = _("Preparando el balance (%(format)s)") % {"format": file_format.upper()}
        return job_page(request, progress_url, state, title)
    if state.error:
        return render(request, "web/refused.html", {"message": state.error_text()}, status=422)
    try:
        printed = default_storage.open(balance_print_path(state.key, file_format), "rb")
    except FileNotFoundError:  # swept from the storage since: print it again
        job_forget(state.key)
        return redirect(request.get_full_path())
    return FileResponse(
        printed,
        as_attachment=True,
        filename=state.result["name"],
        content_type=MEDIA_TYPES[file_format],
    )
