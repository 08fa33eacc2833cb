"""What every page's navigation shows: how much waits for the person, and where to do it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

from django.core.cache import cache as kept
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mejora.accounts.access import (
    MEMBERSHIP_COLUMNS,
    activities_for_user,
    memberships_allow,
    reports_for_user,
)
from mejora.accounts.models import ROLE_ACTIONS, Action, Membership
from mejora.followup.models import Cut
from mejora.followup.pending_work import (
    PendingCounts,
    RecordGeneration,
    generation_columns,
    pending_counts,
    record_generation,
)
from mejora.followup.services.cuts import open_cut

# The key holds the record's generation, so a count is never served after a change; the
# timeout only bounds what a write around the history (a shell, a bulk load while the site
# serves) would leave behind.
COUNTS_KEPT_FOR = 300

Memberships = tuple[tuple[str, int | None, int | None, int | None], ...]


@dataclass(frozen=True)
class _Person:
    memberships: Memberships
    generation: RecordGeneration | None  # read with the memberships (none without them)


def _person(request: HttpRequest) -> _Person:
    """The person's roles and their scopes, what their actions and the reach of their counts
    rest on, with the record's generation: one query."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return _Person((), None)
    generation = generation_columns()
    rows = list(
        Membership.objects.filter(user=user)
        .order_by("pk")
        .annotate(**generation)
        .values_list(*MEMBERSHIP_COLUMNS, *generation)
    )
    return _Person(
        tuple(row[:4] for row in rows), RecordGeneration.of(rows[0][4:]) if rows else None
    )


def _actions(request: HttpRequest, memberships: Memberships) -> frozenset[str]:
    """Every action any of the person's memberships allows."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Action.values)
    return frozenset().union(*(ROLE_ACTIONS[role] for role, *_ in memberships))


def _key(request: HttpRequest, memberships: Memberships, generation: RecordGeneration) -> str:
    """One person's counts at one generation: another person, or the same one with other
    memberships, has another key."""
    user = request.user
    person = (user.pk, user.is_superuser, memberships, generation)
    return "pending-counts:" + hashlib.sha256(repr(person).encode()).hexdigest()


def _counts(request: HttpRequest, actions: frozenset[str], person: _Person) -> PendingCounts | None:
    user = request.user
    if not user.is_authenticated:
        return None
    captures = Action.CAPTURE in actions
    reviews = Action.REVIEW in actions
    # Roles that can neither capture nor review have nothing waiting: no query is spent.
    if not (captures or reviews):
        return PendingCounts(capture=0, fix=0, review=0)
    # A superuser may hold no membership to read the generation with.
    generation = person.generation if person.memberships else record_generation()
    key = _key(request, person.memberships, generation) if generation else None
    counts = kept.get(key) if key else None
    if counts is not None:
        return counts
    cut = open_cut() if captures else None
    counts = pending_counts(
        capture_activities=activities_for_user(user, Action.CAPTURE) if cut else None,
        capture_reports=reports_for_user(user, Action.CAPTURE) if cut else None,
        review_reports=reports_for_user(user, Action.REVIEW) if reviews else None,
        cut=cut,
    )
    # Kept only when counted at the cut the generation names: one opened or closed between
    # the two reads is a later generation, which the next page counts afresh.
    if key and (not captures or _same_cut(cut, generation)):
        kept.set(key, counts, COUNTS_KEPT_FOR)
    return counts


def _same_cut(cut: Cut | None, generation: RecordGeneration) -> bool:
    if cut is None:
        return generation.cut_id is None
    return (cut.pk, cut.date) == (generation.cut_id, generation.cut_date)


def pending(request: HttpRequest) -> dict[str, object]:
    """The counts and the links a person's role opens, computed only when a template shows
    them: one query while the record and the person's memberships are as they were, a fixed
    handful when something changed, whatever the record holds."""
    person = cache(lambda: _person(request))
    actions = cache(lambda: _actions(request, person().memberships))
    return {
        "pending_counts": SimpleLazyObject(lambda: _counts(request, actions(), person())),
        "may_review": SimpleLazyObject(lambda: Action.REVIEW in actions()),
        "may_administer": SimpleLazyObject(lambda: Action.ADMINISTER in actions()),
        # Cuts are everyone's: only an administrator of the whole record opens and closes them.
        "may_open_cuts": SimpleLazyObject(
            lambda: memberships_allow(
                request.user, person().memberships, Action.ADMINISTER, everywhere=True
            )
        ),
        "may_import": SimpleLazyObject(lambda: Action.IMPORT in actions()),
    }
