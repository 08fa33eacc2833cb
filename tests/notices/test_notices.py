"""Notices by e-mail: who hears of a return, a validation, a submission, an overdue activity
and a cut's coming deadline; in their language, with the page's link, once per event."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mejora.accounts.models import Role
from mejora.followup.models import ActivityArea, ChangeRecord, Cut, ProgressReport
from mejora.followup.services.progress import (
    activity_replan,
    progress_return,
    progress_save,
    progress_submit,
    progress_validate,
)
from mejora.notices import tasks
from mejora.notices.models import Kind, Language, Notice, NoticePreference
from mejora.notices.sending import notice_render
from mejora.tasks.reminders import reminders_run
from mejora.tasks.worker import worker_run
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    InstitutionFactory,
    ProgramFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
BASE = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def immediate_queue(settings):
    settings.TASKS = IMMEDIATE
    settings.MEJORA_BASE_URL = BASE
    settings.MEJORA_REMINDER_DAYS = ["7", "2"]


def person(role: Role, email: str, **scope):
    user = member(role, **scope)
    user.email = email
    user.first_name = email.split("@")[0].title()
    user.save()
    return user


def prefer(user, **choices) -> None:
    NoticePreference.objects.update_or_create(user=user, defaults=choices)


class World:
    """Two programs of one institution, one of another; one person per role around them."""

    def __init__(self) -> None:
        institution = InstitutionFactory()
        self.program = ProgramFactory(institution=institution, name="Opciones Productivas")
        self.other_program = ProgramFactory(institution=institution)
        self.area = AreaFactory(institution=institution)
        self.activity = ActivityFactory(
            aspect=AspectFactory(program=self.program),
            text="Depurar el padrón con la CURP",
            due_on=dt.date(2012, 12, 31),
            due_text="31/12/2012",
        )
        ActivityArea.objects.create(
            activity=self.activity, area=self.area, role="responsible", position=1
        )
        self.other_activity = ActivityFactory(
            aspect=AspectFactory(program=self.other_program), due_on=dt.date(2012, 12, 31)
        )
        self.cut = CutFactory(
            date=dt.date(2012, 9, 30),
            name="Septiembre 2012",
            state=Cut.State.OPEN,
            deadline=dt.date(2012, 10, 15),
        )
        self.liaison = person(Role.LIAISON, "enlace@example.org", program=self.program)
        self.other_liaison = person(Role.LIAISON, "otro@example.org", program=self.other_program)
        self.area_staff = person(Role.AREA_STAFF, "area@example.org", area=self.area)
        self.evaluator = person(Role.EVALUATOR, "dgemps@example.org", institution=institution)
        self.evaluator_of_all = person(Role.EVALUATOR, "coneval@example.org")
        self.foreign_evaluator = person(
            Role.EVALUATOR, "ajeno@example.org", institution=InstitutionFactory()
        )

    def submitted_report(self, percent: int = 40) -> ProgressReport:
        report = progress_save(
            activity=self.activity,
            cut=self.cut,
            actor=self.liaison,
            percent=percent,
            justification="Se depuró parte del padrón.",
            concluded_text="",
            observations="",
        )
        [report] = progress_submit(reports=[report], actor=self.liaison)
        return report


@pytest.fixture
def world() -> World:
    return World()


def sent_to(kind: Kind) -> list[str]:
    return sorted(
        message.to[0]
        for message in mail.outbox
        if Notice.objects.filter(kind=kind, email=message.to[0], subject=message.subject).exists()
    )


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(7)))


# What every notice says, in either language.

CONTEXTS = {
    Kind.RETURNED: lambda w, r: {"report": r, "activity": w.activity, "program": w.program},
    Kind.VALIDATED: lambda w, r: {"report": r, "activity": w.activity, "program": w.program},
    Kind.SUBMITTED: lambda w, r: {"reports": [r], "sender": w.liaison},
    Kind.OVERDUE: lambda w, r: {"activity": w.activity, "program": w.program, "due": None},
    Kind.DEADLINE: lambda w, r: {
        "cut": w.cut,
        "days_left": 7,
        "pending": {"to_capture": [w.activity], "to_fix": [r]},
    },
}


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("language", Language.values)
def test_every_notice_renders_a_subject_line_a_greeting_and_its_link(world, kind, language):
    report = ProgressReportFactory(
        activity=world.activity, cut=world.cut, return_reason="Falta la evidencia."
    )
    context = CONTEXTS[kind](world, report) | {
        "person": world.liaison,
        "link": f"{BASE}/donde/",
        "preferences_link": f"{BASE}/avisos/",
    }
    subject, body = notice_render(kind, language, context)
    greeting = "Hola Enlace:" if language == "es-mx" else "Hello Enlace,"
    assert subject and "\n" not in subject and "{" not in subject + body
    assert body.startswith(greeting)
    assert f"{BASE}/donde/" in body and f"{BASE}/avisos/" in body


# Returns and validations: to the report's people.


def test_a_returned_report_tells_its_liaison_the_reason_and_links_to_the_activity(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta el padrón depurado.")
    [message] = mail.outbox
    assert message.to == ["enlace@example.org"]
    assert (
        message.subject.startswith("Reporte devuelto: ")
        and "Opciones Productivas" in message.subject
    )
    assert "Falta el padrón depurado." in message.body
    assert f"{BASE}/actividades/{world.activity.pk}/" in message.body
    notice = Notice.objects.get(kind=Kind.RETURNED)
    assert (notice.recipient, notice.email, notice.link) == (
        world.liaison,
        "enlace@example.org",
        f"{BASE}/actividades/{world.activity.pk}/",
    )


def test_a_report_sent_by_area_staff_is_returned_to_them_and_to_the_liaison(
    world, django_capture_on_commit_callbacks
):
    report = progress_save(
        activity=world.activity,
        cut=world.cut,
        actor=world.area_staff,
        percent=30,
        justification="Avance del área.",
        concluded_text="",
        observations="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        progress_submit(reports=[report], actor=world.area_staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta la evidencia.")
    assert sorted(m.to[0] for m in mail.outbox) == ["area@example.org", "enlace@example.org"]
    assert "otro@example.org" not in [m.to[0] for m in mail.outbox]


def test_a_person_who_chose_english_reads_the_return_in_english(
    world, django_capture_on_commit_callbacks
):
    prefer(world.liaison, language=Language.ENGLISH)
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta el padrón depurado.")
    [message] = mail.outbox
    assert (
        message.subject.startswith("Report returned: ")
        and "Opciones Productivas" in message.subject
    )
    assert "Reason for the return:\nFalta el padrón depurado." in message.body


def test_a_validated_report_tells_its_liaison(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report(percent=60)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        progress_validate(report=report, actor=world.evaluator_of_all)
    [message] = mail.outbox
    assert message.to == ["enlace@example.org"]
    assert "validó el reporte" in message.body and "(60%)" in message.body
    assert f"{BASE}/actividades/{world.activity.pk}/" in message.body


def test_a_review_that_is_rolled_back_tells_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    mail.outbox.clear()
    with (
        pytest.raises(RuntimeError),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        progress_return(report=report, actor=world.evaluator, reason="Falta evidencia.")
        raise RuntimeError("something later in the same transaction fails")
    assert mail.outbox == [] and not Notice.objects.filter(kind=Kind.RETURNED).exists()


# Submissions: to the evaluation unit of the program's institution, and of all of them.


def test_submitted_reports_tell_the_evaluation_unit_and_nobody_else(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.submitted_report()
    assert sorted(m.to[0] for m in mail.outbox) == ["coneval@example.org", "dgemps@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Un reporte de avance espera su revisión"
    assert "Opciones Productivas" in message.body and "40%" in message.body
    assert f"{BASE}/revision/" in message.body


def test_a_digest_is_not_sent_to_who_opted_out_of_digests(
    world, django_capture_on_commit_callbacks
):
    prefer(world.evaluator, digests_off=True)
    with django_capture_on_commit_callbacks(execute=True):
        world.submitted_report()
    assert [m.to[0] for m in mail.outbox] == ["coneval@example.org"]


# Overdue activities, found by `mejora remind`.


def test_an_activity_that_becomes_overdue_tells_its_liaison_and_area_once(world):
    reminders_run(now=at(dt.date(2013, 1, 3)))
    told = sorted(m.to[0] for m in mail.outbox)
    # Each activity's own people: the other program's liaison hears of its own activity.
    assert told == ["area@example.org", "enlace@example.org", "otro@example.org"]
    mine = next(m for m in mail.outbox if m.to[0] == "enlace@example.org")
    assert mine.subject.startswith("Actividad vencida: ") and "Opciones Productivas" in mine.subject
    assert f"{BASE}/actividades/{world.activity.pk}/" in mine.body
    mail.outbox.clear()
    reminders_run(now=at(dt.date(2013, 1, 3)))
    reminders_run(now=at(dt.date(2013, 1, 4)))
    assert mail.outbox == [], "sent once however often `mejora remind` runs"


def test_a_concluded_or_replanned_activity_is_not_overdue(world):
    ProgressReportFactory(activity=world.other_activity, cut=world.cut, percent=100)
    activity_replan(
        activity=world.activity,
        cut=world.cut,
        actor=world.liaison,
        new_due_text="30/06/2013",
        new_text="",
        justification="El padrón se entrega en 2013.",
    )
    reminders_run(now=at(dt.date(2013, 1, 3)))
    assert mail.outbox == []
    reminders_run(now=at(dt.date(2013, 7, 2)))
    assert sorted(m.to[0] for m in mail.outbox) == ["area@example.org", "enlace@example.org"]
    assert "30 de junio de 2013" in mail.outbox[0].body.lower(), "the replanned date"


def test_an_activity_overdue_for_long_is_not_announced_as_news(world):
    reminders_run(now=at(dt.date(2013, 6, 1)))
    assert mail.outbox == []


# A cut's deadline: 7 and 2 days before, to whoever still has something to do.


def test_the_deadline_reminds_who_has_something_to_capture_7_and_2_days_before(world):
    world.other_activity.delete()
    days = {}
    for day in range(1, 16):
        mail.outbox.clear()
        reminders_run(now=at(dt.date(2012, 10, day)))
        days[day] = sorted(m.to[0] for m in mail.outbox)
    people = ["area@example.org", "enlace@example.org"]
    assert days[8] == people and days[13] == people, "7 and 2 days before the 15th"
    assert all(days[d] == [] for d in days if d not in (8, 13))


def test_the_deadline_reminder_lists_the_persons_pending_work_and_links_to_it(world):
    world.other_activity.delete()
    reminders_run(now=at(dt.date(2012, 10, 8)))
    message = next(m for m in mail.outbox if m.to[0] == "enlace@example.org")
    assert message.subject == "En 7 días vence el envío del corte «Septiembre 2012»"
    assert "Depurar el padrón con la CURP" in message.body
    assert f"{BASE}/pendientes/" in message.body


def test_who_sent_everything_is_not_reminded_but_a_returned_report_is_pending(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    world.other_activity.delete()
    mail.outbox.clear()
    reminders_run(now=at(dt.date(2012, 10, 8)))
    assert mail.outbox == [], "nothing left to capture"
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta la evidencia.")
    mail.outbox.clear()
    reminders_run(now=at(dt.date(2012, 10, 13)))
    message = next(m for m in mail.outbox if m.to[0] == "enlace@example.org")
    assert "Devueltos, por corregir" in message.body and "Falta la evidencia." in message.body


def test_a_run_missed_on_the_day_reminds_on_the_next_and_the_days_are_configurable(world, settings):
    settings.MEJORA_REMINDER_DAYS = ["3"]
    reminders_run(now=at(dt.date(2012, 10, 8)))
    assert mail.outbox == [], "7 days before is no longer a reminder day"
    reminders_run(now=at(dt.date(2012, 10, 14)))
    assert "enlace@example.org" in [m.to[0] for m in mail.outbox]
    assert mail.outbox[0].subject.startswith("Mañana vence")


def test_opting_out_of_reminders_stops_them_but_not_the_return_of_a_report(
    world, django_capture_on_commit_callbacks
):
    prefer(world.liaison, reminders_off=True)
    world.other_activity.delete()
    reminders_run(now=at(dt.date(2012, 10, 8)))
    reminders_run(now=at(dt.date(2013, 1, 3)))
    assert "enlace@example.org" not in [m.to[0] for m in mail.outbox]
    assert "area@example.org" in [m.to[0] for m in mail.outbox]
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta la evidencia.")
    assert [m.to[0] for m in mail.outbox] == ["enlace@example.org"]


# Once per event, whatever runs twice; SMTP failures tried again.


def test_a_task_run_twice_sends_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    mail.outbox.clear()
    for _ in range(2):
        tasks.report_returned_task.call(report_id=report.pk, event_key="devuelto:prueba")
    assert len(mail.outbox) == 1
    assert Notice.objects.filter(event_key="devuelto:prueba").count() == 1


class FailingOnce(BaseEmailBackend):
    """An SMTP server that refuses the first message, then takes them."""

    failures = 0

    def send_messages(self, messages):
        if FailingOnce.failures:
            FailingOnce.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        mail.outbox.extend(messages)
        return len(messages)


def test_an_smtp_failure_is_retried_later_and_the_notice_sent_once(
    world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "tests.notices.test_notices.FailingOnce"
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = world.submitted_report()
    worker_run(batch=True, interval=0)
    mail.outbox.clear()
    FailingOnce.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        progress_return(report=report, actor=world.evaluator, reason="Falta la evidencia.")
    worker_run(batch=True, interval=0)
    task = DBTaskResult.objects.get(task_path=tasks.report_returned_task.module_path)
    assert task.status == "READY" and mail.outbox == [], "back in the queue after a pause"
    assert not Notice.objects.filter(kind=Kind.RETURNED).exists(), "a failed send is no notice"
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    worker_run(batch=True, interval=0)
    assert [m.to[0] for m in mail.outbox] == ["enlace@example.org"]
    assert DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL"


# The person's preferences page.


def test_a_person_chooses_english_and_declines_reminders_on_their_page(client, world):
    client.force_login(world.liaison)
    page = client.get(reverse("notice-preferences"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'for="id_reminders_off"' in html and "<caption>" in html
    response = client.post(
        reverse("notice-preferences"),
        {"language": "en", "reminders_off": "on"},
    )
    assert response.status_code == 302
    chosen = NoticePreference.objects.get(user=world.liaison)
    assert (chosen.language, chosen.reminders_off, chosen.digests_off) == ("en", True, False)
    record = ChangeRecord.objects.get(model="notices.NoticePreference")
    assert (record.actor, record.source) == (world.liaison, "página web")


def test_the_preferences_page_lists_the_persons_own_notices_only(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.submitted_report()
    client.force_login(world.evaluator)
    html = client.get(reverse("notice-preferences")).content.decode()
    assert "Un reporte de avance espera su revisión" in html
    client.force_login(world.liaison)
    html = client.get(reverse("notice-preferences")).content.decode()
    assert "espera su revisión" not in html


def test_the_preferences_page_asks_for_a_login(client):
    response = client.get(reverse("notice-preferences"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_preferences_page_costs_the_same_queries_for_one_notice_or_many(
    client, world, django_assert_num_queries
):
    def log(count: int) -> None:
        for number in range(Notice.objects.count(), Notice.objects.count() + count):
            Notice.objects.create(
                event_key=f"prueba:{number}",
                kind=Kind.OVERDUE,
                recipient=world.liaison,
                email=world.liaison.email,
                language=Language.SPANISH,
                subject=f"Actividad vencida {number}",
                link=f"{BASE}/actividades/{number}/",
            )

    client.force_login(world.liaison)
    log(1)
    client.get(reverse("notice-preferences"))  # the session and caches warmed
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notice-preferences"))
    log(30)
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("notice-preferences"))
    assert page.content.decode().count(f'href="{BASE}/actividades/') == 20, "the latest twenty"
