"""Synthetic records for benchmarks, loaded through the same import as real annexes."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext as _

from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import PartialDate, Precision
from mejora.annex.synth import (
    AREAS,
    CHANGE_KINDS,
    CLASSIFICATIONS,
    INSTITUTIONS,
    JUSTIFICATIONS,
    OBJECTS,
    PRIORITIES,
    PRODUCTS,
    PURPOSES,
    THEMES,
    program_names,
    sentence,
    synth_document,
    weighted,
)
from mejora.followup.facts import facts_note_written
from mejora.followup.history import change_record
from mejora.followup.keeping import kept_once, tallies_note_every
from mejora.followup.models import (
    Activity,
    ActivityArea,
    Area,
    Aspect,
    ChangeRecord,
    Cut,
    Cycle,
    Institution,
    Program,
    ProgressReport,
    Replanning,
)
from mejora.followup.services.catalogue import areas_load
from mejora.followup.services.imports import ImportSummary, annex_import
from mejora.search.indexing import index_rebuild

SYNTH_SOURCE = "datos sintéticos"


@transaction.atomic
def synth_load(*, aspects: int, seed: int = 2012) -> ImportSummary:
    """One program with `aspects` ASM (about three activities each) and some replannings."""
    document = synth_document(aspects=aspects, seed=seed)
    areas_load(
        institution_name=document.institution,
        acronym="SEDESOL",
        areas=AREAS,
        source=SYNTH_SOURCE,
    )
    summary = annex_import(
        document=document,
        file_name=f"sintetico-{aspects}-{seed}.txt",
        sha256=f"{seed:064d}"[-64:],
        file_format="txt",
        source=SYNTH_SOURCE,
    )
    _replan_some(summary, random.Random(seed))
    return summary


def _replan_some(summary: ImportSummary, rng: random.Random) -> None:
    """A tenth of the unfinished activities got a justified new date, as real programs do."""
    activities = Activity.objects.filter(aspect__program=summary.program).exclude(
        reports__percent=100
    )
    replannings = []
    for activity in activities.only("id", "due_on", "due_precision", "due_text"):
        if rng.random() >= 0.1 or activity.due is None:
            continue
        new_due = PartialDate(activity.due.year + 1, activity.due.month, text="")
        replanning = Replanning(
            activity=activity,
            justification="Se reprogramó por cambios en las Reglas de Operación del ejercicio.",
        )
        replanning.previous_due = activity.due
        replanning.new_due = PartialDate(
            new_due.year, new_due.month, text=f"{new_due.month:02d}/{new_due.year}"
        )
        replannings.append(replanning)
    Replanning.objects.bulk_create(replannings)
    facts_note_written(replannings)
    ChangeRecord.objects.bulk_create(
        change_record(action=ChangeRecord.Action.CREATE, obj=r, source=SYNTH_SOURCE)
        for r in replannings
    )


@dataclass
class GovernmentSummary:
    """What `synth_government` wrote, row by row."""

    institutions: int = 0
    programs: int = 0
    cycles: int = 0
    cuts: int = 0
    aspects: int = 0
    activities: int = 0
    area_roles: int = 0
    reports: int = 0
    replannings: int = 0


class SynthRefused(ValueError):
    """The record already holds these synthetic programs: generating them again would clash."""


# Programs written together: a few thousand rows per insert, memory flat whatever the scale.
_PROGRAMS_PER_STEP = 10


def synth_government(
    *,
    programs: int,
    cycles: int,
    seed: int = 2012,
    progress: Callable[[int, int], None] | None = None,
) -> GovernmentSummary:
    """Every federal program over `cycles` mechanism years: the size the pages must bear.

    About 11 ASM per program and cycle, 3 activities each and 2 reports each (so 300 programs
    over 15 cycles give some 50,000 ASM, 150,000 activities and 300,000 reports), spread over
    the institutions unevenly as the budget is, with the classifications, priorities and kinds
    of change of CONEVAL's balance, activities concluded, late, replanned, and the latest cut
    open with reports sent and still in draft.

    Written with bulk inserts, the search index built once at the end, and one history row
    per institution, program, area, cycle and cut but none per ASM, activity or report:
    nobody made those changes, so a row per record would trace nothing while doubling what
    is written; the source of every catalogue row says the whole set is synthetic.
    """
    # All or nothing; the kept facts and tallies written once at the end, for every program.
    with transaction.atomic(), kept_once():
        summary = _synth_government(programs=programs, cycles=cycles, seed=seed, progress=progress)
    # The planner's statistics for the tables just filled, as after any bulk load: without
    # them PostgreSQL plans a page's queries for empty tables (five times slower at 300
    # programs) until autovacuum happens to look. On PostgreSQL, once committed (a caller's
    # transaction forbids it), the tables are vacuumed too, as autovacuum would after the
    # load: until the visibility map is set, an index-only scan visits the table for every
    # row (twice as slow a walk).
    vacuum = (
        connection.vendor == "postgresql"
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    return summary


def _synth_government(
    *, programs: int, cycles: int, seed: int, progress: Callable[[int, int], None] | None
) -> GovernmentSummary:
    rng = random.Random(seed)
    if not 1 <= cycles <= 40 or programs < 1:
        raise SynthRefused(_("Se necesitan al menos 1 programa y de 1 a 40 ciclos."))
    summary = GovernmentSummary()
    history: list[ChangeRecord] = []

    def created(objects: list) -> list:
        history.extend(
            change_record(action=ChangeRecord.Action.CREATE, obj=o, source=SYNTH_SOURCE)
            for o in objects
        )
        return objects

    institutions = _institutions(rng, created)
    summary.institutions = len(institutions)
    years = list(range(2008, 2008 + cycles))
    cycle_rows = _cycles(years, created)
    summary.cycles = len(cycle_rows)
    cuts = _cuts(years, created)
    summary.cuts = len(cuts)
    areas = {
        institution.pk: created(
            Area.objects.bulk_create(
                Area(institution=institution, name=a.name, acronym=a.acronym) for a in AREAS
            )
        )
        for institution in institutions
    }
    weights = [1 / (rank + 1) ** 0.7 for rank in range(len(institutions))]
    program_rows = [
        Program(institution=rng.choices(institutions, weights)[0], key=key, name=name)
        for key, name in program_names(rng, programs)
    ]
    clash = Program.objects.filter(name__in=[p.name for p in program_rows]).exists()
    if clash:
        raise SynthRefused(
            _("La base ya tiene programas sintéticos: genere los datos en una base vacía.")
        )
    created(Program.objects.bulk_create(program_rows))
    summary.programs = len(program_rows)
    ChangeRecord.objects.bulk_create(history)
    for start in range(0, len(program_rows), _PROGRAMS_PER_STEP):
        step = program_rows[start : start + _PROGRAMS_PER_STEP]
        _write_programs(rng, step, cycle_rows, cuts, areas, summary)
        if progress:
            progress(start + len(step), len(program_rows))
    # Bulk inserts write no history, so nothing told the search index: it is built once.
    index_rebuild(with_duplicates=False)
    return summary


def _institutions(rng: random.Random, created: Callable) -> list[Institution]:
    known = {i.name: i for i in Institution.objects.filter(name__in=[n for n, _ in INSTITUTIONS])}
    new = [Institution(name=n, acronym=a) for n, a in INSTITUTIONS if n not in known]
    created(Institution.objects.bulk_create(new))
    rows = [known.get(n) or next(i for i in new if i.name == n) for n, _ in INSTITUTIONS]
    if known:  # areas are made for new institutions only; their own catalogues stay
        rows = [i for i in rows if i.name not in known]
    if not rows:
        raise SynthRefused(
            _("La base ya tiene las dependencias sintéticas: genere los datos en una base vacía.")
        )
    return rows


def _cycles(years: list[int], created: Callable) -> dict[int, Cycle]:
    rows = {}
    for year in years:
        period = f"{year - 1}-{year}"
        cycle = Cycle.objects.filter(mechanism_year=year, evaluation_period=period).first()
        if cycle is None:
            cycle = Cycle.objects.create(
                mechanism_year=year, evaluation_period=period, heading=f"Mecanismo {year}"
            )
            created([cycle])
        rows[year] = cycle
    return rows


def _cuts(years: list[int], created: Callable) -> list[Cut]:
    """March and September of every year from the first mechanism to a year past the last;
    the latest one open, unless the record already has an open cut."""
    dates = [
        dt.date(year, month, 31 if month == 3 else 30)
        for year in range(years[0], years[-1] + 2)
        for month in (3, 9)
    ]
    known = {c.date: c for c in Cut.objects.filter(date__in=dates)}
    new = [
        Cut(date=d, name=f"{MONTH_NAMES[d.month - 1]} {d.year}", deadline=d + dt.timedelta(days=30))
        for d in dates
        if d not in known
    ]
    if new and not Cut.objects.filter(state=Cut.State.OPEN).exists():
        new[-1].state = Cut.State.OPEN
    created(Cut.objects.bulk_create(new))
    if new:  # inserted in bulk, which no receiver hears
        tallies_note_every(min(c.date for c in new))
    return sorted([*known.values(), *new], key=lambda c: c.date)


def _write_programs(
    rng: random.Random,
    programs: list[Program],
    cycles: dict[int, Cycle],
    cuts: list[Cut],
    areas: dict[int, list[Area]],
    summary: GovernmentSummary,
) -> None:
    """The ASM of some programs over every cycle, their activities, areas and reports."""
    plans: list[tuple[Aspect, list[_ActivityPlan]]] = []
    for program in programs:
        for year, cycle in cycles.items():
            # Not every program is evaluated every year; some get many ASM.
            count = rng.choice((0, 4, 6, 8, 11, 12, 13, 15, 17, 25))
            for number in range(1, count + 1):
                plans.append(_aspect_plan(rng, program, cycle, year, number, cuts))
    all_plans = [plan for _, activity_plans in plans for plan in activity_plans]
    roles, reports, replannings = [], [], []
    for plan in all_plans:
        institution_areas = areas[plan.activity.aspect.program.institution_id]
        coordinating, *responsible = rng.sample(institution_areas, 1 + rng.choice((1, 1, 1, 2)))
        written = {
            a.pk: a.acronym if rng.random() < 0.5 else a.name for a in (coordinating, *responsible)
        }
        plan.activity.coordinating_text = written[coordinating.pk]
        plan.activity.responsible_text = " y ".join(written[a.pk] for a in responsible)
        for role, chosen in (
            (ActivityArea.Role.COORDINATING, [coordinating]),
            (ActivityArea.Role.RESPONSIBLE, responsible),
        ):
            roles.extend(
                ActivityArea(
                    activity=plan.activity,
                    area=area,
                    role=role,
                    position=position,
                    written_as=written[area.pk],
                )
                for position, area in enumerate(chosen, start=1)
            )
        for report in plan.reports:
            report.activity = plan.activity
            reports.append(report)
        if plan.replanning is not None:
            plan.replanning.activity = plan.activity
            replannings.append(plan.replanning)
    aspects = Aspect.objects.bulk_create(aspect for aspect, _ in plans)
    activities = Activity.objects.bulk_create(plan.activity for plan in all_plans)
    ActivityArea.objects.bulk_create(roles, batch_size=5000)
    ProgressReport.objects.bulk_create(reports, batch_size=5000)
    Replanning.objects.bulk_create(replannings)
    facts_note_written(activities)
    summary.aspects += len(aspects)
    summary.activities += len(activities)
    summary.area_roles += len(roles)
    summary.reports += len(reports)
    summary.replannings += len(replannings)


@dataclass
class _ActivityPlan:
    activity: Activity
    reports: list[ProgressReport]
    replanning: Replanning | None


def _aspect_plan(
    rng: random.Random, program: Program, cycle: Cycle, year: int, number: int, cuts: list[Cut]
) -> tuple[Aspect, list[_ActivityPlan]]:
    theme = rng.choice(THEMES)
    statement = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
    registered = dt.date(year, 4, 30)
    aspect = Aspect(
        program=program,
        cycle=cycle,
        number=str(number),
        text=f"{theme}: {statement}" if theme else statement,
        theme=theme,
        statement=statement,
        classification=weighted(rng, CLASSIFICATIONS),
        priority=weighted(rng, PRIORITIES),
        registered_on=registered,
    )
    # The cuts an ASM of this year reports at: from the September after it was registered.
    later = [c for c in cuts if c.date > registered]
    plans = [
        _activity_plan(rng, aspect, order, year, later)
        for order in range(1, rng.choice((1, 2, 3, 3, 3, 4, 5)) + 1)
    ]
    if all(p.reports and p.reports[-1].percent == 100 for p in plans):
        aspect.change_kind = weighted(rng, CHANGE_KINDS)
    return aspect, plans


def _activity_plan(
    rng: random.Random, aspect: Aspect, order: int, year: int, cuts: list[Cut]
) -> _ActivityPlan:
    due = dt.date(year + rng.choice((0, 1, 1, 2)), rng.randint(1, 12), rng.randint(1, 28))
    precision = rng.random()
    if precision < 0.7:
        due_text = f"{due.day:02d}/{due.month:02d}/{due.year}"
        due_columns = {"due_on": due, "due_precision": "day", "due_text": due_text}
    else:
        month_end = PartialDate(due.year, due.month)
        due_text = f"{MONTH_NAMES[due.month - 1]} {due.year}"
        due_columns = {"due_on": month_end.start, "due_precision": "month", "due_text": due_text}
    activity = Activity(
        aspect=aspect,
        order=order,
        text=f"{order}. {sentence(rng)}",
        expected_results=f"Contar con {rng.choice(OBJECTS)} {rng.choice(PURPOSES)}",
        deliverable=rng.choice(PRODUCTS),
        **due_columns,
    )
    # Most activities end; some stall below 100 and fall overdue once their date passes.
    concludes = rng.random() < 0.78
    reported = cuts[: rng.choice((1, 1, 1, 2, 2, 2, 3, 4))]
    reports = []
    percent = 0
    for position, cut in enumerate(reported, start=1):
        step = rng.choice((10, 20, 25, 50))
        percent = 100 if concludes and position == len(reported) else min(90, percent + step)
        state = ProgressReport.State.VALIDATED
        if cut.state == Cut.State.OPEN:
            state = rng.choice((ProgressReport.State.SUBMITTED, ProgressReport.State.DRAFT))
        report = ProgressReport(
            cut=cut,
            percent=percent,
            justification=f"Porcentaje de avance: {percent}%. {rng.choice(JUSTIFICATIONS)}",
            proof_text=f"{rng.choice(PRODUCTS).replace(' ', '_')}_{cut.date.year}.pdf",
            observations=rng.choice(("", "", "", "La fecha dependió de los tiempos de la SHCP.")),
            state=state,
        )
        if percent == 100:
            report.concluded_on = cut.date.replace(day=1)
            report.concluded_precision = "month"
            report.concluded_text = f"{MONTH_NAMES[cut.date.month - 1]} de {cut.date.year}"
        reports.append(report)
    replanning = None
    if percent < 100 and reported and rng.random() < 0.3:
        replanning = Replanning(
            cut=reported[-1],
            justification="Se reprogramó por cambios en las Reglas de Operación del ejercicio.",
        )
        replanning.previous_due = PartialDate.of(
            due, Precision(due_columns["due_precision"]), due_text
        )
        new = due.replace(year=due.year + 1)
        replanning.new_due = PartialDate(new.year, new.month, new.day, f"{new:%d/%m/%Y}")
    return _ActivityPlan(activity, reports, replanning)
