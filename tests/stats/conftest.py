"""Fixtures of the statistics' tests."""

from collections import OrderedDict

import pytest

from mejora.stats import charts


@pytest.fixture
def drawn(monkeypatch) -> list[str]:
    """The titles of the charts matplotlib is asked to draw, from an empty cache of drawn
    charts; each drawing stands in for matplotlib's, a bare SVG."""
    titles: list[str] = []

    def draw(figure, title, description, table):
        titles.append(title)
        return charts.Chart(title, description, "<svg/>", table)

    monkeypatch.setattr(charts, "_DRAWN", OrderedDict())
    monkeypatch.setattr(charts, "_chart", draw)
    return titles
