"""The newer pages in a real browser, on the sample annex: the dashboards and the overdue list,
the balance, search and near-duplicates, the program page, the institutional position (Anexo F)
with its edit forms, a scan's import review with its doubted cells as images, and a filing's
review (an oficio, Anexo B, Anexo C and Anexo F, each in its own section), each opened by the
person who uses it.

Every page is checked at a desk's width and a phone's: axe-core finds no violation worse than
minor, on the phone the page does not scroll sideways (tables scroll inside .table-scroll),
and <html lang> is the language asked for. One page is asked for in English, and its chrome
(skip link, navigation, search box, sign-out) keeps no Spanish; on that page the keyboard's
first Tab shows the skip link, which takes the focus to the content. On the filing's review
the keyboard reaches every finding's tick and correction, each named for what it decides.
Screenshots are kept.

The browser walk is done once per module, on one prepared record; every test then reads its own
page's findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import TransactionTestCase, modify_settings, override_settings
from django.urls import reverse

from mejora.annex.parsers import ocr, scan
from mejora.annex.synth import synth_document
from mejora.demo import demo_prepare
from mejora.followup import listing
from mejora.followup.models import Recommendation
from mejora.followup.services.commitments import evaluation_register, recommendation_register
from tests import bundles
from tests.annex.scans import Spoil, scan_file
from tests.conftest import IMMEDIATE_TASKS
from tests.web.test_browser import log_in
from tests.web.test_browser_cycle import ARTIFACTS, AXE, WIDEST

# The tests only read the walk's findings; the mark has the test databases made for its record.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases=["default", "tasks"])]

WIDTHS = (1280, 390)
UNIT, READER, LIAISON = "evaluacion", "supervision", "enlace"
OCR_REVIEW = "importar-escaneo"
FILING_REVIEW = "importar-expediente"


@dataclass(frozen=True)
class Record:
    """What the pages are opened on: the sample's program and an evaluation of it."""

    program: int
    evaluation: int
    recommendation: int


# Each page, who opens it, and its address on the record.
PAGES: dict[str, tuple[str, Callable[[Record], str]]] = {
    "tablero": (UNIT, lambda r: reverse("dashboard")),
    "tablero-vencidas": (UNIT, lambda r: reverse("dashboard-overdue")),
    "tablero-actividades": (UNIT, lambda r: reverse("dashboard-activities") + "?estado=concluded"),
    "balance": (UNIT, lambda r: reverse("balance")),
    "buscar": (UNIT, lambda r: reverse("search") + "?q=diagnostico"),
    "duplicados": (UNIT, lambda r: reverse("near-duplicates")),
    "programa": (LIAISON, lambda r: reverse("program-detail", args=[r.program])),
    # The sample's 9 ASM at 4 a page (PAGE_SIZE is patched below): the pagination is shown.
    "programa-pagina-2": (
        LIAISON,
        lambda r: reverse("program-detail", args=[r.program]) + "?pagina=2",
    ),
    "posicion": (LIAISON, lambda r: reverse("position-detail", args=[r.evaluation])),
    "posicion-editar": (LIAISON, lambda r: reverse("position-edit", args=[r.evaluation])),
    "recomendacion-editar": (
        UNIT,
        lambda r: reverse("position-recommendation-edit", args=[r.recommendation]),
    ),
    # The addresses are the uploads' own, known once each file is read.
    OCR_REVIEW: (UNIT, lambda r: ""),
    FILING_REVIEW: (UNIT, lambda r: ""),
    "supervision-tablero": (READER, lambda r: reverse("dashboard")),
    "supervision-balance": (READER, lambda r: reverse("balance")),
    "supervision-buscar": (READER, lambda r: reverse("search") + "?q=padron"),
    "supervision-posicion": (READER, lambda r: reverse("position-detail", args=[r.evaluation])),
}
# What shows that a page is the one meant, not an empty or error page of the same address.
SHOWN = {
    "programa-pagina-2": "nav.pagination a[rel=prev]",
    "posicion-editar": "form textarea",
    "importar-escaneo": "figure.scanned-cell img",
    "importar-expediente": "section.instrument input[name=confirmo]",
    "supervision-posicion": "table",
}
ENGLISH_PAGE = "tablero"

# Stricter than the cycle's walk: a moderate violation (two search landmarks of the same name)
# fails these pages too; only axe's minor findings are let pass.
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact !== "minor")
    .map(v => `${v.impact} ${v.id}: ` + v.nodes.map(n => n.target.join(" ")).join(" | "));
}"""

# The chrome every page shares: what must be in the language asked for.
CHROME = """() => {
  const labels = [...document.querySelectorAll("header.top [placeholder], header.top [aria-label]")]
    .map(e => `${e.getAttribute("placeholder") || ""} ${e.getAttribute("aria-label") || ""}`);
  const texts = [...document.querySelectorAll(".skip-link, header.top")].map(e => e.textContent);
  return [...texts, ...labels].join(" ");
}"""
# Words the two languages share, and the people's names: not a sign of a missing translation.
SHARED_WORDS = {"mejora", "balance", UNIT, READER, LIAISON}


@dataclass
class Walk:
    """Each page's findings, by name and width, from one walk of the browser."""

    found: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    english: list[str] = field(default_factory=list)


def _prepare() -> tuple[Record, dict[str, str]]:
    prepared = demo_prepare()
    program = prepared.summary.program
    unit = get_user_model().objects.get(username=UNIT)
    evaluation = evaluation_register(
        program=program,
        cycle=None,
        kind="Evaluación de Diseño",
        year=2011,
        evaluator="El Colegio de México",
        report_title="Informe final de la evaluación de diseño",
        report_url="",
        actor=unit,
    )
    recommendation = recommendation_register(
        evaluation=evaluation,
        text="Actualizar el diagnóstico del problema que atiende el programa.",
        position=Recommendation.Position.PARTIAL,
        reason="El diagnóstico se actualiza con la encuesta de 2012.",
        actor=unit,
    )
    record = Record(program.pk, evaluation.pk, recommendation.pk)
    return record, {a.username: a.password for a in prepared.accounts}


def _check(page, width: int, lang: str) -> list[str]:
    """axe-core's serious and critical violations, sideways scrolling on a phone, <html lang>."""
    problems = []
    page.add_script_tag(path=str(AXE))
    problems += page.evaluate(AXE_RUN)
    if width <= 400:
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > inner:
            problems.append(f"scrolls sideways: {scroll} > {inner}: {page.evaluate(WIDEST)}")
    if (found := page.locator("html").get_attribute("lang")) != lang:
        problems.append(f"<html lang={found!r}>, asked for {lang!r}")
    return problems


# Where the focus is, and whether it is on the screen.
FOCUSED = """() => {
  const e = document.activeElement, box = e.getBoundingClientRect();
  const shown = box.left >= 0 && box.right <= window.innerWidth && box.width > 0;
  return `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className} ${shown}`;
}"""


def _keyboard(page) -> list[str]:
    """The first Tab shows the skip link on the screen; Enter takes the focus to the content."""
    page.keyboard.press("Tab")
    if (first := page.evaluate(FOCUSED)) != "a.skip-link true":
        return [f"the first Tab focuses {first}, not a visible skip link"]
    page.keyboard.press("Enter")
    if not (then := page.evaluate(FOCUSED)).startswith("main#contenido."):
        return [f"the skip link leaves the focus on {then}"]
    return []


# The controls by which the findings of a review are decided, each with its accessible name.
DECIDING = """() => [...document.querySelectorAll(
    ".findings-table input, .findings-table textarea")].map(e => e.name + ":" + e.value)"""
FOCUSED_CONTROL = """() => {
  const e = document.activeElement;
  if (!e.closest(".findings-table")) return null;
  const said = id => (document.getElementById(id) || {}).textContent || "";
  const words = list => (list || "").split(" ").filter(Boolean).map(said).join(" ").trim();
  const box = e.getBoundingClientRect();
  return {
    control: e.name + ":" + e.value,
    name: e.getAttribute("aria-label") || words(e.getAttribute("aria-labelledby")),
    description: words(e.getAttribute("aria-describedby")),
    shown: box.width > 0 && box.left >= 0 && box.right <= window.innerWidth,
  };
}"""


def _findings_by_keyboard(page) -> list[str]:
    """Tab from the top reaches every finding's tick and correction, each on the screen when
    focused, named for what it decides and described by the finding it decides on."""
    controls = page.evaluate(DECIDING)
    if not controls:
        return ["no finding's control to reach"]
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: dict[str, dict] = {}
    for _ in range(3 * len(controls) + 100):
        page.keyboard.press("Tab")
        if (focused := page.evaluate(FOCUSED_CONTROL)) is not None:
            reached.setdefault(focused["control"], focused)
        if len(reached) == len(controls):
            break
    problems = [f"the keyboard never reaches {c}" for c in controls if c not in reached]
    for control, seen in reached.items():
        if not seen["name"]:
            problems.append(f"{control} has no name")
        if not seen["description"]:
            problems.append(f"{control} is not described by its finding")
        if not seen["shown"]:
            problems.append(f"{control} is focused off the screen")
    return problems


def _walk(browser, live_server, walk: Walk, scanned: Path, filed: Path) -> None:
    record, accounts = _prepare()
    url = live_server.url
    signed_in = {}

    def open_as(username: str, width: int, locale: str):
        """A tab of that person's; each signs in once and the session is shared by their tabs."""
        # bypass_csp only lets the test inject axe-core; the pages' own policy is unchanged.
        context = browser.new_context(
            locale=locale,
            viewport={"width": width, "height": 900},
            bypass_csp=True,
            storage_state=signed_in.get(username),
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        if username not in signed_in:
            log_in(page, live_server, username, accounts[username])
            signed_in[username] = context.storage_state()
        return page

    # The evaluation unit uploads a scan: its review shows the doubted cells as images.
    unit = open_as(UNIT, 1280, "es-MX")
    try:
        unit.goto(f"{url}/importar/")
        unit.set_input_files("input[type=file]", str(scanned))
        # The reading runs as the upload's task, here at once: the answer waits for the OCR.
        with unit.expect_navigation(timeout=120_000):
            unit.click("form.upload button[type=submit]", no_wait_after=True)
        unit.wait_for_selector("figure.scanned-cell img", timeout=60_000)
        reviews = {OCR_REVIEW: unit.url}
        # And a filing: its review shows each instrument in its own section.
        unit.goto(f"{url}/importar/")
        unit.set_input_files("input[type=file]", str(filed))
        with unit.expect_navigation(timeout=120_000):
            unit.click("form.upload button[type=submit]", no_wait_after=True)
        unit.wait_for_selector("section.instrument", timeout=60_000)
        reviews[FILING_REVIEW] = unit.url
    finally:
        unit.context.close()

    spanish_chrome = ""
    for width in WIDTHS:
        shots = ARTIFACTS / f"paginas-nuevas-{width}"
        shots.mkdir(parents=True, exist_ok=True)
        tabs = {}
        try:
            for name, (username, address) in PAGES.items():
                if username not in tabs:
                    tabs[username] = open_as(username, width, "es-MX")
                page = tabs[username]
                response = page.goto(reviews.get(name) or url + address(record))
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                status = response.status if response else 0
                problems = [] if status == 200 else [f"answered {status}"]
                if name in SHOWN and not page.locator(SHOWN[name]).count():
                    problems.append(f"shows no {SHOWN[name]}")
                walk.found[name, width] = problems + _check(page, width, "es-MX")
                if name == ENGLISH_PAGE:
                    spanish_chrome = page.evaluate(CHROME)
                    walk.found[name, width] += _keyboard(page)
                if name == FILING_REVIEW:
                    walk.found[name, width] += _findings_by_keyboard(page)
        finally:
            for page in tabs.values():
                page.context.close()

    # The same page asked for in English: the language the browser sends is the one served.
    username, address = PAGES[ENGLISH_PAGE]
    page = open_as(username, 390, "en-US")
    try:
        page.goto(url + address(record))
        page.screenshot(path=str(shots / f"{ENGLISH_PAGE}-en.png"), full_page=True)
        english = _check(page, 390, "en")
        english_chrome = page.evaluate(CHROME)
    finally:
        page.context.close()
    words = lambda text: {w.lower() for w in re.findall(r"\w+", text) if not w.isdigit()}  # noqa: E731
    left = sorted(words(english_chrome) & words(spanish_chrome) - SHARED_WORDS)
    walk.english = english + ([f"Spanish left in the chrome: {left}"] if left else [])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A one-page annex of the sample's institution, printed and scanned: a PNG."""
    if not ocr.tesseract_ready():
        pytest.skip("Tesseract con español no está instalado")
    path = tmp_path_factory.mktemp("escaneo") / "anexo-escaneado.png"
    annex = synth_document(aspects=1, seed=5, kind="documento-trabajo")
    path.write_bytes(scan_file(annex, Spoil(dpi=150), kind="png"))
    return path


@pytest.fixture(scope="module")
def filed(tmp_path_factory) -> Path:
    """A filing as test_import_filing reads it: an oficio that does not say its date (a finding
    of its own), Anexo B, Anexo C at a cut and Anexo F of one program of the sample's
    institution, in one PDF."""
    work, progress = bundles.work_and_progress()
    undated = tuple(line for line in bundles.OFICIO_LINES if "septiembre de 2012" not in line)
    path = tmp_path_factory.mktemp("expediente") / "expediente.pdf"
    path.write_bytes(
        bundles.filing_pdf(work, progress, position=bundles.position_of(work), oficio=undated)
    )
    return path


class _Record(TransactionTestCase):
    """The database of the walk: emptied at the end as pytest-django's transactional tests do."""

    databases = {"default", "tasks"}


@pytest.fixture(scope="module")
def walked(
    request, browser, scanned, filed, django_db_setup, django_db_blocker, tmp_path_factory
) -> Walk:
    """The walk, once per module. The live server is asked for here, at run time, so that the
    tests, which only read what it found, are not each given a database to empty."""
    if not AXE.exists():
        pytest.fail(f"{AXE} falta: npm install --prefix tests/web (lo hace .ci/run)")
    live_server = request.getfixturevalue("live_server")
    uploads = tmp_path_factory.mktemp("uploads")
    walk = Walk()
    record = _Record(methodName="__init__")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=uploads, TASKS=IMMEDIATE_TASKS),
        modify_settings(ALLOWED_HOSTS={"append": urlsplit(live_server.url).hostname}),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(scan, "DOUBT_BELOW", 101)  # every cell read is shown as its image
        patch.setattr(listing, "PAGE_SIZE", 4)
        record._pre_setup()
        try:
            _walk(browser, live_server, walk, scanned, filed)
        finally:
            record._post_teardown()
    return walk


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_is_accessible_and_fits_the_screen(walked, name, width):
    assert walked.found[name, width] == []


def test_a_page_asked_for_in_english_is_served_in_english(walked):
    assert walked.english == []
