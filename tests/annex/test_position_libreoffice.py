"""An Anexo F we did not issue: typed in Word as an agency types it, and printed by LibreOffice.

The agency's layout is its own: an upper-case title, Word's heading styles, the labelled title
lines, a recommendations table whose last column is named at length, the ASM in a table of
their own with 'Alto' and 'Medio' for the priority, the counts by classification across one
row of labels over one of figures, the counts by priority as lines of text, and the
signatures as a name over a post.
"""

from __future__ import annotations

import shutil

import pytest
from docx import Document
from docx.shared import Pt

from mejora.annex.parsers.position import is_position_file, parse_position
from mejora.annex.position import Acceptance, PositionCounts, RecommendationEntry, Signatory
from tests.office import converted_by_libreoffice

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) no está instalado aquí; en CI lo instala .ci/run "
    "(libreoffice-writer-nogui)",
)

RECOMMENDATIONS = (
    RecommendationEntry(
        "Actualizar el diagnóstico del problema que atiende el programa con información de la "
        "ENIGH 2010",
        Acceptance.YES,
        "La Dirección General de Opciones Productivas lo actualizará en el segundo semestre.",
    ),
    RecommendationEntry(
        "Definir y cuantificar las poblaciones potencial y objetivo",
        Acceptance.PARTIAL,
        "Se cuantificará la población objetivo; la potencial depende de fuentes externas.",
    ),
    RecommendationEntry(
        "Fusionar el programa con otros de desarrollo productivo",
        Acceptance.NO,
        "No corresponde a las unidades del programa.",
    ),
)
ACCEPTED_AS_WRITTEN = {
    Acceptance.YES: "SI",
    Acceptance.PARTIAL: "Parcialmente",
    Acceptance.NO: "NO",
}
ASPECTS = (
    ("1", "Actualizar el diagnóstico del programa", "Específico", "Alto"),
    ("2", "Cuantificar la población objetivo", "Institucional", "Medio"),
    ("3", "Integrar un padrón único de beneficiarios", "Institucional", "Alto"),
)
COUNTS = PositionCounts(
    specific=1, institutional=2, interinstitutional=0, intergovernmental=0, total=3, high=2,
    medium=1, low=0,
)  # fmt: skip
SIGNATORIES = (
    Signatory("Lic. Juan Pérez López", "Director General de Opciones Productivas"),
    Signatory("Mtra. María Gómez Ruiz", "Enlace de evaluación"),
)


# Enough rows of several lines that LibreOffice cuts one of them across a page break.
MANY_RECOMMENDATIONS = tuple(
    RecommendationEntry(
        f"Recomendación {n}: revisar el diseño y la operación del programa, con su matriz de "
        "indicadores para resultados y sus reglas de operación vigentes",
        Acceptance.YES if n % 3 else Acceptance.PARTIAL,
        f"Comentario {n} de la Dirección General de Opciones Productivas sobre cómo se atenderá "
        "en el ejercicio fiscal siguiente.",
    )
    for n in range(1, 41)
)


def typed_by_an_agency(
    *,
    specific_said: int = 1,
    recommendations: tuple[RecommendationEntry, ...] = RECOMMENDATIONS,
    marks: bool = False,
) -> bytes:
    document = Document()
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(10)
    normal.paragraph_format.space_after = Pt(8)  # Word's own default since 2007
    document.add_heading("ANEXO F. POSICIÓN INSTITUCIONAL", level=1)
    document.add_paragraph("Nombre de la Dependencia/Entidad: Secretaría de Desarrollo Social")
    document.add_paragraph("Nombre del programa: S054 Programa Opciones Productivas")
    document.add_paragraph("Nombre de la evaluación: Consistencia y Resultados 2011-2012")
    document.add_heading("1. Comentarios generales", level=2)
    document.add_paragraph(
        "El programa valora la evaluación: sus hallazgos coinciden con el diagnóstico interno "
        "y las recomendaciones son en general factibles."
    )
    document.add_heading("2. Comentarios específicos", level=2)
    document.add_paragraph("Las unidades responsables revisaron cada recomendación.")
    if marks:
        _marked_table(document, recommendations)
    else:
        table = document.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(
            table.rows[0].cells,
            (
                "Recomendación",
                "Se acepta (Sí/No)",
                "Comentarios de las unidades administrativas responsables del programa",
            ),
            strict=True,
        ):
            cell.text = text
        for entry in recommendations:
            row = table.add_row().cells
            row[0].text, row[1].text = entry.text, ACCEPTED_AS_WRITTEN[entry.accepted]
            row[2].text = entry.comment
    document.add_paragraph("Aspectos susceptibles de mejora que se derivan de la evaluación:")
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(
        table.rows[0].cells, ("Núm.", "Aspecto Susceptible de Mejora", "Tipo", "Prioridad"),
        strict=True,
    ):  # fmt: skip
        cell.text = text
    for values in ASPECTS:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    document.add_paragraph("Número de ASM por clasificación:")
    table = document.add_table(rows=2, cols=5)
    table.style = "Table Grid"
    labels = ("Específicos", "Institucionales", "Interinstitucionales", "Intergubernamentales")
    figures = (specific_said, 2, 0, 0, 3)
    for index, (label, figure) in enumerate(zip((*labels, "Total"), figures, strict=True)):
        table.cell(0, index).text, table.cell(1, index).text = label, str(figure)
    document.add_paragraph("Prioridad alta: 2")
    document.add_paragraph("Prioridad media: 1")
    document.add_paragraph("Prioridad baja: 0")
    document.add_heading("Recomendaciones descartadas", level=3)
    document.add_paragraph("Fusionar el programa con otros de desarrollo productivo")
    document.add_heading("3. Fuentes de información", level=2)
    document.add_paragraph("Informe final de la evaluación de Consistencia y Resultados")
    document.add_heading("4. Unidades administrativas que participaron", level=2)
    document.add_paragraph("Dirección General de Opciones Productivas")
    document.add_paragraph("Dirección General de Evaluación y Monitoreo de los Programas Sociales")
    document.add_heading("5. Firmantes", level=2)
    for signatory in SIGNATORIES:
        document.add_paragraph(signatory.name)
        document.add_paragraph(signatory.post)
    from io import BytesIO

    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _marked_table(document, recommendations) -> None:
    """'Se acepta' merged over three columns, Sí, No and Parcialmente, marked with an X."""
    table = document.add_table(rows=2, cols=5)
    table.style = "Table Grid"
    top, marks = table.rows[0].cells, table.rows[1].cells
    top[0].merge(marks[0]).text = "Recomendación"
    top[1].merge(top[3]).text = "Se acepta"
    top[4].merge(marks[4]).text = "Comentarios de las unidades administrativas"
    for cell, text in zip(marks[1:4], ("Sí", "No", "Parcialmente"), strict=True):
        cell.text = text
    column = {Acceptance.YES: 1, Acceptance.NO: 2, Acceptance.PARTIAL: 3}
    for entry in recommendations:
        row = table.add_row().cells
        row[0].text, row[4].text = entry.text, entry.comment
        row[column[entry.accepted]].text = "X"


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, bytes]:
    """Both Word files printed by one LibreOffice run with a profile of its own."""
    folder = tmp_path_factory.mktemp("anexo-f")
    files = {
        "agencia": typed_by_an_agency(),
        "descuadrado": typed_by_an_agency(specific_said=2),
        "largo": typed_by_an_agency(recommendations=MANY_RECOMMENDATIONS),
        "marcas": typed_by_an_agency(marks=True),
    }
    pdfs = converted_by_libreoffice(folder, files)
    return {
        **{f"{name}.docx": data for name, data in files.items()},
        **{f"{name}.pdf": pdf for name, pdf in pdfs.items()},
    }


@pytest.mark.parametrize("file_format", ["docx", "pdf"])
def test_the_agency_s_anexo_f_reads_into_its_recommendations_positions_and_counts(
    printed, file_format
):
    assert is_position_file(printed[f"agencia.{file_format}"], file_format)
    doc = parse_position(printed[f"agencia.{file_format}"], file_format)
    assert doc.recommendations == RECOMMENDATIONS
    assert doc.counts == COUNTS
    assert doc.counted() == COUNTS
    assert [(a.number, a.text, a.classification, a.priority) for a in doc.aspects] == list(ASPECTS)
    assert doc.program == "S054 Programa Opciones Productivas"
    assert doc.discarded == ("Fusionar el programa con otros de desarrollo productivo",)
    assert doc.units[1] == "Dirección General de Evaluación y Monitoreo de los Programas Sociales"
    assert doc.signatories == SIGNATORIES
    assert len(doc.general_comments) == 1 and doc.general_comments[0].endswith("factibles.")
    assert doc.findings == ()


@pytest.mark.parametrize("file_format", ["docx", "pdf"])
def test_its_count_that_disagrees_with_its_list_is_a_finding(printed, file_format):
    doc = parse_position(printed[f"descuadrado.{file_format}"], file_format)
    assert [f.text for f in doc.findings] == [
        "El anexo dice 2 ASM específicos, pero su lista de ASM da 1."
    ]


def test_a_row_a_page_break_cuts_is_read_whole(printed):
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(printed["largo.pdf"])) as pdf:
        assert len(pdf.pages) > 2
    doc = parse_position(printed["largo.pdf"], "pdf")
    assert doc.recommendations == MANY_RECOMMENDATIONS
    assert doc.findings == ()


@pytest.mark.parametrize("file_format", ["docx", "pdf"])
def test_se_acepta_marked_with_an_x_under_merged_headings_reads_the_same(printed, file_format):
    doc = parse_position(printed[f"marcas.{file_format}"], file_format)
    assert doc.recommendations == RECOMMENDATIONS
    assert doc.findings == ()
