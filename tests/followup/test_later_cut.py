"""A newer annex of the same program: progress is added as history and new dates are replannings."""

from __future__ import annotations

import datetime as dt

import pytest

from mejora.demo import demo_prepare
from mejora.followup.extract import annex_extract, find_cut
from mejora.followup.models import Activity, Cut, Program, ProgressReport, Replanning
from mejora.followup.selectors import scoped_aspects, status_counts
from mejora.followup.services.imports import annex_import, annex_read, file_sha256

pytestmark = pytest.mark.django_db

OLD_UPRI_CELL = "Fecha de conclusión: 06/12/2011 Replanteamiento: No"


@pytest.fixture
def september(seed_bytes) -> bytes:
    """The seed as its program would have sent it at the September 2012 cut."""
    text = seed_bytes.decode()
    text = text.replace(
        "Fecha de Elaboración: marzo de 2012", "Fecha de Elaboración: septiembre de 2012"
    )
    # 2008/3.4 reaches 100%.
    text = text.replace(
        "\t31/12/2009\tConocer la percepción de los beneficiarios\t1. Reporte",
        "\t31/12/2009\tConocer la percepción de los beneficiarios\t1. Reporte",
        1,
    )
    head, sep, tail = text.partition("Por medio del Fondo Conacyt-Sedesol")
    tail = tail.replace("\t95%\t", "\t100%\t", 1)
    text = head + sep + tail
    # 2010/1.1 is replanned to 30/06/2012, with its reason.
    head, sep, tail = text.partition(
        "La Unidad de Planeación y Relaciones Internacionales elaborará"
    )
    tail = tail.replace("\t31/12/2010\t", "\t30/06/2012\t", 1)
    tail = tail.replace(
        OLD_UPRI_CELL, "Replanteamiento: Sí, la propuesta se rehízo con la nueva estructura", 1
    )
    return (head + sep + tail).encode()


def import_bytes(data: bytes, name: str):
    return annex_import(
        document=annex_read(data), file_name=name, sha256=file_sha256(data), file_format="txt"
    )


def counts_at(date: str) -> dict:
    return status_counts(scoped_aspects(), dt.date.fromisoformat(date))


def test_a_later_annex_adds_progress_as_history(september, golden):
    demo_prepare()
    summary = import_bytes(september, "anexo-e-septiembre.txt")
    assert Cut.objects.count() == 2
    assert ProgressReport.objects.count() == 40
    report = ProgressReport.objects.get(activity__due_text="31/12/2009", percent=95)
    assert report.cut.name == "marzo 2012"
    assert {
        "where": "2008/3.4",
        "what": "avance",
        "before": 95,
        "after": 100,
    } in summary.since_previous
    # What was true at March stays true at March.
    march = golden["status_as_of_2012-03-31"]
    assert counts_at("2012-03-31")["activities"] == march["activities"]


def test_a_new_due_date_in_a_later_annex_is_a_replanning_with_its_reason(september):
    demo_prepare()
    summary = import_bytes(september, "anexo-e-septiembre.txt")
    replanning = Replanning.objects.get()
    assert replanning.previous_due.iso() == "2010-12-31"
    assert replanning.new_due.iso() == "2012-06-30"
    assert replanning.justification == "la propuesta se rehízo con la nueva estructura"
    assert replanning.cut.name == "septiembre 2012"
    activity = replanning.activity
    assert activity.due.iso() == "2010-12-31", "the committed date stays as promised"
    assert any(
        c["what"] == "replanteamiento" and c["where"] == "2010/1.1" for c in summary.since_previous
    )
    # In May the replanning of the September cut is not yet in force: four are overdue, as
    # in March. In October 2008/3.4 is done and 2010/1.1 is late against its new date too.
    assert counts_at("2012-05-01")["activities"]["overdue"] == 4
    october = counts_at("2012-10-01")["activities"]
    assert (october["overdue"], october["concluded"]) == (3, 17)


def test_each_cut_issues_the_dates_it_had(september):
    demo_prepare()
    import_bytes(september, "anexo-e-septiembre.txt")
    program = Program.objects.get()
    march = annex_extract(program, cut=find_cut("marzo 2012"), kind="anexo-e")
    sept = annex_extract(program, cut=find_cut("septiembre 2012"), kind="anexo-e")
    assert march.sections[1].aspects[0].activities[0].due.text == "31/12/2010"
    assert sept.sections[1].aspects[0].activities[0].due.text == "30/06/2012"
    assert sept.prepared.text == "septiembre de 2012"


def test_the_later_annex_imported_twice_changes_nothing_more(september):
    demo_prepare()
    import_bytes(september, "anexo-e-septiembre.txt")
    again = import_bytes(september, "anexo-e-septiembre.txt")
    assert again.already_imported
    assert (again.created, again.updated) == (0, 0)
    assert Replanning.objects.count() == 1
    assert Activity.objects.count() == 20
