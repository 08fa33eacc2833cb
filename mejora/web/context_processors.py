"""What every page's navigation shows: how much waits for the person, and where to do it."""

from __future__ import annotations

import hashlib
from functools import cache

from django.core.cache import cache as kept
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mejora.accounts.access import (
    activities_for_user,
    membership_rows,
    memberships_allow,
    reports_for_user,
)
from mejora.accounts.models import ROLE_ACTIONS, Action
from mejora.followup.models import Cut
from mejora.followup.pending_work import (
    PendingCounts,
    RecordGeneration,
    pending_counts,
    record_generation,
)
from mejora.followup.services.cuts import open_cut

# The key holds the record's generation, so a count is never served after a change; the
# timeout only bounds what a write around the history (a shell, a bulk load while the site
# serves) would leave behind.
COUNTS_KEPT_FOR = 300

Memberships = tuple[tuple[str, int | None, int | None, int | None], ...]


def _memberships(request: HttpRequest) -> Memberships:
    """The person's roles and their scopes, what their actions and the reach of their counts
    rest on: read once per request (`membership_rows`), with the page's own reach questions."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return ()
    return membership_rows(user)


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


def _counts(
    request: HttpRequest, actions: frozenset[str], memberships: Memberships
) -> PendingCounts | None:
    user = request.user
    if not user.is_authenticated:
        return None
    captures = Action.CAPTURE in actions
    reviews = Action.REVIEW in actions
    # Roles that can neither capture nor review have nothing waiting: no query is spent.
    if not (captures or reviews):
        return PendingCounts(capture=0, fix=0, review=0)
    # Read only for a person whose roles capture or review: one query, a reader's spend none.
    generation = record_generation()
    key = _key(request, memberships, generation) if generation else None
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
    them: the person's memberships (once per request) and, for a person whose roles capture
    or review, the record's generation (one query) while the record and the memberships are
    as they were; a fixed handful when something changed, whatever the record holds."""
    memberships = cache(lambda: _memberships(request))
    actions = cache(lambda: _actions(request, memberships()))
    return {
        "pending_counts": SimpleLazyObject(lambda: _counts(request, actions(), memberships())),
        "may_review": SimpleLazyObject(lambda: Action.REVIEW in actions()),
        "may_administer": SimpleLazyObject(lambda: Action.ADMINISTER in actions()),
        # Cuts are everyone's: only an administrator of the whole record opens and closes them.
        "may_open_cuts": SimpleLazyObject(
            lambda: memberships_allow(
                request.user, memberships(), Action.ADMINISTER, everywhere=True
            )
        ),
        "may_import": SimpleLazyObject(lambda: Action.IMPORT in actions()),
    }
