"""Each reading limit of the XLSX, DOCX, CSV and text readers, tripped with a small budget
passed to parse(): the file is refused with the Spanish message naming the limit, and a
normal annex reads the same under the default one."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.parsers import parse
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render

SAMPLE = (
    Path(__file__).parents[2] / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
)
SEED = parse_text(SAMPLE.read_bytes())
FORMATS = ("txt", "csv", "xlsx", "docx")
RENDERED = {fmt: render(SEED, fmt) for fmt in FORMATS}
LONGEST_CELL = max(
    len(text)
    for section in SEED.sections
    for aspect in section.aspects
    for activity in aspect.activities
    for text in (aspect.text, activity.text, activity.deliverable, activity.expected_results)
)


def refusal(data: bytes, fmt: str, **limits: int) -> str:
    with pytest.raises(AnnexRejected) as rejected:
        parse(data, fmt, limits=dataclasses.replace(DEFAULT_LIMITS, **limits))
    return str(rejected.value)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_rendered_annex_reads_the_same_under_the_default_limits(fmt):
    assert parse(RENDERED[fmt], fmt, limits=ReadingLimits()) == SEED


@pytest.mark.parametrize(
    ("fmt", "named"),
    [
        ("txt", "límite de filas (líneas del texto) (10)"),
        ("csv", "límite de filas (10)"),
        ("xlsx", "límite de filas de una hoja (10)"),
        ("docx", "límite de filas de las tablas del documento (10)"),
    ],
)
def test_more_rows_than_the_limit_are_refused(fmt, named):
    message = refusal(RENDERED[fmt], fmt, rows=10)

    assert named in message
    assert "Divida el archivo en varios" in message


@pytest.mark.parametrize(
    ("fmt", "named"),
    [
        ("txt", "límite de columnas de una tabla (5)"),
        ("csv", "límite de columnas de una tabla (5)"),
        ("xlsx", "límite de columnas de una hoja (5)"),
        ("docx", "límite de columnas de una tabla (5)"),
    ],
)
def test_more_columns_than_the_limit_are_refused(fmt, named):
    assert named in refusal(RENDERED[fmt], fmt, columns=5)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cell_longer_than_the_limit_is_refused(fmt):
    limit = LONGEST_CELL - 1

    message = refusal(RENDERED[fmt], fmt, cell_chars=limit)

    assert f"límite de caracteres de una celda ({limit})" in message


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cell_as_long_as_the_limit_is_read(fmt):
    limits = dataclasses.replace(DEFAULT_LIMITS, cell_chars=LONGEST_CELL)

    assert parse(RENDERED[fmt], fmt, limits=limits) == SEED


@pytest.mark.parametrize("fmt", FORMATS)
def test_more_text_than_the_limit_is_refused(fmt):
    assert "límite de caracteres de texto del archivo (2 000)" in refusal(
        RENDERED[fmt], fmt, text_chars=2_000
    )


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_a_part_that_inflates_past_the_limit_is_refused_before_it_is_opened(fmt):
    largest = max(i.file_size for i in zipfile.ZipFile(io.BytesIO(RENDERED[fmt])).infolist())

    message = refusal(RENDERED[fmt], fmt, inflated_part_bytes=largest - 1)

    assert "límite de bytes de una parte comprimida del archivo, ya descomprimida" in message


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_parts_that_inflate_past_the_limit_together_are_refused(fmt):
    infos = zipfile.ZipFile(io.BytesIO(RENDERED[fmt])).infolist()
    total = sum(i.file_size for i in infos)

    message = refusal(
        RENDERED[fmt],
        fmt,
        inflated_part_bytes=max(i.file_size for i in infos),
        inflated_total_bytes=total - 1,
    )

    assert "límite de bytes del archivo ya descomprimido" in message


def with_member(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
        target.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def declaring(data: bytes, name: str, size: int) -> bytes:
    """The archive with its directory saying the member inflates to `size` bytes."""
    out = bytearray(data)
    at = 0
    while True:
        at = out.index(b"PK\x01\x02", at + 1)
        length = int.from_bytes(out[at + 28 : at + 30], "little")
        if out[at + 46 : at + 46 + length] == name.encode():
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
            return bytes(out)


@pytest.mark.parametrize(("fmt", "part"), [("xlsx", "xl/worksheets/sheet1.xml"),
                                           ("docx", "word/document.xml")])  # fmt: skip
def test_a_part_inflating_past_what_its_archive_declares_is_refused_as_damaged(fmt, part):
    lying = declaring(RENDERED[fmt], part, 1_000)

    message = refusal(lying, fmt)

    assert "no es un" in message and "válido" in message


def test_a_text_run_longer_than_a_cell_may_be_is_refused_before_it_is_parsed():
    # A run without any tag is what an XML parser holds whole: 10 bytes a character at most.
    sheet = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"])).read("xl/worksheets/sheet1.xml")
    run = b'<row r="99"><c r="A99" t="inlineStr"><is><t>' + b"a" * 5_000 + b"</t></is></c></row>"
    data = with_member(
        RENDERED["xlsx"],
        "xl/worksheets/sheet1.xml",
        sheet.replace(b"</sheetData>", run + b"</sheetData>"),
    )

    assert "límite de caracteres de una celda (400)" in refusal(data, "xlsx", cell_chars=400)


def with_shared_string(si: bytes) -> bytes:
    """The rendered workbook with a row after its own whose cell is a shared string, as Excel
    writes its texts (openpyxl writes each text in its cell)."""
    package = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"]))
    sheet = package.read("xl/worksheets/sheet1.xml").replace(
        b"</sheetData>", b'<row r="99"><c r="A99" t="s"><v>0</v></c></row></sheetData>'
    )
    rels = package.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Target="sharedStrings.xml" Type="http://schemas.openxmlformats'
        b'.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    )
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s</sst>' % si
    )
    data = with_member(RENDERED["xlsx"], "xl/worksheets/sheet1.xml", sheet)
    data = with_member(data, "xl/_rels/workbook.xml.rels", rels)
    return with_member(data, "xl/sharedStrings.xml", strings)


def test_a_shared_string_is_read_as_its_text_and_its_rich_runs_without_phonetic_guides():
    data = with_shared_string(
        b"<si><r><t>Nota </t></r><r><rPr><b/></rPr><t>compartida</t></r><rPh><t>x</t></rPh></si>"
    )

    findings = [f.text for f in parse(data, "xlsx").findings if f.where == "fila 99"]

    assert findings == ["Texto fuera de la tabla, no se leyó: «Nota compartida»."]


def test_a_shared_string_longer_than_the_limit_is_refused_as_it_is_read():
    data = with_shared_string(b"<si><t>%s</t></si>" % (b"x" * 300))

    assert "límite de caracteres de una celda (200)" in refusal(data, "xlsx", cell_chars=200)


def test_a_cell_of_many_empty_rich_text_runs_counts_each_run():
    sheet = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"])).read("xl/worksheets/sheet1.xml")
    runs = b'<row r="99"><c r="A99" t="inlineStr"><is>' + b"<r><t/></r>" * 500 + b"</is></c></row>"
    data = with_member(
        RENDERED["xlsx"],
        "xl/worksheets/sheet1.xml",
        sheet.replace(b"</sheetData>", runs + b"</sheetData>"),
    )

    assert "límite de caracteres de una celda (400)" in refusal(data, "xlsx", cell_chars=400)


def test_an_empty_cell_far_past_the_columns_is_skipped_and_one_with_text_refused():
    sheet = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"])).read("xl/worksheets/sheet1.xml")
    styled = sheet.replace(b"</sheetData>", b'<row r="40"><c r="XFD40" s="1"/></row></sheetData>')
    filled = sheet.replace(
        b"</sheetData>",
        b'<row r="40"><c r="XFD40" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
    )

    assert parse(with_member(RENDERED["xlsx"], "xl/worksheets/sheet1.xml", styled), "xlsx") == SEED
    message = refusal(with_member(RENDERED["xlsx"], "xl/worksheets/sheet1.xml", filled), "xlsx")
    assert "límite de columnas de una hoja (64)" in message
    assert "columna XFD de la fila 40" in message


def test_a_docx_row_holding_more_xml_than_a_row_may_is_refused_before_it_ends():
    document = zipfile.ZipFile(io.BytesIO(RENDERED["docx"])).read("word/document.xml")
    paragraphs = b"<w:p/>" * 300_000  # 1.8 MB of XML between two tables, no text at all
    data = with_member(
        RENDERED["docx"],
        "word/document.xml",
        document.replace(b"<w:sectPr", paragraphs + b"<w:sectPr", 1),
    )

    message = refusal(data, "docx", columns=11, cell_chars=10_000)

    assert (
        "límite de bytes de XML de una fila de tabla o de los párrafos entre dos tablas" in message
    )


# --- Characters no annex can keep -----------------------------------------------------------


def padded_text(at_end: bytes) -> bytes:
    """The seed's text with a note past 64 KiB that holds the given bytes, before its end."""
    seed = SAMPLE.read_bytes()
    filler = b"".join(b"Nota %d del documento.\n" % n for n in range(4_000))
    cut = seed.index(b"Fecha de Elaboraci")
    return seed[:cut] + filler + b"Nota final " + at_end + b"\n" + seed[cut:]


@pytest.mark.parametrize("character", [b"\x00", b"\x01", b"\x1b", b"\xef\xbf\xbf"])
def test_a_control_character_past_the_first_64_kib_of_a_text_is_refused_with_its_line(character):
    data = padded_text(character)
    assert data.index(character) > 65_536

    message = refusal(data, "txt")

    assert "línea" in message and "carácter de control" in message


def test_the_padded_text_reads_without_the_control_character():
    assert parse(padded_text(b""), "txt").activity_count() == SEED.activity_count()


@pytest.mark.parametrize("at", ["early", "late"])
@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x07"])
def test_a_control_character_in_a_csv_cell_is_refused_wherever_it_is(at, character):
    text = RENDERED["csv"].decode("utf-8-sig")
    lines = text.split("\n")
    index = 1 if at == "early" else len(lines) - 2
    lines[index] = (
        lines[index].replace("Elaborar", f"Elab{character}orar", 1).replace(",", f",{character}", 1)
    )
    data = "\n".join(lines).encode()

    message = refusal(data, "csv")
    # NUL in the first 64 KiB is told as what it most likely is: a binary file.
    assert "carácter de control" in message or "bytes de un archivo binario" in message


@pytest.mark.parametrize("reference", [b"&#0;", b"&#1;", b"&#xFFFE;"])
def test_a_character_xml_cannot_hold_in_an_office_file_is_refused(reference):
    sheet = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"])).read("xl/worksheets/sheet1.xml")
    document = zipfile.ZipFile(io.BytesIO(RENDERED["docx"])).read("word/document.xml")
    xlsx = with_member(
        RENDERED["xlsx"],
        "xl/worksheets/sheet1.xml",
        sheet.replace(b"Elaborar", b"Elab" + reference, 1),
    )
    docx = with_member(
        RENDERED["docx"], "word/document.xml", document.replace(b"Elaborar", b"Elab" + reference, 1)
    )

    assert "válido" in refusal(xlsx, "xlsx")
    assert "válido" in refusal(docx, "docx")


# --- Missing parts and broken relationships -------------------------------------------------


def without(data: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
    return out.getvalue()


def test_a_workbook_whose_sheet_part_is_missing_is_refused_naming_the_sheet():
    message = refusal(without(RENDERED["xlsx"], "xl/worksheets/sheet1.xml"), "xlsx")

    assert "Le falta la hoja" in message


def test_a_workbook_whose_sheet_relationship_is_missing_is_refused():
    rels = zipfile.ZipFile(io.BytesIO(RENDERED["xlsx"])).read("xl/_rels/workbook.xml.rels")
    broken = with_member(
        RENDERED["xlsx"], "xl/_rels/workbook.xml.rels", rels.replace(b'Id="rId1"', b'Id="rId9"')
    )

    assert "no lleva a ninguna parte del libro" in refusal(broken, "xlsx")


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels", "xl/styles.xml"]
)
def test_a_workbook_without_one_of_its_parts_is_read_or_refused_in_spanish(part):
    try:
        document = parse(without(RENDERED["xlsx"], part), "xlsx")
    except AnnexRejected as rejection:
        assert "libro" in str(rejection)
    else:
        assert document == SEED


@pytest.mark.parametrize("part", ["word/document.xml", "_rels/.rels", "[Content_Types].xml"])
def test_a_document_without_one_of_its_parts_is_refused_as_damaged(part):
    assert "no es un documento de Word (DOCX) válido" in refusal(
        without(RENDERED["docx"], part), "docx"
    )


@pytest.mark.parametrize(
    ("part", "cut"), [("_rels/.rels", b"officeDocument"), ("word/_rels/document.xml.rels", b"<")]
)
def test_a_document_with_a_broken_relationship_is_read_or_refused_in_spanish(part, cut):
    content = zipfile.ZipFile(io.BytesIO(RENDERED["docx"])).read(part)
    broken = with_member(RENDERED["docx"], part, content.replace(cut, b"", 1))
    try:
        document = parse(broken, "docx")
    except AnnexRejected as rejection:
        assert "no es un documento de Word (DOCX) válido" in str(rejection)
    else:
        assert document == SEED
