"""The balance's choice of cycle and date: the cycles offered are those the reader reaches."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mejora.followup.models import Aspect, Cycle


class BalanceForm(forms.Form):
    cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.none(),
        label=_("Ciclo del mecanismo"),
        required=False,
        empty_label=None,
        error_messages={"invalid_choice": _("Ese ciclo no existe o no tiene ASM a su alcance.")},
    )
    as_of = forms.DateField(
        label=_("Fecha"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("El estado del registro a esa fecha; hoy si se deja vacía."),
        error_messages={"invalid": _("Escriba la fecha como AAAA-MM-DD.")},
    )

    def __init__(self, *args, aspects: QuerySet[Aspect], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cycles = Cycle.objects.filter(pk__in=aspects.values("cycle_id")).order_by(
            "-mechanism_year", "-evaluation_period"
        )
        self.fields["cycle"].queryset = cycles
        self.fields["as_of"].widget.attrs["aria-describedby"] = "id_as_of-ayuda"
