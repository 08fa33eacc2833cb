"""Tables derived from the records and kept in the writer's transaction, and the one batch
that defers their keeping to the end of a load.

Each kept table registers a keeper: a name and what rewrites its rows for the keys noted (the
activities of `ActivityFacts`, the ASM of `AspectConclusion`, the programs of `CutTally`). A
write notes its keys: kept at once, or inside `kept_once()` gathered and kept once on leaving
it, keepers in the order they are listed here, so one kept from another (conclusions and
tallies from facts) sees its rows already written.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.db.models.signals import pre_save

from mejora.followup.models import SINCE_ALWAYS, Activity

# The kept tables, in the order they are kept: an ASM's conclusions and the tallies are
# counted from the facts.
FACTS, CONCLUSIONS, TALLIES = "facts", "conclusions", "tallies"
_keepers: dict[str, Callable[[set], None] | None] = {FACTS: None, CONCLUSIONS: None, TALLIES: None}
_batch = threading.local()
# Noted in place of a program: every program (a cut added, moved or removed).
EVERY_PROGRAM = 0


def keeper(name: str, keep: Callable[[set], None]) -> None:
    _keepers[name] = keep


@contextmanager
def kept_once() -> Iterator[None]:
    """Inside, a saved record only notes its keys; each kept table is rewritten once for
    them, on leaving without an error (a loader saving thousands of rows one by one)."""
    if getattr(_batch, "noted", None) is not None:  # an outer block keeps them
        yield
        return
    _batch.noted = {name: set() for name in _keepers}
    try:
        yield
        # Still gathering while each keeps: a keeper may note another's keys.
        for name, keep in _keepers.items():
            noted = _batch.noted[name]
            _batch.noted[name] = set()
            if noted:
                keep(noted)
    finally:
        _batch.noted = None


def note(name: str, keys: Iterable) -> None:
    """Keep these keys' rows of the named table now, or on leaving the `kept_once` block."""
    noted = getattr(_batch, "noted", None)
    if noted is not None:
        noted[name].update(keys)
    else:
        keys = set(keys)
        if keys:
            _keepers[name](keys)


def tallies_note_every(since: dt.date) -> None:
    """Recount every program's tallies at the cuts from the day on (cuts added or moved)."""
    note(TALLIES, {(EVERY_PROGRAM, since)})


def tallies_note(program_ids: Iterable[int], since: dt.date = SINCE_ALWAYS) -> None:
    """Recount these programs' tallies at the cuts from the day on (a change that is not one
    of an activity's facts: an ASM's group, an area's activities, rows inserted in bulk)."""
    note(TALLIES, {(pk, since) for pk in program_ids if pk is not None})


def stored_aspect_id(activity: Activity) -> int | None:
    """The ASM an activity being saved belonged to as stored, None when it is new: a move to
    another ASM changes both ASM's conclusions and both programs' tallies."""
    return getattr(activity, "_stored_aspect_id", None)


def _activity_before(sender, instance, raw=False, **kwargs) -> None:
    # Read once for every kept table, before the save overwrites it.
    instance._stored_aspect_id = (
        None
        if raw or instance.pk is None
        else Activity.objects.filter(pk=instance.pk).values_list("aspect_id", flat=True).first()
    )


def connect_receivers() -> None:
    pre_save.connect(
        _activity_before, sender=Activity, dispatch_uid="mejora.followup.keeping.activity"
    )
