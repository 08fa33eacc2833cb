"""The institutional position's pages: read beside the commitments, typed, and downloaded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.annex.parsers.position import parse_position
from mejora.annex.position import Acceptance
from mejora.followup.models import Aspect, Classification, Evaluation, Recommendation
from tests.factories import AspectFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture
def evaluation():
    program = ProgramFactory(name="Programa Opciones Productivas", key="S054")
    evaluation = Evaluation.objects.create(program=program, kind="Diseño", year=2011)
    evaluation.recommendations.create(text="Actualizar el diagnóstico", position="attended")
    for classification in (Classification.SPECIFIC, Classification.INSTITUTIONAL):
        AspectFactory(
            program=program,
            evaluation=evaluation,
            classification=classification,
            priority=Aspect.Priority.HIGH,
        )
    return evaluation


@pytest.fixture
def liaison(client, evaluation):
    user = member(Role.LIAISON, program=evaluation.program)
    client.force_login(user)
    return user


def position_form(evaluation, **changes) -> dict[str, object]:
    return {
        "general": "La evaluación fue útil.",
        "specific": "",
        "sources": "Informe final\nReglas de Operación",
        "units": "DGOP",
        "signatory_1_name": "Juan Pérez",
        "signatory_1_post": "Director General",
        "seen_version": evaluation.position_version,
    } | changes


def test_the_commitments_page_leads_to_the_position(client, liaison, evaluation):
    page = client.get(reverse("commitments-program", args=[evaluation.program.pk]))
    assert reverse("position-detail", args=[evaluation.pk]) in page.content.decode()


def test_the_page_shows_the_counts_computed_from_the_record(client, liaison, evaluation):
    page = client.get(reverse("position-detail", args=[evaluation.pk]))
    counts = page.context["doc"].counts
    assert (counts.specific, counts.institutional, counts.total, counts.high) == (1, 1, 2, 2)
    assert reverse("position-edit", args=[evaluation.pk]) in page.content.decode()


def test_a_reader_sees_it_without_the_edit_links(client, evaluation):
    client.force_login(member(Role.OVERSIGHT))
    page = client.get(reverse("position-detail", args=[evaluation.pk]))
    assert page.status_code == 200 and not page.context["can_edit"]
    assert reverse("position-edit", args=[evaluation.pk]) not in page.content.decode()


def test_the_position_typed_is_issued_in_word(client, liaison, evaluation):
    response = client.post(
        reverse("position-edit", args=[evaluation.pk]), position_form(evaluation)
    )
    assert response.status_code == 302
    recommendation = evaluation.recommendations.get()
    response = client.post(
        reverse("position-recommendation-edit", args=[recommendation.pk]),
        {"text": recommendation.text, "position": "partial", "reason": "Sólo en parte"},
    )
    assert response.status_code == 302
    download = client.get(reverse("position-download", args=[evaluation.pk, "docx"]))
    assert download["Content-Disposition"].endswith('.docx"')
    doc = parse_position(download.content, "docx")
    assert doc.general_comments == ("La evaluación fue útil.",)
    assert doc.sources == ("Informe final", "Reglas de Operación")
    assert [(r.accepted, r.comment) for r in doc.recommendations] == [
        (Acceptance.PARTIAL, "Sólo en parte")
    ]
    assert doc.counts.total == 2


def test_a_save_over_another_person_s_shows_both_and_writes_nothing(client, liaison, evaluation):
    url = reverse("position-edit", args=[evaluation.pk])
    client.post(url, position_form(evaluation))
    page = client.post(url, position_form(evaluation, general="Otra versión", seen_version=1))
    assert page.status_code == 200 and page.context["stale"] is not None
    evaluation.refresh_from_db()
    assert evaluation.position_general == "La evaluación fue útil."


def test_a_partial_position_without_its_reason_is_refused(client, liaison, evaluation):
    recommendation = evaluation.recommendations.get()
    page = client.post(
        reverse("position-recommendation-edit", args=[recommendation.pk]),
        {"text": recommendation.text, "position": "partial", "reason": ""},
    )
    assert page.status_code == 200
    assert "razón" in page.content.decode().lower()
    assert Recommendation.objects.get().position == "attended"


def test_an_unknown_file_format_is_not_there(client, liaison, evaluation):
    response = client.get(reverse("position-download", args=[evaluation.pk, "odt"]))
    assert response.status_code == 404


def filed_anexo_f(evaluation, **changes) -> bytes:
    from dataclasses import replace

    from mejora.annex.renderers.position import render_position_text
    from tests.annex.test_position import position_document

    doc = replace(
        position_document(),
        institution=evaluation.program.institution.name,
        program=str(evaluation.program),
        evaluation=str(evaluation),
    )
    text = render_position_text(doc)
    for old, new in changes.items():
        text = text.replace(old, new)
    return text.encode()


def test_the_import_page_loads_an_anexo_f_into_its_evaluation(client, liaison, evaluation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = filed_anexo_f(evaluation, **{"Específicos\t1": "Específicos\t5"})
    page = client.post(reverse("import-upload"), {"file": SimpleUploadedFile("anexo-f.txt", data)})
    assert page.status_code == 200
    assert [r.text for r in evaluation.recommendations.all()][
        -1
    ] == "Cambiar el nombre del programa"
    body = page.content.decode()
    assert "El anexo dice 5 ASM específicos, pero su lista de ASM da 1." in body
    assert reverse("position-detail", args=[evaluation.pk]) in body


def test_an_anexo_f_of_a_program_outside_one_s_reach_is_refused(client, evaluation):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(member(Role.LIAISON, program=ProgramFactory()))
    data = filed_anexo_f(evaluation)
    page = client.post(reverse("import-upload"), {"file": SimpleUploadedFile("anexo-f.txt", data)})
    assert page.status_code == 422
    assert evaluation.recommendations.count() == 1


def test_its_pages_are_whole_and_accessible(client, liaison, evaluation):
    from tests.web.test_pages_quality import _problems

    recommendation = evaluation.recommendations.get()
    for url in (
        reverse("position-detail", args=[evaluation.pk]),
        reverse("position-edit", args=[evaluation.pk]),
        reverse("position-recommendation-edit", args=[recommendation.pk]),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="es-MX")
        assert response.status_code == 200, url
        assert _problems(response.content, "es-MX") == [], url
