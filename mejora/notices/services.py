"""A person's choices about notices: their language, and declining reminders or digests."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from mejora.followup.history import change_record, snapshot
from mejora.followup.models import ChangeRecord
from mejora.notices.models import NoticePreference

SOURCE = "página web"


@transaction.atomic
def notice_preference_set(
    *,
    person: Any,
    actor: Any,
    language: str,
    reminders_off: bool,
    digests_off: bool,
    source: str = SOURCE,
) -> NoticePreference:
    """Keep the person's choices; a return of their report is told to them whatever these say."""
    preference = NoticePreference.objects.select_for_update().filter(user=person).first()
    before = snapshot(preference) if preference is not None else None
    if preference is None:
        preference = NoticePreference(user=person)
    preference.language = language
    preference.reminders_off = reminders_off
    preference.digests_off = digests_off
    preference.full_clean()
    preference.save()
    action = ChangeRecord.Action.CREATE if before is None else ChangeRecord.Action.UPDATE
    change_record(action=action, obj=preference, actor=actor, before=before, source=source).save()
    return preference
