"""`mejora worker`: django-tasks-db's worker, handing back tasks left by dead workers."""

from __future__ import annotations

import logging

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from mejora.tasks.retries import tasks_reclaim, worker_id

logger = logging.getLogger(__name__)


class ReclaimingWorker(Worker):
    """A worker that, after each task it runs, hands back tasks whose worker died."""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            tasks_reclaim()


def worker_run(*, batch: bool = False, interval: float = 1.0, max_tasks: int | None = None) -> str:
    """Run tasks from the queue until stopped (or, with `batch`, until none is ready)."""
    identity = worker_id()
    reclaimed = tasks_reclaim()
    if reclaimed:
        logger.warning("Took back %d task(s) left by workers that died", len(reclaimed))
    worker = ReclaimingWorker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=max_tasks,
        worker_id=identity,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        worker.reset_signals()
    return identity
