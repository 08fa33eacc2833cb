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
from operator import attrgetter, itemgetter
from typing import Any

from mejora.annex.dates import spanish_month_year
from mejora.annex.document import (
    AnnexDocument,
    AreaCell,
    PartialDate,
    Precision,
)
from mejora.annex.formats import ASPECT_KEYS, FORMATS, AnnexFormat, row_cells, signatory_line

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
PROGRAM_KEY = "Clave del programa"
SIGNATORIES = "Firmantes"
# Added after CSVs without them were issued: read when present.
OPTIONAL_DOCUMENT_COLUMNS = (PROGRAM_KEY, SIGNATORIES)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
PRECISIONS = {Precision.DAY: "día", Precision.MONTH: "mes", Precision.YEAR: "año"}


# What a column's value is read from. Each value is read once at its own level: the
# document's and the cycle's once, the ASM's once per ASM, the activity's once per row.
_DOCUMENT = "document"
_CYCLE = "cycle"
_ASPECT = "aspect"
_ORDER = "order"
_ACTIVITY = "activity"
_LEVELS = (_DOCUMENT, _CYCLE, _ASPECT, _ORDER, _ACTIVITY)
_CONTEXT_LEVELS = (_DOCUMENT, _CYCLE, _ASPECT)
# The annex's cells that are the ASM's, the same on all its rows.

# A column: its name, its level, and how its value is read: a function of the document, the
# cycle, the ASM or the activity, or an index into the row's cells as written (row_cells).
Field = tuple[str, str, Callable[[Any], str] | int | None]


def render_csv(doc: AnnexDocument) -> bytes:
    """The annex as one CSV row per activity, with each cell as written and as read, for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    layout = _Layout(FORMATS[doc.kind])
    writer.writerow(layout.names)
    # The context of a row (the document, the cycle, the ASM) is the same on all the rows of
    # an ASM: it is quoted once per ASM and only the rest of each row goes through the writer.
    context_text, last = "", None
    for context, rest in _split_rows(doc, layout):
        if context is not last:
            context_text, last = _csv_text(context), context
        out.write(context_text)
        writer.writerow(rest)
    return out.getvalue().encode("utf-8-sig")


def csv_rows(doc: AnnexDocument) -> Iterator[list[str]]:
    """The header and then the values of every row, as the CSV holds them."""
    layout = _Layout(FORMATS[doc.kind])
    yield list(layout.names)
    for context, rest in _split_rows(doc, layout):
        yield [*context, *rest]


def csv_fields(annex: AnnexFormat) -> list[Field]:
    """The CSV's columns in order: context, then each official column and what was read from it."""
    fields: list[Field] = [
        (TITLE, _DOCUMENT, attrgetter("title")),
        (INSTITUTION, _DOCUMENT, attrgetter("institution")),
        (PROGRAM, _DOCUMENT, attrgetter("program")),
        (PROGRAM_KEY, _DOCUMENT, attrgetter("program_key")),
        (ANNEX, _DOCUMENT, attrgetter("annex")),
        (PREPARED, _DOCUMENT, lambda d: _prepared_text(d.prepared)),
        ("Fecha de Elaboración (normalizada)", _DOCUMENT, lambda d: _iso(d.prepared)),
        (CYCLE, _CYCLE, attrgetter("heading")),
        ("Clasificación (normalizada)", _CYCLE, attrgetter("classification")),
        ("Periodo de evaluación (normalizado)", _CYCLE, attrgetter("evaluation_period")),
        ("Año del mecanismo (normalizado)", _CYCLE, lambda s: str(s.mechanism_year)),
    ]
    for index, column in enumerate(annex.columns):
        if column.key == "activity":
            fields.append((ORDER, _ORDER, None))
        level = _ASPECT if column.key in ASPECT_KEYS else _ACTIVITY
        fields.append((column.heading, level, index))
        fields.extend(_DERIVED.get(column.key, ()))
    fields.append((FOOTNOTE, _DOCUMENT, attrgetter("footnote")))
    fields.append((SIGNATORIES, _DOCUMENT, lambda d: "\n".join(map(signatory_line, d.signatories))))
    return fields


class _Layout:
    """How the values read at each level become a row.

    A row's values are assembled level after level (document, cycle, ASM, order, activity;
    at each level the cells as written, then what was read from them) and put in column order.
    The columns before the first one read from the activity are the row's context, the same
    on every row of an ASM: for the annexes, the document's, the cycle's and the ASM's own.
    """

    def __init__(self, annex: AnnexFormat) -> None:
        fields = csv_fields(annex)
        self.annex = annex
        self.names = [name for name, _, _ in fields]
        self.written = {
            level: [read for _, at, read in fields if at == level and isinstance(read, int)]
            for level in _LEVELS
        }
        self.readers: dict[str, list[Callable[[Any], str]]] = {
            level: [read for _, at, read in fields if at == level and callable(read)]
            for level in _LEVELS
        }
        # Where each field's value sits among the assembled values.
        slots: dict[int, int] = {}
        for level in _LEVELS:
            at_level = [i for i, (_, at, _) in enumerate(fields) if at == level]
            at_level.sort(key=lambda i: not isinstance(fields[i][2], int))  # written first
            for i in at_level:
                slots[i] = len(slots)
        positions = [slots[i] for i in range(len(fields))]
        context = next(
            (i for i, (_, at, _) in enumerate(fields) if at not in _CONTEXT_LEVELS), len(fields)
        )
        self.pick_context = _picker(positions[:context])
        self.pick_rest = _picker(positions[context:])


def _split_rows(doc: AnnexDocument, layout: _Layout) -> Iterator[tuple[list[str], list[str]]]:
    """Every row as its context and the rest; all the rows of an ASM share one context list."""
    annex = layout.annex
    readers, written = layout.readers, layout.written
    aspect_written = _picker(written[_ASPECT])
    activity_written = _picker(written[_ACTIVITY])
    activity_readers = readers[_ACTIVITY]
    no_aspect = [""] * (len(written[_ASPECT]) + len(readers[_ASPECT]))
    no_activity = [""] * (len(written[_ACTIVITY]) + len(activity_readers))
    document = _defused([read(doc) for read in readers[_DOCUMENT]])
    for section in doc.sections:
        cycle = document + _defused([read(section) for read in readers[_CYCLE]])
        if not section.aspects:  # keep the cycle, or reading the CSV back would lose it
            values = [*cycle, *no_aspect]
            yield layout.pick_context(values), layout.pick_rest([*values, "", *no_activity])
        for aspect in section.aspects:
            cells = row_cells(annex, aspect, None, first=True)
            values = [*aspect_written(cells), *(read(aspect) for read in readers[_ASPECT])]
            context = cycle + _defused(values)
            shared = layout.pick_context(context)
            if not aspect.activities:
                yield shared, layout.pick_rest([*context, "", *no_activity])
            for order, activity in enumerate(aspect.activities, start=1):
                cells = row_cells(annex, aspect, activity, first=True)
                values = [*activity_written(cells), *(read(activity) for read in activity_readers)]
                yield shared, layout.pick_rest([*context, str(order), *_defused(values)])


def _picker(positions: list[int]) -> Callable[[list[str]], list[str]]:
    """The values at these positions, as a list (itemgetter alone gives one value bare)."""
    if len(positions) < 2:
        return lambda values: [values[i] for i in positions]
    pick = itemgetter(*positions)
    return lambda values: list(pick(values))


def _csv_text(values: list[str]) -> str:
    """The values as the start of a CSV line, each quoted as the writer quotes it."""
    if not values:
        return ""
    line = io.StringIO()
    # An empty last field: a line of one empty field would be quoted as '""'.
    csv.writer(line, quoting=csv.QUOTE_MINIMAL, lineterminator="").writerow([*values, ""])
    return line.getvalue()


def _defused(texts: list[str]) -> list[str]:
    return [f"'{text}" if text[:1] in _FORMULA_FIRST else text for text in texts]


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


_DERIVED: dict[str, tuple[Field, ...]] = {
    "aspect": (
        ("Tema (normalizado)", _ASPECT, lambda a: a.theme or ""),
        ("Aspecto sin el tema (normalizado)", _ASPECT, attrgetter("statement")),
    ),
    "coordinating": (
        ("Área Coordinadora (normalizada)", _ACTIVITY, lambda a: _areas(a.coordinating)),
    ),
    "responsible": (
        ("Área Responsable (normalizada)", _ACTIVITY, lambda a: _areas(a.responsible)),
    ),
    "due": (
        ("Fecha de Término (normalizada)", _ACTIVITY, lambda a: _iso(a.due.due)),
        (
            "Precisión de la fecha de término (normalizada)",
            _ACTIVITY,
            lambda a: _precision(a.due.due),
        ),
        ("Fecha de término real (normalizada)", _ACTIVITY, lambda a: _iso(a.due.actual_end)),
    ),
    "progress": (
        (
            "Porcentaje (normalizado)",
            _ACTIVITY,
            lambda a: "" if a.percent is None else str(a.percent),
        ),
        ("Fecha de conclusión (normalizada)", _ACTIVITY, lambda a: _iso(a.progress.concluded)),
        ("Replanteamiento (normalizado)", _ACTIVITY, lambda a: _yes_no(a.progress.replanning)),
    ),
}
