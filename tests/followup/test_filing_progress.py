"""How far a filing's import has come: one count over all its instruments, each told in turn by
its name, so the bar of the job page moves on part by part and ends full at the last one."""

from __future__ import annotations

from itertools import accumulate

import pytest

from mejora.accounts.models import Role
from mejora.annex.document import AnnexDocument
from mejora.annex.progress import IMPORTING
from mejora.annex.renderers import render
from mejora.annex.renderers.position import render_position
from mejora.followup.models import Aspect, Recommendation
from mejora.followup.services.filings import filing_import, filing_read
from mejora.followup.services.imports import file_sha256
from mejora.followup.services.pending import pending_save
from mejora.followup.services.review import review_reading
from mejora.tasks.work import review_import_start, review_jobs, review_read_start
from tests import bundles
from tests.bundles import filing_text
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import InstitutionFactory, member
from tests.followup.test_filing_review import import_reviewed

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

documents, position = bundles.documents, bundles.position


@pytest.fixture(autouse=True)
def readings_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def filing_data(documents, position) -> bytes:
    """Anexo B, Anexo C at a cut and Anexo F of one program behind an oficio, as text."""
    work, progress = documents
    return filing_text(
        render(work, "txt").decode(),
        render(progress, "txt").decode(),
        render_position(position, "txt").decode(),
    )


def entries(part) -> int:
    """What the import of one part counts: an annex's ASM, a position's recommendations."""
    if isinstance(part.document, AnnexDocument):
        return part.document.aspect_count()
    return len(part.document.recommendations)


def test_a_filing_import_tells_each_instrument_in_turn_over_one_count(filing_data):
    filing = filing_read(filing_data, file_format="txt")
    assert [type(part.document).__name__ for part in filing.parts] == [
        "AnnexDocument",
        "AnnexDocument",
        "PositionDocument",
    ]
    calls = []
    import_reviewed(filing_data, filing, progress=lambda *call: calls.append(call))
    assert Recommendation.objects.exists(), "the position was imported with the annexes"

    stages = [f"{IMPORTING} {part.instrument}" for part in filing.parts]
    assert list(dict.fromkeys(stage for stage, _, _ in calls)) == stages, "each part, in order"
    sizes = [entries(part) for part in filing.parts]
    assert all(sizes)
    total = sum(sizes)
    assert {told_total for _, _, told_total in calls} == {total}
    dones = [done for _, done, _ in calls]
    assert dones == sorted(dones), "the bar never goes back when a new part starts"
    # Each part starts where the parts before it ended, and ends with its own entries added.
    ends = list(accumulate(sizes))
    assert [min(d for s, d, _ in calls if s == stage) for stage in stages] == [0, *ends[:-1]]
    assert [max(d for s, d, _ in calls if s == stage) for stage in stages] == ends
    assert calls[-1] == (stages[-1], total, total)


def test_a_dry_run_of_a_filing_tells_the_same_count_and_writes_nothing(documents):
    work, progress = documents
    data = filing_text(render(work, "txt").decode(), render(progress, "txt").decode())
    calls = []
    filing_import(
        filing=filing_read(data, file_format="txt"),
        file_name="expediente.txt",
        sha256=file_sha256(data),
        file_format="txt",
        dry_run=True,
        progress=lambda *call: calls.append(call),
    )
    total = work.aspect_count() + progress.aspect_count()
    assert calls[-1][1:] == (total, total)
    assert not Aspect.objects.exists()


def test_the_jobs_of_a_filings_review_end_with_the_whole_filing_counted(filing_data):
    """Through the page's tasks: the reading compares every part with the record, the import
    writes every part, and each job's row ends on its last part with the whole count."""
    person = member(Role.EVALUATOR, institution=InstitutionFactory(name=bundles_institution()))
    token = pending_save(data=filing_data, file_name="expediente.txt", owner_id=person.pk)
    review_read_start(token, actor=person)
    reading = review_reading(token)
    assert reading is not None, review_jobs(token).reading.error
    total = sum(entries(part) for part in reading.filing.parts)

    review_import_start(
        token,
        actor=person,
        corrections={},
        confirmed=range(len(reading.findings)),
        stamp=reading.stamp,
    )
    jobs = review_jobs(token)
    assert (jobs.reading.stage, jobs.reading.done, jobs.reading.total) == (
        "Comparando con el registro",
        total,
        total,
    )
    importing = jobs.importing
    assert importing.finished and not importing.error and jobs.imported_program is not None
    last = reading.filing.parts[-1].instrument
    assert (importing.stage, importing.done, importing.total) == (
        f"{IMPORTING} {last}",
        total,
        total,
    )


def bundles_institution() -> str:
    return bundles.work_and_progress()[0].institution
