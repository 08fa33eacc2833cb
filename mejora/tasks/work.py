"""The background work of the pages, as tasks on the queue with JSON arguments only.

A task is given ids and tokens, never a document or an object: it fetches the upload from
the file storage, the person from the database, the reading from where the reading task
kept it, so any worker on any host can run it and any app server can report on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_tasks import task

from mejora.accounts.access import import_scope_for
from mejora.annex.document import AnnexRejected
from mejora.annex.parsers import format_of
from mejora.followup.models import Cut, Program
from mejora.followup.services.imports import file_sha256
from mejora.followup.services.pending import pending_discard, pending_load
from mejora.followup.services.printing import annex_pdf_key, annex_pdf_print
from mejora.followup.services.review import (
    FilingReading,
    annex_review_read,
    filing_review_read,
    is_filing_upload,
    review_import_work,
    review_reading,
    review_reading_forget,
)
from mejora.tasks.jobs import job_forget, job_run, job_start, job_state
from mejora.tasks.models import Job

# The review of one upload: reading it (with the preview), then importing it.


def reading_key(token: str) -> str:
    return f"{token}-lectura"


def import_key(token: str) -> str:
    return f"{token}-importacion"


@task()
def review_read_task(*, key: str, token: str, actor_id: int) -> dict[str, Any]:
    """Read an upload (an annex, or a filing and each of its instruments) and preview its
    import, for its uploader's review page."""

    def work(progress: Any) -> dict[str, Any]:
        upload = pending_load(token)
        if upload is None:
            raise AnnexRejected(_("Ese archivo ya no está pendiente de revisión."))
        actor = get_user_model().objects.get(pk=actor_id)
        file_format = format_of(upload.file_name)
        filing = is_filing_upload(upload.data, file_format)
        read = filing_review_read if filing else annex_review_read
        return read(
            progress,
            token=token,
            data=upload.data,
            file_name=upload.file_name,
            file_format=file_format,
            actor=actor,
            scope=import_scope_for(actor),
        )

    return job_run(key, work)


@task()
def review_import_task(
    *,
    key: str,
    token: str,
    actor_id: int,
    corrections: dict[str, str],
    confirmed: list[int],
    stamp: str,
) -> dict[str, Any]:
    """Import a reviewed upload with the person's decisions, all or nothing."""
    job = job_state(key)

    def work(progress: Any) -> dict[str, Any]:
        upload = pending_load(token)
        reading = review_reading(token)
        if upload is None or reading is None:
            raise AnnexRejected(_("La lectura se perdió; suba el archivo otra vez."))
        actor = get_user_model().objects.get(pk=actor_id)
        if isinstance(reading, FilingReading):
            subject: dict[str, Any] = {"filing": reading.filing}
        else:
            subject = {"document": reading.document}
        return review_import_work(
            progress,
            since=job.started_at,
            **subject,
            corrections={int(index): text for index, text in corrections.items()},
            confirmed=set(confirmed),
            stamp=stamp,
            file_name=upload.file_name,
            sha256=file_sha256(upload.data),
            file_format=format_of(upload.file_name),
            actor=actor,
            scope=import_scope_for(actor),
            source=f"importación de {upload.file_name} (página web)",
        )

    return job_run(key, work) if job is not None else {}


@dataclass(frozen=True)
class ReviewJobs:
    """Where an upload's review stands: its reading job and its import job, if any."""

    reading: Job | None
    importing: Job | None

    @property
    def import_running(self) -> bool:
        return self.importing is not None and not self.importing.finished

    @property
    def imported_program(self) -> int | None:
        done = self.importing is not None and self.importing.finished
        return self.importing.result.get("program") if done else None

    @property
    def import_failed(self) -> Job | None:
        """A finished import that wrote nothing: the record had changed, or a rule refused."""
        done = self.importing is not None and self.importing.finished
        return self.importing if done and self.imported_program is None else None

    def shown(self) -> Job | None:
        """The job a progress bar follows: the one running, else the last to finish."""
        running = [j for j in (self.importing, self.reading) if j and not j.finished]
        return running[0] if running else self.importing or self.reading


def review_jobs(token: str) -> ReviewJobs:
    jobs = {
        job.key: job for job in Job.objects.filter(key__in=[reading_key(token), import_key(token)])
    }
    return ReviewJobs(jobs.get(reading_key(token)), jobs.get(import_key(token)))


def review_read_start(token: str, *, actor: Any) -> Job:
    """Read the upload unless it is read or being read; again when an import found the
    record changed since the reading (its preview and stamp are of the old record)."""
    jobs = review_jobs(token)
    failed = jobs.import_failed
    stale = (
        jobs.reading is not None
        and failed is not None
        and "outdated" in failed.result
        and jobs.reading.updated_at < failed.updated_at
    )
    return job_start(
        reading_key(token), review_read_task, again=stale, token=token, actor_id=actor.pk
    )


def review_import_start(
    token: str,
    *,
    actor: Any,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    stamp: str,
) -> Job:
    """Import the reviewed upload as a task; a finished attempt that failed is tried again,
    one waiting or running is left to run (a double click imports once)."""
    jobs = review_jobs(token)
    return job_start(
        import_key(token),
        review_import_task,
        again=jobs.import_failed is not None,
        token=token,
        actor_id=actor.pk,
        corrections={str(index): text for index, text in corrections.items()},
        confirmed=sorted(confirmed),
        stamp=stamp,
    )


def review_forget(token: str) -> None:
    """An imported upload leaves nothing behind."""
    pending_discard(token)
    review_reading_forget(token)
    job_forget(reading_key(token))
    job_forget(import_key(token))


# Printing a long PDF.


@task()
def annex_pdf_task(*, key: str, program_id: int, kind: str, cut_id: int) -> dict[str, Any]:
    """Print an annex's PDF into the file storage."""
    return job_run(
        key,
        lambda progress: annex_pdf_print(
            progress, program_pk=program_id, kind=kind, cut_pk=cut_id, key=key
        ),
    )


def annex_pdf_start(program: Program, kind: str, cut: Cut) -> Job:
    """Start printing the annex unless this state of the record is printed or printing."""
    key = annex_pdf_key(program, kind, cut)
    return job_start(key, annex_pdf_task, program_id=program.pk, kind=kind, cut_id=cut.pk)
