"""Signatures side by side below a spreadsheet's annex and after the free format's blocks.

Round trips: an annex our renderers wrote without its signatories, the block of signatures
then typed as an office types it — in a workbook's cells, a signatory to a column or to cells
merged across columns, an empty column between them; the same sheet saved as CSV; text lines
in columns after the free format's last block, or tab-parted Word paragraphs — and read back:
the signatories are the ones filed. Rows below the table and lines among the blocks that are
no signatures are read as they were before signatures side by side were read there.
"""

from __future__ import annotations

import csv
import dataclasses
import io

import openpyxl
import pytest
from docx import Document
from openpyxl.worksheet.worksheet import Worksheet

from mejora.annex.document import AnnexRejected, Signatory
from mejora.annex.parsers import parse
from mejora.annex.parsers.csv import parse_csv
from mejora.annex.parsers.free import parse_free
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from mejora.annex.renderers.free import render_free
from mejora.annex.signatures import guessed_role_text
from tests.annex.test_free_format import free_document

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
READ_OTHERWISE = ("ignored_line", "signatory_role_guessed")


@pytest.fixture(scope="module")
def annex():
    """A synthetic Anexo E as it is filed: the program's key, a footnote, and who signs it."""
    from mejora.annex.synth import synth_document

    document = synth_document(aspects=3, seed=7, kind="anexo-e")
    return dataclasses.replace(document, program_key="S054", signatories=SIGNED)


# --- a workbook ------------------------------------------------------------------------------


def unsigned_sheet(document) -> tuple[openpyxl.Workbook, Worksheet, str]:
    """Our workbook of the annex without its signatories, its last row (the date) emptied:
    the sheet, and the date's text to write again below what is typed."""
    workbook = openpyxl.load_workbook(
        io.BytesIO(render(dataclasses.replace(document, signatories=()), "xlsx"))
    )
    sheet = workbook.active
    last = sheet.max_row
    prepared = sheet.cell(last, 1).value
    assert str(prepared).startswith("Fecha de Elaboración")
    for merged in [m for m in sheet.merged_cells.ranges if m.min_row == last]:
        sheet.unmerge_cells(str(merged))
    sheet.cell(last, 1).value = None
    return workbook, sheet, prepared


def type_block(sheet: Worksheet, layout: str) -> int:
    """The block of signatures as an office types it two rows below the table; the row after."""
    top = sheet.max_row + 2
    # Columns B, F and J: empty columns between the signatories.
    for signatory, label, column in zip(SIGNED, ROLE_LABELS, (2, 6, 10), strict=True):
        if layout == "cells":
            rows = (label, None, "_" * 24, signatory.name, signatory.post)
            for depth, text in enumerate(rows):
                sheet.cell(top + depth, column).value = text
        elif layout in ("merged", "centred"):
            # Three columns merged for each signatory, row after row; or the name typed in the
            # middle one, unmerged, centred under its label.
            centred = layout == "centred"
            texts = (label, None, "_" * 24, None if centred else signatory.name, signatory.post)
            for depth, text in enumerate(texts):
                if text is None:
                    continue
                sheet.cell(top + depth, column - 1).value = text
                sheet.merge_cells(
                    start_row=top + depth,
                    start_column=column - 1,
                    end_row=top + depth,
                    end_column=column + 1,
                )
            if centred:
                sheet.cell(top + 3, column).value = signatory.name
        elif layout == "one cell each":
            # The role above and, in one cell (Alt+Enter), the line, the name and the post.
            sheet.cell(top, column).value = label
            sheet.cell(top + 2, column).value = f"{'_' * 24}\n{signatory.name}\n{signatory.post}"
    return top + 6


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def saved_as_csv(workbook: openpyxl.Workbook) -> bytes:
    """The sheet as a spreadsheet saves it as CSV: every row as wide as the sheet, a merged
    cell's text in its first column only."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in workbook.active.iter_rows(values_only=True):
        writer.writerow("" if value is None else str(value) for value in row)
    return out.getvalue().encode("utf-8-sig")


def signed_workbook(annex, layout: str) -> openpyxl.Workbook:
    workbook, sheet, prepared = unsigned_sheet(annex)
    below = type_block(sheet, layout)
    sheet.cell(below, 1).value = prepared
    return workbook


@pytest.mark.parametrize("layout", ["cells", "merged", "centred", "one cell each"])
def test_a_workbook_with_the_signatures_side_by_side_reads_back_as_filed(annex, layout):
    back = parse(workbook_bytes(signed_workbook(annex, layout)), "xlsx")
    assert back.signatories == SIGNED
    assert back == annex
    assert not [f for f in back.findings if f.kind in READ_OTHERWISE]


@pytest.mark.parametrize("layout", ["cells", "merged", "one cell each"])
def test_the_sheet_saved_as_csv_reads_back_as_filed(annex, layout):
    back = parse_csv(saved_as_csv(signed_workbook(annex, layout)))
    assert back.signatories == SIGNED
    assert back == annex
    assert not [f for f in back.findings if f.kind in READ_OTHERWISE]


def test_the_one_line_form_still_reads_from_a_workbook_and_its_csv(annex):
    data = render(annex, "xlsx")
    assert parse(data, "xlsx").signatories == SIGNED
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert parse_csv(saved_as_csv(workbook)).signatories == SIGNED


def test_verbs_above_the_lines_leave_the_roles_to_the_order_and_say_so_as_in_text(annex):
    workbook, sheet, prepared = unsigned_sheet(annex)
    top = sheet.max_row + 2
    people = [("Lic. Eva Ruiz", "Jefa de Departamento"), ("Dr. Luis Soto", "Director General")]
    for column, verb, (name, post) in zip((2, 6), ("Elaboró", "Autorizó"), people, strict=True):
        for depth, text in enumerate((verb, "_" * 20, name, post)):
            sheet.cell(top + depth, column).value = text
    sheet.cell(top + 5, 1).value = prepared
    back = parse(workbook_bytes(workbook), "xlsx")
    assert [(s.role, s.name, s.post) for s in back.signatories] == [
        ("responsable", "Lic. Eva Ruiz", "Jefa de Departamento"),
        ("enlace", "Dr. Luis Soto", "Director General"),
    ]
    guessed = [f for f in back.findings if f.kind == "signatory_role_guessed"]
    assert [f.text for f in guessed] == [guessed_role_text(s) for s in back.signatories]
    assert {f.where for f in guessed} == {f"fila {top}"}
    # The text reader, given the same block in columns, reads and tells the same.
    text = render(dataclasses.replace(annex, signatories=()), "txt").decode("utf-8")
    typed = [
        (verb, "_" * 20, *person)
        for verb, person in zip(("Elaboró", "Autorizó"), people, strict=True)
    ]
    block = "\n".join("".join(f"{column[depth]:30}" for column in typed) for depth in range(4))
    in_text = parse_text(text.replace("Fecha de Elaboración", f"{block}\nFecha de Elaboración"))
    assert in_text.signatories == back.signatories
    assert [f.text for f in in_text.findings if f.kind == "signatory_role_guessed"] == [
        f.text for f in guessed
    ]


def test_rows_below_the_table_that_are_no_signatures_stay_read_as_before(annex):
    workbook, sheet, prepared = unsigned_sheet(annex)
    top = sheet.max_row + 2
    sheet.cell(top, 1).value = "Se anexan las evidencias."
    sheet.cell(top + 1, 1).value = "Nota: las cifras son preliminares."
    sheet.cell(top + 2, 1).value = prepared
    back = parse(workbook_bytes(workbook), "xlsx")
    assert back == dataclasses.replace(annex, signatories=())
    assert annex.footnote and back.footnote == annex.footnote
    assert [f.text for f in back.findings if f.kind == "ignored_line"] == [
        "Texto fuera de la tabla, no se leyó: «Se anexan las evidencias.».",
        "Texto fuera de la tabla, no se leyó: «Nota: las cifras son preliminares.».",
    ]


def test_a_row_of_roles_with_no_one_under_them_is_read_as_any_row_after_the_date(annex):
    # The row opens a block of signatures, which holds no name: the row is read as before,
    # and a row of cells after the date is refused.
    workbook, sheet, prepared = unsigned_sheet(annex)
    top = sheet.max_row + 2
    sheet.cell(top, 1).value = prepared
    sheet.cell(top + 2, 2).value = "Elaboró"
    sheet.cell(top + 2, 6).value = "Revisó"
    with pytest.raises(AnnexRejected, match="hay filas después de la «Fecha de Elaboración»"):
        parse(workbook_bytes(workbook), "xlsx")


def test_signatures_below_the_date_are_read(annex):
    workbook, sheet, prepared = unsigned_sheet(annex)
    top = sheet.max_row + 1
    sheet.cell(top, 1).value = prepared
    type_block(sheet, "cells")
    back = parse(workbook_bytes(workbook), "xlsx")
    assert back.signatories == SIGNED
    assert back == annex


# --- the free format -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def free():
    # Four ASM, one to each of the four cycles: the last block ends the file's blocks.
    return dataclasses.replace(free_document(progress=False, aspects=4), signatories=SIGNED)


def free_text(document) -> str:
    return render_free(dataclasses.replace(document, signatories=()), "txt").decode("utf-8")


def columns_block(width: int) -> list[str]:
    return [
        "".join(label.ljust(width) for label in ROLE_LABELS),
        "",
        "".join("_" * (width - 6) + " " * 6 for _ in SIGNED),
        "".join(s.name.ljust(width) for s in SIGNED),
        "".join(s.post.ljust(width) for s in SIGNED),
    ]


def before_the_date(text: str, lines: list[str]) -> str:
    return text.replace(
        "\nFecha de Elaboración", "\n".join(["", *lines, ""]) + "\nFecha de Elaboración"
    )


def test_the_free_format_with_its_signatures_in_columns_reads_back_as_filed(free):
    width = max(len(s.post) for s in SIGNED) + 4
    back = parse_free(before_the_date(free_text(free), columns_block(width)).encode(), "txt")
    assert back.signatories == SIGNED
    assert back == free
    assert not [f for f in back.findings if f.kind in READ_OTHERWISE]


def test_signatures_in_columns_right_below_the_last_field_are_not_taken_for_more_of_it(free):
    # Without a blank line or a footnote between: the labels open the block, not the field.
    text = free_text(free)
    last_field = text.rindex("\nProductos y/o evidencias:")
    end = text.index("\n", last_field + 1)
    block = "\n".join(columns_block(max(len(s.post) for s in SIGNED) + 4))
    filed = f"{text[:end]}\n{block}{text[end:]}"
    back = parse_free(filed.encode(), "txt")
    assert back.signatories == SIGNED
    assert back == free


def test_the_free_format_typed_in_word_with_tabbed_signatures_reads_back(free):
    document = Document(io.BytesIO(render_free(dataclasses.replace(free, signatories=()), "docx")))
    prepared = document.paragraphs[-1]
    for line in ("\t".join(ROLE_LABELS), "", "\t".join("_" * 16 for _ in SIGNED)):
        prepared.insert_paragraph_before(line)
    prepared.insert_paragraph_before("\t".join(s.name for s in SIGNED))
    prepared.insert_paragraph_before("\t".join(s.post for s in SIGNED))
    out = io.BytesIO()
    document.save(out)
    back = parse_free(out.getvalue(), "docx")
    assert back.signatories == SIGNED
    assert back == free


def test_the_one_line_form_still_reads_from_the_free_format(free):
    assert parse_free(render_free(free, "txt"), "txt") == free
    assert parse_free(render_free(free, "txt"), "txt").signatories == SIGNED


def test_lines_in_columns_among_the_blocks_stay_part_of_their_field(free):
    # Names in columns continuing a field, then the next field: no signatures after the last
    # block, so read as the same lines with single spaces are, more of the field.
    text = free_text(free)
    field = text.index("\nÁreas e instituciones responsables:")
    end = text.index("\n", field + 1)
    columns = "Lic. Ana Pérez Gómez          Dr. Juan Soto Díaz"
    spaced = " ".join(columns.split())
    read = parse_free(f"{text[:end]}\n{columns}{text[end:]}".encode(), "txt")
    as_before = parse_free(f"{text[:end]}\n{spaced}{text[end:]}".encode(), "txt")
    assert read == as_before
    assert read.signatories == ()
    assert spaced in read.sections[0].aspects[0].activities[0].responsible.text


def test_a_note_in_columns_after_the_blocks_is_read_as_the_same_note_in_a_sentence_is(free):
    note = "Meta 2012          Informe entregado"
    read = parse_free(before_the_date(free_text(free), [note]).encode(), "txt")
    spaced = parse_free(before_the_date(free_text(free), [" ".join(note.split())]).encode(), "txt")
    assert read == spaced
    assert read.signatories == ()
    assert [(f.kind, f.where, f.text) for f in read.findings] == [
        (f.kind, f.where, f.text) for f in spaced.findings
    ]
