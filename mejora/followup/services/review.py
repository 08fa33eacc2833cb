"""Importing an annex as a person reviewed it: their corrections in, their decisions kept.

From a page both steps run as background tasks (mejora/tasks/work.py) that report progress:
the reading, which also previews what the import would change and is kept as JSON in the
file storage for the review page, and the import itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_noop

from mejora.annex.corrections import review_document
from mejora.annex.document import (
    AnnexDocument,
    AnnexRejected,
    document_from_json,
    document_to_json,
)
from mejora.annex.progress import Progress
from mejora.followup.models import AnnexImport, Institution, Program
from mejora.followup.scope import ImportScope
from mejora.followup.selectors import program_record_stamp
from mejora.followup.services.catalogue import catalogue_for
from mejora.followup.services.conflicts import retried_on_conflict
from mejora.followup.services.imports import (
    ImportSummary,
    annex_import,
    annex_read,
    file_sha256,
)


class ReviewOutdated(AnnexRejected):
    """The program's record changed after the review page was opened."""


def reviewed_program(document: AnnexDocument) -> Program | None:
    """The program the annex belongs to, when the record already has it."""
    return Program.objects.filter(
        institution__name=document.institution, name=document.program
    ).first()


def annex_review_check(
    *, document: AnnexDocument, corrections: Mapping[int, str], confirmed: Collection[int]
) -> AnnexDocument:
    """The document as reviewed, or ReviewIncomplete naming each finding left undecided."""
    institution = Institution.objects.filter(name=document.institution).first()
    return review_document(
        document, corrections=corrections, confirmed=confirmed, catalogue=catalogue_for(institution)
    )


@retried_on_conflict
@transaction.atomic
def annex_import_reviewed(
    *,
    document: AnnexDocument,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    stamp: str,
    file_name: str,
    sha256: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
    source: str,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the document with the person's corrections, all or nothing.

    Raises ReviewIncomplete when a finding is left undecided or a correction cannot be read,
    and ReviewOutdated when the program's record is no longer the one reviewed (`stamp`).
    """
    reviewed = annex_review_check(document=document, corrections=corrections, confirmed=confirmed)
    program = reviewed_program(document)
    if program is not None:
        # Held until the import commits: nobody changes the program between check and write.
        Program.objects.select_for_update().filter(pk=program.pk).first()
    if program_record_stamp(program) != stamp:
        raise ReviewOutdated(
            gettext_noop(
                "Mientras revisaba, el registro de este programa cambió (otra importación o una "
                "edición). No se importó nada: revise de nuevo la lectura y los cambios."
            )
        )
    return annex_import(
        document=reviewed,
        file_name=file_name,
        sha256=sha256,
        file_format=file_format,
        actor=actor,
        scope=scope,
        source=source,
        progress=progress,
    )


@dataclass(frozen=True)
class ReviewReading:
    """What the review page shows: the document read, and what importing it would change."""

    document: AnnexDocument
    created: int
    updated: int
    since_previous: list[dict[str, Any]]
    stamp: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "document": json.loads(document_to_json(self.document)),
                "created": self.created,
                "updated": self.updated,
                "since_previous": self.since_previous,
                "stamp": self.stamp,
            },
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> ReviewReading:
        data = json.loads(text)
        document = document_from_json(json.dumps(data["document"]))
        return cls(
            document, data["created"], data["updated"], data["since_previous"], data["stamp"]
        )


def annex_review_read(
    progress: Progress,
    *,
    token: str,
    data: bytes,
    file_name: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
) -> dict[str, Any]:
    """Read an uploaded file and preview its import; kept for the review page under `token`.

    A file naming a program outside the person's scope is refused as soon as its title block
    is read, before any of it is interpreted, previewed or kept.
    """
    document = annex_read(data, file_format=file_format, scope=scope, progress=progress)
    stamp, preview = _preview(
        document=document,
        file_name=file_name,
        sha256=file_sha256(data),
        file_format=file_format,
        actor=actor,
        scope=scope,
        progress=lambda _stage, done, total: progress("Comparando con el registro", done, total),
    )
    reading = ReviewReading(
        document, preview.created, preview.updated, preview.since_previous, stamp
    )
    kept = reading.to_json().encode("utf-8")
    path = _reading_path(token)
    default_storage.delete(path)  # a reading made again replaces the old one
    default_storage.save(path, ContentFile(_signature(kept) + b"\n" + kept))
    return {"aspects": document.aspect_count(), "activities": document.activity_count()}


@retried_on_conflict
@transaction.atomic
def _preview(*, document: AnnexDocument, **options: Any) -> tuple[str, ImportSummary]:
    """What importing would change, and the stamp of the record it was compared with."""
    return program_record_stamp(reviewed_program(document)), annex_import(
        document=document, dry_run=True, **options
    )


def review_reading(token: str) -> ReviewReading | None:
    """The reading annex_review_read kept, or None when there is none or it cannot be used.

    It is read only when its signature, made with the server's secret key, is ours: a file
    put in the storage by anyone else is never taken for a reading. A reading kept by an
    older version of the program that no longer reads is as good as none.
    """
    try:
        with default_storage.open(_reading_path(token), "rb") as handle:
            signature, _, kept = handle.read().partition(b"\n")
    except (FileNotFoundError, OSError, ValueError):
        return None
    if not constant_time_compare(signature, _signature(kept)):
        return None
    try:
        return ReviewReading.from_json(kept.decode("utf-8"))
    except (ValueError, KeyError, TypeError):
        return None


def review_reading_forget(token: str) -> None:
    default_storage.delete(_reading_path(token))


def review_import_work(
    progress: Progress,
    *,
    since: dt.datetime,
    **options: Any,
) -> dict[str, Any]:
    """The import step of a review: the program imported into, or why the record changed.

    Run again after it committed (a worker that died before reporting), it finds its own
    import, by the same person of the same file since `since`, and does not import again.
    """
    earlier = AnnexImport.objects.filter(
        sha256=options["sha256"], imported_by=options["actor"], imported_at__gte=since
    ).first()
    if earlier is not None:
        return {"program": earlier.program_id}
    try:
        summary = annex_import_reviewed(**options, progress=progress)
    except ReviewOutdated as outdated:
        return {"outdated": str(outdated)}
    return {"program": summary.program.pk}


def _reading_path(token: str) -> str:
    if not token.isalnum():
        raise ValueError(f"bad token {token!r}")
    return f"trabajos/{token}-lectura.json"


def _signature(data: bytes) -> bytes:
    return salted_hmac("mejora.review-reading", data, algorithm="sha256").hexdigest().encode()
