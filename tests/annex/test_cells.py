"""How the free-text cells are read: the due date, the progress and the theme of an ASM."""

import pytest

from mejora.annex.cells import Reading, read_due, read_progress, read_theme
from mejora.annex.document import AnnexRejected, Precision


def kinds(reading: Reading) -> list[str]:
    return [kind for kind, *_ in reading.doubts]


# --- Fecha de Término -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_iso"),
    [
        pytest.param("31/12/2008", "2008-12-31", id="day-month-year"),
        pytest.param("3/31/11", "2011-03-31", id="month-day-year"),
        pytest.param("12/31/10", "2010-12-31", id="month-day-year-december"),
        pytest.param(" 14/02/2011 ", "2011-02-14", id="surrounding-spaces"),
        pytest.param("Diciembre de 2009", "2009-12", id="month-precision"),
    ],
)
def test_it_reads_a_plain_due_date_with_no_actual_end(text, expected_iso):
    reading = Reading()

    cell = read_due(text, reading)

    assert cell.due.iso() == expected_iso
    assert cell.actual_end is None
    assert cell.text == text.strip()
    assert reading.doubts == []


def test_it_reads_the_committed_date_as_due_and_the_end_date_as_actual_end():
    reading = Reading()
    text = "Fecha comprometida: 30/06/2009 Fecha término: octubre 2009"

    cell = read_due(text, reading)

    assert cell.text == text
    assert (cell.due.iso(), cell.due.precision) == ("2009-06-30", Precision.DAY)
    assert (cell.actual_end.iso(), cell.actual_end.precision) == ("2009-10", Precision.MONTH)
    assert cell.actual_end.text == "octubre 2009"
    assert reading.doubts == []


@pytest.mark.parametrize(
    ("text", "expected_due", "expected_end"),
    [
        pytest.param(
            "Fecha comprometida: 30/06/2009 Fecha de término: 15/10/2009",
            "2009-06-30",
            "2009-10-15",
            id="with-de-termino",
        ),
        pytest.param(
            "fecha comprometida: 30/06/2009 fecha termino: 2011",
            "2009-06-30",
            "2011",
            id="lower-case-without-accent",
        ),
        pytest.param(
            "Fecha comprometida: 30/06/2009 Fecha término:",
            "2009-06-30",
            None,
            id="end-not-given-yet",
        ),
    ],
)
def test_it_reads_the_committed_and_end_labels_however_they_are_written(
    text, expected_due, expected_end
):
    reading = Reading()

    cell = read_due(text, reading)

    assert cell.due.iso() == expected_due
    assert (cell.actual_end.iso() if cell.actual_end else None) == expected_end
    assert reading.doubts == []


@pytest.mark.parametrize("text", [pytest.param("", id="empty"), pytest.param("   ", id="blank")])
def test_an_empty_due_cell_has_no_date_and_no_doubt(text):
    reading = Reading()

    cell = read_due(text, reading)

    assert (cell.text, cell.due, cell.actual_end) == ("", None, None)
    assert reading.doubts == []


@pytest.mark.parametrize(
    ("text", "label"),
    [
        pytest.param("pendiente", "fecha de término", id="a-word"),
        pytest.param("31/02/2010", "fecha de término", id="an-impossible-date"),
        pytest.param(
            "Fecha comprometida: 30/06/2009 Fecha término: en revisión",
            "fecha de término real",
            id="an-end-that-is-not-a-date",
        ),
    ],
)
def test_a_due_cell_not_understood_gives_a_spanish_doubt(text, label):
    reading = Reading()

    read_due(text, reading)

    assert kinds(reading) == ["date_not_understood"]
    assert f"No se entendió la {label}" in reading.doubts[0][1]


def test_an_ambiguous_due_date_is_read_day_first_with_a_doubt():
    reading = Reading()

    cell = read_due("01/06/2010", reading)

    assert cell.due.iso() == "2010-06-01"
    assert kinds(reading) == ["ambiguous_date"]
    assert "«01/06/2010»" in reading.doubts[0][1]


# --- Porcentaje de avance y justificación ------------------------------------------------------

NO_DATE = None


@pytest.mark.parametrize(
    ("text", "percent", "concluded"),
    [
        pytest.param(
            "Porcentaje de avance:100% Fecha de conclusión: Enero de 2009",
            100,
            ("2009-01", "Enero de 2009"),
            id="percent-glued-to-label-and-month",
        ),
        pytest.param(
            "Porcentaje de avance: 100% Fecha de conclusión: enero de 2009",
            100,
            ("2009-01", "enero de 2009"),
            id="lower-case-month",
        ),
        pytest.param(
            "Porcentaje de avance: 100% Fecha de conclusión: Agosto de 2009 se concluyó con la "
            "modalidad de Red de mentores",
            100,
            ("2009-08", "Agosto de 2009"),
            id="a-sentence-after-the-date",
        ),
        pytest.param(
            "Porcentaje de avance: 100% Fecha de conclusión:",
            100,
            NO_DATE,
            id="conclusion-label-without-date",
        ),
        pytest.param("Porcentaje de avance: 100%", 100, NO_DATE, id="percent-label-only"),
        pytest.param("Avance:100%", 100, NO_DATE, id="avance-glued"),
        pytest.param("Avance: 100%", 100, NO_DATE, id="avance-colon"),
        pytest.param("Avance 100%", 100, NO_DATE, id="avance-without-colon"),
        pytest.param("100%", 100, NO_DATE, id="a-bare-percent"),
        pytest.param("95%", 95, NO_DATE, id="ninety-five"),
        pytest.param("100 %", 100, NO_DATE, id="space-before-the-sign"),
        pytest.param("0%", 0, NO_DATE, id="not-started"),
        pytest.param(
            "Avance 100% Fecha de conclusión: 17/Sept/2009",
            100,
            ("2009-09-17", "17/Sept/2009"),
            id="abbreviated-month-in-a-day",
        ),
        pytest.param(
            "Avance 100% Fecha de conclusión: Diciembre de 2009. Se entregó el informe.",
            100,
            ("2009-12", "Diciembre de 2009"),
            id="a-period-after-the-date",
        ),
    ],
)
def test_it_reads_each_progress_text_of_the_seed_without_doubt(text, percent, concluded):
    reading = Reading()

    cell = read_progress(text, reading)

    assert cell.text == text
    assert cell.percent == percent
    assert ((cell.concluded.iso(), cell.concluded.text) if cell.concluded else None) == concluded
    assert cell.replanning is None
    assert reading.doubts == []


def test_it_reads_the_percent_the_conclusion_and_the_replanning_of_a_long_justification():
    text = (
        "90% El 10 de noviembre de 2011 la UPRI envió al POP mediante oficio, el borrador de "
        "la Propuesta Atención Fecha de conclusión: 06/12/2011 Replanteamiento: No Nota: El "
        "producto derivado del aspecto"
    )
    reading = Reading()

    cell = read_progress(text, reading)

    assert cell.percent == 90  # not the 10 of '10 de noviembre'
    assert cell.concluded.iso() == "2011-12-06"
    assert cell.concluded.precision is Precision.DAY
    assert cell.replanning is False
    assert kinds(reading) == ["ambiguous_date"]
    assert reading.doubts[0][1].startswith("Fecha de conclusión: «06/12/2011»")


@pytest.mark.parametrize(
    ("text", "replanning"),
    [
        pytest.param("100% Replanteamiento: No", False, id="no"),
        pytest.param("100% Replanteamiento: Sí", True, id="si-with-accent"),
        pytest.param("100% Replanteamiento: si", True, id="si-without-accent"),
        pytest.param("100% replanteamiento:NO", False, id="any-case"),
        pytest.param("100%", None, id="not-said"),
        pytest.param("100% Replanteamiento: Sin cambios", None, id="a-word-that-is-not-si-or-no"),
    ],
)
def test_it_reads_whether_the_actions_were_replanned(text, replanning):
    assert read_progress(text, Reading()).replanning is replanning


def test_a_conclusion_label_followed_by_the_replanning_label_has_no_date_and_no_doubt():
    reading = Reading()

    cell = read_progress("50% Fecha de conclusión: Replanteamiento: No", reading)

    assert (cell.concluded, cell.replanning) == (None, False)
    assert reading.doubts == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("195%", id="one-hundred-ninety-five"),
        pytest.param("Avance: 101%", id="just-over"),
        pytest.param("100,5%", id="a-fraction-over"),
        pytest.param("1000%", id="four-digits"),
    ],
)
def test_a_percent_over_100_rejects_the_annex_with_a_spanish_message(text):
    with pytest.raises(AnnexRejected, match=r"porcentaje de avance .* mayor que 100%"):
        read_progress(text, Reading())


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        pytest.param("97,5%", 98, id="decimal-comma-rounds-half-up"),
        pytest.param("97.5%", 98, id="decimal-point-rounds-half-up"),
        pytest.param("33,3%", 33, id="rounds-down"),
        pytest.param("99,5%", 100, id="rounds-up-to-100"),
    ],
)
def test_a_fractional_percent_is_rounded_with_a_doubt(text, percent):
    reading = Reading()

    cell = read_progress(text, reading)

    assert cell.percent == percent
    assert kinds(reading) == ["percent_rounded"]
    assert f"se redondeó a {percent}%" in reading.doubts[0][1]


def test_a_whole_percent_written_with_decimals_is_not_a_doubt():
    reading = Reading()

    assert read_progress("100,0%", reading).percent == 100
    assert reading.doubts == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Concluido", id="a-word"),
        pytest.param("Fecha de conclusión: Enero de 2009", id="only-the-conclusion"),
        pytest.param("Avance: cien por ciento", id="the-percent-in-words"),
    ],
)
def test_a_progress_without_percent_gives_a_doubt(text):
    reading = Reading()

    cell = read_progress(text, reading)

    assert cell.percent is None
    assert "percent_not_found" in kinds(reading)


def test_an_empty_progress_cell_has_nothing_and_no_doubt():
    reading = Reading()

    cell = read_progress("", reading)

    assert (cell.percent, cell.concluded, cell.replanning) == (None, None, None)
    assert reading.doubts == []


def test_a_conclusion_date_not_understood_gives_a_doubt():
    reading = Reading()

    cell = read_progress("Avance 100% Fecha de conclusión: pronto", reading)

    assert cell.concluded is None
    assert kinds(reading) == ["date_not_understood"]
    assert "«pronto»" in reading.doubts[0][1]


def test_the_progress_text_is_kept_with_its_spacing_squashed():
    cell = read_progress("Avance:\n100%\t Fecha de conclusión:  Enero de 2009", Reading())

    assert cell.text == "Avance: 100% Fecha de conclusión: Enero de 2009"


# --- Tema del ASM ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "theme", "statement"),
    [
        pytest.param(
            "Operación: Mejorar los sistemas de información para apoyar la toma de decisiones.",
            "Operación",
            "Mejorar los sistemas de información para apoyar la toma de decisiones.",
            id="operacion",
        ),
        pytest.param(
            "Diseño: Elaborar un diagnóstico que permita conocer la problemática",
            "Diseño",
            "Elaborar un diagnóstico que permita conocer la problemática",
            id="diseno",
        ),
        pytest.param(
            "Resultados: Captar información oportuna y de calidad",
            "Resultados",
            "Captar información oportuna y de calidad",
            id="resultados",
        ),
        pytest.param(
            "Planeación: Que el programa cuente con planes estratégicos",
            "Planeación",
            "Que el programa cuente con planes estratégicos",
            id="planeacion",
        ),
        pytest.param(
            "diseno : Elaborar un diagnóstico",
            "Diseño",
            "Elaborar un diagnóstico",
            id="known-theme-spelled-loosely-is-written-as-the-catalogue-does",
        ),
        pytest.param(
            "Cobertura y focalización: Ampliar la cobertura",
            "Cobertura y focalización",
            "Ampliar la cobertura",
            id="a-theme-of-several-words",
        ),
    ],
)
def test_it_reads_a_known_theme_before_the_colon(text, theme, statement):
    reading = Reading()

    assert read_theme(text, reading) == (theme, statement)
    assert reading.doubts == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Continuar con el proceso de elaboración de planes estratégicos de corto, mediano y "
            "largo plazo",
            id="continuar-con-el-proceso",
        ),
        pytest.param(
            "Continuar con el proceso de mejora de las Matrices de Indicadores para Resultados "
            "(MIR), documentando la solidez técnica: indicadores y metas.",
            id="a-colon-deep-inside-a-long-sentence",
        ),
        pytest.param("Integración de una Agenda de Evaluación 2010: Durante", id="digits-before"),
        pytest.param("Diseño:", id="a-theme-without-statement"),
        pytest.param("", id="empty"),
    ],
)
def test_a_text_without_a_theme_prefix_is_all_statement(text):
    reading = Reading()

    assert read_theme(text, reading) == (None, text)
    assert reading.doubts == []


@pytest.mark.parametrize(
    ("text", "theme", "statement"),
    [
        pytest.param("Tema raro: Mejorar algo", "Tema raro", "Mejorar algo", id="two-words"),
        pytest.param("Nota: Mejorar algo", "Nota", "Mejorar algo", id="one-word"),
    ],
)
def test_an_unknown_short_prefix_is_taken_as_theme_with_a_doubt(text, theme, statement):
    reading = Reading()

    assert read_theme(text, reading) == (theme, statement)
    assert kinds(reading) == ["unknown_theme"]
    assert f"«{theme}» no es un tema conocido" in reading.doubts[0][1]
