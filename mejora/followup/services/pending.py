"""Uploaded annexes waiting for a person to review them before they are imported.

They are kept in the configured file storage (local folder or object storage) under their
SHA-256, so a review page can be reloaded and a second upload of the same file is one file.
"""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from mejora.followup.services.imports import file_sha256

_PREFIX = "pendientes"
_TOKEN = re.compile(r"^[0-9a-f]{64}$")


def pending_save(*, data: bytes, file_name: str) -> str:
    """Keep an uploaded file for review; returns the token that names it."""
    token = file_sha256(data)
    safe_name = re.sub(r"[^\w.\- ]", "_", file_name)[-120:] or "anexo"
    path = f"{_PREFIX}/{token}/{safe_name}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return token


def pending_load(token: str) -> tuple[bytes, str] | None:
    """The file and its name, or None when there is no such pending upload."""
    if not _TOKEN.match(token):
        return None
    try:
        _, names = default_storage.listdir(f"{_PREFIX}/{token}")
    except FileNotFoundError:
        return None
    if not names:
        return None
    with default_storage.open(f"{_PREFIX}/{token}/{names[0]}", "rb") as handle:
        return handle.read(), names[0]


def pending_discard(token: str) -> None:
    if not _TOKEN.match(token):
        return
    try:
        _, names = default_storage.listdir(f"{_PREFIX}/{token}")
    except FileNotFoundError:
        return
    for name in names:
        default_storage.delete(f"{_PREFIX}/{token}/{name}")
