"""Annexes as agencies make them import to the records they were generated from.

Each variant of tests/variants.py — pages broken at other rows, columns moved and renamed,
areas by acronym or by name, dates in other conventions — is read and imported into an empty
database holding the institution's area catalogue. It must give the same records as importing
the document it was made from: ASM, activities, area rows, due dates with their precision,
percents, conclusion dates, progress per cut and the counts `mejora status` prints. A date
written so that it reads day/month or month/day is not compared as read: the reader must flag
it, and the test checks the finding instead of the guess.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import pytest
from django.db import transaction

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import AnnexDocument
from mejora.annex.parsers.text import parse_text
from mejora.annex.synth import AREAS, synth_document
from mejora.demo import SAMPLE_AREAS, sample_bytes
from mejora.followup.models import Activity, Area, Aspect, Cut, Program
from mejora.followup.selectors import status_counts
from mejora.followup.services.catalogue import areas_load
from mejora.followup.services.imports import annex_import, annex_read, file_sha256
from tests.variants import VARIANT_FORMATS, Place, Variant, make_variant, write_sheet_csv

pytestmark = pytest.mark.django_db

SEEDS = (1, 2, 3)
SYNTH_ASPECTS = 24
# Findings about the file rather than the annex: a variant has its own.
LAYOUT_FINDINGS = {
    "ambiguous_date", "column_mapping", "joined_fragment", "encoding", "ignored_line",
    "ignored_cell", "ignored_sheet",
}  # fmt: skip
UNRELIABLE = "(fecha ambigua, ver hallazgo)"


def sedesol_areas() -> list[AreaName]:
    catalogue = json.loads(sample_bytes(SAMPLE_AREAS))
    return [
        AreaName(a["name"], a.get("acronym", ""), tuple(a.get("aliases", ())))
        for a in catalogue["areas"]
    ]


def original(source: str, seed: int, seed_bytes: bytes) -> tuple[AnnexDocument, list[AreaName]]:
    """The document a variant is made from, and the catalogue of its institution."""
    if source == "muestra":
        areas = sedesol_areas()
        return parse_text(seed_bytes, catalogue=AreaCatalogue(areas)), areas
    return synth_document(aspects=SYNTH_ASPECTS, seed=seed), list(AREAS)


def load_catalogue(document: AnnexDocument, areas: list[AreaName]) -> None:
    areas_load(
        institution_name=document.institution, acronym="SEDESOL", areas=areas, source="pruebas"
    )


def records(unreliable: set[tuple[Place, str]] = frozenset()) -> dict[str, Any]:
    """The record's meaningful values, keyed by where they are, without database ids."""
    program = Program.objects.select_related("institution").get()
    found: dict[str, Any] = {
        "programa": (program.institution.name, program.name),
        "cortes": list(Cut.objects.order_by("date").values_list("date", "name")),
        "áreas": sorted(Area.objects.values_list("name", "acronym")),
    }
    for aspect in Aspect.objects.select_related("cycle"):
        found[f"ASM {aspect.cycle.mechanism_year}/{aspect.number}"] = {
            "ciclo": (aspect.cycle.evaluation_period, aspect.classification),
            "texto": aspect.text,
            "tema": aspect.theme,
            "enunciado": aspect.statement,
        }
    activities = Activity.objects.select_related("aspect__cycle").prefetch_related(
        "area_roles__area", "reports__cut"
    )
    for activity in activities:
        aspect = activity.aspect
        place = (aspect.cycle.mechanism_year, aspect.number, activity.order)
        due = (activity.due_on, activity.due_precision)
        areas = sorted(activity.area_roles.all(), key=lambda r: (r.role, r.position))
        found[f"actividad {place[0]}/{place[1]}.{place[2]}"] = {
            "texto": activity.text,
            "resultados": activity.expected_results,
            "producto": activity.deliverable,
            "término": UNRELIABLE if (place, "due") in unreliable else due,
            "áreas": [(r.role, r.position, r.area.name, r.note) for r in areas],
            "avance": [
                (
                    report.cut.date,
                    report.percent,
                    report.state,
                    UNRELIABLE
                    if (place, "concluded") in unreliable
                    else (report.concluded_on, report.concluded_precision),
                    report.proof_text,
                    report.observations,
                )
                for report in activity.reports.all()
            ],
        }
    return found


def status_dates(document: AnnexDocument, variant: Variant) -> list[dt.date]:
    """Days to compare `mejora status` on: a misread day stays within its year, so the first
    of January of every year is safe; the cut's day is, unless a misread date is that year."""
    days = [dt.date(year, 1, 1) for year in range(2009, 2016)]
    cut = document.prepared.end
    if all(a.year != cut.year for a in variant.ambiguous if a.misread):
        days.append(cut)
    return days


def statuses(days: list[dt.date]) -> dict[str, dict]:
    return {day.isoformat(): status_counts(Aspect.objects.all(), day) for day in days}


def import_document(
    document: AnnexDocument, unreliable: set[tuple[Place, str]], days: list[dt.date]
) -> tuple[dict, dict]:
    """What importing the document itself writes, undone afterwards."""
    with transaction.atomic():
        annex_import(document=document, file_name="original", sha256="0" * 64, file_format="txt")
        found = records(unreliable), statuses(days)
        transaction.set_rollback(True)
    return found


def semantic_findings(findings) -> Counter:
    """Findings about what the annex says, whatever file it came in."""
    return Counter((f.kind, f.text) for f in findings if f.kind not in LAYOUT_FINDINGS)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda seed: f"semilla{seed}")
@pytest.mark.parametrize("file_format", VARIANT_FORMATS)
@pytest.mark.parametrize("source", ["muestra", "sintetico"])
def test_a_variant_imports_to_the_records_of_its_document(source, file_format, seed, seed_bytes):
    """Read into an empty record with the catalogue loaded, an agency's variant gives what
    the document it was made from gives, and its findings say what the variant changed."""
    document, areas = original(source, seed, seed_bytes)
    load_catalogue(document, areas)
    variant = make_variant(document, file_format, seed, areas)
    days = status_dates(document, variant)
    expected, expected_status = import_document(document, variant.unreliable, days)

    read = annex_read(variant.data, file_format=file_format)
    annex_import(
        document=read,
        file_name=f"variante.{file_format}",
        sha256=file_sha256(variant.data),
        file_format=file_format,
    )

    why = variant.describe()
    assert records(variant.unreliable) == expected, why
    assert statuses(days) == expected_status, why
    assert semantic_findings(read.findings) == semantic_findings(document.findings), why
    assert_the_findings_say_what_the_variant_changed(variant, read.findings)


def assert_the_findings_say_what_the_variant_changed(variant: Variant, findings) -> None:
    """Every ambiguous date where it was written, every row joined across a page break, and
    (where the header matcher reads the columns) every renamed or foreign column and the
    order; nothing else of the kind."""
    why = variant.describe()
    ambiguous = [f for f in findings if f.kind == "ambiguous_date"]
    for date in variant.ambiguous:
        year, number, order = date.place
        where = f"ASM {year}/{number} · actividad {order} · {date.column}"
        assert any(where in f.where and f"«{date.text}»" in f.text for f in ambiguous), (
            f"{where}: «{date.text}»\n{why}"
        )
    assert len(ambiguous) == len(variant.ambiguous), why
    assert sum(f.kind == "joined_fragment" for f in findings) == variant.fragments, why
    if variant.file_format == "csv":
        return  # the CSV reads its columns by name without saying so
    notes = [f.text for f in findings if f.kind == "column_mapping"]
    for written in variant.renamed:
        assert any(n.startswith(f"La columna «{written}» se leyó como") for n in notes), why
    assert any("otro orden" in n for n in notes) == variant.reordered, why
    if variant.own_column:
        assert any(f"«{variant.own_column}» no es de ningún anexo" in n for n in notes), why


def test_the_variants_cover_every_kind_of_variation(seed_bytes):
    """The seeds above are worth running: between them they break pages, split rows, move,
    rename and add columns, swap names and acronyms, and write ambiguous and misread dates."""
    document, areas = original("muestra", 0, seed_bytes)
    variants = [
        make_variant(document, file_format, seed, areas)
        for file_format in VARIANT_FORMATS
        for seed in SEEDS
    ]
    # Rows long enough to run over two page breaks are the synthetic annex's.
    for seed in SEEDS:
        synth, synth_areas = original("sintetico", seed, seed_bytes)
        variants.append(make_variant(synth, "docx", seed, synth_areas))
    choices = "\n".join(line for v in variants for line in v.choices)
    for said in ("áreas: acrónimos", "áreas: nombres", "mes/día", "3 páginas", "3 tablas",
                 "fechas de Excel", "celdas combinadas", "con encabezado", "sin encabezado",
                 "cp1252", "';'", "ciclo en la tabla"):  # fmt: skip
        assert said in choices, said
    assert any(v.renamed for v in variants)
    assert any(v.own_column for v in variants)
    assert any(v.own_column == "" for v in variants)
    assert any(a.misread for v in variants for a in v.ambiguous)
    assert any(not a.misread for v in variants for a in v.ambiguous)


# --- Agencies' CSV files ------------------------------------------------------------------


def test_a_csv_with_an_abbreviated_column_name_imports(seed_bytes):
    document, areas = original("muestra", 0, seed_bytes)
    load_catalogue(document, areas)
    variant = make_variant(document, "csv", 1, areas)
    header, rest = variant.data.split(b"\n", 1)
    header = re.sub(rb"(?i)producto y/o evidencia", b"Productos / evidencias", header)
    assert b"Productos / evidencias" in header
    data = header + b"\n" + rest
    expected, _ = import_document(document, variant.unreliable, [])
    read = annex_read(data, file_format="csv")
    annex_import(document=read, file_name="v.csv", sha256="2" * 64, file_format="csv")
    assert records(variant.unreliable) == expected


def test_an_agencys_sheet_saved_as_csv_imports(seed_bytes):
    document, areas = original("muestra", 0, seed_bytes)
    load_catalogue(document, areas)
    data = write_sheet_csv(document, 1, areas)
    expected, _ = import_document(document, set(), [])
    read = annex_read(data, file_format="csv")
    annex_import(document=read, file_name="hoja.csv", sha256="3" * 64, file_format="csv")
    assert records() == expected
