"""Forms for people and memberships: their shape only; who may grant what is the services' rule."""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from mejora.accounts.models import Role
from mejora.accounts.services import areas_for_admin, institutions_for_admin, programs_for_admin

LANGUAGES = [("es-mx", "Español"), ("en", "English")]


class MembershipForm(forms.Form):
    """A role and at most one scope, offered only from what the administrator reaches."""

    role = forms.ChoiceField(label=_("Papel"), choices=Role.choices)
    institution = forms.ModelChoiceField(
        label=_("Dependencia"),
        queryset=None,
        required=False,
        empty_label=_("(ninguna)"),
    )
    program = forms.ModelChoiceField(
        label=_("Programa"), queryset=None, required=False, empty_label=_("(ninguno)")
    )
    area = forms.ModelChoiceField(
        label=_("Área"), queryset=None, required=False, empty_label=_("(ninguna)")
    )

    def __init__(self, *args, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions_for_admin(actor)
        self.fields["program"].queryset = programs_for_admin(actor)
        self.fields["area"].queryset = areas_for_admin(actor)
        self.fields["institution"].help_text = _(
            "Un solo alcance: una dependencia, un programa (enlace) o un área (personal de "
            "área). Sin ninguno, el papel vale en todas las dependencias."
        )

    def scope(self) -> dict[str, object]:
        return {name: self.cleaned_data.get(name) for name in ("institution", "program", "area")}


class InviteForm(MembershipForm):
    email = forms.EmailField(label=_("Correo electrónico"))
    name = forms.CharField(label=_("Nombre completo"), max_length=150)
    language = forms.ChoiceField(label=_("Idioma de la invitación"), choices=LANGUAGES)
    field_order = ["email", "name", "language", "role", "institution", "program", "area"]


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, also for an invited person who never chose a password (Django
    skips them, thinking of accounts that sign in elsewhere; ours all sign in here), so an
    expired invitation is renewed by asking for a link."""

    def get_users(self, email):
        users = get_user_model()
        field = users.get_email_field_name()
        wanted = unicodedata.normalize("NFKC", email).casefold()
        found = users._default_manager.filter(**{f"{field}__iexact": email, "is_active": True})
        return (
            user
            for user in found
            if unicodedata.normalize("NFKC", getattr(user, field)).casefold() == wanted
        )
