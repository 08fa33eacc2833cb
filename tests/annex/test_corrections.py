"""A person's review of a read annex: confirm or correct each doubtful reading."""

from __future__ import annotations

import pytest

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.corrections import (
    CorrectionInput,
    ReviewIncomplete,
    correction_input,
    current_value,
    read_correction,
    review_document,
)
from mejora.annex.document import AnnexRejected, CellRef, Finding
from mejora.annex.parsers import parse

CATALOGUE = AreaCatalogue(
    [
        AreaName("Dirección General de Opciones Productivas", "DGOP"),
        AreaName("Dirección General de Seguimiento", "DGS"),
    ]
)


@pytest.fixture(scope="module")
def seed(seed_bytes):
    return parse(seed_bytes, "txt")


def index_of(doc, kind, field, aspect, section=0):
    return next(
        i
        for i, f in enumerate(doc.findings)
        if f.kind == kind
        and f.cell
        and (f.cell.field, f.cell.aspect, f.cell.section) == (field, aspect, section)
    )


def all_confirmed(doc, *but):
    return set(range(len(doc.findings))) - set(but)


def test_each_doubtful_value_says_what_corrects_it(seed):
    inputs = {f.kind: correction_input(f) for f in seed.findings}
    assert inputs == {
        "unknown_area": CorrectionInput.AREA,
        "ambiguous_date": CorrectionInput.DATE,
        "joined_fragment": None,  # only confirmed: there is no value to type
    }


def test_confirming_every_reading_changes_no_value_and_marks_each_finding(seed):
    reviewed = review_document(
        seed, corrections={}, confirmed=all_confirmed(seed), catalogue=CATALOGUE
    )
    assert reviewed == seed
    assert {f.resolution for f in reviewed.findings} == {"Confirmada"}
    assert reviewed.findings[0].as_dict()["resolution"] == "Confirmada"


def test_a_reading_neither_confirmed_nor_corrected_stops_the_review(seed):
    left = index_of(seed, "ambiguous_date", "due", "3", section=1)
    with pytest.raises(ReviewIncomplete) as stopped:
        review_document(
            seed, corrections={}, confirmed=all_confirmed(seed, left), catalogue=CATALOGUE
        )
    assert {i: str(p) for i, p in stopped.value.problems.items()} == {
        left: "Confirme esta lectura o corríjala."
    }
    assert "no se importó nada" in str(stopped.value)


def test_a_corrected_due_date_replaces_the_reading_and_keeps_the_cell_as_written(seed):
    index = index_of(seed, "ambiguous_date", "due", "3", section=1)
    reviewed = review_document(
        seed,
        corrections={index: "6 de enero de 2010"},
        confirmed=all_confirmed(seed, index),
        catalogue=CATALOGUE,
    )
    activity = reviewed.sections[1].aspects[2].activities[0]
    assert activity.due.due.iso() == "2010-01-06"
    assert activity.due.text == seed.sections[1].aspects[2].activities[0].due.text
    assert reviewed.findings[index].resolution == "Corregida: «6 de enero de 2010»"
    assert current_value(reviewed, reviewed.findings[index].cell) == "2010-01-06"
    # Nothing else moved.
    assert reviewed.sections[0] == seed.sections[0]


def test_a_corrected_conclusion_date_goes_to_the_progress(seed):
    index = index_of(seed, "ambiguous_date", "concluded", "4")
    reviewed = review_document(
        seed,
        corrections={index: "12 de junio de 2011"},
        confirmed=all_confirmed(seed, index),
        catalogue=CATALOGUE,
    )
    assert reviewed.sections[0].aspects[3].activities[0].progress.concluded.iso() == "2011-06-12"


def area_names(doc):
    return [
        area.name
        for section in doc.sections
        for aspect in section.aspects
        for activity in aspect.activities
        for area in (*activity.coordinating.areas, *activity.responsible.areas)
    ]


def test_naming_an_unknown_area_names_it_in_every_cell_it_was_written(seed):
    index = index_of(seed, "unknown_area", "coordinating", "3")
    assert seed.findings[index].cell.subject == "DGS"
    times = area_names(seed).count("DGS")
    assert times > 1  # reported once, written in several cells
    reviewed = review_document(
        seed, corrections={index: "dgs"}, confirmed=all_confirmed(seed), catalogue=CATALOGUE
    )
    names = area_names(reviewed)
    assert "DGS" not in names
    assert names.count("Dirección General de Seguimiento") == times
    assert reviewed.sections[0].aspects[2].activities[2].coordinating.text == (
        seed.sections[0].aspects[2].activities[2].coordinating.text
    )


@pytest.mark.parametrize(
    ("kind", "field", "typed", "message"),
    [
        ("ambiguous_date", "due", "pronto", "No se entendió la fecha «pronto»"),
        ("ambiguous_date", "due", "01/06/2010", "No se entendió la fecha «01/06/2010»"),
        ("unknown_area", "responsible", "Dirección de Nada", "no está en el catálogo de áreas"),
    ],
)
def test_a_correction_that_cannot_be_read_is_refused_with_the_reason(
    seed, kind, field, typed, message
):
    aspect = "3" if field == "due" else "1"
    section = 1 if field == "due" else 0
    index = index_of(seed, kind, field, aspect, section=section)
    with pytest.raises(ReviewIncomplete) as stopped:
        review_document(
            seed, corrections={index: typed}, confirmed=all_confirmed(seed), catalogue=CATALOGUE
        )
    assert message in str(stopped.value.problems[index])


@pytest.mark.parametrize(("typed", "value"), [("80", 80), ("80 %", 80), ("0", 0), ("100%", 100)])
def test_a_percent_correction_is_a_whole_number_up_to_100(typed, value):
    finding = Finding(
        "percent_not_found", "línea 9", "No se encontró…", CellRef(0, "1", 0, "percent")
    )
    assert read_correction(finding, typed, CATALOGUE) == value


@pytest.mark.parametrize("typed", ["101", "-3", "ochenta", "80.5", "²", "٣٠"])
def test_a_percent_correction_outside_0_to_100_is_refused(typed):
    finding = Finding(
        "percent_not_found", "línea 9", "No se encontró…", CellRef(0, "1", 0, "percent")
    )
    with pytest.raises(AnnexRejected, match="no es un porcentaje entero entre 0 y 100"):
        read_correction(finding, typed, CATALOGUE)


def test_a_doubtful_text_cell_of_a_scan_is_corrected_as_typed(seed):
    from dataclasses import replace

    misread = Finding(
        "ocr_doubt",
        "página 1, recuadro 10,10,90,40 (giro 0°, +0.0°)",
        "Celda leída con poca confianza.",
        CellRef(0, "4", 0, "text"),
    )
    doc = replace(seed, findings=(*seed.findings, misread))
    index = len(doc.findings) - 1
    assert correction_input(misread) == CorrectionInput.TEXT
    reviewed = review_document(
        doc,
        corrections={index: "  Elaborar el  diagnóstico del programa "},
        confirmed=all_confirmed(doc, index),
        catalogue=CATALOGUE,
    )
    activity = reviewed.sections[0].aspects[3].activities[0]
    assert activity.text == "Elaborar el diagnóstico del programa"
    assert current_value(reviewed, misread.cell) == activity.text
    # The rest of the activity is as read.
    before = seed.sections[0].aspects[3].activities[0]
    assert replace(activity, text=before.text) == before
