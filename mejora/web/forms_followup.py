"""Forms of the follow-up: they check the shape of what a person sends; services the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the evidence service."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Porcentaje de avance"), min_value=0, max_value=100)
    justification = forms.CharField(
        label=_("Justificación"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    concluded_text = forms.CharField(
        label=_("Fecha de conclusión"),
        required=False,
        max_length=60,
        help_text=_("Como la escribe: 31/12/2012 o diciembre 2012. Necesaria con 100%."),
    )
    observations = forms.CharField(
        label=_("Observaciones"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    files = MultipleFileField(label=_("Evidencia: archivos"), required=False)
    urls = forms.CharField(
        label=_("Evidencia: ligas (una por renglón)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    references = forms.CharField(
        label=_("Evidencia: referencias de documentos (una por renglón)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Por ejemplo, el número de oficio."),
    )
    # The version the person saw (0 or absent: no report yet), so a save over a newer one is
    # refused (the view holds an absent one to 0).
    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def clean_urls(self) -> list[str]:
        return _lines(self.cleaned_data["urls"])

    def clean_references(self) -> list[str]:
        return _lines(self.cleaned_data["references"])


class ReplanForm(forms.Form):
    new_due_text = forms.CharField(
        label=_("Nueva fecha de término"),
        max_length=60,
        help_text=_("Como la escribe: 31/12/2013 o diciembre 2013."),
    )
    new_text = forms.CharField(
        label=_("Actividad replanteada (si cambia)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    justification = forms.CharField(
        label=_("Justificación del replanteamiento"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo de la devolución"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CutForm(forms.Form):
    name = forms.CharField(label=_("Nombre del corte"), max_length=60)
    date = forms.DateField(
        label=_("Fecha del corte"), widget=forms.DateInput(attrs={"type": "date"})
    )
    deadline = forms.DateField(
        label=_("Fecha límite de envío"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
