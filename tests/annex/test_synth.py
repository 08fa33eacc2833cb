"""Synthetic annexes: the same for a seed, realistic in shape, readable by our own parser."""

from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers.text import render_text
from mejora.annex.synth import synth_document


def test_the_same_seed_gives_the_same_document():
    assert synth_document(aspects=40, seed=7) == synth_document(aspects=40, seed=7)
    assert synth_document(aspects=40, seed=7) != synth_document(aspects=40, seed=8)


def test_it_spreads_the_aspects_over_cycles_with_about_three_activities_each():
    doc = synth_document(aspects=400)
    assert doc.aspect_count() == 400
    assert 2.7 < doc.activity_count() / 400 < 3.3
    assert len({s.mechanism_year for s in doc.sections}) == 4


def test_it_writes_dates_in_both_conventions_and_in_words():
    doc = synth_document(aspects=200)
    texts = [a.due.text for s in doc.sections for asp in s.aspects for a in asp.activities]
    assert any("/" in t and int(t.split("/")[1]) > 12 for t in texts)  # month/day/year
    assert any(t[0].isalpha() for t in texts)  # 'marzo 2010'


def test_a_synthetic_annex_reads_back_as_itself():
    doc = synth_document(aspects=60, seed=3)
    assert parse_text(render_text(doc)) == doc
