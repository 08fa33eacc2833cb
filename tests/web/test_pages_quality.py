"""Every page a person can reach speaks one language, has one title and accessible tables and
forms; refusals and missing pages are our own styled pages, in the person's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from lxml import html

from mejora.accounts.models import Role
from mejora.annex.formats import FORMATS
from mejora.demo import demo_prepare
from mejora.followup.models import Activity, ProgressReport
from mejora.followup.services.cuts import cut_open
from tests.factories import ProgramFactory, ProgressReportFactory, member

pytestmark = pytest.mark.django_db

LANGS = {"es-MX": "es-MX", "en": "en"}
ROLES = ["enlace", "area", "evaluacion", "supervision", "admin"]


@pytest.fixture
def record(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    prepared = demo_prepare()
    program = prepared.summary.program
    cut_open(
        name="Septiembre 2012",
        date=dt.date(2012, 9, 30),
        deadline=dt.date(2012, 10, 15),
        actor=get_user_model().objects.get(username="admin"),
    )
    activity = Activity.objects.filter(aspect__program=program).order_by("pk").first()
    return program, activity


def _pages(program, activity) -> list[str]:
    """Every page a GET opens, with the sample's records filled in."""
    aspect = activity.aspect
    pages = [
        reverse("home"),
        reverse("program-detail", args=[program.pk]),
        reverse("commitments-program", args=[program.pk]),
        reverse("commitments-evaluation-new", args=[program.pk]),
        reverse("commitments-aspect-new", args=[program.pk]),
        reverse("commitments-aspect-edit", args=[aspect.pk]),
        reverse("commitments-aspect-relate", args=[aspect.pk]),
        reverse("commitments-activity-new", args=[aspect.pk]),
        reverse("commitments-activity-edit", args=[activity.pk]),
        reverse("activity-detail", args=[activity.pk]),
        reverse("review-queue"),
        reverse("cut-list"),
        reverse("pending"),
        reverse("search") + "?q=diagnostico",
        reverse("near-duplicates"),
        reverse("balance"),
        reverse("dashboard"),
        reverse("dashboard-overdue"),
        reverse("dashboard-activities") + "?estado=concluded",
        reverse("import-upload"),
        reverse("people"),
        reverse("person-invite"),
        *(reverse("annex-page", args=[program.pk, code]) for code in FORMATS),
    ]
    return pages


def _get(client, url: str, lang: str):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang, follow=False)


def _problems(content: bytes, lang: str) -> list[str]:
    tree = html.fromstring(content)
    found = []
    if tree.get("lang") != lang:
        found.append(f"lang={tree.get('lang')!r}")
    h1 = tree.xpath("//h1")
    if len(h1) != 1:
        found.append(f"{len(h1)} h1")
    for table in tree.xpath("//table"):
        if not table.xpath("./caption"):
            found.append("a table without caption")
        for th in table.xpath(".//th"):
            if not th.get("scope"):
                found.append(f"th without scope: {th.text_content().strip()[:30]!r}")
    labelled = {label.get("for") for label in tree.xpath("//label[@for]")}
    for field in tree.xpath("//input | //select | //textarea"):
        if field.get("type") in {"hidden", "submit", "button"}:
            continue
        if field.get("aria-label") or field.get("aria-labelledby") or field.get("title"):
            continue
        if field.get("id") in labelled or field.xpath("ancestor::label"):
            continue
        found.append(f"input without label: {field.get('name')!r}")
    return found


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_reaches_is_whole_and_accessible(client, record, username):
    program, activity = record
    client.force_login(get_user_model().objects.get(username=username))
    reached = 0
    problems = {}
    for lang in LANGS:
        for url in _pages(program, activity):
            response = _get(client, url, lang)
            if response.status_code == 302:
                continue
            assert response.status_code in {200, 403, 404}, (url, response.status_code)
            reached += response.status_code == 200
            found = _problems(response.content, LANGS[lang])
            if found:
                problems[f"{lang} {url}"] = found
    assert reached > 0
    assert problems == {}, "\n".join(f"{u}: {sorted(set(p))}" for u, p in problems.items())


def test_the_navigation_shows_each_person_the_links_they_may_use(client, record):
    users = get_user_model().objects
    expected = {
        "enlace": {"Programas", "Pendientes", "Balance", "Tablero", "Importar"},
        "area": {"Programas", "Pendientes", "Balance", "Tablero"},
        "evaluacion": {
            "Programas",
            "Pendientes",
            "Balance",
            "Tablero",
            "Revisión",
            "Duplicados",
            "Importar",
        },
        "supervision": {"Programas", "Pendientes", "Balance", "Tablero"},
        "admin": {
            "Programas",
            "Pendientes",
            "Balance",
            "Tablero",
            "Revisión",
            "Duplicados",
            "Importar",
            "Cortes",
            "Personas",
        },
    }
    for username, links in expected.items():
        client.force_login(users.get(username=username))
        tree = html.fromstring(_get(client, reverse("pending"), "es-MX").content)
        nav = tree.xpath("//nav[contains(@class, 'follow-up-nav')]")[0]
        # The count beside a link is not part of its name.
        shown = {a.xpath("string(text())").strip() for a in nav.xpath(".//a")}
        assert shown == links, username


def test_the_navigation_counts_what_waits_for_the_liaison(client, record):
    client.force_login(get_user_model().objects.get(username="enlace"))
    tree = html.fromstring(_get(client, reverse("pending"), "es-MX").content)
    count = tree.xpath(
        "//nav//a[starts-with(normalize-space(.), 'Pendientes')]//span[@class='count']"
    )
    assert count and int(count[0].text_content().strip("() ")) > 0


def test_a_refusal_is_our_styled_spanish_403(client, record):
    client.force_login(get_user_model().objects.get(username="supervision"))
    response = _get(client, reverse("import-upload"), "es-MX")

    assert response.status_code == 403
    tree = html.fromstring(response.content)
    assert tree.get("lang") == "es-MX"
    assert tree.xpath("string(//h1)") == "No tiene permiso para hacer esto"
    assert (
        tree.xpath("string(//p[@class='error-reason'])") == "Su papel no permite importar anexos."
    )
    assert tree.xpath("//link[@rel='stylesheet']")
    assert "Forbidden" not in response.content.decode()


def test_a_refusal_in_english_is_all_in_english_markup(client, record):
    client.force_login(get_user_model().objects.get(username="supervision"))
    response = _get(client, reverse("import-upload"), "en")

    assert response.status_code == 403
    assert html.fromstring(response.content).get("lang") == "en"


def test_a_missing_page_is_our_styled_404(client, record):
    client.force_login(get_user_model().objects.get(username="enlace"))
    response = _get(client, "/no-existe/", "es-MX")

    assert response.status_code == 404
    tree = html.fromstring(response.content)
    assert tree.xpath("string(//h1)") == "No encontramos esta página"
    assert tree.xpath("//link[@rel='stylesheet']")
    assert tree.xpath("//nav[contains(@class, 'follow-up-nav')]")


def test_another_programs_activity_is_our_404_not_a_leak(client, record):
    _, activity = record
    outsider = member(Role.LIAISON, program=ProgramFactory())
    client.force_login(outsider)
    response = _get(client, reverse("activity-detail", args=[activity.pk]), "es-MX")

    assert response.status_code == 404
    assert activity.text not in response.content.decode()
    assert "No encontramos esta página" in response.content.decode()


def test_a_server_error_is_our_styled_500(client, record, settings):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    tree = html.fromstring(response.content)
    assert tree.xpath("string(//h1)") == "Algo salió mal de nuestro lado"
    assert "Traceback" not in response.content.decode()


def _submitted(record):
    from mejora.followup.services.cuts import open_cut

    _, activity = record
    return ProgressReportFactory(
        activity=activity, cut=open_cut(), percent=60, state=ProgressReport.State.SUBMITTED
    )


def test_htmx_validation_answers_with_the_row_alone(client, record):
    report = _submitted(record)
    client.force_login(get_user_model().objects.get(username="evaluacion"))

    response = client.post(
        reverse("review-decide", args=[report.pk]),
        {"decision": "validate"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    row = html.fragment_fromstring(body, create_parent="div").xpath(
        f"//tr[@id='reporte-{report.pk}']"
    )
    assert row and "decided" in row[0].get("class")
    assert "Se validó el avance" in row[0].text_content()
    assert 'hx-swap-oob="true"' in body and "0 reportes esperan su revisión" in body
    report.refresh_from_db()
    assert report.state == ProgressReport.State.VALIDATED


def test_htmx_return_without_reason_answers_the_row_with_its_refusal(client, record):
    report = _submitted(record)
    client.force_login(get_user_model().objects.get(username="evaluacion"))

    response = client.post(
        reverse("review-decide", args=[report.pk]),
        {"decision": "return", "reason": ""},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body
    assert f'id="reporte-{report.pk}"' in body
    report.refresh_from_db()
    assert report.state == ProgressReport.State.SUBMITTED


def test_without_htmx_a_decision_goes_back_to_the_whole_queue(client, record):
    report = _submitted(record)
    client.force_login(get_user_model().objects.get(username="evaluacion"))

    response = client.post(reverse("review-decide", args=[report.pk]), {"decision": "validate"})

    assert response.status_code == 302
    assert response["Location"] == reverse("review-queue")


def test_dates_follow_the_language(client, record):
    program, _ = record
    client.force_login(get_user_model().objects.get(username="enlace"))

    spanish = _get(client, reverse("program-detail", args=[program.pk]), "es-MX").content.decode()
    english = _get(client, reverse("program-detail", args=[program.pk]), "en").content.decode()

    assert "31 de marzo de 2012" in spanish
    assert "31 de marzo de 2012" not in english
    assert "March 31, 2012" in english


def test_a_stale_form_is_our_styled_page_not_djangos(record):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="enlace"))

    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="es-MX")

    assert response.status_code == 403
    tree = html.fromstring(response.content)
    assert tree.xpath("string(//h1)") == "El formulario ya no es válido"
    assert "CSRF" not in response.content.decode()


def test_the_home_page_offers_the_import_only_to_who_may_import(client, record):
    users = get_user_model().objects
    # Two programs, so the home page lists them instead of opening the only one.
    ProgramFactory()
    seen = {}
    for username in ("supervision", "admin"):
        client.force_login(users.get(username=username))
        tree = html.fromstring(_get(client, reverse("home"), "es-MX").content)
        seen[username] = bool(tree.xpath("//main//a[@href='/importar/']"))
    assert seen == {"supervision": False, "admin": True}


def test_the_navigation_marks_the_page_the_person_is_on(client, record):
    client.force_login(get_user_model().objects.get(username="admin"))

    tree = html.fromstring(_get(client, reverse("cut-list"), "es-MX").content)

    current = tree.xpath("//nav//a[@aria-current='page']")
    assert [a.get("href") for a in current] == [reverse("cut-list")]
