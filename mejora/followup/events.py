"""What happened in the follow-up, for whoever listens (the notices), once it is committed.

The domain knows nothing of mail: its services announce events here, on commit, and the
notices app connects its receivers in its AppConfig.ready. Each signal is sent with
`sender=ProgressReport` and the reports' ids, never the objects, so a receiver reads the
committed state.
"""

from __future__ import annotations

import logging
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
