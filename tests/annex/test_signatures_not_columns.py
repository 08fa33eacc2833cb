"""What signatures side by side must not swallow: a label and its value a tab or spaces part
(the one-line form, an Anexo F's 'Nombre:' and 'Cargo:'), the rest of a 'Nombre | Cargo' table
a page break cut, and runs of lines in columns longer than any block of signatures; nor may a
glyph a PDF prints with no width make the reading fail."""

from __future__ import annotations

import dataclasses
import io

from docx import Document

from mejora.annex.document import Signatory
from mejora.annex.parsers import parse
from mejora.annex.parsers.position import parse_position, read_position
from mejora.annex.parsers.position_pdf import _laid_table
from mejora.annex.position import Paragraph, Table
from mejora.annex.position import Signatory as PositionSignatory
from mejora.annex.renderers import render
from mejora.annex.renderers.position import render_position
from mejora.annex.signatures import SideBySide, char_pieces, read_signatures, text_pieces
from tests.annex.test_position import position_document
from tests.annex.test_signatures_side_by_side import SIGNED

LABELLED = [
    "Responsable del programa:\tLic. María Elena Ríos Baeza, Directora General de Opciones "
    "Productivas",
    "Enlace de evaluación:\tMtro. Juan Carlos Pérez, Director de Evaluación, Planeación y "
    "Seguimiento",
    "Titular de la dependencia:\tDr. Jorge Ávila Nava, Secretario de Desarrollo Social",
]


def _annex():
    from mejora.annex.synth import synth_document

    return dataclasses.replace(synth_document(aspects=2, seed=7, kind="anexo-e"), signatories=())


def test_the_one_line_form_with_a_tab_after_its_label_reads_each_signatory_in_word():
    document = Document(io.BytesIO(render(_annex(), "docx")))
    for line in LABELLED:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    back = parse(out.getvalue(), "docx")
    assert back.signatories == SIGNED
    assert not [f for f in back.findings if f.kind == "signatory_role_guessed"]


def test_the_one_line_form_aligned_with_spaces_reads_each_signatory_in_text():
    text = render(_annex(), "txt").decode("utf-8")
    block = "\n".join(line.replace("\t", "      ") for line in LABELLED)
    back = parse(text.replace("Fecha de Elaboración", f"{block}\nFecha de Elaboración"), "txt")
    assert back.signatories == SIGNED


def test_labels_side_by_side_above_the_names_are_still_columns():
    reading = read_signatures(
        [text_pieces(line) for line in ("Titular:          Enlace:", "Dr. Soto          Lic. Ruiz")]
    )
    assert [(s.role, s.name) for s in reading.signatories] == [
        ("titular", "Dr. Soto"),
        ("enlace", "Lic. Ruiz"),
    ]


# --- Anexo F ---------------------------------------------------------------------------------

POSITION_SIGNED = position_document().signatories


def test_an_anexo_f_s_name_and_post_labelled_with_spaces_are_read_as_written():
    text = render_position(position_document(), "txt").decode("utf-8")
    table = "Nombre\tCargo\n" + "".join(f"{s.name}\t{s.post}\n" for s in POSITION_SIGNED)
    labelled = "".join(f"Nombre:    {s.name}\nCargo:     {s.post}\n" for s in POSITION_SIGNED)
    assert table in text
    back = parse_position(text.replace(table, labelled).encode("utf-8"), "txt")
    assert back.signatories == POSITION_SIGNED


def test_the_rest_of_a_name_and_post_table_a_page_break_cut_stays_rows_of_it():
    # A PDF's reader gives each page's part of a table as a table of its own.
    signed = (
        PositionSignatory("Lic. Ana Pérez", "Directora General"),
        PositionSignatory("Mtro. Luis Ortiz", "Enlace de evaluación"),
        PositionSignatory("Dr. Juan Soto", "Secretario"),
    )
    blocks = [
        Paragraph("Anexo F. Posición institucional"),
        Paragraph("Nombre del programa: S054 Programa Opciones Productivas"),
        Paragraph("5. Firmantes"),
        Table((("Nombre", "Cargo"), (signed[0].name, signed[0].post))),
        Table(tuple((s.name, s.post) for s in signed[1:])),
    ]
    assert read_position(blocks).signatories == signed


# --- bounded ---------------------------------------------------------------------------------

BLOCK = [
    "Elaboró                      Revisó",
    "____________________         _____________________",
    "Lic. Ana Pérez Gómez         Mtro. Luis Ortiz Ruiz",
    "Responsable del Programa     Enlace de Evaluación",
]


def test_a_run_of_lines_in_columns_taller_than_any_block_of_signatures_is_none():
    assert read_signatures([text_pieces(line) for line in BLOCK]) is not None
    assert read_signatures([text_pieces(line) for line in BLOCK * 20]) is None


def test_a_block_keeps_no_more_lines_than_a_block_of_signatures_has_until_a_blank_one():
    block: SideBySide[int] = SideBySide()
    taken = [block.offer(text_pieces(BLOCK[n % 4]), n) for n in range(10_000)]
    assert len(block.lines) < 50
    assert not any(taken[50:])
    block.take()
    block.offer([])
    assert block.offer(text_pieces(BLOCK[0]))  # after a blank line, a block opens again


def test_a_text_annex_with_a_long_run_of_lines_in_columns_below_reads_each_as_a_line():
    text = render(dataclasses.replace(_annex(), signatories=SIGNED[:1]), "txt").decode("utf-8")
    run = "\n".join(BLOCK * 75)
    back = parse(text.replace("Fecha de Elaboración", f"{run}\nFecha de Elaboración"), "txt")
    assert back.signatories == SIGNED[:1]
    assert len([f for f in back.findings if f.kind == "ignored_line"]) == len(BLOCK) * 75


# --- a glyph printed with no width -----------------------------------------------------------


def _glyphs(text: str, x: float, width: float = 5.0) -> list[dict]:
    return [
        {"text": c, "x0": x + width * i, "x1": x + width * (i + 1), "size": 10.0}
        for i, c in enumerate(text)
    ]


def test_a_glyph_printed_with_no_width_stands_in_a_column_of_its_own():
    # pdfplumber gives such a glyph x0 == x1 (a font's mark of no advance): a stretch of none.
    line = char_pieces(_glyphs("Lic. Ana Pérez", 50) + _glyphs("X", 300, width=0.0))
    reading = read_signatures([line, char_pieces(_glyphs("Enlace de evaluación", 50))])
    assert reading.signatories[0] == Signatory("enlace", "Lic. Ana Pérez", "Enlace de evaluación")
    assert [s.name for s in reading.signatories[1:]] == ["X"]


def test_an_anexo_f_pdf_line_in_columns_with_a_glyph_of_no_width_is_a_row_of_cells():
    pieces = char_pieces(_glyphs("Lic. Ana Pérez", 50) + _glyphs("X", 300, width=0.0))
    _, table = _laid_table([(100.0, pieces), (112.0, char_pieces(_glyphs("Directora", 50)))])
    assert table.rows == (("Lic. Ana Pérez", "X"), ("Directora", ""))
