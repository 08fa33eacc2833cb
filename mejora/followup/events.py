"""What happened in the follow-up, for whoever listens (the notices, the search index),
once it is committed.

The domain knows nothing of mail or indexes: its services announce events here, on commit,
and the listening apps connect their receivers in their AppConfig.ready. Each signal is sent
with `sender=ProgressReport` and ids, never the objects, so a receiver reads the committed
state. `records_changed` needs no call of its own: the change log (`history.change_record`)
announces every record it is written for.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from mejora.followup.models import ProgressReport

logger = logging.getLogger(__name__)

# report_ids: list[int]; the reports a person sent to the evaluation unit at once.
reports_submitted = Signal()
# report_id: int; the evaluation unit returned the report (its reason is on it).
report_returned = Signal()
# report_id: int; the evaluation unit made the report official.
report_validated = Signal()
# changes: dict[str, list[int]]; the ids of the records of each model (by label,
# "followup.Aspect") created, changed or removed in a transaction that committed.
records_changed = Signal()

_pending = threading.local()


def announce_on_commit(signal: Signal, **ids: int | list[int]) -> None:
    """Send the signal once the current transaction commits (never for one rolled back).

    The change is committed by then: a listener that fails is logged, never the person's
    error.
    """

    def send() -> None:
        for receiver, outcome in signal.send_robust(sender=ProgressReport, **ids):
            if isinstance(outcome, Exception):
                logger.error("%s failed on %s", receiver, ids, exc_info=outcome)

    transaction.on_commit(send)


def ids_of(reports: Iterable[ProgressReport]) -> list[int]:
    return sorted(report.pk for report in reports)


def announce_change(label: str, pk: object) -> None:
    """Note a record written in the current transaction; `records_changed` tells of all of
    them at once when it commits (an import of thousands of rows is one message).

    What a rolled-back transaction noted is forgotten: its announcement was dropped with it,
    and carrying its records into the next commit made that commit's message grow with every
    rollback (a person's edit then looked like an import and waited for a worker).
    """
    if pk is None:
        return
    changes: defaultdict[str, set] | None = getattr(_pending, "changes", None)
    connection = transaction.get_connection()
    waiting = (
        changes is not None
        and connection.in_atomic_block
        and any(entry[1] is _send_changes for entry in connection.run_on_commit)
    )
    if not waiting:
        changes = _pending.changes = defaultdict(set)
    changes[label].add(pk)
    if not waiting:
        transaction.on_commit(_send_changes)


def _send_changes() -> None:
    changes: defaultdict[str, set] | None = getattr(_pending, "changes", None)
    _pending.changes = None
    if not changes:
        return
    told = {label: sorted(ids) for label, ids in changes.items()}
    for receiver, outcome in records_changed.send_robust(sender=ProgressReport, changes=told):
        if isinstance(outcome, Exception):
            logger.error("%s failed on %s", receiver, list(told), exc_info=outcome)
