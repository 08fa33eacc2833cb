"""What a person does to a record, and the check every write service makes before it writes.

The domain names the actions; who may do which, where, is the accounts app's answer, given
through Django's `user.has_perm("followup.<action>", obj)` (mejora.accounts.backends), so a
service checks the person's right without knowing anything of memberships.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What a person does to a record; each role allows some of these, within its scope."""

    VIEW = "view", _("consultar")
    CAPTURE = "capture", _("capturar avance")
    REGISTER = "register", _("registrar compromisos")
    REVIEW = "review", _("revisar avance")
    IMPORT = "import", _("importar anexos")
    ADMINISTER = "administer", _("administrar")


def require(actor: Any, action: str, obj: models.Model | None = None) -> None:
    """PermissionDenied, in Spanish, unless the person may do the action to the record.

    Without a person (`actor` None) it is the operator at the command line, who has the
    whole record.
    """
    if actor is None:
        return
    if not actor.has_perm(f"followup.{action}", obj):
        raise PermissionDenied(
            gettext("Su papel no le permite «%(action)s» en este registro.")
            % {"action": Action(action).label}
        )
