"""Administrators see the queue (waiting, running, failed with the reason) and retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from mejora.tasks.models import Job
from mejora.tasks.retries import task_retry

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskAdmin(DBTaskResultAdmin):
    list_display = (
        "task_name",
        "status",
        "attempts",
        "reason",
        "enqueued_at",
        "started_at",
        "finished_at",
        "queue_name",
    )
    actions = ["retry"]

    @admin.display(description=_("intentos"))
    def attempts(self, task: DBTaskResult) -> int:
        return len(task.worker_ids)

    @admin.display(description=_("motivo de la falla"))
    def reason(self, task: DBTaskResult) -> str:
        """The last line of the traceback: the exception and its message."""
        lines = [line for line in task.traceback.strip().splitlines() if line.strip()]
        return lines[-1][:200] if lines else ""

    @admin.action(description=_("Reintentar las tareas fallidas seleccionadas"))
    def retry(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        retried = sum(task_retry(str(task.pk)) for task in queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d tarea vuelve a la cola.", "%(count)d tareas vuelven a la cola.", retried
            )
            % {"count": retried},
            messages.SUCCESS,
        )


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("key", "stage", "done", "total", "finished", "error", "attempt", "updated_at")
    list_filter = ("finished",)
    search_fields = ("key", "task_id")
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False
