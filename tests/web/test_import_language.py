"""An import refused or rejected reads wholly in the reader's language, though the worker that
read the file had no reader and wrote its message in Spanish."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.models import Aspect
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import ProgramFactory, member

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


def refused_page(client, data: bytes, language: str) -> tuple[int, str]:
    client.force_login(member(Role.LIAISON, program=ProgramFactory(name="Programa Vecino")))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.post(
        reverse("import-upload"), {"file": SimpleUploadedFile("anexo-e.txt", data)}
    )
    page = client.get(response.url)
    return page.status_code, page.content.decode()


def test_the_scope_refusal_reads_in_english_for_an_english_browser(client, seed_bytes):
    status, page = refused_page(client, seed_bytes, "en")
    assert status == 422
    assert "your role lets you import only into «Programa Vecino»" in page  # names as written
    assert "su papel" not in page
    assert Aspect.objects.count() == 0


def test_the_scope_refusal_reads_in_spanish_for_a_spanish_browser(client, seed_bytes):
    status, page = refused_page(client, seed_bytes, "es-MX")
    assert status == 422
    assert "su papel le permite importar solo en «Programa Vecino»" in page


def test_a_file_over_a_limit_is_rejected_in_english(client, seed_bytes, settings):
    from dataclasses import replace

    settings.MEJORA_READING_LIMITS = replace(settings.MEJORA_READING_LIMITS, text_chars=100)
    status, page = refused_page(client, seed_bytes, "en")
    assert status == 422
    assert "The file is over the limit of characters of text in the file" in page
    assert "límite" not in page


def test_a_rejection_naming_its_place_in_the_file_reads_whole_in_english(client):
    text = b"Anexo\n" + b"una l\xc3\xadnea de texto\n" * 200 + b"con \x07 campana\n"
    status, page = refused_page(client, text, "en")
    assert status == 422
    assert "line 202: there is a control character (U+0007)" in page
    assert "línea" not in page and "carácter" not in page
