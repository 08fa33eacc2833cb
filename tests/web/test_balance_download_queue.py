"""The balance's PDF and XLSX are printed by the queue's worker, not inside the request: the
download shows progress, then hands over the print (read back with pypdf and openpyxl); the
same figures over the same reach reuse it; another reach, a changed record or another language
prints anew; a print never holds more than its reader reaches.

The queue is the real database backend, run by the worker in this process, as in
tests/followup/test_jobs.py.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from mejora.accounts.models import Membership, Role
from mejora.followup.models import Aspect, Classification
from mejora.followup.services.commitments import aspect_update
from mejora.stats.balance_printing import CHANGED
from mejora.tasks.models import Job
from mejora.tasks.worker import worker_run
from tests.factories import UserFactory, member
from tests.stats import coneval

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

FIGURES = ("243", "79%", "73.4%", "5.9%", "18.1%")


@pytest.fixture(autouse=True)
def database_queue(settings, monkeypatch, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker closes connections between tasks as a request does; inside the test's
    # transaction that would end it (tests/followup/test_queue.py runs real processes).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


@pytest.fixture
def record():
    return coneval.build()


def oversight_reader(name: str):
    user = UserFactory(username=name)
    Membership.objects.create(user=user, role=Role.OVERSIGHT)
    return user


def reclassify_a_concluded_aspect() -> Aspect:
    """A concluded interinstitucional ASM is registered again as institucional: it now counts
    towards the compliance rate, 189 of 239."""
    aspect = Aspect.objects.filter(
        classification=Classification.INTERINSTITUTIONAL, change_kind=Aspect.ChangeKind.CORRECT
    ).first()
    return reclassify(aspect, Classification.INSTITUTIONAL)


def reclassify(aspect: Aspect, classification: str) -> Aspect:
    aspect.refresh_from_db()
    return aspect_update(
        aspect=aspect,
        number=aspect.number,
        text=aspect.statement,  # without the "Operación:" the factory writes before it
        theme=aspect.theme,
        classification=classification,
        priority=aspect.priority,
        change_kind=aspect.change_kind,
        evaluation=None,
        recommendation=None,
        registered_on=aspect.registered_on,
        seen_version=aspect.version,
        actor=member(Role.LIAISON, program=aspect.program),
    )


def run_the_queue() -> None:
    worker_run(batch=True, interval=0)


def download(client, record, file_format: str, *, language: str = "es-mx", **query):
    url = reverse("balance-download", args=[file_format])
    query = {"cycle": record.cycle.pk, "as_of": "2019-03-31", **query}
    return client.get(url, query, headers={"accept-language": language})


def prints(tmp_path, file_format: str) -> list[str]:
    return sorted(p.name for p in (tmp_path / "trabajos").glob(f"balance-{file_format}-*"))


def pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    return "\n".join(page.extract_text() for page in reader.pages)


def xlsx_book(response):
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_pdf_is_printed_by_the_worker_while_the_page_shows_progress(client, record, tmp_path):
    client.force_login(oversight_reader("coneval"))

    page = download(client, record, "pdf")
    assert page.status_code == 202
    body = page.content.decode()
    assert "Preparando el balance (PDF)" in body and "progreso=1" in body
    assert download(client, record, "pdf", progreso="1").json()["finished"] is False
    assert not prints(tmp_path, "pdf"), "nothing is printed inside the request"
    assert DBTaskResult.objects.count() == 1, "waiting, asked twice, queued once"

    run_the_queue()
    state = download(client, record, "pdf", progreso="1").json()
    assert state["finished"] and not state["error"] and state["percent"] == 100

    response = download(client, record, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="balance-2018-2019-03-31.pdf"' in response["Content-Disposition"]
    text = pdf_text(response)
    for figure in FIGURES:
        assert figure in text
    assert "138 (73.4%)" in text  # the chart's label, drawn as SVG text
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_spreadsheet_is_printed_by_the_worker_with_the_same_figures(client, record, tmp_path):
    client.force_login(oversight_reader("coneval"))
    assert download(client, record, "xlsx").status_code == 202
    run_the_queue()

    response = download(client, record, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="balance-2018-2019-03-31.xlsx"' in response["Content-Disposition"]
    book = xlsx_book(response)
    summary = {row[0]: row[1] for row in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert (summary["ASM"], summary["Concluidos"]) == (243, 188)
    assert round(summary["Cumplimiento"] * 100) == 79
    programs = [row[0] for row in book["Cumplimiento por programa"].iter_rows(min_row=3)]
    assert len(programs) == 103
    assert len(prints(tmp_path, "xlsx")) == 1 and not prints(tmp_path, "pdf")


def test_the_same_figures_over_the_same_reach_reuse_one_print(client, record, tmp_path):
    client.force_login(oversight_reader("coneval"))
    download(client, record, "pdf")
    run_the_queue()
    first = b"".join(download(client, record, "pdf").streaming_content)

    # Another reader who reaches the same ASM gets the same print, without a new task.
    client.force_login(oversight_reader("shcp"))
    again = download(client, record, "pdf")
    assert again.status_code == 200
    assert b"".join(again.streaming_content) == first
    assert DBTaskResult.objects.count() == 1 and Job.objects.count() == 1
    assert len(prints(tmp_path, "pdf")) == 1


def test_readers_of_different_reach_never_receive_each_others_print(client, record, tmp_path):
    overseer = oversight_reader("coneval")
    liaison = member(Role.LIAISON, program=record.programs[0])
    client.force_login(overseer)
    download(client, record, "xlsx")
    run_the_queue()
    assert download(client, record, "xlsx").status_code == 200

    client.force_login(liaison)
    waiting = download(client, record, "xlsx")
    assert waiting.status_code == 202, "the overseer's print is not the liaison's"
    run_the_queue()
    book = xlsx_book(download(client, record, "xlsx"))
    programs = [row[0] for row in book["Cumplimiento por programa"].iter_rows(min_row=3)]
    assert [cell.value for cell in programs] == ["S000 Programa 000"]
    summary = {row[0]: row[1] for row in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert summary["ASM"] < 243
    assert len(prints(tmp_path, "xlsx")) == 2 and Job.objects.count() == 2


def test_a_change_to_the_record_prints_anew_and_drops_the_old_print(client, record, tmp_path):
    client.force_login(oversight_reader("coneval"))
    download(client, record, "xlsx")
    run_the_queue()
    old = prints(tmp_path, "xlsx")

    reclassify_a_concluded_aspect()
    assert download(client, record, "xlsx").status_code == 202
    run_the_queue()
    book = xlsx_book(download(client, record, "xlsx"))
    summary = {row[0]: row[1] for row in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert (summary["ASM específicos e institucionales"], summary["Concluidos"]) == (239, 189)
    now = prints(tmp_path, "xlsx")
    assert len(now) == 1 and now != old, "the print of a state the record left is removed"


def test_a_balance_that_changed_before_the_worker_printed_it_is_refused_then_asked_anew(
    client, record, tmp_path
):
    client.force_login(oversight_reader("coneval"))
    download(client, record, "pdf")
    reclassify_a_concluded_aspect()
    run_the_queue()
    refused = Job.objects.get()
    assert refused.finished and refused.error == CHANGED
    assert not prints(tmp_path, "pdf"), "nothing stored under a name it does not match"

    # Asked again, the download names the balance as it is now and prints it.
    assert download(client, record, "pdf").status_code == 202
    run_the_queue()
    response = download(client, record, "pdf")
    assert response.status_code == 200
    assert "189" in pdf_text(response)


def test_a_refused_print_is_asked_anew_even_when_the_record_is_back_as_it_was(
    client, record, tmp_path
):
    """The figures first asked for, back since (a change undone), are printed when asked for
    again, not refused again and again by the job the refusal left under their name."""
    client.force_login(oversight_reader("coneval"))
    download(client, record, "pdf")
    aspect = reclassify_a_concluded_aspect()
    run_the_queue()
    assert Job.objects.get().error == CHANGED

    reclassify(aspect, Classification.INTERINSTITUTIONAL)
    assert download(client, record, "pdf").status_code == 202
    run_the_queue()
    response = download(client, record, "pdf")
    assert response.status_code == 200
    assert "188" in pdf_text(response)


def test_a_reader_whose_reach_grew_before_the_worker_printed_gets_no_wider_print(
    client, record, tmp_path
):
    liaison = member(Role.LIAISON, program=record.programs[0])
    client.force_login(liaison)
    download(client, record, "xlsx")
    # Named after the program's ASM, the print must not hold the whole government's.
    Membership.objects.create(user=liaison, role=Role.OVERSIGHT)
    run_the_queue()
    assert Job.objects.get().error == CHANGED
    assert not prints(tmp_path, "xlsx")

    download(client, record, "xlsx")
    run_the_queue()
    book = xlsx_book(download(client, record, "xlsx"))
    summary = {row[0]: row[1] for row in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert summary["ASM"] == 243, "asked again, the print is of the reach the reader has now"


def test_the_reader_s_language_is_the_print_s(client, record):
    client.force_login(oversight_reader("coneval"))
    assert download(client, record, "xlsx").status_code == 202
    assert download(client, record, "xlsx", language="en").status_code == 202
    run_the_queue()
    assert Job.objects.count() == 2, "one print per language"
    spanish = xlsx_book(download(client, record, "xlsx"))
    english = xlsx_book(download(client, record, "xlsx", language="en"))
    assert "Resumen" in spanish.sheetnames and "Summary" in english.sheetnames


def test_a_print_swept_from_the_storage_is_printed_again(client, record, tmp_path):
    client.force_login(oversight_reader("coneval"))
    download(client, record, "pdf")
    run_the_queue()
    for name in prints(tmp_path, "pdf"):
        (tmp_path / "trabajos" / name).unlink()

    response = download(client, record, "pdf")
    assert response.status_code == 302
    assert download(client, record, "pdf").status_code == 202
    run_the_queue()
    assert download(client, record, "pdf").status_code == 200
