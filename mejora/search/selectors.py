"""Reads of the index and of the near-duplicate pairs, always within the reader's reach."""

from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from mejora.accounts.access import (
    activities_for_user,
    aspects_for_user,
    records_for_user,
    whole_programs_for_user,
)
from mejora.followup.models import Aspect
from mejora.followup.permissions import Action
from mejora.search.indexing import stemmed_unaccented_tsquery
from mejora.search.models import Kind, NearDuplicate, SearchEntry
from mejora.search.text import WORD, fts5_query

MAX_QUERY_WORDS = 12

# Entries that belong to an activity: the activity itself, its reports and their evidence.
_OF_ACTIVITIES = (Kind.ACTIVITY, Kind.JUSTIFICATION, Kind.OBSERVATION, Kind.EVIDENCE)


def _within(ids: QuerySet, field: str, kinds: Q) -> Q:
    # A reach over the whole record is an unfiltered queryset: no subquery is needed then.
    return kinds if not ids.query.where else kinds & Q(**{f"{field}__in": ids.values("pk")})


def entries_for_user(user) -> QuerySet[SearchEntry]:
    """The entries a person may read: an ASM they reach, an activity they reach (with its
    reports and evidence), a recommendation of a program they reach whole."""
    if not user.is_authenticated or not user.is_active:
        return SearchEntry.objects.none()
    reaches = (
        (aspects_for_user(user), "aspect_id", Q(kind=Kind.ASPECT)),
        (activities_for_user(user), "activity_id", Q(kind__in=_OF_ACTIVITIES)),
        (whole_programs_for_user(user), "program_id", Q(kind=Kind.RECOMMENDATION)),
    )
    if not any(ids.query.where for ids, _field, _kinds in reaches):
        return SearchEntry.objects.all()  # the whole record: no filter at all
    reach = Q(pk__in=[])
    for ids, field, kinds in reaches:
        reach |= _within(ids, field, kinds)
    return SearchEntry.objects.filter(reach)


def _words(query: str) -> list[str]:
    return list(dict.fromkeys(WORD.findall(query)))[:MAX_QUERY_WORDS]


# A word's two readings (see indexing.POSTGRES_DOCUMENT): with accents folded before
# stemming, and stemmed then folded.
_FOLDED = "plainto_tsquery('spanish_unaccent', %s)"
_STEMMED = stemmed_unaccented_tsquery("%s")
# Either reading, or the one when both are the same (most words): an OR of a term with itself
# makes the planner count its matches twice, and a word matching 20,000 entries, taken for
# 40,000, was counted by reading the table instead of its index (three times as long).
_EITHER = f"(CASE WHEN {_FOLDED} = {_STEMMED} THEN {_FOLDED} ELSE {_FOLDED} || {_STEMMED} END)"


def _postgres_query(query: str) -> str:
    """A tsquery needing every word, each word as either of its two readings: 'evaluacion'
    typed without its accent still finds 'evaluación', and 'evaluaciones' finds it too.

    Built by the database once and handed back as a constant: as an expression its
    functions are no constants to the planner, which then parsed the words again for each
    row it checked (a millisecond more per 1,000 newest entries walked); as a subquery it
    guessed how many entries match without the words' statistics, and read the whole index
    for a word one entry in six holds where reading the table stops at the thousandth match."""
    words = _words(query)
    either = " && ".join([_EITHER] * len(words))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({either})::text", [w for word in words for w in [word] * 5])
        return cursor.fetchone()[0]


def search_for_user(user, query: str) -> QuerySet[SearchEntry]:
    """The entries within the person's reach that match every word of the query (stems and
    accents aside), the best first; none for a query without words."""
    entries = entries_for_user(user)
    if not _words(query):
        return entries.none()
    if connection.vendor == "postgresql":
        tsquery = _postgres_query(query)
        return entries.extra(
            where=["search_searchentry.document @@ %s::tsquery"],
            params=[tsquery],
            select={"rank": "ts_rank(search_searchentry.document, %s::tsquery)"},
            select_params=[tsquery],
            order_by=["-rank", "id"],
        )
    return entries.extra(
        tables=["search_fts"],
        where=["search_fts.rowid = search_searchentry.id", "search_fts MATCH %s"],
        params=[fts5_query(" ".join(_words(query)))],
        select={"rank": "search_fts.rank"},
        order_by=["rank", "id"],
    )


def near_duplicates_for_user(user) -> QuerySet[NearDuplicate]:
    """Pairs of ASM that nearly repeat each other, both of them within what the person may
    register links for (the evaluation unit's programs), not yet linked, most alike first."""
    reach = records_for_user(Aspect, user, Action.REGISTER, through_areas=False).values("pk")
    return (
        NearDuplicate.objects.filter(aspect_id__in=reach, other_id__in=reach)
        .exclude(aspect__links__related=F("other"))
        .exclude(aspect__linked_from__aspect=F("other"))
        .select_related("aspect__cycle", "aspect__program", "other__cycle", "other__program")
        .order_by("-similarity", "aspect_id", "other_id")
    )


def link_direction(pair: NearDuplicate) -> tuple[Aspect, Aspect]:
    """Which ASM of a pair continues or duplicates the other: the later one (by mechanism
    year, then by registration) points to the earlier."""

    def when(aspect: Aspect) -> tuple[int, object, int]:
        return (aspect.cycle.mechanism_year, aspect.registered_on, aspect.pk)

    first, second = sorted((pair.aspect, pair.other), key=when)
    return second, first


# Newest first on PostgreSQL, the older matches by an expression, not the column: ordered by
# its primary key, PostgreSQL walks the table backwards checking each row against the query
# instead of reading only the matches its full-text index finds (560 ms for a word only old
# records hold, at 570,000 entries).
_NEWEST = ExpressionWrapper(F("pk") + Value(0), output_field=BigIntegerField())
# How many of the newest entries are walked backwards first (PostgreSQL): a word every sixth
# entry holds fills a page from the first hundred-odd (0.3 ms) where sorting its 100,000
# matches took 200 ms; a word they lack costs the walk, a millisecond and a half.
RECENT = 2000


def _newest_ids(results: QuerySet[SearchEntry], part: slice) -> list[int]:
    """The ids of a page of a search's matches, the newest first. SQLite's full-text table
    hands its matches out in the order of their ids, backwards when asked, so a page reads
    its own rows and no more (0.03 ms for a word 20,000 entries hold, against 16 ms sorting
    them all). PostgreSQL's index has no order: the RECENT newest entries are walked first,
    and only when they hold fewer matches than the page needs are the older ones sorted."""
    if connection.vendor != "postgresql":
        newest = results.order_by(RawSQL("search_fts.rowid", ()).desc())
        return list(newest.values_list("pk", flat=True)[part])
    # Read once, a value: as a subquery each of the two statements would find its own, and
    # an entry indexed between them would be on both sides of it, or on neither.
    newest = SearchEntry.objects.order_by("-pk").values_list("pk", flat=True)
    boundary = next(iter(newest[RECENT - 1 : RECENT]), 0)
    recent = results.filter(pk__gte=boundary).order_by("-pk").values_list("pk", flat=True)
    ids = list(recent[: part.stop])
    if len(ids) < part.stop:
        older = results.filter(pk__lt=boundary).order_by(_NEWEST.desc())
        ids += older.values_list("pk", flat=True)[: part.stop - len(ids)]
    return ids[part]


class RankedResults:
    """A search's results for Django's Paginator at a bounded cost: counted up to `cap` (a
    count stops there, however many match), and a page read in two steps, the ids first,
    then only that page's rows. Up to `cap` matches come the most pertinent first; past it
    the newest first, since ranking every match of a broad query costs as much as the
    record is large (the page asks for more words): four queries then, or five when the
    newest entries do not fill the page (`_newest_ids`)."""

    def __init__(self, results: QuerySet[SearchEntry], cap: int) -> None:
        self.results = results
        self.cap = cap
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            # Only the ids: the rank of each match counted is not needed to count it.
            self._count = self.results.order_by().values("pk")[: self.cap + 1].count()
        return min(self._count, self.cap)

    @property
    def more(self) -> bool:
        """Whether more than `cap` entries match (only the first `cap` are offered)."""
        self.count()
        return (self._count or 0) > self.cap

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, part: slice) -> list[SearchEntry]:
        if not isinstance(part, slice):  # a template looks `more` up as a key first
            raise TypeError("RankedResults is read a page (a slice) at a time")
        if self.more:
            ids = _newest_ids(self.results, part)
        else:
            ids = list(self.results.values_list("pk", flat=True)[part])
        rows = self.results.model.objects.select_related("program").in_bulk(ids)
        return [rows[pk] for pk in ids if pk in rows]
