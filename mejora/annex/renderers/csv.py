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
_FORMULA_FIRST = frozenset(FORMULA_STARTS)
PRECISIONS = {Precision.DAY: "día", Precision.MONTH: "mes", Precision.YEAR: "año"}


# What a column's value is read from; a value is computed once at its own level.
_DOCUMENT = "document"
_CYCLE = "cycle"
_ASPECT = "aspect"
_ORDER = "order"
_WRITTEN = "written"  # the annex's own cell, by its index in the annex's columns
_ACTIVITY = "activity"
_LEVELS = (_DOCUMENT, _CYCLE, _ASPECT, _ORDER, _WRITTEN, _ACTIVITY)

Field = tuple[str, str, Callable[[Any], str] | int | None]


def render_csv(doc: AnnexDocument) -> bytes:
    """The annex as one CSV row per activity, with each cell as written and as read, for Excel."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(csv_rows(doc))
    return out.getvalue().encode("utf-8-sig")


def csv_rows(doc: AnnexDocument) -> Iterator[list[str]]:
    """The header and then the values of every row, as the CSV holds them.

    Each value is read once where it belongs (the document's and the cycle's once, the ASM's
    once per ASM) and every row is put together from those parts and its activity's: reading
    half a million cells one field at a time cost more than writing the file.
    """
    annex = FORMATS[doc.kind]
    layout = _Layout(csv_fields(annex))
    yield list(layout.names)
    document = _defused([read(doc) for read in layout.readers[_DOCUMENT]])
    no_aspect = [""] * len(layout.readers[_ASPECT])
    no_activity = [""] * len(layout.readers[_ACTIVITY])
    no_cells = [""] * len(annex.columns)
    activity_readers = layout.readers[_ACTIVITY]
    for section in doc.sections:
        cycle = document + _defused([read(section) for read in layout.readers[_CYCLE]])
        if not section.aspects:  # keep the cycle, or reading the CSV back would lose it
            yield layout.arrange([*cycle, *no_aspect, "", *no_cells, *no_activity])
        for aspect in section.aspects:
            context = cycle + _defused([read(aspect) for read in layout.readers[_ASPECT]])
            if not aspect.activities:
                written = row_cells(annex, aspect, None, first=True)
                yield layout.arrange([*context, "", *_defused(written), *no_activity])
            for order, activity in enumerate(aspect.activities, start=1):
                written = row_cells(annex, aspect, activity, first=True)
                written += [read(activity) for read in activity_readers]
                yield layout.arrange([*context, str(order), *_defused(written)])


def csv_fields(annex: AnnexFormat) -> list[Field]:
    """The CSV's columns in order: context, then each official column and what was read from it."""
    fields: list[Field] = [
        (TITLE, _DOCUMENT, attrgetter("title")),
        (INSTITUTION, _DOCUMENT, attrgetter("institution")),
        (PROGRAM, _DOCUMENT, attrgetter("program")),
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
        fields.append((column.heading, _WRITTEN, index))
        fields.extend(_DERIVED.get(column.key, ()))
    fields.append((FOOTNOTE, _DOCUMENT, attrgetter("footnote")))
    return fields


class _Layout:
    """The columns' names, the readers of each level, and how a row assembled level after
    level (document, cycle, ASM, order, written cells, activity) is put in column order."""

    def __init__(self, fields: list[Field]) -> None:
        self.names = [name for name, _, _ in fields]
        self.readers: dict[str, list[Callable[[Any], str]]] = {
            level: [read for _, at, read in fields if at == level and callable(read)]
            for level in (_DOCUMENT, _CYCLE, _ASPECT, _ACTIVITY)
        }
        # Where each column's value sits in the assembled row.
        sizes = {level: len(readers) for level, readers in self.readers.items()}
        sizes |= {_ORDER: 1, _WRITTEN: sum(1 for _, at, _ in fields if at == _WRITTEN)}
        starts, offset = {}, 0
        for level in _LEVELS:
            starts[level], offset = offset, offset + sizes[level]
        seen = dict.fromkeys(_LEVELS, 0)
        positions = []
        for _, at, read in fields:
            if at == _WRITTEN:
                positions.append(starts[at] + read)
            else:
                positions.append(starts[at] + seen[at])
                seen[at] += 1
        self._pick = itemgetter(*positions)

    def arrange(self, values: list[str]) -> list[str]:
        return list(self._pick(values))


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
