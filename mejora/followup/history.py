"""The change log: one row per created, changed or removed record, in the same transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from mejora.followup.events import announce_change
from mejora.followup.models import ChangeRecord


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The record's own columns as JSON-ready values."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in ("created_at", "updated_at"):
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif isinstance(value, decimal.Decimal):
            value = str(value)
        elif isinstance(value, models.fields.files.FieldFile):
            value = value.name or ""
        values[field.attname] = value
    return values


def change_record(
    *,
    action: ChangeRecord.Action,
    obj: models.Model,
    actor: Any = None,
    before: dict[str, Any] | None = None,
    source: str = "",
) -> ChangeRecord:
    """An unsaved change row for obj (save it, or bulk-create many, inside the transaction)."""
    after = None if action == ChangeRecord.Action.DELETE else snapshot(obj)
    announce_change(obj._meta.label, obj.pk)
    return ChangeRecord(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        model=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
        source=source[:300],
    )
