"""Every annex kind imports into the record and is issued back from it as it was read."""

from __future__ import annotations

import dataclasses

import pytest

from mejora.annex.document import Signatory
from mejora.annex.formats import FORMATS
from mejora.annex.synth import synth_document
from mejora.followup.extract import annex_extract, latest_cut
from mejora.followup.models import Activity, AnnexImport, Aspect, ChangeRecord, ProgressReport
from mejora.followup.services.imports import annex_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_an_annex_of_each_kind_imports_and_comes_back_the_same(kind):
    document = synth_document(aspects=8, seed=11, kind=kind)
    summary = annex_import(
        document=document, file_name=f"{kind}.txt", sha256=kind.ljust(64, "0"), file_format="txt"
    )
    program = summary.program
    aspects = Aspect.objects.filter(program=program)
    assert aspects.count() == document.aspect_count()
    assert {a.classification for a in aspects} == {FORMATS[kind].classification}
    assert Activity.objects.filter(aspect__program=program).count() == document.activity_count()
    # Only a progress annex reports progress; a commitment annex leaves none to invent.
    reports = ProgressReport.objects.filter(activity__aspect__program=program).count()
    assert (reports > 0) == FORMATS[kind].has_progress
    assert annex_extract(program, cut=latest_cut(program), kind=kind) == document


def test_a_commitments_annex_at_the_same_cut_leaves_the_progress_alone():
    progress_annex = synth_document(aspects=6, seed=3, kind="anexo-e")
    annex_import(document=progress_annex, file_name="e.txt", sha256="e" * 64, file_format="txt")
    before = list(ProgressReport.objects.order_by("pk").values_list("percent", "justification"))
    assert any(percent for percent, _ in before)
    commitments = synth_document(aspects=6, seed=3, kind="documento-institucional")
    annex_import(document=commitments, file_name="c.txt", sha256="c" * 64, file_format="txt")
    after = list(ProgressReport.objects.order_by("pk").values_list("percent", "justification"))
    assert after == before


SIGNED = (
    Signatory("responsable", "Lic. Ana Ruiz Sosa", "Directora General de Opciones Productivas"),
    Signatory("enlace", "Mtro. Luis Paz", "Director de Evaluación, Planeación y Seguimiento"),
    Signatory("titular", "Dr. José Ávila", "Secretario de Desarrollo Social"),
)


def test_the_signatories_are_kept_with_the_import_and_on_the_program_with_history():
    document = synth_document(aspects=8, seed=11, kind="documento-trabajo")
    signed = dataclasses.replace(document, program_key="S054", signatories=SIGNED)
    summary = annex_import(document=signed, file_name="b.txt", sha256="b" * 64, file_format="txt")

    program = summary.program
    program.refresh_from_db()
    assert program.key == "S054"
    assert [Signatory.from_dict(s) for s in program.signatories] == list(SIGNED)
    record = AnnexImport.objects.get(program=program)
    assert [Signatory.from_dict(s) for s in record.signatories] == list(SIGNED)
    change = ChangeRecord.objects.get(
        model="followup.Program", object_id=str(program.pk), action=ChangeRecord.Action.UPDATE
    )
    assert change.before["signatories"] == [] and len(change.after["signatories"]) == 3
    # Issued annexes of any kind carry the program's current key and signatories.
    cut = latest_cut(program)
    assert annex_extract(program, cut=cut, kind="documento-trabajo") == signed
    assert annex_extract(program, cut=cut, kind="anexo-e").signatories == SIGNED


def test_a_later_annex_with_new_signatories_replaces_the_programs_and_one_without_keeps_them():
    document = synth_document(aspects=2, seed=8, kind="documento-trabajo")
    first = dataclasses.replace(document, signatories=SIGNED)
    program = annex_import(
        document=first, file_name="1.txt", sha256="1" * 64, file_format="txt"
    ).program
    new_head = (*SIGNED[:2], Signatory("titular", "Mtra. Rosa Lima", "Secretaria de Bienestar"))
    annex_import(
        document=dataclasses.replace(document, signatories=new_head),
        file_name="2.txt",
        sha256="2" * 64,
        file_format="txt",
    )
    program.refresh_from_db()
    assert program.signatories[2]["name"] == "Mtra. Rosa Lima"
    annex_import(document=document, file_name="3.txt", sha256="3" * 64, file_format="txt")
    program.refresh_from_db()
    assert program.signatories[2]["name"] == "Mtra. Rosa Lima"
