"""The programs and their annexes: the record at a date, on screen and as files."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from mejora.accounts.access import (
    activities_for_user,
    get_program_for_user,
    get_whole_program_for_user,
    programs_for_user,
    whole_programs_for_user,
)
from mejora.accounts.models import Action
from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.renderers import FILE_FORMATS, MEDIA_TYPES
from mejora.annex.renderers import render as render_annex
from mejora.annex.renderers.html import column_style, render_html
from mejora.followup.extract import annex_extract, find_cut, latest_cut
from mejora.followup.listing import ORDERS, ListingFilters, program_listing
from mejora.followup.models import Classification, Cut, Program
from mejora.followup.pending_work import unofficial_reports, unofficial_reports_editable
from mejora.followup.selectors import annex_activity_count, program_as_of_date
from mejora.followup.services.cuts import open_cut
from mejora.followup.services.printing import annex_file_name, annex_pdf_path
from mejora.followup.status import STATUS_ORDER
from mejora.tasks.jobs import job_forget
from mejora.tasks.work import annex_pdf_start
from mejora.web.views.jobs import job_page

# The findings of the latest import listed on the page; a file read with thousands of them
# says how many more there are (its review page and the reading's CSV hold them all).
FINDINGS_SHOWN = 50

# WeasyPrint lays out about three pages a second: a PDF of more activities than this is
# printed by a background task while the page shows its progress.
PDF_IN_REQUEST_ACTIVITIES = 200


@login_required
def home(request: HttpRequest) -> HttpResponse:
    programs = list(programs_for_user(request.user))
    if len(programs) == 1:
        return redirect("program-detail", pk=programs[0].pk)
    return render(request, "web/home.html", {"programs": programs})


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    cuts = list(Cut.objects.order_by("-date"))
    chosen = _chosen_cut(request, cuts)
    as_of = (chosen.date if chosen else None) or _as_of(request) or program_as_of_date(program)
    # Area staff see only their area's activities; everyone else the whole program.
    whole = whole_programs_for_user(request.user).filter(pk=program.pk).exists()
    visible = None if whole else activities_for_user(request.user)
    filters = ListingFilters.from_query(request.GET)
    listing = program_listing(
        program, as_of, filters, page=request.GET.get("pagina", 1), visible=visible
    )
    overview = listing.overview
    # Reports being captured or reviewed at the open cut, shown beside the official state.
    current = open_cut()
    rows = [row for block in overview.cycles for item in block.aspects for row in item.activities]
    unofficial = unofficial_reports(program, current, [row.activity.pk for row in rows])
    for row in rows:
        row.unofficial = unofficial.get(row.activity.pk)
    kinds = set(program.aspects.values_list("classification", flat=True).distinct())
    annexes = [annex for annex in FORMATS.values() if annex.classification in kinds]
    findings = overview.latest_import.findings if overview.latest_import else []
    context = {
        "overview": overview,
        "listing": listing,
        "filters": filters,
        # What the links between pages carry: the date asked for and the filters.
        "page_query": urlencode(
            {
                **{k: request.GET[k] for k in ("corte", "al") if request.GET.get(k)},
                **filters.as_query(),
            }
        ),
        "orders": ORDERS,
        "statuses": STATUS_ORDER,
        "classifications": [c for c in Classification if c.value in kinds],
        "findings": findings[:FINDINGS_SHOWN],
        "findings_left": max(0, len(findings) - FINDINGS_SHOWN),
        "annexes": annexes,
        "file_formats": FILE_FORMATS,
        "cuts": cuts,
        "chosen_cut": chosen or next((c for c in cuts if c.date == as_of), None),
        "open_cut": current,
        "may_submit": current is not None
        and unofficial_reports_editable(program, current)
        and programs_for_user(request.user, Action.CAPTURE).filter(pk=program.pk).exists(),
    }
    return render(request, "web/program_detail.html", context)


def _chosen_cut(request: HttpRequest, cuts: list[Cut]) -> Cut | None:
    """The cut picked in the selector (?corte=<id>), if it is one."""
    wanted = request.GET.get("corte", "")
    return next((c for c in cuts if str(c.pk) == wanted), None)


@login_required
def annex_page(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The annex on screen, from the same HTML rendering the PDF prints."""
    program = get_whole_program_for_user(request.user, pk)
    doc = _annex_document(request, program, kind)
    context = {
        "program": program,
        "annex": FORMATS[kind],
        "annex_html": mark_safe(render_html(doc, standalone=False)),  # escaped by render_html
        "column_style": column_style(FORMATS[kind]),
        "file_formats": FILE_FORMATS,
    }
    return render(request, "web/annex.html", context)


@login_required
def annex_download(request: HttpRequest, pk: int, kind: str, file_format: str) -> HttpResponse:
    program = get_whole_program_for_user(request.user, pk)
    if file_format not in FILE_FORMATS:
        raise Http404("No existe ese formato.")
    if kind not in FORMATS:
        raise Http404("No existe ese anexo.")
    cut = _annex_cut(request, program)
    if file_format == "pdf" and annex_activity_count(program, kind) > PDF_IN_REQUEST_ACTIVITIES:
        return _annex_pdf_in_background(request, program, kind, cut)
    doc = annex_extract(program, cut=cut, kind=kind)
    response = HttpResponse(render_annex(doc, file_format), content_type=MEDIA_TYPES[file_format])
    name = annex_file_name(program, kind, doc, file_format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _annex_pdf_in_background(
    request: HttpRequest, program: Program, kind: str, cut: Cut
) -> HttpResponse:
    """A long PDF is printed by a task; the page shows its progress, then hands the file over."""
    state = annex_pdf_start(program, kind, cut)
    if request.GET.get("progreso"):
        return JsonResponse(state.as_dict())
    if not state.finished:
        separator = "&" if request.GET else "?"
        progress_url = f"{request.get_full_path()}{separator}progreso=1"
        return job_page(request, progress_url, state, _("Imprimiendo el PDF del anexo"))
    if state.error:
        return render(request, "web/refused.html", {"message": state.error_text()}, status=422)
    try:
        pdf = default_storage.open(annex_pdf_path(state.key), "rb")
    except FileNotFoundError:  # swept from the storage since: print it again
        job_forget(state.key)
        return redirect(request.get_full_path())
    return FileResponse(pdf, as_attachment=True, filename=state.result["name"])


def _annex_document(request: HttpRequest, program: Program, kind: str) -> AnnexDocument:
    if kind not in FORMATS:
        raise Http404("No existe ese anexo.")
    return annex_extract(program, cut=_annex_cut(request, program), kind=kind)


def _annex_cut(request: HttpRequest, program: Program) -> Cut:
    """The cut the page asks for (?corte=), or the program's latest."""
    cut = find_cut(request.GET["corte"]) if request.GET.get("corte") else latest_cut(program)
    if cut is None:
        raise Http404("El programa no tiene ese corte.")
    return cut


def _as_of(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("al", ""))
    except ValueError:
        return None
