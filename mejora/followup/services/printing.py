"""Printing a long annex's PDF as a background job, kept under the state of the record.

WeasyPrint lays out about three pages a second, so a PDF of thousands of activities takes
minutes: the page starts a job and hands the file over once it is printed. The job is
named after the program's record fingerprint, so two requests wait for one print and a
change to the record prints anew; printing a new state removes the prints of older ones.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.progress import Progress
from mejora.annex.renderers import render
from mejora.followup.extract import annex_extract
from mejora.followup.models import Cut, Program
from mejora.followup.selectors import program_record_stamp
from mejora.followup.services.jobs import JobState, job_file, job_file_write, job_start


def annex_file_name(program: Program, kind: str, doc: AnnexDocument, file_format: str) -> str:
    """'anexo-e-programa-opciones-productivas-marzo-de-2012.pdf'."""
    prepared = doc.prepared.text if doc.prepared else ""
    name = slugify(f"{FORMATS[kind].annex_line.split('.')[0]} {program.name} {prepared}")
    return f"{name}.{file_format}"


def annex_pdf_start(program: Program, kind: str, cut: Cut) -> tuple[JobState, Path]:
    """Start printing the annex unless this state of the record is printed or printing;
    the job's state and where its PDF will be."""
    key = f"{_prefix(program, kind, cut)}{program_record_stamp(program)[:16]}"
    work = partial(_print, program_pk=program.pk, kind=kind, cut_pk=cut.pk, key=key)
    state = job_start(key, work)
    return state, job_file(key, "pdf")


def _prefix(program: Program, kind: str, cut: Cut) -> str:
    return f"pdf-{program.pk}-{kind}-{cut.pk}-"


def _print(progress: Progress, *, program_pk: int, kind: str, cut_pk: int, key: str) -> dict:
    program = Program.objects.get(pk=program_pk)
    cut = Cut.objects.get(pk=cut_pk)
    doc = annex_extract(program, cut=cut, kind=kind)
    printed = job_file_write(key, "pdf", render(doc, "pdf", progress=progress))
    for older in printed.parent.glob(f"{_prefix(program, kind, cut)}*.pdf"):
        if older != printed:
            older.unlink(missing_ok=True)  # a print of a state the record has left
    result: dict[str, Any] = {"name": annex_file_name(program, kind, doc, "pdf")}
    return result
