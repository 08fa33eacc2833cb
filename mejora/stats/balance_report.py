"""The balance as the reader gets it: its tables and charts, one set for the page, the PDF and
the spreadsheet.

`balance_report` turns a `CycleBalance` into sections (a title, a chart and the table beside
it) and the tables with no chart (compliance per program, the headline figures). The page and
`render_balance_pdf` show the same sections through the same templates, so the PDF carries the
very SVG the page does; `render_balance_xlsx` writes every table to a sheet of its own.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mejora.annex.renderers.office import strip_non_xml
from mejora.annex.renderers.pdf import render_pdf_from_html
from mejora.stats.balance import Balance, CycleBalance, Share, Tally
from mejora.stats.charts import (
    Chart,
    DataTable,
    Percent,
    bar_chart,
    cell,
    integer,
    percent,
    stacked_bar_chart,
)


@dataclass(frozen=True)
class Section:
    """A chart of the balance and the table beside it."""

    key: str
    sheet: str  # the spreadsheet's tab: at most 31 characters
    chart: Chart

    @property
    def table(self) -> DataTable:
        return self.chart.table


@dataclass(frozen=True)
class BalanceReport:
    result: CycleBalance
    summary: DataTable
    sections: tuple[Section, ...]
    programs: DataTable

    @property
    def balance(self) -> Balance:
        return self.result.balance

    @property
    def compliance(self) -> str:
        """The compliance rate as written: '79%', or '—' without específicos or institucionales."""
        return cell(_percent_or_none(self.balance.compliance_rate))

    @property
    def sheets(self) -> list[tuple[str, DataTable]]:
        """Every table of the report with its tab's name, in the order the page shows them."""
        return [
            (_("Resumen"), self.summary),
            *((s.sheet, s.table) for s in self.sections),
            (_("Cumplimiento por programa"), self.programs),
        ]


def balance_report(result: CycleBalance) -> BalanceReport:
    balance = result.balance
    sections = [
        Section(
            "classification",
            _("Tipo por actor"),
            _tally_chart(_("ASM por tipo por actor"), _("Tipo"), balance.by_classification),
        ),
        Section(
            "priority",
            _("Prioridad"),
            _tally_chart(_("ASM por prioridad"), _("Prioridad"), balance.by_priority),
        ),
        Section("theme", _("Tema"), _tally_chart(_("ASM por tema"), _("Tema"), balance.by_theme)),
        Section("institutions", _("Cumplimiento por dependencia"), _compliance_chart(balance)),
        Section("change", _("Tipo de cambio"), _change_chart(balance)),
    ]
    if result.previous is not None:
        sections.append(Section("comparison", _("Ciclo anterior"), _comparison_chart(result)))
    return BalanceReport(result, _summary(balance), tuple(sections), _programs_table(balance))


def _tally_chart(title: str, heading: str, tallies: tuple[Tally, ...]) -> Chart:
    return stacked_bar_chart(
        title,
        [t.label for t in tallies],
        {
            _("Concluidos"): [t.concluded for t in tallies],
            _("Sin concluir"): [t.total - t.concluded for t in tallies],
        },
        category_label=heading,
        value_label=_("ASM"),
    )


def _compliance_chart(balance: Balance) -> Chart:
    rows = [c for c in balance.by_institution if c.counted]
    title = _("Cumplimiento por dependencia")
    table = DataTable(
        caption=title,
        columns=(
            _("Dependencia"),
            _("ASM específicos e institucionales"),
            _("Concluidos"),
            _("Cumplimiento"),
        ),
        rows=tuple((c.label, c.counted, c.concluded, Percent(c.rate)) for c in rows),
        fmt=cell,
    )
    return _rates_chart(
        table,
        {c.label: c.rate for c in rows},
        value_label=_("% de ASM específicos e institucionales concluidos"),
    )


def _change_chart(balance: Balance) -> Chart:
    title = _("ASM concluidos por tipo de cambio")
    shares = balance.by_change_kind
    table = DataTable(
        caption=title,
        columns=(_("Tipo de cambio"), _("ASM"), _("Porcentaje de los concluidos")),
        rows=tuple((s.label, s.count, _percent_or_none(s.percent)) for s in shares),
        fmt=cell,
    )
    return bar_chart(
        title,
        [s.label for s in shares],
        [s.count for s in shares],
        value_label=_("ASM específicos e institucionales concluidos"),
        category_label=_("Tipo de cambio"),
        fmt=_CountAndShare(shares),
        table=table,
    )


@dataclass(frozen=True)
class _CountAndShare:
    """A bar's count with its share of the concluded: '12 (40%)'. A value, not a closure, so
    the chart it labels is drawn once for the same figures (charts.py keeps what it drew by
    what it was drawn from; a new closure each time was a new chart each time)."""

    shares: tuple[Share, ...]

    def __call__(self, value: float) -> str:
        share = next((s for s in self.shares if s.count == int(value)), None)
        if share is None or share.percent is None:
            return integer(value)
        return f"{integer(value)} ({percent(share.percent)})"


def _comparison_chart(result: CycleBalance) -> Chart:
    current, previous = result.balance, result.previous
    assert previous is not None
    title = _("Comparación con el ciclo anterior")
    table = DataTable(
        caption=title,
        columns=(_("Cifra"), previous.cycle, current.cycle, _("Diferencia")),
        rows=tuple(
            (
                c.label,
                _typed(c.previous, c.is_percent),
                _typed(c.current, c.is_percent),
                _typed(c.difference, c.is_percent),
            )
            for c in result.comparison
        ),
        fmt=cell,
    )
    rates = {b.cycle: b.compliance_rate for b in (previous, current)}
    return _rates_chart(table, rates, value_label=_("Cumplimiento"))


def _rates_chart(table: DataTable, rates: dict[str, float | None], *, value_label: str) -> Chart:
    """Compliance rates on a scale of 0 to 100, beside a table with more than the rates."""
    drawn = {label: rate for label, rate in rates.items() if rate is not None}
    return bar_chart(
        table.caption,
        list(drawn),
        list(drawn.values()),
        value_label=value_label,
        category_label=table.columns[0],
        fmt=percent,
        maximum=100,
        table=table,
    )


def _summary(balance: Balance) -> DataTable:
    return DataTable(
        caption=_("Resumen"),
        columns=(_("Cifra"), _("Valor")),
        rows=(
            (_("Ciclo"), balance.cycle),
            (_("Fecha"), balance.as_of.isoformat()),
            (_("ASM"), balance.total),
            (_("Programas"), balance.programs),
            (_("Dependencias"), balance.institutions),
            (_("ASM específicos e institucionales"), balance.counted),
            (_("Concluidos"), balance.concluded),
            (_("Cumplimiento"), _percent_or_none(balance.compliance_rate)),
        ),
        fmt=cell,
    )


def _programs_table(balance: Balance) -> DataTable:
    return DataTable(
        caption=_("Cumplimiento por programa"),
        columns=(
            _("Programa"),
            _("Dependencia"),
            _("ASM específicos e institucionales"),
            _("Concluidos"),
            _("Cumplimiento"),
        ),
        rows=tuple(
            (c.label, c.institution, c.counted, c.concluded, _percent_or_none(c.rate))
            for c in balance.by_program
        ),
        fmt=cell,
    )


def _percent_or_none(value: float | None) -> Percent | None:
    return None if value is None else Percent(value)


def _typed(value: float | None, is_percent: bool) -> float | Percent | None:
    return _percent_or_none(value) if is_percent else value


# -- issued as files ------------------------------------------------------------------------


_PRINT_CSS = Path(__file__).with_name("balance_print.css")


def render_balance_html(report: BalanceReport) -> str:
    """The standalone HTML WeasyPrint prints: the page's body, with its print styles.

    The styles are put in here, not in the template: no template a browser could be served
    holds inline style (the CSP refuses it), and this HTML only ever goes to WeasyPrint."""
    context = {"report": report, "program_rows": report.programs.display_rows}
    html = render_to_string("web/balance_print.html", context)
    return html.replace(
        "</head>", f"<style>{_PRINT_CSS.read_text(encoding='utf-8')}</style></head>", 1
    )


def render_balance_pdf(report: BalanceReport) -> bytes:
    return render_pdf_from_html(render_balance_html(report))


_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def render_balance_xlsx(report: BalanceReport) -> bytes:
    """One sheet per table: its caption, its headings, its rows; percentages as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for name, table in report.sheets:
        sheet = workbook.create_sheet(_SHEET_NAME.sub(" ", name)[:31])
        sheet.append([strip_non_xml(f"{table.caption} · {report.balance.cycle}")])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append([strip_non_xml(str(c)) for c in table.columns])
        for heading in sheet[2]:
            heading.font = bold
        for row in table.rows:
            sheet.append([_xlsx_value(v) for v in row])
            for value, written in zip(row, sheet[sheet.max_row], strict=True):
                if isinstance(value, Percent):
                    written.number_format = "0.0%"
        sheet.freeze_panes = "B3"
        for index, heading in enumerate(table.columns, start=1):
            widest = max([len(str(heading)), *(len(str(r[index - 1])) for r in table.rows)])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, widest + 2))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if isinstance(value, Percent):
        return float(value) / 100
    if isinstance(value, str):
        return strip_non_xml(value)
    return value
