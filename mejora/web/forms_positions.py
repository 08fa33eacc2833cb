"""The form of the institutional position (Anexo F) of an evaluation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mejora.annex.position import Signatory

SIGNATORY_ROWS = 3  # the program's head, the evaluation liaison, the institution's head


class PositionForm(forms.Form):
    general = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("1. Comentarios generales"),
        help_text=_("Un párrafo por línea."),
    )
    specific = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("2. Comentarios específicos"),
        help_text=_(
            "Un párrafo por línea. La posición sobre cada recomendación se edita en la tabla "
            "de recomendaciones; los conteos de ASM se calculan del registro."
        ),
    )
    sources = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("3. Fuentes de información"),
        help_text=_("Una fuente por línea."),
    )
    units = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("4. Unidades administrativas que participaron"),
        help_text=_("Una unidad por línea."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for index in range(1, SIGNATORY_ROWS + 1):
            self.fields[f"signatory_{index}_name"] = forms.CharField(
                required=False,
                max_length=300,
                label=_("Firmante %(n)s: nombre") % {"n": index},
            )
            self.fields[f"signatory_{index}_post"] = forms.CharField(
                required=False,
                max_length=300,
                label=_("Firmante %(n)s: cargo") % {"n": index},
            )

    def signatories(self) -> list[Signatory]:
        data = self.cleaned_data
        return [
            Signatory(data[f"signatory_{i}_name"], data[f"signatory_{i}_post"])
            for i in range(1, SIGNATORY_ROWS + 1)
        ]


def position_initial(evaluation) -> dict[str, object]:
    initial: dict[str, object] = {
        "general": evaluation.position_general,
        "specific": evaluation.position_specific,
        "sources": evaluation.position_sources,
        "units": evaluation.position_units,
        "seen_version": evaluation.position_version,
    }
    for index, signatory in enumerate(evaluation.position_signatories[:SIGNATORY_ROWS], start=1):
        initial[f"signatory_{index}_name"] = signatory.get("name", "")
        initial[f"signatory_{index}_post"] = signatory.get("post", "")
    return initial
