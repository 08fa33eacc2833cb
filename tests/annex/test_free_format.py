"""The free format of interinstitutional ASM: blocks of labelled fields, read and issued.

Round trips in every format the free format is read from (text, Word, PDF), and a filing
written as agencies write it: labels spelt their way, one missing, the ASM text without its
label, areas of other institutions, dates through the annexes' own normalisers.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import AnnexRejected, PartialDate
from mejora.annex.formats import cycle_heading
from mejora.annex.parsers.free import FREE_ANNEX_LINE, free_annex, parse_free
from mejora.annex.renderers.free import render_free, render_free_html
from mejora.annex.synth import synth_document
from tests.office import converted_by_libreoffice


def free_document(*, progress: bool, aspects: int, classification: str = "interinstitucional"):
    """A synthetic annex's ASM as the free format holds them, under its own cycle headings."""
    doc = synth_document(aspects=aspects, seed=7, kind=free_annex(progress).code)
    sections = tuple(
        replace(
            s,
            heading=cycle_heading(classification, s.evaluation_period, s.mechanism_year),
            classification=classification,
        )
        for s in doc.sections
    )
    return replace(doc, annex=FREE_ANNEX_LINE, sections=sections)


@pytest.mark.parametrize("progress", [False, True], ids=["compromisos", "avance"])
@pytest.mark.parametrize("file_format", ["txt", "docx", "pdf"])
def test_free_format_reads_back_as_issued(file_format, progress):
    doc = free_document(progress=progress, aspects=2 if file_format == "pdf" else 8)
    again = parse_free(render_free(doc, file_format), file_format)
    assert again == doc
    assert {s.classification for s in again.sections} == {"interinstitucional"}
    assert not [f for f in again.findings if f.kind in ("label_missing", "ignored_line")]


def test_intergubernamental_when_the_heading_says_so():
    doc = free_document(progress=False, aspects=3, classification="intergubernamental")
    again = parse_free(render_free(doc, "txt"), "txt")
    assert again == doc
    assert {s.classification for s in again.sections} == {"intergubernamental"}


def test_the_html_prints_each_label_once_per_field():
    doc = free_document(progress=False, aspects=1)
    html = render_free_html(doc)
    activities = doc.sections[0].aspects[0].activities
    assert html.count("<strong>Acción a emprender:</strong>") == len(activities)
    assert '<html lang="es">' in html


FILING = """\
SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO INTERINSTITUCIONALES
Nombre de la Dependencia/Entidad: Secretaría de Educación de Campeche
Nombre del programa: 107 Educación Superior
Formato libre. Aspectos Susceptibles de Mejora interinstitucionales

ASPECTOS INTERINSTITUCIONALES 2021-2022 (Mecanismo 2022)

Aspecto No. 1.
Aspecto Susceptible de Mejora: Operación: Coordinar la entrega de becas con el IMSS.
Acción a emprender: Firmar un convenio de intercambio de padrones.
Área coordinadora: Dirección de Planeación
Áreas e instituciones involucradas: Dirección de Becas, Instituto Mexicano del Seguro Social (IMSS)
Fecha de término: Diciembre 2022
Resultados esperados: Padrones sin duplicados.
Productos y/o evidencias: Convenio firmado / Padrón depurado

Acción a emprender: Publicar el padrón conjunto.
Área coordinadora: Dirección de Planeación
Áreas e instituciones involucradas: Dirección de Becas
Fecha de término: 31 de diciembre 2023.
Productos y/o evidencias: Padrón publicado

Aspecto No. 2. Mejorar la difusión conjunta con la Secretaría de Salud.
Acción a emprender: Campaña conjunta
Área coordinadora: Dirección de Comunicación
Fecha de término: 30/06/2023
Resultados esperados: Más solicitudes.
Productos y/o evidencias: Materiales de difusión

Fecha de Elaboración: 15 de enero de 2022
"""


def filing_catalogue():
    return AreaCatalogue(
        [
            AreaName("Dirección de Planeación"),
            AreaName("Dirección de Becas"),
            AreaName("Dirección de Comunicación"),
        ]
    )


def test_a_filing_as_agencies_write_it():
    doc = parse_free(FILING.encode(), "txt", catalogue=filing_catalogue())
    assert doc.institution == "Secretaría de Educación de Campeche"
    assert (doc.program_key, doc.program) == ("107", "Educación Superior")
    [section] = doc.sections
    assert (section.classification, section.mechanism_year) == ("interinstitucional", 2022)
    first, second = section.aspects
    assert first.theme == "Operación"
    assert [a.text for a in first.activities] == [
        "Firmar un convenio de intercambio de padrones.",
        "Publicar el padrón conjunto.",
    ]
    signing, publishing = first.activities
    # The other institution involved is kept among the areas of the cell.
    assert [r.name for r in signing.responsible.areas] == [
        "Dirección de Becas",
        "Instituto Mexicano del Seguro Social (IMSS)",
    ]
    assert signing.due.due == PartialDate(2022, 12, text="Diciembre 2022")
    assert publishing.due.due.iso() == "2023-12-31"
    assert second.text == "Mejorar la difusión conjunta con la Secretaría de Salud."
    assert doc.prepared.iso() == "2022-01-15"

    missing = {f.where: f.text for f in doc.findings if f.kind == "label_missing"}
    # The second action says no expected result; ASM 2 has no label for its text nor the areas
    # involved.
    assert any(
        "Resultados esperados" in text and where.endswith("ASM 2022/1 · actividad 2")
        for where, text in missing.items()
    )
    assert any(
        "Aspecto Susceptible de Mejora" in t for w, t in missing.items() if "ASM 2022/2" in w
    )
    assert any(
        "Áreas e instituciones responsables" in t
        for w, t in missing.items()
        if w.endswith("ASM 2022/2 · actividad 1")
    )
    assert all(w.startswith("línea ") for w in missing)
    unknown = [f for f in doc.findings if f.kind == "unknown_area"]
    assert any("Instituto Mexicano del Seguro Social" in f.text for f in unknown)


def test_without_a_cycle_heading_the_filing_is_refused_in_spanish():
    text = FILING.replace("ASPECTOS INTERINSTITUCIONALES 2021-2022 (Mecanismo 2022)\n", "")
    with pytest.raises(AnnexRejected, match="encabezado de ciclo"):
        parse_free(text.encode(), "txt")


def test_without_the_program_the_filing_is_refused():
    text = FILING.replace("Nombre del programa: 107 Educación Superior\n", "")
    with pytest.raises(AnnexRejected, match="Nombre del programa"):
        parse_free(text.encode(), "txt")


@pytest.mark.parametrize("file_format", ["txt", "docx", "pdf"])
def test_a_free_format_file_is_told_from_a_table_annex(file_format):
    from mejora.annex.parsers.free import is_free_file
    from mejora.annex.renderers import render

    doc = free_document(progress=False, aspects=1)
    assert is_free_file(render_free(doc, file_format), file_format)
    table = replace(doc, annex=free_annex(False).annex_line)
    assert not is_free_file(render(table, file_format), file_format)


def test_institutions_named_apart_from_the_areas_stay_in_one_activity():
    block = (
        "Área responsable: Dirección de Becas\n"
        "Instituciones involucradas: Instituto Mexicano del Seguro Social (IMSS)\n"
    )
    text = FILING.replace(
        "Áreas e instituciones involucradas: Dirección de Becas, "
        "Instituto Mexicano del Seguro Social (IMSS)\n",
        block,
    )
    doc = parse_free(text.encode(), "txt", catalogue=filing_catalogue())
    signing, publishing = doc.sections[0].aspects[0].activities
    assert [r.name for r in signing.responsible.areas] == [
        "Dirección de Becas",
        "Instituto Mexicano del Seguro Social (IMSS)",
    ]
    assert publishing.text == "Publicar el padrón conjunto."


def typed_in_word(doc) -> bytes:
    """The free format as an agency types it: no space between paragraphs, the labels bold,
    and the second ASM's fields in a table of two columns, label and value."""
    import io

    from docx import Document
    from docx.shared import Pt

    from mejora.annex.renderers.free import free_paragraphs

    word = Document()
    style = word.styles["Normal"]
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.space_before = Pt(0)
    table = None
    numbers = 0
    for paragraph in free_paragraphs(doc):
        if paragraph.style == "number":
            numbers += 1
            table = None
        if numbers == 2 and paragraph.label and paragraph.label != "Fecha de Elaboración":
            table = table or word.add_table(rows=0, cols=2)
            row = table.add_row().cells
            row[0].text, row[1].text = f"{paragraph.label}:", paragraph.text
            continue
        written = word.add_paragraph()
        if paragraph.label:
            written.add_run(f"{paragraph.label}: ").bold = True
        written.add_run(paragraph.text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


@pytest.mark.skipif(
    __import__("shutil").which("soffice") is None,
    reason="LibreOffice (soffice) no está instalado aquí; en CI lo instala .ci/run",
)
def test_typed_in_word_and_printed_by_libreoffice_it_reads_the_same(tmp_path):
    doc = free_document(progress=False, aspects=3)
    typed = typed_in_word(doc)
    assert parse_free(typed, "docx") == doc
    printed = parse_free(converted_by_libreoffice(tmp_path, {"libre": typed})["libre"], "pdf")
    assert printed == doc


@pytest.mark.parametrize(
    ("line", "number", "rest"),
    [
        ("Aspecto No. 1.", "1", None),
        ("ASPECTO NÚM. 12", "12", None),
        ("Aspecto número 2.1. Mejorar la difusión", "2.1", "Mejorar la difusión"),
        ("ASM No. 3", "3", None),
        ("Aspecto Susceptible de Mejora No. 4: Coordinar padrones", "4", "Coordinar padrones"),
    ],
)
def test_the_number_of_an_asm_as_filings_write_it(line, number, rest):
    from mejora.annex.parsers.free import ASPECT_NUMBER

    match = ASPECT_NUMBER.match(line)
    assert (match["number"], match["rest"]) == (number, rest)


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("Acción a emprender: Firmar", ("activity", "Firmar")),
        ("a) Acción a emprender 1: Firmar", ("activity", "Firmar")),
        ("2. Actividad No. 2: Publicar", ("activity", "Publicar")),
        ("FECHA DE TÉRMINO:  Diciembre 2022", ("due", "Diciembre 2022")),
        ("Instituciones participantes: IMSS", ("institutions", "IMSS")),
        ("Productos y/o Evidencias: Convenio", ("deliverable", "Convenio")),
        ("Nota: no es un campo", None),
        ("Fecha de Elaboración: marzo de 2012", None),
    ],
)
def test_labels_as_filings_write_them(line, read):
    from mejora.annex.parsers.free import labelled

    assert labelled(line) == read


def test_the_asm_named_with_its_number_keeps_its_text_labelled():
    text = FILING.replace(
        "Aspecto No. 2. Mejorar la difusión",
        "Aspecto Susceptible de Mejora No. 2: Mejorar la difusión",
    )
    doc = parse_free(text.encode(), "txt", catalogue=filing_catalogue())
    second = doc.sections[0].aspects[1]
    assert second.text == "Mejorar la difusión conjunta con la Secretaría de Salud."
    assert not [f for f in doc.findings if "ASM 2022/2" in f.where and "Aspecto Sus" in f.text]


def test_the_header_unlabelled_as_the_seed_writes_it():
    text = FILING.replace("Nombre de la Dependencia/Entidad: ", "").replace(
        "Nombre del programa: ", ""
    )
    doc = parse_free(text.encode(), "txt")
    assert doc.institution == "Secretaría de Educación de Campeche"
    assert (doc.program_key, doc.program) == ("107", "Educación Superior")
    assert doc.title.startswith("SEGUIMIENTO A ASPECTOS")


def test_institutions_after_an_empty_areas_label_fill_it():
    text = FILING.replace(
        "Áreas e instituciones involucradas: Dirección de Becas\n",
        "Área responsable:\nInstituciones involucradas: Instituto Mexicano del Seguro Social\n",
    )
    doc = parse_free(text.encode(), "txt")
    first = doc.sections[0].aspects[0]
    assert len(first.activities) == 2
    assert first.activities[1].responsible.text == "Instituto Mexicano del Seguro Social"
