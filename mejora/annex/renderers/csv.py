"""The annex as a flat CSV for spreadsheets: one row per activity, readable back by parse_csv.

Every row repeats its context (the document, the cycle, the ASM) so that the rows can be
filtered and sorted on their own. Each cell of the annex appears as written, under its official
column name letter for letter, and beside it the values read from it, in columns whose name
ends in '(normalizado)' or '(normalizada)'; parse_csv reads only the cells as written and
derives the rest again. The file is UTF-8 with a byte order mark, so that Excel shows the
accents, with '\\r\\n' line ends.

A cell that starts with '=', '+', '-', '@', a tab, a carriage return or an apostrophe is
written with a leading apostrophe, so that a spreadsheet does not run it as a formula; the
parser removes that one apostrophe, so nothing is lost.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AreaCell,
    AspectEntry,
    PartialDate,
    Precision,
    Section,
)
from mejora.annex.formats import FORMATS, AnnexFormat, row_cells

# Names of the columns that are not the annex's own; parse_csv looks for these.
TITLE = "Título"
INSTITUTION = "Dependencia"
PROGRAM = "Programa"
ANNEX = "Anexo"
PREPARED = "Fecha de Elaboración"
CYCLE = "Ciclo"
ORDER = "Orden de la actividad"
FOOTNOTE = "Nota al pie"
DOCUMENT_COLUMNS = (TITLE, INSTITUTION, PROGRAM, ANNEX, PREPARED, FOOTNOTE)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
PRECISIONS = {Precision.DAY: "día", Precision.MONTH: "mes", Precision.YEAR: "año"}


@dataclass(frozen=True)
class _Row:
    """What one CSV row is about: an activity, or an ASM (or a cycle) without activities."""

    doc: AnnexDocument
    section: Section
    aspect: AspectEntry | None
    activity: ActivityEntry | None
    order: int | None
    cells: dict[str, str]  # the annex's cells as written, by column key


Field = tuple[str, Callable[[_Row], str]]


def render_csv(doc: AnnexDocument) -> bytes:
    """The annex as one CSV row per activity, with each cell as written and as read, for Excel."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(csv_rows(doc))
    return out.getvalue().encode("utf-8-sig")


def csv_rows(doc: AnnexDocument) -> Iterator[list[str]]:
    """The header and then the values of every row, as the CSV holds them."""
    annex = FORMATS[doc.kind]
    fields = csv_fields(annex)
    yield [name for name, _ in fields]
    for row in _rows(annex, doc):
        yield [_defuse(value(row)) for _, value in fields]


def csv_fields(annex: AnnexFormat) -> list[Field]:
    """The CSV's columns in order: context, then each official column and what was read from it."""
    fields: list[Field] = [
        (TITLE, lambda r: r.doc.title),
        (INSTITUTION, lambda r: r.doc.institution),
        (PROGRAM, lambda r: r.doc.program),
        (ANNEX, lambda r: r.doc.annex),
        (PREPARED, lambda r: _prepared_text(r.doc.prepared)),
        ("Fecha de Elaboración (normalizada)", lambda r: _iso(r.doc.prepared)),
        (CYCLE, lambda r: r.section.heading),
        ("Clasificación (normalizada)", lambda r: r.section.classification),
        ("Periodo de evaluación (normalizado)", lambda r: r.section.evaluation_period),
        ("Año del mecanismo (normalizado)", lambda r: str(r.section.mechanism_year)),
    ]
    for column in annex.columns:
        if column.key == "activity":
            fields.append((ORDER, lambda r: "" if r.order is None else str(r.order)))
        fields.append((column.heading, lambda r, key=column.key: r.cells.get(key, "")))
        fields.extend(_DERIVED.get(column.key, ()))
    fields.append((FOOTNOTE, lambda r: r.doc.footnote))
    return fields


def _rows(annex: AnnexFormat, doc: AnnexDocument):
    for section in doc.sections:
        if not section.aspects:  # keep the cycle, or reading the CSV back would lose it
            yield _Row(doc, section, None, None, None, {})
        for aspect in section.aspects:
            if not aspect.activities:
                cells = dict(zip(_keys(annex), row_cells(annex, aspect, None, True), strict=True))
                yield _Row(doc, section, aspect, None, None, cells)
            for order, activity in enumerate(aspect.activities, start=1):
                texts = row_cells(annex, aspect, activity, first=True)
                cells = dict(zip(_keys(annex), texts, strict=True))
                yield _Row(doc, section, aspect, activity, order, cells)


def _keys(annex: AnnexFormat) -> list[str]:
    return [column.key for column in annex.columns]


def _defuse(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _prepared_text(date: PartialDate | None) -> str:
    if date is None:
        return ""
    return date.text or spanish_month_year(date)


def _iso(date: PartialDate | None) -> str:
    return date.iso() if date is not None else ""


def _precision(date: PartialDate | None) -> str:
    return PRECISIONS[date.precision] if date is not None else ""


def _areas(cell: AreaCell) -> str:
    """'DGEMPS | Realiza: Delegaciones': every area read, with its role note."""
    return " | ".join(
        f"{area.note}: {area.name}" if area.note else area.name for area in cell.areas
    )


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Sí" if value else "No")


def _of_activity(read: Callable[[ActivityEntry], str]) -> Callable[[_Row], str]:
    return lambda row: read(row.activity) if row.activity is not None else ""


def _of_aspect(read: Callable[[AspectEntry], str]) -> Callable[[_Row], str]:
    return lambda row: read(row.aspect) if row.aspect is not None else ""


_DERIVED: dict[str, tuple[Field, ...]] = {
    "aspect": (
        ("Tema (normalizado)", _of_aspect(lambda a: a.theme or "")),
        ("Aspecto sin el tema (normalizado)", _of_aspect(lambda a: a.statement)),
    ),
    "coordinating": (
        ("Área Coordinadora (normalizada)", _of_activity(lambda a: _areas(a.coordinating))),
    ),
    "responsible": (
        ("Área Responsable (normalizada)", _of_activity(lambda a: _areas(a.responsible))),
    ),
    "due": (
        ("Fecha de Término (normalizada)", _of_activity(lambda a: _iso(a.due.due))),
        (
            "Precisión de la fecha de término (normalizada)",
            _of_activity(lambda a: _precision(a.due.due)),
        ),
        ("Fecha de término real (normalizada)", _of_activity(lambda a: _iso(a.due.actual_end))),
    ),
    "progress": (
        (
            "Porcentaje (normalizado)",
            _of_activity(lambda a: "" if a.percent is None else str(a.percent)),
        ),
        (
            "Fecha de conclusión (normalizada)",
            _of_activity(lambda a: _iso(a.progress.concluded)),
        ),
        ("Replanteamiento (normalizado)", _of_activity(lambda a: _yes_no(a.progress.replanning))),
    ),
}
