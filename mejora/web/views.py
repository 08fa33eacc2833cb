"""Pages. Each view fetches through an access helper, calls a selector, and renders."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from mejora.accounts.access import (
    get_program_for_user,
    may_import_into,
    programs_for_user,
    user_can_import,
)
from mejora.annex.corrections import ReviewIncomplete, correction_input, current_value
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import FORMATS
from mejora.annex.parsers import format_of
from mejora.annex.renderers import FILE_FORMATS, MEDIA_TYPES
from mejora.annex.renderers import render as render_annex
from mejora.annex.renderers.html import column_style, render_html
from mejora.followup.extract import annex_extract, find_cut, latest_cut
from mejora.followup.models import Program
from mejora.followup.selectors import (
    area_names_for,
    program_as_of_date,
    program_overview,
    program_record_stamp,
)
from mejora.followup.services.imports import annex_import, annex_read
from mejora.followup.services.pending import pending_discard, pending_load, pending_save
from mejora.followup.services.review import (
    ReviewOutdated,
    annex_import_reviewed,
    reviewed_program,
)
from mejora.web.forms import AnnexUploadForm, ImportReviewForm

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


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step one of an import: the file is read, nothing is written, the person reviews it."""
    if not user_can_import(request.user):
        raise PermissionDenied("Su papel no permite importar anexos.")
    form = AnnexUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            annex_read(data, file_format=format_of(upload.name))
        except AnnexRejected as rejection:
            form.add_error("file", str(rejection))
        else:
            token = pending_save(data=data, file_name=upload.name)
            return redirect("import-review", token=token)
    return render(request, "web/import_upload.html", {"form": form})


@login_required
def import_review(request: HttpRequest, token: str) -> HttpResponse:
    """Step two: what was read, cell by cell, and every finding, each to confirm or correct;
    the import is written only when every finding is decided, all in the person's name."""
    if not user_can_import(request.user):
        raise PermissionDenied("Su papel no permite importar anexos.")
    pending = pending_load(token)
    if pending is None:
        raise Http404("Ese archivo ya no está pendiente de revisión.")
    data, file_name = pending
    try:
        document = annex_read(data, file_format=format_of(file_name))
    except AnnexRejected as rejection:  # e.g. the catalogue changed since the upload
        return render(request, "web/refused.html", {"message": str(rejection)}, status=422)
    if not may_import_into(request.user, document.institution, document.program):
        raise PermissionDenied("No tiene acceso al programa de este anexo.")
    options = {"document": document, "file_name": file_name, "sha256": token}
    options |= {"file_format": format_of(file_name), "actor": request.user}
    form = ImportReviewForm(request.POST or None)
    corrections: dict[int, str] = {}
    confirmed: set[int] = set()
    problems: dict[int, str] = {}
    status = 200
    if request.method == "POST" and form.is_valid():
        corrections, confirmed = form.decisions(len(document.findings))
        try:
            summary = annex_import_reviewed(
                **options,
                corrections=corrections,
                confirmed=confirmed,
                stamp=form.cleaned_data["stamp"],
                source=f"importación de {file_name} (página web)",
            )
        except ReviewIncomplete as incomplete:
            problems, status = incomplete.problems, 422
            form.add_error(None, str(incomplete))
        except ReviewOutdated as outdated:
            # What was confirmed was confirmed against another record: confirm again.
            confirmed, status = set(), 409
            form.add_error(None, str(outdated))
        except AnnexRejected as rejection:  # a rule of the record the file breaks
            form.add_error(None, str(rejection))
            status = 422
        else:
            pending_discard(token)
            return redirect("program-detail", pk=summary.program.pk)
    stamp = program_record_stamp(reviewed_program(document))
    preview = annex_import(**options, dry_run=True)
    context = {
        "doc": document,
        "preview": preview,
        "form": form,
        "stamp": stamp,
        "findings": _review_rows(document, corrections, confirmed, problems),
        "areas": area_names_for(document.institution),
    }
    return render(request, "web/import_review.html", context, status=status)


def _review_rows(
    document: AnnexDocument,
    corrections: dict[int, str],
    confirmed: set[int],
    problems: dict[int, str],
) -> list[dict]:
    """Each finding with its chosen reading and what the person already decided on it."""
    return [
        {
            "index": index,
            "finding": finding,
            "input": correction_input(finding),
            "chosen": current_value(document, finding.cell) if finding.cell else "",
            "typed": corrections.get(index, ""),
            "confirmed": index in confirmed,
            "problem": problems.get(index, ""),
        }
        for index, finding in enumerate(document.findings)
    ]


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
