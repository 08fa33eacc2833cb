"""Status at a date: pure functions of the facts (percent, due date, replanning) and a day.

Nothing here is stored: days late and on-time completion are derived whenever asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from mejora.annex.document import PartialDate


class Status(StrEnum):
    CONCLUDED = "concluded"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NOT_STARTED = "not_started"

    @property
    def label(self) -> str:
        return str(_LABELS[self])


_LABELS = {
    Status.CONCLUDED: _("Concluida"),
    Status.IN_PROGRESS: _("En proceso"),
    Status.OVERDUE: _("Vencida"),
    Status.NOT_STARTED: _("Sin iniciar"),
}
STATUS_ORDER = (Status.CONCLUDED, Status.IN_PROGRESS, Status.OVERDUE, Status.NOT_STARTED)


def effective_due(due: PartialDate | None, replanned: Sequence[PartialDate]) -> PartialDate | None:
    """The latest replanned date, else the committed one."""
    return replanned[-1] if replanned else due


def activity_status(
    *,
    percent: int | None,
    due: PartialDate | None,
    as_of: dt.date,
    replanned: Sequence[PartialDate] = (),
) -> Status:
    if percent == 100:
        return Status.CONCLUDED
    deadline = effective_due(due, replanned)
    if deadline is not None and deadline.end < as_of:
        return Status.OVERDUE
    if percent:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED


def days_late(
    *,
    percent: int | None,
    due: PartialDate | None,
    as_of: dt.date,
    replanned: Sequence[PartialDate] = (),
) -> int:
    """Days past the effective due date of an activity not yet concluded (0 if none)."""
    deadline = effective_due(due, replanned)
    if percent == 100 or deadline is None:
        return 0
    return max(0, (as_of - deadline.end).days)


def aspect_progress(percents: Iterable[int | None]) -> float:
    """The mean of the activities' percents; an activity without a report counts as 0."""
    values = [p or 0 for p in percents]
    return round(sum(values) / len(values), 1) if values else 0.0


def aspect_status(statuses: Sequence[Status], progress: float) -> Status:
    """Concluded when all activities are; overdue when any is; else by its progress."""
    if statuses and all(s is Status.CONCLUDED for s in statuses):
        return Status.CONCLUDED
    if any(s is Status.OVERDUE for s in statuses):
        return Status.OVERDUE
    return Status.IN_PROGRESS if progress > 0 else Status.NOT_STARTED
