"""The annex as a Word document: the round trip, what Word sees, the same bytes every time,
tables typed by someone else, and files that are not an annex."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Inches, Pt
from lxml import etree

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import FOOTNOTE_MARKER, FORMATS, row_cells
from mejora.annex.parsers import docx as docx_parser
from mejora.annex.parsers.docx import NOT_DOCX, parse_docx
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import docx as docx_renderer
from mejora.annex.renderers.docx import render_docx

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
SEDESOL_AREAS = ROOT / "mejora" / "sample" / "sedesol-areas.json"
SEED = parse_text(SAMPLE.read_bytes())
SEED_DOCX = render_docx(SEED)
ANNEX = FORMATS[SEED.kind]
COLUMNS = [
    "No.",
    "Aspecto Susceptible de Mejora",
    "Actividades",
    "Área Coordinadora",
    "Área Responsable",
    "Fecha de Término",
    "Resultados Esperados",
    "Producto y/o evidencia",
    "Porcentaje de avance y justificación ¹",
    "Identificación del documento probatorio (Nombre del archivo y extensión)",
    "Observaciones",
]


def sedesol_catalogue() -> AreaCatalogue:
    data = json.loads(SEDESOL_AREAS.read_text(encoding="utf-8"))
    return AreaCatalogue(
        AreaName(area["name"], area.get("acronym", ""), tuple(area.get("aliases", ())))
        for area in data["areas"]
    )


def rejection(data: bytes) -> str:
    with pytest.raises(AnnexRejected) as caught:
        parse_docx(data)
    return str(caught.value)


# --- The round trip --------------------------------------------------------------------------


def test_the_seed_reads_back_from_its_word_document():
    assert SEED.activity_count() == 20
    assert parse_docx(SEED_DOCX) == SEED


def test_the_word_document_gives_the_text_readings_findings_but_the_page_breaks():
    # A catalogue learns the areas it is shown: each reading gets its own.
    from_text = parse_text(SAMPLE.read_bytes(), catalogue=sedesol_catalogue())
    from_docx = parse_docx(render_docx(from_text), catalogue=sedesol_catalogue())

    assert from_docx == from_text
    assert sorted((f.kind, f.text) for f in from_docx.findings) == sorted(
        (f.kind, f.text) for f in from_text.findings if f.kind != "joined_fragment"
    )
    assert all(f.where.startswith("tabla ") for f in from_docx.findings)


def test_an_aspect_without_activities_a_cycle_without_aspects_and_no_date_read_back():
    first, second = SEED.sections
    bare = dataclasses.replace(first.aspects[0], activities=())
    doc = dataclasses.replace(
        SEED,
        sections=(
            dataclasses.replace(first, aspects=(bare, *first.aspects[1:])),
            dataclasses.replace(second, aspects=()),
        ),
        prepared=None,
        footnote="",
    )

    again = parse_docx(render_docx(doc))

    assert again == doc
    assert [f.kind for f in again.findings if f.kind == "prepared_missing"] == ["prepared_missing"]


def test_a_large_annex_reads_back_with_every_row_in_its_table(monkeypatch):
    # Each table is written in several pieces.
    monkeypatch.setattr(docx_renderer, "_PARTS_PER_WRITE", 500)
    sections = tuple(
        dataclasses.replace(
            section,
            aspects=tuple(
                dataclasses.replace(aspect, number=str(copy * 10 + index))
                for copy in range(60)
                for index, aspect in enumerate(section.aspects, 1)
            ),
        )
        for section in SEED.sections
    )
    doc = dataclasses.replace(SEED, sections=sections)

    data = render_docx(doc)

    assert parse_docx(data) == doc
    tables = Document(io.BytesIO(data)).tables
    assert [len(table.rows) for table in tables] == [
        1 + 60 * sum(len(a.activities) for a in section.aspects) for section in SEED.sections
    ]
    assert b"<!--" not in zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")


def test_a_long_annex_is_let_go_row_by_row_as_it_is_read(monkeypatch):
    # Held whole, the XML of a 15,000-activity annex took some 400 MB.
    held = []
    read_row = docx_parser._raw_row

    def counting(tr, *limits_and_where):
        held.append(sum(1 for _ in tr.getroottree().iter()))
        return read_row(tr, *limits_and_where)

    monkeypatch.setattr(docx_parser, "_raw_row", counting)
    copies = 30
    sections = tuple(
        dataclasses.replace(
            section,
            aspects=tuple(
                dataclasses.replace(aspect, number=str(copy * 10 + index))
                for copy in range(copies)
                for index, aspect in enumerate(section.aspects, 1)
            ),
        )
        for section in SEED.sections
    )
    doc = dataclasses.replace(SEED, sections=sections)
    data = render_docx(doc)

    assert parse_docx(data) == doc
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    elements = sum(1 for _ in etree.fromstring(xml).iter())
    assert len(held) == len(SEED.sections) + copies * SEED.activity_count()
    # What is held is the row and what the parser has read ahead, however long the table.
    assert max(held) < elements / 10


def test_a_text_that_looks_like_where_the_rows_go_is_only_text():
    doc = dataclasses.replace(SEED, program="<!--mejora-rows-0--> Programa")

    assert parse_docx(render_docx(doc)) == doc


# --- What Word sees ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word():
    return Document(io.BytesIO(SEED_DOCX))


def test_the_title_block_headings_footnote_and_date_are_paragraphs(word):
    texts = [p.text for p in word.paragraphs if p.text]

    assert texts[:4] == [
        SEED.title,
        f"Nombre de la Dependencia/Entidad: {SEED.institution}",
        f"Nombre del programa: {SEED.program}",
        SEED.annex,
    ]
    assert word.paragraphs[0].runs[0].bold
    assert [t for t in texts if t.startswith("ASPECTOS")] == [
        "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)",
        "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)",
    ]
    assert texts[-2:] == [SEED.footnote, "Fecha de Elaboración: marzo de 2012"]
    assert texts[-2].startswith(FOOTNOTE_MARKER)


def test_each_cycle_has_a_bordered_table_with_the_columns_letter_for_letter(word):
    assert len(word.tables) == 2
    for table in word.tables:
        assert table.style.name == "Table Grid"
        assert [cell.text for cell in table.rows[0].cells] == COLUMNS
    assert sum(len(table.rows) - 1 for table in word.tables) == 20


def test_only_the_header_rows_repeat_on_each_page(word):
    for table in word.tables:
        flags = [
            tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None
            for tr in table._tbl.tr_lst
        ]
        assert flags == [True] + [False] * (len(flags) - 1)


def test_the_number_and_text_of_asm_2008_3_are_merged_down_its_five_rows(word):
    rows = word.tables[0].rows
    start = next(i for i, row in enumerate(rows) if row.cells[0].text == "3")
    top = [rows[start].cells[0]._tc, rows[start].cells[1]._tc]

    assert rows[start].cells[1].text.startswith(SEED.sections[0].aspects[2].text[:30])
    assert [tc.vMerge for tc in top] == ["restart", "restart"]
    for row in rows[start + 1 : start + 5]:
        assert [cell._tc for cell in row.cells[:2]] == top  # python-docx: one merged cell
        assert [tc.vMerge for tc in row._tr.tc_lst[:2]] == ["continue", "continue"]
        assert row.cells[2].text  # each row its own activity
    assert rows[start + 5].cells[0].text == "4"
    assert rows[start + 5]._tr.tc_lst[0].vMerge is None


def test_the_page_is_landscape_with_narrow_margins_and_a_small_table_font(word):
    section = word.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    assert max(section.left_margin, section.right_margin) <= Inches(0.75)
    cell = word.tables[0].rows[1].cells[2].paragraphs[0]
    assert Pt(7) <= cell.style.font.size <= Pt(8)


# --- The same bytes every time ------------------------------------------------------------------


def test_the_same_annex_gives_the_same_bytes_a_second_later():
    time.sleep(1.1)

    assert render_docx(SEED) == SEED_DOCX
    entries = zipfile.ZipFile(io.BytesIO(SEED_DOCX)).infolist()
    assert {entry.date_time for entry in entries} == {(2012, 3, 1, 0, 0, 0)}
    properties = Document(io.BytesIO(SEED_DOCX)).core_properties
    assert (properties.author, properties.revision) == ("Mejora", 1)
    assert properties.created == properties.modified == properties.last_printed


# --- Tables typed by someone else -------------------------------------------------------------


def add_header_row(table, *, raised_marker: bool) -> None:
    for cell, heading in zip(table.rows[0].cells, COLUMNS, strict=True):
        paragraph = cell.paragraphs[0]
        if raised_marker and heading.endswith(FOOTNOTE_MARKER):
            paragraph.add_run(heading.removesuffix(FOOTNOTE_MARKER))
            paragraph.add_run("1").font.superscript = True
        else:
            paragraph.add_run(heading)


def new_table(document, *, raised_marker: bool = False):
    table = document.add_table(rows=1, cols=len(COLUMNS))
    add_header_row(table, raised_marker=raised_marker)
    return table


def fill(table, texts: list[str]) -> int:
    row = table.add_row()
    for cell, text in zip(row.cells, texts, strict=True):
        cell.text = text
    return len(table.rows) - 1


def split_longest(texts: list[str]) -> tuple[list[str], list[str]]:
    """A row cut by a page break: the longest cell's second half on a row of its own."""
    index = max(range(len(texts)), key=lambda i: len(texts[i]))
    words = texts[index].split(" ")
    head, tail = list(texts), [""] * len(texts)
    head[index] = " ".join(words[: len(words) // 2])
    tail[index] = " ".join(words[len(words) // 2 :])
    return head, tail


def typed_without_merges(doc: AnnexDocument) -> bytes:
    """The ASM number only on its first row and blank below, Word's heading style, blank
    paragraphs between tables, the footnote marker typed as a raised '1', and the first cycle
    in two tables, the header repeated and a row cut in two where the page broke."""
    document = Document()
    for line in (doc.title, doc.institution, doc.program, "", doc.annex, ""):
        document.add_paragraph(line)
    for number, section in enumerate(doc.sections):
        document.add_paragraph(section.heading, style="Heading 2")
        document.add_paragraph()
        table = new_table(document, raised_marker=True)
        for aspect_index, aspect in enumerate(section.aspects):
            for position, activity in enumerate(aspect.activities):
                texts = row_cells(ANNEX, aspect, activity, first=position == 0)
                if (number, aspect_index, position) == (0, 2, 1):
                    head, tail = split_longest(texts)
                    fill(table, head)
                    document.add_paragraph()
                    table = new_table(document)
                    fill(table, tail)
                else:
                    fill(table, texts)
        document.add_paragraph()
    footnote = document.add_paragraph()
    footnote.add_run("1").font.superscript = True
    footnote.add_run(doc.footnote.removeprefix(FOOTNOTE_MARKER))
    document.add_paragraph(f"Fecha de Elaboración: {doc.prepared.text}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def typed_with_merges(doc: AnnexDocument) -> bytes:
    """The title block in a layout table, ASM cells merged with python-docx's own `merge`, an
    area shared by all of an ASM's activities merged too, and a signature table at the end."""
    document = Document()
    layout = document.add_table(rows=1, cols=1).cell(0, 0)
    layout.text = doc.title
    for line in (doc.institution, doc.program, doc.annex):
        layout.add_paragraph(line)
    for section in doc.sections:
        document.add_paragraph(section.heading)
        table = new_table(document)
        for aspect in section.aspects:
            rows = [
                fill(table, row_cells(ANNEX, aspect, activity, first=position == 0))
                for position, activity in enumerate(aspect.activities)
            ]
            if len(rows) < 2:
                continue
            table.cell(rows[0], 0).merge(table.cell(rows[-1], 0))
            table.cell(rows[0], 1).merge(table.cell(rows[-1], 1))
            if len({a.responsible.text for a in aspect.activities}) == 1:
                for row in rows[1:]:
                    table.cell(row, 4).text = ""
                table.cell(rows[0], 4).merge(table.cell(rows[-1], 4))
    document.add_paragraph(doc.footnote)
    document.add_paragraph(f"Fecha de Elaboración: {doc.prepared.text}")
    signatures = document.add_table(rows=2, cols=3)
    for cell, text in zip(signatures.rows[0].cells, ("Elaboró", "Revisó", "Autorizó"), strict=True):
        cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_table_typed_without_merges_over_two_tables_reads_as_the_seed():
    doc = parse_docx(typed_without_merges(SEED))

    assert doc == SEED
    joined = [f for f in doc.findings if f.kind == "joined_fragment"]
    assert [f.where for f in joined] == ["tabla 2, fila 2"]


def test_a_table_typed_with_merges_and_layout_tables_reads_as_the_seed():
    data = typed_with_merges(SEED)
    document = Document(io.BytesIO(data))
    merged = [a for s in SEED.sections for a in s.aspects if len(a.activities) > 1]
    one_area = [a for a in merged if len({x.responsible.text for x in a.activities}) == 1]
    starts = [tc.vMerge for t in document.tables[1:3] for tc in t._tbl.iter(qn("w:tc"))]
    assert one_area
    assert starts.count("restart") == 2 * len(merged) + len(one_area)

    doc = parse_docx(data)

    assert doc == SEED
    ignored = [f.text for f in doc.findings if f.kind == "ignored_line"]
    assert ignored == [
        f"Texto fuera de la tabla, no se leyó: «{t}»." for t in ("Elaboró", "Revisó", "Autorizó")
    ]


# --- Files that are not an annex ----------------------------------------------------------------


def plain_docx(*paragraphs: str, table_rows: list[list[str]] | None = None) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table_rows:
        table = document.add_table(rows=0, cols=len(table_rows[0]))
        for texts in table_rows:
            fill(table, texts)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_random_bytes_are_not_a_word_document():
    assert rejection(random.Random(7).randbytes(4096)) == NOT_DOCX
    assert rejection(SAMPLE.read_bytes()) == NOT_DOCX


def test_a_pdf_a_workbook_and_an_empty_file_are_named_as_such():
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as package:
        package.writestr("xl/workbook.xml", "<workbook/>")

    assert rejection(b"%PDF-1.7\n" + bytes(100)) == f"{NOT_DOCX} Parece un PDF."
    assert rejection(workbook.getvalue()) == f"{NOT_DOCX} Es una hoja de cálculo (XLSX)."
    assert rejection(b"") == "El archivo está vacío."


def with_document_xml(data: bytes, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            blob = source.read(name)
            target.writestr(name, edit(blob) if name == "word/document.xml" else blob)
    return out.getvalue()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda xml: xml[: len(xml) - 300], id="cut-short"),
        pytest.param(
            lambda xml: xml.replace("Área Coordinadora".encode(), b"Otra", 2)[:-300],
            id="cut-short-after-a-changed-header",
        ),
        pytest.param(
            lambda xml: xml.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="x"/>', 1),
            id="a-span-that-is-no-number",
        ),
    ],
)
def test_a_damaged_document_part_is_refused_as_damaged(edit):
    assert rejection(with_document_xml(SEED_DOCX, edit)) == NOT_DOCX


def test_a_word_document_without_a_table_is_refused():
    message = rejection(plain_docx(SEED.title, SEED.institution, SEED.program, SEED.annex))

    assert message.startswith("No se encontró la tabla del anexo en el documento")


def test_a_table_with_other_columns_says_which():
    header = [*COLUMNS[:-1], "Comentarios"]
    message = rejection(plain_docx(SEED.title, table_rows=[header, ["1"] + [""] * 10]))

    assert "las columnas no son las del Anexo E" in message
    assert "Faltan: «Observaciones»." in message
    assert "Sobran: «Comentarios»." in message


def test_a_heading_without_its_table_is_refused():
    heading = SEED.sections[1].heading
    data = plain_docx(
        SEED.title,
        SEED.institution,
        SEED.program,
        SEED.annex,
        SEED.sections[0].heading,
        heading,
        table_rows=[COLUMNS],
    )
    document = Document(io.BytesIO(data))
    document.add_paragraph("ASPECTOS INSTITUCIONALES 2010-2011 (Mecanismo 2011)")
    out = io.BytesIO()
    document.save(out)

    assert "«ASPECTOS INSTITUCIONALES 2010-2011 (Mecanismo 2011)» no tiene tabla" in rejection(
        out.getvalue()
    )


def test_a_table_with_the_agencys_own_column_order_reads_as_the_seed():
    """Areas swapped, the ASM number last and a column renamed: read by name."""
    order = [1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 0]
    headings = [COLUMNS[i] for i in order]
    headings[order.index(7)] = "Productos / evidencias"
    document = Document()
    for line in (SEED.title, SEED.institution, SEED.program, SEED.annex):
        document.add_paragraph(line)
    for section in SEED.sections:
        document.add_paragraph(section.heading)
        table = document.add_table(rows=1, cols=len(COLUMNS))
        for cell, heading in zip(table.rows[0].cells, headings, strict=True):
            cell.text = heading
        for aspect in section.aspects:
            for position, activity in enumerate(aspect.activities):
                texts = row_cells(ANNEX, aspect, activity, first=position == 0)
                fill(table, [texts[i] for i in order])
    document.add_paragraph(SEED.footnote)
    document.add_paragraph(f"Fecha de Elaboración: {SEED.prepared.text}")
    out = io.BytesIO()
    document.save(out)
    doc = parse_docx(out.getvalue())
    assert doc == SEED
    assert any(f.kind == "column_mapping" and "Productos" in f.text for f in doc.findings)


def seed_with_prepared_in_a_table(*cells: str) -> bytes:
    """The seed with its preparation date laid out in a one-row table instead of a line."""
    document = Document(io.BytesIO(SEED_DOCX))
    line = next(p for p in document.paragraphs if p.text.startswith("Fecha de Elaboración"))
    line._element.getparent().remove(line._element)
    table = document.add_table(rows=1, cols=len(cells))
    for cell, text in zip(table.rows[0].cells, cells, strict=True):
        cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_preparation_date_in_the_cell_beside_its_label_is_read():
    doc = parse_docx(seed_with_prepared_in_a_table("Fecha de Elaboración:", "marzo de 2012"))

    assert doc.prepared == SEED.prepared
    assert not [f for f in doc.findings if f.kind in ("date_not_understood", "ignored_line")]


def test_a_preparation_date_beside_a_signature_is_read_and_the_signature_shown():
    doc = parse_docx(
        seed_with_prepared_in_a_table("Fecha de Elaboración: marzo de 2012", "Elaboró: DGOP")
    )

    assert doc.prepared == SEED.prepared
    assert [f.text for f in doc.findings if f.kind == "ignored_line"] == [
        "Texto fuera de la tabla, no se leyó: «Elaboró: DGOP»."
    ]
