"""The pages for typing commitments: who reaches them, what they save, and what they refuse."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
from mejora.followup.services.commitments import activity_update
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CycleFactory,
    InstitutionFactory,
    ProgramFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """A program with one ASM and one activity its area carries out, and one elsewhere."""
    program = ProgramFactory()
    area = AreaFactory(institution=program.institution, acronym="DGEMPS")
    activity = ActivityFactory(aspect=AspectFactory(program=program))
    ActivityArea.objects.create(activity=activity, area=area, role="responsible", position=1)
    evaluation = Evaluation.objects.create(program=program, kind="Diseño", year=2025)
    return {
        "program": program,
        "area": area,
        "aspect": activity.aspect,
        "activity": activity,
        "evaluation": evaluation,
    }


def persona(name: str, world) -> object:
    program = world["program"]
    return {
        "liaison": lambda: member(Role.LIAISON, program=program),
        "area": lambda: member(Role.AREA_STAFF, area=world["area"]),
        "evaluator": lambda: member(Role.EVALUATOR, institution=program.institution),
        "other_evaluator": lambda: member(Role.EVALUATOR, institution=InstitutionFactory()),
        "oversight": lambda: member(Role.OVERSIGHT),
        "administrator": lambda: member(Role.ADMINISTRATOR),
        "outsider": lambda: UserFactory(),
    }[name]()


PAGES = {
    "commitments-program": "program",
    "commitments-evaluation-new": "program",
    "commitments-aspect-new": "program",
    "commitments-recommendation-new": "evaluation",
    "commitments-aspect-edit": "aspect",
    "commitments-aspect-relate": "aspect",
    "commitments-activity-new": "aspect",
    "commitments-activity-edit": "activity",
}
# Registering is for those who answer for the program (its liaison, its institution's
# evaluation unit, an administrator); a reader who reaches it is refused (403), anyone else
# is told it does not exist (404). The list of commitments is for every reader.
REGISTERING = {
    "liaison": 200,
    "evaluator": 200,
    "administrator": 200,
    "oversight": 403,
    "area": 403,
    "other_evaluator": 404,
    "outsider": 404,
}
# Area staff see only their area's activities, not the program's commitments.
READING = REGISTERING | {"oversight": 200}
MATRIX = [
    (page, who, (READING if page == "commitments-program" else REGISTERING)[who])
    for page in PAGES
    for who in REGISTERING
]


@pytest.mark.parametrize(("page", "who", "status"), MATRIX)
def test_each_page_is_reached_only_by_those_who_may(client, world, page, who, status):
    client.force_login(persona(who, world))
    response = client.get(reverse(page, args=[world[PAGES[page]].pk]))
    assert response.status_code == status


@pytest.mark.parametrize("who", ["oversight", "area", "other_evaluator"])
def test_a_refused_post_writes_nothing(client, world, who):
    client.force_login(persona(who, world))
    before = ChangeRecord.objects.count(), Evaluation.objects.count()
    response = client.post(
        reverse("commitments-evaluation-new", args=[world["program"].pk]),
        {"cycle": CycleFactory().pk, "kind": "Procesos"},
    )
    assert response.status_code in (403, 404)
    assert (ChangeRecord.objects.count(), Evaluation.objects.count()) == before


def test_the_list_shows_register_links_only_to_those_who_may(client, world):
    client.force_login(persona("oversight", world))
    page = client.get(reverse("commitments-program", args=[world["program"].pk])).content
    assert "Registrar evaluación".encode() not in page
    client.force_login(persona("liaison", world))
    page = client.get(reverse("commitments-program", args=[world["program"].pk])).content
    assert "Registrar evaluación".encode() in page
    assert b"Agregar actividad a" in page


def test_the_program_page_links_to_its_commitments(client, world):
    client.force_login(persona("liaison", world))
    page = client.get(reverse("program-detail", args=[world["program"].pk])).content.decode()
    assert reverse("commitments-program", args=[world["program"].pk]) in page


def test_a_liaison_registers_an_evaluation_in_a_new_cycle(client, world):
    liaison = persona("liaison", world)
    client.force_login(liaison)
    response = client.post(
        reverse("commitments-evaluation-new", args=[world["program"].pk]),
        {
            "mechanism_year": 2026,
            "evaluation_period": "2025-2026",
            "kind": "Consistencia y Resultados",
            "year": 2025,
            "evaluator": "El Colegio de México",
            "report_url": "https://example.org/informe.pdf",
        },
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(kind="Consistencia y Resultados")
    assert (evaluation.cycle.mechanism_year, evaluation.cycle.evaluation_period) == (
        2026,
        "2025-2026",
    )
    assert set(ChangeRecord.objects.filter(actor=liaison).values_list("model", flat=True)) == {
        "followup.Cycle",
        "followup.Evaluation",
    }


def test_a_failed_evaluation_leaves_no_new_cycle_behind(client, world):
    client.force_login(persona("liaison", world))
    before = Cycle.objects.count(), Evaluation.objects.count(), ChangeRecord.objects.count()
    response = client.post(
        reverse("commitments-evaluation-new", args=[world["program"].pk]),
        {"mechanism_year": 2026, "evaluation_period": "2025-2026", "kind": " "},
    )
    assert response.status_code == 200
    assert (Cycle.objects.count(), Evaluation.objects.count(), ChangeRecord.objects.count()) == (
        before
    )


def test_a_recommendation_not_attended_without_reason_is_refused_in_spanish(client, world):
    client.force_login(persona("evaluator", world))
    url = reverse("commitments-recommendation-new", args=[world["evaluation"].pk])
    response = client.post(url, {"text": "Revisar la MIR", "position": "not_attended"})
    assert "Escriba la razón: es obligatoria" in response.content.decode()
    assert Recommendation.objects.count() == 0
    client.post(url, {"text": "Revisar la MIR", "position": "not_attended", "reason": "Sin gasto"})
    page = client.get(reverse("commitments-program", args=[world["program"].pk])).content.decode()
    assert "Sin gasto" in page
    assert "No se atiende: <strong>1</strong>" in page
    assert "Se atiende: <strong>0</strong>" in page


def aspect_post(world, **changes) -> dict:
    return {
        "cycle": world["aspect"].cycle_id,
        "number": "7",
        "text": "Resultados: Medir el efecto del programa",
        "classification": Classification.INSTITUTIONAL,
        "priority": Aspect.Priority.HIGH,
        "evaluation": world["evaluation"].pk,
        "registered_on": "2025-05-02",
    } | changes


def test_an_asm_is_registered_with_its_evaluation_and_a_past_date(client, world):
    client.force_login(persona("liaison", world))
    response = client.post(
        reverse("commitments-aspect-new", args=[world["program"].pk]), aspect_post(world)
    )
    assert response.status_code == 302
    aspect = Aspect.objects.get(number="7")
    assert (aspect.theme, aspect.statement, aspect.evaluation) == (
        "Resultados",
        "Medir el efecto del programa",
        world["evaluation"],
    )
    assert str(aspect.registered_on) == "2025-05-02"


def test_a_number_taken_is_refused_on_the_page(client, world):
    client.force_login(persona("liaison", world))
    taken = world["aspect"].number
    before = Aspect.objects.count()
    response = client.post(
        reverse("commitments-aspect-new", args=[world["program"].pk]),
        aspect_post(world, number=taken),
    )
    assert f"Ya existe el ASM {taken} de este programa" in response.content.decode()
    assert Aspect.objects.count() == before


def test_an_asm_is_related_to_one_of_another_program(client, world):
    client.force_login(persona("administrator", world))
    elsewhere = AspectFactory()
    response = client.post(
        reverse("commitments-aspect-relate", args=[world["aspect"].pk]),
        {"kind": "duplicates", "related": elsewhere.pk},
    )
    assert response.status_code == 302
    assert AspectLink.objects.get().related == elsewhere


def activity_post(world, **changes) -> dict:
    return {
        "text": "Publicar el padrón",
        "coordinating_area_1": world["area"].pk,
        "responsible_area_1": world["area"].pk,
        "responsible_note_1": "Realiza",
        "due_text": "31/12/2026",
        "expected_results": "Padrón público",
        "deliverable": "Liga al padrón",
    } | changes


def test_the_date_reading_is_shown_before_the_activity_is_saved(client, world):
    client.force_login(persona("liaison", world))
    url = reverse("commitments-activity-new", args=[world["aspect"].pk])
    before = Activity.objects.count()
    preview = client.post(url, activity_post(world, due_text="diciembre 2026"))
    assert "Se leyó: diciembre de 2026 (mes)" in preview.content.decode()
    assert Activity.objects.count() == before
    saved = client.post(url, activity_post(world, due_text="diciembre 2026", read_as="2026-12"))
    assert saved.status_code == 302
    activity = Activity.objects.get(text="Publicar el padrón")
    assert (activity.due_text, activity.responsible_text) == ("diciembre 2026", "Realiza: DGEMPS")


def test_a_changed_date_is_read_again_before_saving(client, world):
    client.force_login(persona("liaison", world))
    url = reverse("commitments-activity-new", args=[world["aspect"].pk])
    response = client.post(url, activity_post(world, due_text="Sept 2026", read_as="2026-12"))
    assert "Se leyó: septiembre de 2026 (mes)" in response.content.decode()
    assert not Activity.objects.filter(text="Publicar el padrón").exists()


def test_an_ambiguous_date_must_be_confirmed_on_the_page(client, world):
    client.force_login(persona("liaison", world))
    url = reverse("commitments-activity-new", args=[world["aspect"].pk])
    preview = client.post(url, activity_post(world, due_text="01/06/2010")).content.decode()
    assert "Se leyó: 1 de junio de 2010 (día/mes)" in preview
    assert "Confirmo esta lectura" in preview
    unconfirmed = client.post(
        url, activity_post(world, due_text="01/06/2010", read_as="2010-06-01")
    )
    assert "Confirme la lectura para guardar." in unconfirmed.content.decode()
    assert not Activity.objects.filter(text="Publicar el padrón").exists()
    confirmed = client.post(
        url,
        activity_post(world, due_text="01/06/2010", read_as="2010-06-01", confirm_reading="on"),
    )
    assert confirmed.status_code == 302
    assert str(Activity.objects.get(text="Publicar el padrón").due_on) == "2010-06-01"


def test_an_area_of_another_institution_cannot_be_chosen(client, world):
    client.force_login(persona("liaison", world))
    foreign = AreaFactory()
    before = Activity.objects.count(), ActivityArea.objects.count(), ChangeRecord.objects.count()
    response = client.post(
        reverse("commitments-activity-new", args=[world["aspect"].pk]),
        activity_post(world, responsible_area_1=foreign.pk, read_as="2026-12-31"),
    )
    assert response.status_code == 200
    assert "responsible_area_1" in response.context["form"].errors
    assert (
        Activity.objects.count(),
        ActivityArea.objects.count(),
        ChangeRecord.objects.count(),
    ) == before


def test_a_stale_edit_shows_both_versions_and_keeps_what_was_typed(client, world):
    liaison = persona("liaison", world)
    client.force_login(liaison)
    activity = world["activity"]
    url = reverse("commitments-activity-edit", args=[activity.pk])
    form = client.get(url).context["form"]
    assert form["seen_version"].value() == 1
    activity_update(
        activity=activity,
        text="Lo que guardó otra persona",
        coordinating=[],
        responsible=[(world["area"], "")],
        due_text=activity.due_text,
        expected_results="",
        deliverable="",
        seen_version=1,
        actor=member(Role.LIAISON, program=activity.aspect.program),
    )
    mine = activity_post(
        world, text="Lo que escribí yo", due_text=activity.due_text, read_as="2011-12-31"
    )
    before = ChangeRecord.objects.count()
    response = client.post(url, mine | {"seen_version": 1})
    page = response.content.decode()
    assert "Otra persona guardó esta actividad (versión 2)" in page
    assert "Lo que guardó otra persona" in page
    assert "Lo que escribí yo" in page
    assert response.context["form"]["seen_version"].value() == "2"
    assert ChangeRecord.objects.count() == before
    assert Activity.objects.get(pk=activity.pk).text == "Lo que guardó otra persona"
    again = client.post(url, mine | {"seen_version": 2})
    assert again.status_code == 302
    assert Activity.objects.get(pk=activity.pk).text == "Lo que escribí yo"


def test_a_stale_asm_edit_is_refused_on_the_page(client, world):
    client.force_login(persona("liaison", world))
    aspect = world["aspect"]
    url = reverse("commitments-aspect-edit", args=[aspect.pk])
    Aspect.objects.filter(pk=aspect.pk).update(version=2, text="Diseño: Cambio ajeno")
    response = client.post(
        url, aspect_post(world, number=aspect.number, text="Diseño: Cambio mío", seen_version=1)
    )
    page = response.content.decode()
    assert "Otra persona guardó este ASM (versión 2)" in page
    assert "Diseño: Cambio ajeno" in page
    assert "Diseño: Cambio mío" in page
    assert Aspect.objects.get(pk=aspect.pk).text == "Diseño: Cambio ajeno"


def test_the_date_reading_endpoint_words_the_reading(client, world):
    client.force_login(persona("liaison", world))
    answer = client.get(reverse("commitments-due-reading"), {"texto": "01/06/2010"}).json()
    assert answer["understood"] is True
    assert answer["message"].startswith("Se leyó: 1 de junio de 2010 (día/mes)")
    assert "puede leerse día/mes" in answer["message"]


def grow(world, aspects: int) -> None:
    program = world["program"]
    for _ in range(aspects):
        aspect = AspectFactory(program=program, evaluation=world["evaluation"])
        for _ in range(2):
            activity = ActivityFactory(aspect=aspect)
            ActivityArea.objects.create(
                activity=activity, area=world["area"], role="responsible", position=1
            )
        AspectLink.objects.create(aspect=aspect, related=world["aspect"], kind="continues")
    Recommendation.objects.create(
        evaluation=Evaluation.objects.create(program=program, kind="Procesos"),
        text="x",
        position="attended",
    )


def test_the_list_costs_the_same_queries_for_few_and_many_rows(
    client, world, django_assert_num_queries
):
    client.force_login(persona("liaison", world))
    url = reverse("commitments-program", args=[world["program"].pk])
    grow(world, 1)
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    grow(world, 8)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("Editar la actividad") == 2 * 9 + 1
