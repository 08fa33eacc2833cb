"""Commitments typed in the app: evaluations, recommendations, the ASM and their activities."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mejora.accounts.access import (
    aspects_for_user,
    get_activity_for_user,
    get_aspect_for_user,
    get_program_for_user,
    get_whole_program_for_user,
    programs_for_user,
)
from mejora.accounts.models import Action
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Area,
    Aspect,
    AspectLink,
    Cycle,
    Evaluation,
    Program,
    Recommendation,
)
from mejora.followup.services.commitments import (
    StaleVersion,
    activity_register,
    activity_update,
    aspect_link,
    aspect_register,
    aspect_update,
    cycle_ensure,
    due_read,
    evaluation_register,
    recommendation_register,
)
from mejora.web.forms_commitments import (
    AREA_ROWS,
    ActivityForm,
    AspectForm,
    AspectLinkForm,
    EvaluationForm,
    RecommendationForm,
)


@login_required
def commitments_program(request: HttpRequest, pk: int) -> HttpResponse:
    """The program's evaluations with their recommendations, and its ASM with their activities.

    The whole program's: area staff, who see only their area's activities, may not read it."""
    program = get_whole_program_for_user(request.user, pk)
    evaluations = (
        Evaluation.objects.filter(program=program)
        .select_related("cycle")
        .prefetch_related("recommendations")
        .order_by("-year", "id")
    )
    activities = Activity.objects.prefetch_related(
        Prefetch("area_roles", queryset=ActivityArea.objects.select_related("area"))
    )
    aspects = (
        Aspect.objects.filter(program=program)
        .select_related("cycle", "evaluation", "recommendation")
        .prefetch_related(
            Prefetch("activities", queryset=activities),
            Prefetch("links", queryset=AspectLink.objects.select_related("related__cycle")),
        )
    )
    context = {
        "program": program,
        "evaluations": [(e, _positions(e)) for e in evaluations],
        "aspects": aspects,
        "can_register": _may_register(request, program),
    }
    return render(request, "web/commitments_program.html", context)


@login_required
def evaluation_new(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, Action.REGISTER)
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            evaluation_register(
                program=program,
                cycle=_cycle(request, data),
                kind=data["kind"],
                year=data["year"],
                evaluator=data["evaluator"],
                report_title=data["report_title"],
                report_url=data["report_url"],
                actor=request.user,
            )

        if _saved(form, save):
            return redirect("commitments-program", pk=program.pk)
    return _form_page(request, program, form, _("Registrar evaluación"), _("Registrar evaluación"))


@login_required
def recommendation_new(request: HttpRequest, pk: int) -> HttpResponse:
    readable = Evaluation.objects.filter(program__in=programs_for_user(request.user))
    evaluation = get_object_or_404(readable.select_related("program"), pk=pk)
    program = get_program_for_user(request.user, evaluation.program_id, Action.REGISTER)
    form = RecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            recommendation_register(
                evaluation=evaluation,
                text=data["text"],
                position=data["position"],
                reason=data["reason"],
                actor=request.user,
            )

        if _saved(form, save):
            return redirect("commitments-program", pk=program.pk)
    title = _("Agregar recomendación a «%(evaluation)s»") % {"evaluation": evaluation}
    return _form_page(request, program, form, title, _("Agregar recomendación"))


@login_required
def aspect_new(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, pk, Action.REGISTER)
    initial = {"registered_on": timezone.localdate(), "evaluation": request.GET.get("evaluacion")}
    form = AspectForm(request.POST or None, initial=initial, program=program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            aspect_register(
                program=program,
                cycle=_cycle(request, data),
                registered_on=data["registered_on"],
                actor=request.user,
                **_aspect_values(data),
            )

        if _saved(form, save):
            return redirect("commitments-program", pk=program.pk)
    context = {"program": program, "form": form, "title": _("Registrar ASM")}
    return render(request, "web/aspect_form.html", context)


@login_required
def aspect_edit(request: HttpRequest, pk: int) -> HttpResponse:
    aspect = get_aspect_for_user(request.user, pk, Action.REGISTER)
    program = aspect.program
    initial = {
        "cycle": aspect.cycle_id,
        "number": aspect.number,
        "text": aspect.text,
        "theme": aspect.theme if not aspect.text.startswith(f"{aspect.theme}:") else "",
        "classification": aspect.classification,
        "priority": aspect.priority,
        "change_kind": aspect.change_kind,
        "evaluation": aspect.evaluation_id,
        "recommendation": aspect.recommendation_id,
        "registered_on": aspect.registered_on,
        "seen_version": aspect.version,
    }
    form = _aspect_edit_form(request.POST or None, initial, program)
    stale = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            aspect_update(
                aspect=aspect,
                registered_on=data["registered_on"],
                seen_version=data["seen_version"] or 0,
                actor=request.user,
                **_aspect_values(data),
            )

        def remake(sent: Any) -> Form:
            return _aspect_edit_form(sent, initial, program)

        saved, form, stale = _edited(request, form, save, remake)
        if saved:
            return redirect("commitments-program", pk=program.pk)
    title = _("Editar %(aspect)s") % {"aspect": aspect}
    context = {"program": program, "form": form, "title": title, "stale": stale}
    return render(request, "web/aspect_form.html", context)


@login_required
def aspect_relate(request: HttpRequest, pk: int) -> HttpResponse:
    aspect = get_aspect_for_user(request.user, pk, Action.REGISTER)
    others = aspects_for_user(request.user).exclude(pk=aspect.pk)
    form = AspectLinkForm(request.POST or None, aspects=others)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> None:
            aspect_link(
                aspect=aspect,
                related=data["related"],
                kind=data["kind"],
                note=data["note"],
                actor=request.user,
            )

        if _saved(form, save):
            return redirect("commitments-program", pk=aspect.program_id)
    title = _("Relacionar %(aspect)s con otro ASM") % {"aspect": aspect}
    return _form_page(request, aspect.program, form, title, _("Guardar la relación"))


@login_required
def activity_new(request: HttpRequest, pk: int) -> HttpResponse:
    aspect = get_aspect_for_user(request.user, pk, Action.REGISTER)
    return _activity_page(request, aspect, None)


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_activity_for_user(request.user, pk, Action.REGISTER)
    return _activity_page(request, activity.aspect, activity)


@login_required
def due_reading(request: HttpRequest) -> JsonResponse:
    """How a typed due date reads, for the form's live preview (the save shows it again)."""
    reading = due_read(request.GET.get("texto", "")[:200])
    if reading.understood:
        said = _("Se leyó: %(shown)s") % {"shown": reading.shown}
        said = " ".join([said, *(d.text for d in reading.doubts)])
    else:
        said = _("Todavía no se entiende como fecha.")
    return JsonResponse({"understood": reading.understood, "message": said})


def _activity_page(request: HttpRequest, aspect: Aspect, activity: Activity | None) -> HttpResponse:
    """Type, see how the date reads, then save: the reading is shown before anything is saved."""
    program = aspect.program
    areas = Area.objects.filter(institution_id=program.institution_id)
    rows = AREA_ROWS
    initial: dict[str, Any] = {}
    if activity is not None:
        initial = ActivityForm.initial_for(activity)
        kept = [r.role for r in activity.area_roles.all()]
        rows = max(rows, *(kept.count(role) + 1 for role, _label in ActivityForm.ROLES))
    form = ActivityForm(request.POST or None, initial=initial, areas=areas, rows=rows)
    reading = stale = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reading = due_read(data["due_text"])
        if reading.understood and data["read_as"] != reading.key:
            # First time this date is seen as read: show the reading, save on the next submit.
            preview = request.POST.copy()
            preview["read_as"] = reading.key
            form = ActivityForm(preview, areas=areas, rows=rows)
            form.is_valid()
        else:
            confirmed = (
                reading.key if not reading.needs_confirmation or data["confirm_reading"] else ""
            )
            values = {
                "text": data["text"],
                "coordinating": form.chosen("coordinating"),
                "responsible": form.chosen("responsible"),
                "due_text": data["due_text"],
                "confirmed_due": confirmed,
                "expected_results": data["expected_results"],
                "deliverable": data["deliverable"],
                "actor": request.user,
            }

            def save() -> None:
                if activity is None:
                    activity_register(aspect=aspect, **values)
                else:
                    activity_update(
                        activity=activity, seen_version=data["seen_version"] or 0, **values
                    )

            def remake(sent: Any) -> Form:
                return ActivityForm(sent, areas=areas, rows=rows)

            saved, form, stale = _edited(request, form, save, remake)
            if saved:
                return redirect("commitments-program", pk=program.pk)
    if activity is None:
        title = _("Agregar actividad a %(aspect)s") % {"aspect": aspect}
    else:
        title = _("Editar la actividad %(number)s.%(order)s") % {
            "number": aspect.number,
            "order": activity.order,
        }
    context = {
        "program": program,
        "aspect": aspect,
        "form": form,
        "title": title,
        "reading": reading if reading and reading.understood else None,
        "stale": stale,
    }
    return render(request, "web/commitments_activity_form.html", context)


# Glue shared by the pages.


def _positions(evaluation: Evaluation) -> list[tuple[str, int]]:
    """How many recommendations the institution attends, partly or not (Anexo F's counts)."""
    said = [r.position for r in evaluation.recommendations.all()]  # prefetched
    return [(label, said.count(value)) for value, label in Recommendation.Position.choices]


def _aspect_edit_form(data: Any, initial: dict[str, Any], program: Program) -> AspectForm:
    """The ASM form for an edit: the cycle is what matches an ASM across imports, kept as is."""
    form = AspectForm(data, initial=initial, program=program)
    form.fields["cycle"].disabled = True
    del form.fields["mechanism_year"], form.fields["evaluation_period"]
    return form


def _may_register(request: HttpRequest, program: Program) -> bool:
    return programs_for_user(request.user, Action.REGISTER).filter(pk=program.pk).exists()


def _cycle(request: HttpRequest, data: dict[str, Any]) -> Cycle:
    if data.get("cycle") is not None:
        return data["cycle"]
    return cycle_ensure(
        mechanism_year=data["mechanism_year"],
        evaluation_period=data["evaluation_period"],
        actor=request.user,
    )


def _aspect_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        name: data[name]
        for name in (
            "number",
            "text",
            "theme",
            "classification",
            "priority",
            "change_kind",
            "evaluation",
            "recommendation",
        )
    }


def _saved(form: Form, save: Callable[[], None]) -> bool:
    """Run the service (a new cycle with it, all or nothing); its refusal goes on the form."""
    try:
        with transaction.atomic():
            save()
    except ValidationError as error:
        _errors_to_form(form, error)
        return False
    return True


def _edited(
    request: HttpRequest, form: Form, save: Callable[[], None], remake: Callable[[Any], Form]
) -> tuple[bool, Form, StaleVersion | None]:
    """Run an edit's service: whether it saved, the form to show and, when someone saved the
    record after the person opened it, that StaleVersion, with the form made again by
    `remake` over the version saved meanwhile. Any other refusal goes on the form."""
    try:
        save()
    except StaleVersion as error:
        form = remake(_seen(request, error))
        form.is_valid()
        return False, form, error
    except ValidationError as error:
        _errors_to_form(form, error)
        return False, form, None
    return True, form, None


def _errors_to_form(form: Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _seen(request: HttpRequest, error: StaleVersion):
    """What the person sent, now over the version saved meanwhile: saving again is deliberate."""
    data = request.POST.copy()
    data["seen_version"] = str(error.version)
    return data


def _form_page(
    request: HttpRequest, program: Program, form: Form, title: str, button: str
) -> HttpResponse:
    context = {"program": program, "form": form, "title": title, "button": button}
    return render(request, "web/commitments_form.html", context)
