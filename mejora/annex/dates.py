"""Partial dates as Mexican annexes write them: '31/12/2008', '3/31/11', 'Enero de 2009'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mejora.annex.document import PartialDate
from mejora.annex.words import fold

MONTHS = {
    "enero": 1, "ene": 1,
    "febrero": 2, "feb": 2,
    "marzo": 3, "mar": 3,
    "abril": 4, "abr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6,
    "julio": 7, "jul": 7,
    "agosto": 8, "ago": 8,
    "septiembre": 9, "setiembre": 9, "sept": 9, "sep": 9, "set": 9,
    "octubre": 10, "oct": 10,
    "noviembre": 11, "nov": 11,
    "diciembre": 12, "dic": 12,
}  # fmt: skip
MONTH_NAMES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
    "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip

_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# Filings write "31 de diciembre, 2023" and "Diciembre, 2022" too.
_SEP = r"\s*(?:del?\s+|[/.,\-]\s*|\s)\s*"
_SHORT_SEP = r"(?:\s*[/.\-]\s*|\s+)"
_PATTERNS = (
    ("iso", re.compile(r"(?P<year>\d{4})-(?P<a>\d{1,2})-(?P<b>\d{1,2})")),
    ("numeric", re.compile(r"(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})")),
    ("day_name", re.compile(rf"(?P<day>\d{{1,2}}){_SEP}{_MONTH}{_SEP}(?P<year>\d{{4}})")),
    # Excel's d-mmm-yy and mmm-yy written out as text: '30-jun-12', '30 jun 12', 'jun-12'.
    # Prose keeps its four digits: '30 de junio 12 acciones' and 'junio 12' are no dates.
    (
        "day_name",
        re.compile(rf"(?P<day>\d{{1,2}}){_SHORT_SEP}{_MONTH}{_SHORT_SEP}(?P<year>\d{{2}})"),
    ),
    ("month_name", re.compile(rf"{_MONTH}{_SEP}?(?P<year>\d{{4}})")),
    ("month_name", re.compile(rf"{_MONTH}\s*[/\-]\s*(?P<year>\d{{2}})")),
    ("year", re.compile(r"(?P<year>\d{4})")),
)
_END = re.compile(r"(?=$|[\s,;:)]|\.(?:$|\s))")  # a sentence may end right after it


_LONGEST_DATE = len("30 de septiembre del 2009.") + 10


@dataclass(frozen=True)
class DateReading:
    """A date read from text; `doubt` says in Spanish why a person should confirm it."""

    date: PartialDate | None
    doubt: str = ""
    length: int = 0  # characters of the folded text the date took


def read_date(text: str) -> DateReading:
    """The whole text as one partial date, or an empty reading."""
    if len(text.strip()) > _LONGEST_DATE:
        return DateReading(None)
    reading = read_leading_date(text)
    if reading.date is None or fold(text)[reading.length :].strip(" .") != "":
        return DateReading(None)
    return reading


def read_leading_date(text: str) -> DateReading:
    """A partial date at the start of the text ('Agosto de 2009 se concluyó…')."""
    # Only the start can hold the date; folding a whole paragraph per cell was the parser's
    # main cost on large annexes.
    return _leading_date(text.strip()[:_LONGEST_DATE])


@lru_cache(maxsize=4096)  # an annex writes the same few dates on many rows
def _leading_date(text: str) -> DateReading:
    folded = fold(text)
    for kind, pattern in _PATTERNS:
        match = pattern.match(folded)
        if match is None or _END.match(folded, match.end()) is None:
            continue
        original = _original_span(text, match.end())
        reading = _resolve(kind, match, original)
        if reading is not None:
            return DateReading(reading[0], reading[1], match.end())
    return DateReading(None)


def _original_span(text: str, folded_length: int) -> str:
    """The text as written for the first `folded_length` characters of its folded form."""
    stripped = text.strip()
    # Folding keeps most dates as long as written ('31/12/2008', 'Diciembre de 2022'): the
    # end tried first, then each one from the start.
    end = folded_length
    if len(fold(stripped[:end])) >= folded_length > len(fold(stripped[: end - 1])):
        return stripped[:end]
    for end in range(len(stripped) + 1):
        if len(fold(stripped[:end])) >= folded_length:
            return stripped[:end]
    return stripped


def _year(digits: str) -> int:
    # Two-digit years in these annexes are all of this century ('3/31/11').
    return int(digits) + 2000 if len(digits) == 2 else int(digits)


def _resolve(kind: str, match: re.Match[str], text: str) -> tuple[PartialDate, str] | None:
    year = _year(match["year"])
    try:
        if kind == "year":
            return PartialDate(year, text=text), ""
        if kind == "month_name":
            return PartialDate(year, MONTHS[match["month"]], text=text), ""
        if kind == "day_name":
            return PartialDate(year, MONTHS[match["month"]], int(match["day"]), text=text), ""
        if kind == "iso":
            return PartialDate(year, int(match["a"]), int(match["b"]), text=text), ""
        return _resolve_numeric(int(match["a"]), int(match["b"]), year, text)
    except ValueError:  # an impossible date such as 31/02/2010
        return None


def _resolve_numeric(a: int, b: int, year: int, text: str) -> tuple[PartialDate, str] | None:
    if a > 12 and b <= 12:
        return PartialDate(year, b, a, text=text), ""
    if b > 12 and a <= 12:  # month/day/year: '3/31/11' can only be March 31
        return PartialDate(year, a, b, text=text), ""
    if a > 12 and b > 12:
        return None
    date = PartialDate(year, b, a, text=text)
    if a == b:
        return date, ""
    doubt = (
        f"«{text}» puede leerse día/mes ({a} de {MONTH_NAMES[b - 1]}) o mes/día "
        f"({b} de {MONTH_NAMES[a - 1]}); se tomó la lectura mexicana, día/mes."
    )
    return date, doubt


def spanish_month_year(date: PartialDate) -> str:
    """'marzo de 2012', as the annex writes its preparation date."""
    if date.month is None:
        return str(date.year)
    return f"{MONTH_NAMES[date.month - 1]} de {date.year}"
