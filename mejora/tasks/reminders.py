"""`mejora remind`: what is due now, safe to run any number of times.

The notices that go out when nobody is on a page register here through the setting
MEJORA_REMINDERS: a list of dotted paths to functions called as `function(now=…)`, each
sending only what is due at `now` and not sent before (so a second run sends nothing).
Each run also hands back tasks whose worker died and sweeps finished jobs and uploads
nobody finished reviewing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from mejora.followup.services.evidence import evidence_orphans_sweep
from mejora.followup.services.pending import KEEP_FOR, pending_sweep
from mejora.tasks.models import Job
from mejora.tasks.retries import tasks_reclaim

logger = logging.getLogger(__name__)

JOB_FILES = "trabajos"
# Finished tasks stay in the queue's table this long, for the administrators to look at.
TASKS_KEPT_FOR = dt.timedelta(days=30)


def reminders_run(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Run every registered reminder for `now`; what each reported, by its path."""
    now = now or timezone.now()
    reports: dict[str, Any] = {}
    for path in settings.MEJORA_REMINDERS:
        reports[path] = import_string(path)(now=now)
    tasks_reclaim(now=now)
    _sweep(now)
    evidence_orphans_sweep(now=now)
    return reports


def _sweep(now: dt.datetime) -> None:
    Job.objects.filter(updated_at__lt=now - KEEP_FOR).delete()
    DBTaskResult.objects.finished().filter(finished_at__lt=now - TASKS_KEPT_FOR).delete()
    pending_sweep()
    # Readings and prints the jobs left in the storage.
    try:
        _, names = default_storage.listdir(JOB_FILES)
    except FileNotFoundError:
        return
    for name in names:
        path = f"{JOB_FILES}/{name}"
        if default_storage.get_modified_time(path) < now - KEEP_FOR:
            default_storage.delete(path)


@task()
def remind_task(*, every_hours: int = 0) -> dict[str, Any]:
    """`mejora remind` run by a worker; with `every_hours`, it queues its next run too."""
    if every_hours:
        remind_schedule(
            at=timezone.now() + dt.timedelta(hours=every_hours), every_hours=every_hours
        )
    return reminders_run()


def remind_schedule(*, at: dt.datetime | None = None, every_hours: int = 24) -> bool:
    """Queue the periodic reminder run unless one is waiting already; whether it queued."""
    waiting = DBTaskResult.objects.filter(
        task_path=remind_task.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    remind_task.using(run_after=at).enqueue(every_hours=every_hours)
    return True
