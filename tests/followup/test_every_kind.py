"""Every annex kind imports into the record and is issued back from it as it was read."""

from __future__ import annotations

import pytest

from mejora.annex.formats import FORMATS
from mejora.annex.synth import synth_document
from mejora.followup.extract import annex_extract, latest_cut
from mejora.followup.models import Activity, Aspect, ProgressReport
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
