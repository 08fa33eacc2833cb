"""Printing a long annex's PDF in the background, kept in the file storage under the state
of the record.

WeasyPrint lays out about three pages a second, so a PDF of thousands of activities takes
minutes: the page starts a task (mejora/tasks/work.py) and hands the file over once it is
printed. The print is named after the program's record fingerprint, so two requests wait
for one print and a change to the record prints anew; printing a new state removes the
prints of older ones.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import slugify

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS
from mejora.annex.progress import Progress
from mejora.annex.renderers import render
from mejora.followup.extract import annex_extract
from mejora.followup.models import Cut, Program
from mejora.followup.selectors import program_record_stamp

_FOLDER = "trabajos"


def annex_file_name(program: Program, kind: str, doc: AnnexDocument, file_format: str) -> str:
    """'anexo-e-programa-opciones-productivas-marzo-de-2012.pdf'."""
    prepared = doc.prepared.text if doc.prepared else ""
    name = slugify(f"{FORMATS[kind].annex_line.split('.')[0]} {program.name} {prepared}")
    return f"{name}.{file_format}"


def annex_pdf_key(program: Program, kind: str, cut: Cut) -> str:
    """The name of the print of this annex at the record's present state."""
    return f"{_prefix(program.pk, kind, cut.pk)}{program_record_stamp(program)[:16]}"


def annex_pdf_path(key: str) -> str:
    """Where in the file storage the print named `key` is kept."""
    if not key.replace("-", "").isalnum():
        raise ValueError(f"bad print key {key!r}")
    return f"{_FOLDER}/{key}.pdf"


def annex_pdf_print(
    progress: Progress, *, program_pk: int, kind: str, cut_pk: int, key: str
) -> dict[str, Any]:
    """Print the annex into the file storage under `key`; the file name to hand it over as."""
    program = Program.objects.get(pk=program_pk)
    cut = Cut.objects.get(pk=cut_pk)
    doc = annex_extract(program, cut=cut, kind=kind)
    path = annex_pdf_path(key)
    printed = render(doc, "pdf", progress=progress)
    default_storage.delete(path)
    default_storage.save(path, ContentFile(printed))
    prefix = _prefix(program_pk, kind, cut_pk)
    try:
        _, names = default_storage.listdir(_FOLDER)
    except FileNotFoundError:
        names = []
    for name in names:
        if name.startswith(prefix) and name.endswith(".pdf") and f"{_FOLDER}/{name}" != path:
            default_storage.delete(f"{_FOLDER}/{name}")  # a print of a state the record left
    return {"name": annex_file_name(program, kind, doc, "pdf")}


def _prefix(program_pk: int, kind: str, cut_pk: int) -> str:
    return f"pdf-{program_pk}-{kind}-{cut_pk}-"
