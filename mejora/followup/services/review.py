"""Importing an annex as a person reviewed it: their corrections in, their decisions kept.

From a page both steps run as background jobs (services/jobs.py) that report progress: the
reading, which also previews what the import would change, and the import itself.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from mejora.annex.corrections import review_document
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.progress import Progress
from mejora.followup.models import Institution, Program
from mejora.followup.selectors import program_record_stamp
from mejora.followup.services.catalogue import catalogue_for
from mejora.followup.services.imports import ImportSummary, annex_import, annex_read
from mejora.followup.services.jobs import job_file


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
            "Mientras revisaba, el registro de este programa cambió (otra importación o una "
            "edición). No se importó nada: revise de nuevo la lectura y los cambios."
        )
    return annex_import(
        document=reviewed,
        file_name=file_name,
        sha256=sha256,
        file_format=file_format,
        actor=actor,
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


def annex_review_read(
    progress: Progress,
    *,
    token: str,
    data: bytes,
    file_name: str,
    file_format: str,
    actor: Any,
) -> dict[str, Any]:
    """Read an uploaded file and preview its import; kept for the review page under `token`."""
    document = annex_read(data, file_format=file_format, progress=progress)
    with transaction.atomic():
        # Taken with the preview, in one transaction: the stamp is of the record previewed.
        stamp = program_record_stamp(reviewed_program(document))
        preview = annex_import(
            document=document,
            file_name=file_name,
            sha256=token,
            file_format=file_format,
            actor=actor,
            dry_run=True,
            progress=lambda _stage, done, total: progress(
                "Comparando con el registro", done, total
            ),
        )
    reading = ReviewReading(
        document, preview.created, preview.updated, preview.since_previous, stamp
    )
    path = _reading_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL))
    return {"aspects": document.aspect_count(), "activities": document.activity_count()}


def review_reading(token: str) -> ReviewReading | None:
    """The reading annex_review_read kept, or None."""
    try:
        # Our own file, written by annex_review_read above, never an upload.
        return pickle.loads(_reading_path(token).read_bytes())
    except FileNotFoundError:
        return None


def review_reading_forget(token: str) -> None:
    _reading_path(token).unlink(missing_ok=True)


def _reading_path(token: str) -> Path:
    return job_file(f"{token}-lectura", "pickle")
