"""Printing the balance's PDF and XLSX in the background, kept in the file storage under the
reader's scope and the figures it holds.

At whole-government scale WeasyPrint takes seconds over the balance, too long for a request:
the download starts a task (mejora/tasks/balance.py) and hands the file over once it is
printed. The balance is computed over the ASM a reader reaches, so a print is named after
those ASM and after the figures themselves: two readers who reach different ASM never share
a print, two who reach the same ones share it, and a change to the record prints anew. The
worker computes the balance again over its reader's reach and refuses to store it under a
name it does not match, so a print never holds more than its name says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import translation

from mejora.accounts.access import aspects_for_user
from mejora.annex.document import AnnexRejected
from mejora.annex.messages import gettext_noop
from mejora.annex.progress import PRINTING, Progress
from mejora.followup.models import Aspect, Cycle
from mejora.stats.balance import CycleBalance, cycle_balance, previous_cycle
from mejora.stats.balance_report import balance_report, render_balance_pdf, render_balance_xlsx

_FOLDER = "trabajos"

BALANCE_RENDERERS: dict[str, Callable[..., bytes]] = {
    "pdf": render_balance_pdf,
    "xlsx": render_balance_xlsx,
}

CHANGED = gettext_noop(
    "El balance cambió mientras se preparaba el archivo; vuelva a pedirlo para tener el de ahora."
)


def balance_file_name(cycle: Cycle, as_of: dt.date, file_format: str) -> str:
    """'balance-2018-2019-03-31.pdf'."""
    return f"balance-{cycle.mechanism_year}-{as_of.isoformat()}.{file_format}"


def balance_print_key(
    aspects: QuerySet[Aspect],
    *,
    cycle: Cycle,
    result: CycleBalance,
    file_format: str,
    language: str,
) -> str:
    """The name of the print of this balance for a reader who reaches `aspects`.

    Its scope part fingerprints the ASM of the balance's cycles the reader reaches; its state
    part, the figures (in the reader's language), so a validation since the last print makes
    a new one.
    """
    cycles = [c.pk for c in (cycle, previous_cycle(cycle)) if c is not None]
    reached = list(aspects.filter(cycle__in=cycles).order_by("pk").values_list("pk", flat=True))
    scope = _digest(json.dumps(reached))
    state = _digest(repr(result))
    return f"{_prefix(cycle.pk, result.balance.as_of, file_format, language)}{scope}-{state}"


def balance_print_path(key: str, file_format: str) -> str:
    """Where in the file storage the print named `key` is kept."""
    if not key.replace("-", "").isalnum() or file_format not in BALANCE_RENDERERS:
        raise ValueError(f"bad print key {key!r}")
    return f"{_FOLDER}/{key}.{file_format}"


def balance_print(
    progress: Progress,
    *,
    key: str,
    reader_pk: int,
    cycle_pk: int,
    as_of: dt.date,
    file_format: str,
    language: str,
) -> dict[str, Any]:
    """Compute the balance over the reader's reach and print it into the file storage under
    `key`; the file name to hand it over as. Refused when the balance is no longer the one
    `key` names (the record or the reader's reach changed since it was asked for)."""
    with translation.override(language):
        progress(PRINTING, 0, 2)
        reader = get_user_model().objects.get(pk=reader_pk)
        cycle = Cycle.objects.get(pk=cycle_pk)
        aspects = aspects_for_user(reader)
        result = cycle_balance(aspects, cycle=cycle, as_of=as_of)
        now = balance_print_key(
            aspects, cycle=cycle, result=result, file_format=file_format, language=language
        )
        if now != key:
            raise AnnexRejected(CHANGED)
        progress(PRINTING, 1, 2)
        printed = BALANCE_RENDERERS[file_format](balance_report(result))
    path = balance_print_path(key, file_format)
    default_storage.delete(path)
    default_storage.save(path, ContentFile(printed))
    _forget_older_prints(key, path)
    progress(PRINTING, 2, 2)
    return {"name": balance_file_name(cycle, as_of, file_format)}


def _forget_older_prints(key: str, path: str) -> None:
    """Remove this reader scope's prints of states the record has left."""
    prefix = key.rsplit("-", 1)[0] + "-"
    try:
        _, names = default_storage.listdir(_FOLDER)
    except FileNotFoundError:
        return
    for name in names:
        if name.startswith(prefix) and f"{_FOLDER}/{name}" != path:
            default_storage.delete(f"{_FOLDER}/{name}")


def _prefix(cycle_pk: int, as_of: dt.date, file_format: str, language: str) -> str:
    tongue = "".join(c for c in language.lower() if c.isalnum())  # 'es-mx' → 'esmx'
    return f"balance-{file_format}-{cycle_pk}-{as_of.isoformat()}-{tongue}-"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
