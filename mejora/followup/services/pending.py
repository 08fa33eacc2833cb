"""Uploaded annexes waiting for the person who uploaded them to review and import them.

They are kept in the configured file storage (local folder or object storage) under a
random token of their own: each upload is its own review, so uploading the same file again
starts afresh, and only its uploader reaches it. Uploads left for KEEP_FOR are swept away.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

_PREFIX = "pendientes"
_TOKEN = re.compile(r"^[0-9a-f]{64}$")
# An upload nobody finished reviewing in this long is swept away, with its reading.
KEEP_FOR = dt.timedelta(days=7)


@dataclass(frozen=True)
class PendingUpload:
    data: bytes
    file_name: str
    owner_id: int


def is_pending_token(token: str) -> bool:
    return bool(_TOKEN.match(token))


def pending_save(*, data: bytes, file_name: str, owner_id: int) -> str:
    """Keep an uploaded file for its uploader's review; returns the token that names it."""
    pending_sweep()
    token = secrets.token_hex(32)
    safe_name = re.sub(r"[^\w.\- ]", "_", file_name)[-120:] or "anexo"
    default_storage.save(f"{_PREFIX}/{token}/{owner_id}/{safe_name}", ContentFile(data))
    return token


def pending_owner(token: str) -> int | None:
    """Who uploaded it, without reading the file; None when there is no such upload."""
    found = _pending_path(token)
    return found[0] if found else None


def pending_load(token: str) -> PendingUpload | None:
    """The file, its name and its uploader, or None when there is no such pending upload."""
    found = _pending_path(token)
    if found is None:
        return None
    owner_id, path = found
    with default_storage.open(path, "rb") as handle:
        return PendingUpload(handle.read(), path.rsplit("/", 1)[-1], owner_id)


def pending_discard(token: str) -> None:
    found = _pending_path(token)
    if found is not None:
        default_storage.delete(found[1])


def pending_sweep(older_than: dt.timedelta = KEEP_FOR) -> None:
    """Forget uploads nobody finished reviewing."""
    try:
        tokens, _ = default_storage.listdir(_PREFIX)
    except FileNotFoundError:
        return
    limit = timezone.now() - older_than
    for token in tokens:
        found = _pending_path(token)
        if found is not None and default_storage.get_modified_time(found[1]) < limit:
            default_storage.delete(found[1])


def _pending_path(token: str) -> tuple[int, str] | None:
    if not _TOKEN.match(token):
        return None
    try:
        owners, _ = default_storage.listdir(f"{_PREFIX}/{token}")
        for owner in owners:
            _, names = default_storage.listdir(f"{_PREFIX}/{token}/{owner}")
            if names and owner.isdecimal():
                return int(owner), f"{_PREFIX}/{token}/{owner}/{names[0]}"
    except FileNotFoundError:
        pass
    return None
