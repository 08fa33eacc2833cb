"""The notices as tasks on the queue: JSON arguments (ids and the event's key), retried on
SMTP failures by mejora/tasks/retries.py, and safe to run twice (see `notice_send`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from mejora.accounts import recipients
from mejora.followup.models import Activity, Cut, ProgressReport
from mejora.followup.selectors import activity_facts
from mejora.notices.models import Kind
from mejora.notices.sending import notice_send


def _report(report_id: int) -> ProgressReport | None:
    return (
        ProgressReport.objects.select_related("activity__aspect__program", "cut", "reviewed_by")
        .filter(pk=report_id)
        .first()
    )


def _sent(notices: list[Any]) -> dict[str, Any]:
    return {"sent": [notice.email for notice in notices if notice is not None]}


def _report_review(kind: Kind, report_id: int, event_key: str) -> dict[str, Any]:
    report = _report(report_id)
    if report is None:
        return {"sent": []}
    path = reverse("activity-detail", args=[report.activity_id])
    activity = report.activity
    context = {"report": report, "activity": activity, "program": activity.aspect.program}
    return _sent(
        [
            notice_send(key=event_key, kind=kind, person=person, path=path, context=context)
            for person in recipients.report_people(report)
        ]
    )


@task()
def report_returned_task(*, report_id: int, event_key: str) -> dict[str, Any]:
    """Tell the report's people it was returned, and why."""
    return _report_review(Kind.RETURNED, report_id, event_key)


@task()
def report_validated_task(*, report_id: int, event_key: str) -> dict[str, Any]:
    """Tell the report's people it is official now."""
    return _report_review(Kind.VALIDATED, report_id, event_key)


@task()
def reports_submitted_task(*, report_ids: list[int], event_key: str) -> dict[str, Any]:
    """Tell each program's evaluation unit which reports wait for its review."""
    reports = list(
        ProgressReport.objects.select_related("activity__aspect__program", "cut", "submitted_by")
        .filter(pk__in=report_ids)
        .order_by("activity__aspect__program_id", "activity__aspect_id", "activity__order")
    )
    by_person: dict[Any, list[ProgressReport]] = {}
    for report in reports:
        for person in recipients.evaluation_unit(report.activity.aspect.program):
            by_person.setdefault(person, []).append(report)
    path = reverse("review-queue")
    return _sent(
        [
            notice_send(
                key=event_key,
                kind=Kind.SUBMITTED,
                person=person,
                path=path,
                context={"reports": listed, "sender": listed[0].submitted_by},
            )
            for person, listed in by_person.items()
        ]
    )


@task()
def activity_overdue_task(*, activity_id: int, event_key: str) -> dict[str, Any]:
    """Tell an overdue activity's people that its due date passed."""
    activity = Activity.objects.select_related("aspect__program").filter(pk=activity_id).first()
    if activity is None:
        return {"sent": []}
    today = timezone.localdate()
    facts = activity_facts(Activity.objects.filter(pk=activity_id), today)[activity_id]
    due = facts.replanned[-1] if facts.replanned else facts.due
    context = {"activity": activity, "program": activity.aspect.program, "due": due}
    path = reverse("activity-detail", args=[activity_id])
    return _sent(
        [
            notice_send(key=event_key, kind=Kind.OVERDUE, person=person, path=path, context=context)
            for person in recipients.activity_people(activity)
        ]
    )


@task()
def cut_deadline_task(*, cut_id: int, event_key: str, today: str) -> dict[str, Any]:
    """Tell whoever still has something to capture or fix at the cut how long is left from
    `today` (ISO), the day `mejora remind` found it due."""
    cut = Cut.objects.filter(pk=cut_id, state=Cut.State.OPEN).first()
    if cut is None or cut.deadline is None:
        return {"sent": []}
    days_left = (cut.deadline - dt.date.fromisoformat(today)).days
    if days_left < 0:
        return {"sent": []}
    path = reverse("pending")
    return _sent(
        [
            notice_send(
                key=event_key,
                kind=Kind.DEADLINE,
                person=person,
                path=path,
                context={"cut": cut, "days_left": days_left, "pending": pending},
            )
            for person, pending in recipients.people_with_pending(cut).items()
        ]
    )
