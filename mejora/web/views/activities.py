"""An activity's page: its facts and story, and where its progress is captured and sent."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mejora.accounts.access import (
    activities_for_user,
    get_activity_for_user,
    get_program_for_user,
    reports_for_user,
)
from mejora.accounts.models import Action
from mejora.annex.compose import date_text
from mejora.annex.document import PartialDate
from mejora.followup.models import Activity, ProgressReport
from mejora.followup.pending_work import activity_story
from mejora.followup.services.cuts import open_cut
from mejora.followup.services.progress import (
    EDITABLE,
    ReportConflict,
    activity_replan,
    date_read,
    progress_save,
    progress_submit,
)
from mejora.web.forms_followup import ProgressForm, ReplanForm
from mejora.web.templatetags.mejora import long_date


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def evidence_link(evidence) -> str:
    """The download address of a file; a link or a reference has none."""
    return reverse("evidence-download", args=[evidence.pk]) if evidence.file else ""


def _activity_page(
    request: HttpRequest,
    activity: Activity,
    *,
    progress_form: ProgressForm | None = None,
    replan_form: ReplanForm | None = None,
    conflict: ProgressReport | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    story = activity_story(activity)
    cut = open_cut()
    current = story.report_at(cut)
    may_capture = activities_for_user(request.user, Action.CAPTURE).filter(pk=activity.pk).exists()
    editable = cut is not None and may_capture and (current is None or current.state in EDITABLE)
    if editable and progress_form is None:
        # Version 0 is "I saw no report": a report someone saves meanwhile is a conflict.
        initial = {"seen_version": current.version if current else 0}
        if current is not None:
            initial |= {
                "percent": current.percent,
                "justification": current.justification,
                "concluded_text": current.concluded_text,
                "observations": current.observations,
            }
        progress_form = ProgressForm(initial=initial)
    for item in story.evidence:
        item.download = evidence_link(item)
    context = {
        "story": story,
        "activity": activity,
        "aspect": activity.aspect,
        "program": activity.aspect.program,
        "cut": cut,
        "current": current,
        "may_capture": may_capture and cut is not None,
        "progress_form": progress_form if editable else None,
        "replan_form": (replan_form or ReplanForm(auto_id="replan_%s"))
        if may_capture and cut
        else None,
        "may_submit": editable and current is not None,
        "conflict": conflict,
        "errors": errors or [],
        "concluded_reading": _long(current.concluded) if current and current.concluded else "",
        "effective_due": story.effective_due,
        "effective_due_text": date_text(story.effective_due) if story.effective_due else "",
    }
    return render(request, "web/activity_detail.html", context, status=status)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk)
    return _activity_page(request, activity)


@login_required
@require_POST
def activity_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Registrar avance: the report of the open cut, with its evidence, in one save."""
    activity = get_activity_for_user(request.user, pk, Action.CAPTURE)
    cut = open_cut()
    form = ProgressForm(request.POST, request.FILES)
    if cut is None:
        return _activity_page(request, activity, errors=[_("No hay un corte abierto.")], status=409)
    if not form.is_valid():
        return _activity_page(request, activity, progress_form=form, status=422)
    data = form.cleaned_data
    try:
        report = progress_save(
            activity=activity,
            cut=cut,
            actor=request.user,
            percent=data["percent"],
            justification=data["justification"],
            concluded_text=data["concluded_text"],
            observations=data["observations"],
            seen_version=data["seen_version"] or 0,
            files=data["files"],
            urls=data["urls"],
            references=data["references"],
        )
    except ReportConflict as conflict:
        # Their values stay in the form; saving again knowingly replaces the saved version.
        bound = ProgressForm({**request.POST.dict(), "seen_version": conflict.saved.version})
        bound.is_valid()
        return _activity_page(
            request,
            activity,
            progress_form=bound,
            conflict=conflict.saved,
            errors=_messages_of(conflict),
            status=409,
        )
    except ValidationError as refused:
        return _activity_page(
            request, activity, progress_form=form, errors=_messages_of(refused), status=422
        )
    reading = ""
    if report.concluded is not None:
        reading = _(" Fecha de conclusión leída: %(date)s.") % {"date": _long(report.concluded)}
        doubt = date_read(report.concluded_text).doubt
        if doubt:
            reading += " " + doubt
    messages.success(
        request,
        _("Se guardó el avance como %(state)s.") % {"state": report.get_state_display()} + reading,
    )
    return redirect("activity-detail", pk=activity.pk)


def _long(date: PartialDate) -> str:
    """'15 de septiembre de 2012' for a day, else the period as an annex writes it."""
    return long_date(date.start) if date.day else date_text(date)


@login_required
@require_POST
def activity_replanning(request: HttpRequest, pk: int) -> HttpResponse:
    """Replantear: a new due date or wording, with its justification, beside the original."""
    activity = get_activity_for_user(request.user, pk, Action.CAPTURE)
    cut = open_cut()
    form = ReplanForm(request.POST, auto_id="replan_%s")
    if cut is None:
        return _activity_page(request, activity, errors=[_("No hay un corte abierto.")], status=409)
    if not form.is_valid():
        return _activity_page(request, activity, replan_form=form, status=422)
    try:
        replanning = activity_replan(
            activity=activity, cut=cut, actor=request.user, **form.cleaned_data
        )
    except ValidationError as refused:
        return _activity_page(
            request, activity, replan_form=form, errors=_messages_of(refused), status=422
        )
    messages.success(
        request,
        _("Se registró el replanteamiento: nueva fecha %(date)s.")
        % {"date": date_text(replanning.new_due)},
    )
    return redirect("activity-detail", pk=activity.pk)


@login_required
@require_POST
def activity_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Enviar a revisión: this activity's report of the open cut."""
    activity = get_activity_for_user(request.user, pk, Action.CAPTURE)
    cut = open_cut()
    reports = ProgressReport.objects.filter(activity=activity, cut=cut)
    try:
        progress_submit(reports=reports, actor=request.user)
    except ValidationError as refused:
        return _activity_page(request, activity, errors=_messages_of(refused), status=422)
    messages.success(request, _("Se envió el reporte a revisión."))
    return redirect("activity-detail", pk=activity.pk)


@login_required
@require_POST
def program_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Enviar a revisión: every report of the program's open cut the person may send."""
    program = get_program_for_user(request.user, pk, Action.CAPTURE)
    cut = open_cut()
    reports = reports_for_user(request.user, Action.CAPTURE).filter(
        activity__aspect__program=program, cut=cut, state__in=EDITABLE
    )
    try:
        sent = progress_submit(reports=reports, actor=request.user)
    except ValidationError as refused:
        for message in _messages_of(refused):
            messages.error(request, message)
        return redirect("program-detail", pk=program.pk)
    messages.success(request, _("Se enviaron %(n)s reportes a revisión.") % {"n": len(sent)})
    return redirect("program-detail", pk=program.pk)
