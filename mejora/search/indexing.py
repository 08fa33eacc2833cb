"""Keeping the search index and the near-duplicate pairs current with the record.

The follow-up's change log announces every record written (`records_changed`, on commit);
the entries of those records are written again from what is committed, and an ASM whose
text changed has its duplicates found again: at once for a person's edit, by a worker for
an import's thousands of rows. `index_rebuild` does it for everything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from mejora.followup.models import Activity, Aspect, Evidence, ProgressReport, Recommendation
from mejora.search import duplicates
from mejora.search.models import Kind, SearchEntry
from mejora.search.text import clean, indexed_terms

logger = logging.getLogger(__name__)

# Each word of a text in two readings: without accents then stemmed (the `spanish_unaccent`
# configuration), and stemmed then without accents. PostgreSQL's Spanish stemmer takes the
# suffix off 'evaluación' and 'evaluaciones' ('evalu') but not off 'evaluacion', so the
# first reading alone would not find 'evaluación' for 'evaluaciones'.
#
# The second reading is built lexeme by lexeme, each written as tsvector text with its quotes
# and backslashes escaped: unaccent turns some letters into a quote (ʼ, ŉ), and the whole
# tsvector cast back from unaccented text failed to parse ("dʼaccord"): the record could not
# be indexed.
UNACCENTED_LEXEME = r"'''' || replace(replace(unaccent(lexeme), '\', '\\'), '''', '''''') || ''''"
# Of the rows of unnest(tsvector): the lexemes left with letters once unaccented.
_LEXEMES_LEFT = "WHERE unaccent(lexeme) <> ''"
POSTGRES_DOCUMENT = RawSQL(
    "to_tsvector('spanish_unaccent', body) || (SELECT coalesce(string_agg("
    f"{UNACCENTED_LEXEME} || ':' || array_to_string(positions, ','), ' '), '')::tsvector"
    f" FROM unnest(to_tsvector('spanish', body)) {_LEXEMES_LEFT})",
    [],
)


def stemmed_unaccented_tsquery(placeholder: str) -> str:
    """SQL for the tsquery of a text's words stemmed then without accents (the document's
    second reading), every one of them needed."""
    return (
        f"(SELECT coalesce(string_agg({UNACCENTED_LEXEME}, ' & '), '')::tsquery"
        f" FROM unnest(to_tsvector('spanish', {placeholder})) {_LEXEMES_LEFT})"
    )


BATCH = 2000
# The most records a commit indexes itself; more are left to a task on the queue.
INLINE_LIMIT = 300

_TITLE_MAX = SearchEntry._meta.get_field("title").max_length


def _batches(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk


def _entry(kind: str, pk: int, body: str, title: str, program_id: int, **owner: Any) -> SearchEntry:
    body = clean(body).strip()
    return SearchEntry(
        kind=kind,
        object_id=pk,
        program_id=program_id,
        title=title[:_TITLE_MAX],
        body=body,
        terms=indexed_terms(body),
        **owner,
    )


def _aspect_title(aspect_number: str, year: int) -> str:
    return _("ASM %(year)s/%(number)s") % {"year": year, "number": aspect_number}


def _activity_title(number: str, year: int, order: int) -> str:
    return _("%(aspect)s · actividad %(order)s") % {
        "aspect": _aspect_title(number, year),
        "order": order,
    }


def _aspect_entries(ids: list[int]) -> Iterator[SearchEntry]:
    rows = Aspect.objects.filter(pk__in=ids).values_list(
        "pk", "program_id", "number", "cycle__mechanism_year", "text"
    )
    for pk, program_id, number, year, text in rows:
        yield _entry(Kind.ASPECT, pk, text, _aspect_title(number, year), program_id, aspect_id=pk)


def _activity_entries(ids: list[int]) -> Iterator[SearchEntry]:
    rows = Activity.objects.filter(pk__in=ids).values_list(
        "pk", "aspect_id", "aspect__program_id", "aspect__number",
        "aspect__cycle__mechanism_year", "order", "text",
    )  # fmt: skip
    for pk, aspect_id, program_id, number, year, order, text in rows:
        title = _activity_title(number, year, order)
        yield _entry(
            Kind.ACTIVITY, pk, text, title, program_id, aspect_id=aspect_id, activity_id=pk
        )


def _report_entries(ids: list[int]) -> Iterator[SearchEntry]:
    rows = ProgressReport.objects.filter(pk__in=ids).values_list(
        "pk", "activity_id", "activity__order", "activity__aspect_id",
        "activity__aspect__program_id", "activity__aspect__number",
        "activity__aspect__cycle__mechanism_year", "cut__name", "justification", "observations",
    )  # fmt: skip
    for pk, activity_id, order, aspect_id, program_id, number, year, cut, why, notes in rows:
        title = f"{_activity_title(number, year, order)} · {cut}"
        owner = {"aspect_id": aspect_id, "activity_id": activity_id}
        if why.strip():
            yield _entry(Kind.JUSTIFICATION, pk, why, title, program_id, **owner)
        if notes.strip():
            yield _entry(Kind.OBSERVATION, pk, notes, title, program_id, **owner)


def _evidence_entries(ids: list[int]) -> Iterator[SearchEntry]:
    rows = Evidence.objects.filter(pk__in=ids).values_list(
        "pk", "name", "report__activity_id", "report__activity__order",
        "report__activity__aspect_id", "report__activity__aspect__program_id",
        "report__activity__aspect__number", "report__activity__aspect__cycle__mechanism_year",
    )  # fmt: skip
    for pk, name, activity_id, order, aspect_id, program_id, number, year in rows:
        owner = {"aspect_id": aspect_id, "activity_id": activity_id}
        title = _activity_title(number, year, order)
        yield _entry(Kind.EVIDENCE, pk, name, title, program_id, **owner)


def _recommendation_entries(ids: list[int]) -> Iterator[SearchEntry]:
    rows = Recommendation.objects.filter(pk__in=ids).values_list(
        "pk", "text", "reason", "evaluation__program_id", "evaluation__kind", "evaluation__year"
    )
    for pk, text, reason, program_id, kind, year in rows:
        title = _("Recomendación de %(evaluation)s") % {
            "evaluation": f"{kind} {year or ''}".strip()
        }
        body = f"{text}\n{reason}" if reason.strip() else text
        yield _entry(Kind.RECOMMENDATION, pk, body, title, program_id)


# Which entries each model's records give, and the kinds of entry they own.
_SOURCES = {
    "followup.Aspect": (_aspect_entries, (Kind.ASPECT,)),
    "followup.Activity": (_activity_entries, (Kind.ACTIVITY,)),
    "followup.ProgressReport": (_report_entries, (Kind.JUSTIFICATION, Kind.OBSERVATION)),
    "followup.Evidence": (_evidence_entries, (Kind.EVIDENCE,)),
    "followup.Recommendation": (_recommendation_entries, (Kind.RECOMMENDATION,)),
}


def _write(label: str, ids: list[int]) -> None:
    make, kinds = _SOURCES[label]
    SearchEntry.objects.filter(kind__in=kinds, object_id__in=ids).delete()
    entries = [e for e in make(ids) if e.body]
    SearchEntry.objects.bulk_create(entries)
    if connection.vendor == "postgresql" and entries:
        SearchEntry.objects.filter(kind__in=kinds, object_id__in=ids).update(
            document=POSTGRES_DOCUMENT
        )


def index_refresh(changes: dict[str, list[int]]) -> None:
    """Write again the entries of the records named (gone records lose theirs), and find
    again the duplicates of the ASM among them."""
    with transaction.atomic():
        for label, ids in changes.items():
            if label not in _SOURCES:
                continue
            for chunk in _batches(ids):
                _write(label, chunk)
        if "followup.Aspect" in changes:
            duplicates.refresh(changes["followup.Aspect"])


def on_records_changed(sender: Any, *, changes: dict[str, list[int]], **kwargs: Any) -> None:
    """A person's edit is searchable as soon as it is saved; an import's thousands of rows
    are indexed by a worker, so the import is not kept waiting for its index."""
    indexed = {label: ids for label, ids in changes.items() if label in _SOURCES}
    if not indexed:
        return
    if sum(len(ids) for ids in indexed.values()) <= INLINE_LIMIT:
        index_refresh(indexed)
        return
    from mejora.search.tasks import search_refresh_task

    search_refresh_task.enqueue(changes=indexed)


def index_rebuild(*, with_duplicates: bool = True) -> dict[str, int]:
    """The whole index and every near-duplicate pair written again from the record (the
    pairs left as they are without `with_duplicates`: synthetic records, made of a few
    sentences, would all be near-duplicates of each other)."""
    counts: dict[str, int] = {}
    models = {
        "followup.Aspect": Aspect,
        "followup.Activity": Activity,
        "followup.ProgressReport": ProgressReport,
        "followup.Evidence": Evidence,
        "followup.Recommendation": Recommendation,
    }
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for label, model in models.items():
            ids = model.objects.order_by("pk").values_list("pk", flat=True).iterator(BATCH)
            for chunk in _batches(ids):
                make, _kinds = _SOURCES[label]
                entries = [e for e in make(chunk) if e.body]
                SearchEntry.objects.bulk_create(entries)
        if connection.vendor == "postgresql":
            SearchEntry.objects.update(document=POSTGRES_DOCUMENT)
        counts["entries"] = SearchEntry.objects.count()
        counts["pairs"] = duplicates.rebuild() if with_duplicates else 0
    if connection.vendor == "postgresql":
        # The planner's figures, stale after rewriting the whole table, are taken again.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE search_searchentry")
    return counts
