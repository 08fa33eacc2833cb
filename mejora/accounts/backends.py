"""Django's permission question answered from memberships: `user.has_perm("followup.capture",
report)` is true when the person's role allows capturing and the report is in their scope."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.backends import BaseBackend
from django.db.models import Model, QuerySet

from mejora.accounts.access import (
    activities_for_user,
    aspects_for_user,
    evidence_for_user,
    programs_for_user,
    reports_for_user,
    user_may,
)
from mejora.followup.models import Activity, Aspect, Evaluation, Evidence, Program, ProgressReport
from mejora.followup.permissions import Action

_SELECTORS: dict[type[Model], Callable[..., QuerySet]] = {
    Program: programs_for_user,
    Aspect: aspects_for_user,
    Activity: activities_for_user,
    ProgressReport: reports_for_user,
    Evidence: evidence_for_user,
}


class ScopeBackend(BaseBackend):
    """The scope of each role as permissions; it authenticates nobody."""

    def has_perm(self, user_obj, perm: str, obj: Model | None = None) -> bool:
        app, _, action = perm.partition(".")
        if app != "followup" or action not in Action.values:
            return False
        if isinstance(obj, Evaluation):
            obj = obj.program
        selector = _SELECTORS.get(type(obj)) if obj is not None else None
        if selector is None:
            # A record without a scope of its own (a cut, a cycle): the role decides, and
            # administering what is everyone's (opening and closing cuts) takes an
            # administrator of the whole record.
            return user_may(user_obj, action, everywhere=action == Action.ADMINISTER)
        return selector(user_obj, action).filter(pk=obj.pk).exists()
