"""Cuts: an administrator opens one to take reports and closes it to freeze them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from mejora.accounts.models import Role
from mejora.followup.models import ChangeRecord, Cut, ProgressReport
from mejora.followup.services.cuts import CutRefused, cut_close, cut_open, open_cut
from tests.factories import CutFactory, InstitutionFactory, ProgressReportFactory, member

pytestmark = pytest.mark.django_db

SEPTEMBER = dt.date(2012, 9, 30)


def test_it_opens_a_cut_with_its_deadline_and_records_who():
    admin = member(Role.ADMINISTRATOR)
    cut = cut_open(
        name="Septiembre 2012", date=SEPTEMBER, deadline=dt.date(2012, 10, 15), actor=admin
    )
    assert (cut.state, cut.deadline) == (Cut.State.OPEN, dt.date(2012, 10, 15))
    assert open_cut() == cut
    record = ChangeRecord.objects.get(model="followup.Cut", object_id=str(cut.pk))
    assert (record.action, record.actor) == (ChangeRecord.Action.CREATE, admin)


def test_it_keeps_one_cut_open_at_a_time():
    cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=None)
    with pytest.raises(CutRefused, match="sigue abierto"):
        cut_open(name="Diciembre 2012", date=dt.date(2012, 12, 31), deadline=None, actor=None)
    assert Cut.objects.count() == 1


def test_it_refuses_a_deadline_before_the_cut():
    with pytest.raises(CutRefused, match="no puede ser anterior"):
        cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=dt.date(2012, 9, 1), actor=None)
    assert not Cut.objects.exists()


def test_it_refuses_a_second_cut_on_the_same_date():
    CutFactory(date=SEPTEMBER, name="septiembre 2012")
    with pytest.raises(CutRefused, match="Ya existe un corte"):
        cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=None)


def test_it_refuses_a_cut_without_a_name():
    with pytest.raises(CutRefused, match="nombre"):
        cut_open(name="  ", date=SEPTEMBER, deadline=None, actor=None)


def test_closing_freezes_the_cut_and_records_before_and_after():
    admin = member(Role.ADMINISTRATOR)
    cut = cut_open(name="Septiembre 2012", date=SEPTEMBER, deadline=None, actor=admin)
    cut_close(cut=cut, actor=admin)
    cut.refresh_from_db()
    assert cut.state == Cut.State.CLOSED
    assert open_cut() is None
    record = ChangeRecord.objects.filter(model="followup.Cut").first()
    assert (record.before["state"], record.after["state"]) == ("open", "closed")


def test_a_closed_cut_cannot_be_closed_again():
    cut = CutFactory(state=Cut.State.CLOSED)
    with pytest.raises(CutRefused, match="ya está cerrado"):
        cut_close(cut=cut, actor=None)


def test_a_cut_with_reports_waiting_for_review_is_not_closed():
    cut = CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)
    ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    with pytest.raises(CutRefused, match="1 reporte enviado sin revisar"):
        cut_close(cut=cut, actor=member(Role.ADMINISTRATOR))
    cut.refresh_from_db()
    assert cut.state == Cut.State.OPEN


def test_an_administrator_of_one_institution_opens_no_cut():
    """Cuts are everyone's: only an administrator of the whole record opens or closes one."""
    scoped = member(Role.ADMINISTRATOR, institution=InstitutionFactory())
    with pytest.raises(PermissionDenied):
        cut_open(name="Marzo 2013", date=dt.date(2013, 3, 31), deadline=None, actor=scoped)
    assert not Cut.objects.exists()
