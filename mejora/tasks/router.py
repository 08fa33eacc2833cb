"""The queue and the progress of its jobs go to the `tasks` database alias."""

from __future__ import annotations

from typing import Any

from django.conf import settings

TASKS_DB = "tasks"
# Apps whose tables live beside the queue rather than beside the record.
QUEUE_APPS = frozenset({"django_tasks_database", "mejora_tasks"})


def tasks_database_is_separate() -> bool:
    """Whether `tasks` is a database of its own (SQLite's second file) or the default's.

    Read from the settings, not the connections: while the test databases are made, one
    alias is renamed before the other.
    """
    return settings.MEJORA_TASKS_DATABASE_SEPARATE


class TasksRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if model._meta.app_label not in QUEUE_APPS:
            return None
        if model.__module__ == "__fake__" and not tasks_database_is_separate():
            # A migration's data step (a historical model) runs on the connection migrating.
            return None
        return TASKS_DB

    db_for_write = db_for_read

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if not tasks_database_is_separate():
            # One database reached through two connections: the tables are made once.
            return db != TASKS_DB
        return (app_label in QUEUE_APPS) == (db == TASKS_DB)
