"""Reporting cuts: an administrator opens one to take reports and closes it to freeze them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mejora.followup.history import change_record, snapshot
from mejora.followup.models import ChangeRecord, Cut, ProgressReport
from mejora.followup.permissions import Action, require

SOURCE = "página web"


class CutRefused(ValidationError):
    """A cut cannot be opened or closed as asked; the message says why in Spanish."""


def open_cut() -> Cut | None:
    """The cut that takes reports now, if any (only one is open at a time)."""
    return Cut.objects.filter(state=Cut.State.OPEN).order_by("-date").first()


@transaction.atomic
def cut_open(
    *, name: str, date: dt.date, deadline: dt.date | None, actor: Any, source: str = SOURCE
) -> Cut:
    """Open a new cut; one at a time, so everybody reports to the same one."""
    require(actor, Action.ADMINISTER)
    name = name.strip()
    if not name:
        raise CutRefused(_("Escriba el nombre del corte, por ejemplo «Septiembre 2012»."))
    if deadline is not None and deadline < date:
        raise CutRefused(_("La fecha límite de envío no puede ser anterior a la fecha del corte."))
    current = Cut.objects.select_for_update().filter(state=Cut.State.OPEN).first()
    if current is not None:
        raise CutRefused(
            _("El corte «%(name)s» sigue abierto: ciérrelo antes de abrir otro.")
            % {"name": current.name}
        )
    if Cut.objects.filter(date=date).exists():
        raise CutRefused(
            _("Ya existe un corte con fecha %(date)s; sus reportes están cerrados.")
            % {"date": date.strftime("%d/%m/%Y")}
        )
    cut = Cut(name=name, date=date, deadline=deadline, state=Cut.State.OPEN)
    cut.full_clean()
    try:
        with transaction.atomic():
            cut.save()
    except IntegrityError:
        # Another administrator opened one at the same moment (the database keeps one open).
        raise CutRefused(
            _("Otro corte se abrió al mismo tiempo; recargue la página para verlo.")
        ) from None
    change_record(action=ChangeRecord.Action.CREATE, obj=cut, actor=actor, source=source).save()
    return cut


@transaction.atomic
def cut_close(*, cut: Cut, actor: Any, source: str = SOURCE) -> Cut:
    """Close an open cut: its reports are frozen from then on."""
    require(actor, Action.ADMINISTER)
    cut = Cut.objects.select_for_update().get(pk=cut.pk)
    if cut.state != Cut.State.OPEN:
        raise CutRefused(_("El corte «%(name)s» ya está cerrado.") % {"name": cut.name})
    # Closing freezes the cut's reports: none may be left waiting for a review that could
    # return it to someone who can no longer fix it.
    waiting = cut.reports.filter(state=ProgressReport.State.SUBMITTED).count()
    if waiting:
        raise CutRefused(
            ngettext(
                "Queda %(count)d reporte enviado sin revisar en «%(name)s»: valídelo o "
                "devuélvalo antes de cerrar el corte.",
                "Quedan %(count)d reportes enviados sin revisar en «%(name)s»: valídelos o "
                "devuélvalos antes de cerrar el corte.",
                waiting,
            )
            % {"count": waiting, "name": cut.name}
        )
    before = snapshot(cut)
    cut.state = Cut.State.CLOSED
    cut.full_clean()
    cut.save()
    change_record(
        action=ChangeRecord.Action.UPDATE, obj=cut, actor=actor, before=before, source=source
    ).save()
    return cut
