"""The oversight balance of a cycle, as plain data: what CONEVAL publishes every year.

For the ASM of one cycle registered by a date: how many by classification, priority and theme;
the compliance rate — ASM that concluded all their activities ÷ ASM *específicos* and
*institucionales* (the ones the institution itself can resolve) — overall, per institution
and per program; the concluded ASM by the kind of change they produced; and the same figures
of the previous cycle beside them.

`aspect_facts` asks the database for one plain row per ASM in the reader's scope;
`balance_of` is a pure function of those rows, so every figure is tested without a database.
The previous cycle gives only the figures set beside the balance's (`cycle_headline`), counted
by the database; tests hold them equal to `balance_of`'s.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mejora.followup.models import Aspect, AspectConclusion, Classification, Cycle, Program

# The ASM the institution can resolve itself: the denominator of the compliance rate.
COUNTED = (Classification.SPECIFIC, Classification.INSTITUTIONAL)


class AspectFacts(NamedTuple):
    """One ASM as the balance needs it (a tuple: a cycle's balance makes thousands)."""

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
class Headline:
    """The figures of a cycle that the comparison sets beside another cycle's."""

    cycle: str
    total: int
    institutions: int
    programs: int
    by_classification: tuple[Tally, ...]
    counted: int
    concluded: int

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
    """The balance's figures from one row per ASM, counted column by column: Counter counts a
    column in C, a few times faster than a Python loop over thousands of rows."""
    rows = list(facts)
    done_rows = [row for row in rows if row.concluded]
    totals = {field: Counter(getattr(row, field) for row in rows) for field in _TALLIED}
    done = {field: Counter(getattr(row, field) for row in done_rows) for field in _TALLIED}
    institutions = {row.institution for row in rows}
    programs = {(row.institution, row.program) for row in rows}
    # By (program, institution): the ASM counted, those concluded, and their kinds of change.
    counted = Counter(
        (row.program, row.institution) for row in rows if row.classification in COUNTED
    )
    concluded = Counter(
        (row.program, row.institution) for row in done_rows if row.classification in COUNTED
    )
    change_kinds = Counter(row.change_kind for row in done_rows if row.classification in COUNTED)
    total = len(rows)
    concluded_total = sum(concluded.values())
    return Balance(
        cycle=cycle,
        as_of=as_of,
        total=total,
        institutions=len(institutions),
        programs=len(programs),
        by_classification=_tallies(totals, done, "classification"),
        by_priority=_tallies(totals, done, "priority"),
        by_theme=_tallies(totals, done, "theme"),
        counted=sum(counted.values()),
        concluded=concluded_total,
        by_institution=_compliance(counted, concluded, lambda key: (key[1], key[1])),
        by_program=_compliance(counted, concluded, lambda key: key),
        by_change_kind=tuple(
            Share(str(label), change_kinds[value], concluded_total)
            for value, label in _change_kind_labels().items()
            if value or change_kinds[value]
        ),
    )


def comparison(current: Balance, previous: Headline) -> list[Comparison]:
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


def _tallies(totals: dict[str, Counter], done: dict[str, Counter], field: str) -> tuple[Tally, ...]:
    """The groups of one field: how many ASM and how many concluded, by its value."""
    labels = _TALLIED[field]()
    of, concluded = totals[field], done[field]
    # Known values in their own order (every classification, even at 0), then the rest by name.
    order = [v for v in labels if v in of or v in _ALWAYS.get(field, ())]
    order += sorted((v for v in of if v not in labels), key=lambda v: (v == "", v.lower()))
    blank = _BLANK.get(field, _("Sin dato"))
    return tuple(Tally(str(labels.get(v) or v or blank), of[v], concluded[v]) for v in order)


def _compliance(counted: Counter, concluded: Counter, group) -> tuple[Compliance, ...]:
    """Compliance by `group` of each (program, institution): (label, institution)."""
    of: Counter[tuple[str, str]] = Counter()
    done: Counter[tuple[str, str]] = Counter()
    for key, n in counted.items():
        of[group(key)] += n
        done[group(key)] += concluded[key]
    return tuple(
        Compliance(label, institution, of[(label, institution)], done[(label, institution)])
        for label, institution in sorted(of, key=lambda k: (k[1].lower(), k[0].lower()))
    )


def _classification_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Classification.choices}


def _priority_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Aspect.Priority.choices} | {"": ""}


def _change_kind_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Aspect.ChangeKind.choices} | {
        "": _("sin tipo de cambio registrado")
    }


# The fields tallied, each with its values' labels in their order (themes have none).
_TALLIED = {
    "classification": _classification_labels,
    "priority": _priority_labels,
    "theme": dict,
}
_ALWAYS = {"classification": tuple(Classification.values)}
_BLANK = {"priority": gettext_lazy("sin prioridad"), "theme": gettext_lazy("sin tema")}


# -- the database ---------------------------------------------------------------------------


def aspect_facts(aspects: QuerySet[Aspect], *, cycle: Cycle, as_of: dt.date) -> list[AspectFacts]:
    """One row per ASM of the cycle registered by the date, from the given (scoped) queryset.

    An ASM is concluded when it has activities and every one of them is concluded at the date:
    its latest validated report by then says 100 (followup.status's rule), asked of the ASM's
    kept conclusions (followup/conclusions.py): one indexed row per ASM, where counting its
    activities and their facts took four times as long.
    """
    rows = list(
        aspects.filter(cycle=cycle, registered_on__lte=as_of)
        .annotate(concluded_then=_concluded_then(as_of))
        .values_list(
            "program_id", "classification", "priority", "theme", "change_kind", "concluded_then"
        )
        .order_by()
    )
    # Each program's names once (a few hundred rows), not joined to each of its ASM.
    programs = {
        pk: (institution, f"{key} {name}".strip())
        for pk, key, name, institution in Program.objects.filter(
            pk__in={row[0] for row in rows}
        ).values_list("pk", "key", "name", "institution__name")
    }
    return [
        AspectFacts(*programs[program], classification, priority, theme.strip(), kind, bool(done))
        for program, classification, priority, theme, kind, done in rows
    ]


def _concluded_then(as_of: dt.date) -> Exists:
    """Whether the outer ASM stands concluded at the date, by its kept conclusions."""
    return Exists(
        AspectConclusion.objects.filter(aspect=OuterRef("pk"), starts__lte=as_of, ends__gt=as_of)
    )


def cycle_headline(aspects: QuerySet[Aspect], *, cycle: Cycle, as_of: dt.date) -> Headline:
    """The headline figures of a cycle's balance, counted by the database: two queries, the
    same whatever the number of ASM (the previous cycle's, beside a balance)."""
    rows = aspects.filter(cycle=cycle, registered_on__lte=as_of).order_by()
    by_classification = rows.values("classification").annotate(
        n=Count("pk"), concluded=Count("pk", filter=Q(_concluded_then(as_of)))
    )
    totals = {"classification": Counter()}
    done = {"classification": Counter()}
    for row in by_classification:
        totals["classification"][row["classification"]] = row["n"]
        done["classification"][row["classification"]] = row["concluded"]
    spread = rows.aggregate(
        institutions=Count("program__institution", distinct=True),
        programs=Count("program", distinct=True),
    )
    return Headline(
        cycle=str(cycle),
        total=sum(totals["classification"].values()),
        institutions=spread["institutions"],
        programs=spread["programs"],
        by_classification=_tallies(totals, done, "classification"),
        counted=sum(totals["classification"][value] for value in COUNTED),
        concluded=sum(done["classification"][value] for value in COUNTED),
    )


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
    previous: Headline | None

    @property
    def comparison(self) -> list[Comparison]:
        return comparison(self.balance, self.previous) if self.previous else []


def cycle_balance(aspects: QuerySet[Aspect], *, cycle: Cycle, as_of: dt.date) -> CycleBalance:
    """The balance of a cycle over the given (scoped) ASM, with the previous cycle's."""
    facts = aspect_facts(aspects, cycle=cycle, as_of=as_of)
    current = balance_of(facts, cycle=str(cycle), as_of=as_of)
    before = previous_cycle(cycle)
    previous = cycle_headline(aspects, cycle=before, as_of=as_of) if before else None
    return CycleBalance(current, previous)
