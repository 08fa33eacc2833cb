"""Annexes as agencies make them, generated from an AnnexDocument with a seeded random.

A variant is written without our renderers, the way an agency's own file looks: the text
layout and the CSV by hand, the workbook with openpyxl and the Word tables with python-docx.
It varies what agencies vary — where the pages break (the header repeated, a row split in two
and continued on the next page, one table cut into several), the order and spelling of the
columns, areas by acronym or by name and one per line, and how dates are written — and keeps
the values: read back, a variant says what the document said. Numeric dates are written day
first, or month first in a cycle typed by an office that writes them so; the variant lists
every date that reads both ways, so a test checks that the reader flagged it instead of
trusting its guess, which for a month-first date is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AreaCell,
    AspectEntry,
    PartialDate,
    Precision,
)
from mejora.annex.formats import FORMATS, accepted_heading, heading_key

VARIANT_FORMATS = ("txt", "csv", "xlsx", "docx")

# (mechanism year, ASM number, activity order): an activity wherever a file puts it.
Place = tuple[int, str, int]

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
    "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
SHORT_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")

# Ways offices write a day, day first; the numeric ones read both ways when the day is 12 or
# less. MONTH_FIRST are an office's that writes the month first ('3/31/11' in the seed).
DAY_STYLES = (
    "{d:02d}/{m:02d}/{y}",
    "{d}/{m}/{y}",
    "{d:02d}-{m:02d}-{y}",
    "{d:02d}.{m:02d}.{y}",
    "{d:02d}/{m:02d}/{yy:02d}",
    "{y}-{m:02d}-{d:02d}",
    "{d}-{mon}-{y}",
    "{d:02d}/{Mon}/{y}",
    "{d} de {month} de {y}",
    "{d} de {Month} del {y}",
    "{d} {mon}. {y}",
)
MONTH_FIRST = ("{m}/{d}/{yy:02d}", "{m:02d}/{d:02d}/{yy:02d}", "{m}/{d}/{y}")
NUMERIC = re.compile(r"^\{[dm](?::02d)?\}[/.\-]\{[dm](?::02d)?\}")
MONTH_STYLES = (
    "{month} de {y}",
    "{Month} de {y}",
    "{MONTH} DE {y}",
    "{month} del {y}",
    "{mon} {y}",
    "{Mon}-{y}",
    "{mon}. {y}",
    "{Month}/{y}",
    "{Month} {y}",
)

# Headings the header matcher is meant to accept for each column: accents and case lost,
# singular for plural, abbreviations and short forms of the long names.
SPELLINGS = {
    "number": ("No", "NO.", "No ."),
    "aspect": (
        "Aspecto susceptible de mejora",
        "ASPECTO SUSCEPTIBLE DE MEJORA",
        "Aspectos Susceptibles de Mejora",
        "Aspecto Susceptible de Mejora (ASM)",
    ),
    "activity": ("Actividad", "ACTIVIDADES", "Actividades comprometidas"),
    "coordinating": (
        "Area Coordinadora",
        "ÁREA COORDINADORA",
        "Área coord.",
        "Áreas Coordinadoras",
    ),
    "responsible": (
        "Area Responsable",
        "Área resp.",
        "Áreas Responsables",
        "Área(s) Responsable(s)",
    ),
    "due": ("Fecha de termino", "Fecha término", "FECHA DE TÉRMINO"),
    "expected_results": ("Resultados esperados", "Resultado esperado"),
    "deliverable": ("Producto y/o Evidencia", "Productos / evidencias", "Producto o evidencia"),
    "progress": (
        "Porcentaje de avance y justificacion",
        "Porcentaje de avance",
        "% de avance y justificación",
        "Porcentaje de avance y justificación 1",
    ),
    "proof": (
        "Identificación del documento probatorio",
        "Documento probatorio (nombre del archivo)",
        "Identificacion del documento probatorio (nombre del archivo y extension)",
    ),
    "observations": ("OBSERVACIONES", "Observación"),
}
# Columns of the agency's own, read by no annex; an empty heading is a spacer column.
OWN_COLUMNS = ("Comentarios internos", "Semáforo", "Responsable de captura", "")
OWN_NOTES = ("", "", "Revisado", "Pendiente de validar", "Verde")
# Cells whose text a page break may cut: long texts, never the cells that start an activity.
SPLITTABLE = ("aspect", "activity", "expected_results", "deliverable", "progress", "proof")
_CONCLUDED = re.compile(r"fecha\s+de\s+conclusi[oó]n\s*:\s*", re.I)
_BARE_PERCENT = re.compile(r"^(\d{1,3})%$")

# The flat CSV's own columns (renderers.csv names them; an agency's copy keeps them).
CSV_CONTEXT = ("Título", "Dependencia", "Programa", "Anexo", "Fecha de Elaboración", "Nota al pie")
CSV_CYCLE = "Ciclo"
# How a workbook shows a date cell: with its day, or only its month and year.
DAY_FORMATS = ("dd/mm/yyyy", "d-mmm-yy", "yyyy-mm-dd", '[$-80A]d" de "mmmm" de "yyyy')
MONTH_FORMATS = ("mmm-yy", "mmmm yyyy", '[$-80A]mmmm" de "yyyy', "mm/yyyy")
DateCell = tuple[dt.date, str]  # a date cell's value and number format
OWN = "(propia)"  # the key of the agency's own column in a row's cells


@dataclass(frozen=True)
class Ambiguous:
    """A date written so that it reads day/month or month/day; the reader must flag it."""

    place: Place
    text: str
    column: str  # the official column the finding names
    misread: bool  # the day/month reading is not the document's date
    year: int


@dataclass
class Variant:
    file_format: str
    data: bytes
    seed: int
    choices: list[str] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    # Values a misread date changes in the record: (place, "due" or "concluded").
    unreliable: set[tuple[Place, str]] = field(default_factory=set)
    renamed: list[str] = field(default_factory=list)  # headings not written as official
    reordered: bool = False
    own_column: str | None = None  # an agency's own column ('' for a spacer without heading)
    fragments: int = 0  # rows continued after a page break

    def describe(self) -> str:
        lines = [f"variante {self.file_format}, semilla {self.seed}:", *self.choices]
        lines += [f"fecha ambigua {a.place}: «{a.text}»" for a in self.ambiguous]
        return "\n  ".join(lines)


@dataclass
class _Row:
    """One table row as the agency typed it: texts by column key, and the activity's place."""

    cells: dict[str, str]
    place: Place | None
    first_of_aspect: bool
    due_cell: DateCell | None = None  # a due date a workbook holds as a date cell

    def splittable(self) -> list[str]:
        return [k for k in SPLITTABLE if len(self.cells.get(k, "").split(" ")) > 1]


@dataclass
class _Section:
    heading: str
    rows: list[_Row]


class _Agency:
    """The habits of one agency for one file: columns, areas and dates, chosen once."""

    def __init__(self, doc: AnnexDocument, file_format: str, rng: random.Random, areas) -> None:
        self.doc = doc
        self.annex = FORMATS[doc.kind]
        self.file_format = file_format
        self.rng = rng
        self.catalogue = AreaCatalogue(areas)
        self.variant = Variant(file_format, b"", seed=0)
        self.keys = [c.key for c in self.annex.columns]
        self.order = self._order()
        self.headings = self._headings()
        self.area_style = rng.choice(("acrónimos", "nombres", "mezcla"))
        self.note(f"áreas: {self.area_style}")
        self.native_dates = file_format == "xlsx" and rng.random() < 0.7
        self.month_first_by_year: dict[int, bool] = {}

    def note(self, text: str) -> None:
        self.variant.choices.append(text)

    # --- columns --------------------------------------------------------------------------

    def _order(self) -> list[str]:
        order = list(self.keys)
        how = self.rng.random()
        if how < 0.35:
            self.rng.shuffle(order)
        elif how < 0.7:
            for _ in range(self.rng.randint(1, 3)):
                i, j = self.rng.sample(range(len(order)), 2)
                order[i], order[j] = order[j], order[i]
        self.variant.reordered = order != self.keys
        if self.rng.random() < 0.4:
            own = self.rng.choice(OWN_COLUMNS)
            order.insert(self.rng.randint(1, len(order)), OWN)
            self.variant.own_column = own
        self.note(f"columnas: {' | '.join(order)}")
        return order

    def _headings(self) -> dict[str, str]:
        headings = {}
        for column in self.annex.columns:
            official = column.heading
            if self.file_format == "csv":
                written = _refold(official, self.rng)  # the CSV reads names as written
            elif self.rng.random() < 0.5:
                written = self.rng.choice(SPELLINGS[column.key])
            else:
                written = official
            headings[column.key] = written
            # A known spelling of the column ('Porcentaje de avance') is read without a note.
            if heading_key(written) != heading_key(official) and not accepted_heading(written):
                self.variant.renamed.append(written)
        if OWN in self.order:
            headings[OWN] = self.variant.own_column
        self.note(f"encabezados: {' | '.join(headings[k] for k in self.order)}")
        return headings

    def header(self) -> list[str]:
        return [self.headings[key] for key in self.order]

    def in_order(self, cells: dict[str, str]) -> list[str]:
        return [cells.get(key, "") for key in self.order]

    # --- the rows -------------------------------------------------------------------------

    def sections(self) -> list[_Section]:
        sections = []
        for section in self.doc.sections:
            year = section.mechanism_year
            self.month_first_by_year[year] = self.rng.random() < 0.3
            if self.month_first_by_year[year]:
                self.note(f"ciclo {year}: fechas numéricas mes/día")
            rows = []
            for aspect in section.aspects:
                rows += self._aspect_rows(year, aspect)
            sections.append(_Section(self._cycle_heading(section.heading), rows))
        return sections

    def _cycle_heading(self, heading: str) -> str:
        how = self.rng.random()
        if how < 0.2:
            return heading.title().replace("(Mecanismo", "(mecanismo")
        if how < 0.4:
            return re.sub(r"(\d{4})-(\d{4})", r"\1 - \2", heading.upper())
        return heading

    def _aspect_rows(self, year: int, aspect: AspectEntry) -> list[_Row]:
        head = {"number": aspect.number, "aspect": self.typed(aspect.text)}
        if not aspect.activities:
            return [_Row(dict(head), None, True)]
        rows = []
        for order, activity in enumerate(aspect.activities, start=1):
            place = (year, aspect.number, order)
            date_cell = self._date_cell(activity)
            cells = (head if order == 1 else {}) | self._activity_cells(place, activity, date_cell)
            if self.variant.own_column:  # a spacer column stays empty
                cells[OWN] = self.rng.choice(OWN_NOTES)
            rows.append(_Row(cells, place, order == 1, date_cell))
        return rows

    def _date_cell(self, activity: ActivityEntry) -> DateCell | None:
        """A workbook's date cell for a due date, instead of the date typed as text: a day,
        or a month that Excel turned into its first day and shows without the day."""
        due = activity.due
        if not self.native_dates or due.actual_end is not None or due.due is None:
            return None
        if due.due.precision is Precision.YEAR or self.rng.random() < 0.2:
            return None
        shows = DAY_FORMATS if due.due.precision is Precision.DAY else MONTH_FORMATS
        return due.due.start, self.rng.choice(shows)

    def _activity_cells(
        self, place: Place, activity: ActivityEntry, date_cell: DateCell | None
    ) -> dict[str, str]:
        return {
            "activity": self.typed(activity.text),
            "coordinating": self.typed(self._areas(activity.coordinating), wraps=False),
            "responsible": self.typed(self._areas(activity.responsible), wraps=False),
            "due": date_cell[0].isoformat() if date_cell else self._due(place, activity),
            "expected_results": self.typed(activity.expected_results),
            "deliverable": self.typed(activity.deliverable),
            "progress": self.typed(self._progress(place, activity)),
            "proof": self.typed(activity.proof),
            "observations": self.typed(activity.observations),
        }

    def typed(self, text: str, *, wraps: bool = True) -> str:
        """The text with the stray spacing of a typed cell: doubled, non-breaking, or a line
        break typed into a long text (not in the text layout, whose rows are lines)."""
        if " " not in text or self.rng.random() < 0.75:
            return text
        spaces = [i for i, c in enumerate(text) if c == " "]
        at = self.rng.choice(spaces)
        kinds = ["  ", "\u00a0"] + (["\n"] if wraps and self.file_format != "txt" else [])
        return text[:at] + self.rng.choice(kinds) + text[at + 1 :]

    def _areas(self, cell: AreaCell) -> str:
        if not cell.areas:
            return cell.text
        names = []
        for position, ref in enumerate(cell.areas):
            name = self._spelling(ref.name)
            if position and self.rng.random() < 0.15 and not name.isupper():
                name = f"la {name}"
            names.append(name)
        lists = [f"{', '.join(names[:-1])} y {names[-1]}", ", ".join(names), "; ".join(names)]
        if self.file_format != "txt":
            lists.append("\n".join(names))  # one area per line of the cell
        joined = names[0] if len(names) == 1 else self.rng.choice(lists)
        note = cell.areas[0].note
        return f"{note}: {joined}" if note else joined

    def _spelling(self, written: str) -> str:
        entry = self.catalogue.find(written)
        if entry is None:
            return written  # an area the catalogue does not know stays as the document has it
        if self.area_style == "acrónimos":
            # Some offices end an acronym with a period ('DGS.'), as the seed does.
            period = "." if entry.acronym and self.rng.random() < 0.2 else ""
            return f"{entry.acronym}{period}" if entry.acronym else entry.name
        if self.area_style == "nombres":
            return entry.name
        return self.rng.choice([s for s in entry.spellings() if s])

    # --- dates ----------------------------------------------------------------------------

    def _due(self, place: Place, activity: ActivityEntry) -> str:
        due = activity.due
        if due.due is None:
            return due.text  # not a date the reader understood: left as written
        committed = self.date(due.due, place, "Fecha de Término", "due")
        if due.actual_end is None:
            return committed
        # The actual end only reaches the record when the progress cell gives no date.
        field = None if activity.progress.concluded else "concluded"
        actual = self.date(due.actual_end, place, "Fecha de Término", field)
        label = self.rng.choice(("Fecha término:", "Fecha de término:", "Fecha de Término:"))
        return f"Fecha comprometida: {committed} {label} {actual}"

    def _progress(self, place: Place, activity: ActivityEntry) -> str:
        text, concluded = activity.progress.text, activity.progress.concluded
        label = _CONCLUDED.search(text)
        if concluded is None or label is None or not text.startswith(concluded.text, label.end()):
            return text
        column = "Porcentaje de avance y justificación"
        written = self.date(concluded, place, column, "concluded")
        return text[: label.end()] + written + text[label.end() + len(concluded.text) :]

    def date(
        self,
        date: PartialDate,
        place: Place,
        column: str,
        field: str | None,
    ) -> str:
        """The date in one of the conventions the readers read, noting any ambiguity."""
        if date.precision is Precision.YEAR:
            return str(date.year)
        values = {
            "y": date.year,
            "yy": date.year % 100,
            "m": date.month,
            "month": MONTHS[date.month - 1],
            "Month": MONTHS[date.month - 1].capitalize(),
            "MONTH": MONTHS[date.month - 1].upper(),
            "mon": SHORT_MONTHS[date.month - 1],
            "Mon": SHORT_MONTHS[date.month - 1].capitalize(),
        }
        if date.precision is Precision.MONTH:
            return self.rng.choice(MONTH_STYLES).format(**values)
        values["d"] = date.day
        month_first = self.month_first_by_year.get(place[0], False)
        style = self.rng.choice(MONTH_FIRST if month_first else DAY_STYLES)
        text = style.format(**values)
        if NUMERIC.match(style) and date.day <= 12 and date.day != date.month:
            misread = month_first
            self.variant.ambiguous.append(Ambiguous(place, text, column, misread, date.year))
            if misread and field is not None:
                self.variant.unreliable.add((place, field))
        return text

    def prepared(self) -> str:
        if self.doc.prepared is None:
            return ""
        place = (0, "", 0)
        return self.date(self.doc.prepared, place, "Fecha de Elaboración", None)

    def prepared_label(self) -> str:
        return self.rng.choice(
            ("Fecha de Elaboración:", "Fecha de elaboración:", "FECHA DE ELABORACIÓN:",
             "Fecha de elaboracion :")
        )  # fmt: skip


def _refold(heading: str, rng: random.Random) -> str:
    """The heading as a spreadsheet user retypes it: accents, case or the marker lost."""
    choice = rng.random()
    text = heading
    if choice < 0.25:
        text = heading.upper()
    elif choice < 0.5:
        text = _without_accents(heading).lower()
    elif choice < 0.6:
        text = heading.replace(" ", "  ", 1)
    if rng.random() < 0.5:
        text = text.replace(" ¹", "").rstrip(".")
    return text


def _without_accents(text: str) -> str:
    return text.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU"))


def _cut_words(text: str, rng: random.Random, pieces: int = 2) -> list[str]:
    """Text cut at spaces into pieces, as pages cut a cell between two lines."""
    words = text.split(" ")
    cuts = sorted(rng.sample(range(1, len(words)), pieces - 1))
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in pairwise(bounds)]


def split_row(row: _Row, rng: random.Random) -> list[_Row] | None:
    """The row cut by page breaks: the rest of some long cells on the next page or two."""
    keys = row.splittable()
    if not keys:
        return None
    chosen = rng.sample(keys, rng.randint(1, len(keys)))
    # A long row may run over two page breaks when one of its cells is long enough.
    pieces = (
        3 if rng.random() < 0.3 and any(len(row.cells[k].split(" ")) > 2 for k in chosen) else 2
    )
    fragments = [dict(row.cells)] + [{} for _ in range(pieces - 1)]
    for key in chosen:
        words = len(row.cells[key].split(" "))
        for index, text in enumerate(_cut_words(row.cells[key], rng, min(pieces, words))):
            fragments[index][key] = text
    return [_Row(fragments[0], row.place, row.first_of_aspect, row.due_cell)] + [
        _Row(cells, None, False) for cells in fragments[1:]
    ]


def starts_an_activity(row: _Row) -> bool:
    """Whether the row, after a page break, cannot be taken for the rest of the one before."""
    return bool(row.cells.get("number")) or any(
        row.cells.get(k) for k in ("due", "coordinating", "responsible")
    )


def make_variant(
    doc: AnnexDocument, file_format: str, seed: int, areas: Iterable[AreaName]
) -> Variant:
    """One agency's file of the document in the format, the same for the same seed."""
    rng = random.Random(f"{file_format}-{seed}")
    agency = _Agency(doc, file_format, rng, list(areas))
    agency.variant.seed = seed
    sections = agency.sections()
    agency.variant.data = WRITERS[file_format](agency, sections)
    return agency.variant


# --- the text layout of the seed ------------------------------------------------------------


def write_text(agency: _Agency, sections: list[_Section]) -> bytes:
    """The seed's layout: tab-separated rows, a blank line where a page broke."""
    doc, rng = agency.doc, agency.rng
    repeat_header = rng.random() < 0.5
    agency.note(f"texto: saltos de página {'con' if repeat_header else 'sin'} encabezado")
    title = list(_cut_words(doc.title, rng)) if rng.random() < 0.5 else [doc.title]
    lines = ["", *title, "", doc.institution, doc.program, "", doc.annex, ""]
    footnote_placed = False

    def page_break() -> None:
        nonlocal footnote_placed
        lines.append("")
        if not footnote_placed and doc.footnote and rng.random() < 0.4:
            lines.extend([doc.footnote, ""])  # the footnote at the foot of the page
            footnote_placed = True
        if repeat_header:
            lines.append("\t".join(agency.header()))

    for section in sections:
        lines += [section.heading, "", "\t".join(agency.header())]
        page = rng.randint(2, 5)
        for row in section.rows:
            page -= 1
            if page > 0:
                lines.append("\t".join(agency.in_order(row.cells)))
                continue
            page = rng.randint(2, 6)
            fragments = split_row(row, rng) if rng.random() < 0.6 else None
            if fragments is not None:
                lines.append("\t".join(agency.in_order(fragments[0].cells)))
                for fragment in fragments[1:]:
                    page_break()
                    lines.append("\t".join(agency.in_order(fragment.cells)))
                agency.note(f"fila partida en {len(fragments)} páginas: {row.place}")
                agency.variant.fragments += len(fragments) - 1
            elif starts_an_activity(row):
                page_break()
                lines.append("\t".join(agency.in_order(row.cells)))
            else:
                lines.append("\t".join(agency.in_order(row.cells)))
        lines.append("")
    if doc.footnote and not footnote_placed:
        lines += [doc.footnote, ""]
    lines.append(f"{agency.prepared_label()} {agency.prepared()}")
    text = "\n".join(lines) + "\n"
    return _encode(text, agency, newline=rng.choice(("\n", "\r\n")))


def _encode(text: str, agency: _Agency, *, newline: str) -> bytes:
    text = text.replace("\n", newline)
    encoding = agency.rng.choice(("utf-8", "utf-8-sig", "cp1252"))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding, data = "utf-8", text.encode("utf-8")
    agency.note(f"codificación {encoding}, fin de línea {newline!r}")
    return data


# --- the flat CSV, as a spreadsheet saves it again -------------------------------------------


def write_csv(agency: _Agency, sections: list[_Section]) -> bytes:
    """Our flat CSV after a spreadsheet: columns moved, normalised ones dropped, retyped names."""
    doc, rng = agency.doc, agency.rng
    context = dict(
        zip(
            CSV_CONTEXT,
            (doc.title, doc.institution, doc.program, doc.annex, agency.prepared(), doc.footnote),
            strict=True,
        )
    )
    names = {name: _refold(name, rng) for name in (*CSV_CONTEXT, CSV_CYCLE)}
    columns = [*CSV_CONTEXT, CSV_CYCLE, *agency.order]
    rng.shuffle(columns)
    header = [names.get(c) or agency.headings[c] for c in columns]
    records = [header]
    for section in sections:
        aspect: dict[str, str] = {}
        for row in section.rows:
            if row.first_of_aspect:
                aspect = {"number": row.cells["number"], "aspect": row.cells["aspect"]}
            # Every row of an ASM repeats its number and text, so rows sort on their own.
            values = context | {CSV_CYCLE: section.heading} | row.cells | aspect
            records.append([values.get(c, "") for c in columns])
    # Spreadsheets save with ',' or, where the comma is the decimal mark, ';'; or tabs.
    delimiter = (",", ";", "\t")[agency.variant.seed % 3]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(records)
    agency.note(f"CSV separado por {delimiter!r}")
    return _encode(out.getvalue(), agency, newline=rng.choice(("\n", "\r\n")))


class _DayFirstAgency(_Agency):
    """An agency that writes every numeric date day first: its ambiguous dates are flagged
    but read right, so the records its file gives can be compared whole."""

    def date(self, date: PartialDate, place: Place, column: str, field: str | None) -> str:
        self.month_first_by_year[place[0]] = False
        return super().date(date, place, column, field)


def write_sheet_csv(doc: AnnexDocument, seed: int, areas: Iterable[AreaName]) -> bytes:
    """An agency's annex sheet saved as CSV by a spreadsheet: the title lines, each cycle's
    heading and header, the ASM number on its first row only, the footnote and the date.

    Its records are compared whole, so no date in it may be misread: see _DayFirstAgency.
    """
    rng = random.Random(f"hoja-{seed}")
    agency = _DayFirstAgency(doc, "csv", rng, list(areas))
    sections = agency.sections()
    records = [[doc.title], [doc.institution], [doc.program], [doc.annex], []]
    for section in sections:
        records += [[section.heading], agency.header()]
        records += [agency.in_order(row.cells) for row in section.rows]
        records.append([])
    records += [[doc.footnote], [f"{agency.prepared_label()} {agency.prepared()}"]]
    width = len(agency.order)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r + [""] * (width - len(r)) for r in records)
    return out.getvalue().encode("utf-8-sig")


# --- an agency's own workbook ----------------------------------------------------------------


def write_xlsx(agency: _Agency, sections: list[_Section]) -> bytes:
    """An agency's own sheet: the header repeated down the sheet, merged cells, date cells."""
    doc, rng = agency.doc, agency.rng
    book = Workbook()
    sheet = book.active
    sheet.title = "Anexo"
    if rng.random() < 0.3:
        notes = book.create_sheet("Instrucciones", 0)
        notes["A1"] = "Llenar una fila por actividad; no modificar los encabezados."
    first = rng.choice((1, 1, 2))  # the table starts in column A or B
    repeat_every = rng.choice((0, 4, 7))
    merge = rng.random() < 0.5
    agency.note(
        f"libro: tabla desde la columna {first}, encabezado repetido cada {repeat_every} filas, "
        f"{'celdas combinadas' if merge else 'celdas vacías'} bajo cada ASM, "
        f"{'fechas de Excel' if agency.native_dates else 'fechas como texto'}"
    )
    row_number = 1

    def put_line(*texts: str) -> None:
        nonlocal row_number
        for offset, text in enumerate(texts):
            sheet.cell(row_number, first + offset, text)
        row_number += 1

    for line in (doc.title, doc.institution, doc.program, doc.annex):
        put_line(line)
    row_number += 1
    for section in sections:
        put_line(section.heading)
        put_line(*agency.header())
        run_start: dict[str, int] = {}
        since_header = 0
        for row in section.rows:
            if repeat_every and since_header == repeat_every:
                _merge_runs(sheet, agency, run_start, row_number - 1, first, merge)
                if rng.random() < 0.5:
                    row_number += 1  # a blank row where the printed page ended
                put_line(*agency.header())
                since_header = 0
            if row.first_of_aspect:
                _merge_runs(sheet, agency, run_start, row_number - 1, first, merge)
                run_start = {"number": row_number, "aspect": row_number}
            for column, key in enumerate(agency.order):
                _put_cell(sheet.cell(row_number, first + column), key, row, agency)
            row_number += 1
            since_header += 1
        _merge_runs(sheet, agency, run_start, row_number - 1, first, merge)
        run_start = {}
        row_number += 1
    if doc.footnote:
        put_line(doc.footnote)
    if rng.random() < 0.5:
        put_line(agency.prepared_label(), agency.prepared())
    else:
        put_line(f"{agency.prepared_label()} {agency.prepared()}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _put_cell(cell, key: str, row: _Row, agency: _Agency) -> None:
    text = row.cells.get(key, "")
    if not text:
        return
    if key == "number" and text.isdigit():
        cell.value = int(text)
    elif key == "due" and row.due_cell is not None:
        cell.value, cell.number_format = row.due_cell
    elif key == "progress" and (bare := _BARE_PERCENT.match(text)) and agency.native_dates:
        cell.value = int(bare.group(1)) / 100
        cell.number_format = "0%"
    else:
        cell.value = text


def _merge_runs(
    sheet, agency: _Agency, starts: dict[str, int], last: int, first: int, merge: bool
) -> None:
    """Merge the ASM number and text down the rows since `starts`, as agencies lay them out."""
    if not merge:
        return
    for key, start in starts.items():
        if last > start and key in agency.order:
            column = first + agency.order.index(key)
            sheet.merge_cells(start_row=start, start_column=column, end_row=last, end_column=column)
    starts.clear()


# --- an agency's own Word tables -------------------------------------------------------------


def write_docx(agency: _Agency, sections: list[_Section]) -> bytes:
    """An agency's own Word tables: one per page, rows cut between them, merged cells."""
    doc, rng = agency.doc, agency.rng
    document = Document()
    document.styles["Normal"].font.size = Pt(8)
    repeat_header = rng.random() < 0.5
    merge = rng.random() < 0.5
    heading_in_table = rng.random() < 0.3
    agency.note(
        f"Word: tablas partidas {'con' if repeat_header else 'sin'} encabezado, "
        f"{'celdas combinadas' if merge else 'celdas vacías'}, "
        f"ciclo {'en la tabla' if heading_in_table else 'en un párrafo'}"
    )
    for line in (doc.title, doc.institution, doc.program, doc.annex):
        document.add_paragraph(line)
    width = len(agency.order)
    for section in sections:
        pages = _pages(section.rows, agency)
        for number, page in enumerate(pages):
            if number == 0 and not heading_in_table:
                document.add_paragraph(section.heading)
            table = document.add_table(rows=0, cols=width)
            table.style = "Table Grid"
            if number == 0 and heading_in_table:
                cells = table.add_row().cells
                cells[0].merge(cells[-1]).text = section.heading
            if number == 0 or repeat_header:
                for cell, text in zip(table.add_row().cells, agency.header(), strict=True):
                    cell.text = text
            added = [_docx_row(table, row, agency) for row in page]
            if merge:
                _merge_docx(table, page, added, agency)
            if number + 1 < len(pages):
                document.add_page_break()
    if doc.footnote:
        document.add_paragraph(doc.footnote)
    if rng.random() < 0.3:
        # The date laid out in a small table of its own, the label beside the value.
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = agency.prepared_label()
        table.cell(0, 1).text = agency.prepared()
        agency.note("Word: fecha de elaboración en una tabla de dos celdas")
    else:
        document.add_paragraph(f"{agency.prepared_label()} {agency.prepared()}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pages(rows: list[_Row], agency: _Agency) -> list[list[_Row]]:
    """The section's rows as the tables Word broke them into, a row sometimes cut in two."""
    rng = agency.rng
    pages: list[list[_Row]] = [[]]
    room = rng.randint(2, 6)
    for row in rows:
        if room > 0 or not pages[-1]:
            pages[-1].append(row)
            room -= 1
            continue
        room = rng.randint(2, 6)
        fragments = split_row(row, rng) if rng.random() < 0.6 else None
        if fragments is not None:
            pages[-1].append(fragments[0])
            pages += [[fragment] for fragment in fragments[1:]]
            agency.note(f"fila partida en {len(fragments)} tablas: {row.place}")
            agency.variant.fragments += len(fragments) - 1
        elif starts_an_activity(row):
            pages.append([row])
        else:
            pages[-1].append(row)
    return pages


def _docx_row(table, row: _Row, agency: _Agency):
    cells = table.add_row().cells
    for cell, key in zip(cells, agency.order, strict=True):
        text = row.cells.get(key, "")
        if key in SPLITTABLE and len(text.split(" ")) > 6 and agency.rng.random() < 0.3:
            # A long cell typed as two paragraphs.
            top, bottom = _cut_words(text, agency.rng)
            cell.text = top
            cell.add_paragraph(bottom)
        else:
            cell.text = text
    return cells


def _merge_docx(table, page: list[_Row], added: list, agency: _Agency) -> None:
    """Merge each ASM's number and text down its rows, and equal areas of neighbouring rows."""
    groups: list[list[int]] = []
    for index, row in enumerate(page):
        if row.first_of_aspect or not groups:
            groups.append([index])
        else:
            groups[-1].append(index)
    for group in groups:
        if len(group) < 2:
            continue
        for key in ("number", "aspect"):
            if key in agency.order:
                _merge_down(added, group, agency.order.index(key))
        for key in ("coordinating", "responsible"):
            column = agency.order.index(key)
            texts = {page[i].cells.get(key, "") for i in group}
            full = all(page[i].place is not None for i in group)
            if len(texts) == 1 and "" not in texts and full:
                _merge_down(added, group, column)


def _merge_down(added: list, group: list[int], column: int) -> None:
    top = added[group[0]][column]
    for index in group[1:]:
        added[index][column].text = ""
    top.merge(added[group[-1]][column])


WRITERS: dict[str, Callable[[_Agency, list[_Section]], bytes]] = {
    "txt": write_text,
    "csv": write_csv,
    "xlsx": write_xlsx,
    "docx": write_docx,
}
