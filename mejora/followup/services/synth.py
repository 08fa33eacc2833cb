"""Synthetic records for benchmarks, loaded through the same import as real annexes."""

from __future__ import annotations

import random

from django.db import transaction

from mejora.annex.document import PartialDate
from mejora.annex.synth import AREAS, synth_document
from mejora.followup.history import change_record
from mejora.followup.models import Activity, ChangeRecord, Replanning
from mejora.followup.services.catalogue import areas_load
from mejora.followup.services.imports import ImportSummary, annex_import

SYNTH_SOURCE = "datos sintéticos"


@transaction.atomic
def synth_load(*, aspects: int, seed: int = 2012) -> ImportSummary:
    """One program with `aspects` ASM (about three activities each) and some replannings."""
    document = synth_document(aspects=aspects, seed=seed)
    areas_load(
        institution_name=document.institution,
        acronym="SEDESOL",
        areas=AREAS,
        source=SYNTH_SOURCE,
    )
    summary = annex_import(
        document=document,
        file_name=f"sintetico-{aspects}-{seed}.txt",
        sha256=f"{seed:064d}"[-64:],
        file_format="txt",
        source=SYNTH_SOURCE,
    )
    _replan_some(summary, random.Random(seed))
    return summary


def _replan_some(summary: ImportSummary, rng: random.Random) -> None:
    """A tenth of the unfinished activities got a justified new date, as real programs do."""
    activities = Activity.objects.filter(aspect__program=summary.program).exclude(
        reports__percent=100
    )
    replannings = []
    for activity in activities.only("id", "due_on", "due_precision", "due_text"):
        if rng.random() >= 0.1 or activity.due is None:
            continue
        new_due = PartialDate(activity.due.year + 1, activity.due.month, text="")
        replanning = Replanning(
            activity=activity,
            justification="Se reprogramó por cambios en las Reglas de Operación del ejercicio.",
        )
        replanning.previous_due = activity.due
        replanning.new_due = PartialDate(
            new_due.year, new_due.month, text=f"{new_due.month:02d}/{new_due.year}"
        )
        replannings.append(replanning)
    Replanning.objects.bulk_create(replannings)
    ChangeRecord.objects.bulk_create(
        change_record(action=ChangeRecord.Action.CREATE, obj=r, source=SYNTH_SOURCE)
        for r in replannings
    )
