"""The English catalogue is whole and compiled, and the pages read in English when asked."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

LC = Path(__file__).resolve().parent.parent / "mejora" / "locale" / "en" / "LC_MESSAGES"


def po_entries(path: Path) -> list[dict]:
    """The live entries of a .po: msgctxt, msgid, msgid_plural, msgstr (by plural form), flags."""
    entries, entry, key = [], None, None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#~"):
            if entry is not None and "msgid" in entry:
                entries.append(entry)
                entry, key = None, None
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(key, int):
                entry["msgstr"][key] += text
            else:
                entry[key] += text
        else:
            word, _, rest = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", word)
            key = int(match[1]) if match else 0 if word == "msgstr" else word
            assert isinstance(key, int) or key in ("msgctxt", "msgid", "msgid_plural"), raw
            if isinstance(key, int):
                entry["msgstr"][key] = ast.literal_eval(rest)
            else:
                entry[key] = ast.literal_eval(rest)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    found = po_entries(LC / "django.po")
    assert len(found) > 500  # the parser read the catalogue, not a fraction of it
    return found


def test_every_entry_is_translated_and_none_is_fuzzy(entries):
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in entries if e["msgid"] and not all(e["msgstr"].values())]
    plurals = [e["msgid"] for e in entries if "msgid_plural" in e and set(e["msgstr"]) != {0, 1}]
    assert not fuzzy, f"fuzzy in the English catalogue: {fuzzy}"
    assert not empty, f"untranslated in the English catalogue: {empty}"
    assert not plurals, f"plural entries without both forms: {plurals}"


def test_the_compiled_catalogue_is_the_po(entries):
    with (LC / "django.mo").open("rb") as mo:
        catalog = dict(gettext.GNUTranslations(mo)._catalog)
    expected = {}
    for e in entries:
        if not e["msgid"]:
            continue
        key = f"{e['msgctxt']}\x04{e['msgid']}" if "msgctxt" in e else e["msgid"]
        if "msgid_plural" in e:
            expected.update({(key, n): text for n, text in e["msgstr"].items()})
        else:
            expected[key] = e["msgstr"][0]
    catalog.pop("", None)  # the header
    assert catalog == expected, "django.mo differs from django.po: run compilemessages"


# Interface words, matched as a whole text node: the records themselves stay in Spanish.
SPANISH = ["Pendientes", "Registrar avance", "Guardar avance", "Salir", "Programas", "Mis avisos"]
ENGLISH = ["To do", "Record progress", "Save progress", "Sign out", "Programs", "My notices"]


def text_node(word: str) -> re.Pattern:
    return re.compile(rf">\s*{re.escape(word)}\s*<")


@pytest.mark.django_db
def test_the_pages_read_in_english(client):
    from mejora.accounts.models import Role
    from mejora.demo import demo_prepare
    from mejora.followup.models import Activity, Cut
    from tests.factories import CutFactory, member

    program = demo_prepare().summary.program
    CutFactory(date=dt.date(2012, 9, 30), name="Septiembre 2012", state=Cut.State.OPEN)
    activity = Activity.objects.filter(aspect__program=program).first()
    client.force_login(member(Role.LIAISON, program=program))
    seen = ""
    for url in (
        reverse("program-detail", args=[program.pk]),
        reverse("pending"),
        reverse("activity-detail", args=[activity.pk]),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="en"' in html, url
        for word in SPANISH:
            assert not text_node(word).search(html), f"{word!r} on {url}"
        seen += html
    for word in ENGLISH:
        assert text_node(word).search(seen), word
