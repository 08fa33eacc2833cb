"""Trying again: passing failures with back-off, and tasks whose worker died mid-run.

django-tasks-db records a failed task and stops there, and a task whose worker was killed
stays RUNNING for ever. Here a task that failed for a passing reason (PASSING in jobs.py)
is put back in the queue after a growing pause, up to MEJORA_TASK_ATTEMPTS runs; and a
RUNNING task whose worker is gone is handed back to the queue (`tasks_reclaim`) when a
worker starts, after each task a worker runs, and each time `mejora remind` runs.
A worker is gone when it ran on this host and its process no longer exists, or, on any
host, when its job has not reported for MEJORA_TASK_LEASE_MINUTES.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from mejora.tasks.jobs import PASSING, job_give_up
from mejora.tasks.models import Job

logger = logging.getLogger(__name__)


def worker_id() -> str:
    """'host:pid:random': who runs a task, and whether it still can be asked."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


def retry_delay(attempt: int) -> dt.timedelta:
    """The pause before attempt `attempt + 1`: doubling from the base, a little jitter."""
    base = settings.MEJORA_TASK_BACKOFF_SECONDS
    seconds = min(base * 2 ** max(attempt - 1, 0), 3600) * random.uniform(0.8, 1.2)
    return dt.timedelta(seconds=seconds)


def is_passing(exception_class_path: str) -> bool:
    try:
        kind = import_string(exception_class_path)
    except ImportError:
        return False
    return isinstance(kind, type) and issubclass(kind, PASSING)


@receiver(task_finished)
def retry_passing_failures(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """A failed task on the database queue runs again later when its failure may pass."""
    backend = sender if isinstance(sender, type) else type(sender)
    if task_result.status != TaskResultStatus.FAILED or not issubclass(backend, DatabaseBackend):
        return
    attempts = len(task_result.worker_ids)
    passing = bool(task_result.errors) and is_passing(task_result.errors[-1].exception_class_path)
    if passing and attempts < settings.MEJORA_TASK_ATTEMPTS:
        later = timezone.now() + retry_delay(attempts)
        DBTaskResult.objects.filter(id=task_result.id, status=TaskResultStatus.FAILED).update(
            status=TaskResultStatus.READY, run_after=later, finished_at=None
        )
        logger.warning(
            "Task %s failed (attempt %d); again after %s", task_result.id, attempts, later
        )
        return
    key = task_result.kwargs.get("key")
    if key:
        job_give_up(key)


def task_retry(task_id: str) -> bool:
    """Put a failed task back in the queue now (an administrator's decision)."""
    retried = DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, run_after=get_date_max(), finished_at=None
    )
    return bool(retried)


def tasks_reclaim(*, now: dt.datetime | None = None) -> list[str]:
    """Hand back to the queue each RUNNING task whose worker is gone; their ids."""
    now = now or timezone.now()
    lease = dt.timedelta(minutes=settings.MEJORA_TASK_LEASE_MINUTES)
    host = socket.gethostname()[:40]
    reclaimed = []
    for task in DBTaskResult.objects.running().only(
        "id", "worker_ids", "started_at", "args_kwargs"
    ):
        last = task.worker_ids[-1] if task.worker_ids else ""
        worker_host, _, rest = last.partition(":")
        pid = rest.partition(":")[0]
        if worker_host == host and pid.isdecimal():
            gone = not _process_alive(int(pid))
        else:
            key = (task.args_kwargs.get("kwargs") or {}).get("key")
            heard = Job.objects.filter(key=key).values_list("updated_at", flat=True).first()
            gone = max(filter(None, (heard, task.started_at)), default=now) < now - lease
        if gone and DBTaskResult.objects.filter(id=task.id, status="RUNNING").update(
            status=TaskResultStatus.READY, run_after=get_date_max()
        ):
            logger.warning("Task %s lost its worker %s; back in the queue", task.id, last)
            reclaimed.append(str(task.id))
    return reclaimed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) is as gone as a missing process.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return True
