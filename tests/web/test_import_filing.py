"""Importing a filing from the page: the oficio and every instrument read, each instrument's
findings decided in its own section, then the whole filing imported at once or not at all.

As in test_import_pages, reading and importing run inside the request with the immediate
backend, except the test that waits for the database queue and its worker.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.annex.renderers import render
from mejora.followup.models import (
    Activity,
    AnnexImport,
    Aspect,
    ChangeRecord,
    Evaluation,
    Program,
    Recommendation,
)
from mejora.followup.services.filings import FILING_KIND, filing_read
from mejora.followup.services.imports import annex_import
from tests import bundles
from tests.bundles import OFICIO_NUMBER, filing_text
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import SEED_INSTITUTION, InstitutionFactory, member
from tests.followup import test_import_scope as scope_tests
from tests.followup.test_import import dump
from tests.followup.test_import_scope import ALLOWED, CASES, annex_for, person
from tests.web.test_import_pages import decide, stamp_of, upload

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])

# The filing the bundle tests read (fixtures): Anexo B, Anexo C at a cut, and Anexo F.
documents, position, pdf = bundles.documents, bundles.position, bundles.pdf
# The scope test's two institutions and their programs (a fixture).
world = scope_tests.world


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def filing(documents) -> bytes:
    """Anexo B and Anexo C of one program behind an oficio, as pdftotext writes a filing."""
    work, progress = documents
    return filing_text(render(work, "txt").decode(), render(progress, "txt").decode())


def evaluator():
    """Someone of the evaluation unit of the institution the filing's annexes name."""
    return member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION))


def sections_of(page: str) -> dict[str, str]:
    """Each instrument's section of the review page, by its heading."""
    found = re.findall(r'<section class="instrument"[^>]*>\s*<h2>(.*?) <small', page, re.S)
    bodies = page.split('<section class="instrument"')[1:]
    return dict(zip(found, bodies, strict=True))


def finding_indices(page: str, section: str) -> list[tuple[str, int]]:
    """The findings of one section of the page: each row's 'where' and its number."""
    rows = re.findall(
        r'<tr data-kind="\w+" id="hallazgo-(\d+)"[^>]*>\s*<td><code>(.*?)</code>', section, re.S
    )
    return [(where, int(index)) for index, where in rows]


def test_a_filing_is_read_whole_and_each_instrument_shown_in_its_own_section(
    client, filing, documents
):
    work, _progress = documents
    client.force_login(evaluator())
    response = upload(client, filing, "expediente.txt")
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    body = page.content.decode()
    assert Aspect.objects.count() == 0 and AnnexImport.objects.count() == 0
    assert OFICIO_NUMBER in body and "30 de septiembre de 2012 (2012-09-30)" in body
    sections = sections_of(body)
    assert list(sections) == [
        "Anexo B. Documento de trabajo",
        "Anexo C. Avance del documento de trabajo",
    ]
    expected = f"Se leyeron {work.aspect_count()} ASM y {work.activity_count()} actividades"
    assert all(expected in section for section in sections.values())
    # B creates the record; C, read after it, only adds its progress.
    created = [int(re.search(r"se crearán (\d+) registros", s).group(1)) for s in sections.values()]
    assert created[0] > created[1] > 0
    # Every finding of the filing has its tick, numbered over the whole filing.
    ticks = re.findall(r'name="confirmo" value="(\d+)"', body)
    read = filing_read(filing, file_format="txt")
    assert [int(t) for t in ticks] == list(range(len(read.findings)))
    c_rows = finding_indices(body, sections["Anexo C. Avance del documento de trabajo"])
    assert [i for _, i in c_rows] == list(range(len(read.parts[0].findings), len(ticks)))
    assert "→ 2011-03-11" in sections["Anexo C. Avance del documento de trabajo"]


def test_confirming_imports_the_whole_filing_with_its_oficio_in_the_persons_name(
    client, filing, documents
):
    work, _progress = documents
    person = evaluator()
    client.force_login(person)
    review_url = upload(client, filing, "expediente.txt").url
    response = decide(client, review_url, confirmo_todo="on")
    program = Program.objects.get()
    assert response.redirect_chain[-1][0] == reverse("program-detail", args=[program.pk])
    record = AnnexImport.objects.get()
    assert (record.annex_kind, record.oficio_number) == (FILING_KIND, OFICIO_NUMBER)
    assert record.oficio_date.isoformat() == "2012-09-30"
    assert record.imported_by == person
    assert record.cut.date.isoformat() == "2012-09-30"
    assert Aspect.objects.count() == work.aspect_count()
    assert Activity.objects.count() == work.activity_count()
    assert ChangeRecord.objects.filter(actor=person, model="followup.Aspect").count() == (
        work.aspect_count()
    )
    assert not ChangeRecord.objects.exclude(actor=person).exists(), "every write is the person's"
    assert {f["resolution"] for f in record.findings} == {"Confirmada"}
    assert client.get(review_url).status_code == 404, "the pending file is gone"


def test_a_correction_in_the_second_instrument_is_what_gets_imported(client, filing):
    client.force_login(evaluator())
    review_url = upload(client, filing, "expediente.txt").url
    page = client.get(review_url).content.decode()
    rows = finding_indices(page, sections_of(page)["Anexo C. Avance del documento de trabajo"])
    index = next(i for where, i in rows if "ASM 2010/1 · actividad 2 · Fecha" in where)
    response = decide(
        client, review_url, confirmo_todo="on", **{f"correccion_{index}": "3 de noviembre de 2011"}
    )
    assert response.redirect_chain[-1][0].startswith("/programas/")
    activity = Activity.objects.get(aspect__cycle__mechanism_year=2010, aspect__number="1", order=2)
    assert activity.due.iso() == "2011-11-03"
    decided = AnnexImport.objects.get().findings[index]
    assert decided["resolution"] == "Corregida: «3 de noviembre de 2011»"
    assert decided["where"].startswith("Anexo C. Avance del documento de trabajo (página 3)")


def test_nothing_of_the_filing_is_imported_until_every_finding_is_decided(client, filing):
    client.force_login(evaluator())
    review_url = upload(client, filing, "expediente.txt").url
    page = client.get(review_url).content.decode()
    count = page.count('name="confirmo"')
    left = count - 1  # the last finding of Anexo C
    response = decide(client, review_url, confirmo=[str(i) for i in range(left)])
    assert response.status_code == 422
    body = response.content.decode()
    assert "Hay 1 lecturas sin confirmar" in body
    assert f'id="hallazgo-{left}" class="problem"' in body
    assert body.count("checked") == left, "what was ticked stays ticked"
    assert Aspect.objects.count() == 0 and AnnexImport.objects.count() == 0


def test_a_filing_of_someone_elses_program_is_refused_whole(client, filing, documents):
    work, _progress = documents
    annex_import(
        document=filing_read(filing, file_format="txt").parts[0].document,
        file_name="b.txt",
        sha256="0" * 64,
        file_format="txt",
    )
    changes = ChangeRecord.objects.count()
    other = member(
        Role.LIAISON,
        program=Program.objects.create(institution=InstitutionFactory(), name="Otro programa"),
    )
    client.force_login(other)
    review_url = upload(client, filing, "expediente.txt").url
    page = client.get(review_url)
    # Refused as soon as the first instrument says whose it is: no preview, nothing kept.
    assert page.status_code == 422
    body = page.content.decode()
    assert "Anexo B. Documento de trabajo (página 2)" in body
    assert f"El anexo es del programa «{work.program}»" in body
    token = review_url.strip("/").split("/")[-1]
    assert client.get(reverse("import-reading", args=[token]) + "?parte=0").status_code == 404
    assert client.post(review_url, {"stamp": "x", "confirmo_todo": "on"}).status_code == 422
    assert ChangeRecord.objects.count() == changes and AnnexImport.objects.count() == 1


def test_an_instrument_outside_the_persons_program_refuses_the_whole_filing(client, documents):
    work, progress = documents
    # The liaison's own program is the Anexo B's; the Anexo C is of another program.
    own = filing_read(filing_text(render(work, "txt").decode()), file_format="txt")
    annex_import(
        document=own.parts[0].document, file_name="b.txt", sha256="1" * 64, file_format="txt"
    )
    Program.objects.create(institution=Program.objects.get().institution, name="Otro Programa")
    liaison = member(Role.LIAISON, program=Program.objects.get(name=work.program))
    other = replace(progress, program="Otro Programa")
    data = filing_text(render(work, "txt").decode(), render(other, "txt").decode())
    changes = ChangeRecord.objects.count()
    client.force_login(liaison)
    page = client.get(upload(client, data, "expediente.txt").url)
    assert page.status_code == 422
    body = page.content.decode()
    assert "Anexo C. Avance del documento de trabajo (página 3)" in body
    assert "El anexo es del programa «Otro Programa»" in body
    assert ChangeRecord.objects.count() == changes and AnnexImport.objects.count() == 1


def test_a_part_that_cannot_be_read_refuses_the_filing_and_says_which(client, documents):
    work, progress = documents
    broken = render(progress, "txt").decode().replace("Fecha de Elaboración", "Fecha")
    client.force_login(evaluator())
    page = client.get(upload(client, filing_text(render(work, "txt").decode(), broken)).url)
    assert page.status_code == 422
    body = page.content.decode()
    assert "Anexo C. Avance del documento de trabajo (página 3)" in body
    assert reverse("import-upload") in body, "a way to try another file"
    assert Aspect.objects.count() == 0 and AnnexImport.objects.count() == 0


def test_a_record_changed_during_the_review_of_a_filing_is_not_overwritten(client, filing):
    client.force_login(evaluator())
    review_url = upload(client, filing, "expediente.txt").url
    page = client.get(review_url).content.decode()
    # Meanwhile someone else imports the filing's Anexo B at the command line.
    annex_import(
        document=filing_read(filing, file_format="txt").parts[0].document,
        file_name="b.txt",
        sha256="0" * 64,
        file_format="txt",
    )
    changes = ChangeRecord.objects.count()
    response = client.post(
        review_url, {"stamp": stamp_of(page), "confirmo_todo": "on"}, follow=True
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Mientras revisaba, el registro de este programa cambió" in body
    assert ChangeRecord.objects.count() == changes and AnnexImport.objects.count() == 1
    assert stamp_of(body) != stamp_of(page), "the page now shows the record as it is"


def test_each_table_annex_of_a_filing_downloads_as_its_own_reading(client, filing, documents):
    client.force_login(evaluator())
    review_url = upload(client, filing, "expediente.txt").url
    client.get(review_url)
    token = review_url.strip("/").split("/")[-1]
    reading = client.get(reverse("import-reading", args=[token]) + "?parte=1")
    assert reading["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reading.content.decode("utf-8-sig"))))
    progress = documents[1]
    assert "Anexo C. Avance del documento de trabajo" in rows[1]
    written = {cell for row in rows for cell in row}
    read = {a.text for s in progress.sections for asp in s.aspects for a in asp.activities}
    assert read <= written
    for part in ("", "?parte=2", "?parte=x"):
        assert client.get(reverse("import-reading", args=[token]) + part).status_code == 404


@pytest.mark.parametrize(
    ("kind", "target"), [case for case in CASES if case[0] not in ("area_staff", "oversight")]
)
def test_the_pages_keep_a_filing_to_the_same_rule_as_an_annex(
    client, kind, target, world, seed_bytes
):
    """Generated over roles and targets as the single annex's scope test: the sample annex,
    retitled to the target, behind an oficio."""
    user = person(kind, world)
    client.force_login(user)
    data = filing_text(annex_for(target, seed_bytes).decode())
    review_url = upload(client, data, f"{target}.txt").url
    before = dump()
    page = client.get(review_url)
    text = page.content.decode()
    if target in ALLOWED[kind]:
        assert page.status_code == 200
        assert OFICIO_NUMBER in text and "Se leyeron 9 ASM y 20 actividades" in text
        decide(client, review_url, confirmo_todo="on")
        record = AnnexImport.objects.get(annex_kind=FILING_KIND)
        assert (record.program.name, record.imported_by) == (PROGRAM_OF[target], user)
    else:
        # Refused before anything of the file is shown: no reading, no catalogue, no preview.
        assert page.status_code == 422
        assert "no puede importar" in text
        assert "Se leyeron" not in text and "DGEMPS" not in text
        assert client.post(review_url, {"stamp": "x", "confirmo_todo": "on"}).status_code == 422
        assert dump() == before


# The program each target of the scope test names (annex_for retitles the sample to it).
PROGRAM_OF = {
    "own_program": "Programa Propio",
    "sibling_program": "Programa Hermano",
    "new_program": "Programa Nuevo",
    "foreign_program": "Programa Ajeno",
    "new_institution": "Programa Inexistente",
}


@pytest.mark.django_db(transaction=True, databases=["default", "tasks"])
def test_a_pdf_filing_with_a_position_is_read_and_imported_by_the_worker(
    client, settings, pdf, documents, position
):
    from mejora.tasks.worker import worker_run

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    person = evaluator()
    client.force_login(person)
    review_url = upload(client, pdf, "expediente.pdf").url
    assert client.get(review_url).status_code == 202, "the reading waits for a worker"
    worker_run(batch=True, interval=0)
    page = client.get(review_url)
    assert page.status_code == 200
    body = page.content.decode()
    names = list(sections_of(body))
    assert names[:2] == [
        "Anexo B. Documento de trabajo",
        "Anexo C. Avance del documento de trabajo",
    ]
    assert len(names) == 3 and "Posición institucional" in body
    assert position.recommendations[0].text in body

    waiting = client.post(review_url, {"stamp": stamp_of(body), "confirmo_todo": "on"})
    assert waiting.status_code == 302
    assert client.get(review_url).status_code == 202, "the import waits for a worker"
    worker_run(batch=True, interval=0)
    done = client.get(review_url)
    program = Program.objects.get()
    assert done.status_code == 302 and done.url == reverse("program-detail", args=[program.pk])
    record = AnnexImport.objects.get(annex_kind=FILING_KIND)
    assert (record.oficio_number, record.imported_by) == (OFICIO_NUMBER, person)
    evaluation = Evaluation.objects.get(program=program)
    assert [
        r.text for r in Recommendation.objects.filter(evaluation=evaluation).order_by("order")
    ] == [e.text for e in position.recommendations]
    assert ChangeRecord.objects.filter(model="followup.Recommendation", actor=person).count() == (
        len(position.recommendations)
    )
