"""Sending one notice to one person, once per event, in their language, with its link."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from mejora.notices.models import Kind, Language, Notice, NoticePreference


def absolute_url(path: str) -> str:
    """The page's address as a person opens it from their mail (MEJORA_BASE_URL)."""
    return settings.MEJORA_BASE_URL.rstrip("/") + path


def preference_of(person: Any) -> NoticePreference:
    """The person's choices, or the defaults (Spanish, every notice) if never chosen."""
    found = NoticePreference.objects.filter(user=person).first()
    return found or NoticePreference(user=person)


def event_key(prefix: str, *parts: object) -> str:
    """A short, stable name for an event; long lists of ids are hashed."""
    text = ":".join(str(part) for part in parts)
    if len(text) > 120:
        text = hashlib.sha256(text.encode()).hexdigest()[:40]
    return f"{prefix}:{text}"


def notice_render(kind: Kind, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject (the template's first line) and the body, in the language given."""
    if language not in Language.values:
        language = Language.SPANISH
    with translation.override(language):
        text = render_to_string(f"notices/{language}/{kind.value}.txt", context)
    subject, _, body = text.strip().partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"


def notice_send(
    *, key: str, kind: Kind, person: Any, path: str, context: dict[str, Any]
) -> Notice | None:
    """E-mail the person this event's notice unless they had it or declined its kind.

    The log row is written in the transaction that sends, and it is unique per event and
    person: a failed send leaves no row (the retry sends it), and a second run, or a second
    worker at the same moment, finds the row and sends nothing. The notice sent, or None.
    """
    if not person.email or not person.is_active:
        return None
    if Notice.objects.filter(event_key=key, recipient=person).exists():
        return None
    preference = preference_of(person)
    if preference.declines(kind):
        return None
    link = absolute_url(path)
    preferences_link = absolute_url(reverse("notice-preferences"))
    subject, body = notice_render(
        kind,
        preference.language,
        {**context, "person": person, "link": link, "preferences_link": preferences_link},
    )
    # Opened before the transaction: a mail server that is away or slow to answer holds
    # no lock on the record (on SQLite, every other write) while it is waited for.
    connection = get_connection()
    connection.open()
    try:
        return _send_once(key, kind, person, preference.language, subject, body, link, connection)
    finally:
        connection.close()


def _send_once(
    key: str,
    kind: Kind,
    person: Any,
    language: str,
    subject: str,
    body: str,
    link: str,
    connection: Any,
) -> Notice | None:
    with transaction.atomic():
        if Notice.objects.filter(event_key=key, recipient=person).exists():
            return None
        notice = Notice(
            event_key=key,
            kind=kind,
            recipient=person,
            email=person.email,
            language=language,
            subject=subject[:300],
            link=link,
        )
        notice.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                notice.save()
        except IntegrityError:  # another worker sent it meanwhile
            return None
        EmailMessage(subject, body, None, [person.email], connection=connection).send()
    return notice
