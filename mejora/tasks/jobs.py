"""Jobs: background work a page waits for, run as a task on the queue, with its progress.

A job is named by a key (an upload's token and its step, a print's record fingerprint).
Starting it is a claim on its row that one caller wins, whatever the process or the
server, so a double click or two people confirming at once run the work once. The task
writes its stage and count to the row as it goes, through the `tasks` connection, so the
page's bar moves while the work's own transaction is still open; at the end it writes its
result, or the Spanish message of why it could not finish.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_tasks.base import Task

from mejora.annex.document import AnnexRejected
from mejora.tasks.models import Job

logger = logging.getLogger(__name__)

# Often enough for a bar, not a write per row.
_WRITE_EVERY = 0.5

Work = Callable[[Callable[[str, int, int], None]], dict[str, Any]]


class PassingFailure(Exception):
    """A failure worth trying again later (the database or the mail server was away)."""


# What a later attempt may well get past; anything else is a bug or bad input.
PASSING = (OperationalError, InterfaceError, ConnectionError, TimeoutError, PassingFailure)
try:
    import smtplib

    PASSING += (smtplib.SMTPException,)
except ImportError:  # pragma: no cover - smtplib is in the standard library
    pass

# Kept in Spanish on the row, translated when shown: a worker has no reader's language.
INTERNAL_ERROR = gettext_noop(
    "Ocurrió un error interno; nada se escribió. Avise a quien administra el sistema."
)
GAVE_UP = gettext_noop(
    "El trabajo se interrumpió varias veces y no escribió nada; puede intentarlo otra vez. "
    "Si vuelve a pasar, avise a quien administra el sistema."
)


def job_state(key: str) -> Job | None:
    """The job's last report, or None when no job has that key."""
    return Job.objects.filter(key=key).first()


def job_start(key: str, task: Task, *, again: bool = False, **arguments: Any) -> Job:
    """Enqueue `task(key=key, **arguments)` unless a job under `key` is waiting, running or
    done; the job. With `again`, a finished job is started anew (one caller of several)."""
    job, created = Job.objects.get_or_create(key=key)
    if not created:
        if not (again and job.finished):
            return job
        claimed = Job.objects.filter(pk=job.pk, finished=True, updated_at=job.updated_at).update(
            finished=False,
            error="",
            result={},
            stage="",
            done=0,
            total=0,
            task_id="",
            started_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not claimed:
            return job_state(key) or job
    try:
        result = task.enqueue(key=key, **arguments)
    except BaseException:
        Job.objects.filter(pk=job.pk).delete()  # nothing waits for a task never queued
        raise
    Job.objects.filter(pk=job.pk, task_id="").update(task_id=str(result.id))
    return Job.objects.get(pk=job.pk)


def job_forget(key: str) -> None:
    """Forget the job (what it made stays until its owner removes it)."""
    Job.objects.filter(key=key).delete()


def job_run(key: str, work: Work) -> dict[str, Any]:
    """Run `work(progress)` for the job under `key` from inside its task; its result.

    A job that already finished well is not run again (a task run twice does its work
    once). A rejection or a bug finishes the job with a message for its page; a passing
    failure leaves it waiting for the retry and is raised for the queue to see.
    """
    job = job_state(key)
    if job is None:  # forgotten since it was queued: nobody waits for it
        return {}
    if job.finished and not job.error:
        return job.result
    Job.objects.filter(pk=job.pk).update(
        stage=_("Empezando"), done=0, total=0, finished=False, error="", attempt=job.attempt + 1
    )
    last_write = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if done >= total or now - last_write >= _WRITE_EVERY:
            last_write = now
            Job.objects.filter(pk=job.pk).update(
                stage=stage, done=done, total=total, updated_at=timezone.now()
            )

    try:
        result = work(progress)
    except AnnexRejected as rejection:
        _finish(job, error=str(rejection), result={"message": rejection.message.as_dict()})
        return {"error": str(rejection)}
    except PASSING:
        logger.warning("Job %s met a passing failure; its task will be retried", key)
        _try_to_note(job, stage=_("Reintentando"))
        raise
    except Exception:
        logger.exception("Job %s failed", key)
        _finish(job, error=INTERNAL_ERROR)
        raise
    _finish(job, result=result)
    return result


def job_give_up(key: str) -> None:
    """The job's task will not be tried again: its page says so instead of waiting."""
    Job.objects.filter(key=key, finished=False).update(
        finished=True, error=GAVE_UP, result={"interrupted": True}, updated_at=timezone.now()
    )


def _finish(job: Job, *, error: str = "", result: dict[str, Any] | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        finished=True, error=error, result=result or {}, updated_at=timezone.now()
    )


def _try_to_note(job: Job, **fields: Any) -> None:
    # The database may be what is away; the retry will write it.
    with contextlib.suppress(DatabaseError):
        Job.objects.filter(pk=job.pk).update(**fields, updated_at=timezone.now())
