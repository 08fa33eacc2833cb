"""The annex as an Excel workbook: the round trip, the layout another reader sees, bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import FORMATS
from mejora.annex.parsers.text import parse_text
from mejora.annex.parsers.xlsx import parse_xlsx
from mejora.annex.renderers.xlsx import render_xlsx
from mejora.annex.words import squash

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
SEED = parse_text(SAMPLE.read_bytes())
SEED_XLSX = render_xlsx(SEED)
NOT_A_WORKBOOK = "El archivo no es un libro de Excel (XLSX) válido."

COLUMN_NAMES = [
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
HEADINGS = [
    "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)",
    "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)",
]


# --- The round trip -------------------------------------------------------------------------------


def test_reading_the_rendered_seed_gives_the_same_annex():
    assert parse_xlsx(SEED_XLSX) == SEED


def test_the_workbook_reading_has_the_text_readings_findings_but_the_page_break_joins():
    def about(doc: AnnexDocument) -> list[tuple[str, str, str]]:
        # Where a cell is: 'línea 12 · ASM 2008/1 · …' in text, 'fila 9 · ASM 2008/1 · …' here.
        return sorted((f.kind, f.where.partition(" · ")[2], f.text) for f in doc.findings)

    text_findings = [f for f in about(SEED) if f[0] != "joined_fragment"]

    assert about(parse_xlsx(SEED_XLSX)) == text_findings


def test_an_annex_without_footnote_or_preparation_date_reads_back_the_same():
    doc = dataclasses.replace(SEED, footnote="", prepared=None)

    assert parse_xlsx(render_xlsx(doc)) == doc


def test_texts_a_spreadsheet_would_take_for_numbers_or_formulas_read_back_as_written():
    aspect = SEED.sections[0].aspects[1]
    activity = dataclasses.replace(
        aspect.activities[0], deliverable="=SUMA(A1:A3)", proof="#N/A", observations="0012"
    )
    aspect = dataclasses.replace(aspect, number="02", activities=(activity,))
    section = dataclasses.replace(SEED.sections[0], aspects=(aspect,))
    doc = dataclasses.replace(SEED, sections=(section,))

    assert parse_xlsx(render_xlsx(doc)) == doc


def with_first_activity(doc: AnnexDocument, **changes: str) -> AnnexDocument:
    aspect = doc.sections[0].aspects[0]
    activity = dataclasses.replace(aspect.activities[0], **changes)
    aspect = dataclasses.replace(aspect, activities=(activity, *aspect.activities[1:]))
    section = dataclasses.replace(doc.sections[0], aspects=(aspect, *doc.sections[0].aspects[1:]))
    return dataclasses.replace(doc, sections=(section, *doc.sections[1:]))


def test_texts_with_markup_quotes_and_emoji_read_back_as_written():
    doc = with_first_activity(
        SEED, text="<b>I&D</b> \"comillas\" 'apóstrofo' ]]> 😀", deliverable="&amp; A < B > C"
    )

    assert parse_xlsx(render_xlsx(doc)) == doc


def test_control_characters_are_left_out_and_the_rest_of_the_cell_kept():
    doc = with_first_activity(SEED, text="Elaborar\x01 el\x1f diagnóstico\ufffe")

    sheet = load_workbook(io.BytesIO(render_xlsx(doc))).active

    assert "Elaborar el diagnóstico" in [cell.value for cell in sheet["C"]]


def test_a_cell_holds_at_most_what_excel_allows():
    doc = with_first_activity(SEED, observations="x" * 40_000)

    sheet = load_workbook(io.BytesIO(render_xlsx(doc))).active

    assert max(len(cell.value or "") for cell in sheet["K"]) == 32_767


def test_a_large_annex_writes_every_row_once_in_order():
    sections = tuple(dataclasses.replace(s, aspects=s.aspects * 150) for s in SEED.sections)
    doc = dataclasses.replace(SEED, sections=sections)

    sheet = load_workbook(io.BytesIO(render_xlsx(doc)), read_only=True).active
    numbers = [row[0] for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]

    assert len(numbers) == 150 * SEED.aspect_count()
    assert sum(1 for row in sheet.iter_rows(values_only=True) if row[2]) == (
        150 * SEED.activity_count() + len(SEED.sections)  # and each cycle's header
    )


# Any text a cell can hold as the builder leaves it: no control characters, spaces squashed.
CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
).map(squash)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(CELL_TEXT, min_size=5, max_size=5))
def test_free_text_cells_read_back_whatever_they_hold(texts):
    first = SEED.sections[0].aspects[0]
    activity = dataclasses.replace(
        first.activities[0],
        expected_results=texts[0],
        deliverable=texts[1],
        proof=texts[2],
        observations=texts[3],
        text=texts[4],
    )
    aspect = dataclasses.replace(first, activities=(activity, *first.activities[1:]))
    section = dataclasses.replace(SEED.sections[0], aspects=(aspect, *SEED.sections[0].aspects[1:]))
    doc = dataclasses.replace(SEED, sections=(section, *SEED.sections[1:]))

    assert parse_xlsx(render_xlsx(doc)) == doc


# --- The layout, as another program reads it ------------------------------------------------------


@pytest.fixture(scope="module")
def sheet() -> Worksheet:
    workbook = load_workbook(io.BytesIO(SEED_XLSX))
    assert workbook.sheetnames == ["Anexo E"]
    return workbook["Anexo E"]


def rows_starting_with(sheet: Worksheet, text: str) -> list[int]:
    return [
        row[0].row
        for row in sheet.iter_rows()
        if isinstance(row[0].value, str) and row[0].value.startswith(text)
    ]


def header_rows(sheet: Worksheet) -> list[int]:
    return [row[0].row for row in sheet.iter_rows() if [c.value for c in row[:11]] == COLUMN_NAMES]


def test_the_title_block_comes_first(sheet):
    assert [sheet.cell(row, 1).value for row in range(1, 5)] == [
        SEED.title,
        "Nombre de la Dependencia/Entidad: Secretaría de Desarrollo Social",
        "Nombre del programa: Programa Opciones Productivas",
        "Anexo E. Avance al documento institucional",
    ]
    assert sheet["A1"].value.startswith("SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA")


def test_each_cycle_heading_is_followed_by_the_header_row_letter_for_letter(sheet):
    headings = [rows_starting_with(sheet, heading) for heading in HEADINGS]

    assert [len(rows) for rows in headings] == [1, 1]
    assert header_rows(sheet) == [rows[0] + 1 for rows in headings]
    assert FORMATS["anexo-e"].headings() == COLUMN_NAMES


def test_the_header_cells_are_bold_filled_and_wrapped(sheet):
    for cell in sheet[header_rows(sheet)[0]][:11]:
        assert cell.font.bold
        assert cell.fill.fill_type == "solid"
        assert cell.alignment.wrap_text


def test_there_is_one_row_per_activity_wrapped_and_top_aligned(sheet):
    activity_cells = [
        row[2]
        for row in sheet.iter_rows()
        if row[2].value and row[2].value != "Actividades" and row[0].row > 5
    ]

    assert len(activity_cells) == 20 == SEED.activity_count()
    for cell in activity_cells:
        assert cell.alignment.wrap_text
        assert cell.alignment.vertical == "top"


def test_the_number_and_text_of_an_asm_are_merged_over_its_activities(sheet):
    first_cycle_end = rows_starting_with(sheet, HEADINGS[1])[0]
    asm_3 = next(r for r in range(1, first_cycle_end) if sheet.cell(r, 1).value == 3)
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}

    assert f"A{asm_3}:A{asm_3 + 4}" in merged
    assert f"B{asm_3}:B{asm_3 + 4}" in merged
    assert sheet.cell(asm_3, 2).value.startswith("Resultados: Captar información oportuna")
    # An ASM with one activity is not merged.
    asm_2 = asm_3 - 1
    assert not any(r.startswith(f"A{asm_2}:") for r in merged)


def test_the_columns_are_wide_enough_and_text_columns_wider(sheet):
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJK"}

    assert widths["A"] < widths["F"] < widths["B"]
    assert min(widths["B"], widths["C"]) >= 35


def test_it_prints_landscape_fit_to_width_with_the_header_on_every_page(sheet):
    first_header = header_rows(sheet)[0]

    assert sheet.freeze_panes == f"A{first_header + 1}"
    assert sheet.print_title_rows == f"${first_header}:${first_header}"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) in (sheet.PAPERSIZE_LETTER, sheet.PAPERSIZE_LEGAL)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1


def test_the_footnote_and_preparation_date_close_the_sheet(sheet):
    last_rows = [sheet.cell(row, 1).value for row in (sheet.max_row - 1, sheet.max_row)]

    assert last_rows == [
        "¹ En caso de un replanteamiento de las acciones comprometidas se deberá justificar y en "
        "su caso se solicita se vuelva a llenar las actividades y sus características",
        "Fecha de Elaboración: marzo de 2012",
    ]


def test_the_workbook_says_who_made_it_and_when_the_annex_was_prepared():
    properties = load_workbook(io.BytesIO(SEED_XLSX)).properties

    assert properties.creator == "Mejora"
    assert properties.created == properties.modified == dt.datetime(2012, 3, 1)


# --- The same bytes every time --------------------------------------------------------------------


def test_rendering_twice_gives_the_same_bytes():
    assert render_xlsx(SEED) == render_xlsx(SEED) == SEED_XLSX


class _LaterDatetime(dt.datetime):
    """A clock 400 days and a few seconds ahead, for code that asks datetime for now."""

    @classmethod
    def now(cls, tz=None):
        return super().now(tz) + dt.timedelta(days=400, seconds=7)


def test_rendering_at_another_moment_gives_the_same_bytes(monkeypatch):
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 400 * 86400 + 7)
    monkeypatch.setattr(dt, "datetime", _LaterDatetime)

    assert render_xlsx(SEED) == SEED_XLSX
    assert all(
        i.date_time == (2012, 3, 1, 0, 0, 0)
        for i in zipfile.ZipFile(io.BytesIO(SEED_XLSX)).infolist()
    )


# --- Workbooks laid out by someone else -----------------------------------------------------------


def agency_workbook() -> Workbook:
    """The seed's first ASM as an agency might type it: the table from column B, a blank
    column A, a title on two rows, a real date, a percentage and the date in its own cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Hoja1"
    for row in (
        ["SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO INSTITUCIONALES,"],
        ["DERIVADOS DE INFORMES Y EVALUACIONES EXTERNAS"],
        ["Secretaría de Desarrollo Social"],
        ["Programa Opciones Productivas"],
        ["ANEXO E. Avance al documento institucional"],
        [],
        ["Aspectos Institucionales 2007-2008 (Mecanismo 2008)"],
    ):
        sheet.append([None, *row])
    sheet.append([None, *(h.replace(" ", "\n", 1).upper() for h in COLUMN_NAMES)])
    sheet.append([None, 1, "Operación: Mejorar los sistemas.", "Actividad uno", "DGOP", "DGOP"])
    sheet.append([None, None, None, "Actividad dos", "DGOP", "DGOP", dt.datetime(2009, 1, 30)])
    sheet.merge_cells("B9:B10")
    sheet.merge_cells("C9:C10")
    sheet["J9"] = "Porcentaje de avance: 100%"
    sheet["J10"] = 0.95
    sheet["J10"].number_format = "0%"
    sheet["M10"] = "una nota al margen"
    sheet["B12"] = "Fecha de Elaboración:"
    sheet["C12"] = "marzo de 2012"
    return workbook


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_it_reads_an_agency_layout_finding_the_table_by_its_headings():
    doc = parse_xlsx(saved(agency_workbook()))

    assert doc.title == SEED.title
    assert doc.annex == "ANEXO E. Avance al documento institucional"
    assert doc.prepared is not None and doc.prepared.iso() == "2012-03"
    [section] = doc.sections
    assert section.mechanism_year == 2008
    [aspect] = section.aspects
    assert aspect.number == "1"
    assert [a.text for a in aspect.activities] == ["Actividad uno", "Actividad dos"]
    assert aspect.activities[0].percent == 100
    assert aspect.activities[1].due.due is not None
    assert aspect.activities[1].due.due.iso() == "2009-01-30"
    assert aspect.activities[1].percent == 95
    [ignored] = [f for f in doc.findings if f.kind == "ignored_cell"]
    assert ignored.where == "fila 10 · columna M"
    assert "una nota al margen" in ignored.text


def test_it_reads_the_first_sheet_with_a_table_and_says_it_left_the_others():
    workbook = agency_workbook()
    workbook.create_sheet("Notas", 0)["A1"] = "Notas de la dependencia"
    workbook.copy_worksheet(workbook["Hoja1"]).title = "Copia"

    doc = parse_xlsx(saved(workbook))

    assert doc.sections[0].aspects[0].number == "1"
    assert [f.where for f in doc.findings if f.kind == "ignored_sheet"] == ["hoja «Copia»"]


# --- Input that is not an annex workbook ----------------------------------------------------------


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def seed_with_sheet(change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(SEED_XLSX)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["xl/worksheets/sheet1.xml"] = change(entries["xl/worksheets/sheet1.xml"])
    return zipped(entries)


def workbook_with(*rows: list) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    return saved(workbook)


TITLE_BLOCK = ([SEED.title], [SEED.institution], [SEED.program], [SEED.annex])

BAD_INPUT = [
    pytest.param(b"", ("vacío",), id="empty"),
    pytest.param(random.Random(7).randbytes(4096), (NOT_A_WORKBOOK,), id="random-bytes"),
    pytest.param(zipped({}), (NOT_A_WORKBOOK,), id="an-empty-zip"),
    pytest.param(zipped({"word/document.xml": b"<w/>"}), (NOT_A_WORKBOOK,), id="a-zip-of-other"),
    pytest.param(SEED_XLSX[: len(SEED_XLSX) // 2], (NOT_A_WORKBOOK,), id="a-truncated-xlsx"),
    pytest.param(
        seed_with_sheet(lambda xml: xml[: len(xml) // 2]), (NOT_A_WORKBOOK,), id="a-broken-sheet"
    ),
    pytest.param(b"\xd0\xcf\x11\xe0" + bytes(600), ("XLS", "guárdelo como XLSX"), id="old-xls"),
    pytest.param(
        workbook_with(*TITLE_BLOCK, [HEADINGS[0]]),
        ("No se encontró la tabla del anexo", "«No.»"),
        id="a-workbook-without-the-header",
    ),
    pytest.param(workbook_with(), ("No se encontró la tabla",), id="an-empty-workbook"),
    pytest.param(
        workbook_with(*TITLE_BLOCK, [HEADINGS[0]], COLUMN_NAMES[:-1]),
        ("fila 6", "las columnas no son las del Anexo E", "Faltan: «Observaciones»"),
        id="a-header-without-a-column",
    ),
    pytest.param(
        workbook_with(*TITLE_BLOCK, [HEADINGS[0]], ["1", "ASM", "Actividad", "DGOP"]),
        ("fila 6", "se esperaba el encabezado de columnas"),
        id="data-before-the-header",
    ),
    pytest.param(
        workbook_with(*TITLE_BLOCK, [HEADINGS[0]], COLUMN_NAMES, [HEADINGS[1]]),
        ("fila 7", "no tiene tabla debajo"),
        id="a-heading-without-table",
    ),
    pytest.param(
        workbook_with(TITLE_BLOCK[0], [HEADINGS[0]], COLUMN_NAMES),
        ("Falta el encabezado del anexo",),
        id="no-institution-or-program",
    ),
    pytest.param(
        workbook_with(*TITLE_BLOCK, [HEADINGS[0]], COLUMN_NAMES, [None, None, "Actividad", "X"]),
        ("fila 7", "no tiene número de ASM"),
        id="an-activity-without-asm",
    ),
    pytest.param(
        workbook_with(
            *TITLE_BLOCK, [HEADINGS[0]], COLUMN_NAMES, ["Fecha de Elaboración: marzo de 2012"],
            [2, "Diseño: otro ASM", "Actividad", "DGOP", "DGOP", "31/12/2010"],
        ),
        ("fila 8", "después de la «Fecha de Elaboración»"),
        id="rows-after-the-preparation-date",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("data", "words"), BAD_INPUT)
def test_it_rejects_what_is_not_an_annex_workbook_saying_why_in_spanish(data, words):
    with pytest.raises(AnnexRejected) as rejected:
        parse_xlsx(data)

    for word in words:
        assert word in str(rejected.value)


def test_a_workbook_with_its_own_column_order_and_names_reads_the_same():
    """Agencies move and rename columns: they are read by name, with findings saying so."""
    book = load_workbook(io.BytesIO(SEED_XLSX))
    sheet = book.active
    for row in sheet.iter_rows():
        if any(type(cell).__name__ == "MergedCell" for cell in row[3:5]):
            continue  # the title lines, merged across the sheet
        row[3].value, row[4].value = row[4].value, row[3].value
        if row[7].value == "Producto y/o evidencia":
            row[7].value = "Productos / evidencias"
    out = io.BytesIO()
    book.save(out)
    doc = parse_xlsx(out.getvalue())
    assert doc == SEED
    assert any(f.kind == "column_mapping" and "otro orden" in f.text for f in doc.findings)


@pytest.mark.parametrize(
    ("number_format", "reads_as"),
    [
        pytest.param("mmm-yy", ("2009-06", "month"), id="jun-09"),
        pytest.param("mmmm yyyy", ("2009-06", "month"), id="junio-2009"),
        pytest.param('[$-80A]mmmm" de "yyyy', ("2009-06", "month"), id="junio-de-2009-localised"),
        pytest.param("mm/yyyy", ("2009-06", "month"), id="06-2009"),
        pytest.param("yyyy", ("2009", "year"), id="only-the-year"),
        pytest.param("dd/mm/yyyy", ("2009-06-01", "day"), id="the-day"),
        pytest.param('[$-80A]d" de "mmmm" de "yyyy', ("2009-06-01", "day"), id="the-day-in-words"),
    ],
)
def test_a_date_cell_is_read_as_precisely_as_its_format_shows_it(number_format, reads_as):
    """Typing 'jun 2009' makes Excel store the 1st of June shown as 'jun-09': a month."""
    workbook = agency_workbook()
    workbook.active["G10"] = dt.datetime(2009, 6, 1)
    workbook.active["G10"].number_format = number_format

    doc = parse_xlsx(saved(workbook))

    due = doc.sections[0].aspects[0].activities[1].due.due
    assert due is not None and (due.iso(), due.precision) == reads_as
