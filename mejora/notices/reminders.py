"""What `mejora remind` finds due at `now`: activities that became overdue, and cuts whose
deadline is near (MEJORA_REMINDER_DAYS before it). Each event is queued once, as a task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks.base import Task

from mejora.followup.models import Activity, Cut, ProgressReport, Replanning
from mejora.followup.selectors import activity_facts
from mejora.followup.status import Status
from mejora.notices import tasks
from mejora.notices.models import Kind, NoticeEvent
from mejora.notices.sending import event_key

# An activity is announced when it becomes overdue, not for years after: a record imported
# with old, unfinished activities does not flood its people on the first run.
OVERDUE_WINDOW_DAYS = 30


def overdue_activities(today: dt.date, window: int = OVERDUE_WINDOW_DAYS) -> dict[int, dt.date]:
    """Activities overdue at `today` whose effective due date ended in the last `window`
    days, with that date; a partial date starts at most a year before it ends."""
    earliest = today - dt.timedelta(days=window + 366)
    replanned = Replanning.objects.filter(
        activity=OuterRef("pk"), new_due_on__gte=earliest, new_due_on__lt=today
    )
    concluded = ProgressReport.objects.filter(
        activity=OuterRef("pk"), state=ProgressReport.State.VALIDATED, percent=100
    )
    candidates = Activity.objects.exclude(Exists(concluded)).filter(
        Q(due_on__gte=earliest, due_on__lt=today) | Exists(replanned)
    )
    found = {}
    for pk, facts in activity_facts(candidates, today).items():
        due = facts.replanned[-1] if facts.replanned else facts.due
        if facts.status(today) is Status.OVERDUE and due.end >= today - dt.timedelta(days=window):
            found[pk] = due.end
    return found


def _queue_once(key: str, kind: Kind, task: Task, **arguments: Any) -> bool:
    """Queue the event's task unless an earlier run did; whether it queued."""
    with transaction.atomic():
        _, created = NoticeEvent.objects.get_or_create(key=key, defaults={"kind": kind})
        if created:
            # Inside the transaction: a queue that refuses the task leaves no event behind.
            task.enqueue(event_key=key, **arguments)
    return created


def overdue_remind(*, now: dt.datetime) -> dict[str, Any]:
    """Queue the notice of each activity that became overdue and was not announced yet."""
    today = timezone.localdate(now)
    queued = [
        pk
        for pk, due_end in sorted(overdue_activities(today).items())
        if _queue_once(
            event_key("vencida", pk, due_end.isoformat()),
            Kind.OVERDUE,
            tasks.activity_overdue_task,
            activity_id=pk,
        )
    ]
    return {"overdue": queued}


def reminder_days() -> list[int]:
    return sorted({int(days) for days in settings.MEJORA_REMINDER_DAYS})


def deadline_remind(*, now: dt.datetime) -> dict[str, Any]:
    """Queue, for each open cut, the reminder of the nearest threshold its deadline is
    within (7 days, then 2 by default); a run missed on the day sends it on the next."""
    today = timezone.localdate(now)
    queued = []
    for cut in Cut.objects.filter(state=Cut.State.OPEN, deadline__gte=today):
        left = (cut.deadline - today).days
        threshold = next((days for days in reminder_days() if left <= days), None)
        if threshold is None:
            continue
        key = event_key("limite", cut.pk, cut.deadline.isoformat(), f"{threshold}d")
        arguments = {"cut_id": cut.pk, "today": today.isoformat()}
        if _queue_once(key, Kind.DEADLINE, tasks.cut_deadline_task, **arguments):
            queued.append(key)
    return {"deadline": queued}
