"""CONEVAL's 2018-2019 balance (MECHANISM.md) built as records: 243 ASM from 103 programs of
12 institutions — 182 específicos, 56 institucionales, 4 interinstitucionales, 1
intergubernamental; 188 of the 238 específicos + institucionales concluded all their activities
by March 2019 (79%); of those 188, 138 corrected activities or processes (73.4%), 11 modified
the support given (5.9%), 34 reoriented the program substantially (18.1%), and 5 of other kinds.

Around them, what must not count: ASM concluded only by a report still waiting for review, or
by one after the date; an interinstitucional ASM concluded (outside the rate); an ASM with one
activity done and one not; an ASM registered after the date; and a previous cycle.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from mejora.followup.facts import facts_note_written
from mejora.followup.models import Activity, Aspect, Classification, Cut, Cycle, ProgressReport
from tests.factories import (
    ActivityFactory,
    AspectFactory,
    CutFactory,
    CycleFactory,
    InstitutionFactory,
    ProgramFactory,
)

AS_OF = dt.date(2019, 3, 31)
KIND = Aspect.ChangeKind
# (classification, concluded, change kind, how many)
PLAN = [
    (Classification.SPECIFIC, True, KIND.CORRECT, 106),
    (Classification.SPECIFIC, True, KIND.MODIFY_SUPPORT, 8),
    (Classification.SPECIFIC, True, KIND.REORIENT, 26),
    (Classification.SPECIFIC, True, KIND.ADD_OR_RELOCATE, 3),
    (Classification.SPECIFIC, False, "", 37),  # and the two traps below
    (Classification.INSTITUTIONAL, True, KIND.CORRECT, 32),
    (Classification.INSTITUTIONAL, True, KIND.MODIFY_SUPPORT, 3),
    (Classification.INSTITUTIONAL, True, KIND.REORIENT, 8),
    (Classification.INSTITUTIONAL, True, KIND.SUSPEND, 2),
    (Classification.INSTITUTIONAL, False, "", 11),
    (Classification.INTERINSTITUTIONAL, True, KIND.CORRECT, 2),
    (Classification.INTERINSTITUTIONAL, False, "", 2),
    (Classification.INTERGOVERNMENTAL, False, "", 1),
]
PRIORITIES = itertools.cycle(["alta", "media", "baja"])
THEMES = itertools.cycle(["Diseño", "Operación", "Resultados", "Cobertura"])


@dataclass
class Coneval:
    cycle: Cycle
    previous: Cycle
    cut: Cut
    institutions: list
    programs: list


def build() -> Coneval:
    cycle = CycleFactory(mechanism_year=2018, evaluation_period="2017-2018", heading="2018")
    previous = CycleFactory(mechanism_year=2017, evaluation_period="2016-2017", heading="2017")
    cut = CutFactory(date=AS_OF, name="marzo 2019")
    later = CutFactory(date=dt.date(2019, 9, 30), name="septiembre 2019")
    institutions = [InstitutionFactory(name=f"Dependencia {n:02d}") for n in range(1, 13)]
    programs = [
        ProgramFactory(institution=institutions[n % 12], name=f"Programa {n:03d}", key=f"S{n:03d}")
        for n in range(103)
    ]
    # Built in bulk: 243 ASM one by one cost seconds a test.
    where = itertools.cycle(programs)
    number = itertools.count(1)
    planned = [
        (
            AspectFactory.build(
                program=next(where),
                cycle=cycle,
                number=str(next(number)),
                classification=classification,
                change_kind=kind,
                priority=next(PRIORITIES),
                theme=next(THEMES),
                registered_on=dt.date(2018, 5, 1),
            ),
            concluded,
        )
        for classification, concluded, kind, how_many in PLAN
        for _ in range(how_many)
    ]
    Aspect.objects.bulk_create(aspect for aspect, _ in planned)
    activities = [
        (ActivityFactory.build(aspect=aspect, order=order), percent)
        for aspect, concluded in planned
        for order, percent in ((1, 100), (2, 100 if concluded else 60))
    ]
    Activity.objects.bulk_create(activity for activity, _ in activities)
    ProgressReport.objects.bulk_create(
        ProgressReport(activity=a, cut=cut, percent=p, state=ProgressReport.State.VALIDATED)
        for a, p in activities
    )
    # Inserted in bulk as the importers do, so kept as they keep them.
    facts_note_written(activity for activity, _ in activities)
    traps = [
        AspectFactory(
            program=programs[0],
            cycle=cycle,
            number=f"T{n}",
            classification=Classification.SPECIFIC,
            priority="alta",
            theme="Diseño",
            registered_on=dt.date(2018, 5, 1),
        )
        for n in range(3)
    ]
    # Concluded only by a report not yet validated, and only after the date.
    _report(ActivityFactory(aspect=traps[0], order=1), cut, 100, ProgressReport.State.SUBMITTED)
    _report(ActivityFactory(aspect=traps[1], order=1), later, 100)
    _report(traps[1].activities.get(), cut, 40)
    # Registered after the date: not in the balance at all.
    traps[2].registered_on = dt.date(2019, 6, 1)
    traps[2].save()
    _done(traps[2], cut)
    _previous_cycle(previous, programs, cut)
    return Coneval(cycle, previous, cut, institutions, programs)


def _previous_cycle(previous: Cycle, programs: list, cut: Cut) -> None:
    """Mecanismo 2017: 10 específicos, 7 of them concluded (70%)."""
    for n in range(10):
        aspect = AspectFactory(
            program=programs[n],
            cycle=previous,
            number=str(n + 1),
            classification=Classification.SPECIFIC,
            registered_on=dt.date(2017, 5, 1),
        )
        activity = ActivityFactory(aspect=aspect, order=1)
        _report(activity, cut, 100 if n < 7 else 0)


def _done(aspect: Aspect, cut: Cut) -> Activity:
    activity = ActivityFactory(aspect=aspect, order=1)
    _report(activity, cut, 100)
    return activity


def _report(activity: Activity, cut: Cut, percent: int, state=ProgressReport.State.VALIDATED):
    return ProgressReport.objects.create(activity=activity, cut=cut, percent=percent, state=state)
