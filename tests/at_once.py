"""Writers side by side: each in a thread of its own, with its own connection and transaction,
all let go at the same moment (PostgreSQL; SQLite runs one writer at a time)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from django.db import connection, transaction

from mejora.followup.models import ProgressReport


def validate_at_once(reports: Sequence[ProgressReport]) -> None:
    """Validate each report in its own transaction, all at once."""
    barrier = threading.Barrier(len(reports))

    def validate(report: ProgressReport) -> None:
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                report.state = "validated"
                report.save()
        finally:
            connection.close()

    threads = [threading.Thread(target=validate, args=(report,)) for report in reports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
