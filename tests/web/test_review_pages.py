"""The review queue and the cuts page: who reaches them, what they do, what they cost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.models import Cut, ProgressReport
from tests.factories import (
    CutFactory,
    InstitutionFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

SEPTEMBER = dt.date(2012, 9, 30)


@pytest.fixture
def cut() -> Cut:
    return CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)


@pytest.fixture
def report(cut) -> ProgressReport:
    return ProgressReportFactory(
        cut=cut, state=ProgressReport.State.SUBMITTED, justification="Se capacitó al personal."
    )


def personas(report: ProgressReport) -> dict[str, object]:
    program = report.activity.aspect.program
    return {
        "liaison": member(Role.LIAISON, program=program),
        "evaluator": member(Role.EVALUATOR, institution=program.institution),
        "evaluator_elsewhere": member(Role.EVALUATOR, institution=InstitutionFactory()),
        "oversight": member(Role.OVERSIGHT),
        "administrator": member(Role.ADMINISTRATOR),
        "outsider": UserFactory(),
    }


# The queue: reviewers see it (those of another institution see it empty); the others are
# told their role does not review. A decision on a report: 404 outside its scope, 403 where
# the person may read it but not review it.
EXPECTED = {
    "liaison": (403, 403),
    "evaluator": (200, 302),
    "evaluator_elsewhere": (200, 404),
    "oversight": (403, 403),
    "administrator": (200, 302),
    "outsider": (403, 404),
}


@pytest.mark.parametrize("persona", EXPECTED)
def test_each_role_reaches_what_it_should(client, report, persona):
    client.force_login(personas(report)[persona])
    queue, decide = EXPECTED[persona]
    response = client.get(reverse("review-queue"))
    assert response.status_code == queue
    if queue == 200:
        listed = "Se capacitó al personal." in response.content.decode()
        assert listed == (persona != "evaluator_elsewhere")
    response = client.post(reverse("review-decide", args=[report.pk]), {"decision": "validate"})
    assert response.status_code == decide
    report.refresh_from_db()
    assert report.state == ("validated" if decide == 302 else "submitted")


def test_returning_needs_a_reason_and_keeps_the_report_waiting(client, report):
    client.force_login(
        member(Role.EVALUATOR, institution=report.activity.aspect.program.institution)
    )
    response = client.post(reverse("review-decide", args=[report.pk]), {"decision": "return"})
    assert response.status_code == 422
    report.refresh_from_db()
    assert report.state == "submitted"


def test_returning_with_a_reason_sends_it_back(client, report):
    client.force_login(
        member(Role.EVALUATOR, institution=report.activity.aspect.program.institution)
    )
    client.post(
        reverse("review-decide", args=[report.pk]),
        {"decision": "return", "reason": "Falta el oficio de conclusión."},
    )
    report.refresh_from_db()
    assert (report.state, report.return_reason) == ("returned", "Falta el oficio de conclusión.")


def test_a_report_already_decided_is_refused_in_spanish(client, report):
    client.force_login(member(Role.ADMINISTRATOR))
    client.post(reverse("review-decide", args=[report.pk]), {"decision": "validate"})
    response = client.post(reverse("review-decide", args=[report.pk]), {"decision": "validate"})
    assert response.status_code == 422
    assert "solo se revisa un reporte enviado" in response.content.decode()


def test_the_queue_costs_the_same_queries_whatever_waits(client, cut, django_assert_num_queries):
    client.force_login(member(Role.ADMINISTRATOR))
    ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    client.get(reverse("review-queue"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("review-queue"))
    for _ in range(12):
        ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    with django_assert_num_queries(len(few)):
        page = client.get(reverse("review-queue")).content.decode()
    assert page.count('name="decision" value="validate"') == 13


# Cuts: only an administrator opens and closes them.


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMINISTRATOR, 200), (Role.EVALUATOR, 403), (Role.OVERSIGHT, 403)],
)
def test_only_an_administrator_reaches_the_cuts(client, role, status):
    client.force_login(member(role))
    assert client.get(reverse("cut-list")).status_code == status
    client.post(reverse("cut-list"), {"name": "Septiembre 2012", "date": "2012-09-30"})
    assert Cut.objects.filter(date=SEPTEMBER).exists() == (status == 200)


def test_an_administrator_opens_and_closes_a_cut(client):
    client.force_login(member(Role.ADMINISTRATOR))
    response = client.post(
        reverse("cut-list"),
        {"name": "Septiembre 2012", "date": "2012-09-30", "deadline": "2012-10-15"},
    )
    assert response.status_code == 302
    cut = Cut.objects.get(date=SEPTEMBER)
    assert (cut.state, cut.deadline) == ("open", dt.date(2012, 10, 15))
    page = client.get(reverse("cut-list")).content.decode()
    assert "Cerrar el corte Septiembre 2012" in page
    client.post(reverse("cut-close", args=[cut.pk]))
    cut.refresh_from_db()
    assert cut.state == "closed"


def test_a_second_open_cut_is_refused_on_the_page(client, cut):
    client.force_login(member(Role.ADMINISTRATOR))
    response = client.post(reverse("cut-list"), {"name": "Diciembre 2012", "date": "2012-12-31"})
    assert response.status_code == 422
    assert "sigue abierto" in response.content.decode()


def test_the_cuts_page_costs_the_same_queries_whatever_the_number_of_cuts(
    client, django_assert_num_queries
):
    client.force_login(member(Role.ADMINISTRATOR))
    CutFactory(date=dt.date(2010, 3, 31), name="marzo 2010")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("cut-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cut-list"))
    for year in range(2000, 2010):
        CutFactory(date=dt.date(year, 3, 31), name=f"marzo {year}")
    with django_assert_num_queries(len(few)):
        client.get(reverse("cut-list"))


# Annexes imported from the page: a liaison's progress waits for review; the unit's is official.


@pytest.mark.django_db(databases=["default", "tasks"])
@pytest.mark.parametrize(("role", "state"), [("liaison", "submitted"), ("evaluator", "validated")])
def test_an_import_from_the_page_is_official_only_when_the_unit_brings_it(
    client, seed_bytes, settings, tmp_path, role, state
):
    import re

    from django.core.files.uploadedfile import SimpleUploadedFile

    from mejora.followup.models import AnnexImport, Program
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256
    from tests.factories import SEED_INSTITUTION

    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    document = annex_read(seed_bytes)
    # The program is in the record (its commitments), its progress not yet.
    annex_import(
        document=document, file_name="a.txt", sha256=file_sha256(seed_bytes), file_format="txt"
    )
    ProgressReport.objects.all().delete()
    # A liaison's import is sent for review, so only at an open cut.
    Cut.objects.filter(date=dt.date(2012, 3, 31)).update(state=Cut.State.OPEN)
    program = Program.objects.get()
    person = (
        member(Role.LIAISON, program=program)
        if role == "liaison"
        else member(Role.EVALUATOR, institution=program.institution)
    )
    assert program.institution.name == SEED_INSTITUTION
    client.force_login(person)
    review_url = client.post(
        reverse("import-upload"), {"file": SimpleUploadedFile("anexo-e.txt", seed_bytes)}
    ).url
    page = client.get(review_url).content.decode()
    stamp = re.search(r'name="stamp" value="([0-9a-z]+)"', page).group(1)
    client.post(review_url, {"stamp": stamp, "confirmo_todo": "on"}, follow=True)
    assert set(ProgressReport.objects.values_list("state", flat=True)) == {state}
    assert AnnexImport.objects.filter(imported_by=person).get().as_validated == (
        state == "validated"
    )
