"""Importing from the page: read, review cell by cell with the findings, then confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.models import Aspect, ChangeRecord, Program
from tests.factories import InstitutionFactory, UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str = "anexo-e.txt"):
    return client.post(reverse("import-upload"), {"file": SimpleUploadedFile(name, data)})


def test_an_upload_is_reviewed_before_anything_is_written(client, seed_bytes):
    client.force_login(member(Role.EVALUATOR, institution=InstitutionFactory()))
    response = upload(client, seed_bytes)
    assert response.status_code == 302
    review = client.get(response.url).content.decode()
    assert Aspect.objects.count() == 0
    assert "Se leyeron 9 ASM y 20 actividades" in review
    assert "«01/06/2010» puede leerse día/mes" in review
    assert "→ 2010-06-01" in review
    assert "→ DGEMPS | UPRI | DGS | Dirección General de Opciones Productivas" in review


def test_confirming_imports_everything_in_the_name_of_the_person(client, seed_bytes):
    person = member(Role.EVALUATOR, institution=InstitutionFactory())
    client.force_login(person)
    review_url = upload(client, seed_bytes).url
    response = client.post(review_url)
    program = Program.objects.get()
    assert response.url == reverse("program-detail", args=[program.pk])
    assert Aspect.objects.count() == 9
    assert ChangeRecord.objects.filter(actor=person, model="followup.Aspect").count() == 9
    assert client.get(review_url).status_code == 404, "the pending file is gone"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "vacio.txt", "está vacío"),
        (b"hola", "anexo.odt", "No se reconoce el formato"),
        (b"PK\x03\x04 basura", "anexo.xlsx", "no es un libro de Excel"),
    ],
)
def test_a_bad_upload_says_why_in_spanish_and_writes_nothing(client, data, name, message):
    client.force_login(member(Role.EVALUATOR, institution=InstitutionFactory()))
    response = upload(client, data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Aspect.objects.count() == 0


def test_people_who_do_not_import_cannot_reach_the_pages(client):
    client.force_login(member(Role.OVERSIGHT))
    assert client.get(reverse("import-upload")).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("import-upload")).status_code == 403


def test_a_liaison_cannot_import_into_someone_elses_program(client, seed_bytes):
    from mejora.demo import demo_prepare

    demo_prepare()
    other = member(
        Role.LIAISON,
        program=Program.objects.create(institution=InstitutionFactory(), name="Otro programa"),
    )
    client.force_login(other)
    review_url = upload(client, seed_bytes).url
    assert client.post(review_url).status_code == 403
    assert Aspect.objects.count() == 9
