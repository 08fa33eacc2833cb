"""The oversight balance: CONEVAL's 2018-2019 figures from records, and each rule on its own."""

import datetime as dt

import pytest

from mejora.accounts.access import aspects_for_user
from mejora.accounts.models import Role
from mejora.followup.models import Aspect
from mejora.stats.balance import AspectFacts, Headline, balance_of, cycle_balance, cycle_headline
from mejora.stats.charts import percent
from tests.factories import ActivityFactory, AspectFactory, CycleFactory, member
from tests.stats import coneval

AS_OF = dt.date(2019, 3, 31)


@pytest.fixture
def record(db):
    return coneval.build()


def test_coneval_2018_2019_balance_from_the_records(record):
    result = cycle_balance(Aspect.objects.all(), cycle=record.cycle, as_of=AS_OF)
    balance = result.balance
    assert balance.total == 243
    assert (balance.institutions, balance.programs) == (12, 103)
    assert [(t.label, t.total) for t in balance.by_classification] == [
        ("específico", 182),
        ("institucional", 56),
        ("interinstitucional", 4),
        ("intergubernamental", 1),
    ]
    assert (balance.concluded, balance.counted) == (188, 238)
    assert percent(balance.compliance_rate) == "79%"
    kinds = {s.label: (s.count, percent(s.percent)) for s in balance.by_change_kind}
    assert kinds["corregir actividades o procesos"] == (138, "73.4%")
    assert kinds["modificar apoyos"] == (11, "5.9%")
    assert kinds["reorientación sustancial"] == (34, "18.1%")
    assert sum(s.count for s in balance.by_change_kind) == 188


def test_the_previous_cycle_stands_beside_it(record):
    result = cycle_balance(Aspect.objects.all(), cycle=record.cycle, as_of=AS_OF)
    assert result.previous.total == 10
    assert percent(result.previous.compliance_rate) == "70%"
    rows = {c.label: c for c in result.comparison}
    assert (rows["ASM"].current, rows["ASM"].previous) == (243, 10)
    assert rows["Cumplimiento"].difference == 9.0


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2019, 10, 1), dt.date(2018, 6, 30)])
def test_a_cycle_s_headline_counted_by_the_database_is_its_balance_s(record, as_of):
    reader = member(Role.OVERSIGHT, institution=record.institutions[0])
    for aspects in (Aspect.objects.all(), aspects_for_user(reader)):
        for cycle in (record.cycle, record.previous):
            balance = cycle_balance(aspects, cycle=cycle, as_of=as_of).balance
            headline = cycle_headline(aspects, cycle=cycle, as_of=as_of)
            assert headline == Headline(
                str(cycle),
                balance.total,
                balance.institutions,
                balance.programs,
                balance.by_classification,
                balance.counted,
                balance.concluded,
            )


def test_a_later_date_counts_what_concluded_since(record):
    later = cycle_balance(Aspect.objects.all(), cycle=record.cycle, as_of=dt.date(2019, 10, 1))
    # The ASM concluded in September and the one registered in June join the count.
    assert later.balance.total == 244
    assert later.balance.concluded == 190


def test_a_reader_of_one_institution_gets_its_balance_only(record):
    reader = member(Role.OVERSIGHT, institution=record.institutions[0])
    mine = cycle_balance(aspects_for_user(reader), cycle=record.cycle, as_of=AS_OF).balance
    assert mine.institutions == 1
    assert [c.label for c in mine.by_institution] == ["Dependencia 01"]
    overseer = member(Role.OVERSIGHT)
    assert (
        cycle_balance(aspects_for_user(overseer), cycle=record.cycle, as_of=AS_OF).balance.total
        == 243
    )


def test_an_aspect_without_activities_is_not_concluded(db):
    cycle = CycleFactory()
    AspectFactory(cycle=cycle, registered_on=dt.date(2011, 1, 1))
    done = AspectFactory(cycle=cycle, registered_on=dt.date(2011, 1, 1))
    activity = ActivityFactory(aspect=done, order=1)
    activity.reports.create(cut=coneval.CutFactory(), percent=100, state="validated")
    balance = cycle_balance(Aspect.objects.all(), cycle=cycle, as_of=dt.date(2012, 3, 31)).balance
    assert (balance.concluded, balance.counted) == (1, 2)


def _facts(institution, program, classification="especifico", concluded=False, **other):
    values = {"priority": "", "theme": "", "change_kind": ""} | other
    return AspectFacts(institution, program, classification, concluded=concluded, **values)


def test_compliance_per_institution_and_program_counts_only_the_ones_they_resolve():
    facts = [
        _facts("Salud", "S1 Vacunación", concluded=True),
        _facts("Salud", "S1 Vacunación", "institucional", concluded=True),
        _facts("Salud", "S2 Hospitales"),
        _facts("Salud", "S2 Hospitales", "interinstitucional", concluded=True),
        _facts("Bienestar", "B1 Pensiones", concluded=True),
    ]
    balance = balance_of(facts, cycle="2018", as_of=AS_OF)
    assert [(c.label, c.concluded, c.counted, c.rate) for c in balance.by_institution] == [
        ("Bienestar", 1, 1, 100.0),
        ("Salud", 2, 3, pytest.approx(66.667, abs=0.001)),
    ]
    assert [(c.label, c.institution, c.rate) for c in balance.by_program] == [
        ("B1 Pensiones", "Bienestar", 100.0),
        ("S1 Vacunación", "Salud", 100.0),
        ("S2 Hospitales", "Salud", 0.0),
    ]


def test_priorities_and_themes_keep_their_order_and_name_what_is_missing():
    facts = [
        _facts("A", "P", priority="baja", theme="Operación"),
        _facts("A", "P", priority="alta", theme=""),
        _facts("A", "P", priority="", theme="Diseño", concluded=True),
    ]
    balance = balance_of(facts, cycle="2018", as_of=AS_OF)
    assert [(t.label, t.total) for t in balance.by_priority] == [
        ("alta", 1),
        ("baja", 1),
        ("sin prioridad", 1),
    ]
    assert [(t.label, t.total, t.concluded) for t in balance.by_theme] == [
        ("Diseño", 1, 1),
        ("Operación", 1, 0),
        ("sin tema", 1, 0),
    ]
    # Every classification is listed, even at zero, so two balances line up.
    assert [t.total for t in balance.by_classification] == [3, 0, 0, 0]


def test_an_empty_balance_has_no_rate_rather_than_a_division_by_zero():
    balance = balance_of([], cycle="2018", as_of=AS_OF)
    assert balance.total == 0
    assert balance.compliance_rate is None
    assert {(s.count, s.percent) for s in balance.by_change_kind} == {(0, None)}


def test_the_report_asked_again_draws_none_of_its_charts_again(drawn):
    from mejora.stats.balance import CycleBalance
    from mejora.stats.balance_report import balance_report

    facts = [
        _facts("Salud", "S1", concluded=True, change_kind="corregir"),
        _facts("Salud", "S2", concluded=True, change_kind=""),
        _facts("Salud", "S2"),
    ]
    result = CycleBalance(balance_of(facts, cycle="2018", as_of=AS_OF), None)
    first = balance_report(result)
    assert "ASM concluidos por tipo de cambio" in drawn
    made = len(drawn)
    again = balance_report(result)
    assert len(drawn) == made  # every chart, the one labelled with counts and shares too
    assert [s.chart for s in again.sections] == [s.chart for s in first.sections]
