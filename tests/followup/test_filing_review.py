"""The review of a filing: read whole and kept for its page, its findings numbered over the
filing and decided one by one, then imported by the filing service, all or nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mejora.accounts.models import Role
from mejora.annex.corrections import ReviewIncomplete
from mejora.annex.document import AnnexRejected
from mejora.annex.progress import no_progress
from mejora.annex.renderers import render
from mejora.annex.renderers.position import render_position
from mejora.followup.models import (
    Activity,
    AnnexImport,
    Aspect,
    ChangeRecord,
    Program,
    Recommendation,
)
from mejora.followup.scope import ImportScope
from mejora.followup.services.filings import FILING_KIND, filing_read
from mejora.followup.services.imports import annex_import, file_sha256
from mejora.followup.services.pending import pending_save
from mejora.followup.services.positions import recommendation_update
from mejora.followup.services.review import (
    FilingReading,
    PartPreview,
    ReviewOutdated,
    filing_import_reviewed,
    filing_program_stamp,
    filing_review_check,
    filing_review_read,
    is_filing_upload,
    review_reading,
)
from mejora.tasks.work import review_jobs, review_read_start
from tests import bundles
from tests.bundles import OFICIO_LINES, OFICIO_NUMBER, filing_text
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import InstitutionFactory, ProgramFactory, member

pytestmark = pytest.mark.django_db

documents, position, pdf = bundles.documents, bundles.position, bundles.pdf
# An oficio that does not say its date: the reading notes it, the person confirms it.
UNDATED = tuple(line for line in OFICIO_LINES if "septiembre de 2012" not in line)


@pytest.fixture(autouse=True)
def readings_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def filing_data(documents) -> bytes:
    work, progress = documents
    return filing_text(render(work, "txt").decode(), render(progress, "txt").decode())


def import_reviewed(data: bytes, filing, **decisions):
    options = {"corrections": {}, "confirmed": range(len(filing.findings)), **decisions}
    return filing_import_reviewed(
        filing=filing,
        stamp=options.pop("stamp", None) or filing_program_stamp(filing),
        file_name="expediente.txt",
        sha256=file_sha256(data),
        file_format="txt",
        actor=options.pop("actor", None),
        scope=options.pop("scope", ImportScope.operator()),
        source="importación de expediente.txt (página web)",
        **options,
    )


def test_a_filing_is_told_from_a_single_annex_by_its_oficio(filing_data, documents):
    assert is_filing_upload(filing_data, "txt")
    assert not is_filing_upload(render(documents[0], "txt"), "txt")


def test_the_reading_kept_for_the_page_reads_back_as_it_was_read(pdf):
    filing = filing_read(pdf, file_format="pdf")
    previews = tuple(PartPreview(created=n, updated=1) for n, _ in enumerate(filing.parts))
    kept = FilingReading.from_json(FilingReading(filing, previews, "sello").to_json())
    assert kept.filing == filing
    assert kept.findings == filing.findings
    assert [p.document for p in kept.filing.parts] == [p.document for p in filing.parts]
    assert kept.previews == previews and kept.stamp == "sello"
    # The pages are kept with their template, to be shown in the reader's language.
    assert kept.filing.parts[0].pages.message == filing.parts[0].pages.message


def test_findings_are_numbered_over_the_whole_filing(filing_data):
    filing = filing_read(filing_data, file_format="txt")
    first = len(filing.parts[0].findings)
    left = {first, len(filing.findings) - 1}  # the first and the last of the Anexo C
    confirmed = set(range(len(filing.findings))) - left
    with pytest.raises(ReviewIncomplete) as incomplete:
        filing_review_check(filing=filing, corrections={}, confirmed=confirmed)
    assert set(incomplete.value.problems) == left


def test_an_oficio_finding_is_confirmed_like_any_other(documents):
    work, _progress = documents
    data = filing_text(render(work, "txt").decode(), oficio=UNDATED)
    filing = filing_read(data, file_format="txt")
    assert filing.findings[0].kind == "oficio_date_missing"
    everything_else = range(1, len(filing.findings))
    with pytest.raises(ReviewIncomplete) as incomplete:
        filing_review_check(filing=filing, corrections={}, confirmed=everything_else)
    assert set(incomplete.value.problems) == {0}
    summary = import_reviewed(data, filing)
    record = summary.record
    assert (record.oficio_number, record.oficio_date) == (OFICIO_NUMBER, None)
    assert record.findings[0]["kind"] == "oficio_date_missing"
    assert {f["resolution"] for f in record.findings} == {"Confirmada"}


def test_a_correction_goes_into_its_own_instrument_only(filing_data):
    filing = filing_read(filing_data, file_format="txt")
    first = len(filing.parts[0].findings)
    index = next(
        first + n
        for n, f in enumerate(filing.parts[1].findings)
        if f.kind == "ambiguous_date" and "ASM 2010/1 · actividad 2" in f.where
    )
    reviewed = filing_review_check(
        filing=filing, corrections={index: "marzo 2012"}, confirmed=range(len(filing.findings))
    )
    due = [
        part.document.sections[2].aspects[0].activities[1].due.due.iso() for part in reviewed.parts
    ]
    assert due == ["2011-03-11", "2012-03"], "the Anexo B as read, the Anexo C corrected"
    assert reviewed.findings[index].resolution == "Corregida: «marzo 2012»"
    assert reviewed.findings[index].where == filing.findings[index].where


def test_the_reviewed_filing_is_written_by_the_filing_service_in_the_persons_name(filing_data):
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=bundles_institution()))
    filing = filing_read(filing_data, file_format="txt")
    summary = import_reviewed(filing_data, filing, actor=person, scope=scope_of(person))
    record = AnnexImport.objects.get()
    assert record == summary.record and record.annex_kind == FILING_KIND
    assert (record.oficio_number, record.oficio_date.isoformat()) == (OFICIO_NUMBER, "2012-09-30")
    assert record.imported_by == person
    written = ChangeRecord.objects.filter(model__in=["followup.Aspect", "followup.Activity"])
    assert written.count() == Aspect.objects.count() + Activity.objects.count()
    assert set(written.values_list("actor", flat=True)) == {person.pk}
    assert all("expediente.txt" in source for source in written.values_list("source", flat=True))


def test_a_record_changed_since_the_review_refuses_the_whole_filing(filing_data):
    filing = filing_read(filing_data, file_format="txt")
    stamp = filing_program_stamp(filing)
    annex_import(
        document=filing.parts[0].document, file_name="b.txt", sha256="0" * 64, file_format="txt"
    )
    changes, activities = ChangeRecord.objects.count(), Activity.objects.count()
    with pytest.raises(ReviewOutdated):
        import_reviewed(filing_data, filing, stamp=stamp)
    assert ChangeRecord.objects.count() == changes and Activity.objects.count() == activities
    assert AnnexImport.objects.count() == 1


def test_a_position_changed_since_the_review_refuses_the_whole_filing(documents, position):
    """The filing's Anexo F would write over a recommendation's position another person
    changed while this one reviewed: the review is outdated, as for a change to the ASM."""
    work, progress = documents
    data = filing_text(
        render(work, "txt").decode(),
        render(progress, "txt").decode(),
        render_position(position, "txt").decode(),
    )
    filing = filing_read(data, file_format="txt")
    import_reviewed(data, filing)  # the record as the filing has it
    stamp = filing_program_stamp(filing)
    edited = Recommendation.objects.order_by("pk").first()
    other = next(p for p in Recommendation.Position if p != edited.position)
    recommendation_update(
        recommendation=edited,
        text=edited.text,
        position=other,
        reason="No aplica al programa.",
        actor=member(Role.LIAISON, program=edited.evaluation.program),
    )
    changes = ChangeRecord.objects.count()
    with pytest.raises(ReviewOutdated):
        import_reviewed(data, filing, stamp=stamp)
    edited.refresh_from_db()
    assert (edited.position, edited.reason) == (other, "No aplica al programa.")
    assert ChangeRecord.objects.count() == changes


def test_a_filing_of_only_an_anexo_f_is_outdated_too_when_it_names_its_program_by_key(
    position,
):
    """An Anexo F may name its program by key and name ('S999 Programa Solo'), as its service
    finds it: the filing's stamp is of that program, not of a program taken for new."""
    program = ProgramFactory(key="S999", name="Programa Solo")
    named = replace(position, institution=program.institution.name, program=str(program))
    data = filing_text(render_position(named, "txt").decode())
    filing = filing_read(data, file_format="txt")
    import_reviewed(data, filing)
    stamp = filing_program_stamp(filing)
    edited = Recommendation.objects.get(evaluation__program=program, order=1)
    other = next(p for p in Recommendation.Position if p != edited.position)
    recommendation_update(
        recommendation=edited,
        text=edited.text,
        position=other,
        reason="Ya se atendió en 2012.",
        actor=member(Role.LIAISON, program=program),
    )
    with pytest.raises(ReviewOutdated):
        import_reviewed(data, filing, stamp=stamp)
    edited.refresh_from_db()
    assert (edited.position, edited.reason) == (other, "Ya se atendió en 2012.")


def test_a_filing_outside_the_persons_scope_is_refused_before_anything_is_kept(filing_data):
    other = member(
        Role.LIAISON,
        program=Program.objects.create(institution=InstitutionFactory(), name="Otro programa"),
    )
    with pytest.raises(AnnexRejected, match=r"Anexo B\. Documento de trabajo"):
        filing_review_read(
            no_progress,
            token="a" * 64,
            data=filing_data,
            file_name="expediente.txt",
            file_format="txt",
            actor=other,
            scope=scope_of(other),
        )
    assert review_reading("a" * 64) is None
    assert not Program.objects.exclude(name="Otro programa").exists()


def test_the_reading_previews_each_instrument_after_the_ones_before_it(filing_data, documents):
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=bundles_institution()))
    counts = filing_review_read(
        no_progress,
        token="b" * 64,
        data=filing_data,
        file_name="expediente.txt",
        file_format="txt",
        actor=person,
        scope=scope_of(person),
    )
    assert counts == {"aspects": documents[0].aspect_count(), "activities": 5}
    reading = review_reading("b" * 64)
    assert isinstance(reading, FilingReading)
    work, progress = reading.previews
    assert work.created > progress.created > 0, "the Anexo C finds the ASM the Anexo B made"
    assert not Aspect.objects.exists() and not AnnexImport.objects.exists()


@pytest.mark.django_db(databases=["default", "tasks"])
def test_a_filing_of_two_programs_is_refused_on_its_page_naming_both(settings, documents):
    """The refusal names the programs by their names: the reading job's row keeps it as JSON
    for the page, instead of failing to store it and leaving the page waiting."""
    settings.TASKS = IMMEDIATE_TASKS
    work, progress = documents
    elsewhere = replace(progress, program="Programa Vecino")
    data = filing_text(render(work, "txt").decode(), render(elsewhere, "txt").decode())
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=bundles_institution()))
    token = pending_save(data=data, file_name="expediente.txt", owner_id=person.pk)
    review_read_start(token, actor=person)
    reading = review_jobs(token).reading
    assert reading.finished, "the refusal is stored, not left running"
    refusal = reading.error_text()
    assert "un expediente es de un solo programa" in refusal
    assert work.program in refusal and "Programa Vecino»" in refusal
    assert review_reading(token) is None
    assert not Aspect.objects.exists() and not Program.objects.exists()


def bundles_institution() -> str:
    return bundles.work_and_progress()[0].institution


def scope_of(user) -> ImportScope:
    from mejora.accounts.access import import_scope_for

    return import_scope_for(user)
