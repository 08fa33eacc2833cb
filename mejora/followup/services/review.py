"""Importing an annex as a person reviewed it: their corrections in, their decisions kept.

From a page both steps run as background jobs (services/jobs.py) that report progress: the
reading, which also previews what the import would change, and the import itself.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from mejora.annex.corrections import review_document
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.parsers import format_of
from mejora.annex.progress import Progress
from mejora.followup.models import Institution, Program
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
from mejora.followup.services.jobs import (
    JobState,
    job_file,
    job_file_write,
    job_forget,
    job_start,
    job_state,
)
from mejora.followup.services.pending import PendingUpload, pending_discard


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
            "Mientras revisaba, el registro de este programa cambió (otra importación o una "
            "edición). No se importó nada: revise de nuevo la lectura y los cambios."
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
    data = pickle.dumps(reading, protocol=pickle.HIGHEST_PROTOCOL)
    job_file_write(_reading_key(token), "pickle", _signature(data) + b"\n" + data)
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

    It is unpickled only when its signature, made with the server's secret key, is ours: a
    file put in the uploads folder by anyone else is never loaded. A reading kept by an
    older version of the program that no longer loads is as good as none.
    """
    try:
        signature, _, data = job_file(_reading_key(token), "pickle").read_bytes().partition(b"\n")
    except (FileNotFoundError, ValueError):
        return None
    if not constant_time_compare(signature, _signature(data)):
        return None
    try:
        reading = pickle.loads(data)
    except Exception:
        return None
    return reading if isinstance(reading, ReviewReading) else None


def review_reading_forget(token: str) -> None:
    job_file(_reading_key(token), "pickle").unlink(missing_ok=True)


def _reading_key(token: str) -> str:
    return f"{token}-lectura"


def _signature(data: bytes) -> bytes:
    return salted_hmac("mejora.review-reading", data, algorithm="sha256").hexdigest().encode()


# The review of one upload as jobs: reading it (with the preview), then importing it.


def _reading_job(token: str) -> str:
    return f"{token}-lectura"


def _import_job(token: str) -> str:
    return f"{token}-importacion"


@dataclass(frozen=True)
class ReviewJobs:
    """Where an upload's review stands: its reading job and its import job, if any."""

    reading: JobState | None
    importing: JobState | None

    @property
    def import_running(self) -> bool:
        return self.importing is not None and not self.importing.finished

    @property
    def imported_program(self) -> int | None:
        done = self.importing is not None and self.importing.finished
        return self.importing.result.get("program") if done else None

    @property
    def import_failed(self) -> JobState | None:
        """A finished import that wrote nothing: the record had changed, or a rule refused."""
        done = self.importing is not None and self.importing.finished
        return self.importing if done and self.imported_program is None else None

    def shown(self) -> JobState | None:
        """The job a progress bar follows: the one running, else the last to finish."""
        running = [j for j in (self.importing, self.reading) if j and not j.finished]
        return running[0] if running else self.importing or self.reading


def review_jobs(token: str) -> ReviewJobs:
    return ReviewJobs(job_state(_reading_job(token)), job_state(_import_job(token)))


def review_read_start(
    token: str, upload: PendingUpload, *, actor: Any, scope: ImportScope
) -> JobState:
    """Read the upload unless it is read or being read; again when an import found the
    record changed since the reading (its preview and stamp are of the old record)."""
    jobs = review_jobs(token)
    failed = jobs.import_failed
    stale = (
        jobs.reading is not None
        and failed is not None
        and "outdated" in failed.result
        and jobs.reading.updated < failed.updated
    )
    work = partial(
        annex_review_read,
        token=token,
        data=upload.data,
        file_name=upload.file_name,
        file_format=format_of(upload.file_name),
        actor=actor,
        scope=scope,
    )
    return job_start(_reading_job(token), work, again=stale)


def review_import_start(
    token: str,
    upload: PendingUpload,
    *,
    document: AnnexDocument,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    stamp: str,
    actor: Any,
    scope: ImportScope,
) -> JobState:
    """Import the reviewed upload as a job; a finished attempt that failed is tried again,
    one running is left to run (a double click imports once)."""
    work = partial(
        _import_reviewed,
        document=document,
        corrections=corrections,
        confirmed=confirmed,
        stamp=stamp,
        file_name=upload.file_name,
        sha256=file_sha256(upload.data),
        file_format=format_of(upload.file_name),
        actor=actor,
        scope=scope,
        source=f"importación de {upload.file_name} (página web)",
    )
    jobs = review_jobs(token)
    return job_start(_import_job(token), work, again=jobs.import_failed is not None)


def review_forget(token: str) -> None:
    """An imported upload leaves nothing behind."""
    pending_discard(token)
    review_reading_forget(token)
    job_forget(_reading_job(token))
    job_forget(_import_job(token))


def _import_reviewed(progress: Progress, **options: Any) -> dict[str, Any]:
    """The import job: the program imported into, or why the record changed meanwhile."""
    try:
        summary = annex_import_reviewed(**options, progress=progress)
    except ReviewOutdated as outdated:
        return {"outdated": str(outdated)}
    return {"program": summary.program.pk}
