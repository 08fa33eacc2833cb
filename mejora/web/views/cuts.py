"""The reporting cuts, opened and closed by an administrator."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mejora.accounts.access import user_may
from mejora.accounts.models import Action
from mejora.followup.models import Cut
from mejora.followup.services.cuts import cut_close, cut_open
from mejora.web.forms_followup import CutForm


def _administrator(request: HttpRequest) -> None:
    if not user_may(request.user, Action.ADMINISTER, everywhere=True):
        raise PermissionDenied(
            _("Solo un administrador de todo el sistema abre y cierra cortes: son de todos.")
        )


@login_required
def cut_list(request: HttpRequest) -> HttpResponse:
    _administrator(request)
    form = CutForm(request.POST or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cut = cut_open(actor=request.user, **form.cleaned_data)
            except ValidationError as refused:
                errors, status = [str(m) for m in refused.messages], 422
            else:
                messages.success(request, _("Se abrió el corte «%(name)s».") % {"name": cut.name})
                return redirect("cut-list")
        else:
            status = 422
    cuts = Cut.objects.order_by("-date")
    context = {"cuts": cuts, "form": form, "errors": errors}
    return render(request, "web/cut_list.html", context, status=status)


@login_required
@require_POST
def cut_closing(request: HttpRequest, pk: int) -> HttpResponse:
    _administrator(request)
    cut = get_object_or_404(Cut, pk=pk)
    try:
        cut_close(cut=cut, actor=request.user)
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Se cerró el corte «%(name)s».") % {"name": cut.name})
    return redirect("cut-list")
