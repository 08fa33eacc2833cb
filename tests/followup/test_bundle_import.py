"""Importing a filing: the oficio's number and date kept, each instrument in its place, all or
nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from mejora.annex.document import AnnexRejected
from mejora.annex.renderers import render
from mejora.followup.models import (
    Activity,
    AnnexImport,
    Aspect,
    Evaluation,
    ProgressReport,
    Recommendation,
)
from mejora.followup.services.filings import FILING_KIND, filing_import, filing_read
from mejora.followup.services.imports import file_sha256
from tests import bundles
from tests.bundles import OFICIO_NUMBER, filing_text

pytestmark = pytest.mark.django_db

# The filing the bundle tests read (fixtures).
documents, position, pdf = bundles.documents, bundles.position, bundles.pdf


def import_filing(data: bytes, file_format: str, filing=None, **options):
    return filing_import(
        filing=filing or filing_read(data, file_format=file_format),
        file_name=f"expediente.{file_format}",
        sha256=file_sha256(data),
        file_format=file_format,
        **options,
    )


def test_a_pdf_filing_imports_each_instrument_into_its_place(pdf, documents, position):
    work, progress = documents
    filing = filing_read(pdf, file_format="pdf")
    summary = import_filing(pdf, "pdf", filing)
    record = AnnexImport.objects.get()
    assert record == summary.record
    assert record.annex_kind == FILING_KIND
    assert (record.oficio_number, record.oficio_date) == (OFICIO_NUMBER, dt.date(2012, 9, 30))
    # Anexo B registers the ASM and Anexo C, the same ASM, their progress at its cut.
    assert Aspect.objects.count() == work.aspect_count() == record.aspects
    assert Activity.objects.count() == work.activity_count() == record.activities
    assert record.cut.date == dt.date(2012, 9, 30)
    assert record.signatories == [s.as_dict() for s in work.signatories]
    percents = sorted(
        a.percent for s in progress.sections for asp in s.aspects for a in asp.activities
    )
    reported = ProgressReport.objects.filter(cut=record.cut)
    assert sorted(r.percent for r in reported) == percents
    assert {f["where"].split(" (")[0] for f in record.findings} <= {
        "Anexo B. Documento de trabajo",
        "Anexo C. Avance del documento de trabajo",
        summary.parts[2][0].instrument,
    }
    # The Anexo F goes to its evaluation, with its recommendations and their positions.
    evaluation = Evaluation.objects.get(program=record.program)
    recommendations = Recommendation.objects.filter(evaluation=evaluation).order_by("order")
    assert [r.text for r in recommendations] == [e.text for e in position.recommendations]
    assert summary.as_dict()["oficio"] == {"number": OFICIO_NUMBER, "date": "2012-09-30"}

    again = import_filing(pdf, "pdf", filing)
    assert again.already_imported
    assert AnnexImport.objects.count() == 1


def test_a_dry_run_writes_nothing(documents):
    work, progress = documents
    data = filing_text(render(work, "txt").decode(), render(progress, "txt").decode())
    summary = import_filing(data, "txt", dry_run=True)
    assert summary.created > 0
    assert not AnnexImport.objects.exists()
    assert not Aspect.objects.exists()


def test_instruments_of_two_programs_refuse_the_whole_filing(documents):
    from dataclasses import replace

    work, progress = documents
    other = replace(progress, program="Otro Programa")
    data = filing_text(render(work, "txt").decode(), render(other, "txt").decode())
    with pytest.raises(AnnexRejected, match="un solo programa"):
        import_filing(data, "txt")
    assert not Aspect.objects.exists()
    assert not AnnexImport.objects.exists()


def test_mejora_import_reads_a_filing_and_keeps_its_oficio(documents, tmp_path, capsys):
    from mejora.cli import EXIT_OK, main

    work, progress = documents
    path = tmp_path / "expediente.txt"
    path.write_bytes(filing_text(render(work, "txt").decode(), render(progress, "txt").decode()))
    assert main(["import", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"Oficio {OFICIO_NUMBER} (2012-09-30)" in out
    assert "Anexo C. Avance del documento de trabajo" in out
    record = AnnexImport.objects.get()
    assert (record.oficio_number, record.annex_kind) == (OFICIO_NUMBER, FILING_KIND)


def test_a_free_format_file_imports_and_is_issued_again(tmp_path):
    from mejora.annex.parsers.free import parse_free
    from mejora.cli import EXIT_OK, main
    from tests.annex.test_free_format import FILING

    path = tmp_path / "interinstitucionales.txt"
    path.write_text(FILING, encoding="utf-8")
    assert main(["import", str(path)]) == EXIT_OK
    classes = set(Aspect.objects.values_list("classification", flat=True))
    assert classes == {"interinstitucional"}
    assert Activity.objects.count() == 3

    out = tmp_path / "formato-libre.docx"
    program = Aspect.objects.first().program.name
    assert main(["report", "formato-libre", "--program", program, "-o", str(out)]) == EXIT_OK
    issued = parse_free(out.read_bytes(), "docx")
    read = parse_free(FILING.encode(), "txt")
    assert [a.number for s in issued.sections for a in s.aspects] == ["1", "2"]
    assert issued.sections[0].classification == "interinstitucional"
    assert [
        (act.text, act.due.due) for s in issued.sections for a in s.aspects for act in a.activities
    ] == [(act.text, act.due.due) for s in read.sections for a in s.aspects for act in a.activities]


def test_mejora_import_refuses_a_filing_with_a_part_it_cannot_read(documents, tmp_path, capsys):
    from mejora.cli import EXIT_REJECTED, main

    work, progress = documents
    broken = render(progress, "txt").decode().replace("Fecha de Elaboración", "Fecha")
    path = tmp_path / "expediente.txt"
    path.write_bytes(filing_text(render(work, "txt").decode(), broken))
    assert main(["import", str(path)]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "Anexo C. Avance del documento de trabajo" in err
    assert "No se escribió nada." in err
    assert not Aspect.objects.exists()
