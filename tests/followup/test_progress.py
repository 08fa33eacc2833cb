"""Progress at the open cut: every rule of capture and replanning, with its Spanish message."""

from __future__ import annotations

import datetime as dt

import pytest

from mejora.accounts.models import Role
from mejora.followup.models import (
    ActivityArea,
    ChangeRecord,
    Cut,
    Evidence,
    ProgressReport,
    Replanning,
)
from mejora.followup.services.progress import (
    ProgressRefused,
    ReportConflict,
    activity_replan,
    progress_save,
)
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    CutFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cut() -> Cut:
    return CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)


@pytest.fixture
def activity():
    return ActivityFactory()


@pytest.fixture
def liaison(activity):
    return member(Role.LIAISON, program=activity.aspect.program)


def save(activity, cut, actor, **values):
    fields = {
        "percent": 50,
        "justification": "Se depuró la mitad del padrón.",
        "concluded_text": "",
        "observations": "",
    }
    return progress_save(activity=activity, cut=cut, actor=actor, **(fields | values))


def test_it_saves_a_draft_with_its_history(activity, cut, liaison):
    report = save(activity, cut, liaison)
    assert (report.state, report.percent, report.version) == ("draft", 50, 1)
    record = ChangeRecord.objects.get(model="followup.ProgressReport", object_id=str(report.pk))
    assert (record.action, record.actor, record.after["percent"]) == ("create", liaison, 50)


def test_saving_again_updates_the_draft_and_records_before_and_after(activity, cut, liaison):
    first = save(activity, cut, liaison)
    second = save(activity, cut, liaison, percent=70, seen_version=first.version)
    assert (second.pk, second.percent, second.version) == (first.pk, 70, 2)
    change = ChangeRecord.objects.filter(action="update").get()
    assert (change.before["percent"], change.after["percent"]) == (50, 70)


def test_it_reads_the_conclusion_date_as_people_write_it(activity, cut, liaison):
    report = save(activity, cut, liaison, concluded_text="diciembre 2012")
    assert (report.concluded.year, report.concluded.month, report.concluded.day) == (2012, 12, None)
    assert report.concluded_text == "diciembre 2012"


def test_it_refuses_a_date_it_cannot_read(activity, cut, liaison):
    with pytest.raises(ProgressRefused, match="No se entiende la fecha de conclusión"):
        save(activity, cut, liaison, concluded_text="cuando se pueda")
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("percent", [-1, 101])
def test_it_rejects_a_percent_outside_0_to_100(activity, cut, liaison, percent):
    with pytest.raises(ProgressRefused, match="de 0 a 100"):
        save(activity, cut, liaison, percent=percent)
    assert not ProgressReport.objects.exists()


def test_100_percent_needs_a_conclusion_date(activity, cut, liaison):
    with pytest.raises(ProgressRefused, match="fecha de conclusión"):
        save(activity, cut, liaison, percent=100, references=["Oficio 123"])
    assert not ProgressReport.objects.exists()
    assert not Evidence.objects.exists()


def test_100_percent_needs_evidence(activity, cut, liaison):
    with pytest.raises(ProgressRefused, match="necesita evidencia"):
        save(activity, cut, liaison, percent=100, concluded_text="30/09/2012")
    assert not ProgressReport.objects.exists()
    assert not ChangeRecord.objects.exists()


def test_100_percent_with_a_reference_and_a_date_is_taken(activity, cut, liaison):
    report = save(
        activity,
        cut,
        liaison,
        percent=100,
        concluded_text="30/09/2012",
        references=["Oficio DGEMPS/123/2012"],
    )
    assert report.percent == 100
    assert list(report.evidence.values_list("reference", flat=True)) == ["Oficio DGEMPS/123/2012"]


def test_100_percent_with_a_link_is_taken(activity, cut, liaison):
    report = save(
        activity,
        cut,
        liaison,
        percent=100,
        concluded_text="30/09/2012",
        urls=["https://www.gob.mx/sedesol/documentos/padron"],
    )
    assert report.evidence.get().url == "https://www.gob.mx/sedesol/documentos/padron"


def test_a_percent_below_the_validated_one_needs_a_justification(activity, cut, liaison):
    ProgressReportFactory(activity=activity, percent=80)  # validated at marzo 2012
    with pytest.raises(ProgressRefused, match=r"baja de 80% .* a 60%"):
        save(activity, cut, liaison, percent=60, justification="")
    report = save(activity, cut, liaison, percent=60, justification="Se repitió la depuración.")
    assert report.percent == 60


def test_a_closed_cut_takes_no_report(activity, liaison):
    closed = CutFactory(state=Cut.State.CLOSED)
    with pytest.raises(ProgressRefused, match="está cerrado"):
        save(activity, closed, liaison)
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("state", ["submitted", "validated"])
def test_a_sent_or_validated_report_cannot_be_edited(activity, cut, liaison, state):
    ProgressReportFactory(activity=activity, cut=cut, state=state, percent=40)
    with pytest.raises(ProgressRefused, match="ya no se puede cambiar"):
        save(activity, cut, liaison, percent=90)
    assert ProgressReport.objects.get().percent == 40


def test_a_returned_report_can_be_fixed_and_stays_returned_until_sent(activity, cut, liaison):
    ProgressReportFactory(activity=activity, cut=cut, state="returned", percent=40)
    report = save(activity, cut, liaison, percent=45)
    assert (report.state, report.percent) == ("returned", 45)


def test_the_second_saver_is_told_and_sees_the_saved_version(activity, cut, liaison):
    first = save(activity, cut, liaison)
    other = member(
        Role.AREA_STAFF, area=AreaFactory(institution=activity.aspect.program.institution)
    )
    ActivityArea.objects.create(
        activity=activity, area=other.memberships.get().area, role="responsible", position=1
    )
    save(activity, cut, other, percent=60, seen_version=first.version)
    with pytest.raises(ReportConflict) as conflict:
        save(activity, cut, liaison, percent=75, seen_version=first.version)
    assert conflict.value.saved.percent == 60
    assert "Otra persona guardó" in conflict.value.messages[0]
    assert ProgressReport.objects.get().percent == 60


def test_a_replanning_keeps_the_original_promise_beside_the_new_date(activity, cut, liaison):
    replanning = activity_replan(
        activity=activity,
        cut=cut,
        actor=liaison,
        new_due_text="diciembre 2013",
        new_text="Depurar el padrón con la CURP y el RFC",
        justification="El RENAPO entregó la base tarde.",
    )
    assert replanning.previous_due_text == "31/12/2011"
    assert (replanning.new_due.year, replanning.new_due.month) == (2013, 12)
    assert replanning.previous_text == "Depurar el padrón con la CURP"
    activity.refresh_from_db()
    assert activity.due_text == "31/12/2011"  # the promise as made stays
    assert ChangeRecord.objects.filter(model="followup.Replanning", actor=liaison).exists()


def test_a_second_replanning_starts_from_the_first_one(activity, cut, liaison):
    values = {"activity": activity, "cut": cut, "actor": liaison, "new_text": ""}
    activity_replan(**values, new_due_text="junio 2013", justification="Primera.")
    second = activity_replan(**values, new_due_text="diciembre 2013", justification="Segunda.")
    assert second.previous_due_text == "junio 2013"


@pytest.mark.parametrize(
    ("due", "justification", "message"),
    [
        ("diciembre 2013", "  ", "necesita su justificación"),
        ("", "Razón", "necesita la nueva fecha"),
        ("algún día", "Razón", "No se entiende la nueva fecha"),
    ],
)
def test_a_replanning_needs_its_justification_and_a_readable_date(
    activity, cut, liaison, due, justification, message
):
    with pytest.raises(ProgressRefused, match=message):
        activity_replan(
            activity=activity,
            cut=cut,
            actor=liaison,
            new_due_text=due,
            new_text="",
            justification=justification,
        )
    assert not Replanning.objects.exists()


def test_a_closed_cut_takes_no_replanning(activity, liaison):
    with pytest.raises(ProgressRefused, match="está cerrado"):
        activity_replan(
            activity=activity,
            cut=CutFactory(state=Cut.State.CLOSED),
            actor=liaison,
            new_due_text="diciembre 2013",
            new_text="",
            justification="Razón",
        )
