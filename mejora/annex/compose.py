"""Cells written again from the record.

An annex issued from the database should read like the one received: a cell keeps the text
it was written with as long as that text still says what the record says; once the record
changes (a replanned date, a new percent), the cell is composed again from the values.
"""

from __future__ import annotations

from collections.abc import Sequence

from mejora.annex.areas import AreaCatalogue, read_areas
from mejora.annex.cells import Reading, read_due, read_progress, read_theme
from mejora.annex.dates import MONTH_NAMES, read_date
from mejora.annex.document import AreaCell, AreaRef, DueCell, PartialDate, ProgressCell


def same_date(a: PartialDate | None, b: PartialDate | None) -> bool:
    """Equal as dates at their precision, however they were written."""
    if a is None or b is None:
        return a is b
    return (a.year, a.month, a.day) == (b.year, b.month, b.day)


def date_text(date: PartialDate) -> str:
    """The date as written when that reads back the same, else '31/12/2011', 'marzo de 2012'."""
    if date.text and same_date(read_date(date.text).date, date):
        return date.text
    if date.day is not None:
        return f"{date.day:02d}/{date.month:02d}/{date.year}"
    if date.month is not None:
        return f"{MONTH_NAMES[date.month - 1]} de {date.year}"
    return str(date.year)


def aspect_text(written: str, theme: str | None, statement: str) -> str:
    read_as, read_statement = read_theme(written, Reading())
    if (read_as or None, read_statement) == (theme or None, statement):
        return written
    return f"{theme}: {statement}" if theme else statement


def area_cell(written: str, areas: Sequence[AreaRef], catalogue: AreaCatalogue) -> AreaCell:
    cell = read_areas(written, Reading(), catalogue)
    if cell.areas == tuple(areas):
        return cell
    notes = {area.note for area in areas}
    names = [area.name for area in areas]
    joined = names[0] if len(names) < 2 else f"{', '.join(names[:-1])} y {names[-1]}"
    if len(notes) == 1 and (note := notes.pop()):
        return AreaCell(f"{note}: {joined}", tuple(areas))
    return AreaCell(joined if names else "", tuple(areas))


def due_cell(written: str, due: PartialDate | None, actual_end: PartialDate | None) -> DueCell:
    cell = read_due(written, Reading())
    if same_date(cell.due, due) and same_date(cell.actual_end, actual_end):
        return cell
    if due is None:
        return DueCell("")
    text = date_text(due)
    if actual_end is not None:
        text = f"Fecha comprometida: {text} Fecha término: {date_text(actual_end)}"
    return read_due(text, Reading())


def progress_cell(
    written: str, percent: int | None, concluded: PartialDate | None, *, concluded_in_due: bool
) -> ProgressCell:
    """The progress cell; a conclusion date the due cell already gives is not repeated."""
    cell = read_progress(written, Reading())
    stated = None if concluded_in_due else concluded
    if cell.percent == percent and same_date(cell.concluded, stated):
        return cell
    parts = []
    if percent is not None:
        parts.append(f"Porcentaje de avance: {percent}%")
    if stated is not None:
        parts.append(f"Fecha de conclusión: {date_text(stated)}")
    if written:
        parts.append(written)
    return read_progress(" ".join(parts), Reading())
