"""The program page's list of ASM: filtered, sorted and paginated on the server.

A page holds at most PAGE_SIZE ASM whatever the program's size, and costs the same queries
for ten ASM as for thousands: the filters and the default order are the database's; a
filter by status or an order by progress or lateness reads the facts of the ASM that pass
the other filters (a fixed handful of queries) and applies the pure rules to them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mejora.followup.models import Activity, Aspect, Classification, Cycle, Program
from mejora.followup.selectors import ProgramOverview, activity_facts, program_overview
from mejora.followup.status import Status, aspect_progress, aspect_status, days_late

PAGE_SIZE = 25

# How the list may be sorted: its value in the address and what the selector says.
ORDERS = {
    "numero": _("ciclo y número"),
    "atraso": _("más días de retraso primero"),
    "avance": _("menor avance primero"),
}


@dataclass(frozen=True)
class ListingFilters:
    """What the person asked for, already checked: anything unknown is left out."""

    cycle: int | None = None
    classification: str = ""
    status: str = ""
    text: str = ""
    order: str = "numero"

    @classmethod
    def from_query(cls, query) -> ListingFilters:
        """From the page's address (?ciclo=&tipo=&estado=&q=&orden=); junk is ignored."""
        cycle = query.get("ciclo", "")
        classification = query.get("tipo", "")
        status = query.get("estado", "")
        order = query.get("orden", "")
        return cls(
            cycle=int(cycle) if cycle.isdigit() else None,
            classification=classification if classification in Classification.values else "",
            status=status if status in Status._value2member_map_ else "",
            text=query.get("q", "").strip()[:200],
            order=order if order in ORDERS else "numero",
        )

    def as_query(self) -> dict[str, str]:
        """The filters as the address writes them, for the links between pages."""
        values = {
            "ciclo": str(self.cycle or ""),
            "tipo": self.classification,
            "estado": self.status,
            "q": self.text,
            "orden": "" if self.order == "numero" else self.order,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class ProgramListing:
    overview: ProgramOverview
    page: Page
    total: int  # ASM in the program at the date, before the filters
    cycles: list[Cycle]


def program_listing(
    program: Program,
    as_of: dt.date,
    filters: ListingFilters,
    *,
    page: str | int = 1,
    visible: QuerySet[Activity] | None = None,
) -> ProgramListing:
    """One page of the program's ASM at the date, as the filters and order ask.

    With `visible` (an area's activities), only the ASM holding one of them are listed."""
    registered = Aspect.objects.filter(program=program, registered_on__lte=as_of)
    if visible is not None:
        registered = registered.filter(pk__in=visible.values("aspect_id"))
    chosen = registered
    if filters.cycle:
        chosen = chosen.filter(cycle_id=filters.cycle)
    if filters.classification:
        chosen = chosen.filter(classification=filters.classification)
    if filters.text:
        words = Q(statement__icontains=filters.text) | Q(theme__icontains=filters.text)
        in_activities = Activity.objects.filter(
            aspect__program=program, text__icontains=filters.text
        )
        chosen = chosen.filter(words | Q(pk__in=in_activities.values("aspect_id")))
    if filters.status or filters.order != "numero":
        ids = _ranked(chosen, as_of, filters)
    else:
        ids = chosen.order_by(
            "cycle__mechanism_year", "cycle__evaluation_period", "id"
        ).values_list("pk", flat=True)
    shown = Paginator(ids, PAGE_SIZE).get_page(page)
    page_ids = list(shown.object_list)
    overview = program_overview(
        program, as_of, visible, aspects=Aspect.objects.filter(pk__in=page_ids)
    )
    position = {pk: index for index, pk in enumerate(page_ids)}
    for block in overview.cycles:
        block.aspects.sort(key=lambda item: position[item.aspect.pk])
    overview.cycles.sort(key=lambda block: position[block.aspects[0].aspect.pk])
    cycles = list(
        Cycle.objects.filter(pk__in=registered.values("cycle_id")).order_by(
            "mechanism_year", "evaluation_period"
        )
    )
    unfiltered = chosen is registered
    total = shown.paginator.count if unfiltered else registered.count()
    return ProgramListing(overview, shown, total, cycles)


def _ranked(aspects: QuerySet[Aspect], as_of: dt.date, filters: ListingFilters) -> list[int]:
    """The ASM's ids that have the status asked for, in the order asked for, by the rules."""
    activities = Activity.objects.filter(aspect__in=aspects)
    facts = activity_facts(activities, as_of)
    by_aspect: dict[int, list[int]] = defaultdict(list)
    for activity_id, aspect_id in activities.order_by("aspect_id", "order").values_list(
        "id", "aspect_id"
    ):
        by_aspect[aspect_id].append(activity_id)
    ranked = []
    order = aspects.order_by("cycle__mechanism_year", "cycle__evaluation_period", "id")
    for sequence, aspect_id in enumerate(order.values_list("pk", flat=True)):
        mine = [facts[i] for i in by_aspect[aspect_id]]
        statuses = [f.status(as_of) for f in mine]
        progress = aspect_progress(f.percent for f in mine)
        if filters.status and aspect_status(statuses, progress).value != filters.status:
            continue
        late = max(
            (
                days_late(percent=f.percent, due=f.due, replanned=f.replanned, as_of=as_of)
                for f in mine
            ),
            default=0,
        )
        key = {"atraso": (-late, sequence), "avance": (progress, sequence)}.get(
            filters.order, (sequence,)
        )
        ranked.append((key, aspect_id))
    return [aspect_id for _, aspect_id in sorted(ranked)]
