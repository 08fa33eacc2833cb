"""Signatures laid out side by side below an annex, as filings print them, read as signatories.

First the reader itself, on the layouts filings use: two and three columns, with and without a
row of roles or verbs above the signature lines, posts on two lines, a missing post, centred
columns. Then round trips: an annex our renderers wrote without its signatories, the block of
signatures added below as an office types it — columns of a text file, a Word table without
borders or ruled, tab-separated paragraphs — read back from the text, the Word file and the PDF
LibreOffice prints of it; and an Anexo F likewise.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Cm

from mejora.annex.document import AnnexRejected, Signatory
from mejora.annex.parsers import parse
from mejora.annex.parsers.position import parse_position
from mejora.annex.position import Signatory as PositionSignatory
from mejora.annex.renderers import render
from mejora.annex.renderers.position import render_position
from mejora.annex.signatures import (
    Piece,
    char_pieces,
    grid_lines,
    guessed_role_text,
    read_signatures,
    tabbed_lines,
    text_pieces,
)
from tests.annex.test_position import position_document
from tests.office import converted_by_libreoffice


def read_text_block(block: str, *, told: bool = False):
    return read_signatures([text_pieces(line) for line in block.splitlines()], told=told)


# --- the reader ------------------------------------------------------------------------------


def test_three_columns_with_verbs_and_signature_lines_take_their_roles_from_the_posts():
    reading = read_text_block(
        """
    Elaboró                      Revisó                        Autorizó

    ____________________         _____________________         __________________
    Lic. Ana Pérez Gómez         Mtro. Luis Ortiz Ruiz         Dr. Juan Soto Díaz
    Responsable del Programa     Enlace de Evaluación          Titular de la Dependencia
"""
    )
    assert reading.signatories == (
        Signatory("responsable", "Lic. Ana Pérez Gómez", "Responsable del Programa"),
        Signatory("enlace", "Mtro. Luis Ortiz Ruiz", "Enlace de Evaluación"),
        Signatory("titular", "Dr. Juan Soto Díaz", "Titular de la Dependencia"),
    )
    assert reading.guessed == ()


def test_two_columns_of_a_name_over_a_post_without_roles_or_lines():
    reading = read_text_block(
        """
Mtra. Rosa Lima Vega          Ing. Pablo Ruiz
Enlace de evaluación          Responsable del programa
"""
    )
    assert reading.signatories == (
        Signatory("enlace", "Mtra. Rosa Lima Vega", "Enlace de evaluación"),
        Signatory("responsable", "Ing. Pablo Ruiz", "Responsable del programa"),
    )


def test_a_row_of_roles_above_the_lines_gives_the_roles_and_the_posts_are_the_persons_own():
    reading = read_text_block(
        """
Responsable del programa          Enlace de evaluación             Titular de la dependencia
________________________          ________________________         ________________________
Lic. María Elena Ríos Baeza       Mtro. Juan Carlos Pérez          Dr. Jorge Ávila Nava
Directora General de              Director de Evaluación,          Secretario de Desarrollo
Opciones Productivas              Planeación y Seguimiento         Social
"""
    )
    assert reading.signatories == (
        Signatory(
            "responsable",
            "Lic. María Elena Ríos Baeza",
            "Directora General de Opciones Productivas",
        ),
        Signatory(
            "enlace", "Mtro. Juan Carlos Pérez", "Director de Evaluación, Planeación y Seguimiento"
        ),
        Signatory("titular", "Dr. Jorge Ávila Nava", "Secretario de Desarrollo Social"),
    )
    assert reading.guessed == ()


def test_a_missing_post_leaves_its_column_with_the_name_alone():
    reading = read_text_block(
        """
   Firma                         Firma                          Firma
   Lic. Ana Pérez Gómez          Mtro. Luis Ortiz Ruiz          Dr. Juan Soto Díaz
   Responsable del Programa                                     Titular de la Dependencia
"""
    )
    assert [(s.role, s.name, s.post) for s in reading.signatories] == [
        ("responsable", "Lic. Ana Pérez Gómez", "Responsable del Programa"),
        ("enlace", "Mtro. Luis Ortiz Ruiz", ""),
        ("titular", "Dr. Juan Soto Díaz", "Titular de la Dependencia"),
    ]
    # The middle one's role is the one left: a person should confirm it.
    assert [s.name for s in reading.guessed] == ["Mtro. Luis Ortiz Ruiz"]


def test_centred_columns_of_texts_of_other_lengths_are_one_signatory_each():
    reading = read_text_block(
        """
        Revisó                                      Autorizó
  ___________________                         ___________________
     C. Eva Ruiz                         Dra. Carmen Villanueva Ortega
  Jefa de Departamento de Evaluación         Directora General Adjunta
"""
    )
    assert [(s.name, s.post) for s in reading.signatories] == [
        ("C. Eva Ruiz", "Jefa de Departamento de Evaluación"),
        ("Dra. Carmen Villanueva Ortega", "Directora General Adjunta"),
    ]
    # Neither verb names a role: they take the first ones in the annexes' order, as findings.
    assert [s.role for s in reading.signatories] == ["responsable", "enlace"]
    assert len(reading.guessed) == 2


def test_two_rows_of_signatures_one_under_the_other_are_read_row_after_row():
    reading = read_text_block(
        """
Elaboró                                        Revisó
_________________________                      _________________________
Lic. Ana Pérez Gómez                           Mtro. Luis Ortiz Ruiz
Responsable del Programa                       Enlace de Evaluación

                   Titular de la Dependencia
                   _________________________
                      Dr. Juan Soto Díaz
                 Secretario de Desarrollo Social
"""
    )
    assert reading.signatories == (
        Signatory("responsable", "Lic. Ana Pérez Gómez", "Responsable del Programa"),
        Signatory("enlace", "Mtro. Luis Ortiz Ruiz", "Enlace de Evaluación"),
        Signatory("titular", "Dr. Juan Soto Díaz", "Secretario de Desarrollo Social"),
    )
    assert reading.guessed == ()


def test_a_post_that_names_a_role_above_the_next_row_s_line_stays_a_post():
    reading = read_text_block(
        """
_________________________                      _________________________
Lic. Ana Pérez Gómez                           Mtro. Luis Ortiz Ruiz
Responsable del Programa                       Enlace de Evaluación
                   _________________________
                      Dr. Juan Soto Díaz
                      Secretario
"""
    )
    assert [(s.role, s.name, s.post) for s in reading.signatories] == [
        ("responsable", "Lic. Ana Pérez Gómez", "Responsable del Programa"),
        ("enlace", "Mtro. Luis Ortiz Ruiz", "Enlace de Evaluación"),
        ("titular", "Dr. Juan Soto Díaz", "Secretario"),
    ]


def test_a_fourth_signature_without_a_role_left_is_kept_without_one_and_told():
    reading = read_text_block(
        """
Elaboró                 Revisó                  Vo. Bo.                 Autorizó
Lic. Ana Pérez          Mtro. Luis Ortiz        Ing. Rosa Lima          Dr. Juan Soto
"""
    )
    assert [s.role for s in reading.signatories] == ["responsable", "enlace", "titular", ""]
    assert guessed_role_text(reading.guessed[-1]) == (
        "Ni la etiqueta ni el cargo de «Dr. Juan Soto» dicen qué firma, y los tres papeles "
        "ya los tienen otras firmas: quedó sin papel."
    )


def test_columns_of_text_that_show_nothing_of_a_signature_are_not_read_as_one():
    block = """
Meta anual          Avance
Informe             Entregado
"""
    assert read_text_block(block) is None
    # Below '5. Firmantes' the section says what they are.
    assert [s.name for s in read_text_block(block, told=True).signatories] == [
        "Meta anual",
        "Avance",
    ]


def test_the_one_line_form_written_in_columns_reads_each_one():
    reading = read_text_block(
        "Responsable del programa: Lic. Ana Pérez, Directora General     "
        "Enlace de evaluación: Mtro. Luis Ortiz"
    )
    assert reading.signatories == (
        Signatory("responsable", "Lic. Ana Pérez", "Directora General"),
        Signatory("enlace", "Mtro. Luis Ortiz", ""),
    )


def test_labels_with_a_colon_above_the_names_give_the_roles():
    reading = read_text_block(
        """
Titular de la dependencia:          Enlace de evaluación:
Dr. Juan Soto Díaz                  Lic. Eva Ruiz
Secretario de Desarrollo Social     Directora de Evaluación
"""
    )
    assert [(s.role, s.name) for s in reading.signatories] == [
        ("titular", "Dr. Juan Soto Díaz"),
        ("enlace", "Lic. Eva Ruiz"),
    ]
    assert reading.guessed == ()


def test_a_table_s_cells_hold_a_line_to_sign_a_name_and_a_post_blank_cells_between():
    rows = [
        ("Responsable del programa", "", "Titular de la dependencia"),
        (
            "\n\n__________\nLic. Ana Pérez\nDirectora General",
            "",
            "Firma\nDr. Juan Soto\nSecretario",
        ),
    ]
    reading = read_signatures(grid_lines(rows))
    assert reading.signatories == (
        Signatory("responsable", "Lic. Ana Pérez", "Directora General"),
        Signatory("titular", "Dr. Juan Soto", "Secretario"),
    )


def test_tabbed_paragraphs_are_read_by_the_order_of_their_texts_when_the_tabs_vary():
    lines = tabbed_lines(
        [
            "Elaboró\t\t\tRevisó",
            "Lic. Eva Ruiz Sánchez\tMtro. Pedro Gil",
            "Enlace de evaluación\t\tResponsable del programa",
        ]
    )
    reading = read_signatures(lines)
    assert reading.signatories == (
        Signatory("enlace", "Lic. Eva Ruiz Sánchez", "Enlace de evaluación"),
        Signatory("responsable", "Mtro. Pedro Gil", "Responsable del programa"),
    )


def test_printed_characters_part_into_pieces_where_the_space_between_is_wide():
    def glyphs(text: str, x: float) -> list[dict]:
        return [
            {"text": c, "x0": x + 5 * i, "x1": x + 5 * i + 5, "size": 10.0}
            for i, c in enumerate(text)
        ]

    line = glyphs("Lic. Ana", 50) + glyphs("Mtro. Luis", 300)
    assert [(p.start, p.text) for p in char_pieces(line)] == [(50, "Lic. Ana"), (300, "Mtro. Luis")]


def test_a_line_laid_out_by_positions_keeps_a_piece_per_run_of_single_spaces():
    assert text_pieces("  Lic. Ana Pérez   Enlace\tDr. Soto") == [
        Piece(2, 16, "Lic. Ana Pérez"),
        Piece(19, 25, "Enlace"),
        Piece(32, 40, "Dr. Soto"),
    ]


# --- round trips -----------------------------------------------------------------------------

SIGNED = (
    Signatory(
        "responsable", "Lic. María Elena Ríos Baeza", "Directora General de Opciones Productivas"
    ),
    Signatory(
        "enlace", "Mtro. Juan Carlos Pérez", "Director de Evaluación, Planeación y Seguimiento"
    ),
    Signatory("titular", "Dr. Jorge Ávila Nava", "Secretario de Desarrollo Social"),
)
ROLE_LABELS = ("Responsable del programa", "Enlace de evaluación", "Titular de la dependencia")


@pytest.fixture(scope="module")
def annex():
    """A synthetic Anexo E as it is filed: the program's key, and who signs it."""
    from mejora.annex.synth import synth_document

    document = synth_document(aspects=3, seed=7, kind="anexo-e")
    return dataclasses.replace(document, program_key="S054", signatories=SIGNED)


def unsigned(document) -> bytes:
    """The annex as our renderer writes it, without the one-line signatories."""
    return render(dataclasses.replace(document, signatories=()), "docx")


def with_signature_table(data: bytes, *, ruled: bool) -> bytes:
    """A table after the annex's: the roles, room to sign and a line, the name, the post."""
    document = Document(io.BytesIO(data))
    table = document.add_table(rows=3, cols=3)
    if ruled:
        table.style = "Table Grid"
    for column, (label, signatory) in enumerate(zip(ROLE_LABELS, SIGNED, strict=True)):
        table.cell(0, column).text = label
        table.cell(1, column).text = "\n\n________________________"
        table.cell(2, column).text = signatory.name
        table.cell(2, column).add_paragraph(signatory.post)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tabbed(document, lines: list[str], stops_cm: tuple[float, ...]) -> None:
    """Paragraphs of tab-parted columns at tab stops, as one types them without a table."""
    for line in lines:
        paragraph = document.add_paragraph(line)
        for stop in stops_cm:
            paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(stop))


def with_tabbed_paragraphs(data: bytes) -> bytes:
    document = Document(io.BytesIO(data))
    lines = [
        "\t".join(ROLE_LABELS),
        "",
        "\t".join("______________" for _ in SIGNED),
        "\t".join(s.name for s in SIGNED),
        "\t".join(s.post for s in SIGNED),
    ]
    tabbed(document, lines, (8.5, 17))  # a third of the landscape page each
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_text_file_with_the_block_in_columns_reads_back_as_filed(annex):
    text = render(dataclasses.replace(annex, signatories=()), "txt").decode("utf-8")
    width = max(len(s.post) for s in SIGNED) + 4
    block = [
        "".join(label.ljust(width) for label in ROLE_LABELS),
        "",
        "".join("_" * (width - 6) + " " * 6 for _ in SIGNED),
        "".join(s.name.ljust(width) for s in SIGNED),
        "".join(s.post.ljust(width) for s in SIGNED),
        "",
    ]
    filed = text.replace("Fecha de Elaboración", "\n".join(block) + "\nFecha de Elaboración")
    assert filed != text
    back = parse(filed.encode("utf-8"), "txt")
    assert back == annex
    assert not [f for f in back.findings if f.kind in ("ignored_line", "signatory_role_guessed")]


def test_a_text_file_with_the_block_exported_with_tabs_reads_back_as_filed(annex):
    # A borderless table of signatures exported as the annex's own: a row per line.
    text = render(dataclasses.replace(annex, signatories=()), "txt").decode("utf-8")
    block = [
        "\t".join(ROLE_LABELS),
        "\t\t",
        "\t".join("______________" for _ in SIGNED),
        "\t".join(s.name for s in SIGNED),
        "Directora General de\tDirector de Evaluación, Planeación y Seguimiento\tSecretario de",
        "Opciones Productivas\t\tDesarrollo Social",
        "",
    ]
    filed = text.replace("Fecha de Elaboración", "\n".join(block) + "\nFecha de Elaboración")
    back = parse(filed.encode("utf-8"), "txt")
    assert back == annex
    assert not [f for f in back.findings if f.kind in ("ignored_line", "signatory_role_guessed")]


def test_a_short_row_below_the_table_that_is_no_signature_is_still_refused(annex):
    text = render(annex, "txt").decode("utf-8")
    short = "3\tAspecto sin terminar\tActividad"
    with pytest.raises(AnnexRejected, match="la fila tiene 3 celdas"):
        parse(text.replace("Fecha de Elaboración", f"{short}\nFecha de Elaboración"), "txt")


def test_columns_below_the_table_that_are_no_signatures_stay_lines_left_unread(annex):
    text = render(annex, "txt").decode("utf-8")
    note = "Meta 2012          Informe entregado"
    back = parse(text.replace("Fecha de Elaboración", f"{note}\n\nFecha de Elaboración"), "txt")
    assert back == annex
    assert [f.text for f in back.findings if f.kind == "ignored_line"] == [
        f"Texto fuera de la tabla, no se leyó: «{' '.join(note.split())}»."
    ]


def test_a_line_after_the_block_and_a_blank_line_is_not_part_of_it(annex):
    text = render(dataclasses.replace(annex, signatories=()), "txt").decode("utf-8")
    block = "\n".join(
        [
            "".join(f"{label:50}" for label in ROLE_LABELS),
            "".join(f"{s.name:50}" for s in SIGNED),
            "".join(f"{s.post:50}" for s in SIGNED[:2]),
            "",
            "Se anexan las evidencias.",
        ]
    )
    back = parse(text.replace("Fecha de Elaboración", f"{block}\nFecha de Elaboración"), "txt")
    assert [(s.role, s.name, s.post) for s in back.signatories] == [
        *((s.role, s.name, s.post) for s in SIGNED[:2]),
        ("titular", SIGNED[2].name, ""),
    ]
    assert [f.text for f in back.findings if f.kind == "ignored_line"] == [
        "Texto fuera de la tabla, no se leyó: «Se anexan las evidencias.»."
    ]


def test_the_one_line_form_still_reads(annex):
    back = parse(render(annex, "txt"), "txt")
    assert back.signatories == SIGNED


@pytest.mark.parametrize("layout", ["borderless", "ruled", "tabbed"])
def test_a_word_file_with_the_signatures_side_by_side_reads_back_as_filed(annex, typed, layout):
    back = parse(typed[layout], "docx")
    assert back == annex
    assert not [f for f in back.findings if f.kind in ("ignored_line", "signatory_role_guessed")]


def test_a_note_typed_below_the_signatures_in_word_stays_a_note(annex, typed):
    document = Document(io.BytesIO(typed["tabbed"]))
    note = document.add_paragraph("Se anexan  las evidencias.")  # two spaces: a slip
    note.add_run().add_break()
    note.add_run("y los oficios.")
    out = io.BytesIO()
    document.save(out)
    back = parse(out.getvalue(), "docx")
    assert back == annex
    assert [f.text for f in back.findings if f.kind == "ignored_line"] == [
        "Texto fuera de la tabla, no se leyó: «Se anexan las evidencias. y los oficios.»."
    ]


@pytest.fixture(scope="module")
def typed(annex) -> dict[str, bytes]:
    return {
        "borderless": with_signature_table(unsigned(annex), ruled=False),
        "ruled": with_signature_table(unsigned(annex), ruled=True),
        "tabbed": with_tabbed_paragraphs(unsigned(annex)),
        "anexo-f": position_with_signature_table(),
        "anexo-f-tabbed": position_with_tabbed_paragraphs(),
    }


# --- Anexo F ---------------------------------------------------------------------------------

POSITION_SIGNED = (
    PositionSignatory("Lic. Juan Pérez López", "Director General de Opciones Productivas"),
    PositionSignatory("Mtra. María Gómez Ruiz", "Enlace de evaluación"),
)


def _unsigned_position():
    return dataclasses.replace(position_document(), signatories=())


def position_with_signature_table() -> bytes:
    document = Document(io.BytesIO(render_position(_unsigned_position(), "docx")))
    table = document.add_table(rows=2, cols=2)
    for column, signatory in enumerate(POSITION_SIGNED):
        table.cell(0, column).text = "\n\n____________________"
        table.cell(1, column).text = signatory.name
        table.cell(1, column).add_paragraph(signatory.post)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def position_with_tabbed_paragraphs() -> bytes:
    document = Document(io.BytesIO(render_position(_unsigned_position(), "docx")))
    lines = ["\t".join(s.name for s in POSITION_SIGNED), "\t".join(s.post for s in POSITION_SIGNED)]
    tabbed(document, lines, (9,))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_an_anexo_f_in_text_with_its_signatures_in_columns_reads_back_as_filed():
    text = render_position(_unsigned_position(), "txt").decode("utf-8").rstrip("\n")
    block = [
        "_" * 30 + " " * 12 + "_" * 30,
        "".join(s.name.ljust(42) for s in POSITION_SIGNED),
        "".join(s.post.ljust(42) for s in POSITION_SIGNED),
    ]
    back = parse_position(("\n".join([text, "", *block]) + "\n").encode("utf-8"), "txt")
    assert back.signatories == POSITION_SIGNED
    assert dataclasses.replace(back, signatories=()) == _unsigned_position()


def test_an_anexo_f_in_text_with_its_signatures_in_a_tabbed_table_reads_back_as_filed():
    text = render_position(_unsigned_position(), "txt").decode("utf-8").rstrip("\n")
    block = [
        "\t\t".join("____________________" for _ in POSITION_SIGNED),
        "\t\t".join(s.name for s in POSITION_SIGNED),
        "\t\t".join(s.post for s in POSITION_SIGNED),
    ]
    back = parse_position(("\n".join([text, "", *block]) + "\n").encode("utf-8"), "txt")
    assert back.signatories == POSITION_SIGNED
    assert dataclasses.replace(back, signatories=()) == _unsigned_position()


@pytest.mark.parametrize("layout", ["anexo-f", "anexo-f-tabbed"])
def test_an_anexo_f_typed_in_word_with_its_signatures_side_by_side_reads_back(typed, layout):
    back = parse_position(typed[layout], "docx")
    assert back.signatories == POSITION_SIGNED
    assert dataclasses.replace(back, signatories=()) == _unsigned_position()


# --- printed by LibreOffice ------------------------------------------------------------------

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) no está instalado aquí; en CI lo instala .ci/run "
    "(libreoffice-writer-nogui)",
)


@pytest.fixture(scope="module")
def printed(typed, tmp_path_factory) -> dict[str, bytes]:
    """Every Word file printed to PDF by one LibreOffice run with a profile of its own."""
    folder: Path = tmp_path_factory.mktemp("firmas")
    return converted_by_libreoffice(folder, typed)


@needs_libreoffice
@pytest.mark.parametrize("layout", ["borderless", "ruled", "tabbed"])
def test_the_pdf_libreoffice_prints_reads_back_as_filed(annex, printed, layout):
    back = parse(printed[layout], "pdf")
    assert back.signatories == SIGNED
    assert back == annex
    assert not [f for f in back.findings if f.kind in ("ignored_line", "signatory_role_guessed")]


@needs_libreoffice
@pytest.mark.parametrize("layout", ["anexo-f", "anexo-f-tabbed"])
def test_an_anexo_f_printed_by_libreoffice_reads_back_its_signatures(printed, layout):
    back = parse_position(printed[layout], "pdf")
    assert back.signatories == POSITION_SIGNED
    assert dataclasses.replace(back, signatories=()) == _unsigned_position()
