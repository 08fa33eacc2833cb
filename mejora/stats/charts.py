"""Charts drawn on the server as SVG by matplotlib, each with the table of its data.

One small API for every page and report that shows a figure:

- `bar_chart(title, categories, values)` — one value per category (horizontal bars);
- `stacked_bar_chart(title, categories, series)` — several series stacked per category;
- `line_chart(title, x_labels, series)` — one line per series across ordered points (a trend).

Each returns a `Chart`: `chart.svg`, an inline `<svg role="img">` with `<title>` and `<desc>`
that reads the same in a browser and in WeasyPrint's PDF, and `chart.table`, the figures it
draws (`DataTable`: caption, column headings, rows) for the table shown beside it and for
spreadsheets. Render both with the template `web/partials/chart.html` (`{% include
"web/partials/chart.html" with chart=... %}`) on a page whose `{% block head %}` links
`web/charts.css`.

The charts read without colour: every bar carries its value as text, stacked series differ by
hatch pattern as well as by shade, lines differ by marker and dash, and the legend names each
pattern. Text stays text in the SVG (not paths), so the labels are searchable, selectable and
extractable from the PDF. The output is identical run to run (no date, fixed id salt).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec

from django.utils.functional import Promise
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Number = int | float
Formatter = Callable[[Number], str]
P = ParamSpec("P")

# Shades and patterns a greyscale printer keeps apart; the pattern alone tells series apart.
_SHADES = ("#4a6fa5", "#d9a441", "#7fa87a", "#b5566b", "#8c7fb0", "#6f6f6f")
_HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++")
_MARKERS = ("o", "s", "^", "D", "v", "P")
_DASHES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "mejora",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "hatch.linewidth": 0.8,
    "hatch.color": "#222222",
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# rc_context changes matplotlib's process-wide settings for its duration.
_LOCK = threading.Lock()
_WIDTH_INCHES = 6.4
_LABEL_WIDTH = 34  # characters of a category's label before it wraps
_LABEL_POINTS = 8
_CHAR_EM = 0.62  # a generous mean width of DejaVu Sans's letters, in ems


def _drawing(function: Callable[P, Chart]) -> Callable[P, Chart]:
    """Draw under the house settings, one chart at a time (rc_context is process-wide)."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Chart:
        # A chart is a pure function of its figures and words: the same ones drawn again (a
        # page asked twice, its PDF) are the SVG drawn the first time, not a third of a
        # second of matplotlib each.
        try:
            key: Hashable | None = _frozen((function.__qualname__, args, kwargs))
        except TypeError:
            key = None
        if key is not None and key in _DRAWN:
            _DRAWN.move_to_end(key)
            return _DRAWN[key]
        # Imported on first use: matplotlib costs about a second to load, which a process that
        # serves no chart (a command, a worker) should not pay.
        import matplotlib

        with _LOCK, matplotlib.rc_context(_RC):
            chart = function(*args, **kwargs)
            if key is not None:
                _DRAWN[key] = chart
                while len(_DRAWN) > _DRAWN_KEPT:
                    _DRAWN.popitem(last=False)
        return chart

    return wrapper


# The charts drawn last, by what they were drawn from (a few hundred kilobytes of SVG).
_DRAWN: OrderedDict[Hashable, Chart] = OrderedDict()
_DRAWN_KEPT = 64


def _frozen(value: object) -> Hashable:
    """The value as a key: lists and mappings as tuples, in their order; words as their text
    in the language of the moment. TypeError when part of it cannot be one."""
    if isinstance(value, Mapping):
        return ("map", tuple((_frozen(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, Promise):
        return str(value)
    hash(value)
    return value


@dataclass(frozen=True)
class DataTable:
    """The figures a chart draws: the first column names the category, the rest are values."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | Number, ...], ...]
    fmt: Formatter = field(default=lambda value: cell(value), compare=False, repr=False)

    @property
    def display_rows(self) -> list[tuple[str, ...]]:
        """The rows as shown beside the chart: each value formatted as its label is."""
        return self.displayed(self.rows)

    def displayed(self, rows: Sequence[tuple[str | Number, ...]]) -> list[tuple[str, ...]]:
        """Some of its rows (a page of them) as `display_rows` shows them."""
        return [(str(first), *(self.fmt(v) for v in values)) for first, *values in rows]


@dataclass(frozen=True)
class Chart:
    """An inline SVG (role="img", titled and described) and the table of its data."""

    title: str
    description: str
    svg: str
    table: DataTable

    def __html__(self) -> str:
        # Lets a template print {{ chart }} as the SVG itself; the SVG is built here, not
        # from user markup: every text in it went through matplotlib's XML escaping.
        return self.svg


class Percent(float):
    """A value that is a percentage: tables format it with '%', spreadsheets as a percentage."""


def integer(value: Number) -> str:
    """Format a count for a label: 1234 → '1,234' (the thousands comma of es-MX)."""
    return f"{value:,.0f}"


def percent(value: Number) -> str:
    """Format a percentage for a label: 73.42 → '73.4%', 79.0 → '79%'."""
    return f"{value:.1f}".removesuffix(".0") + "%"


def cell(value: Number | str | None) -> str:
    """Format a table cell by its type: a Percent with '%', a count with thousands, None as '—'."""
    if value is None:
        return "—"
    if isinstance(value, Percent):
        return percent(value)
    if isinstance(value, int | float):
        return integer(value)
    return str(value)


@_drawing
def bar_chart(
    title: str,
    categories: Sequence[str],
    values: Sequence[Number],
    *,
    value_label: str,
    category_label: str = "",
    description: str = "",
    fmt: Formatter = integer,
    maximum: Number | None = None,
    table: DataTable | None = None,
) -> Chart:
    """One horizontal bar per category, its value written at its end.

    `table`, when given, is shown beside the chart instead of its bare figures (a table with
    more columns than the chart draws: counts beside a rate).
    """
    _check_lengths(categories, {value_label: values})
    figure, axes = _figure(categories)
    positions = range(len(categories))
    bars = axes.barh(
        positions, values, color=_SHADES[0], edgecolor="#222222", linewidth=0.6, height=0.6
    )
    axes.bar_label(bars, labels=[fmt(v) for v in values], padding=3)
    _category_axis(axes, categories)
    _value_axis(axes, values, maximum)
    axes.set_xlabel(value_label)
    table = table or DataTable(
        caption=title,
        columns=(category_label, value_label),
        rows=tuple((c, v) for c, v in zip(categories, values, strict=True)),
        fmt=fmt,
    )
    return _chart(figure, title, description or _describe(table), table)


@_drawing
def stacked_bar_chart(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    category_label: str = "",
    value_label: str = "",
    description: str = "",
    fmt: Formatter = integer,
    table: DataTable | None = None,
) -> Chart:
    """Horizontal bars of several series stacked per category, each series with its own hatch.

    Each segment wide enough to hold it is labelled with its value, and each bar with its total.
    `table` as in bar_chart.
    """
    _check_lengths(categories, series)
    figure, axes = _figure(categories, legend=True)
    positions = range(len(categories))
    left: list[Number] = [0] * len(categories)
    totals = [sum(values[i] for values in series.values()) for i in positions]
    # A segment under this width has no room for its label: the total and the table give it.
    narrow = max(totals, default=0) * 0.04
    for index, (name, values) in enumerate(series.items()):
        bars = axes.barh(
            positions,
            values,
            left=left,
            height=0.6,
            label=name,
            color=_SHADES[index % len(_SHADES)],
            hatch=_HATCHES[index % len(_HATCHES)],
            edgecolor="#222222",
            linewidth=0.6,
        )
        axes.bar_label(
            bars,
            labels=[fmt(v) if v and v >= narrow else "" for v in values],
            label_type="center",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for position, total in zip(positions, left, strict=True):
        axes.annotate(
            fmt(total),
            (total, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontweight="bold",
        )
    _category_axis(axes, categories)
    _value_axis(axes, left, None)
    if value_label:
        axes.set_xlabel(value_label)
    _legend(axes, len(series))
    table = table or DataTable(
        caption=title,
        columns=(category_label, *series, _("Total")),
        rows=tuple(
            (category, *(values[i] for values in series.values()), left[i])
            for i, category in enumerate(categories)
        ),
        fmt=fmt,
    )
    return _chart(figure, title, description or _describe(table), table)


@_drawing
def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    x_label: str = "",
    value_label: str = "",
    description: str = "",
    fmt: Formatter = integer,
    maximum: Number | None = None,
    table: DataTable | None = None,
) -> Chart:
    """One line per series across ordered points, each point labelled with its value.

    `table` as in bar_chart.
    """
    _check_lengths(x_labels, series)
    x_lines = max((textwrap.fill(x, 14).count("\n") + 1 for x in x_labels), default=1)
    top = 0.55 if len(series) > 1 else 0.2
    bottom = 0.35 + 0.14 * x_lines + (0.2 if x_label else 0)
    figure, axes = _framed(2.6 + top + bottom, left=0.7, right=0.2, top=top, bottom=bottom)
    positions = list(range(len(x_labels)))
    every_value: list[Number] = []
    for index, (name, values) in enumerate(series.items()):
        axes.plot(
            positions,
            values,
            label=name,
            color=_SHADES[index % len(_SHADES)],
            marker=_MARKERS[index % len(_MARKERS)],
            linestyle=_DASHES[index % len(_DASHES)],
            linewidth=1.6,
        )
        for x, y in zip(positions, values, strict=True):
            axes.annotate(
                fmt(y), (x, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8
            )
        every_value.extend(values)
    axes.set_xticks(positions, [textwrap.fill(x, 14) for x in x_labels])
    top = maximum if maximum is not None else max(every_value, default=0) or 1
    axes.set_ylim(0, top * 1.15)
    axes.set_xlim(-0.5, len(x_labels) - 0.5)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    if x_label:
        axes.set_xlabel(x_label)
    if value_label:
        axes.set_ylabel(value_label)
    if len(series) > 1:
        _legend(axes, len(series))
    table = table or DataTable(
        caption=title,
        columns=(x_label, *series),
        rows=tuple((x, *(values[i] for values in series.values())) for i, x in enumerate(x_labels)),
        fmt=fmt,
    )
    return _chart(figure, title, description or _describe(table), table)


def _check_lengths(categories: Sequence[str], series: Mapping[str, Sequence[Number]]) -> None:
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)}")


def _figure(categories: Sequence[str], *, legend: bool = False):
    """A figure for horizontal bars, its margins reckoned from the labels' length.

    Reckoned, not found by matplotlib's constrained layout, which measures every text twice
    and cost half the time of a chart.
    """
    labels = [_wrap(c) for c in categories]
    lines = sum(label.count("\n") + 1 for label in labels)
    plot = 0.38 * max(len(labels), 1) + 0.13 * (lines - len(labels))
    top, bottom = (0.55 if legend else 0.15), 0.55
    widest = max((len(line) for label in labels for line in label.split("\n")), default=0)
    left = 0.25 + widest * _LABEL_POINTS * _CHAR_EM / 72
    return _framed(plot + top + bottom, left=left, right=0.2, top=top, bottom=bottom)


def _framed(height: float, *, left: float, right: float, top: float, bottom: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_INCHES, height))
    figure.subplots_adjust(
        left=left / _WIDTH_INCHES,
        right=1 - right / _WIDTH_INCHES,
        top=1 - top / height,
        bottom=bottom / height,
    )
    return figure, figure.add_subplot()


def _wrap(label: str) -> str:
    return textwrap.fill(label, _LABEL_WIDTH)


def _category_axis(axes, categories: Sequence[str]) -> None:
    axes.set_yticks(range(len(categories)), [_wrap(c) for c in categories], fontsize=_LABEL_POINTS)
    axes.invert_yaxis()  # the first category on top, as in the table beside it


def _value_axis(axes, values: Sequence[Number], maximum: Number | None) -> None:
    top = maximum if maximum is not None else max(values, default=0) or 1
    # Room at the right for the value written after the longest bar.
    axes.set_xlim(0, top * 1.18)
    if maximum is not None:  # no tick past the scale's end (100 for a percentage)
        axes.set_xticks([t for t in axes.get_xticks() if 0 <= t <= maximum])
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)


def _legend(axes, entries: int) -> None:
    axes.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=min(entries, 3),
        frameon=False,
        fontsize=8,
        handleheight=1.4,
        handlelength=2.4,
    )


def _describe(table: DataTable) -> str:
    """A sentence per row, for screen readers: 'Diseño: 12; Operación: 30.'"""
    parts = []
    for category, *values in table.rows:
        if len(values) == 1:
            parts.append(f"{category}: {table.fmt(values[0])}")
        else:
            named = ", ".join(
                f"{name} {table.fmt(v)}" for name, v in zip(table.columns[1:], values, strict=True)
            )
            parts.append(f"{category}: {named}")
    return "; ".join(parts) + "." if parts else ""


_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
_OPEN_TAG = re.compile(r"<svg\b([^>]*)>")
_ID = re.compile(r'(\bid="|url\(#|href="#)')
_SIZE = re.compile(r'\s(width|height)="[^"]*"')
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>\s*", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _presentation_attributes(match: re.Match[str]) -> str:
    """style="fill: #fff; stroke-width: 0.8" → fill="#fff" stroke-width="0.8"."""
    declarations = (d.partition(":") for d in match.group(1).split(";") if d.strip())
    return "".join(f' {name.strip()}="{value.strip()}"' for name, _, value in declarations)


def _chart(figure: Figure, title: str, description: str, table: DataTable) -> Chart:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    # matplotlib writes its own <title> inside <metadata>; ours is the accessible one.
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    key = hashlib.sha256(f"{title}|{table.rows}".encode()).hexdigest()[:10]
    # matplotlib numbers its elements per figure: prefix them so two charts on a page keep
    # distinct ids (and each its own clip paths and hatches).
    svg = _ID.sub(lambda m: f"{m.group(1)}chart-{key}-", svg)
    title_id, desc_id = f"chart-{key}-title", f"chart-{key}-desc"

    def open_tag(match: re.Match[str]) -> str:
        # Width from the viewBox only: the chart shrinks to its box (390 px screens, PDF page).
        attributes = _SIZE.sub("", match.group(1))
        return (
            f'<svg{attributes} role="img" aria-labelledby="{title_id} {desc_id}" '
            f'class="chart" preserveAspectRatio="xMidYMid meet" '
            f'stroke-linejoin="round" stroke-linecap="butt">'
            f'<title id="{title_id}">{_escape(title)}</title>'
            f'<desc id="{desc_id}">{_escape(description)}</desc>'
        )

    svg = _OPEN_TAG.sub(open_tag, svg, count=1)
    # The pages' Content-Security-Policy refuses inline styles (style-src has only 'self' and a
    # nonce), so matplotlib's style attributes and <style> become presentation attributes,
    # which CSP leaves alone and which WeasyPrint reads as well.
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    svg = _STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    return Chart(title=title, description=description, svg=svg.strip(), table=table)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
