"""The queue and the progress of its jobs go to the `tasks` database alias."""

from __future__ import annotations

from typing import Any

from django.db import connections

TASKS_DB = "tasks"
# Apps whose tables live beside the queue rather than beside the record.
QUEUE_APPS = frozenset({"django_tasks_db", "mejora_tasks"})


def tasks_database_is_separate() -> bool:
    """Whether `tasks` is a database of its own (SQLite's second file) or the default's."""
    ours, theirs = connections[TASKS_DB].settings_dict, connections["default"].settings_dict
    return any(ours.get(key) != theirs.get(key) for key in ("ENGINE", "NAME", "HOST", "PORT"))


class TasksRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return TASKS_DB if model._meta.app_label in QUEUE_APPS else None

    db_for_write = db_for_read

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if not tasks_database_is_separate():
            # One database reached through two connections: the tables are made once.
            return db != TASKS_DB
        return (app_label in QUEUE_APPS) == (db == TASKS_DB)
