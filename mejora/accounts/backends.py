"""Django's permission question answered from memberships: `user.has_perm("followup.capture",
report)` is true when the person's role allows capturing and the report is in their scope."""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend
from django.db.models import Model

from mejora.accounts.access import records_for_user, records_reached, user_may
from mejora.followup.models import Evaluation
from mejora.followup.permissions import Action


class ScopeBackend(BaseBackend):
    """The scope of each role as permissions; it authenticates nobody."""

    def has_perm(self, user_obj, perm: str, obj: Model | None = None) -> bool:
        app, _, action = perm.partition(".")
        if app != "followup" or action not in Action.values:
            return False
        if isinstance(obj, Evaluation):
            obj = obj.program
        if obj is None or not records_reached(type(obj)):
            # A record without a scope of its own (a cut, a cycle): the role decides, and
            # administering what is everyone's (opening and closing cuts) takes an
            # administrator of the whole record.
            return user_may(user_obj, action, everywhere=action == Action.ADMINISTER)
        return records_for_user(type(obj), user_obj, action).filter(pk=obj.pk).exists()
