"""The flat CSV: read back to the same annex, and readable on its own by a spreadsheet."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.formats import FORMATS
from mejora.annex.parsers.csv import parse_csv
from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.csv import csv_rows, render_csv
from mejora.annex.renderers.text import render_text

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
SEDESOL_AREAS = ROOT / "mejora" / "sample" / "sedesol-areas.json"
HEADINGS = FORMATS["anexo-e"].headings()


def sedesol_catalogue() -> AreaCatalogue:
    data = json.loads(SEDESOL_AREAS.read_text(encoding="utf-8"))
    return AreaCatalogue(
        AreaName(area["name"], area.get("acronym", ""), tuple(area.get("aliases", ())))
        for area in data["areas"]
    )


@pytest.fixture(scope="module")
def seed() -> AnnexDocument:
    return parse_text(SAMPLE.read_bytes())


@pytest.fixture(scope="module")
def data(seed) -> bytes:
    return render_csv(seed)


@pytest.fixture(scope="module")
def rows(data) -> list[dict[str, str]]:
    """The CSV as any program reads it: the csv module, nothing of ours."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def to_bytes(records: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(records)
    return out.getvalue().encode("utf-8-sig")


def sheet_csv(doc: AnnexDocument, delimiter: str = ",", encoding: str = "utf-8-sig") -> bytes:
    """The annex's sheet as a spreadsheet saves it as CSV: the official layout, every row as
    wide as the table, the ASM number on its first row only."""
    records = [line.split("\t") for line in render_text(doc).splitlines()]
    width = max(map(len, records))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(record + [""] * (width - len(record)) for record in records)
    return out.getvalue().encode(encoding)


def without_places(doc: AnnexDocument) -> tuple[AnnexDocument, list[tuple[str, str]]]:
    """The document, and what its findings say about the annex wherever the file put it."""
    said = [(f.kind, f.text) for f in doc.findings if f.kind != "joined_fragment"]
    return dataclasses.replace(doc, findings=()), said


def column_mapping(doc: AnnexDocument) -> list[str]:
    return [f.text for f in doc.findings if f.kind == "column_mapping"]


def replace_activity(doc: AnnexDocument, **changes: str) -> AnnexDocument:
    """The seed with its first activity's cells changed."""
    section = doc.sections[0]
    aspect = section.aspects[0]
    activity = dataclasses.replace(aspect.activities[0], **changes)
    aspect = dataclasses.replace(aspect, activities=(activity, *aspect.activities[1:]))
    section = dataclasses.replace(section, aspects=(aspect, *section.aspects[1:]))
    return dataclasses.replace(doc, sections=(section, *doc.sections[1:]))


# --- The law -------------------------------------------------------------------------------------


def test_reading_the_csv_back_gives_the_same_annex(seed, data):
    assert parse_csv(data) == seed


def test_the_law_holds_with_an_area_catalogue():
    seed = parse_text(SAMPLE.read_bytes(), catalogue=sedesol_catalogue())

    assert parse_csv(render_csv(seed), catalogue=sedesol_catalogue()) == seed


def test_an_asm_without_activities_gets_one_row_and_reads_back(seed):
    section = seed.sections[1]
    bare = dataclasses.replace(section.aspects[0], activities=())
    doc = dataclasses.replace(
        seed, sections=(seed.sections[0], dataclasses.replace(section, aspects=(bare,)))
    )

    data = render_csv(doc)

    records = table(data)
    last = dict(zip(records[0], records[-1], strict=True))
    assert len(records) - 1 == sum(len(a.activities) for a in seed.sections[0].aspects) + 1
    assert (last["No."], last["Orden de la actividad"], last["Actividades"]) == ("1", "", "")
    assert parse_csv(data) == doc


def test_a_cycle_without_asm_reads_back(seed):
    doc = dataclasses.replace(
        seed, sections=(seed.sections[0], dataclasses.replace(seed.sections[1], aspects=()))
    )

    assert parse_csv(render_csv(doc)) == doc


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://example.com","clic")', "+52 55", "-Actividad", "@SUMA", "'cita"]
)
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_inert_and_reads_back(seed, text):
    doc = replace_activity(seed, text=text)

    data = render_csv(doc)

    header, first = table(data)[:2]
    assert first[header.index("Actividades")] == f"'{text}"
    assert parse_csv(data) == doc


def test_the_normalised_columns_are_derived_again_not_read(seed, data):
    records = table(data)
    column = records[0].index("Fecha de Término (normalizada)")
    records[1][column] = "1999-01-01"

    assert parse_csv(to_bytes(records)) == seed


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_spreadsheet_saving_with_another_separator_still_reads(seed, data, delimiter):
    assert parse_csv(to_bytes(table(data), delimiter)) == seed


def test_column_names_edited_in_case_and_accents_still_read(seed, data):
    records = table(data)
    records[0] = [name.upper().replace("Á", "A") for name in records[0]]

    assert parse_csv(to_bytes(records)) == seed


def test_findings_say_which_row(data):
    findings = parse_csv(data).findings

    assert findings
    assert all(finding.where.startswith("fila ") for finding in findings)


# --- What a spreadsheet sees ---------------------------------------------------------------------


def test_the_file_starts_with_the_utf8_byte_order_mark(data):
    assert data.startswith(codecs.BOM_UTF8)


def test_lines_end_in_crlf(data):
    text = data.decode("utf-8-sig")

    assert text.endswith("\r\n")
    assert text.count("\n") == text.count("\r\n") == 21


def test_one_row_per_activity(rows):
    assert len(rows) == 20
    assert [row["Orden de la actividad"] for row in rows[:3]] == ["1", "2", "3"]


def test_the_official_column_names_are_there_letter_for_letter(rows):
    names = list(rows[0])

    for heading in HEADINGS:
        assert heading in names
    assert [name for name in names if name in HEADINGS] == HEADINGS


def test_context_repeats_on_every_row_with_its_accents(rows):
    assert {row["Dependencia"] for row in rows} == {"Secretaría de Desarrollo Social"}
    assert {row["Programa"] for row in rows} == {"Programa Opciones Productivas"}
    assert {row["Fecha de Elaboración"] for row in rows} == {"marzo de 2012"}
    assert {row["Fecha de Elaboración (normalizada)"] for row in rows} == {"2012-03"}
    assert rows[0]["Nota al pie"].startswith("¹ En caso de un replanteamiento")


def test_cycle_columns(rows):
    last = rows[-1]

    assert last["Ciclo"] == "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)"
    assert last["Clasificación (normalizada)"] == "institucional"
    assert last["Periodo de evaluación (normalizado)"] == "2008-2009"
    assert last["Año del mecanismo (normalizado)"] == "2010"


def row_where(rows, column: str, text: str) -> dict[str, str]:
    return next(row for row in rows if row[column] == text)


def test_the_due_date_is_normalised_to_iso_beside_the_text(rows):
    row = row_where(rows, "Fecha de Término", "01/06/2010")

    assert row["Fecha de Término (normalizada)"] == "2010-06-01"
    assert row["Precisión de la fecha de término (normalizada)"] == "día"


def test_a_committed_and_an_actual_end_date(rows):
    row = row_where(
        rows, "Fecha de Término", "Fecha comprometida: 30/06/2009 Fecha término: octubre 2009"
    )

    assert row["Fecha de Término (normalizada)"] == "2009-06-30"
    assert row["Fecha de término real (normalizada)"] == "2009-10"


def test_areas_are_listed_with_a_bar(rows):
    row = row_where(
        rows, "Área Responsable", "DGEMPS, UPRI, DGS y la Dirección General de Opciones Productivas"
    )

    assert row["Área Responsable (normalizada)"] == (
        "DGEMPS | UPRI | DGS | Dirección General de Opciones Productivas"
    )


def test_an_area_keeps_its_role_note(rows):
    row = row_where(rows, "Área Responsable", "Realiza: Delegaciones")

    assert row["Área Responsable (normalizada)"] == "Realiza: Delegaciones"


def test_progress_is_normalised(rows):
    row = next(
        row for row in rows if row["Porcentaje de avance y justificación ¹"].startswith("90% El 10")
    )

    assert row["Porcentaje (normalizado)"] == "90"
    assert row["Fecha de conclusión (normalizada)"] == "2011-12-06"
    assert row["Replanteamiento (normalizado)"] == "No"


def test_the_theme_is_read_from_the_asm(rows):
    assert rows[0]["No."] == "1"
    assert rows[0]["Tema (normalizado)"] == "Operación"
    assert rows[0]["Aspecto sin el tema (normalizado)"].startswith("Mejorar los sistemas")


@pytest.mark.parametrize("kind", list(FORMATS))
def test_every_annex_kind_puts_each_value_under_its_own_column(seed, kind):
    records = table(render_csv(dataclasses.replace(seed, kind=kind)))
    header = records[0]
    aspect = seed.sections[0].aspects[0]
    activity = aspect.activities[1]

    assert {len(record) for record in records} == {len(header)}
    row = dict(zip(header, records[2], strict=True))
    named = {column.key: column.heading for column in FORMATS[kind].columns}
    assert header.index("Orden de la actividad") + 1 == header.index(named["activity"])
    assert (row["Programa"], row["Ciclo"]) == (seed.program, seed.sections[0].heading)
    assert (row[named["number"]], row[named["aspect"]]) == (aspect.number, aspect.text)
    assert row["Aspecto sin el tema (normalizado)"] == aspect.statement
    assert (row["Orden de la actividad"], row[named["activity"]]) == ("2", activity.text)
    assert row["Fecha de Término (normalizada)"] == activity.due.due.iso()
    assert row["Nota al pie"] == seed.footnote


@pytest.mark.parametrize("kind", list(FORMATS))
def test_the_file_holds_exactly_the_rows_csv_rows_gives(seed, kind):
    first, second = seed.sections
    doc = dataclasses.replace(
        seed,
        kind=kind,
        program='=Programa, con coma y "comillas"',
        sections=(
            dataclasses.replace(
                first, aspects=(dataclasses.replace(first.aspects[0], activities=()),)
            ),
            dataclasses.replace(second, aspects=()),
            second,
        ),
    )

    assert render_csv(doc) == to_bytes(list(csv_rows(doc)))


def test_an_asm_text_a_spreadsheet_would_run_is_inert_in_its_normalised_columns_too(seed):
    section = seed.sections[0]
    aspect = dataclasses.replace(section.aspects[0], text="=1+1", theme=None, statement="=1+1")
    section = dataclasses.replace(section, aspects=(aspect, *section.aspects[1:]))
    doc = dataclasses.replace(seed, sections=(section, *seed.sections[1:]))

    records = table(render_csv(doc))

    row = dict(zip(records[0], records[1], strict=True))
    assert row["Aspecto Susceptible de Mejora"] == "'=1+1"
    assert row["Aspecto sin el tema (normalizado)"] == "'=1+1"
    assert parse_csv(render_csv(doc)) == doc


# --- Columns read by name ------------------------------------------------------------------------


def rename(records: list[list[str]], old: str, new: str) -> list[list[str]]:
    records[0][records[0].index(old)] = new
    return records


def test_an_official_column_renamed_by_an_agency_is_read_and_noted(seed, data):
    records = rename(table(data), "Producto y/o evidencia", "Productos / evidencias")

    read = parse_csv(to_bytes(records))

    assert without_places(read)[0] == without_places(seed)[0]
    assert column_mapping(read) == [
        "La columna «Productos / evidencias» se leyó como «Producto y/o evidencia»."
    ]
    assert [f.where for f in read.findings if f.kind == "column_mapping"] == ["fila 1"]


def test_our_own_csv_reads_without_notes_on_its_columns(data):
    assert column_mapping(parse_csv(data)) == []


def test_a_normalised_column_is_never_taken_for_the_official_one(data):
    records = table(data)
    column = records[0].index("Fecha de Término")
    records = [record[:column] + record[column + 1 :] for record in records]
    assert "Fecha de Término (normalizada)" in records[0]

    with pytest.raises(AnnexRejected, match=r"faltan columnas.*«Fecha de Término»"):
        parse_csv(to_bytes(records))


def test_a_normalised_column_renamed_by_hand_is_still_not_read(seed, data):
    records = rename(table(data), "Fecha de Término (normalizada)", "Fecha término (normalizada)")
    column = records[0].index("Fecha término (normalizada)")
    records[1][column] = "1999-01-01"

    read = parse_csv(to_bytes(records))

    assert read == seed


def test_a_column_of_the_agencys_own_is_noted_and_not_read(seed, data):
    header, *rest = table(data)
    records = [[*header, "Semáforo"], *([*record, "Verde"] for record in rest)]

    read = parse_csv(to_bytes(records))

    assert without_places(read)[0] == without_places(seed)[0]
    assert column_mapping(read) == [
        "La columna «Semáforo» no es de ningún anexo: su contenido no se leyó."
    ]


def test_two_columns_read_as_the_same_official_one_are_rejected(data):
    records = table(data)
    column = records[0].index("Observaciones")
    records = [[*record, record[column]] for record in records]
    records[0][-1] = "Observación"

    with pytest.raises(AnnexRejected, match="repetida"):
        parse_csv(to_bytes(records))


@pytest.mark.parametrize("newline", [b"\n", b"\r"])
def test_lines_ended_as_other_systems_end_them_read(seed, data, newline):
    assert parse_csv(data.replace(b"\r\n", newline)) == seed


# --- An annex sheet saved as CSV -----------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_an_annex_sheet_saved_as_csv_reads_as_the_annex(seed, delimiter):
    read = parse_csv(sheet_csv(seed, delimiter))

    assert without_places(read) == without_places(seed)
    assert all(f.where.startswith("fila ") for f in read.findings)


def test_a_sheet_saved_by_excel_in_windows_1252_reads_with_a_finding(seed):
    read = parse_csv(sheet_csv(seed, ";", encoding="cp1252"))

    assert without_places(read)[0] == without_places(seed)[0]
    assert [f.kind for f in read.findings].count("encoding") == 1


def test_a_sheet_with_its_columns_renamed_and_moved_is_read_by_name(seed):
    records = table(sheet_csv(seed))
    header = next(i for i, record in enumerate(records) if record[0] == "No.")
    for record in records[header:]:
        record[0], record[2] = record[2], record[0]
    records = [
        ["Productos / evidencias" if cell == "Producto y/o evidencia" else cell for cell in r]
        for r in records
    ]

    read = parse_csv(to_bytes(records))

    assert without_places(read)[0] == without_places(seed)[0]
    assert column_mapping(read) == [
        "La columna «Productos / evidencias» se leyó como «Producto y/o evidencia».",
        "Las columnas están en otro orden que el oficial; se leyeron por nombre.",
    ]


def test_a_cell_beside_the_sheets_table_is_noted_by_its_column_letter(seed):
    records = table(sheet_csv(seed))
    first_row = next(i for i, record in enumerate(records) if record[0] == "No.") + 1
    records = [[*record, ""] for record in records]
    records[first_row][-1] = "revisar"

    read = parse_csv(to_bytes(records))

    ignored = [f for f in read.findings if f.kind == "ignored_cell"]
    assert [f.where for f in ignored] == [f"fila {first_row + 1} · columna L"]
    assert "«revisar»" in ignored[0].text


def test_a_sheet_without_its_title_block_is_rejected(seed):
    records = table(sheet_csv(seed))
    header = next(i for i, record in enumerate(records) if record[0] == "No.")

    with pytest.raises(AnnexRejected, match="Falta el encabezado del anexo"):
        parse_csv(to_bytes(records[header - 2 :]))  # from the cycle heading


def test_a_sheet_cut_before_its_table_is_rejected(seed):
    records = table(sheet_csv(seed))
    header = next(i for i, record in enumerate(records) if record[0] == "No.")

    with pytest.raises(AnnexRejected, match="no es un CSV de anexo"):
        parse_csv(to_bytes(records[:header]))


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n", codecs.BOM_UTF8])
def test_an_empty_file_is_rejected(data):
    with pytest.raises(AnnexRejected, match="vacío"):
        parse_csv(data)


def test_a_binary_file_is_rejected():
    with pytest.raises(AnnexRejected, match="no es de texto"):
        parse_csv(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


def test_the_tab_separated_annex_is_not_taken_for_a_csv():
    # Its blank lines are page breaks, which only the text reader knows to join across.
    with pytest.raises(AnnexRejected, match=r"no es un CSV de anexo.*tabuladores.*\.txt"):
        parse_csv(SAMPLE.read_bytes())


def test_a_missing_column_is_named(data):
    records = table(data)
    column = records[0].index("Observaciones")
    records = [record[:column] + record[column + 1 :] for record in records]

    with pytest.raises(AnnexRejected, match=r"faltan columnas.*«Observaciones»"):
        parse_csv(to_bytes(records))


def test_a_header_without_rows_is_rejected(data):
    with pytest.raises(AnnexRejected, match="ninguna fila"):
        parse_csv(to_bytes(table(data)[:1]))


def test_a_truncated_row_is_rejected(data):
    records = table(data)
    records[3] = records[3][:10]

    with pytest.raises(AnnexRejected, match="fila 4: la fila tiene 10 celdas"):
        parse_csv(to_bytes(records))


def test_an_unclosed_quote_is_rejected(data):
    with pytest.raises(AnnexRejected, match="no es un CSV válido"):
        parse_csv(data + b'"sin cerrar')


def test_rows_of_two_annexes_are_rejected(data):
    records = table(data)
    records[5][records[0].index("Programa")] = "Otro programa"

    with pytest.raises(AnnexRejected, match="fila 6: la columna «Programa»"):
        parse_csv(to_bytes(records))


def test_an_activity_without_asm_number_is_rejected(data):
    records = table(data)
    records[2][records[0].index("No.")] = ""

    with pytest.raises(AnnexRejected, match="fila 3: la actividad no tiene número de ASM"):
        parse_csv(to_bytes(records))


def test_an_asm_whose_text_changes_between_its_rows_is_rejected(data):
    records = table(data)
    records[2][records[0].index("Aspecto Susceptible de Mejora")] = "Otro texto"

    with pytest.raises(AnnexRejected, match="fila 3: el texto del ASM 1 no es el mismo"):
        parse_csv(to_bytes(records))
