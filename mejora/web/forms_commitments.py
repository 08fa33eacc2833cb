"""Forms for typing commitments: they check the shape of what is sent; services hold the rules."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mejora.annex.cells import THEMES
from mejora.followup.models import (
    Area,
    Aspect,
    AspectLink,
    Classification,
    Cycle,
    Evaluation,
    Recommendation,
)

# Rows offered for each role's areas; an edit offers one more than the activity has.
AREA_ROWS = 4


class CycleFields(forms.Form):
    """An existing cycle, or the mechanism year and period of a new one."""

    cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.all(),
        required=False,
        label=_("Mecanismo"),
        empty_label=_("— otro: escríbalo abajo —"),
    )
    mechanism_year = forms.IntegerField(
        required=False, min_value=2000, max_value=2100, label=_("Año del nuevo mecanismo")
    )
    evaluation_period = forms.CharField(
        required=False,
        max_length=20,
        label=_("Periodo de evaluaciones del nuevo mecanismo"),
        help_text=_("Por ejemplo 2025-2026."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cycle") is None and not (
            cleaned.get("mechanism_year") and cleaned.get("evaluation_period")
        ):
            raise forms.ValidationError(
                _("Elija un mecanismo o escriba el año y el periodo de uno nuevo.")
            )
        return cleaned


class EvaluationForm(CycleFields):
    kind = forms.CharField(
        max_length=120,
        label=_("Tipo de evaluación"),
        help_text=_("Por ejemplo: Consistencia y Resultados, Diseño, Específica de Desempeño."),
    )
    year = forms.IntegerField(required=False, min_value=1990, max_value=2100, label=_("Año"))
    evaluator = forms.CharField(required=False, max_length=300, label=_("Evaluador externo"))
    report_title = forms.CharField(required=False, max_length=500, label=_("Informe"))
    report_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label=_("Liga al informe")
    )


class RecommendationForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Hallazgo o recomendación")
    )
    position = forms.ChoiceField(
        choices=Recommendation.Position.choices,
        widget=forms.RadioSelect,
        label=_("Posición institucional"),
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Razón"),
        help_text=_("Obligatoria si se atiende parcialmente o no se atiende."),
    )


class AspectForm(CycleFields):
    number = forms.CharField(max_length=20, label=_("Número del ASM"))
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Aspecto susceptible de mejora"),
        help_text=_("Puede empezar con su tema, como en los anexos: «Operación: …»."),
    )
    theme = forms.ChoiceField(
        required=False,
        choices=[("", _("— del texto o ninguno —")), *((t, t) for t in THEMES)],
        label=_("Tema"),
    )
    classification = forms.ChoiceField(choices=Classification.choices, label=_("Tipo por actor"))
    priority = forms.ChoiceField(
        required=False, choices=[("", "—"), *Aspect.Priority.choices], label=_("Prioridad")
    )
    change_kind = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *Aspect.ChangeKind.choices],
        label=_("Tipo de cambio"),
    )
    evaluation = forms.ModelChoiceField(
        queryset=Evaluation.objects.none(), required=False, label=_("Evaluación de la que surge")
    )
    recommendation = forms.ModelChoiceField(
        queryset=Recommendation.objects.none(),
        required=False,
        label=_("Recomendación de la que surge"),
    )
    registered_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        label=_("Fecha de registro"),
        help_text=_("Hoy, salvo que registre un ASM de antes."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, program, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        evaluations = Evaluation.objects.filter(program=program)
        self.fields["evaluation"].queryset = evaluations
        self.fields["recommendation"].queryset = Recommendation.objects.filter(
            evaluation__in=evaluations
        )


class AspectLinkForm(forms.Form):
    kind = forms.ChoiceField(choices=AspectLink.Kind.choices, label=_("Este ASM"))
    related = forms.ModelChoiceField(queryset=Aspect.objects.none(), label=_("ASM relacionado"))
    note = forms.CharField(required=False, max_length=500, label=_("Nota"))

    def __init__(self, *args, aspects: QuerySet[Aspect], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        related = self.fields["related"]
        related.queryset = aspects.select_related("program", "cycle")
        related.label_from_instance = lambda a: f"{a.program} · {a} · {a.statement[:60]}"


class ActivityForm(forms.Form):
    """The activity, its areas in rows (area and role note) and its due date as typed.

    `read_as` carries the reading the page showed; a save happens only once it matches what
    the typed date reads as now, so every date is seen before it is saved.
    """

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Actividad"))
    due_text = forms.CharField(
        max_length=200,
        label=_("Fecha de término"),
        help_text=_("Como se escribe: 31/12/2026, diciembre 2026."),
        widget=forms.TextInput(attrs={"class": "due-input", "autocomplete": "off"}),
    )
    expected_results = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Resultados esperados")
    )
    deliverable = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Producto y/o evidencia"),
    )
    read_as = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm_reading = forms.BooleanField(required=False, label=_("Confirmo esta lectura"))
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    ROLES = (("coordinating", _("Área coordinadora")), ("responsible", _("Área responsable")))

    def __init__(self, *args, areas: QuerySet[Area], rows: int = AREA_ROWS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for role, label in self.ROLES:
            for row in range(1, rows + 1):
                self.fields[f"{role}_area_{row}"] = forms.ModelChoiceField(
                    queryset=areas, required=False, label=f"{label} {row}"
                )
                self.fields[f"{role}_note_{row}"] = forms.CharField(
                    required=False,
                    max_length=40,
                    label=_("Nota del papel (p. ej. «Realiza») %(row)s") % {"row": row},
                )

    def area_rows(self, role: str) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"{role}_area_{row}"], self[f"{role}_note_{row}"])
            for row in range(1, self.rows + 1)
        ]

    def coordinating_rows(self):
        return self.area_rows("coordinating")

    def responsible_rows(self):
        return self.area_rows("responsible")

    def chosen(self, role: str) -> list[tuple[Area, str]]:
        """The areas chosen for a role, in their rows' order, with their notes."""
        return [
            (area, self.cleaned_data.get(f"{role}_note_{row}", ""))
            for row in range(1, self.rows + 1)
            if (area := self.cleaned_data.get(f"{role}_area_{row}")) is not None
        ]

    @staticmethod
    def initial_for(activity) -> dict:
        """The form's values for an activity being edited."""
        initial = {
            "text": activity.text,
            "due_text": activity.due_text,
            "expected_results": activity.expected_results,
            "deliverable": activity.deliverable,
            "seen_version": activity.version,
        }
        rows = {"coordinating": 0, "responsible": 0}
        for role in activity.area_roles.all():
            rows[role.role] += 1
            initial[f"{role.role}_area_{rows[role.role]}"] = role.area_id
            initial[f"{role.role}_note_{rows[role.role]}"] = role.note
        return initial
