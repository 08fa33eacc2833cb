"""The first page of Mejora, in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from mejora.accounts.models import Role
from mejora.demo import demo_prepare
from mejora.followup.models import Activity, Aspect, ChangeRecord
from tests.factories import InstitutionFactory, member

# The import pages keep their jobs' progress under the `tasks` database.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "tasks"]),
]

FIRST_CYCLE = "ASPECTOS INSTITUCIONALES 2007-2008 (Mecanismo 2008)"
SECOND_CYCLE = "ASPECTOS INSTITUCIONALES 2008-2009 (Mecanismo 2010)"
OVERDUE = ["2008/3.4", "2008/3.5", "2008/4.1", "2010/1.1"]
WRONG_CREDENTIALS = "El usuario o la contraseña no son correctos."


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(locale="es-MX", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/entrar/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")


def test_the_liaison_logs_in_and_sees_the_annex_as_of_its_cut(page, live_server, tmp_path):
    prepared = demo_prepare()
    liaison = next(a for a in prepared.accounts if a.username == "enlace")
    program = prepared.summary.program

    log_in(page, live_server, liaison.username, liaison.password)

    assert page.url == f"{live_server.url}/programas/{program.pk}/"
    headings = page.locator("section.cycle > h2").all_inner_texts()
    assert [h.strip() for h in headings] == [FIRST_CYCLE, SECOND_CYCLE]
    assert page.locator("tr.aspect-row").count() == 9
    activities = page.locator("tr.activity-row")
    assert activities.count() == 20
    overdue = page.locator("tr.activity-row:has(span.badge.overdue)")
    assert overdue.evaluate_all("rows => rows.map(r => r.dataset.activity)") == OVERDUE
    assert {t.strip() for t in overdue.locator("span.badge").all_inner_texts()} == {"Vencida"}
    concluded = page.locator("tr.activity-row:has(span.badge.concluded)")
    assert concluded.count() == 16
    assert {t.strip() for t in concluded.locator("span.badge").all_inner_texts()} == {"Concluida"}
    progress = page.locator('tr.aspect-row[data-aspect="2008/3"] td.num').inner_text()
    assert progress.strip() == "98%"
    assert "Estado al 31 de marzo de 2012" in page.locator("main").inner_text()
    assert "01/06/2010" in page.locator("section.findings").inner_text()

    screenshot = tmp_path / "programa.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000


def test_a_wrong_password_gets_a_spanish_message_and_no_page(page, live_server):
    demo_prepare()

    log_in(page, live_server, "enlace", "no-es-la-contraseña")

    assert page.url.startswith(f"{live_server.url}/entrar/")
    assert page.locator("p.errorlist").inner_text().strip() == WRONG_CREDENTIALS
    assert page.locator("section.cycle").count() == 0
    assert page.locator("tr.aspect-row").count() == 0
    assert FIRST_CYCLE not in page.content()


def test_an_outsider_gets_404_for_the_program(page, live_server, django_user_model):
    program = demo_prepare().summary.program
    django_user_model.objects.create_user(username="ajeno", password="una-clave-larga-2012")

    log_in(page, live_server, "ajeno", "una-clave-larga-2012")
    assert page.locator("#id_username").count() == 0  # logged in: the login form is gone

    response = page.goto(f"{live_server.url}/programas/{program.pk}/")

    assert response is not None
    assert response.status == 404
    assert FIRST_CYCLE not in page.content()


def test_an_evaluator_uploads_an_annex_corrects_a_date_and_imports_it(
    page, live_server, settings, tmp_path, seed_bytes, immediate_tasks
):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    institution = InstitutionFactory(name="Secretaría de Desarrollo Social")
    evaluator = member(Role.EVALUATOR, institution=institution)
    evaluator.set_password("una-clave-larga-2012")
    evaluator.save()
    annex = tmp_path / "anexo-e-2012-03.txt"
    annex.write_bytes(seed_bytes)

    log_in(page, live_server, evaluator.username, "una-clave-larga-2012")
    page.goto(f"{live_server.url}/importar/")
    page.set_input_files("input[type=file]", str(annex))
    page.click("form.upload button[type=submit]")
    # The reading runs in the background; its page reloads itself into the review.
    page.wait_for_selector("table.findings-table", timeout=30_000)
    assert Aspect.objects.count() == 0
    ambiguous = page.locator("tr:has-text('«01/06/2010» puede leerse')")
    assert ambiguous.locator("td").nth(2).inner_text().strip() == "2010-06-01"
    ambiguous.locator("input[name^=correccion_]").fill("6 de enero de 2010")

    page.click("button:has-text('Importar con estas decisiones')")
    problem = page.locator("tr.problem")
    assert problem.count() > 0, "the findings not confirmed are pointed out"
    assert page.locator("div.errors").inner_text().startswith("Hay ")
    assert Aspect.objects.count() == 0
    assert page.locator("input[name^=correccion_][value='6 de enero de 2010']").count() == 1

    page.check("input[name=confirmo_todo]")
    page.click("button:has-text('Importar con estas decisiones')")
    page.wait_for_url(re.compile(r"/programas/\d+/$"), timeout=30_000)
    assert page.locator("tr.aspect-row").count() == 9
    activity = Activity.objects.get(aspect__cycle__mechanism_year=2010, aspect__number="3", order=1)
    assert activity.due.iso() == "2010-01-06"
    assert ChangeRecord.objects.filter(actor=evaluator).exists()
