"""The balance page and its files: CONEVAL's 2018-2019 figures on screen, in the PDF (read back
with pdfplumber) and in the spreadsheet (read back with openpyxl), for whom may see them."""

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET

import openpyxl
import pdfplumber
import pytest
from django.urls import reverse
from django.utils import timezone

from mejora.accounts.models import Role
from mejora.followup.models import Aspect
from tests.conftest import IMMEDIATE_TASKS
from tests.factories import member
from tests.stats import coneval

FIGURES = ("243", "79%", "73.4%", "5.9%", "18.1%")


@pytest.fixture
def record(db):
    return coneval.build()


@pytest.fixture
def overseer(client):
    user = member(Role.OVERSIGHT)
    client.force_login(user)
    return user


@pytest.fixture
def printed_in_the_request(settings, tmp_path):
    # The files are printed by a task (tests/web/test_balance_download_queue.py runs the
    # worker); here it runs inside the request, so the first answer is the file itself.
    settings.TASKS = IMMEDIATE_TASKS
    settings.MEDIA_ROOT = tmp_path


def _query(record) -> dict:
    return {"cycle": record.cycle.pk, "as_of": "2019-03-31"}


def test_the_page_shows_the_figures_with_charts_and_tables(client, record, overseer):
    response = client.get(reverse("balance"), _query(record))
    assert response.status_code == 200
    html = response.content.decode()
    for figure in FIGURES:
        assert figure in html
    assert "188 de los 238 ASM específicos e institucionales" in html
    assert html.count('role="img"') == 6  # five sections and the comparison with 2017
    first = html.index("<svg")
    svg = html[first : html.index("</svg>", first) + len("</svg>")]
    ET.fromstring(svg)
    assert '<th scope="row">corregir actividades o procesos</th>' in html
    assert "Programa 000" in html  # the table of programs
    assert reverse("balance-download", args=["pdf"]) in html


@pytest.mark.django_db(databases=["default", "tasks"])
def test_the_pdf_carries_the_figures_and_the_charts_labels(
    client, record, overseer, printed_in_the_request
):
    response = client.get(reverse("balance-download", args=["pdf"]), _query(record))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "balance-2018-2019-03-31.pdf" in response["Content-Disposition"]
    with pdfplumber.open(io.BytesIO(b"".join(response.streaming_content))) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    for figure in FIGURES:
        assert figure in text
    # The chart's own label, drawn as SVG text: the page's SVG is the one printed.
    assert "138 (73.4%)" in text


@pytest.mark.django_db(databases=["default", "tasks"])
def test_the_spreadsheet_holds_the_tables_with_percentages_as_numbers(
    client, record, overseer, printed_in_the_request
):
    response = client.get(reverse("balance-download", args=["xlsx"]), _query(record))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = {row[0]: row[1] for row in book["Resumen"].iter_rows(min_row=3, values_only=True)}
    assert summary["ASM"] == 243
    assert summary["Concluidos"] == 188
    assert round(summary["Cumplimiento"] * 100) == 79
    changes = book["Tipo de cambio"]
    rows = {r[0]: r[1:] for r in changes.iter_rows(min_row=3, values_only=True)}
    assert rows["corregir actividades o procesos"][0] == 138
    assert f"{rows['corregir actividades o procesos'][1] * 100:.1f}" == "73.4"
    assert f"{rows['modificar apoyos'][1] * 100:.1f}" == "5.9"
    assert f"{rows['reorientación sustancial'][1] * 100:.1f}" == "18.1"
    assert changes.cell(3, 3).number_format == "0.0%"
    kinds = {r[0]: r[3] for r in book["Tipo por actor"].iter_rows(min_row=3, values_only=True)}
    assert kinds == {
        "específico": 182,
        "institucional": 56,
        "interinstitucional": 4,
        "intergubernamental": 1,
    }


def _program_rows(html: str) -> list[str]:
    table = html[html.index('id="balance-programs"') :]
    return re.findall(r'<th scope="row">S\d+ (Programa \d+)', table)


def test_the_page_shows_the_programs_a_page_at_a_time_and_the_pdf_all_of_them(
    client, record, overseer
):
    from mejora.stats.balance import cycle_balance
    from mejora.stats.balance_report import balance_report, render_balance_html
    from mejora.web.views.balance import PROGRAMS_PER_PAGE

    pages = [
        client.get(reverse("balance"), _query(record) | {"pagina": n}).content.decode()
        for n in (1, 2, 3)
    ]
    shown = [_program_rows(html) for html in pages]
    assert [len(rows) for rows in shown] == [PROGRAMS_PER_PAGE, PROGRAMS_PER_PAGE, 3]
    assert len({name for rows in shown for name in rows}) == 103
    assert "103 programas con ASM específicos o institucionales" in pages[2]
    assert 'aria-label="Páginas de programas"' in pages[0]
    assert f'href="?cycle={record.cycle.pk}&amp;as_of=2019-03-31&amp;pagina=2"' in pages[0]
    balance = cycle_balance(Aspect.objects.all(), cycle=record.cycle, as_of=dt.date(2019, 3, 31))
    assert len(_program_rows(render_balance_html(balance_report(balance)))) == 103


def test_a_liaison_sees_the_balance_of_their_program_only(client, record):
    program = record.programs[0]
    client.force_login(member(Role.LIAISON, program=program))
    html = client.get(reverse("balance"), _query(record)).content.decode()
    assert "Programa 000" in html
    assert "Programa 001" not in html
    assert "243 ASM" not in html


def test_without_a_query_it_shows_the_latest_cycle_in_reach_today(client, record, overseer):
    response = client.get(reverse("balance"))
    assert response.status_code == 200
    assert response.context["report"].balance.cycle == str(record.cycle)
    today = timezone.localdate().isoformat()
    # The date field says which day it is, in the only form a date input takes.
    assert f'value="{today}"' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"as_of": "ayer"}, "Escriba la fecha como AAAA-MM-DD."),
        ({"cycle": "999999"}, "Ese ciclo no existe o no tiene ASM a su alcance."),
    ],
)
def test_bad_input_is_told_in_spanish(client, record, overseer, query, message):
    for url in (reverse("balance"), reverse("balance-download", args=["xlsx"])):
        response = client.get(url, query)
        assert response.status_code == 400
        assert message in response.content.decode()


def test_a_cycle_out_of_reach_is_refused_like_one_that_does_not_exist(client, record):
    client.force_login(member(Role.LIAISON, program=record.programs[0]))
    # The liaison's program has ASM in 2018 and 2017; a cycle with none of theirs is not offered.
    other = coneval.CycleFactory(mechanism_year=2016, evaluation_period="2015-2016")
    coneval.AspectFactory(program=record.programs[5], cycle=other)
    response = client.get(reverse("balance"), {"cycle": other.pk})
    assert response.status_code == 400


def test_an_unknown_file_format_is_not_found(client, record, overseer):
    assert client.get(reverse("balance-download", args=["docx"])).status_code == 404
