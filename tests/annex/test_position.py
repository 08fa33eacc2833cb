"""Anexo F, the institutional position: read back as issued, and its counts checked."""

from __future__ import annotations

import pytest

from mejora.annex.document import AnnexRejected
from mejora.annex.parsers.position import is_position_file, parse_position, section_of
from mejora.annex.position import (
    Acceptance,
    PositionAspect,
    PositionCounts,
    PositionDocument,
    RecommendationEntry,
    Signatory,
    count_aspects,
    read_acceptance,
)
from mejora.annex.renderers.position import render_position, render_position_text


def position_document() -> PositionDocument:
    return PositionDocument(
        institution="Secretaría de Desarrollo Social",
        program="S054 Programa Opciones Productivas",
        evaluation="Evaluación de Consistencia y Resultados 2011",
        general_comments=(
            "La evaluación fue útil para el programa y sus hallazgos son pertinentes.",
            "El programa reconoce que la cuantificación de su población objetivo y la "
            "actualización de su diagnóstico son tareas pendientes, y las hará suyas en el "
            "siguiente ejercicio fiscal con las áreas que participan en su operación.",
        ),
        specific_comments=("Las recomendaciones se analizaron con las unidades administrativas.",),
        recommendations=(
            RecommendationEntry(
                "Elaborar un diagnóstico actualizado del problema", Acceptance.YES, "Se atiende."
            ),
            RecommendationEntry(
                "Cuantificar la población potencial y objetivo",
                Acceptance.PARTIAL,
                "Sólo la población objetivo: la potencial depende del INEGI.",
            ),
            RecommendationEntry("Cambiar el nombre del programa", Acceptance.NO, ""),
        ),
        aspects=(
            PositionAspect("1", "Actualizar el diagnóstico del programa", "Específico", "Alta"),
            PositionAspect("2", "Cuantificar la población objetivo", "Institucional", "Media"),
        ),
        counts=PositionCounts(
            specific=1,
            institutional=1,
            interinstitutional=0,
            intergovernmental=0,
            total=2,
            high=1,
            medium=1,
            low=0,
        ),
        discarded=("Cambiar el nombre del programa",),
        sources=("Informe final de la evaluación", "Reglas de Operación 2012"),
        units=("Dirección General de Opciones Productivas", "DGEMPS"),
        signatories=(
            Signatory("Juan Pérez López", "Director General de Opciones Productivas"),
            Signatory("María Gómez Ruiz", "Enlace de evaluación"),
        ),
    )


@pytest.mark.parametrize("file_format", ["txt", "docx", "pdf"])
def test_it_reads_back_what_it_issued(file_format):
    doc = position_document()
    back = parse_position(render_position(doc, file_format), file_format)
    assert back == doc
    assert back.findings == ()
    assert is_position_file(render_position(doc, file_format), file_format)


def test_the_counts_of_its_own_list_agree_with_the_stated_ones():
    doc = position_document()
    assert doc.counted() == doc.counts


def test_a_stated_count_that_disagrees_with_its_list_is_a_finding_naming_both():
    text = render_position_text(position_document())
    text = text.replace("Específicos\t1", "Específicos\t3").replace("Alta\t1", "Alta\t2")
    found = parse_position(text.encode(), "txt").findings
    assert [f.text for f in found] == [
        "El anexo dice 3 ASM específicos, pero su lista de ASM da 1.",
        "El anexo dice 2 ASM de prioridad alta, pero su lista de ASM da 1.",
    ]
    assert {f.kind for f in found} == {"conteo"}


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Sí", Acceptance.YES),
        ("SI", Acceptance.YES),
        ("x", Acceptance.YES),
        ("No", Acceptance.NO),
        ("no.", Acceptance.NO),
        ("Parcialmente", Acceptance.PARTIAL),
        ("Parcial", Acceptance.PARTIAL),
        ("Sí, se atenderá en 2012", Acceptance.YES),
        ("No. Corresponde a otra dependencia", Acceptance.NO),
        ("Sí, parcialmente", Acceptance.PARTIAL),
        ("Aceptada parcialmente", Acceptance.PARTIAL),
        ("Nosotros lo revisaremos", None),
        ("Tal vez", None),
        ("", None),
    ],
)
def test_it_reads_se_acepta_as_agencies_write_it(written, read):
    assert read_acceptance(written) is read


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("1. Comentarios generales", "general"),
        ("II) COMENTARIOS ESPECÍFICOS", "specific"),
        ("3. Fuentes de información utilizadas", "sources"),
        ("4. Unidades administrativas que participaron", "units"),
        ("Unidades que participaron en la elaboración", "units"),
        ("5. Firmas", "signatories"),
        ("Comentarios generales sobre un tema que se alarga " * 4, None),
        ("El programa atiende a productores", None),
    ],
)
def test_it_knows_the_sections_by_their_headings(heading, section):
    assert section_of(heading) == section


def test_it_counts_the_record_s_words():
    counts = count_aspects(
        [("especifico", "alta"), ("institucional", "media"), ("especifico", "baja")]
    )
    assert (counts.specific, counts.institutional, counts.total) == (2, 1, 3)
    assert (counts.high, counts.medium, counts.low, counts.very_high) == (1, 1, 1, None)


def test_an_unreadable_se_acepta_is_a_finding_and_not_taken_as_accepted():
    text = render_position_text(position_document()).replace("\tSí\t", "\tTal vez\t")
    doc = parse_position(text.encode(), "txt")
    assert doc.recommendations[0].accepted is Acceptance.NO
    assert "«Tal vez»" in doc.findings[0].text


def test_a_file_without_its_title_is_not_an_anexo_f():
    text = render_position_text(position_document()).replace("Anexo F. Posición institucional", "")
    assert not is_position_file(text.encode(), "txt")
    with pytest.raises(AnnexRejected, match="no es un Anexo F"):
        parse_position(text.encode(), "txt")


@pytest.mark.parametrize("file_format", ["txt", "docx"])
def test_the_other_annexes_are_not_taken_for_an_anexo_f(seed_bytes, file_format):
    from mejora.annex.parsers import parse
    from mejora.annex.renderers import render

    assert not is_position_file(render(parse(seed_bytes, "txt"), file_format), file_format)


MARKED_HEADERS = {
    "one row": ["Recomendación\tSí\tNo\tParcialmente\tComentarios"],
    "two rows": ["Recomendación\tSe acepta\t\t\tComentarios", "\tSí\tNo\tParcial\t"],
}


@pytest.mark.parametrize("header", MARKED_HEADERS)
def test_it_reads_se_acepta_marked_under_si_or_no(header):
    doc = position_document()
    text = render_position_text(doc)
    table = "\n".join(
        [
            *MARKED_HEADERS[header],
            "Elaborar un diagnóstico actualizado del problema\tX\t\t\tSe atiende.",
            "Cuantificar la población potencial y objetivo\t\t\tX\tEn parte.",
            "Cambiar el nombre del programa\t\tX\t\t",
            "Una recomendación sin marca\t\t\t\t",
        ]
    )
    start = text.index("Recomendación\t")
    end = text.index("\n\n", start)
    read = parse_position((text[:start] + table + text[end:]).encode(), "txt")
    assert [r.accepted for r in read.recommendations] == [
        Acceptance.YES,
        Acceptance.PARTIAL,
        Acceptance.NO,
        Acceptance.NO,
    ]
    assert [r.comment for r in read.recommendations][:2] == ["Se atiende.", "En parte."]
    assert [f.where for f in read.findings] == ["recomendación «Una recomendación sin marca»"]
