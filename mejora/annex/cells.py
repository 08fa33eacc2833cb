"""Reading the free-text cells of an annex: the due date, the progress, the theme of an ASM.

Each reader takes the cell as written and returns the cell with its normalised values, and
the findings a person should confirm (as plain strings; the parser adds where they were).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from mejora.annex.dates import read_date, read_leading_date
from mejora.annex.document import AnnexRejected, DueCell, PartialDate, ProgressCell
from mejora.annex.messages import gettext_noop
from mejora.annex.words import fold, squash

_COMMITTED = re.compile(
    r"fecha\s+comprometida\s*:\s*(?P<due>.*?)\s*fecha\s+(?:de\s+)?t[eé]rmino\s*:\s*(?P<end>.*)$",
    re.I,
)
_PERCENT = re.compile(r"(?<![\d.,])(\d+(?:[.,]\d+)?)\s*%")
_CONCLUDED = re.compile(r"fecha\s+de\s+conclusi[oó]n\s*:\s*", re.I)
_REPLANNING = re.compile(r"replanteamiento\s*:\s*(s[ií]|no)\b", re.I)

THEMES = (
    "Diseño",
    "Planeación",
    "Operación",
    "Resultados",
    "Cobertura",
    "Focalización",
    "Cobertura y focalización",
    "Percepción de la población atendida",
    "Medición de resultados",
    "Planeación estratégica",
    "Gestión",
    "Evaluación",
    "Presupuesto",
    "Transparencia",
    "Rendición de cuentas",
)
_THEMES_BY_KEY = {fold(theme): theme for theme in THEMES}
_THEME_PREFIX = re.compile(r"^\s*([^\W\d_][^\W\d_ ]*(?: [^\W\d_]+){0,4})\s*:\s*(.+)$", re.S)


class Doubt(NamedTuple):
    """What a person should confirm: its kind, the message, and the value it concerns."""

    kind: str
    text: str
    field: str = ""
    subject: str = ""


class Reading:
    """A normalised value and the doubts a person should confirm about it."""

    def __init__(self) -> None:
        self.doubts: list[Doubt] = []

    def doubt(self, kind: str, text: str, *, field: str = "", subject: str = "") -> None:
        self.doubts.append(Doubt(kind, text, field, subject))


def read_due(text: str, reading: Reading) -> DueCell:
    """'31/12/2008', or 'Fecha comprometida: X Fecha término: Y' (due X, actual end Y)."""
    text = squash(text)
    if not text:
        return DueCell(text)
    committed = _COMMITTED.match(text)
    if committed is None:
        return DueCell(text, _date(text, "fecha de término", "due", reading))
    return DueCell(
        text,
        _date(committed["due"], "fecha comprometida", "due", reading),
        _date(committed["end"], "fecha de término real", "actual_end", reading),
    )


def read_progress(text: str, reading: Reading) -> ProgressCell:
    """The percent, the conclusion date and 'Replanteamiento: No' inside the free text."""
    text = squash(text)
    percent = _percent(text, reading)
    concluded = None
    if (label := _CONCLUDED.search(text)) is not None:
        rest = text[label.end() :]
        found = read_leading_date(rest)
        concluded = found.date
        if found.doubt:
            reading.doubt(
                "ambiguous_date", f"Fecha de conclusión: {found.doubt}", field="concluded"
            )
        elif found.date is None and rest.strip() and not _REPLANNING.match(rest):
            reading.doubt(
                "date_not_understood",
                f"No se entendió la fecha de conclusión «{squash(rest)[:40]}».",
                field="concluded",
            )
    replanning = None
    if (said := _REPLANNING.search(text)) is not None:
        replanning = fold(said.group(1)) == "si"
    return ProgressCell(text, percent, concluded, replanning)


def read_theme(text: str, reading: Reading) -> tuple[str | None, str]:
    """'Operación: Mejorar …' → ('Operación', 'Mejorar …'); no prefix → (None, text)."""
    text = squash(text)
    match = _THEME_PREFIX.match(text)
    if match is None:
        return None, text
    prefix, statement = match.group(1), match.group(2)
    known = _THEMES_BY_KEY.get(fold(prefix))
    if known is None:
        reading.doubt(
            "unknown_theme",
            f"«{prefix}» no es un tema conocido; se tomó como tema.",
            field="theme",
            subject=prefix,
        )
        return prefix, statement
    return known, statement


def _date(text: str, label: str, field: str, reading: Reading) -> PartialDate | None:
    if not text.strip():
        return None
    found = read_date(text)
    if found.date is None:
        reading.doubt("date_not_understood", f"No se entendió la {label} «{text}».", field=field)
    elif found.doubt:
        reading.doubt("ambiguous_date", found.doubt, field=field)
    return found.date


def _percent(text: str, reading: Reading) -> int | None:
    match = _PERCENT.search(text)
    if match is None:
        if text:
            reading.doubt(
                "percent_not_found", "No se encontró el porcentaje de avance.", field="percent"
            )
        return None
    value = Decimal(match.group(1).replace(",", "."))
    if value > 100:
        raise AnnexRejected(
            gettext_noop("El porcentaje de avance {group} es mayor que 100%."), group=match.group(0)
        )
    whole = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if whole != value:
        reading.doubt(
            "percent_rounded",
            f"El avance {match.group(0)} se redondeó a {whole}%.",
            field="percent",
        )
    return whole
