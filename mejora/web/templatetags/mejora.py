"""Template filters for how Mexican public documents write dates."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from mejora.annex.dates import MONTH_NAMES

register = template.Library()


@register.filter
def long_date(value: dt.date | dt.datetime | None) -> str:
    """'31 de marzo de 2012': months in lower case, as Spanish writes them (in English,
    Django's own long date)."""
    if value is None:
        return ""
    if not (get_language() or "es").startswith("es"):
        if isinstance(value, dt.datetime):
            return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value)
        return f"{value.day} de {MONTH_NAMES[value.month - 1]} de {value.year}, {value:%H:%M}"
    return f"{value.day} de {MONTH_NAMES[value.month - 1]} de {value.year}"
