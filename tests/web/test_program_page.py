"""The program page: who may see it, what it shows, and how many queries it costs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.annex.renderers import render
from mejora.demo import demo_prepare
from mejora.followup.extract import annex_extract, latest_cut
from mejora.followup.listing import PAGE_SIZE
from mejora.followup.models import Area, Program
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import (
    ActivityFactory,
    AreaFactory,
    AspectFactory,
    CutFactory,
    ProgramFactory,
    ProgressReportFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program() -> Program:
    demo_prepare()
    return Program.objects.get()


def personas(program: Program) -> dict[str, object]:
    dgemps = Area.objects.get(acronym="DGEMPS")
    other_area = AreaFactory(institution=program.institution)
    ActivityFactory()  # something outside the program, in another institution
    return {
        "liaison": member(Role.LIAISON, program=program),
        "area": member(Role.AREA_STAFF, area=dgemps),
        "evaluator": member(Role.EVALUATOR, institution=program.institution),
        "oversight": member(Role.OVERSIGHT),
        "administrator": member(Role.ADMINISTRATOR),
        "other_area": member(Role.AREA_STAFF, area=other_area),
        "outsider": UserFactory(),
    }


# Who sees the program page: everyone whose scope reaches the program; the others get a 404
# that does not reveal whether the program exists.
EXPECTED_STATUS = {
    "liaison": 200,
    "area": 200,
    "evaluator": 200,
    "oversight": 200,
    "administrator": 200,
    "other_area": 404,
    "outsider": 404,
}


@pytest.mark.parametrize(("persona", "status"), EXPECTED_STATUS.items())
def test_the_program_page_is_seen_only_within_scope(client, program, persona, status):
    client.force_login(personas(program)[persona])
    response = client.get(reverse("program-detail", args=[program.pk]))
    assert response.status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, program):
    response = client.get(reverse("program-detail", args=[program.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_person_with_one_program_goes_straight_to_it(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("program-detail", args=[program.pk])


def test_the_page_lists_cycles_aspects_activities_and_findings(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    html = client.get(reverse("program-detail", args=[program.pk])).content.decode()
    assert "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)" in html
    assert "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)" in html
    assert html.count('class="aspect-row"') == 9
    assert html.count('class="activity-row"') == 20
    assert html.count('class="badge overdue"') == 4 + 3  # activities and ASM
    assert "Estado al 31 de marzo de 2012" in html
    assert "«01/06/2010» puede leerse día/mes" in html
    assert "Realiza: Delegaciones" in html


def test_the_date_of_the_status_can_be_chosen(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    html = client.get(url, {"al": "2009-01-01"}).content.decode()
    assert "Estado al 1 de enero de 2009" in html
    assert html.count('class="badge concluded"') == 0


def _grow(program: Program, aspects: int) -> None:
    """ASM of three activities each, one overdue, one concluded, one under way."""
    cut = CutFactory()
    for _ in range(aspects):
        aspect = AspectFactory(program=program, registered_on=dt.date(2011, 1, 1))
        for order, percent in enumerate((30, 100, 60), start=1):
            due = dt.date(2013, 1, 1) if percent == 60 else dt.date(2011, 12, 31)
            activity = ActivityFactory(aspect=aspect, order=order, due_on=due)
            ProgressReportFactory(activity=activity, cut=cut, percent=percent)


PAGE_ASKS = {
    "plain": {},
    "filtered": {"estado": "overdue", "orden": "atraso", "q": "padrón"},
    "second page": {"pagina": "2"},
}


def test_the_page_costs_the_same_queries_and_bytes_at_ten_asm_and_at_many(client):
    program = ProgramFactory()
    _grow(program, 10)
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    client.get(url)  # what a process keeps between requests

    def cost() -> dict[str, tuple[int, int]]:
        measured = {}
        for name, query in PAGE_ASKS.items():
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, query)
            assert response.status_code == 200
            measured[name] = (len(queries), response.content.decode().count("activity-row"))
        return measured

    few = cost()
    _grow(program, 90)
    many = cost()
    assert {name: n for name, (n, _) in few.items()} == {name: n for name, (n, _) in many.items()}
    # A page holds at most PAGE_SIZE ASM, whatever the program holds.
    assert many["plain"][1] == PAGE_SIZE * 3
    assert few["plain"][1] == 10 * 3


def test_a_large_program_pages_its_asm_and_keeps_the_filters_between_pages(client):
    program = ProgramFactory()
    _grow(program, PAGE_SIZE + 5)
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    first = client.get(url, {"estado": "overdue"}).content.decode()
    assert first.count('class="aspect-row"') == PAGE_SIZE
    assert "ASM 1 a 25 de 30 que cumplen los filtros (30 en el programa)" in first
    assert 'rel="next" href="?estado=overdue&amp;pagina=2"' in first
    second = client.get(url, {"estado": "overdue", "pagina": "2"}).content.decode()
    assert second.count('class="aspect-row"') == 5
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # Junk in the address is ignored, not an error.
    junk = client.get(url, {"estado": "x", "orden": "y", "ciclo": "z", "pagina": "-3"})
    assert junk.status_code == 200


def test_the_list_filters_by_status_cycle_and_text_and_sorts_by_lateness(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    overdue = client.get(url, {"estado": "overdue"}).content.decode()
    assert overdue.count('class="aspect-row"') == 3
    assert overdue.count('class="badge overdue"') == 4 + 3
    cycle = program.aspects.get(cycle__mechanism_year=2008, number="1").cycle
    only_2008 = client.get(url, {"ciclo": cycle.pk}).content.decode()
    assert "(Mecanismo 2008)</h2>" in only_2008 and "(Mecanismo 2010)</h2>" not in only_2008
    # Accent and case as the person writes them against the ASM's own words.
    aspect = program.aspects.order_by("id").last()
    word = aspect.statement.split()[0]
    found = client.get(url, {"q": word.lower()}).content.decode()
    assert f'data-aspect="{aspect.cycle.mechanism_year}/{aspect.number}"' in found
    nothing = client.get(url, {"q": "zzzz-no-existe"}).content.decode()
    assert "Ningún ASM cumple los filtros." in nothing
    # Most days late first: the first activity row shown is the latest of all.
    late = client.get(url, {"orden": "atraso", "estado": "overdue"}).content.decode()
    days = [int(d) for d in re.findall(r"(\d+) días de retraso", late)]
    first_aspect_days = days[: late.split('class="aspect-row"')[1].count("días de retraso")]
    assert max(first_aspect_days) == max(days)


def test_the_annex_downloads_as_a_file_named_after_program_and_cut(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("annex-download", args=[program.pk, "anexo-e", "txt"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="anexo-e-programa-opciones-productivas-marzo-de-2012.txt"'
    )
    assert "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)" in response.content.decode()


@pytest.mark.parametrize(
    "args", [("anexo-z", "txt"), ("anexo-e", "odt")], ids=["unknown-kind", "unknown-format"]
)
def test_an_unknown_annex_or_format_is_404(client, program, args):
    client.force_login(member(Role.LIAISON, program=program))
    assert client.get(reverse("annex-download", args=[program.pk, *args])).status_code == 404


def test_an_outsider_cannot_download_the_annex(client, program):
    client.force_login(UserFactory())
    url = reverse("annex-download", args=[program.pk, "anexo-e", "txt"])
    assert client.get(url).status_code == 404


def test_the_page_is_in_english_for_an_english_browser(client, program):
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("program-detail", args=[program.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Overdue" in html and "Vencida" not in html
    # The official headings of the annex are reproduced letter for letter, in any language.
    assert "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)" in html


def test_the_annex_is_shown_on_screen_from_the_same_rendering_as_the_pdf(client, program):
    from mejora.annex.renderers.html import render_html
    from mejora.followup.extract import annex_extract, latest_cut

    client.force_login(member(Role.LIAISON, program=program))
    html = client.get(reverse("annex-page", args=[program.pk, "anexo-e"])).content.decode()
    doc = annex_extract(program, cut=latest_cut(program), kind="anexo-e")
    assert render_html(doc, standalone=False) in html


@pytest.mark.django_db(databases=["default", "tasks"])
def test_a_long_pdf_is_printed_in_the_background_then_handed_over(
    client, program, monkeypatch, settings, tmp_path
):
    from mejora.web.views import programs as views

    settings.MEDIA_ROOT = tmp_path
    # The print runs inside the request: the page's answers are the subject here.
    settings.TASKS = IMMEDIATE_TASKS
    monkeypatch.setattr(views, "PDF_IN_REQUEST_ACTIVITIES", 10)
    client.force_login(member(Role.LIAISON, program=program))
    url = reverse("annex-download", args=[program.pk, "anexo-e", "pdf"])

    state = client.get(url, {"progreso": "1"}).json()
    assert state["finished"] and not state["error"]
    assert (state["stage"], state["done"]) == ("Imprimiendo", state["total"])

    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert (
        'filename="anexo-e-programa-opciones-productivas-marzo-de-2012.pdf"'
        in (response["Content-Disposition"])
    )
    pdf = b"".join(response.streaming_content)
    assert pdf == render(annex_extract(program, cut=latest_cut(program), kind="anexo-e"), "pdf")
    assert len(list((tmp_path / "trabajos").glob("pdf-*.pdf"))) == 1, "printed once"


@pytest.mark.django_db(databases=["default", "tasks"])
def test_a_pdf_still_printing_shows_its_progress(client, program, monkeypatch, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    from mejora.followup.services.printing import annex_pdf_key
    from mejora.tasks.models import Job
    from mejora.web.views import programs as views

    settings.MEDIA_ROOT = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(views, "PDF_IN_REQUEST_ACTIVITIES", 10)
    key = annex_pdf_key(program, "anexo-e", latest_cut(program))
    Job.objects.create(key=key, task_id="x", stage="Imprimiendo", done=5, total=20)
    client.force_login(member(Role.LIAISON, program=program))

    page = client.get(reverse("annex-download", args=[program.pk, "anexo-e", "pdf"]))

    assert page.status_code == 202
    body = page.content.decode()
    assert "Imprimiendo el PDF del anexo" in body
    assert 'value="25"' in body and "progreso=1" in body
    assert not DBTaskResult.objects.exists(), "a print under way is not queued again"


def test_area_staff_see_only_their_areas_activities_and_no_annex(client, program):
    from mejora.followup.models import Activity, Area

    area = Area.objects.get(institution=program.institution, acronym="DGEMPS")
    theirs = Activity.objects.filter(aspect__program=program, area_roles__area=area).distinct()
    others = Activity.objects.filter(aspect__program=program).exclude(pk__in=theirs)
    assert theirs.exists() and others.exists()
    client.force_login(member(Role.AREA_STAFF, area=area))
    page = client.get(reverse("program-detail", args=[program.pk])).content.decode()
    for activity in theirs:
        assert reverse("activity-detail", args=[activity.pk]) in page
    for activity in others:
        assert reverse("activity-detail", args=[activity.pk]) not in page
    annex = client.get(reverse("annex-page", args=[program.pk, "anexo-e"]))
    assert annex.status_code == 403
