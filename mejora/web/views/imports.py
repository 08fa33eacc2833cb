"""Importing a legacy annex from the page: upload, read, review every finding, import.

A filing (an oficio and several instruments in one file) takes the same steps: its review
page shows the oficio and each instrument in its own section, and it is imported whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mejora.accounts.access import (
    may_import_into,
    user_can_import,
)
from mejora.annex.corrections import ReviewIncomplete, correction_input, current_value
from mejora.annex.document import AnnexDocument, AnnexRejected, Finding, Section
from mejora.annex.messages import Text
from mejora.annex.parsers import format_of
from mejora.annex.parsers.bundle import FiledPart
from mejora.annex.parsers.scan import cell_image, scan_place
from mejora.annex.position import ACCEPTANCE_LABELS, PositionDocument
from mejora.annex.renderers import MEDIA_TYPES
from mejora.annex.renderers import render as render_annex
from mejora.followup.selectors import (
    area_names_for,
)
from mejora.followup.services.filings import filing_oficio_findings
from mejora.followup.services.pending import (
    is_pending_token,
    pending_load,
    pending_owner,
    pending_save,
)
from mejora.followup.services.review import (
    FilingReading,
    PartPreview,
    annex_review_check,
    filing_review_check,
    is_filing_upload,
    review_reading,
)
from mejora.tasks.work import (
    ReviewJobs,
    review_forget,
    review_import_start,
    review_jobs,
    review_read_start,
)
from mejora.web.forms import AnnexUploadForm, ImportReviewForm
from mejora.web.views.jobs import job_page
from mejora.web.views.positions import position_upload

# The review page shows this many activities cell by cell; the whole reading is a CSV download.
REVIEW_TABLE_ACTIVITIES = 300


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step one of an import: the file is kept and read in the background; nothing is written."""
    if not user_can_import(request.user):
        raise PermissionDenied(_("Su papel no permite importar anexos."))
    form = AnnexUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        # An Anexo F (posición institucional) goes to its evaluation, not to the ASM review;
        # a filing, even one bringing an Anexo F, to the review of all its instruments.
        filing = is_filing_upload(data, _format_or_blank(upload.name))
        if not filing and (answer := position_upload(request, data, upload.name)) is not None:
            return answer
        token = pending_save(data=data, file_name=upload.name, owner_id=request.user.pk)
        return redirect("import-review", token=token)
    return render(request, "web/import_upload.html", {"form": form})


@login_required
def import_review(request: HttpRequest, token: str) -> HttpResponse:
    """Step two: what was read, cell by cell, and every finding, each to confirm or correct;
    the import is written only when every finding is decided, all in the person's name.

    Reading and importing run as tasks on the queue; until one ends the page shows its
    progress."""
    _own_upload(request, token)
    upload = pending_load(token)
    if upload is None:
        raise Http404("Ese archivo ya no está pendiente de revisión.")
    jobs = review_jobs(token)
    progress_url = reverse("import-progress", args=[token])
    if jobs.import_running:
        return job_page(request, progress_url, jobs.importing, _("Importando el anexo"))
    if jobs.imported_program is not None:
        review_forget(token)
        return redirect("program-detail", pk=jobs.imported_program)
    reading_job = review_read_start(token, actor=request.user)
    if not reading_job.finished:
        return job_page(request, progress_url, reading_job, _("Leyendo el anexo"))
    reading = review_reading(token)
    if reading_job.error or reading is None:
        message = reading_job.error_text() or _("La lectura se perdió; suba el archivo otra vez.")
        context = {"message": message, "again": True}
        return render(request, "web/refused.html", context, status=422)
    if isinstance(reading, FilingReading):
        return _filing_review(request, token, reading, jobs)
    document = reading.document
    if not may_import_into(request.user, document.institution, document.program):
        raise PermissionDenied(_("No tiene acceso al programa de este anexo."))
    decided = _decide(
        request,
        token,
        jobs,
        len(document.findings),
        lambda corrections, confirmed: annex_review_check(
            document=document, corrections=corrections, confirmed=confirmed
        ),
    )
    if decided.import_started:
        return redirect("import-review", token=token)
    context = {
        "doc": document,
        "preview": reading,
        "form": decided.form,
        "notices": decided.notices,
        "stamp": reading.stamp,
        "findings": _review_rows(
            document, decided.corrections, decided.confirmed, decided.problems
        ),
        "sections": _review_sections(document),
        "sections_limit": REVIEW_TABLE_ACTIVITIES,
        "token": token,
        "areas": area_names_for(document.institution),
    }
    return render(request, "web/import_review.html", context, status=decided.status)


@dataclass
class _Decisions:
    """What the person sent on a review page and what the page says back: the findings left
    undecided, or why the last import wrote nothing; whether the import was started."""

    form: ImportReviewForm
    corrections: dict[int, str] = field(default_factory=dict)
    confirmed: set[int] = field(default_factory=set)
    problems: dict[int, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    status: int = 200
    import_started: bool = False


def _decide(
    request: HttpRequest,
    token: str,
    jobs: ReviewJobs,
    finding_count: int,
    check: Callable[[dict[int, str], set[int]], object],
) -> _Decisions:
    """Read the person's decisions (an annex's or a filing's, told apart by `check`) and start
    the import when every finding is decided."""
    decided = _Decisions(ImportReviewForm(request.POST or None))
    if request.method == "POST" and decided.form.is_valid():
        decided.corrections, decided.confirmed = decided.form.decisions(finding_count)
        try:
            check(decided.corrections, decided.confirmed)
        except ReviewIncomplete as incomplete:
            decided.problems = {
                i: problem.translated(_) for i, problem in incomplete.problems.items()
            }
            decided.status = 422
            decided.notices.append(incomplete.message.translated(_))
        else:
            review_import_start(
                token,
                actor=request.user,
                corrections=decided.corrections,
                confirmed=decided.confirmed,
                stamp=decided.form.cleaned_data["stamp"],
            )
            decided.import_started = True
    elif (failed := jobs.import_failed) is not None:
        decided.status = _failed_import(failed, decided.notices)
    return decided


def _failed_import(failed, notices: list[str]) -> int:
    """Say why the last import wrote nothing; the page's status for it."""
    # The outdated notice is a catalogue entry, written by the worker in Spanish.
    notices.append(failed.error_text() or _(failed.result["outdated"]))
    # An import interrupted for good is no fault of the file: confirm it again.
    return 409 if "outdated" in failed.result else 200 if failed.result.get("interrupted") else 422


def _filing_review(
    request: HttpRequest, token: str, reading: FilingReading, jobs: ReviewJobs
) -> HttpResponse:
    """The review of a filing: the oficio, then each instrument with its own findings, all
    decided on one page and imported together."""
    filing = reading.filing
    for document in reading.annexes:
        if not may_import_into(request.user, document.institution, document.program):
            raise PermissionDenied(_("No tiene acceso al programa de este expediente."))
    decided = _decide(
        request,
        token,
        jobs,
        len(filing.findings),
        lambda corrections, confirmed: filing_review_check(
            filing=filing, corrections=corrections, confirmed=confirmed
        ),
    )
    if decided.import_started:
        return redirect("import-review", token=token)
    oficio = filing_oficio_findings(filing)
    instruments = []
    offset = len(oficio)
    for number, (part, preview) in enumerate(zip(filing.parts, reading.previews, strict=True)):
        instruments.append(_instrument(number, part, preview, offset, decided))
        offset += len(part.findings)
    annexes = reading.annexes
    context = {
        "filing": filing,
        "preview": reading,
        "oficio_findings": _finding_rows(oficio, None, 0, decided),
        "instruments": instruments,
        "form": decided.form,
        "notices": decided.notices,
        "stamp": reading.stamp,
        "has_findings": bool(filing.findings),
        "sections_limit": REVIEW_TABLE_ACTIVITIES,
        "token": token,
        "areas": area_names_for(annexes[0].institution) if annexes else [],
    }
    return render(request, "web/import_review_filing.html", context, status=decided.status)


def _instrument(
    number: int, part: FiledPart, preview: PartPreview, offset: int, decided: _Decisions
) -> dict:
    """One instrument of a filing as its section of the review page shows it."""
    document = part.document
    annex = document if isinstance(document, AnnexDocument) else None
    return {
        "number": number,
        "name": part.instrument,
        "pages": part.pages.message.translated(_) if isinstance(part.pages, Text) else part.pages,
        "document": document,
        "annex": annex,
        "kind": annex.annex if annex else "",
        "position": document if isinstance(document, PositionDocument) else None,
        "recommendations": [
            (entry.text, ACCEPTANCE_LABELS[entry.accepted])
            for entry in getattr(document, "recommendations", ())
        ],
        "preview": preview,
        "findings": _finding_rows(part.findings, annex, offset, decided),
        "sections": _review_sections(annex) if annex else [],
    }


def _finding_rows(
    findings: tuple[Finding, ...], document: AnnexDocument | None, offset: int, decided: _Decisions
) -> list[dict]:
    """A filing's findings numbered from `offset`, each with what the person decided on it."""
    return [
        {
            "index": offset + n,
            "finding": finding,
            "input": correction_input(finding) if document else None,
            "chosen": current_value(document, finding.cell) if document and finding.cell else "",
            "typed": decided.corrections.get(offset + n, ""),
            "confirmed": offset + n in decided.confirmed,
            "problem": decided.problems.get(offset + n, ""),
            "scanned": False,  # a filing is a PDF, a Word document or a text, never a scan
        }
        for n, finding in enumerate(findings)
    ]


@login_required
def import_progress(request: HttpRequest, token: str) -> JsonResponse:
    """How far the reading or the import of an upload has come, for the page's bar."""
    _own_upload(request, token)
    state = review_jobs(token).shown()
    if state is None:
        raise Http404("No hay trabajo en curso para ese archivo.")
    return JsonResponse(state.as_dict())


@login_required
def import_reading(request: HttpRequest, token: str) -> HttpResponse:
    """The whole reading as CSV: every cell as written beside the value read from it."""
    _own_upload(request, token)
    reading = review_reading(token)
    if reading is None:
        raise Http404("Esa lectura ya no existe.")
    name = f"lectura-{token[:12]}"
    if isinstance(reading, FilingReading):
        # A filing's table annexes are read one at a time: ?parte=N, as its page links them.
        part = request.GET.get("parte", "")
        parts = reading.filing.parts
        if not (part.isascii() and part.isdecimal() and int(part) < len(parts)):
            raise Http404("Esa parte del expediente no existe.")
        document = parts[int(part)].document
        if not isinstance(document, AnnexDocument):
            raise Http404("Esa parte del expediente no es un anexo de tabla.")
        name = f"{name}-parte-{int(part) + 1}"
    else:
        document = reading.document
    if not may_import_into(request.user, document.institution, document.program):
        raise PermissionDenied(_("No tiene acceso al programa de este anexo."))
    response = HttpResponse(render_annex(document, "csv"), content_type=MEDIA_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@login_required
def import_cell_image(request: HttpRequest, token: str, index: int) -> HttpResponse:
    """The image of the scanned cell a finding is about, shown beside its reading so the
    person compares what the OCR read with what the paper says."""
    _own_upload(request, token)
    reading = review_reading(token)
    upload = pending_load(token)
    if reading is None or upload is None:
        raise Http404("Esa lectura ya no existe.")
    if isinstance(reading, FilingReading):
        raise Http404("Un expediente no es un escaneo.")
    document = reading.document
    if not may_import_into(request.user, document.institution, document.program):
        raise PermissionDenied(_("No tiene acceso al programa de este anexo."))
    findings = document.findings
    place = scan_place(findings[index].where) if index < len(findings) else None
    if place is None:
        raise Http404("Ese hallazgo no es de una celda escaneada.")
    try:
        image = cell_image(upload.data, image=format_of(upload.file_name) == "image", place=place)
    except AnnexRejected:
        raise Http404("La celda no está en el archivo escaneado.") from None
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _format_or_blank(file_name: str) -> str:
    try:
        return format_of(file_name)
    except AnnexRejected:
        return ""  # the reading says why


def _own_upload(request: HttpRequest, token: str) -> None:
    """Only a person who may import, and only their own upload (404 for anyone else's)."""
    if not user_can_import(request.user):
        raise PermissionDenied(_("Su papel no permite importar anexos."))
    if not is_pending_token(token) or pending_owner(token) != request.user.pk:
        raise Http404("Ese archivo ya no está pendiente de revisión.")


def _review_sections(document: AnnexDocument) -> list[Section]:
    """The cycles with their first REVIEW_TABLE_ACTIVITIES activities, for the on-screen table."""
    shown: list[Section] = []
    room = REVIEW_TABLE_ACTIVITIES
    for section in document.sections:
        aspects = []
        for aspect in section.aspects:
            if room <= 0:
                break
            aspects.append(replace(aspect, activities=aspect.activities[:room]))
            room -= len(aspect.activities)
        if aspects:
            shown.append(replace(section, aspects=tuple(aspects)))
    return shown


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
            "scanned": scan_place(finding.where) is not None,
        }
        for index, finding in enumerate(document.findings)
    ]
