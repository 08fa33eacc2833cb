"""An evidence file is handed over as an attachment, to those who may read its report only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.models import ActivityArea, Cut, ProgressReport
from mejora.followup.services.evidence import evidence_add
from tests.factories import AreaFactory, CutFactory, ProgressReportFactory, member
from tests.followup.test_evidence import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def report() -> ProgressReport:
    cut = CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN)
    report = ProgressReportFactory(cut=cut, state=ProgressReport.State.DRAFT)
    area = AreaFactory(institution=report.activity.aspect.program.institution)
    ActivityArea.objects.create(
        activity=report.activity, area=area, role=ActivityArea.Role.RESPONSIBLE, position=1
    )
    return report


@pytest.fixture
def liaison(report):
    return member(Role.LIAISON, program=report.activity.aspect.program)


def add_file(report, actor, name: str, data: bytes):
    return evidence_add(report=report, actor=actor, file=SimpleUploadedFile(name, data))


def test_the_file_is_an_attachment_with_its_type_and_nothing_to_run(client, report, liaison):
    data = pdf_bytes()
    evidence = add_file(report, liaison, "Oficio núm. 123.pdf", data)
    client.force_login(liaison)

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('Oficio núm. 123.pdf')}"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_an_image_keeps_its_detected_type_yet_is_never_shown_inline(client, report, liaison):
    evidence = add_file(report, liaison, "Foto.png", image_bytes("PNG"))
    client.force_login(liaison)

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_file_recorded_without_a_type_goes_as_bytes(client, report, liaison):
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())
    type(evidence).objects.filter(pk=evidence.pk).update(content_type="")
    client.force_login(liaison)

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("reader", ["liaison", "area", "evaluator", "oversight", "administrator"])
def test_those_who_read_the_report_may_download(client, report, liaison, reader):
    program = report.activity.aspect.program
    people = {
        "liaison": liaison,
        "area": lambda: member(Role.AREA_STAFF, area=report.activity.area_roles.get().area),
        "evaluator": lambda: member(Role.EVALUATOR, institution=program.institution),
        "oversight": lambda: member(Role.OVERSIGHT),
        "administrator": lambda: member(Role.ADMINISTRATOR),
    }
    person = people[reader]
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())
    client.force_login(person if reader == "liaison" else person())

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("outsider", ["other_program", "other_area", "other_institution"])
def test_a_file_of_another_programs_activity_is_not_found(client, report, liaison, outsider):
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())
    elsewhere = ProgressReportFactory()
    people = {
        "other_program": lambda: member(Role.LIAISON, program=elsewhere.activity.aspect.program),
        "other_area": lambda: member(Role.AREA_STAFF, area=AreaFactory()),
        "other_institution": lambda: member(
            Role.EVALUATOR, institution=elsewhere.activity.aspect.program.institution
        ),
    }
    client.force_login(people[outsider]())

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 404


def test_someone_not_signed_in_is_sent_to_sign_in(client, report, liaison):
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("given", [{"url": "https://www.gob.mx/oficio.pdf"}, {"reference": "Of 1"}])
def test_a_link_or_reference_has_no_download(client, report, liaison, given):
    evidence = evidence_add(report=report, actor=liaison, **given)
    client.force_login(liaison)

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 404


def test_a_file_missing_from_the_storage_is_not_found_rather_than_an_error(client, report, liaison):
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())
    default_storage.delete(evidence.file.name)
    client.force_login(liaison)

    response = client.get(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 404


def test_the_download_does_not_take_a_post(client, report, liaison):
    evidence = add_file(report, liaison, "Oficio.pdf", pdf_bytes())
    client.force_login(liaison)

    response = client.post(reverse("evidence-download", args=[evidence.pk]))

    assert response.status_code == 405
