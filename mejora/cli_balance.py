"""`mejora report balance --cycle … [--as-of …] -o FILE`: the oversight balance as PDF or XLSX.

Thin, as cli.py: finds the cycle, asks stats for the balance over the whole record (whoever
runs the command line on the server reads everything) and writes the file.
"""

from __future__ import annotations

import argparse
import datetime as dt

from django.utils.translation import gettext as _

BALANCE_KINDS = ("balance",)
BALANCE_FORMATS = ("pdf", "xlsx")


def report_balance(args: argparse.Namespace) -> int:
    from mejora.cli import _Refused, _unwritable, write_report
    from mejora.followup.models import Aspect
    from mejora.stats.balance import cycle_balance
    from mejora.stats.balance_report import (
        balance_report,
        render_balance_pdf,
        render_balance_xlsx,
    )

    def balance() -> tuple[bytes, str]:
        file_format = args.format or args.output.suffix.lower().lstrip(".")
        if file_format not in BALANCE_FORMATS:
            raise _Refused(
                _("El balance se emite en PDF o XLSX: indique --format pdf o --format xlsx.")
            )
        cycle, refusal = find_cycle(args.cycle)
        if refusal:
            raise _Refused(refusal)
        if unwritable := _unwritable(args.output):
            raise _Refused(unwritable)
        as_of = args.as_of or dt.date.today()
        report = balance_report(cycle_balance(Aspect.objects.all(), cycle=cycle, as_of=as_of))
        data = (render_balance_pdf if file_format == "pdf" else render_balance_xlsx)(report)
        headline = _("Balance %(cycle)s al %(date)s · %(total)d ASM, cumplimiento %(rate)s") % {
            "cycle": report.balance.cycle,
            "date": as_of.isoformat(),
            "total": report.balance.total,
            "rate": report.compliance,
        }
        return data, headline

    return write_report(args, balance)


def find_cycle(text: str | None):
    """The cycle named by its mechanism year ('2018') or evaluation period ('2017-2018'), the
    latest when none is named; with the reason in Spanish when there is no such one cycle."""
    from mejora.followup.models import Cycle

    cycles = Cycle.objects.order_by("-mechanism_year", "-evaluation_period")
    if text:
        found = cycles.filter(evaluation_period=text.strip())
        if not found and text.strip().isdigit():
            found = cycles.filter(mechanism_year=int(text))
        cycles = found
    matches = list(cycles[:2]) if text else list(cycles[:1])
    if len(matches) == 1:
        return matches[0], None
    known = ", ".join(
        f"{c.mechanism_year} ({c.evaluation_period})"
        for c in Cycle.objects.order_by("mechanism_year", "evaluation_period")
    )
    if not matches and not text:
        return None, _("No hay ciclos del mecanismo en el registro.")
    if not matches:
        return None, _("No existe el ciclo «%(cycle)s». Los hay: %(known)s.") % {
            "cycle": text,
            "known": known,
        }
    return None, _(
        "Hay más de un ciclo del mecanismo %(cycle)s: indíquelo por su periodo (%(known)s)."
    ) % {"cycle": text, "known": known}
