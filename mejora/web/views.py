"""Pages. Each view fetches through an access helper, calls a selector, and renders."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify

from mejora.accounts.access import get_program_for_user, programs_for_user
from mejora.annex.formats import FORMATS
from mejora.annex.renderers import FILE_FORMATS, MEDIA_TYPES
from mejora.annex.renderers import render as render_annex
from mejora.followup.extract import annex_extract, find_cut, latest_cut
from mejora.followup.selectors import program_as_of_date, program_overview


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
def annex_download(request: HttpRequest, pk: int, kind: str, file_format: str) -> HttpResponse:
    program = get_program_for_user(request.user, pk)
    if kind not in FORMATS or file_format not in FILE_FORMATS:
        raise Http404("No existe ese anexo o ese formato.")
    cut = find_cut(request.GET["corte"]) if request.GET.get("corte") else latest_cut(program)
    if cut is None:
        raise Http404("El programa no tiene ese corte.")
    data = render_annex(annex_extract(program, cut=cut, kind=kind), file_format)
    response = HttpResponse(data, content_type=MEDIA_TYPES[file_format])
    name = slugify(f"{FORMATS[kind].annex_line.split('.')[0]} {program.name} {cut.name}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def _as_of(request: HttpRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("al", ""))
    except ValueError:
        return None
