"""Importing from the page: read, review cell by cell with the findings, then confirm.

Reading and importing run as tasks; these tests run them inside the request with the
immediate backend (the page's answers are the subject here), except the one that waits
for the database queue and its worker.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mejora.accounts.models import Membership, Role
from mejora.annex.renderers import render
from mejora.annex.synth import synth_document
from mejora.followup.models import Activity, AnnexImport, Aspect, ChangeRecord, Program
from mejora.followup.services.imports import annex_import, annex_read
from mejora.tasks.jobs import job_give_up
from mejora.tasks.models import Job
from mejora.tasks.work import import_key
from mejora.web.views.imports import REVIEW_TABLE_ACTIVITIES
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import (
    SEED_INSTITUTION,
    AreaFactory,
    InstitutionFactory,
    ProgramFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


@pytest.fixture(autouse=True)
def uploads_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = IMMEDIATE_TASKS


def seed_evaluator():
    """Someone of the evaluation unit of the institution the sample annex names."""
    return member(Role.EVALUATOR, institution=InstitutionFactory(name=SEED_INSTITUTION))


def upload(client, data: bytes, name: str = "anexo-e.txt"):
    return client.post(reverse("import-upload"), {"file": SimpleUploadedFile(name, data)})


def test_an_upload_is_reviewed_before_anything_is_written(client, seed_bytes):
    client.force_login(seed_evaluator())
    response = upload(client, seed_bytes)
    assert response.status_code == 302
    review = client.get(response.url).content.decode()
    assert Aspect.objects.count() == 0
    assert "Se leyeron 9 ASM y 20 actividades" in review
    assert "«01/06/2010» puede leerse día/mes" in review
    assert "→ 2010-06-01" in review
    assert "→ DGEMPS | UPRI | DGS | Dirección General de Opciones Productivas" in review


def stamp_of(review_page: str) -> str:
    return re.search(r'name="stamp" value="([0-9a-z]+)"', review_page).group(1)


def decide(client, review_url, **fields):
    """Post the review page back with the person's decisions; the page it ends on."""
    page = client.get(review_url).content.decode()
    return client.post(review_url, {"stamp": stamp_of(page), **fields}, follow=True)


def finding_index(page: str, text: str) -> int:
    """The index of the finding whose row holds `text`."""
    rows = re.findall(r'<tr data-kind="\w+" id="hallazgo-(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    return next(int(index) for index, row in rows if text in row)


def test_confirming_imports_everything_in_the_name_of_the_person(client, seed_bytes):
    person = seed_evaluator()
    client.force_login(person)
    review_url = upload(client, seed_bytes).url
    response = decide(client, review_url, confirmo_todo="on")
    program = Program.objects.get()
    assert response.redirect_chain[-1][0] == reverse("program-detail", args=[program.pk])
    assert Aspect.objects.count() == 9
    assert ChangeRecord.objects.filter(actor=person, model="followup.Aspect").count() == 9
    record = AnnexImport.objects.get()
    assert record.imported_by == person
    assert {finding["resolution"] for finding in record.findings} == {"Confirmada"}
    assert client.get(review_url).status_code == 404, "the pending file is gone"


def test_nothing_is_imported_until_every_finding_is_confirmed_or_corrected(client, seed_bytes):
    client.force_login(seed_evaluator())
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url).content.decode()
    count = page.count('name="confirmo"')
    assert count == len(annex_read(seed_bytes).findings)  # each finding has its own tick
    ticked = [str(i) for i in range(count) if i != 3]
    response = decide(client, review_url, confirmo=ticked)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Hay 1 lecturas sin confirmar" in body
    assert "Confirme esta lectura o corríjala." in body
    assert 'id="hallazgo-3" class="problem"' in body
    assert body.count("checked") == count - 1, "what was ticked stays ticked"
    assert Aspect.objects.count() == 0 and AnnexImport.objects.count() == 0


def test_a_corrected_date_is_what_gets_imported_and_the_record_says_who_decided(client, seed_bytes):
    person = seed_evaluator()
    client.force_login(person)
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url).content.decode()
    index = finding_index(page, "«01/06/2010» puede leerse")
    response = decide(
        client, review_url, confirmo_todo="on", **{f"correccion_{index}": "6 de enero de 2010"}
    )
    assert response.redirect_chain[-1][0] == reverse(
        "program-detail", args=[Program.objects.get().pk]
    )
    activity = Activity.objects.get(aspect__cycle__mechanism_year=2010, aspect__number="3", order=1)
    assert activity.due.iso() == "2010-01-06"
    decided = AnnexImport.objects.get().findings[index]
    assert decided["resolution"] == "Corregida: «6 de enero de 2010»"
    assert decided["cell"]["field"] == "due"


def test_a_correction_that_cannot_be_read_is_shown_beside_its_finding(client, seed_bytes):
    client.force_login(seed_evaluator())
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url).content.decode()
    index = finding_index(page, "«01/06/2010» puede leerse")
    response = decide(client, review_url, confirmo_todo="on", **{f"correccion_{index}": "pronto"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "No se entendió la fecha «pronto»" in body
    assert 'value="pronto"' in body, "what was typed is kept to be fixed"
    assert Aspect.objects.count() == 0


def test_a_record_changed_during_the_review_is_not_overwritten(client, seed_bytes):
    document = annex_read(seed_bytes)
    evaluator = member(Role.EVALUATOR, institution=InstitutionFactory(name=document.institution))
    client.force_login(evaluator)
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url).content.decode()
    # Meanwhile someone else imports the same annex.
    annex_import(document=document, file_name="otro.txt", sha256="0" * 64, file_format="txt")
    changes = ChangeRecord.objects.count()
    response = client.post(
        review_url, {"stamp": stamp_of(page), "confirmo_todo": "on"}, follow=True
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Mientras revisaba, el registro de este programa cambió" in body
    assert ChangeRecord.objects.count() == changes and AnnexImport.objects.count() == 1
    assert stamp_of(body) != stamp_of(page), "the page now shows the record as it is"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "vacio.txt", "está vacío"),
        (b"hola", "anexo.odt", "No se reconoce el formato"),
    ],
)
def test_an_upload_that_is_no_annex_file_says_why_at_once(client, data, name, message):
    client.force_login(seed_evaluator())
    response = upload(client, data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Aspect.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"PK\x03\x04 basura", "anexo.xlsx", "no es un libro de Excel"),
        (b"Un texto cualquiera", "anexo.txt", "No se encontró la tabla del anexo"),
    ],
)
def test_a_file_that_cannot_be_read_says_why_in_spanish_and_writes_nothing(
    client, data, name, message
):
    client.force_login(seed_evaluator())
    response = client.get(upload(client, data, name).url)
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body
    assert reverse("import-upload") in body, "a way to try another file"
    assert Aspect.objects.count() == 0


def test_people_who_do_not_import_cannot_reach_the_pages(client):
    client.force_login(member(Role.OVERSIGHT))
    assert client.get(reverse("import-upload")).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("import-upload")).status_code == 403


def test_a_liaison_cannot_import_into_someone_elses_program(client, seed_bytes):
    from mejora.demo import demo_prepare

    demo_prepare()
    other = member(
        Role.LIAISON,
        program=Program.objects.create(institution=InstitutionFactory(), name="Otro programa"),
    )
    client.force_login(other)
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url)
    # Refused right after the file says whose it is: no preview, not even a dry run.
    assert page.status_code == 422
    assert "El anexo es del programa «Programa Opciones Productivas»" in page.content.decode()
    token = review_url.strip("/").split("/")[-1]
    assert client.get(reverse("import-reading", args=[token])).status_code == 404
    assert client.post(review_url, {"stamp": "x", "confirmo_todo": "on"}).status_code == 422
    assert Aspect.objects.count() == 9 and AnnexImport.objects.count() == 1


def test_an_upload_is_its_uploaders_alone(client, seed_bytes):
    institution = InstitutionFactory(name=SEED_INSTITUTION)
    client.force_login(member(Role.EVALUATOR, institution=institution))
    review_url = upload(client, seed_bytes).url
    token = review_url.strip("/").split("/")[-1]
    client.get(review_url)
    colleague = UserFactory(username="colega")
    Membership.objects.create(user=colleague, role=Role.EVALUATOR, institution=institution)
    client.force_login(colleague)
    for url in (
        review_url,
        reverse("import-progress", args=[token]),
        reverse("import-reading", args=[token]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("token", ["ABC", "0" * 64, "..%2F..%2Fsettings", "a" * 63 + "-"])
def test_a_token_that_names_no_upload_is_404_never_an_error(client, token):
    client.force_login(seed_evaluator())
    for name in ("import-review", "import-progress", "import-reading"):
        assert client.get(reverse(name, args=[token])).status_code == 404


def test_the_same_file_uploaded_again_is_read_afresh(client, seed_bytes, settings):
    client.force_login(seed_evaluator())
    broken = seed_bytes.replace(b"No.\t", b"Folio\t", 1)
    first = upload(client, broken).url
    assert client.get(first).status_code == 422
    again = upload(client, broken).url
    assert again != first, "each upload is its own review"
    assert client.get(again).status_code == 422
    fixed = upload(client, seed_bytes).url
    assert client.get(fixed).status_code == 200


def test_confirming_twice_imports_once(client, seed_bytes):
    person = seed_evaluator()
    client.force_login(person)
    review_url = upload(client, seed_bytes).url
    page = client.get(review_url).content.decode()
    fields = {"stamp": stamp_of(page), "confirmo_todo": "on"}
    first = client.post(review_url, fields)
    second = client.post(review_url, fields)  # the double click
    assert first.status_code == 302
    assert second.status_code in (302, 404)
    assert AnnexImport.objects.count() == 1
    assert ChangeRecord.objects.filter(actor=person, model="followup.Aspect").count() == 9


def test_naming_an_unknown_area_names_it_however_it_was_spelled(client, seed_bytes):
    from mejora.followup.models import Area

    institution = InstitutionFactory(name="Secretaría de Desarrollo Social")
    Area.objects.create(institution=institution, name="Coordinación de Delegaciones")
    client.force_login(member(Role.EVALUATOR, institution=institution))
    shouted = seed_bytes.replace(b"Delegaciones", b"DELEGACIONES", 1)
    assert shouted.count(b"Delegaciones") >= 1, "written both ways"
    review_url = upload(client, shouted).url
    page = client.get(review_url).content.decode()
    rows = re.findall(r'id="hallazgo-(\d+)"[^>]*>(.*?)</tr>', page, re.S)
    [index] = [int(i) for i, row in rows if "legaciones» no está en el catálogo" in row.lower()]
    done = decide(
        client,
        review_url,
        confirmo_todo="on",
        **{f"correccion_{index}": "Coordinación de Delegaciones"},
    )
    assert done.redirect_chain[-1][0].startswith("/programas/")
    names = set(Area.objects.filter(institution=institution).values_list("name", flat=True))
    assert not {"Delegaciones", "DELEGACIONES"} & names


@pytest.mark.django_db(transaction=True, databases=["default", "tasks"])
def test_a_reading_on_the_queue_shows_its_progress_then_the_review(
    client, settings, seed_bytes, monkeypatch
):
    from mejora.tasks import work
    from mejora.tasks.worker import worker_run

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(seed_evaluator())
    review_url = upload(client, seed_bytes).url
    progress_url = reverse("import-progress", args=[review_url.strip("/").split("/")[-1]])

    first = client.get(review_url)
    assert first.status_code == 202
    assert 'class="job-bar"' in first.content.decode()
    assert progress_url in first.content.decode()
    waiting = client.get(progress_url).json()
    assert not waiting["finished"] and waiting["percent"] == 0
    assert client.get(review_url).status_code == 202, "a reload waits for the same reading"

    # What the page's bar shows, asked while the worker reads: each report is committed
    # as it is made, apart from the reading's own work.
    states = []
    read = work.annex_review_read

    def read_watched(progress, **options):
        def told(stage, done, total):
            progress(stage, done, total)
            states.append(client.get(progress_url).json())

        return read(told, **options)

    monkeypatch.setattr(work, "annex_review_read", read_watched)
    worker_run(batch=True, interval=0)
    assert len(states) > 2 and not states[-1]["finished"]
    for stage in {state["stage"] for state in states}:
        percents = [state["percent"] for state in states if state["stage"] == stage]
        assert percents == sorted(percents), f"{stage} went back"
    done = client.get(progress_url).json()
    assert done["finished"] and not done["error"] and done["percent"] == 100
    review_page = client.get(review_url)
    assert review_page.status_code == 200
    assert "Se leyeron 9 ASM y 20 actividades" in review_page.content.decode()


def test_a_large_reading_shows_its_first_activities_and_offers_the_whole_as_csv(client):
    document = synth_document(aspects=150)
    assert document.activity_count() > REVIEW_TABLE_ACTIVITIES
    client.force_login(seed_evaluator())
    review_url = upload(client, render(document, "txt"), "grande.txt").url
    page = client.get(review_url).content.decode()
    assert page.count('<tr class="activity-row">') == REVIEW_TABLE_ACTIVITIES
    assert f"Se muestran las primeras {REVIEW_TABLE_ACTIVITIES} de" in page
    token = review_url.strip("/").split("/")[-1]
    reading = client.get(reverse("import-reading", args=[token]))
    assert reading["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reading.content.decode("utf-8-sig"))))
    assert len(rows) - 1 == document.activity_count()  # a header, then one row per activity


def test_an_import_the_queue_gave_up_on_is_reported_and_can_be_confirmed_again(
    client, seed_bytes, settings
):
    client.force_login(seed_evaluator())
    review_url = upload(client, seed_bytes).url
    token = review_url.strip("/").split("/")[-1]
    client.get(review_url)
    # An import whose task failed for a passing reason on every attempt.
    Job.objects.create(key=import_key(token), stage="Importando", done=3, total=9)
    job_give_up(import_key(token))
    page = client.get(review_url)
    assert page.status_code == 200
    assert "El trabajo se interrumpió" in page.content.decode()
    assert Aspect.objects.count() == 0
    done = decide(client, review_url, confirmo_todo="on")
    assert done.redirect_chain[-1][0] == reverse("program-detail", args=[Program.objects.get().pk])
    assert Aspect.objects.count() == 9


IMPORTERS = {Role.LIAISON, Role.EVALUATOR, Role.ADMINISTRATOR}


@pytest.mark.parametrize("role", list(Role))
def test_who_reaches_each_import_page(client, role, seed_bytes):
    """Generated over the roles: who may import sees the pages and their own uploads only."""
    owner = seed_evaluator()
    client.force_login(owner)
    token = upload(client, seed_bytes).url.strip("/").split("/")[-1]
    client.get(reverse("import-review", args=[token]))

    scope = {
        Role.LIAISON: lambda: {"program": ProgramFactory()},
        Role.AREA_STAFF: lambda: {"area": AreaFactory()},
    }.get(role, lambda: {"institution": InstitutionFactory()})()
    client.force_login(member(role, **scope))
    expected = 200 if role in IMPORTERS else 403
    assert client.get(reverse("import-upload")).status_code == expected
    foreign = 404 if role in IMPORTERS else 403  # someone else's upload: no sign it exists
    for name in ("import-review", "import-progress", "import-reading"):
        assert client.get(reverse(name, args=[token])).status_code == foreign, name
