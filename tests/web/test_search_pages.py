"""The search page and the near-duplicates page, as their readers see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mejora.accounts.models import Role
from mejora.followup.models import Aspect, AspectLink, ChangeRecord
from mejora.search.indexing import index_refresh
from mejora.search.models import NearDuplicate
from tests.factories import ActivityFactory, AspectFactory, ProgramFactory, member
from tests.search.conftest import seed  # noqa: F401  (the sample annex, indexed)

pytestmark = pytest.mark.django_db(databases=["default", "tasks"])


def test_the_results_are_highlighted_and_link_to_their_record(client, seed):  # noqa: F811
    client.force_login(member(Role.LIAISON, program=seed))
    response = client.get(reverse("search"), {"q": "diagnostico"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<mark>diagnóstico</mark>" in page
    entries = list(response.context["page"])
    assert entries and all(entry.url.startswith("/") for entry in entries)
    activity = next(e for e in entries if e.activity_id)
    assert f'href="{reverse("activity-detail", args=[activity.activity_id])}"' in page


def test_the_highlight_escapes_the_records_html(client, seed):  # noqa: F811
    activity = ActivityFactory(
        aspect=Aspect.objects.filter(program=seed).first(),
        order=99,
        text='<img src=x onerror="alert(1)"> Diagnóstico <b>urgente</b>',
    )
    index_refresh({"followup.Activity": [activity.pk]})
    client.force_login(member(Role.LIAISON, program=seed))
    page = client.get(reverse("search"), {"q": "urgentes"}).content.decode()
    assert "<img src=x" not in page
    assert "<b>urgente" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;b&gt;<mark>urgente</mark>&lt;/b&gt;" in page


def test_a_record_outside_reach_is_not_counted_nor_shown(client, seed):  # noqa: F811
    hidden = AspectFactory(program=ProgramFactory(), text="Diagnóstico reservado", statement="r")
    index_refresh({"followup.Aspect": [hidden.pk]})
    client.force_login(member(Role.LIAISON, program=seed))
    response = client.get(reverse("search"), {"q": "reservado"})
    assert response.context["page"].paginator.count == 0
    assert "Diagnóstico reservado" not in response.content.decode()
    page = _page_as(client, member(Role.ADMINISTRATOR), "reservado")
    assert "Diagnóstico <mark>reservado</mark>" in page


def _page_as(client, user, query: str) -> str:
    client.force_login(user)
    return client.get(reverse("search"), {"q": query}).content.decode()


def test_results_are_paginated(client, seed):  # noqa: F811
    aspect = Aspect.objects.filter(program=seed).first()
    made = [ActivityFactory(aspect=aspect, order=50 + n, text=f"Tablero {n}") for n in range(24)]
    made.insert(3, ActivityFactory(aspect=aspect, order=99, text="Tablero, tablero y tableros"))
    index_refresh({"followup.Activity": [a.pk for a in made]})
    client.force_login(member(Role.LIAISON, program=seed))
    response = client.get(reverse("search"), {"q": "tableros"})
    assert response.context["page"][0].body == "Tablero, tablero y tableros"  # most pertinent
    assert 'href="?q=tableros&amp;pagina=2"' in response.content.decode()
    first = response.context["page"]
    second = client.get(reverse("search"), {"q": "tableros", "pagina": 2}).context["page"]
    assert (first.paginator.count, len(first), len(second)) == (25, 20, 5)
    assert {e.pk for e in first}.isdisjoint(e.pk for e in second)


def test_a_query_matching_too_much_offers_the_newest_and_says_so(
    client,
    seed,  # noqa: F811
    monkeypatch,
):
    from mejora.web.views import search as view

    monkeypatch.setattr(view, "MAX_RESULTS", 30)
    aspect = Aspect.objects.filter(program=seed).first()
    made = [ActivityFactory(aspect=aspect, order=50 + n, text=f"Tablero {n}") for n in range(35)]
    made.append(ActivityFactory(aspect=aspect, order=99, text="Tablero, tablero y tableros"))
    index_refresh({"followup.Activity": [a.pk for a in made]})
    client.force_login(member(Role.LIAISON, program=seed))
    response = client.get(reverse("search"), {"q": "tablero"})
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages) == (30, 2)
    assert "Más de 30 resultados" in response.content.decode()
    assert page[0].body == "Tablero, tablero y tableros"  # the newest first, past the cap
    narrow = client.get(reverse("search"), {"q": "tablero 7"}).context["page"]
    assert [e.body for e in narrow] == ["Tablero 7"]


def test_the_evaluation_unit_links_a_near_duplicate_in_one_click(client, seed):  # noqa: F811
    evaluator = member(Role.EVALUATOR, institution=seed.institution)
    client.force_login(evaluator)
    listing = client.get(reverse("near-duplicates"))
    assert listing.status_code == 200
    assert "100 %" in listing.content.decode()
    pair = NearDuplicate.objects.get()
    response = client.post(
        reverse("near-duplicate-link", args=[pair.pk]), {"kind": AspectLink.Kind.DUPLICATES}
    )
    assert response.status_code == 302
    four = Aspect.objects.get(program=seed, cycle__mechanism_year=2010, number="4")
    six = Aspect.objects.get(program=seed, cycle__mechanism_year=2010, number="6")
    link = AspectLink.objects.get()
    assert (link.aspect, link.related, link.kind) == (six, four, AspectLink.Kind.DUPLICATES)
    history = ChangeRecord.objects.get(model="followup.AspectLink", object_id=str(link.pk))
    assert history.actor == evaluator and history.action == ChangeRecord.Action.CREATE
    # Linked, the pair is no longer flagged.
    assert list(client.get(reverse("near-duplicates")).context["page"]) == []


def test_a_liaison_is_not_shown_the_near_duplicates(client, seed):  # noqa: F811
    client.force_login(member(Role.LIAISON, program=seed))
    assert client.get(reverse("near-duplicates")).status_code == 403
    pair = NearDuplicate.objects.get()
    assert (
        client.post(
            reverse("near-duplicate-link", args=[pair.pk]), {"kind": "continues"}
        ).status_code
        == 403
    )
    assert not AspectLink.objects.exists()


def test_another_institutions_evaluation_unit_does_not_see_the_pair(client, seed):  # noqa: F811
    other = ProgramFactory()
    client.force_login(member(Role.EVALUATOR, institution=other.institution))
    assert list(client.get(reverse("near-duplicates")).context["page"]) == []
    pair = NearDuplicate.objects.get()
    response = client.post(reverse("near-duplicate-link", args=[pair.pk]), {"kind": "continues"})
    assert response.status_code == 404
