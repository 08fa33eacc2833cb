"""Importing an annex as a person reviewed it: their corrections in, their decisions kept."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.db import transaction

from mejora.annex.corrections import review_document
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.followup.models import Institution, Program
from mejora.followup.selectors import program_record_stamp
from mejora.followup.services.catalogue import catalogue_for
from mejora.followup.services.imports import ImportSummary, annex_import


class ReviewOutdated(AnnexRejected):
    """The program's record changed after the review page was opened."""


def reviewed_program(document: AnnexDocument) -> Program | None:
    """The program the annex belongs to, when the record already has it."""
    return Program.objects.filter(
        institution__name=document.institution, name=document.program
    ).first()


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
) -> ImportSummary:
    """Import the document with the person's corrections, all or nothing.

    Raises ReviewIncomplete when a finding is left undecided or a correction cannot be read,
    and ReviewOutdated when the program's record is no longer the one reviewed (`stamp`).
    """
    institution = Institution.objects.filter(name=document.institution).first()
    reviewed = review_document(
        document,
        corrections=corrections,
        confirmed=confirmed,
        catalogue=catalogue_for(institution),
    )
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
    )
