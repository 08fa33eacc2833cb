"""The oversight balance of a cycle, as plain data: what CONEVAL publishes every year.

For the ASM of one cycle registered by a date: how many by classification, priority and theme;
the compliance rate — ASM that concluded all their activities ÷ ASM *específicos* and
*institucionales* (the ones the institution itself can resolve) — overall, per institution
and per program; the concluded ASM by the kind of change they produced; and the same figures
of the previous cycle beside them.

`aspect_facts` asks the database once for one plain row per ASM in the reader's scope;
`balance_of` is a pure function of those rows, so every figure is tested without a database.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mejora.followup.models import Activity, Aspect, Classification, Cycle
from mejora.stats.counting import concluded_spans

# The ASM the institution can resolve itself: the denominator of the compliance rate.
COUNTED = (Classification.SPECIFIC, Classification.INSTITUTIONAL)


@dataclass(frozen=True)
class AspectFacts:
    """One ASM as the balance needs it."""

    institution: str
    program: str
    classification: str
    priority: str
    theme: str
    change_kind: str
    concluded: bool


@dataclass(frozen=True)
class Tally:
    """A group of ASM: how many, and how many of them concluded."""

    label: str
    total: int
    concluded: int


@dataclass(frozen=True)
class Compliance:
    """Concluded ÷ específicos + institucionales of an institution or program (rate in %)."""

    label: str
    institution: str
    counted: int
    concluded: int

    @property
    def rate(self) -> float | None:
        return rate(self.concluded, self.counted)


@dataclass(frozen=True)
class Share:
    """A part of a whole: `count` of `whole` (percent in %)."""

    label: str
    count: int
    whole: int

    @property
    def percent(self) -> float | None:
        return rate(self.count, self.whole)


@dataclass(frozen=True)
class Balance:
    cycle: str
    as_of: dt.date
    total: int
    institutions: int
    programs: int
    by_classification: tuple[Tally, ...]
    by_priority: tuple[Tally, ...]
    by_theme: tuple[Tally, ...]
    counted: int  # específicos + institucionales
    concluded: int  # of those, concluded
    by_institution: tuple[Compliance, ...]
    by_program: tuple[Compliance, ...]
    by_change_kind: tuple[Share, ...]  # of the concluded específicos + institucionales

    @property
    def compliance_rate(self) -> float | None:
        return rate(self.concluded, self.counted)


@dataclass(frozen=True)
class Comparison:
    """One figure of the balance beside the previous cycle's."""

    label: str
    current: float | None
    previous: float | None
    is_percent: bool = False

    @property
    def difference(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 1)


def rate(part: int, whole: int) -> float | None:
    """part ÷ whole in percent (unrounded), None when there is no whole."""
    return part / whole * 100 if whole else None


def balance_of(facts: Iterable[AspectFacts], *, cycle: str, as_of: dt.date) -> Balance:
    """The balance's figures from one row per ASM."""
    rows = list(facts)
    counted = [f for f in rows if f.classification in COUNTED]
    concluded = [f for f in counted if f.concluded]
    change_kinds = Counter(f.change_kind for f in concluded)
    return Balance(
        cycle=cycle,
        as_of=as_of,
        total=len(rows),
        institutions=len({f.institution for f in rows}),
        programs=len({(f.institution, f.program) for f in rows}),
        by_classification=_tallies(rows, "classification", _classification_labels()),
        by_priority=_tallies(rows, "priority", _priority_labels()),
        by_theme=_tallies(rows, "theme", {}),
        counted=len(counted),
        concluded=len(concluded),
        by_institution=_compliance(counted, lambda f: (f.institution, f.institution)),
        by_program=_compliance(counted, lambda f: (f.program, f.institution)),
        by_change_kind=tuple(
            Share(str(label), change_kinds[value], len(concluded))
            for value, label in _change_kind_labels().items()
            if value or change_kinds[value]
        ),
    )


def comparison(current: Balance, previous: Balance) -> list[Comparison]:
    """The headline figures of two cycles side by side."""
    before = {t.label: t.total for t in previous.by_classification}
    return [
        Comparison(_("ASM"), current.total, previous.total),
        *(Comparison(t.label, t.total, before.get(t.label, 0)) for t in current.by_classification),
        Comparison(_("Programas"), current.programs, previous.programs),
        Comparison(_("Dependencias"), current.institutions, previous.institutions),
        Comparison(
            _("ASM concluidos (específicos e institucionales)"),
            current.concluded,
            previous.concluded,
        ),
        Comparison(
            _("Cumplimiento"), current.compliance_rate, previous.compliance_rate, is_percent=True
        ),
    ]


def _tallies(rows: Sequence[AspectFacts], field: str, labels: dict[str, str]) -> tuple[Tally, ...]:
    totals: Counter[str] = Counter()
    done: Counter[str] = Counter()
    for row in rows:
        value = getattr(row, field)
        totals[value] += 1
        done[value] += row.concluded
    # Known values in their own order (every classification, even at 0), then the rest by name.
    order = [v for v in labels if v in totals or v in _ALWAYS.get(field, ())]
    order += sorted((v for v in totals if v not in labels), key=lambda v: (v == "", v.lower()))
    blank = _BLANK.get(field, _("Sin dato"))
    return tuple(Tally(str(labels.get(v) or v or blank), totals[v], done[v]) for v in order)


def _compliance(rows: Sequence[AspectFacts], key) -> tuple[Compliance, ...]:
    counted: Counter[tuple[str, str]] = Counter()
    done: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        counted[key(row)] += 1
        done[key(row)] += row.concluded
    return tuple(
        Compliance(label, institution, counted[(label, institution)], done[(label, institution)])
        for label, institution in sorted(counted, key=lambda k: (k[1].lower(), k[0].lower()))
    )


def _classification_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Classification.choices}


def _priority_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Aspect.Priority.choices} | {"": ""}


def _change_kind_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Aspect.ChangeKind.choices} | {
        "": _("sin tipo de cambio registrado")
    }


_ALWAYS = {"classification": tuple(Classification.values)}
_BLANK = {"priority": gettext_lazy("sin prioridad"), "theme": gettext_lazy("sin tema")}


# -- the database ---------------------------------------------------------------------------


def aspect_facts(aspects: QuerySet[Aspect], *, cycle: Cycle, as_of: dt.date) -> list[AspectFacts]:
    """One row per ASM of the cycle registered by the date, from the given (scoped) queryset.

    An ASM is concluded when it has activities and every one of them is concluded at the date:
    its latest validated report by then says 100 (followup.status's rule, asked of the database
    through stats.counting).
    """

    # Per ASM, its activities and those concluded at the date, each counted by an indexed
    # subquery (stats.counting): asking each activity's whole status took half again as long.
    def per_aspect(rows: QuerySet, path: str) -> Subquery:
        per = rows.filter(**{path: OuterRef("pk")}).order_by().values(path)
        return Subquery(per.annotate(n=Count("pk")).values("n"))

    rows = (
        aspects.filter(cycle=cycle, registered_on__lte=as_of)
        .annotate(
            activities_count=per_aspect(Activity.objects.all(), "aspect"),
            concluded_count=per_aspect(concluded_spans(as_of), "activity__aspect"),
        )
        .values_list(
            "program__institution__name",
            "program__key",
            "program__name",
            "classification",
            "priority",
            "theme",
            "change_kind",
            "activities_count",
            "concluded_count",
        )
        .order_by()
    )
    return [
        AspectFacts(
            institution=institution,
            program=f"{key} {name}".strip(),
            classification=classification,
            priority=priority,
            theme=theme.strip(),
            change_kind=change_kind,
            concluded=bool(activities) and concluded == activities,
        )
        for (
            institution,
            key,
            name,
            classification,
            priority,
            theme,
            change_kind,
            activities,
            concluded,
        ) in rows
    ]


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The cycle just before this one (by mechanism year, then period)."""
    return (
        Cycle.objects.filter(
            Q(mechanism_year__lt=cycle.mechanism_year)
            | Q(mechanism_year=cycle.mechanism_year, evaluation_period__lt=cycle.evaluation_period)
        )
        .order_by("-mechanism_year", "-evaluation_period")
        .first()
    )


@dataclass(frozen=True)
class CycleBalance:
    """A cycle's balance and, when there is one, the previous cycle's at the same date."""

    balance: Balance
    previous: Balance | None

    @property
    def comparison(self) -> list[Comparison]:
        return comparison(self.balance, self.previous) if self.previous else []


def cycle_balance(aspects: QuerySet[Aspect], *, cycle: Cycle, as_of: dt.date) -> CycleBalance:
    """The balance of a cycle over the given (scoped) ASM, with the previous cycle's."""
    facts = aspect_facts(aspects, cycle=cycle, as_of=as_of)
    current = balance_of(facts, cycle=str(cycle), as_of=as_of)
    before = previous_cycle(cycle)
    previous = (
        balance_of(aspect_facts(aspects, cycle=before, as_of=as_of), cycle=str(before), as_of=as_of)
        if before
        else None
    )
    return CycleBalance(current, previous)
