"""The evaluation unit's queue: every report sent to it, to validate or return."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mejora.accounts.access import get_report_for_user, reports_for_user, user_may
from mejora.accounts.models import Action
from mejora.followup.pending_work import reports_listed, to_review
from mejora.followup.services.progress import progress_return, progress_validate
from mejora.web.forms_followup import ReturnForm


def _queue(
    request: HttpRequest,
    *,
    form: ReturnForm | None = None,
    failed: int | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    reports = list(reports_listed(to_review(reports_for_user(request.user, Action.REVIEW))))
    context = {
        "reports": reports,
        "return_form": form,
        "failed": failed,
        "errors": errors or [],
    }
    return render(request, "web/review_queue.html", context, status=status)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not user_may(request.user, Action.REVIEW):
        raise PermissionDenied(_("Solo la unidad de evaluación revisa los avances."))
    return _queue(request)


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Validar or Devolver (with its reason) one report; from htmx, the row answers in place."""
    report = get_report_for_user(request.user, pk, Action.REVIEW)
    decision = request.POST.get("decision")
    form = ReturnForm(request.POST) if decision == "return" else None
    try:
        if decision == "validate":
            progress_validate(report=report, actor=request.user)
            done = _("Se validó el avance de %(a)s.") % {"a": report.activity}
        elif decision == "return" and form is not None and form.is_valid():
            progress_return(report=report, actor=request.user, reason=form.cleaned_data["reason"])
            done = _("Se devolvió el avance de %(a)s.") % {"a": report.activity}
        elif decision == "return":
            return _refused(request, report, form=form)
        else:
            return _queue(request, errors=[_("Elija Validar o Devolver.")], status=400)
    except ValidationError as refused:
        return _refused(request, report, errors=[str(m) for m in refused.messages])
    if request.htmx:
        waiting = to_review(reports_for_user(request.user, Action.REVIEW)).count()
        context = {"report": report, "message": done, "waiting": waiting}
        return render(request, "web/review_decided.html", context)
    messages.success(request, done)
    return redirect("review-queue")


def _refused(
    request: HttpRequest,
    report,
    *,
    form: ReturnForm | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    """The queue again with the report's refusal beside it; from htmx, only the report's row."""
    if request.htmx:
        row = reports_listed(to_review(reports_for_user(request.user, Action.REVIEW))).filter(
            pk=report.pk
        )
        context = {
            "report": row.first() or report,
            "return_form": form,
            "failed": report.pk,
            "errors": errors or [],
            "row_only": True,
        }
        return render(request, "web/review_row.html", context, status=422)
    return _queue(request, form=form, failed=report.pk, errors=errors, status=422)
