"""Importing a scanned annex: from the command line and from the page, where each cell the
OCR doubted is shown as the image of the cell beside its reading; without Tesseract, the
import says what to install and writes nothing."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.annex.parsers import ocr, scan
from mejora.annex.synth import synth_document
from mejora.cli import EXIT_OK, EXIT_REJECTED, main
from mejora.followup.models import Activity, Aspect
from tests.annex.scans import Spoil, scan_file
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import SEED_INSTITUTION, InstitutionFactory, member

pytestmark = [
    pytest.mark.django_db(databases=["default", "tasks"]),
    pytest.mark.skipif(not ocr.tesseract_ready(), reason="Tesseract con español no está instalado"),
]


@pytest.fixture(scope="module")
def annex():
    return synth_document(aspects=1, seed=5, kind="documento-trabajo")


@pytest.fixture(scope="module")
def scanned(annex) -> bytes:
    """One page fed sideways, a little askew, noisy, with a logo and a signature: a PNG."""
    return scan_file(annex, Spoil(dpi=150, turn=90, skew=1.0, noise=20, stamps=True), kind="png")


def test_the_command_imports_a_scanned_annex(tmp_path, capsys, annex, scanned):
    path = tmp_path / "anexo-escaneado.png"
    path.write_bytes(scanned)
    assert main(["import", str(path)]) == EXIT_OK
    assert Aspect.objects.count() == sum(len(s.aspects) for s in annex.sections)
    assert Activity.objects.count() == sum(
        len(a.activities) for s in annex.sections for a in s.aspects
    )


def test_without_tesseract_the_command_says_what_to_install_and_writes_nothing(
    tmp_path, capsys, scanned, monkeypatch
):
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    path = tmp_path / "anexo-escaneado.tif"
    path.write_bytes(scanned)
    assert main(["import", str(path)]) == EXIT_REJECTED
    assert "apt-get install tesseract-ocr tesseract-ocr-spa" in capsys.readouterr().err
    assert Aspect.objects.count() == 0


@pytest.fixture
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


def test_the_review_page_shows_each_doubtful_cell_as_its_image(
    client, uploads_in_tmp, scanned, monkeypatch
):
    monkeypatch.setattr(scan, "DOUBT_BELOW", 101)  # every cell read is a doubt to look at
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION))
    client.force_login(person)
    file = SimpleUploadedFile("anexo-escaneado.png", scanned)
    review_url = client.post(reverse("import-upload"), {"file": file}).url
    page = client.get(review_url).content.decode()
    images = re.findall(r'<img src="([^"]+\.png)" alt="Imagen de la celda en el escaneo"', page)
    assert images, "a doubtful cell is shown as its image"
    # A doubtful date is corrected there, as any date the reading doubted.
    rows = re.findall(r'<tr data-kind="ocr_doubt" id="hallazgo-(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    due = next(row for _, row in rows if "Fecha de Término" in row)
    assert 'placeholder="30/06/2012 o junio 2012"' in due
    response = client.get(images[0])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    # Someone else who may import sees neither the upload nor its cells.
    client.force_login(member(Role.EVALUATOR, institution=InstitutionFactory(name="Otra")))
    assert client.get(images[0]).status_code == 404
