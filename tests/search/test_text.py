"""The words search compares: accents and case aside, Spanish stems, HTML escaped."""

from __future__ import annotations

import pytest

from mejora.search.text import fold, fts5_query, highlight, stems


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("diagnostico", "Diagnóstico"),
        ("evaluaciones", "evaluación"),
        ("evaluacion", "Evaluaciones"),
        ("PROGRAMA", "programas"),
        ("compañia", "COMPAÑÍAS"),
    ],
)
def test_a_word_finds_its_other_forms(typed, written):
    assert stems(typed) == stems(written)


def test_different_words_keep_different_stems():
    assert stems("padrón") != stems("programa")


def test_folding_takes_accents_and_case_off():
    assert fold("Áreas Ñandú ü") == "areas nandu u"


def test_a_query_cannot_speak_fts5_syntax():
    assert fts5_query('evaluaciones" OR NEAR(x*') == '"evalu" "or" "near" "x"'
    assert fts5_query("¿…?") == ""


def test_highlight_marks_every_form_of_the_word_and_escapes_the_rest():
    snippet = highlight(
        '<script>alert("x")</script> La Evaluación & las evaluaciones', "evaluacion"
    )
    assert "<script>" not in snippet
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in snippet
    assert "<mark>Evaluación</mark> &amp; las <mark>evaluaciones</mark>" in snippet


def test_highlight_shows_the_part_of_a_long_text_where_the_match_is():
    text = "relleno " * 200 + "el diagnóstico final"
    snippet = highlight(text, "diagnosticos", width=120)
    assert snippet.startswith("…")
    assert "<mark>diagnóstico</mark>" in snippet
    assert len(snippet) < 200
