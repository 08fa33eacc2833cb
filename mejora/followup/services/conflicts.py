"""Writes that meet another writer: the loser waits and runs again, or is told, never crashes.

Two imports at once collide in the database, not in our code: SQLite lets one writer in at a
time ("database is locked" once its wait runs out), and on PostgreSQL two first imports of a
new program race to insert the same institution (a unique violation) or deadlock. Each such
write is all or nothing, so running it again from the start is safe: the second run finds
what the first committed.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils.translation import gettext_noop

from mejora.annex.document import AnnexRejected

P = ParamSpec("P")
T = TypeVar("T")

# PostgreSQL's codes for a transaction that lost to another: serialization failure,
# deadlock, lock not available.
_LOST_RACE_CODES = {"40001", "40P01", "55P03"}
_LOCKED_WORDS = ("database is locked", "database table is locked")
# A unique violation that happens again on a fresh run is the data's own, not a race.
_INTEGRITY_RETRIES = 2


class RecordBusy(AnnexRejected):
    """Another write held the record for longer than a person should wait."""


def retried_on_conflict(service: Callable[P, T]) -> Callable[P, T]:
    """Run an all-or-nothing service again when a concurrent write beat it.

    Only at the outermost transaction: inside another one, the caller retries.
    """

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        if transaction.get_connection().in_atomic_block:
            return service(*args, **kwargs)
        deadline = time.monotonic() + settings.MEJORA_WRITE_WAIT_SECONDS
        pause, integrity_failures = 0.2, 0
        while True:
            try:
                return service(*args, **kwargs)
            except IntegrityError:
                integrity_failures += 1
                if integrity_failures > _INTEGRITY_RETRIES:
                    raise
            except OperationalError as error:
                if not _lost_a_race(error):
                    raise
                if time.monotonic() + pause > deadline:
                    raise RecordBusy(
                        gettext_noop(
                            "Otra importación o edición está escribiendo en el registro "
                            "y no terminó en {mejora_write_wait_seconds} segundos. No se "
                            "escribió nada: intente de nuevo en unos minutos."
                        ),
                        mejora_write_wait_seconds=settings.MEJORA_WRITE_WAIT_SECONDS,
                    ) from None
            time.sleep(pause * random.uniform(0.5, 1.5))
            pause = min(pause * 2, 5.0)

    return run


def _lost_a_race(error: OperationalError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in _LOST_RACE_CODES:
        return True
    return any(words in str(error).lower() for words in _LOCKED_WORDS)
