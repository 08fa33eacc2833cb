"""`mejora import` and `mejora report anexo-f`: the institutional position at the command line."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from mejora.annex.parsers.position import parse_position
from mejora.annex.renderers.position import render_position
from mejora.cli import EXIT_OK, EXIT_REJECTED, main
from mejora.demo import demo_prepare
from mejora.followup.models import AnnexImport, Evaluation, Program
from tests.annex.test_position import position_document

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture(autouse=True)
def seed():
    demo_prepare()


def filed(tmp_path, file_format="txt"):
    program = Program.objects.get()
    doc = replace(position_document(), program=str(program), institution=program.institution.name)
    path = tmp_path / f"anexo-f.{file_format}"
    path.write_bytes(render_position(doc, file_format))
    return doc, path


def test_import_knows_an_anexo_f_by_its_title_and_report_issues_it_again(tmp_path, capsys):
    doc, path = filed(tmp_path)
    assert main(["import", str(path), "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["recommendations"] == 3
    assert summary["evaluation"] == "Evaluación de Consistencia y Resultados 2011"
    evaluation = Evaluation.objects.get()
    assert evaluation.recommendations.count() == 3
    listed = AnnexImport.objects.get(annex_kind="anexo-f")
    assert (listed.file_name, listed.file_format, listed.changes) == ("anexo-f.txt", "txt", 5)
    # The same file again changes nothing and is not listed twice.
    assert main(["import", str(path)]) == EXIT_OK
    assert "0 registros nuevos, 0 cambiados" in capsys.readouterr().out
    assert AnnexImport.objects.filter(annex_kind="anexo-f").count() == 1
    out = tmp_path / "emitido.docx"
    argv = ["report", "anexo-f", "--evaluation", str(evaluation.pk), "-o", str(out)]
    assert main(argv) == EXIT_OK
    issued = parse_position(out.read_bytes(), "docx")
    assert issued.recommendations == doc.recommendations
    assert issued.signatories == doc.signatories
    # The seed's ASM are not this evaluation's: the counts are the record's, not the filed ones.
    assert issued.counts.total == 0


def test_a_dry_run_writes_nothing(tmp_path, capsys):
    _, path = filed(tmp_path)
    assert main(["import", str(path), "--dry-run"]) == EXIT_OK
    assert "Prueba sin escribir" in capsys.readouterr().out
    assert not Evaluation.objects.exists()


def test_a_report_without_an_evaluation_to_issue_is_refused(tmp_path, capsys):
    out = tmp_path / "f.pdf"
    assert main(["report", "anexo-f", "-o", str(out)]) == EXIT_REJECTED
    assert "exactamente una evaluación" in capsys.readouterr().err
    assert not out.exists()


def test_an_anexo_f_of_a_program_not_in_the_record_is_rejected_by_the_import(tmp_path, capsys):
    program = Program.objects.get()
    doc = replace(
        position_document(), program="Programa que no existe", institution=program.institution.name
    )
    path = tmp_path / "anexo-f.txt"
    path.write_bytes(render_position(doc, "txt"))
    assert main(["import", str(path)]) == EXIT_REJECTED
    err = capsys.readouterr().err
    assert "Archivo rechazado." in err
    assert "No se escribió nada." in err
    assert not Evaluation.objects.exists()
