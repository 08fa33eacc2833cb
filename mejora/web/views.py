"""Pages. Each view fetches through an access helper, calls a selector, and renders."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from mejora.accounts.access import get_program_for_user, programs_for_user
from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.renderers import FILE_FORMATS, MEDIA_TYPES
from mejora.annex.renderers import render as render_annex
from mejora.annex.renderers.html import column_style, render_html
from mejora.followup.extract import annex_extract, find_cut, latest_cut
from mejora.followup.models import Program
from mejora.followup.selectors import program_as_of_date, program_overview

# WeasyPrint lays out about three pages a second and holds them all in memory: a larger
# annex is issued from the command line, not inside a web request.
PDF_MAX_ACTIVITIES = 2000


@login_required
def home(request: HttpRequest) -> HttpResponse:
    programs = list(programs_for_user(request.user))
    if len(programs) == 1:
        return redirect("program-detail", pk=programs[0].pk)
    return render(request, "web/home.html", {"programs": programs})


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    as_of = _as_of(request) or program_as_of_date(program)
    overview = program_overview(program, as_of)
    kinds = program.aspects.values_list("classification", flat=True).distinct()
    annexes = [annex for annex in FORMATS.values() if annex.classification in set(kinds)]
    context = {"overview": overview, "annexes": annexes, "file_formats": FILE_FORMATS}
    return render(request, "web/program_detail.html", context)


@login_required
def annex_page(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The annex on screen, from the same HTML rendering the PDF prints."""
    program = get_program_for_user(request.user, pk)
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
    program = get_program_for_user(request.user, pk)
    if file_format not in FILE_FORMATS:
        raise Http404("No existe ese formato.")
    doc = _annex_document(request, program, kind)
    if file_format == "pdf" and doc.activity_count() > PDF_MAX_ACTIVITIES:
        message = (
            f"El PDF de un anexo de {doc.activity_count():,} actividades tarda demasiado para "
            "generarse en la página. Descargue el XLSX o el DOCX, o pida el PDF a quien "
            "administra el sistema (mejora report)."
        )
        return render(request, "web/refused.html", {"message": message}, status=422)
    data = render_annex(doc, file_format)
    response = HttpResponse(data, content_type=MEDIA_TYPES[file_format])
    name = slugify(f"{FORMATS[kind].annex_line.split('.')[0]} {program.name} {doc.prepared.text}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def _annex_document(request: HttpRequest, program: Program, kind: str) -> AnnexDocument:
    if kind not in FORMATS:
        raise Http404("No existe ese anexo.")
    cut = find_cut(request.GET["corte"]) if request.GET.get("corte") else latest_cut(program)
    if cut is None:
        raise Http404("El programa no tiene ese corte.")
    return annex_extract(program, cut=cut, kind=kind)


def _as_of(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("al", ""))
    except ValueError:
        return None
