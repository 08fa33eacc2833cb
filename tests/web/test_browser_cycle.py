"""The whole follow-up cycle in a real browser, on the sample annex: a cut is opened, the liaison
reports an overdue activity as concluded with its PDF, the evaluation unit returns it, the
liaison fixes and resends it, the unit validates it, and the Anexo E at that cut shows it.

Every page visited is checked with axe-core (no serious or critical violation) and, on the
narrow run, for sideways scrolling; a screenshot of each step is kept for CI.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mejora.annex.parsers.text import parse_text
from mejora.annex.renderers import render
from mejora.demo import SAMPLE_ANNEX, demo_prepare, sample_bytes
from mejora.followup.models import Activity, Cut, ProgressReport
from tests.web.test_browser import log_in
from tests.web.test_pages_quality import _pages

# The notices a transition sends go through the queue, whose tables live under `tasks`.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, databases=["default", "tasks"]),
]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("MEJORA_ARTIFACTS", "artifacts")) / "screenshots"
RETURN_REASON = "Falta el acta de entrega firmada; adjunte la versión escaneada."
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ` + v.nodes.map(n => n.target.join(" ")).join(" | "));
}"""

# What sticks out of the page on the right, for the message of a failed width check.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .filter(e => !e.parentElement.closest(".table-scroll"))
  .slice(0, 5).map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)
"""


@pytest.fixture(scope="module", autouse=True)
def axe_installed() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} falta: npm install --prefix tests/web (lo hace .ci/run)")


class Walk:
    """The people of the cycle, each in a browser of their own, and the checks of each page."""

    def __init__(self, browser, live_server, accounts, width: int, shots: Path) -> None:
        self.browser = browser
        self.live_server = live_server
        self.accounts = accounts
        self.width = width
        self.shots = shots
        self.pages: dict[str, object] = {}
        self.step = 0
        self.checked: list[str] = []

    def as_(self, username: str):
        """The browser tab of that person, logged in on first use."""
        if username not in self.pages:
            # bypass_csp only lets the test inject axe-core; the pages' own policy is unchanged.
            context = self.browser.new_context(
                locale="es-MX",
                viewport={"width": self.width, "height": 900},
                bypass_csp=True,
                accept_downloads=True,
            )
            context.set_default_timeout(10_000)
            page = context.new_page()
            log_in(page, self.live_server, username, self.accounts[username])
            self.pages[username] = page
        return self.pages[username]

    def check(self, page, name: str) -> None:
        """Screenshot, then axe-core and (on a narrow screen) the page's width."""
        self.step += 1
        page.screenshot(path=str(self.shots / f"{self.step:02d}-{name}.png"), full_page=True)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(AXE_RUN)
        assert violations == [], f"{name} ({page.url}): {violations}"
        if self.width <= 400:
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            wide = page.evaluate(WIDEST) if scroll > inner else []
            assert scroll <= inner, f"{name} ({page.url}) scrolls sideways: {scroll}: {wide}"
        assert page.locator("html").get_attribute("lang") == "es-MX"
        self.checked.append(page.url)

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def sample_pdf(tmp_path_factory) -> Path:
    """The sample annex printed as a PDF: the evidence the liaison uploads."""
    path = tmp_path_factory.mktemp("evidencia") / "acta-de-entrega.pdf"
    path.write_bytes(render(parse_text(sample_bytes(SAMPLE_ANNEX)), "pdf"))
    return path


@pytest.mark.parametrize("width", [1280, 390])
def test_the_whole_cycle_in_the_browser(
    browser, live_server, settings, tmp_path, sample_pdf, width
):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    prepared = demo_prepare()
    program = prepared.summary.program
    accounts = {a.username: a.password for a in prepared.accounts}
    shots = ARTIFACTS / f"ciclo-{width}"
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {shots.resolve()}")
    walk = Walk(browser, live_server, accounts, width, shots)
    url = live_server.url
    try:
        # The administrator opens the cut.
        admin = walk.as_("admin")
        admin.goto(f"{url}/cortes/")
        walk.check(admin, "cortes")
        admin.fill("#id_name", "Septiembre 2012")
        admin.fill("#id_date", "2012-09-30")
        admin.fill("#id_deadline", "2012-10-15")
        admin.click("button:has-text('Abrir el corte')")
        admin.wait_for_selector("tr:has-text('Septiembre 2012') .badge.cut-open")
        walk.check(admin, "corte-abierto")
        cut = Cut.objects.get(name="Septiembre 2012")

        # The liaison finds an overdue activity and reports it concluded with its PDF.
        liaison = walk.as_("enlace")
        assert liaison.url == f"{url}/programas/{program.pk}/"
        walk.check(liaison, "programa")
        overdue = liaison.locator("tr.activity-row:has(span.badge.overdue)").first
        overdue.locator("a").first.click()
        liaison.wait_for_selector("section.capture")
        walk.check(liaison, "actividad-vencida")
        activity = Activity.objects.get(pk=int(liaison.url.rstrip("/").split("/")[-1]))
        liaison.fill("#id_percent", "100")
        liaison.fill("#id_justification", "Se entregó el padrón depurado.")
        liaison.fill("#id_concluded_text", "15/09/2012")
        liaison.set_input_files("#id_files", str(sample_pdf))
        liaison.click("button:has-text('Guardar avance')")
        liaison.wait_for_selector("ul.evidence a:has-text('acta-de-entrega')")
        walk.check(liaison, "avance-guardado")
        liaison.click("button:has-text('Enviar a revisión')")
        liaison.wait_for_selector("table.reports .badge.report-submitted")
        walk.check(liaison, "avance-enviado")

        # The evaluation unit returns it with a reason.
        unit = walk.as_("evaluacion")
        unit.goto(f"{url}/revision/")
        row = unit.locator(f"tr:has(a[href='/actividades/{activity.pk}/'])")
        assert row.locator("td.num").inner_text().strip() == "100%"
        walk.check(unit, "revision")
        report = ProgressReport.objects.get(activity=activity, cut=cut)
        row.locator("textarea[name=reason]").fill(RETURN_REASON)
        row.locator("button:has-text('Devolver')").click()
        # htmx answers with the row alone: the queue stays where it was.
        unit.wait_for_selector(f"#reporte-{report.pk}.decided")
        assert unit.url == f"{url}/revision/"
        walk.check(unit, "devuelto")
        report.refresh_from_db()
        assert report.state == ProgressReport.State.RETURNED

        # The liaison sees the reason among their pendientes, fixes and resends.
        liaison.goto(f"{url}/pendientes/")
        assert RETURN_REASON in liaison.locator("main").inner_text()
        walk.check(liaison, "pendientes-devuelto")
        liaison.locator(f"main a[href='/actividades/{activity.pk}/']").first.click()
        liaison.wait_for_selector("section.capture .return-reason")
        assert RETURN_REASON in liaison.locator("section.capture").inner_text()
        walk.check(liaison, "actividad-devuelta")
        liaison.fill("#id_justification", "Se entregó el padrón depurado; se adjunta el acta.")
        liaison.fill("#id_references", "Acta de entrega DGOP/2012/118")
        liaison.click("button:has-text('Guardar avance')")
        liaison.wait_for_selector("button:has-text('Enviar a revisión')")
        liaison.click("button:has-text('Enviar a revisión')")
        liaison.wait_for_selector("table.reports .badge.report-submitted")
        walk.check(liaison, "reenviado")

        # The evaluation unit validates it.
        unit.goto(f"{url}/revision/")
        row = unit.locator(f"tr:has(a[href='/actividades/{activity.pk}/'])")
        assert RETURN_REASON in row.inner_text(), "the queue says why it had been returned"
        row.locator("button:has-text('Validar')").click()
        unit.wait_for_selector(f"#reporte-{report.pk}.decided")
        walk.check(unit, "validado")
        report.refresh_from_db()
        assert report.state == ProgressReport.State.VALIDATED

        # The Anexo E at the cut shows the new percent.
        liaison.goto(f"{url}/programas/{program.pk}/anexos/anexo-e/?corte={cut.date.isoformat()}")
        walk.check(liaison, "anexo-e")
        with liaison.expect_download() as download:
            liaison.locator("a.download:has-text('XLSX')").first.click()
        workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        rows = [
            [str(c) if c is not None else "" for c in r]
            for sheet in workbook.worksheets
            for r in sheet.iter_rows(values_only=True)
        ]
        text = activity.text.split()[:6]
        mine = [r for r in rows if any(" ".join(text) in re.sub(r"\s+", " ", c) for c in r)]
        assert mine, "the activity is in the annex"
        progress = next(c for c in mine[0] if c.startswith("Porcentaje de avance"))
        assert "Porcentaje de avance: 100%" in progress
        assert "Fecha de conclusión: 15/09/2012" in progress

        # The activity's page shows its percent at both cuts.
        liaison.goto(f"{url}/actividades/{activity.pk}/")
        cuts = [c.strip() for c in liaison.locator("table.reports tbody th").all_inner_texts()]
        imported = Cut.objects.exclude(pk=cut.pk).get()
        assert set(cuts) == {imported.name, cut.name}
        walk.check(liaison, "historia")
        assert len(walk.checked) >= 12
    finally:
        walk.close()


def test_every_other_page_passes_axe_on_a_phone(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    prepared = demo_prepare()
    program = prepared.summary.program
    accounts = {a.username: a.password for a in prepared.accounts}
    shots = ARTIFACTS / "paginas-390"
    shots.mkdir(parents=True, exist_ok=True)
    walk = Walk(browser, live_server, accounts, 390, shots)
    url = live_server.url
    try:
        context = browser.new_context(
            locale="es-MX", viewport={"width": 390, "height": 900}, bypass_csp=True
        )
        anonymous = context.new_page()
        anonymous.goto(f"{url}/entrar/")
        walk.check(anonymous, "entrar")
        anonymous.goto(f"{url}/contrasena/olvido/")
        walk.check(anonymous, "olvido")
        context.close()

        activity = Activity.objects.filter(aspect__program=program).order_by("pk").first()
        admin = walk.as_("admin")
        for path in [*_pages(program, activity), "/no-existe/"]:
            admin.goto(f"{url}{path}")
            walk.check(admin, path.strip("/").replace("/", "-") or "inicio")
        observer = walk.as_("supervision")
        observer.goto(f"{url}/importar/")
        assert observer.locator("h1").inner_text() == "No tiene permiso para hacer esto"
        walk.check(observer, "403")
    finally:
        walk.close()
