"""Login throttling and the security headers: what a guesser and a browser are told."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from mejora.accounts.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db

PASSWORD = "una-contraseña-larga-1"
LOCKED = "Hubo demasiados intentos fallidos"
LOGIN_PAGES = ["/entrar/", "/admin/login/"]


@pytest.fixture
def person():
    user = get_user_model().objects.create_user(
        "enlace1", password=PASSWORD, is_staff=True, is_superuser=True
    )
    return user


def attempt(client, url, username, password, address="192.0.2.10", language="es-mx"):
    return client.post(
        url,
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_31st_try_is_refused_even_with_the_right_password(client, person, url):
    for _ in range(30):
        assert attempt(client, url, "enlace1", "equivocada").status_code in (200, 429)
    response = attempt(client, url, "enlace1", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_the_lockout_starts_at_the_configured_limit(client, person, settings, url):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert attempt(client, url, "enlace1", "equivocada").status_code == 200
    assert attempt(client, url, "enlace1", "equivocada").status_code == 429
    assert attempt(client, url, "enlace1", PASSWORD).status_code == 429


def test_the_lockout_page_is_english_for_an_english_reader(client, person, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        attempt(client, "/entrar/", "enlace1", "wrong", language="en")
    response = attempt(client, "/entrar/", "enlace1", PASSWORD, language="en")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed attempts" in text
    assert "Wait 15 minutes" in text


def test_a_locked_account_stays_locked_from_another_address(client, person, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, "/entrar/", "enlace1", "equivocada", address="192.0.2.10")
    assert (
        attempt(client, "/entrar/", "enlace1", PASSWORD, address="198.51.100.7").status_code == 429
    )


def test_a_locked_address_is_refused_for_every_account(client, person, settings):
    settings.AXES_FAILURE_LIMIT = 3
    other = get_user_model().objects.create_user("area1", password=PASSWORD)
    for name in ("x1", "x2", "x3"):  # one password tried on many accounts
        attempt(client, "/entrar/", name, "equivocada")
    assert attempt(client, "/entrar/", other.username, PASSWORD).status_code == 429
    # The same account from an address that did not guess is let in.
    response = attempt(client, "/entrar/", other.username, PASSWORD, address="198.51.100.7")
    assert response.status_code == 302


def test_a_success_does_not_wipe_the_failures_of_its_address(client, person, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for name in ("x1", "x2"):
        attempt(client, "/entrar/", name, "equivocada")
    assert attempt(client, "/entrar/", "enlace1", PASSWORD).status_code == 302
    client.logout()
    attempt(client, "/entrar/", "x3", "equivocada")
    assert attempt(client, "/entrar/", "enlace1", PASSWORD).status_code == 429


def test_failures_older_than_the_cool_off_no_longer_count(client, person, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, "/entrar/", "enlace1", "equivocada")
    assert attempt(client, "/entrar/", "enlace1", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert attempt(client, "/entrar/", "enlace1", PASSWORD).status_code == 302


@pytest.mark.django_db(databases=["default", "tasks"])
def test_a_new_demo_run_unlocks_the_demo_accounts(client, settings):
    from mejora.cli import main

    settings.AXES_FAILURE_LIMIT = 2
    main(["demo", "--no-serve"])
    for _ in range(2):
        attempt(client, "/entrar/", "enlace", "equivocada")
    assert attempt(client, "/entrar/", "enlace", "x").status_code == 429
    assert main(["demo", "--no-serve"]) == 0
    user = get_user_model().objects.get(username="enlace")
    user.set_password(PASSWORD)  # the demo printed its new password; here it is set known
    user.save()
    assert attempt(client, "/entrar/", "enlace", PASSWORD).status_code == 302


def test_the_policy_allows_no_inline_script(client):
    client.force_login(member(Role.OVERSIGHT))
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("url", ["/entrar/", "/admin/login/"])
def test_the_login_pages_carry_the_policy(client, url):
    assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]


def test_no_page_template_holds_inline_script_or_style_attributes():
    from pathlib import Path

    import mejora

    templates = Path(mejora.__file__).parent.glob("*/templates/**/*.html")
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|javascript:|<style(?![^>]*nonce)"
    )
    offenders = [str(t) for t in templates if inline.search(t.read_text(encoding="utf-8"))]
    assert offenders == []


def _production(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    environment |= {
        "MEJORA_DATA_DIR": str(tmp_path),
        "MEJORA_PRODUCTION": "true",
        "MEJORA_SECRET_KEY": secrets.token_urlsafe(50),
        "MEJORA_ALLOWED_HOSTS": "asm.gob.mx",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "mejora", *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    done = _production(tmp_path, "manage", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_check_deploy_warns_without_the_production_settings(tmp_path):
    done = _production(
        tmp_path, "manage", "check", "--deploy", "--fail-level", "WARNING", MEJORA_HSTS_SECONDS="0"
    )
    assert done.returncode != 0
    assert "security.W004" in done.stderr


PRODUCTION_HEADERS = """
import django, json
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client(HTTP_HOST="asm.gob.mx")
plain = client.get("/entrar/")
secure = client.get("/entrar/", secure=True)
proxied = client.get("/entrar/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "proxied": proxied.status_code,
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
}))
"""


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_production_sends_hsts_and_csp_and_redirects_to_https(tmp_path, behind_proxy):
    import json

    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    environment |= {
        "MEJORA_DATA_DIR": str(tmp_path),
        "MEJORA_PRODUCTION": "true",
        "MEJORA_SECRET_KEY": secrets.token_urlsafe(50),
        "MEJORA_ALLOWED_HOSTS": "asm.gob.mx",
        "MEJORA_BEHIND_PROXY": str(behind_proxy).lower(),
        "DJANGO_SETTINGS_MODULE": "mejora.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION_HEADERS],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://asm.gob.mx/entrar/"]
    # Behind a proxy that ended TLS, the proxy's word is taken; otherwise it is not.
    assert seen["proxied"] == (200 if behind_proxy else 301)
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in seen["csp"] and "unsafe-inline" not in seen["csp"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chromium_reports_no_policy_violation_on_the_pages(live_server):
    """The policy blocks nothing the pages need: Chromium logs every refusal on the console."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"{chromium} no está instalado (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from mejora.demo import demo_prepare

    prepared = demo_prepare()
    liaison = next(a for a in prepared.accounts if a.username == "enlace")
    program = prepared.summary.program
    refused = []
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see tests/web/test_browser.py
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            page.on("console", lambda m: refused.append(m.text) if "Policy" in m.text else None)
            page.goto(f"{live_server.url}/entrar/")
            page.fill("#id_username", liaison.username)
            page.fill("#id_password", liaison.password)
            with page.expect_navigation():
                page.click("form.login button[type=submit]")
            annex = f"{live_server.url}/programas/{program.pk}/anexos/anexo-e/"
            for url in (f"{live_server.url}/", page.url, annex):
                page.goto(url)
            # The annex's column widths come from its <style>: applied, so not refused.
            widths = page.eval_on_selector_all(
                "table.annex col", "cols => cols.map(c => getComputedStyle(c).width)"
            )
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert refused == []
    assert widths and any(w not in ("auto", "0px", "") for w in widths)
