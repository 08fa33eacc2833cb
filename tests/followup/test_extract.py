"""The record as an annex again: what was received reads back, and what changed is written anew."""

from __future__ import annotations

import datetime as dt

import pytest

from mejora.annex.document import PartialDate
from mejora.annex.parsers.text import parse_text
from mejora.demo import demo_prepare
from mejora.followup.extract import annex_extract, find_cut, latest_cut
from mejora.followup.models import Activity, Cut, Program, ProgressReport
from mejora.followup.services.catalogue import catalogue_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    demo_prepare()
    return Program.objects.get()


def extract(program: Program):
    return annex_extract(program, cut=latest_cut(program), kind="anexo-e")


def test_the_imported_annex_comes_back_as_it_was_read(program, seed_bytes):
    received = parse_text(seed_bytes, catalogue=catalogue_for(program.institution))
    assert extract(program) == received


def test_a_new_percent_is_written_into_the_progress_cell(program):
    report = ProgressReport.objects.get(activity__due_text="14/02/2011")
    report.percent = 100
    report.save()
    activity = extract(program).sections[0].aspects[2].activities[4]
    assert activity.progress.text.startswith("Porcentaje de avance: 100% ")
    assert activity.percent == 100
    # The justification as received is kept after the new figure.
    assert activity.progress.text.endswith("95%")


def test_a_changed_due_date_is_written_as_a_date(program):
    activity = Activity.objects.get(due_text="31/03/2009")
    activity.due = PartialDate(2009, 4)
    activity.save()
    cell = extract(program).sections[0].aspects[2].activities[2].due
    assert (cell.text, cell.due) == ("abril de 2009", PartialDate(2009, 4, text="abril de 2009"))


def test_a_committed_and_actual_date_cell_keeps_both(program):
    cell = extract(program).sections[0].aspects[1].activities[0].due
    assert cell.text == "Fecha comprometida: 30/06/2009 Fecha término: octubre 2009"


def test_an_annex_at_an_earlier_cut_shows_no_later_progress(program):
    earlier = Cut.objects.create(date=dt.date(2011, 9, 30), name="septiembre 2011")
    doc = annex_extract(program, cut=earlier, kind="anexo-e")
    assert doc.prepared.text == "septiembre de 2011"
    assert all(
        activity.progress.text == ""
        for s in doc.sections
        for a in s.aspects
        for activity in a.activities
    )


@pytest.mark.parametrize("text", ["2012-03-31", "marzo 2012", "MARZO 2012"])
def test_a_cut_is_found_by_date_or_name(program, text):
    assert find_cut(text) == Cut.objects.get()


def test_an_unknown_cut_is_none(program):
    assert find_cut("abril 2030") is None


def empty_the_record() -> None:
    """A fresh record inside the test's transaction (flush cannot run inside one on PostgreSQL)."""
    from mejora.accounts.models import Membership
    from mejora.followup import models as m

    for model in (
        m.ChangeRecord, m.AnnexImport, Membership, m.Evidence, m.Replanning, m.ProgressReport,
        m.ActivityArea, m.Activity, m.Aspect, m.Cut, m.Cycle, m.Area, m.Program, m.Institution,
    ):  # fmt: skip
        model.objects.all().delete()
    assert not Program.objects.exists()


@pytest.mark.parametrize("file_format", ["txt", "csv", "xlsx", "docx", "pdf"])
def test_an_issued_annex_reimported_into_a_fresh_record_gives_the_same_status(
    program, capsys, file_format
):
    from mejora.annex.renderers import render
    from mejora.cli import main
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    data = render(extract(program), file_format)
    main(["status", "--as-of", "2012-03-31", "--json"])
    before = capsys.readouterr().out
    empty_the_record()
    annex_import(
        document=annex_read(data, file_format=file_format),
        file_name=f"emitido.{file_format}",
        sha256=file_sha256(data),
        file_format=file_format,
    )
    main(["status", "--as-of", "2012-03-31", "--json"])
    assert capsys.readouterr().out == before
