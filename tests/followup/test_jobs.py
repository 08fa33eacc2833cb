"""Jobs on the queue: one task per key whoever asks, a result that always reads, passing
failures retried with back-off, tasks of dead workers handed back, administrators retry.

The queue here is the real database backend, run by the worker in this process
(`worker_run(batch=True)`); tests/followup/test_queue.py runs separate worker processes.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from mejora.annex.document import AnnexRejected
from mejora.tasks.jobs import GAVE_UP, INTERNAL_ERROR, job_run, job_start, job_state
from mejora.tasks.models import Job
from mejora.tasks.reminders import reminders_run
from mejora.tasks.retries import task_retry, tasks_reclaim
from mejora.tasks.worker import worker_run

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

RUNS: list[str] = []
FAILURES_LEFT: dict[str, int] = {}


@pytest.fixture(autouse=True)
def database_queue(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker closes connections between tasks as a request does; inside the test's
    # transaction that would end it (tests/followup/test_queue.py runs real processes).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    settings.MEJORA_TASK_BACKOFF_SECONDS = 60
    RUNS.clear()
    FAILURES_LEFT.clear()


@task()
def counted(*, key: str) -> dict:
    def work(progress):
        RUNS.append(key)
        progress("Leyendo", 1, 2)
        progress("Leyendo", 2, 2)
        return {"ok": True}

    return job_run(key, work)


@task()
def troubled(*, key: str, trouble: str) -> dict:
    def work(progress):
        RUNS.append(key)
        if trouble == "rejected":
            raise AnnexRejected("El archivo está vacío.")
        if trouble == "bug":
            raise KeyError("x")
        if FAILURES_LEFT.get(key, 0) > 0:
            FAILURES_LEFT[key] -= 1
            raise OperationalError("could not connect to server: Connection refused")
        return {"ok": True}

    return job_run(key, work)


def run_the_queue() -> None:
    worker_run(batch=True, interval=0)


def test_a_job_runs_once_and_then_reports_its_result():
    first = job_start("uno", counted)
    again = job_start("uno", counted)
    assert not first.finished and again.task_id == first.task_id
    assert DBTaskResult.objects.count() == 1, "one task however often it is asked for"
    run_the_queue()
    done = job_start("uno", counted)
    assert RUNS == ["uno"]
    assert done.finished and done.result == {"ok": True}
    assert (done.stage, done.done, done.total, done.percent) == ("Leyendo", 2, 2, 100)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_task_run_twice_does_its_work_once():
    job = job_start("dos-veces", counted)
    run_the_queue()
    task_row = DBTaskResult.objects.get(id=job.task_id)
    assert counted.call(**task_row.args_kwargs["kwargs"]) == {"ok": True}
    assert RUNS == ["dos-veces"]


def test_a_rejection_is_kept_in_spanish_and_a_bug_as_a_plain_message_the_queue_shows():
    job_start("rechazo", troubled, trouble="rejected")
    job_start("falla", troubled, trouble="bug")
    run_the_queue()
    assert job_state("rechazo").error == "El archivo está vacío."
    assert job_state("falla").error == INTERNAL_ERROR
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.exception_class_path == "builtins.KeyError", "administrators see the bug"
    assert len(failed.worker_ids) == 1, "a bug is not retried"


def test_again_runs_a_finished_job_anew_but_never_a_waiting_one():
    job_start("otra", counted)
    assert job_start("otra", counted, again=True).task_id, "waiting: left alone"
    assert DBTaskResult.objects.count() == 1
    run_the_queue()
    job_start("otra", counted, again=True)
    run_the_queue()
    assert RUNS == ["otra", "otra"]
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


def test_a_passing_failure_is_tried_again_later_then_succeeds():
    FAILURES_LEFT["red"] = 1
    job = job_start("red", troubled, trouble="passing")
    before = timezone.now()
    run_the_queue()
    waiting = DBTaskResult.objects.get(id=job.task_id)
    assert waiting.status == "READY", "back in the queue, not failed"
    assert waiting.run_after >= before + dt.timedelta(seconds=60 * 0.8), "after a pause"
    assert "Connection refused" in waiting.traceback, "the last reason is kept"
    state = job_state("red")
    assert not state.finished and state.stage == "Reintentando"
    DBTaskResult.objects.filter(id=job.task_id).update(run_after=timezone.now())
    run_the_queue()
    done = DBTaskResult.objects.get(id=job.task_id)
    assert done.status == "SUCCESSFUL" and len(done.worker_ids) == 2
    assert job_state("red").finished and job_state("red").result == {"ok": True}


def test_the_pause_doubles_and_the_queue_gives_up_after_the_last_attempt(settings):
    settings.MEJORA_TASK_ATTEMPTS = 3
    FAILURES_LEFT["caida"] = 99
    job = job_start("caida", troubled, trouble="passing")
    pauses = []
    for _ in range(3):
        started = timezone.now()
        run_the_queue()
        row = DBTaskResult.objects.get(id=job.task_id)
        if row.status == "READY":
            pauses.append((row.run_after - started).total_seconds())
            DBTaskResult.objects.filter(id=job.task_id).update(run_after=timezone.now())
    assert len(pauses) == 2 and pauses[1] > pauses[0] * 1.3
    assert DBTaskResult.objects.get(id=job.task_id).status == "FAILED"
    state = job_state("caida")
    assert state.finished and state.error == GAVE_UP and state.result == {"interrupted": True}


def running_task(key: str, worker: str, started: dt.datetime) -> DBTaskResult:
    job = job_start(key, counted)
    DBTaskResult.objects.filter(id=job.task_id).update(
        status="RUNNING", worker_ids=[worker], started_at=started
    )
    return DBTaskResult.objects.get(id=job.task_id)


def test_a_task_whose_worker_died_is_handed_back_and_a_live_ones_is_not(settings):
    import socket

    host = socket.gethostname()[:40]
    now = timezone.now()
    dead = running_task("muerto", f"{host}:{2**22 + 7}:abc", now)  # no such process
    alive = running_task("vivo", f"{host}:{os.getpid()}:abc", now - dt.timedelta(days=1))
    elsewhere = running_task("lejos", "otra-maquina:12:abc", now)
    silent = running_task("callado", "otra-maquina:13:abc", now - dt.timedelta(hours=2))
    Job.objects.filter(key="callado").update(updated_at=now - dt.timedelta(hours=2))
    reclaimed = tasks_reclaim(now=now)
    assert set(reclaimed) == {str(dead.id), str(silent.id)}
    assert DBTaskResult.objects.get(id=alive.id).status == "RUNNING"
    assert DBTaskResult.objects.get(id=elsewhere.id).status == "RUNNING", "heard of lately"
    run_the_queue()
    assert sorted(RUNS) == ["callado", "muerto"]


def test_administrators_see_failed_tasks_with_the_reason_and_retry_them(admin_client):
    job = job_start("falla", troubled, trouble="bug")
    run_the_queue()
    listing = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert listing.status_code == 200
    assert "KeyError: &#x27;x&#x27;" in listing.content.decode()
    response = admin_client.post(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"action": "retry", "_selected_action": [job.task_id]},
        follow=True,
    )
    assert "1 tarea vuelve a la cola" in response.content.decode()
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    assert not task_retry(job.task_id), "only a failed task is retried"


def test_remind_runs_every_registered_reminder_and_is_safe_to_repeat(settings):
    settings.MEJORA_REMINDERS = ["tests.followup.test_jobs.reminder_for_test"]
    first = reminders_run(now=timezone.now())
    second = reminders_run(now=timezone.now())
    assert first == {"tests.followup.test_jobs.reminder_for_test": 1}
    assert second == {"tests.followup.test_jobs.reminder_for_test": 0}


SENT: set[str] = set()


def reminder_for_test(*, now: dt.datetime) -> int:
    """A reminder that sends once per day, as a real one sends once per event."""
    day = now.date().isoformat()
    if day in SENT:
        return 0
    SENT.add(day)
    return 1


def test_remind_sweeps_what_jobs_left_a_week_ago(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = tmp_path
    job_start("viejo", counted)
    run_the_queue()
    old = default_storage.save("trabajos/viejo.pdf", ContentFile(b"%PDF-0"))
    new = default_storage.save("trabajos/nuevo.pdf", ContentFile(b"%PDF-1"))
    week_ago = timezone.now() - dt.timedelta(days=8)
    os.utime(tmp_path / old, (week_ago.timestamp(), week_ago.timestamp()))
    Job.objects.filter(key="viejo").update(updated_at=week_ago)
    job_start("reciente", counted)
    reminders_run()
    assert not default_storage.exists(old) and not Job.objects.filter(key="viejo").exists()
    assert default_storage.exists(new) and Job.objects.filter(key="reciente").exists()
