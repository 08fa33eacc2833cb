"""What every page's navigation shows: how much waits for the person, and where to do it."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mejora.accounts.access import activities_for_user, reports_for_user, user_may
from mejora.accounts.models import ROLE_ACTIONS, Action, Membership
from mejora.followup.pending_work import PendingCounts, pending_counts
from mejora.followup.services.cuts import open_cut


def _actions(request: HttpRequest) -> frozenset[str]:
    """Every action any of the person's memberships allows, in one query."""
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(Action.values)
    roles = Membership.objects.filter(user=user).values_list("role", flat=True)
    return frozenset().union(*(ROLE_ACTIONS[role] for role in set(roles)))


def _counts(request: HttpRequest, actions: frozenset[str]) -> PendingCounts | None:
    user = request.user
    if not user.is_authenticated:
        return None
    captures = Action.CAPTURE in actions
    reviews = Action.REVIEW in actions
    # Roles that can neither capture nor review have nothing waiting: no query is spent.
    cut = open_cut() if captures else None
    return pending_counts(
        capture_activities=activities_for_user(user, Action.CAPTURE) if cut else None,
        capture_reports=reports_for_user(user, Action.CAPTURE) if cut else None,
        review_reports=reports_for_user(user, Action.REVIEW) if reviews else None,
        cut=cut,
    )


def pending(request: HttpRequest) -> dict[str, object]:
    """The counts and the links a person's role opens, computed only when a template shows
    them, in a fixed handful of queries whatever the record holds."""
    actions = cache(lambda: _actions(request))
    return {
        "pending_counts": SimpleLazyObject(lambda: _counts(request, actions())),
        "may_review": SimpleLazyObject(lambda: Action.REVIEW in actions()),
        "may_administer": SimpleLazyObject(lambda: Action.ADMINISTER in actions()),
        # Cuts are everyone's: only an administrator of the whole record opens and closes them.
        "may_open_cuts": SimpleLazyObject(
            lambda: (
                Action.ADMINISTER in actions()
                and user_may(request.user, Action.ADMINISTER, everywhere=True)
            )
        ),
        "may_import": SimpleLazyObject(lambda: Action.IMPORT in actions()),
    }
