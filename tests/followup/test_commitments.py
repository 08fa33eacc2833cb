"""Commitments typed in the app: each rule with its Spanish message, nothing written on refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from mejora.accounts.models import Role
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Aspect,
    AspectLink,
    ChangeRecord,
    Classification,
    Cycle,
    Evaluation,
    Recommendation,
)
from mejora.followup.selectors import status_counts
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
from tests.factories import (
    AreaFactory,
    AspectFactory,
    CycleFactory,
    ProgramFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program():
    CycleFactory()  # the cycle ASM are registered in, there before anything is counted
    return ProgramFactory()


@pytest.fixture
def liaison(program):
    return member(Role.LIAISON, program=program)


def messages(error: ValidationError) -> str:
    return " ".join(m for ms in error.message_dict.values() for m in ms)


def register_aspect(program, liaison, **changes) -> Aspect:
    values = {
        "program": program,
        "cycle": CycleFactory(),
        "number": "1",
        "text": "Operación: Mejorar el padrón de beneficiarios",
        "theme": "",
        "classification": Classification.INSTITUTIONAL,
        "priority": Aspect.Priority.HIGH,
        "change_kind": "",
        "evaluation": None,
        "recommendation": None,
        "registered_on": None,
        "actor": liaison,
    }
    return aspect_register(**(values | changes))


def register_activity(aspect, liaison, **changes) -> Activity:
    area = AreaFactory(institution=aspect.program.institution, acronym="DGEMPS")
    values = {
        "aspect": aspect,
        "text": "Depurar el padrón con la CURP",
        "coordinating": [(area, "")],
        "responsible": [(area, "Realiza")],
        "due_text": "31/12/2026",
        "expected_results": "Un padrón sin duplicados",
        "deliverable": "Padrón depurado",
        "actor": liaison,
    }
    return activity_register(**(values | changes))


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Cycle,
            Evaluation,
            Recommendation,
            Aspect,
            AspectLink,
            Activity,
            ActivityArea,
            ChangeRecord,
        )
    )


# Cycles and evaluations.


def test_it_creates_a_cycle_once_and_records_it(liaison):
    first = cycle_ensure(mechanism_year=2026, evaluation_period="2025-2026", actor=liaison)
    again = cycle_ensure(mechanism_year=2026, evaluation_period="2025-2026", actor=liaison)
    assert first == again
    assert ChangeRecord.objects.filter(model="followup.Cycle", actor=liaison).count() == 1


@pytest.mark.parametrize(
    ("year", "period", "message"),
    [
        (2026, "2025/2026", "Escriba el periodo de evaluaciones como 2007-2008."),
        (2026, "2026-2025", "Escriba el periodo de evaluaciones como 2007-2008."),
        (2030, "2025-2026", "El mecanismo 2030 no sigue al periodo 2025-2026"),
    ],
)
def test_it_refuses_a_cycle_that_does_not_read(liaison, year, period, message):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        cycle_ensure(mechanism_year=year, evaluation_period=period, actor=liaison)
    assert message in messages(refused.value)
    assert counts() == before


def test_it_registers_an_evaluation_with_its_history(program, liaison):
    evaluation = evaluation_register(
        program=program,
        cycle=CycleFactory(),
        kind="Consistencia y Resultados",
        year=2025,
        evaluator="El Colegio de México",
        report_title="Informe final",
        report_url="https://example.org/informe.pdf",
        actor=liaison,
    )
    record = ChangeRecord.objects.get(model="followup.Evaluation")
    assert (record.actor, record.action, record.source) == (liaison, "create", "página web")
    assert record.after["kind"] == evaluation.kind


def test_it_refuses_an_evaluation_with_a_bad_link(program, liaison):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        evaluation_register(
            program=program,
            cycle=None,
            kind="Diseño",
            year=2025,
            evaluator="",
            report_title="",
            report_url="no es una liga",
            actor=liaison,
        )
    assert "report_url" in refused.value.message_dict
    assert counts() == before


@pytest.mark.parametrize(
    "position", [Recommendation.Position.PARTIAL, Recommendation.Position.NOT_ATTENDED]
)
def test_a_recommendation_not_fully_attended_needs_its_reason(program, liaison, position):
    evaluation = Evaluation.objects.create(program=program, kind="Diseño")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        recommendation_register(
            evaluation=evaluation,
            text="Revisar la MIR",
            position=position,
            reason=" ",
            actor=liaison,
        )
    assert "Escriba la razón" in messages(refused.value)
    assert counts() == before


def test_an_attended_recommendation_needs_no_reason(program, liaison):
    evaluation = Evaluation.objects.create(program=program, kind="Diseño")
    recommendation = recommendation_register(
        evaluation=evaluation,
        text="Revisar la MIR",
        position=Recommendation.Position.ATTENDED,
        reason="",
        actor=liaison,
    )
    assert recommendation.get_position_display() == "se atiende"
    assert ChangeRecord.objects.filter(model="followup.Recommendation", actor=liaison).exists()


# Aspects.


def test_it_reads_the_theme_from_the_prefix_as_imports_do(program, liaison):
    aspect = register_aspect(program, liaison, text="Operación:  Mejorar el padrón")
    assert (aspect.theme, aspect.statement) == ("Operación", "Mejorar el padrón")
    assert aspect.registered_on == timezone.localdate()
    record = ChangeRecord.objects.get(model="followup.Aspect")
    assert record.actor == liaison


def test_a_theme_chosen_applies_to_a_text_without_prefix(program, liaison):
    aspect = register_aspect(program, liaison, text="Mejorar el padrón", theme="Diseño")
    assert (aspect.theme, aspect.statement) == ("Diseño", "Mejorar el padrón")


def test_it_refuses_a_prefix_that_contradicts_the_theme_chosen(program, liaison):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        register_aspect(program, liaison, text="Operación: Mejorar", theme="Diseño")
    assert "El texto empieza con el tema «Operación» y se eligió «Diseño»." in messages(
        refused.value
    )
    assert counts() == before


def test_it_refuses_a_number_already_taken_in_the_program_and_cycle(program, liaison):
    register_aspect(program, liaison, number="4")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        register_aspect(program, liaison, number="4")
    assert "Ya existe el ASM 4 de este programa en el mecanismo 2011" in messages(refused.value)
    assert counts() == before


def test_the_same_number_is_free_in_another_cycle_or_program(program, liaison):
    register_aspect(program, liaison, number="4")
    other_cycle = CycleFactory(mechanism_year=2012, evaluation_period="2011-2012")
    assert register_aspect(program, liaison, number="4", cycle=other_cycle).pk
    elsewhere = ProgramFactory()
    assert register_aspect(elsewhere, member(Role.LIAISON, program=elsewhere), number="4").pk


def test_a_past_registration_keeps_its_date_and_a_future_one_is_refused(program, liaison):
    aspect = register_aspect(program, liaison, registered_on=dt.date(2011, 5, 2))
    assert aspect.registered_on == dt.date(2011, 5, 2)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        register_aspect(program, liaison, number="2", registered_on=tomorrow)
    assert "La fecha de registro no puede ser posterior a hoy." in messages(refused.value)


def test_it_refuses_an_evaluation_of_another_program(program, liaison):
    elsewhere = Evaluation.objects.create(program=ProgramFactory(), kind="Diseño")
    with pytest.raises(ValidationError) as refused:
        register_aspect(program, liaison, evaluation=elsewhere)
    assert "La evaluación no es de este programa." in messages(refused.value)


def test_it_refuses_a_recommendation_of_another_evaluation(program, liaison):
    chosen = Evaluation.objects.create(program=program, kind="Diseño")
    other = Evaluation.objects.create(program=program, kind="Procesos")
    recommendation = Recommendation.objects.create(
        evaluation=other, text="x", position=Recommendation.Position.ATTENDED
    )
    with pytest.raises(ValidationError) as refused:
        register_aspect(program, liaison, evaluation=chosen, recommendation=recommendation)
    assert "La recomendación no es de la evaluación elegida." in messages(refused.value)


def test_an_aspect_links_to_another_but_not_to_itself(program, liaison):
    aspect = register_aspect(program, liaison, number="6")
    earlier = AspectFactory(program=ProgramFactory())  # across programs is allowed
    link = aspect_link(
        aspect=aspect, related=earlier, kind=AspectLink.Kind.DUPLICATES, note="", actor=liaison
    )
    assert link.get_kind_display() == "duplica a"
    assert ChangeRecord.objects.filter(model="followup.AspectLink", actor=liaison).exists()
    before = counts()
    with pytest.raises(ValidationError) as refused:
        aspect_link(
            aspect=aspect, related=aspect, kind=AspectLink.Kind.CONTINUES, note="", actor=liaison
        )
    assert "Un ASM no puede continuar ni duplicar a sí mismo." in messages(refused.value)
    with pytest.raises(ValidationError) as again:
        aspect_link(
            aspect=aspect, related=earlier, kind=AspectLink.Kind.DUPLICATES, note="", actor=liaison
        )
    assert "Esa relación ya está registrada." in messages(again.value)
    assert counts() == before


def test_a_stale_aspect_edit_is_refused_with_both_versions(program, liaison):
    aspect = register_aspect(program, liaison, text="Operación: Mejorar el padrón")
    edit = {
        "number": "1",
        "theme": "",
        "classification": Classification.INSTITUTIONAL,
        "priority": Aspect.Priority.HIGH,
        "change_kind": "",
        "evaluation": None,
        "recommendation": None,
        "registered_on": aspect.registered_on,
        "actor": liaison,
    }
    aspect_update(aspect=aspect, text="Operación: Primera edición", seen_version=1, **edit)
    before = counts()
    with pytest.raises(StaleVersion) as refused:
        aspect_update(aspect=aspect, text="Operación: Segunda edición", seen_version=1, **edit)
    assert (
        "Otra persona guardó este ASM (versión 2) mientras usted editaba la versión 1"
        in (refused.value.messages[0])
    )
    assert "Operación: Primera edición" in refused.value.current.values()
    assert "Operación: Segunda edición" in refused.value.yours.values()
    assert counts() == before
    assert Aspect.objects.get().statement == "Primera edición"


# Activities.


@pytest.mark.parametrize(
    ("typed", "iso", "shown", "doubt"),
    [
        ("31/12/2026", "2026-12-31", "31 de diciembre de 2026 (día/mes)", False),
        ("diciembre 2026", "2026-12", "diciembre de 2026 (mes)", False),
        ("Sept 2026", "2026-09", "septiembre de 2026 (mes)", False),
        ("2026", "2026", "2026 (año)", False),
        ("01/06/2010", "2010-06-01", "1 de junio de 2010 (día/mes)", True),
    ],
)
def test_the_due_date_is_read_as_imports_read_it(typed, iso, shown, doubt):
    reading = due_read(typed)
    assert (reading.date.iso(), reading.shown, reading.needs_confirmation) == (iso, shown, doubt)


def test_it_registers_an_activity_as_an_annex_prints_it(program, liaison):
    aspect = register_aspect(program, liaison)
    dgemps = AreaFactory(institution=program.institution, acronym="DGEMPS")
    upri = AreaFactory(institution=program.institution, acronym="UPRI")
    dgop = AreaFactory(institution=program.institution, acronym="DGOP")
    activity = register_activity(
        aspect,
        liaison,
        coordinating=[(dgemps, ""), (upri, "")],
        responsible=[(dgop, "Realiza")],
        due_text="diciembre 2026",
    )
    assert activity.order == 1
    assert (activity.due_on, activity.due_precision, activity.due_text) == (
        dt.date(2026, 12, 1),
        "month",
        "diciembre 2026",
    )
    assert activity.coordinating_text == "DGEMPS y UPRI"
    assert activity.responsible_text == "Realiza: DGOP"
    roles = [(r.role, r.area, r.note) for r in activity.area_roles.all()]
    assert roles == [
        ("coordinating", dgemps, ""),
        ("coordinating", upri, ""),
        ("responsible", dgop, "Realiza"),
    ]
    record = ChangeRecord.objects.get(model="followup.Activity")
    assert record.actor == liaison
    assert len(record.after["areas"]) == 3
    assert register_activity(aspect, liaison).order == 2


def test_an_ambiguous_date_is_saved_only_once_its_reading_is_confirmed(program, liaison):
    aspect = register_aspect(program, liaison)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        register_activity(aspect, liaison, due_text="01/06/2010")
    said = messages(refused.value)
    assert "Se leyó: 1 de junio de 2010 (día/mes)." in said
    assert "Confirme la lectura para guardar." in said
    assert counts() == before
    with pytest.raises(ValidationError):  # a confirmation of another reading is no confirmation
        register_activity(aspect, liaison, due_text="01/06/2010", confirmed_due="2010-01-06")
    activity = register_activity(aspect, liaison, due_text="01/06/2010", confirmed_due="2010-06-01")
    assert activity.due_on == dt.date(2010, 6, 1)


def test_it_refuses_a_date_it_cannot_read(program, liaison):
    aspect = register_aspect(program, liaison)
    before = Activity.objects.count(), ActivityArea.objects.count()
    with pytest.raises(ValidationError) as refused:
        register_activity(aspect, liaison, due_text="cuando se pueda")
    assert "No se entendió la fecha de término «cuando se pueda»." in messages(refused.value)
    assert (Activity.objects.count(), ActivityArea.objects.count()) == before


def test_it_refuses_an_area_of_another_institution(program, liaison):
    aspect = register_aspect(program, liaison)
    foreign = AreaFactory(name="Dirección Ajena")
    before = counts()
    with pytest.raises(ValidationError) as refused:
        register_activity(aspect, liaison, responsible=[(foreign, "")])
    assert "El área «Dirección Ajena» no es de" in messages(refused.value)
    assert counts() == before


def test_it_refuses_an_activity_without_responsible_area(program, liaison):
    aspect = register_aspect(program, liaison)
    with pytest.raises(ValidationError) as refused:
        register_activity(aspect, liaison, responsible=[])
    assert "Elija al menos un área responsable." in messages(refused.value)
    assert Activity.objects.count() == 0


def activity_edit(activity, liaison, **changes) -> dict:
    roles = list(activity.area_roles.all())
    values = {
        "activity": activity,
        "text": activity.text,
        "coordinating": [(r.area, r.note) for r in roles if r.role == "coordinating"],
        "responsible": [(r.area, r.note) for r in roles if r.role == "responsible"],
        "due_text": activity.due_text,
        "expected_results": activity.expected_results,
        "deliverable": activity.deliverable,
        "seen_version": activity.version,
        "actor": liaison,
    }
    return values | changes


def test_an_activity_edit_records_before_and_after(program, liaison):
    activity = register_activity(register_aspect(program, liaison), liaison)
    other = AreaFactory(institution=program.institution, acronym="DGS")
    edited = activity_update(
        **activity_edit(activity, liaison, text="Depurar y publicar", responsible=[(other, "")])
    )
    assert (edited.version, edited.text, edited.responsible_text) == (
        2,
        "Depurar y publicar",
        "DGS",
    )
    record = ChangeRecord.objects.filter(model="followup.Activity").latest("id")
    assert (record.action, record.actor) == ("update", liaison)
    assert record.before["text"] == "Depurar el padrón con la CURP"
    assert record.after["areas"][-1][2] == other.pk


def test_a_stale_activity_edit_is_refused_with_both_versions(program, liaison):
    activity = register_activity(register_aspect(program, liaison), liaison)
    activity_update(**activity_edit(activity, liaison, text="La primera edición"))
    before = counts()
    with pytest.raises(StaleVersion) as refused:
        activity_update(**activity_edit(activity, liaison, text="La segunda edición"))
    said = refused.value.messages[0]
    assert "Otra persona guardó esta actividad (versión 2) mientras usted editaba la versión 1" in (
        said
    )
    assert "La primera edición" in refused.value.current.values()
    assert "La segunda edición" in refused.value.yours.values()
    assert counts() == before
    assert Activity.objects.get().text == "La primera edición"


def test_a_new_date_after_reported_progress_is_a_replanning_not_an_edit(program, liaison):
    activity = register_activity(register_aspect(program, liaison), liaison)
    ProgressReportFactory(activity=activity)
    with pytest.raises(ValidationError) as refused:
        activity_update(**activity_edit(activity, liaison, due_text="marzo 2027"))
    assert "cambiar su fecha de término es un replanteamiento" in messages(refused.value)
    assert Activity.objects.get().due_text == "31/12/2026"


def test_the_state_at_a_date_counts_a_typed_asm_from_its_registration_date(program, liaison):
    aspect = register_aspect(program, liaison, registered_on=dt.date(2025, 5, 2))
    register_activity(aspect, liaison, due_text="diciembre 2026")
    scope = Aspect.objects.filter(program=program)
    assert status_counts(scope, dt.date(2025, 5, 1))["aspects"]["total"] == 0
    counted = status_counts(scope, dt.date(2025, 5, 2))
    assert (counted["aspects"]["total"], counted["activities"]["not_started"]) == (1, 1)


def test_an_edit_that_keeps_the_areas_keeps_their_cells_as_written(program, liaison):
    activity = register_activity(register_aspect(program, liaison), liaison)
    Activity.objects.filter(pk=activity.pk).update(
        responsible_text="Realiza: la Dirección General de Prueba (DGEMPS)"
    )
    activity.refresh_from_db()
    edited = activity_update(**activity_edit(activity, liaison, text="Otra redacción"))
    assert edited.responsible_text == "Realiza: la Dirección General de Prueba (DGEMPS)"
