"""Review: draft → submitted → validated | returned → fixed → submitted again."""

from __future__ import annotations

import datetime as dt

import pytest

from mejora.accounts.models import Role
from mejora.followup.models import ChangeRecord, Cut, ProgressReport
from mejora.followup.selectors import program_as_of_date
from mejora.followup.services.progress import (
    ProgressRefused,
    progress_return,
    progress_save,
    progress_submit,
    progress_validate,
)
from tests.factories import (
    ActivityFactory,
    CutFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cut() -> Cut:
    return CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)


def draft(cut, **values) -> ProgressReport:
    return ProgressReportFactory(cut=cut, state=ProgressReport.State.DRAFT, **values)


def test_submitting_sends_every_report_and_says_who_and_when(cut):
    reports = [draft(cut), draft(cut)]
    liaison = member(Role.ADMINISTRATOR)  # the two reports are of two programs
    progress_submit(reports=reports, actor=liaison)
    for report in reports:
        report.refresh_from_db()
        assert (report.state, report.submitted_by) == ("submitted", liaison)
        assert report.submitted_at is not None
    assert ChangeRecord.objects.filter(action="update", actor=liaison).count() == 2


def test_submitting_is_all_or_nothing(cut):
    good = draft(cut)
    sent = ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    with pytest.raises(ProgressRefused, match="solo se envía un borrador"):
        progress_submit(reports=[good, sent], actor=None)
    good.refresh_from_db()
    assert good.state == "draft"


def test_a_100_percent_report_without_evidence_is_not_sent(cut):
    report = draft(cut, percent=100, concluded_on=dt.date(2012, 9, 1), concluded_precision="day")
    with pytest.raises(ProgressRefused, match="necesita evidencia"):
        progress_submit(reports=[report], actor=None)


def test_a_report_of_a_closed_cut_is_not_sent():
    report = draft(CutFactory(state=Cut.State.CLOSED))
    with pytest.raises(ProgressRefused, match="está cerrado"):
        progress_submit(reports=[report], actor=None)


def test_nothing_to_send_is_said(cut):
    with pytest.raises(ProgressRefused, match="No hay reportes"):
        progress_submit(reports=[], actor=None)


def test_validating_makes_the_report_official(cut):
    report = ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    evaluator = member(Role.EVALUATOR, institution=report.activity.aspect.program.institution)
    program = report.activity.aspect.program
    assert program_as_of_date(program) != cut.date  # a submitted report moves nothing
    progress_validate(report=report, actor=evaluator)
    report.refresh_from_db()
    assert (report.state, report.reviewed_by) == ("validated", evaluator)
    assert program_as_of_date(program) == cut.date


def test_returning_needs_its_reason(cut):
    report = ProgressReportFactory(cut=cut, state=ProgressReport.State.SUBMITTED)
    with pytest.raises(ProgressRefused, match="motivo de la devolución"):
        progress_return(report=report, actor=None, reason=" ")
    report.refresh_from_db()
    assert report.state == "submitted"


@pytest.mark.parametrize("state", ["draft", "validated", "returned"])
def test_only_a_submitted_report_is_reviewed(cut, state):
    report = ProgressReportFactory(cut=cut, state=state)
    with pytest.raises(ProgressRefused, match="solo se revisa un reporte enviado"):
        progress_validate(report=report, actor=None)
    with pytest.raises(ProgressRefused, match="solo se revisa un reporte enviado"):
        progress_return(report=report, actor=None, reason="Falta el oficio.")


def test_the_whole_cycle_returned_fixed_resent_validated(cut):
    activity = ActivityFactory()
    program = activity.aspect.program
    liaison = member(Role.LIAISON, program=program)
    evaluator = member(Role.EVALUATOR, institution=program.institution)
    values = {"justification": "Concluida.", "observations": "", "references": ["Oficio 1"]}
    report = progress_save(
        activity=activity,
        cut=cut,
        actor=liaison,
        percent=100,
        concluded_text="30/09/2012",
        **values,
    )
    progress_submit(reports=[report], actor=liaison)
    progress_return(report=report, actor=evaluator, reason="La fecha no coincide con el oficio.")
    report.refresh_from_db()
    assert (report.state, report.return_reason) == (
        "returned",
        "La fecha no coincide con el oficio.",
    )
    report = progress_save(
        activity=activity,
        cut=cut,
        actor=liaison,
        percent=100,
        concluded_text="15/09/2012",
        justification="Concluida.",
        observations="",
        seen_version=report.version,
    )
    progress_submit(reports=[report], actor=liaison)
    progress_validate(report=report, actor=evaluator)
    report.refresh_from_db()
    assert (report.state, report.concluded_text) == ("validated", "15/09/2012")
    states = [
        (r.before or {}).get("state")
        for r in ChangeRecord.objects.filter(model="followup.ProgressReport").order_by("id")
    ]
    assert states == [None, "draft", "submitted", "returned", "returned", "submitted"]


def _liaisons_import(seed_bytes, liaison, data=None):
    from mejora.accounts.access import import_scope_for
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    data = data or seed_bytes
    return annex_import(
        document=annex_read(data),
        file_name="anexo.txt",
        sha256=file_sha256(data),
        file_format="txt",
        actor=liaison,
        scope=import_scope_for(liaison),
    )


@pytest.fixture
def commitments_on_record(seed_bytes):
    """The sample program in the record (as the operator imported it), without its progress."""
    from mejora.followup.models import Program
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    annex_import(
        document=annex_read(seed_bytes),
        file_name="a.txt",
        sha256=file_sha256(seed_bytes),
        file_format="txt",
    )
    ProgressReport.objects.all().delete()
    return Program.objects.get()


def test_a_liaisons_import_is_submitted_for_review_and_the_record_says_so(
    seed_bytes, commitments_on_record
):
    from mejora.followup.models import AnnexImport

    Cut.objects.filter(date=dt.date(2012, 3, 31)).update(state=Cut.State.OPEN)
    liaison = member(Role.LIAISON, program=commitments_on_record)
    summary = _liaisons_import(seed_bytes, liaison)
    states = set(ProgressReport.objects.values_list("state", flat=True))
    assert states == {"submitted"}
    assert (
        AnnexImport.objects.get(program=summary.program, imported_by=liaison).as_validated is False
    )


def test_a_liaisons_import_at_a_closed_cut_is_refused_and_writes_nothing(
    seed_bytes, commitments_on_record
):
    from mejora.annex.document import AnnexRejected

    liaison = member(Role.LIAISON, program=commitments_on_record)
    with pytest.raises(AnnexRejected, match="no está abierto"):
        _liaisons_import(seed_bytes, liaison)
    assert not ProgressReport.objects.exists()


def test_a_liaisons_import_never_lowers_validated_reports(seed_bytes, commitments_on_record):
    """The history the evaluation unit validated stays official, whoever imports it again."""
    from mejora.annex.document import AnnexRejected
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    annex_import(
        document=annex_read(seed_bytes),
        file_name="a.txt",
        sha256=file_sha256(seed_bytes),
        file_format="txt",
    )
    Cut.objects.filter(date=dt.date(2012, 3, 31)).update(state=Cut.State.OPEN)
    liaison = member(Role.LIAISON, program=commitments_on_record)
    changed = seed_bytes.replace(b"Avance 100%", b"Avance 40%", 1)
    with pytest.raises(AnnexRejected, match="ya está validado"):
        _liaisons_import(seed_bytes, liaison, changed)
    assert set(ProgressReport.objects.values_list("state", flat=True)) == {"validated"}


def test_an_evaluation_units_import_is_validated_as_it_stands(seed_bytes):
    from mejora.followup.models import AnnexImport
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    annex_import(
        document=annex_read(seed_bytes),
        file_name="anexo.txt",
        sha256=file_sha256(seed_bytes),
        file_format="txt",
    )
    assert set(ProgressReport.objects.values_list("state", flat=True)) == {"validated"}
    assert AnnexImport.objects.get().as_validated is True
