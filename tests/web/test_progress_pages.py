"""The activity page: who reaches it, capturing progress, replanning, and the whole cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.demo import demo_prepare
from mejora.followup.extract import annex_extract
from mejora.followup.models import Activity, Cut, Program, ProgressReport
from mejora.followup.selectors import activity_facts
from mejora.followup.status import Status
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CutFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

SEPTEMBER = dt.date(2012, 9, 30)


@pytest.fixture
def program() -> Program:
    demo_prepare()
    return Program.objects.get()


@pytest.fixture
def overdue(program) -> Activity:
    """An activity of the sample annex that was overdue at its cut."""
    activities = Activity.objects.filter(aspect__program=program)
    facts = activity_facts(activities, dt.date(2012, 3, 31))
    return next(
        a
        for a in activities.order_by("pk")
        if facts[a.pk].status(dt.date(2012, 3, 31)) is Status.OVERDUE
    )


def personas(program: Program, activity: Activity) -> dict[str, object]:
    own_area = activity.area_roles.first().area
    return {
        "liaison": member(Role.LIAISON, program=program),
        "area": member(Role.AREA_STAFF, area=own_area),
        "evaluator": member(Role.EVALUATOR, institution=program.institution),
        "oversight": member(Role.OVERSIGHT),
        "administrator": member(Role.ADMINISTRATOR),
        "other_area": member(Role.AREA_STAFF, area=AreaFactory(institution=program.institution)),
        "other_liaison": member(Role.LIAISON, program=ActivityFactory().aspect.program),
        "outsider": UserFactory(),
    }


# Reading the page: everyone whose scope reaches the activity; the others a 404. Capturing:
# the liaison, the activity's own area and the administrator; readers get a 403.
EXPECTED = {
    "liaison": (200, 302),
    "area": (200, 302),
    "evaluator": (200, 403),
    "oversight": (200, 403),
    "administrator": (200, 302),
    "other_area": (404, 404),
    "other_liaison": (404, 404),
    "outsider": (404, 404),
}


@pytest.mark.parametrize("persona", EXPECTED)
def test_each_role_reaches_what_it_should(client, program, overdue, persona):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(personas(program, overdue)[persona])
    read, capture = EXPECTED[persona]
    assert client.get(reverse("activity-detail", args=[overdue.pk])).status_code == read
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {"percent": 30, "justification": "Avance parcial."},
    )
    assert response.status_code == capture
    replan = client.post(
        reverse("activity-replan", args=[overdue.pk]),
        {"new_due_text": "diciembre 2013", "justification": "Razón."},
    )
    assert replan.status_code == capture


def test_anonymous_visitors_are_sent_to_log_in(client, program, overdue):
    response = client.get(reverse("activity-detail", args=[overdue.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_form_shows_only_while_a_cut_is_open(client, program, overdue):
    client.force_login(member(Role.LIAISON, program=program))
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert "Registrar avance" not in page
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert "Registrar avance" in page and "Replantear" in page


def test_a_refused_save_keeps_what_was_typed_and_says_why(client, program, overdue):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {"percent": 100, "justification": "Texto que no se pierde", "concluded_text": "30/09/2012"},
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "necesita evidencia" in page and "Texto que no se pierde" in page
    assert not ProgressReport.objects.filter(cut__date=SEPTEMBER).exists()


def test_the_conclusion_date_reading_is_shown(client, program, overdue):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {"percent": 40, "justification": "Avance.", "concluded_text": "01/06/2012"},
        follow=True,
    )
    page = response.content.decode()
    assert "1 de junio de 2012" in page
    assert "día/mes" in page  # the ambiguous reading is named for the person to check


def test_the_second_saver_sees_both_versions_and_keeps_theirs(client, program, overdue):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    first, second = member(Role.LIAISON, program=program), member(Role.ADMINISTRATOR)
    url = reverse("activity-progress", args=[overdue.pk])
    client.force_login(first)
    client.post(url, {"percent": 30, "justification": "Primera versión."})
    seen = ProgressReport.objects.get(cut__date=SEPTEMBER).version
    client.post(
        url, {"percent": 40, "justification": "Lo que guardó la primera.", "seen_version": seen}
    )
    client.force_login(second)
    response = client.post(
        url, {"percent": 55, "justification": "Lo que escribió la segunda.", "seen_version": seen}
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "Otra persona guardó" in page
    assert "Lo que guardó la primera." in page and "Lo que escribió la segunda." in page
    assert ProgressReport.objects.get(cut__date=SEPTEMBER).percent == 40


def test_a_replanning_shows_the_original_promise_beside_the_new_date(client, program, overdue):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    client.post(
        reverse("activity-replan", args=[overdue.pk]),
        {"new_due_text": "diciembre 2013", "justification": "El RENAPO entregó tarde."},
    )
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert overdue.due_text in page and "diciembre 2013" in page
    assert "El RENAPO entregó tarde." in page


def test_the_activity_page_costs_the_same_queries_whatever_its_history(
    client, program, overdue, django_assert_num_queries
):
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("activity-detail", args=[overdue.pk])
    client.get(url)
    few = _count(client, url)
    for n, day in enumerate((1, 2, 3, 4)):
        ProgressReportFactory(
            activity=overdue, cut=CutFactory(date=dt.date(2013, 1, day), name=f"c{n}")
        )
    client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {"percent": 30, "justification": "Ajuste.", "urls": "https://a.mx/1\nhttps://a.mx/2"},
    )
    assert cut.reports.exists()
    client.get(url)  # the first page after a change counts the navigation's pending work afresh
    with django_assert_num_queries(few):
        client.get(url)


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def test_the_whole_cycle_in_the_browser(client, program, overdue):
    admin = member(Role.ADMINISTRATOR)
    liaison = member(Role.LIAISON, program=program)
    evaluator = member(Role.EVALUATOR, institution=program.institution)

    client.force_login(admin)
    response = client.post(
        reverse("cut-list"),
        {"name": "Septiembre 2012", "date": "2012-09-30", "deadline": "2012-10-15"},
    )
    assert response.status_code == 302
    cut = Cut.objects.get(date=SEPTEMBER)

    client.force_login(liaison)
    pending = client.get(reverse("pending")).content.decode()
    assert reverse("activity-detail", args=[overdue.pk]) in pending
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {
            "percent": 100,
            "justification": "Se concluyó la actividad.",
            "concluded_text": "15/09/2012",
            "references": "Oficio DGEMPS/610/2012",
        },
    )
    assert response.status_code == 302
    client.post(reverse("activity-submit", args=[overdue.pk]))
    report = ProgressReport.objects.get(activity=overdue, cut=cut)
    assert report.state == "submitted"

    client.force_login(evaluator)
    queue = client.get(reverse("review-queue")).content.decode()
    assert "Se concluyó la actividad." in queue
    client.post(
        reverse("review-decide", args=[report.pk]),
        {"decision": "return", "reason": "El oficio no trae la fecha de conclusión."},
    )
    report.refresh_from_db()
    assert report.state == "returned"

    client.force_login(liaison)
    assert (
        "El oficio no trae la fecha de conclusión."
        in client.get(reverse("pending")).content.decode()
    )
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert "El oficio no trae la fecha de conclusión." in page
    client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {
            "percent": 100,
            "justification": "Se concluyó la actividad (oficio con fecha).",
            "concluded_text": "15/09/2012",
            "seen_version": report.version,
        },
    )
    client.post(reverse("program-submit", args=[program.pk]))
    report.refresh_from_db()
    assert report.state == "submitted"

    client.force_login(evaluator)
    client.post(reverse("review-decide", args=[report.pk]), {"decision": "validate"})
    report.refresh_from_db()
    assert report.state == "validated"

    doc = annex_extract(program, cut=cut, kind="anexo-e")
    entries = [e for s in doc.sections for a in s.aspects for e in a.activities]
    assert any(e.text == overdue.text and e.percent == 100 for e in entries)
    timeline = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert "marzo 2012" in timeline and "Septiembre 2012" in timeline
    assert "validado" in timeline


def pdf_bytes() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_files_uploaded_with_the_progress_are_kept_and_offered_for_download(
    client, program, overdue, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "uploads"
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    files = [
        SimpleUploadedFile("Minuta de la reunión.pdf", pdf_bytes(), "application/pdf"),
        SimpleUploadedFile("Oficio de conclusión.pdf", pdf_bytes(), "application/pdf"),
    ]
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {
            "percent": 100,
            "justification": "Concluida.",
            "concluded_text": "15/09/2012",
            "files": files,
        },
    )
    assert response.status_code == 302
    report = ProgressReport.objects.get(activity=overdue, cut__date=SEPTEMBER)
    evidence = list(report.evidence.order_by("name"))
    assert [e.name for e in evidence] == ["Minuta de la reunión.pdf", "Oficio de conclusión.pdf"]
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    for item in evidence:
        assert reverse("evidence-download", args=[item.pk]) in page


def test_a_refused_file_saves_nothing(client, program, overdue, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path / "uploads"
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.LIAISON, program=program))
    program_file = SimpleUploadedFile(
        "informe.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"
    )
    response = client.post(
        reverse("activity-progress", args=[overdue.pk]),
        {"percent": 60, "justification": "Avance.", "files": [program_file]},
    )
    assert response.status_code == 422
    assert "programa ejecutable de Windows" in response.content.decode()
    assert not ProgressReport.objects.filter(cut__date=SEPTEMBER).exists()
    assert not list((tmp_path / "uploads").rglob("*.*"))


def test_the_timeline_says_what_changed_in_words(client, program, overdue):
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    from mejora.followup.services.progress import progress_save, progress_submit, progress_validate

    liaison = member(Role.LIAISON, program=program)
    report = progress_save(
        activity=overdue,
        cut=cut,
        actor=liaison,
        percent=90,
        justification="Casi concluida.",
        concluded_text="",
        observations="",
    )
    progress_submit(reports=[report], actor=liaison)
    progress_validate(report=report, actor=member(Role.ADMINISTRATOR))
    client.force_login(liaison)
    page = client.get(reverse("activity-detail", args=[overdue.pk])).content.decode()
    assert "<del>enviado</del> → <ins>validado</ins>" in page
    assert liaison.username in page


def test_the_program_page_shows_drafts_as_such_never_as_the_official_state(
    client, program, overdue
):
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    ProgressReportFactory(activity=overdue, cut=cut, state="draft", percent=100)
    client.force_login(member(Role.LIAISON, program=program))
    response = client.get(reverse("program-detail", args=[program.pk]))
    page = response.content.decode()
    assert response.context["overview"].as_of == dt.date(2012, 3, 31)  # still the validated cut
    assert "En captura (Septiembre 2012)" in page and "Borrador" in page
    assert "Enviar a revisión los reportes del corte Septiembre 2012" in page


def test_the_cut_selector_shows_the_state_at_the_chosen_cut(client, program):
    later = CutFactory(date=SEPTEMBER, name="Septiembre 2012")
    client.force_login(member(Role.OVERSIGHT))
    url = reverse("program-detail", args=[program.pk])
    default = client.get(url)
    assert default.context["chosen_cut"].date == dt.date(2012, 3, 31)
    chosen = client.get(url, {"corte": later.pk})
    assert chosen.context["overview"].as_of == SEPTEMBER
    assert "Enviar a revisión" not in chosen.content.decode()


def test_sending_the_programs_reports_sends_its_drafts_and_returned_ones(client, program, overdue):
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    others = Activity.objects.filter(aspect__program=program).exclude(pk=overdue.pk)[:2]
    draft = ProgressReportFactory(activity=overdue, cut=cut, state="draft", percent=30)
    returned = ProgressReportFactory(activity=others[0], cut=cut, state="returned", percent=40)
    foreign = ProgressReportFactory(cut=cut, state="draft", percent=50)
    client.force_login(member(Role.LIAISON, program=program))
    response = client.post(reverse("program-submit", args=[program.pk]))
    assert response.status_code == 302
    states = {r.pk: r.state for r in ProgressReport.objects.filter(cut=cut)}
    assert (states[draft.pk], states[returned.pk], states[foreign.pk]) == (
        "submitted",
        "submitted",
        "draft",
    )


def test_readers_cannot_send_a_programs_reports(client, program):
    CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    client.force_login(member(Role.OVERSIGHT))
    assert client.post(reverse("program-submit", args=[program.pk])).status_code == 403


def test_the_program_page_with_an_open_cut_costs_the_same_queries_whatever_is_captured(
    client, program, django_assert_num_queries
):
    cut = CutFactory(date=SEPTEMBER, name="Septiembre 2012", state=Cut.State.OPEN)
    activities = list(Activity.objects.filter(aspect__program=program).order_by("pk"))
    ProgressReportFactory(activity=activities[0], cut=cut, state="draft")
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    client.get(url)
    few = _count(client, url)
    for n, activity in enumerate(activities[1:12]):
        ProgressReportFactory(activity=activity, cut=cut, state=("draft", "submitted")[n % 2])
    with django_assert_num_queries(few):
        page = client.get(url).content.decode()
    assert page.count("badge report-draft") == 7 and page.count("badge report-submitted") == 5
