"""An institution's catalogue of areas: loading it, and reading it for the parsers."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from mejora.annex.areas import AreaCatalogue, AreaName, area_key
from mejora.followup.history import change_record
from mejora.followup.models import Area, ChangeRecord, Institution


def catalogue_for(institution: Institution | None) -> AreaCatalogue:
    """The parser's view of an institution's areas (empty for an unknown institution)."""
    if institution is None:
        return AreaCatalogue()
    return AreaCatalogue(
        AreaName(area.name, area.acronym, tuple(area.aliases))
        for area in Area.objects.filter(institution=institution).order_by("id")
    )


@transaction.atomic
def areas_load(
    *, institution_name: str, acronym: str, areas: Iterable[AreaName], actor=None, source: str
) -> Institution:
    """Create the institution and the areas it lacks; known areas are left as they are."""
    institution, created = Institution.objects.get_or_create(
        name=institution_name, defaults={"acronym": acronym}
    )
    changes = []
    if created:
        changes.append(
            change_record(
                action=ChangeRecord.Action.CREATE, obj=institution, actor=actor, source=source
            )
        )
    known = {
        area_key(spelling)
        for area in Area.objects.filter(institution=institution)
        for spelling in (area.name, area.acronym, *area.aliases)
        if spelling
    }
    for entry in areas:
        if area_key(entry.name) in known:
            continue
        area = Area(
            institution=institution,
            name=entry.name,
            acronym=entry.acronym,
            aliases=list(entry.aliases),
        )
        area.full_clean()
        area.save()
        known.update(area_key(s) for s in entry.spellings() if s)
        changes.append(
            change_record(action=ChangeRecord.Action.CREATE, obj=area, actor=actor, source=source)
        )
    ChangeRecord.objects.bulk_create(changes)
    return institution
