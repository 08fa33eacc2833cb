"""The institutional position (Anexo F) of an evaluation, beside its commitments."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mejora.accounts.access import (
    get_program_for_user,
    get_whole_program_for_user,
    import_scope_for,
    programs_for_user,
)
from mejora.accounts.models import Action
from mejora.annex.document import AnnexRejected
from mejora.annex.parsers import format_of
from mejora.annex.parsers.position import is_position_file, parse_position
from mejora.annex.renderers import MEDIA_TYPES
from mejora.annex.renderers.position import POSITION_FILE_FORMATS, render_position
from mejora.followup.models import Evaluation, Recommendation
from mejora.followup.services.imports import file_sha256
from mejora.followup.services.positions import (
    position_document,
    position_import,
    position_update,
    recommendation_update,
)
from mejora.web.forms_commitments import RecommendationForm
from mejora.web.forms_positions import PositionForm, position_initial
from mejora.web.views.commitments import _edited, _saved


def _evaluations(user) -> QuerySet[Evaluation]:
    """The evaluations of the programs the person reaches: any other is not there (404)."""
    return Evaluation.objects.filter(program__in=programs_for_user(user)).select_related(
        "program__institution", "cycle"
    )


def _may_edit(user, evaluation: Evaluation) -> bool:
    return programs_for_user(user, Action.REGISTER).filter(pk=evaluation.program_id).exists()


@login_required
def position_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The position as the Anexo F issues it, its counts computed from the record."""
    evaluation = get_object_or_404(_evaluations(request.user), pk=pk)
    get_whole_program_for_user(request.user, evaluation.program_id)
    recommendations = list(evaluation.recommendations.all())
    context = {
        "evaluation": evaluation,
        "program": evaluation.program,
        "doc": position_document(evaluation, recommendations),
        "recommendations": recommendations,
        "can_edit": _may_edit(request.user, evaluation),
        "file_formats": POSITION_FILE_FORMATS,
    }
    return render(request, "web/position_detail.html", context)


@login_required
def position_edit(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = get_object_or_404(_evaluations(request.user), pk=pk)
    get_program_for_user(request.user, evaluation.program_id, Action.REGISTER)
    form = PositionForm(request.POST or None, initial=position_initial(evaluation))
    stale = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            position_update(
                evaluation=evaluation,
                general=data["general"],
                specific=data["specific"],
                sources=data["sources"],
                units=data["units"],
                signatories=form.signatories(),
                seen_version=data["seen_version"],
                actor=request.user,
            )

        def remake(sent) -> PositionForm:
            return PositionForm(sent, initial=position_initial(evaluation))

        saved, form, stale = _edited(request, form, save, remake)
        if saved:
            return redirect("position-detail", pk=evaluation.pk)
    context = {
        "evaluation": evaluation,
        "program": evaluation.program,
        "form": form,
        "stale": stale,
        "title": _("Posición institucional de «%(evaluation)s»") % {"evaluation": evaluation},
    }
    return render(request, "web/position_form.html", context)


@login_required
def recommendation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    readable = Recommendation.objects.filter(evaluation__in=_evaluations(request.user))
    recommendation = get_object_or_404(readable.select_related("evaluation__program"), pk=pk)
    evaluation = recommendation.evaluation
    get_program_for_user(request.user, evaluation.program_id, Action.REGISTER)
    initial = {
        "text": recommendation.text,
        "position": recommendation.position,
        "reason": recommendation.reason,
    }
    form = RecommendationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            recommendation_update(
                recommendation=recommendation,
                text=data["text"],
                position=data["position"],
                reason=data["reason"],
                actor=request.user,
            )

        if _saved(form, save):
            return redirect("position-detail", pk=evaluation.pk)
    context = {
        "evaluation": evaluation,
        "program": evaluation.program,
        "form": form,
        "stale": None,
        "title": _("Posición sobre una recomendación de «%(evaluation)s»")
        % {"evaluation": evaluation},
    }
    return render(request, "web/position_form.html", context)


@login_required
def position_download(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The Anexo F as a file: Word or PDF, or its tables as Excel or CSV, or text."""
    if file_format not in POSITION_FILE_FORMATS:
        raise Http404
    evaluation = get_object_or_404(_evaluations(request.user), pk=pk)
    get_whole_program_for_user(request.user, evaluation.program_id)
    data = render_position(position_document(evaluation), file_format)
    response = HttpResponse(data, content_type=MEDIA_TYPES[file_format])
    name = f"anexo-f-{evaluation.program.key or evaluation.program_id}-{evaluation.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def position_upload(request: HttpRequest, data: bytes, file_name: str) -> HttpResponse | None:
    """An uploaded Anexo F (told by its title) loaded into its evaluation at once: a few pages,
    read in the request; None when the file is another annex, for the review of ASM."""
    try:
        file_format = format_of(file_name)
    except AnnexRejected:
        return None
    limits = settings.MEJORA_READING_LIMITS
    if not is_position_file(data, file_format, limits):
        return None
    try:
        summary = position_import(
            document=parse_position(data, file_format, limits=limits),
            file_name=file_name,
            actor=request.user,
            scope=import_scope_for(request.user),
            sha256=file_sha256(data),
            file_format=file_format,
        )
    except (AnnexRejected, PermissionDenied, ValidationError) as refusal:
        message = refusal.messages[0] if isinstance(refusal, ValidationError) else str(refusal)
        context = {"message": message, "again": True}
        return render(request, "web/refused.html", context, status=422)
    context = {"summary": summary, "evaluation": summary.evaluation}
    return render(request, "web/position_imported.html", context)
