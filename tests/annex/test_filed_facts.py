"""What real filings do, read the same by every reader (issue 11, point 5): an ASM that goes
on over the next page with other areas, month-only dates, and cells listing several areas
or products.

One Anexo D is written here as agencies type it, page by page, in each readable format
(its header stacked a word or a letter a line where the format allows), and each reads it
into the same ASM, activities, dates, areas and products.
"""

from __future__ import annotations

import csv
import io
from html import escape

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from openpyxl import Workbook

from mejora.annex.document import PartialDate
from mejora.annex.formats import FORMATS
from mejora.annex.parsers import parse
from mejora.annex.renderers.pdf import render_pdf_from_html

ANNEX = FORMATS["documento-institucional"]
PREAMBLE = [
    "SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO INSTITUCIONALES",
    "Anexo D. Documento institucional",
    "Nombre de la Dependencia/Entidad: Secretaría de Educación",
    "Nombre del programa: 107 Educación Superior",
    "ASPECTOS INSTITUCIONALES 2021-2022 (Mecanismo 2022)",
]
CLOSING = [
    "Responsable del programa: Mtra. Ana Ruiz, Directora de Educación Superior",
    "Enlace de evaluación: Lic. Luis Paz, Jefe del Departamento de Evaluación",
    "Titular de la dependencia: Dr. José Sosa, Secretario de Educación",
    "Fecha de Elaboración: marzo de 2023",
]
# Núm. Consc. | ASM | Área Coordinadora | Acciones a emprender | Área Responsable |
# Fecha de Término | Resultados Esperados | Productos y/o evidencias — "{sep}" is where a
# cell lists several entries: ' / ', or a blank line where a cell can hold one.
PAGES = [
    [
        ["1", "Diseño: Actualizar la MIR.", "DGESU", "Revisar la MIR", "DGESU/UPEE",
         "Diciembre 2022", "MIR revisada", "Minuta{sep}Lista de asistencia"],
    ],
    [
        # The ASM goes on over the page break: written again, with other areas.
        ["1", "Diseño: Actualizar la MIR.", "UPEE", "Publicar la MIR", "Dirección de Planeación",
         "31 de diciembre 2023.", "MIR publicada", "MIR 2024"],
        # And once more, with its number and text left empty: a third activity.
        ["", "", "Dirección de Planeación", "Difundir la MIR",
         "Dirección de Planeación{sep}Dirección de Finanzas", "diciembre de 2023.",
         "MIR difundida", "Oficio"],
        ["2", "Operación: Documentar los procesos.", "DGESU", "Elaborar el manual", "DGESU",
         "Junio 2023", "Manual", "Manual de procedimientos"],
    ],
]  # fmt: skip


def cells(row: list[str], sep: str) -> list[str]:
    return [text.replace("{sep}", sep) for text in row]


# Headers as narrow columns print them: a word a line, or a letter a line.
STACKED = [heading.replace(" ", "\n") for heading in ANNEX.headings()]
STACKED[0] = "\n".join(ANNEX.headings()[0].replace(" ", ""))


def as_txt() -> bytes:
    lines = [*PREAMBLE, ""]
    for page in PAGES:
        lines += ["\t".join(ANNEX.headings()), *("\t".join(cells(r, " / ")) for r in page), ""]
    return "\n".join([*lines, *CLOSING]).encode()


def as_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[line] for line in PREAMBLE])
    writer.writerow(ANNEX.headings())
    writer.writerows(cells(r, "\n\n") for page in PAGES for r in page)
    writer.writerows([[line] for line in CLOSING])
    return out.getvalue().encode()


def as_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    for line in PREAMBLE:
        sheet.append([line])
    sheet.append(STACKED)
    for page in PAGES:
        for row in page:
            sheet.append(cells(row, "\n\n"))
    for line in CLOSING:
        sheet.append([line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_docx() -> bytes:
    document = Document()
    for line in PREAMBLE:
        document.add_paragraph(line)
    for number, page in enumerate(PAGES):
        if number:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        table = document.add_table(rows=0, cols=len(ANNEX.columns))
        for row in [STACKED, *(cells(r, "\n\n") for r in page)]:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    for line in CLOSING:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_pdf() -> bytes:
    def table(rows: list[list[str]]) -> str:
        head = "".join(f"<th>{'<br>'.join(map(escape, h.splitlines()))}</th>" for h in STACKED)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(t)}</td>" for t in cells(r, " / ")) + "</tr>"
            for r in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    style = (
        "@page { size: letter landscape; margin: 1cm } body { font: 7pt 'Liberation Sans' }"
        " table { border-collapse: collapse; width: 100% } th, td { border: 0.5pt solid }"
        " .next { page-break-before: always }"
    )
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in PREAMBLE)
    tables = "".join(
        f'<div class="{"next" if n else ""}">{table(page)}</div>' for n, page in enumerate(PAGES)
    )
    closing = "".join(f"<p>{escape(line)}</p>" for line in CLOSING)
    return render_pdf_from_html(
        f"<html><head><style>{style}</style></head><body>{paragraphs}{tables}{closing}</body></html>"
    )


WRITERS = {"txt": as_txt, "csv": as_csv, "xlsx": as_xlsx, "docx": as_docx, "pdf": as_pdf}


@pytest.fixture(scope="module", params=list(WRITERS))
def filed(request):
    return request.param, parse(WRITERS[request.param](), request.param)


def test_the_header_lines_and_the_signatories_are_read(filed):
    _, doc = filed
    assert (doc.institution, doc.program_key, doc.program) == (
        "Secretaría de Educación",
        "107",
        "Educación Superior",
    )
    assert [(s.role, s.name) for s in doc.signatories] == [
        ("responsable", "Mtra. Ana Ruiz"),
        ("enlace", "Lic. Luis Paz"),
        ("titular", "Dr. José Sosa"),
    ]
    assert doc.kind == "documento-institucional"


def test_the_stacked_header_is_read_by_name_without_a_note(filed):
    _, doc = filed
    assert not [f for f in doc.findings if f.kind == "column_mapping"]


def test_an_asm_continued_over_the_page_is_one_asm_with_its_activities(filed):
    _, doc = filed
    [section] = doc.sections
    assert [(a.number, len(a.activities)) for a in section.aspects] == [("1", 3), ("2", 1)]
    assert [a.text for a in section.aspects[0].activities] == [
        "Revisar la MIR",
        "Publicar la MIR",
        "Difundir la MIR",
    ]
    assert [a.coordinating.text for a in section.aspects[0].activities] == [
        "DGESU",
        "UPEE",
        "Dirección de Planeación",
    ]


@pytest.mark.parametrize(
    ("aspect", "activity", "due"),
    [
        (0, 0, PartialDate(2022, 12)),
        (0, 1, PartialDate(2023, 12, 31)),
        (0, 2, PartialDate(2023, 12)),
        (1, 0, PartialDate(2023, 6)),
    ],
)
def test_month_only_and_dotted_dates_are_read_at_their_precision(filed, aspect, activity, due):
    _, doc = filed
    read = doc.sections[0].aspects[aspect].activities[activity].due.due
    assert read is not None
    assert (read.year, read.month, read.day) == (due.year, due.month, due.day)


@pytest.mark.parametrize(
    ("activity", "column", "names"),
    [
        (0, "responsible", ["DGESU", "UPEE"]),
        (1, "responsible", ["Dirección de Planeación"]),
        (2, "responsible", ["Dirección de Planeación", "Dirección de Finanzas"]),
    ],
)
def test_a_cell_listing_several_areas_gives_each(filed, activity, column, names):
    _, doc = filed
    cell = getattr(doc.sections[0].aspects[0].activities[activity], column)
    assert [area.name for area in cell.areas] == names


def test_a_cell_listing_several_products_keeps_them_as_a_list(filed):
    _, doc = filed
    first = doc.sections[0].aspects[0].activities[0]
    assert first.deliverable == "Minuta / Lista de asistencia"
    assert first.products == ("Minuta", "Lista de asistencia")
    assert doc.sections[0].aspects[1].activities[0].products == ("Manual de procedimientos",)


def test_the_repeated_asm_is_reported_where_it_was_seen(filed):
    _, doc = filed
    continued = [f for f in doc.findings if f.kind == "continued_aspect"]
    assert len(continued) == 1
    assert "ASM 1" in continued[0].text
