"""The balance's PDF and XLSX printed by a task on the queue, not inside the request.

The task is given ids, the date, the format and the reader's language (a worker has no reader
of its own); it computes the balance again over the reader's reach
(mejora/stats/balance_printing.py) so any worker on any host can print it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import translation
from django_tasks import task

from mejora.accounts.access import aspects_for_user
from mejora.followup.models import Cycle
from mejora.stats.balance import CycleBalance
from mejora.stats.balance_printing import CHANGED, balance_print, balance_print_key
from mejora.tasks.jobs import job_run, job_start, job_state
from mejora.tasks.models import Job


@task()
def balance_print_task(
    *, key: str, reader_id: int, cycle_id: int, as_of: str, file_format: str, language: str
) -> dict[str, Any]:
    """Print a reader's balance into the file storage."""
    return job_run(
        key,
        lambda progress: balance_print(
            progress,
            key=key,
            reader_pk=reader_id,
            cycle_pk=cycle_id,
            as_of=dt.date.fromisoformat(as_of),
            file_format=file_format,
            language=language,
        ),
    )


def balance_print_start(
    reader: Any, *, cycle: Cycle, result: CycleBalance, file_format: str
) -> Job:
    """Start printing the balance the reader is shown unless a print of the same figures over
    the same reach is printed or printing."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = balance_print_key(
        aspects_for_user(reader),
        cycle=cycle,
        result=result,
        file_format=file_format,
        language=language,
    )
    # Refused because the figures had changed, and asked for now that they are these again
    # (a change undone): print them, or the refusal would stand under their name for good.
    earlier = job_state(key)
    refused = earlier is not None and earlier.finished and earlier.error == CHANGED
    return job_start(
        key,
        balance_print_task,
        again=refused,
        reader_id=reader.pk,
        cycle_id=cycle.pk,
        as_of=result.balance.as_of.isoformat(),
        file_format=file_format,
        language=language,
    )
