"""The follow-up's events become tasks on the queue, named by the event they announce."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from mejora.followup.events import report_returned, report_validated, reports_submitted
from mejora.followup.models import ProgressReport
from mejora.notices import tasks
from mejora.notices.sending import event_key


def _version(report_id: int) -> int:
    versions = ProgressReport.objects.filter(pk=report_id).values_list("version", flat=True)
    return versions.first() or 0


@receiver(report_returned)
def on_report_returned(sender: Any, report_id: int, **kwargs: Any) -> None:
    # The version names this return: the same report returned again is a new event.
    key = event_key("devuelto", report_id, _version(report_id))
    tasks.report_returned_task.enqueue(report_id=report_id, event_key=key)


@receiver(report_validated)
def on_report_validated(sender: Any, report_id: int, **kwargs: Any) -> None:
    key = event_key("validado", report_id, _version(report_id))
    tasks.report_validated_task.enqueue(report_id=report_id, event_key=key)


@receiver(reports_submitted)
def on_reports_submitted(sender: Any, report_ids: list[int], **kwargs: Any) -> None:
    versions = ProgressReport.objects.filter(pk__in=report_ids).order_by("pk")
    key = event_key("enviados", *(f"{pk}v{v}" for pk, v in versions.values_list("pk", "version")))
    tasks.reports_submitted_task.enqueue(report_ids=list(report_ids), event_key=key)
