"""People: the administrators' page of who holds which role where, invitations, and the
pages an invited or forgetful person uses to choose a password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mejora.accounts import services
from mejora.accounts.forms import InviteForm, MembershipForm, PasswordResetForm

PEOPLE_PER_PAGE = 50


def _refusal_text(refusal: Exception) -> list[str]:
    if isinstance(refusal, ValidationError):
        return list(refusal.messages)
    return [str(refusal)]


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    reach = services.admin_reach(request.user)
    if not reach.anything:
        raise PermissionDenied(_("Sólo un administrador gestiona a las personas."))
    people = Paginator(services.people_for_admin(request.user, reach), PEOPLE_PER_PAGE)
    page = people.get_page(request.GET.get("pagina"))
    return render(request, "web/people_list.html", {"page": page})


@login_required
def person_invite(request: HttpRequest) -> HttpResponse:
    if not services.admin_reach(request.user).anything:
        raise PermissionDenied(_("Sólo un administrador gestiona a las personas."))
    form = InviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_invite(
                email=data["email"],
                name=data["name"],
                role=data["role"],
                **form.scope(),
                actor=request.user,
                base_url=_base_url(request),
                language=data["language"],
            )
        except (ValidationError, PermissionDenied) as refusal:
            for text in _refusal_text(refusal):
                form.add_error(None, text)
        except OSError:
            form.add_error(None, _("No se pudo enviar el correo de invitación; no se guardó nada."))
        else:
            messages.success(request, _("Se envió la invitación a %s.") % person.email)
            return redirect("person-detail", pk=person.pk)
    return render(request, "web/people_invite.html", {"form": form})


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = services.get_person_for_admin(request.user, pk)
    form = MembershipForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(
                person=person, role=form.cleaned_data["role"], **form.scope(), actor=request.user
            )
        except (ValidationError, PermissionDenied) as refusal:
            for text in _refusal_text(refusal):
                form.add_error(None, text)
        else:
            messages.success(request, _("Se agregó la membresía."))
            return redirect("person-detail", pk=person.pk)
    return render(request, "web/people_detail.html", {"person": person, "form": form})


@login_required
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = services.get_membership_for_admin(request.user, pk)
    initial = {
        "role": membership.role,
        "institution": membership.institution,
        "program": membership.program,
        "area": membership.area,
    }
    form = MembershipForm(request.POST or None, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_change(
                membership=membership,
                role=form.cleaned_data["role"],
                **form.scope(),
                actor=request.user,
            )
        except (ValidationError, PermissionDenied) as refusal:
            for text in _refusal_text(refusal):
                form.add_error(None, text)
        else:
            messages.success(request, _("Se cambió la membresía."))
            return redirect("person-detail", pk=membership.user_id)
    context = {"membership": membership, "form": form}
    return render(request, "web/people_membership.html", context)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = services.get_membership_for_admin(request.user, pk)
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except (ValidationError, PermissionDenied) as refusal:
        for text in _refusal_text(refusal):
            messages.error(request, text)
    else:
        messages.success(request, _("Se quitó la membresía."))
    if services.people_for_admin(request.user).filter(pk=membership.user_id).exists():
        return redirect("person-detail", pk=membership.user_id)
    return redirect("people")


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    person = services.get_person_for_admin(request.user, pk)
    try:
        services.person_deactivate(person=person, actor=request.user)
    except (ValidationError, PermissionDenied) as refusal:
        for text in _refusal_text(refusal):
            messages.error(request, text)
    else:
        messages.success(request, _("La persona ya no puede entrar."))
    return redirect("person-detail", pk=person.pk)


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    person = services.get_person_for_admin(request.user, pk)
    try:
        services.invitation_resend(person=person, actor=request.user, base_url=_base_url(request))
    except (ValidationError, PermissionDenied) as refusal:
        for text in _refusal_text(refusal):
            messages.error(request, text)
    except OSError:
        messages.error(request, _("No se pudo enviar el correo de invitación."))
    else:
        messages.success(request, _("Se envió de nuevo la invitación a %s.") % person.email)
    return redirect("person-detail", pk=person.pk)


class _ActivePeopleOnly:
    """A link for a deactivated person is no longer good, whatever its token says."""

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None


class InvitationConfirmView(_ActivePeopleOnly, auth_views.PasswordResetConfirmView):
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("invitation-complete")


class PasswordChooseView(_ActivePeopleOnly, auth_views.PasswordResetConfirmView):
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")


# Django's own names (registration/password_reset_*.html) belong to the admin's templates,
# which come first; ours carry their own names.
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="registration/reset_form.html",
    email_template_name="registration/reset_email.txt",
    subject_template_name="registration/reset_subject.txt",
    success_url=reverse_lazy("password-reset-sent"),
)
password_reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="registration/reset_sent.html"
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/reset_complete.html"
)
invitation_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/invitation_complete.html"
)
