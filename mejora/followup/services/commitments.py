"""Commitments typed in the app: evaluations, their recommendations, the ASM and activities.

Each write checks its rules, saves after `full_clean()` and leaves one history row in the
same transaction. Who may register is the access layer's question, asked by the caller
(the page fetches the program with the REGISTER action) before it calls these services.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.cells import Doubt, Reading, read_due, read_theme
from mejora.annex.compose import area_cell
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import AreaRef, PartialDate
from mejora.followup.history import change_record, snapshot
from mejora.followup.keeping import tallies_note
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Area,
    Aspect,
    AspectLink,
    ChangeRecord,
    Classification,
    Cycle,
    Evaluation,
    Program,
    Recommendation,
)
from mejora.followup.permissions import Action, require

WEB = "página web"
_PERIOD = re.compile(r"^(\d{4})-(\d{4})$")
_PRECISION_WORDS = {"day": "día/mes", "month": "mes", "year": "año"}

AreaRole = tuple[Area, str]  # an area and its role note ('Realiza')


class StaleVersion(ValidationError):
    """Someone saved the record after the person opened it; both versions go back to them."""

    def __init__(
        self, message: str, *, version: int, current: dict[str, Any], yours: dict[str, Any]
    ) -> None:
        super().__init__(message)
        self.version = version  # the saved one, for the person's next, deliberate save
        self.current = current
        self.yours = yours


# Cycles and evaluations.


@transaction.atomic
def cycle_ensure(
    *, mechanism_year: int, evaluation_period: str, actor: Any, source: str = WEB
) -> Cycle:
    """The cycle of a mechanism year and period, created (and recorded) when it is new."""
    require(actor, Action.REGISTER)
    evaluation_period = evaluation_period.strip()
    match = _PERIOD.match(evaluation_period)
    if match is None or int(match[1]) > int(match[2]):
        raise ValidationError(
            {"evaluation_period": _("Escriba el periodo de evaluaciones como 2007-2008.")}
        )
    if not int(match[2]) <= mechanism_year <= int(match[2]) + 1:
        raise ValidationError(
            {
                "mechanism_year": _(
                    "El mecanismo %(year)s no sigue al periodo %(period)s: su año es el último "
                    "del periodo o el siguiente."
                )
                % {"year": mechanism_year, "period": evaluation_period}
            }
        )
    cycle = Cycle.objects.filter(
        mechanism_year=mechanism_year, evaluation_period=evaluation_period
    ).first()
    if cycle is not None:
        return cycle
    cycle = Cycle(
        mechanism_year=mechanism_year,
        evaluation_period=evaluation_period,
        heading=f"ASPECTOS SUSCEPTIBLES DE MEJORA {evaluation_period} (Mecanismo {mechanism_year})",
    )
    cycle.full_clean()
    cycle.save()
    _record(ChangeRecord.Action.CREATE, cycle, actor, source)
    return cycle


@transaction.atomic
def evaluation_register(
    *,
    program: Program,
    cycle: Cycle | None,
    kind: str,
    year: int | None,
    evaluator: str,
    report_title: str,
    report_url: str,
    actor: Any,
    source: str = WEB,
) -> Evaluation:
    """An external evaluation of the program: its type, year, evaluator and report."""
    require(actor, Action.REGISTER, program)
    if not kind.strip():
        raise ValidationError({"kind": _("Escriba el tipo de evaluación.")})
    if year is not None and not 1990 <= year <= timezone.localdate().year:
        raise ValidationError(
            {"year": _("El año de la evaluación debe estar entre 1990 y el año en curso.")}
        )
    evaluation = Evaluation(
        program=program,
        cycle=cycle,
        kind=kind.strip(),
        year=year,
        evaluator=evaluator.strip(),
        report_title=report_title.strip(),
        report_url=report_url.strip(),
    )
    evaluation.full_clean()
    evaluation.save()
    _record(ChangeRecord.Action.CREATE, evaluation, actor, source)
    return evaluation


def recommendation_check(*, text: str, position: str, reason: str) -> None:
    """A recommendation needs its text, and a reason when it is not attended in full."""
    if not text.strip():
        raise ValidationError({"text": _("Escriba el hallazgo o la recomendación.")})
    needs_reason = position in (
        Recommendation.Position.PARTIAL,
        Recommendation.Position.NOT_ATTENDED,
    )
    if needs_reason and not reason.strip():
        raise ValidationError(
            {
                "reason": _(
                    "Escriba la razón: es obligatoria cuando la recomendación no se atiende "
                    "o se atiende parcialmente."
                )
            }
        )


@transaction.atomic
def recommendation_register(
    *,
    evaluation: Evaluation,
    text: str,
    position: str,
    reason: str,
    actor: Any,
    source: str = WEB,
) -> Recommendation:
    """A finding or recommendation and the institution's position on it."""
    require(actor, Action.REGISTER, evaluation)
    recommendation_check(text=text, position=position, reason=reason)
    recommendation = Recommendation(
        evaluation=evaluation, text=text.strip(), position=position, reason=reason.strip()
    )
    recommendation.full_clean()
    recommendation.save()
    _record(ChangeRecord.Action.CREATE, recommendation, actor, source)
    return recommendation


# Aspects.


@transaction.atomic
def aspect_register(
    *,
    program: Program,
    cycle: Cycle,
    number: str,
    text: str,
    theme: str,
    classification: str,
    priority: str,
    change_kind: str,
    evaluation: Evaluation | None,
    recommendation: Recommendation | None,
    registered_on: dt.date | None,
    actor: Any,
    source: str = WEB,
) -> Aspect:
    """An ASM of the program; a 'Operación: …' prefix gives its theme as imports read it."""
    require(actor, Action.REGISTER, program)
    aspect = Aspect(program=program, cycle=cycle)
    _aspect_fill(
        aspect,
        number=number,
        text=text,
        theme=theme,
        classification=classification,
        priority=priority,
        change_kind=change_kind,
        evaluation=evaluation,
        recommendation=recommendation,
        registered_on=registered_on or timezone.localdate(),
    )
    aspect.full_clean()
    aspect.save()
    _record(ChangeRecord.Action.CREATE, aspect, actor, source)
    return aspect


@transaction.atomic
def aspect_update(
    *,
    aspect: Aspect,
    number: str,
    text: str,
    theme: str,
    classification: str,
    priority: str,
    change_kind: str,
    evaluation: Evaluation | None,
    recommendation: Recommendation | None,
    registered_on: dt.date,
    seen_version: int,
    actor: Any,
    source: str = WEB,
) -> Aspect:
    """The ASM as edited, unless someone saved it after the person opened it."""
    require(actor, Action.REGISTER, aspect)
    current = Aspect.objects.select_for_update().get(pk=aspect.pk)
    values = {
        "number": number,
        "text": text,
        "theme": theme,
        "classification": classification,
        "priority": priority,
        "change_kind": change_kind,
        "evaluation": evaluation,
        "recommendation": recommendation,
        "registered_on": registered_on,
    }
    if current.version != seen_version:
        raise _stale(
            _("este ASM"), current, seen_version, _aspect_view(current), _aspect_view_of(values)
        )
    before = snapshot(current)
    _aspect_fill(current, **values)
    current.version += 1
    current.full_clean()
    current.save()
    _record(ChangeRecord.Action.UPDATE, current, actor, source, before=before)
    return current


def _aspect_fill(
    aspect: Aspect,
    *,
    number: str,
    text: str,
    theme: str,
    classification: str,
    priority: str,
    change_kind: str,
    evaluation: Evaluation | None,
    recommendation: Recommendation | None,
    registered_on: dt.date,
) -> None:
    number, text, theme = number.strip(), text.strip(), theme.strip()
    if not number:
        raise ValidationError({"number": _("Escriba el número del ASM.")})
    taken = Aspect.objects.filter(program=aspect.program, cycle=aspect.cycle, number=number)
    if taken.exclude(pk=aspect.pk).exists():
        raise ValidationError(
            {
                "number": _(
                    "Ya existe el ASM %(number)s de este programa en el mecanismo %(year)s; "
                    "use otro número."
                )
                % {"number": number, "year": aspect.cycle.mechanism_year}
            }
        )
    if not text:
        raise ValidationError({"text": _("Escriba el aspecto susceptible de mejora.")})
    read_as, statement = read_theme(text, Reading())
    if read_as and theme and read_as.casefold() != theme.casefold():
        raise ValidationError(
            {
                "theme": _("El texto empieza con el tema «%(read)s» y se eligió «%(chosen)s».")
                % {"read": read_as, "chosen": theme}
            }
        )
    if registered_on > timezone.localdate():
        raise ValidationError(
            {"registered_on": _("La fecha de registro no puede ser posterior a hoy.")}
        )
    if evaluation is not None and evaluation.program_id != aspect.program_id:
        raise ValidationError({"evaluation": _("La evaluación no es de este programa.")})
    if recommendation is not None and (
        evaluation is None or recommendation.evaluation_id != evaluation.pk
    ):
        raise ValidationError(
            {"recommendation": _("La recomendación no es de la evaluación elegida.")}
        )
    aspect.number = number
    aspect.text = text
    aspect.theme = read_as or theme
    aspect.statement = statement
    aspect.classification = classification
    aspect.priority = priority
    aspect.change_kind = change_kind
    aspect.evaluation = evaluation
    aspect.recommendation = recommendation
    aspect.registered_on = registered_on


@transaction.atomic
def aspect_link(
    *, aspect: Aspect, related: Aspect, kind: str, note: str, actor: Any, source: str = WEB
) -> AspectLink:
    """The ASM continues or duplicates another one, of this program or another."""
    require(actor, Action.REGISTER, aspect)
    if aspect.pk == related.pk:
        raise ValidationError({"related": _("Un ASM no puede continuar ni duplicar a sí mismo.")})
    if AspectLink.objects.filter(aspect=aspect, related=related, kind=kind).exists():
        raise ValidationError({"related": _("Esa relación ya está registrada.")})
    link = AspectLink(aspect=aspect, related=related, kind=kind, note=note.strip())
    link.full_clean()
    link.save()
    _record(ChangeRecord.Action.CREATE, link, actor, source)
    return link


# Activities.


@dataclass(frozen=True)
class DueReading:
    """How a typed due date was read, said the way a person checks it."""

    text: str
    date: PartialDate | None
    doubts: tuple[Doubt, ...]

    @property
    def understood(self) -> bool:
        return self.date is not None and not any(
            d.kind == "date_not_understood" for d in self.doubts
        )

    @property
    def needs_confirmation(self) -> bool:
        return any(d.kind == "ambiguous_date" for d in self.doubts)

    @property
    def key(self) -> str:
        """What a confirmation names: the reading, so a changed text needs a new one."""
        return self.date.iso() if self.date else ""

    @property
    def shown(self) -> str:
        """'1 de junio de 2010 (día/mes)', 'diciembre de 2026 (mes)', '2026 (año)'."""
        date = self.date
        if date is None:
            return ""
        if date.day is not None:
            words = f"{date.day} de {MONTH_NAMES[date.month - 1]} de {date.year}"
        elif date.month is not None:
            words = f"{MONTH_NAMES[date.month - 1]} de {date.year}"
        else:
            words = str(date.year)
        return f"{words} ({_PRECISION_WORDS[date.precision.value]})"


def due_read(due_text: str) -> DueReading:
    """The typed due date read by the imports' normaliser, with its doubts."""
    reading = Reading()
    cell = read_due(due_text, reading)
    return DueReading(cell.text, cell.due, tuple(reading.doubts))


@transaction.atomic
def activity_register(
    *,
    aspect: Aspect,
    text: str,
    coordinating: Sequence[AreaRole],
    responsible: Sequence[AreaRole],
    due_text: str,
    expected_results: str,
    deliverable: str,
    actor: Any,
    confirmed_due: str = "",
    source: str = WEB,
) -> Activity:
    """An activity of the ASM, its areas from the institution's catalogue and its due date.

    A due date that can be read two ways (01/06/2010) is saved only once the person
    confirmed the reading shown to them: `confirmed_due` is that reading's ISO form.
    """
    require(actor, Action.REGISTER, aspect)
    aspect = Aspect.objects.select_for_update().select_related("program").get(pk=aspect.pk)
    last = aspect.activities.aggregate(last=Max("order"))["last"] or 0
    activity = Activity(aspect=aspect, order=last + 1)
    roles = _activity_fill(
        activity,
        text=text,
        coordinating=coordinating,
        responsible=responsible,
        due_text=due_text,
        confirmed_due=confirmed_due,
        expected_results=expected_results,
        deliverable=deliverable,
    )
    activity.full_clean()
    activity.save()
    for role in roles:
        role.activity = activity
        role.full_clean()
    ActivityArea.objects.bulk_create(roles)
    tallies_note([aspect.program_id])  # inserted in bulk, which no receiver hears
    record = change_record(
        action=ChangeRecord.Action.CREATE, obj=activity, actor=actor, source=source
    )
    record.after = (record.after or {}) | {"areas": _roles_view(roles)}
    record.save()
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    text: str,
    coordinating: Sequence[AreaRole],
    responsible: Sequence[AreaRole],
    due_text: str,
    expected_results: str,
    deliverable: str,
    seen_version: int,
    actor: Any,
    confirmed_due: str = "",
    source: str = WEB,
) -> Activity:
    """The activity as edited, unless someone saved it after the person opened it.

    Once progress was reported, a new due date is a replanning (with its justification),
    not an edit.
    """
    require(actor, Action.REGISTER, activity)
    current = (
        Activity.objects.select_for_update().select_related("aspect__program").get(pk=activity.pk)
    )
    current_roles = list(current.area_roles.select_related("area"))
    if current.version != seen_version:
        yours = {
            _("Actividad"): text,
            _("Área coordinadora"): _roles_words(coordinating),
            _("Área responsable"): _roles_words(responsible),
            _("Fecha de término"): due_text,
            _("Resultados esperados"): expected_results,
            _("Producto y/o evidencia"): deliverable,
        }
        raise _stale(
            _("esta actividad"),
            current,
            seen_version,
            _activity_view(current, current_roles),
            yours,
        )
    before = snapshot(current) | {"areas": _roles_view(current_roles)}
    previous_due = current.due
    written = (current.coordinating_text, current.responsible_text)
    roles = _activity_fill(
        current,
        text=text,
        coordinating=coordinating,
        responsible=responsible,
        due_text=due_text,
        confirmed_due=confirmed_due,
        expected_results=expected_results,
        deliverable=deliverable,
    )
    moved = previous_due is None or current.due is None or (previous_due.iso() != current.due.iso())
    if moved and current.reports.exists():
        raise ValidationError(
            {
                "due_text": _(
                    "Esta actividad ya tiene avance reportado: cambiar su fecha de término es "
                    "un replanteamiento, con su justificación."
                )
            }
        )
    same_areas = [_role_key(r) for r in current_roles] == [_role_key(r) for r in roles]
    if same_areas:
        # The same areas: the cells keep the words an imported annex wrote them with.
        current.coordinating_text, current.responsible_text = written
        roles = current_roles
    current.version += 1
    current.full_clean()
    current.save()
    if not same_areas:
        ActivityArea.objects.filter(activity=current).delete()
        for role in roles:
            role.activity = current
            role.full_clean()
        ActivityArea.objects.bulk_create(roles)
        tallies_note([current.aspect.program_id])  # inserted in bulk, which no receiver hears
    record = change_record(
        action=ChangeRecord.Action.UPDATE,
        obj=current,
        actor=actor,
        before=before,
        source=source,
    )
    record.after = (record.after or {}) | {"areas": _roles_view(roles)}
    record.save()
    return current


def _activity_fill(
    activity: Activity,
    *,
    text: str,
    coordinating: Sequence[AreaRole],
    responsible: Sequence[AreaRole],
    due_text: str,
    confirmed_due: str,
    expected_results: str,
    deliverable: str,
) -> list[ActivityArea]:
    """Check and set the activity's values; its area roles, unsaved."""
    if not text.strip():
        raise ValidationError({"text": _("Escriba la actividad.")})
    program = activity.aspect.program
    for field, chosen in (("coordinating", coordinating), ("responsible", responsible)):
        _check_areas(field, chosen, program)
    if not responsible:
        raise ValidationError({"responsible": _("Elija al menos un área responsable.")})
    reading = due_read(due_text)
    if not reading.text:
        raise ValidationError({"due_text": _("Escriba la fecha de término.")})
    if not reading.understood:
        raise ValidationError(
            {
                "due_text": _(
                    "No se entendió la fecha de término «%(text)s». Escríbala como 31/12/2026 "
                    "o diciembre 2026."
                )
                % {"text": reading.text}
            }
        )
    if reading.needs_confirmation and confirmed_due != reading.key:
        doubts = " ".join(d.text for d in reading.doubts if d.kind == "ambiguous_date")
        raise ValidationError(
            {
                "due_text": _("Se leyó: %(shown)s. %(doubt)s Confirme la lectura para guardar.")
                % {"shown": reading.shown, "doubt": doubts}
            }
        )
    activity.text = text.strip()
    activity.due = reading.date
    activity.due_text = reading.text  # the cell as typed, like an import keeps it
    activity.expected_results = expected_results.strip()
    activity.deliverable = deliverable.strip()
    coordinating_roles = _roles(ActivityArea.Role.COORDINATING, coordinating)
    responsible_roles = _roles(ActivityArea.Role.RESPONSIBLE, responsible)
    catalogue = _catalogue(coordinating, responsible)
    activity.coordinating_text = _cell_text(coordinating_roles, catalogue)
    activity.responsible_text = _cell_text(responsible_roles, catalogue)
    return [*coordinating_roles, *responsible_roles]


def _check_areas(field: str, chosen: Sequence[AreaRole], program: Program) -> None:
    seen: set[int] = set()
    for area, _note in chosen:
        if area.institution_id != program.institution_id:
            raise ValidationError(
                {
                    field: _(
                        "El área «%(area)s» no es de %(institution)s; elija un área de su catálogo."
                    )
                    % {"area": area.name, "institution": program.institution.name}
                }
            )
        if area.pk in seen:
            raise ValidationError(
                {field: _("El área «%(area)s» se eligió dos veces.") % {"area": area.name}}
            )
        seen.add(area.pk)


def _written(area: Area) -> str:
    """How an annex names a typed area: its acronym when it has one ('DGEMPS')."""
    return area.acronym or area.name


def _roles(role: str, chosen: Sequence[AreaRole]) -> list[ActivityArea]:
    return [
        ActivityArea(
            area=area,
            role=role,
            position=position,
            note=note.strip().rstrip(":").strip(),
            written_as=_written(area),
        )
        for position, (area, note) in enumerate(chosen, start=1)
    ]


def _catalogue(*chosen: Sequence[AreaRole]) -> AreaCatalogue:
    return AreaCatalogue(
        AreaName(area.name, area.acronym, tuple(area.aliases))
        for group in chosen
        for area, _note in group
    )


def _cell_text(roles: list[ActivityArea], catalogue: AreaCatalogue) -> str:
    """The area cell as an annex prints it: 'DGEMPS y UPRI', 'Realiza: DGOP'."""
    refs = tuple(AreaRef(role.written_as, role.note) for role in roles)
    return area_cell("", refs, catalogue).text


def _role_key(role: ActivityArea) -> tuple[str, int, int, str]:
    return (role.role, role.position, role.area_id, role.note)


def _roles_view(roles: Sequence[ActivityArea]) -> list[list[Any]]:
    return [[r.role, r.position, r.area_id, r.note, r.written_as] for r in roles]


def _roles_words(chosen: Sequence[AreaRole]) -> str:
    return ", ".join(f"{note}: {_written(a)}" if note else _written(a) for a, note in chosen)


def _activity_view(activity: Activity, roles: Sequence[ActivityArea]) -> dict[str, Any]:
    def words(role: str) -> str:
        return ", ".join(
            f"{r.note}: {r.written_as}" if r.note else r.written_as for r in roles if r.role == role
        )

    return {
        _("Actividad"): activity.text,
        _("Área coordinadora"): words(ActivityArea.Role.COORDINATING),
        _("Área responsable"): words(ActivityArea.Role.RESPONSIBLE),
        _("Fecha de término"): activity.due_text,
        _("Resultados esperados"): activity.expected_results,
        _("Producto y/o evidencia"): activity.deliverable,
    }


def _aspect_view(aspect: Aspect) -> dict[str, Any]:
    return _aspect_view_of(
        {
            "number": aspect.number,
            "text": aspect.text,
            "theme": aspect.theme,
            "classification": aspect.classification,
            "priority": aspect.priority,
            "change_kind": aspect.change_kind,
            "registered_on": aspect.registered_on,
        }
    )


def _aspect_view_of(values: dict[str, Any]) -> dict[str, Any]:
    def label(choices: Any, value: str) -> str:
        return str(dict(choices.choices).get(value, value)) if value else ""

    registered = values.get("registered_on")
    return {
        _("Número"): values["number"],
        _("Aspecto susceptible de mejora"): values["text"],
        _("Tema"): values["theme"],
        _("Tipo por actor"): label(Classification, values["classification"]),
        _("Prioridad"): label(Aspect.Priority, values["priority"]),
        _("Tipo de cambio"): label(Aspect.ChangeKind, values["change_kind"]),
        _("Fecha de registro"): registered.isoformat() if registered else "",
    }


def _stale(
    what: str, current: Any, seen: int, saved: dict[str, Any], yours: dict[str, Any]
) -> StaleVersion:
    return StaleVersion(
        _(
            "Otra persona guardó %(what)s (versión %(current)s) mientras usted editaba la "
            "versión %(seen)s. No se guardó nada: abajo están la versión guardada y la suya; "
            "revise y guarde de nuevo."
        )
        % {"what": what, "current": current.version, "seen": seen},
        version=current.version,
        current=saved,
        yours=yours,
    )


def _record(
    action: str, obj: Any, actor: Any, source: str, *, before: dict[str, Any] | None = None
) -> None:
    change_record(action=action, obj=obj, actor=actor, before=before, source=source).save()
