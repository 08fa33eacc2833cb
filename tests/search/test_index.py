"""The index: Spanish words found in any form, within the reader's reach, kept current by
the change log, and near-duplicate ASM found without comparing every pair."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mejora.accounts.models import Role
from mejora.followup.models import Aspect, Cut, ProgressReport
from mejora.followup.services.commitments import aspect_update
from mejora.followup.services.evidence import evidence_add, evidence_remove
from mejora.search import duplicates
from mejora.search.indexing import index_rebuild, index_refresh
from mejora.search.models import Kind, NearDuplicate, SearchEntry
from mejora.search.selectors import search_for_user
from tests.factories import (
    ActivityFactory,
    AspectFactory,
    CutFactory,
    ProgramFactory,
    ProgressReportFactory,
    member,
)

pytestmark = pytest.mark.django_db


def bodies(user, query: str) -> list[str]:
    return [entry.body for entry in search_for_user(user, query)]


def seed_aspect(program, year: int, number: str) -> Aspect:
    return Aspect.objects.get(program=program, cycle__mechanism_year=year, number=number)


def test_the_import_indexed_every_kind_of_text_of_the_sample(seed):
    kinds = set(SearchEntry.objects.values_list("kind", flat=True))
    assert {Kind.ASPECT, Kind.ACTIVITY, Kind.JUSTIFICATION, Kind.OBSERVATION} <= kinds
    # What the import wrote and what a rebuild writes are the same entries.
    before = sorted(SearchEntry.objects.values_list("kind", "object_id", "body"))
    index_rebuild()
    assert sorted(SearchEntry.objects.values_list("kind", "object_id", "body")) == before


def test_a_word_without_its_accent_finds_it(seed):
    reader = member(Role.LIAISON, program=seed)
    found = bodies(reader, "diagnostico")
    assert found
    assert all("iagnóstic" in body or "iagnostic" in body for body in found)
    assert any(body.startswith("Diseño: Elaborar un diagnóstico") for body in found)


def test_a_plural_finds_the_singular(seed):
    reader = member(Role.LIAISON, program=seed)
    found = bodies(reader, "evaluaciones")
    assert any("evaluación" in body and "evaluaciones" not in body for body in found)
    assert bodies(reader, "evaluacion") and set(bodies(reader, "evaluacion")) == set(found)


def test_every_word_of_the_query_must_be_there(seed):
    reader = member(Role.LIAISON, program=seed)
    both = bodies(reader, "agenda evaluación")
    assert both
    assert all("genda" in body for body in both)
    assert len(both) < len(bodies(reader, "evaluación"))


def test_a_record_outside_the_readers_reach_is_never_found(seed):
    elsewhere = AspectFactory(
        program=ProgramFactory(), text="Diagnóstico confidencial", statement="x"
    )
    index_refresh({"followup.Aspect": [elsewhere.pk]})
    liaison = member(Role.LIAISON, program=seed)
    assert search_for_user(liaison, "confidencial").count() == 0
    assert not [b for b in bodies(liaison, "diagnostico") if "confidencial" in b]
    administrator = member(Role.ADMINISTRATOR)
    assert bodies(administrator, "confidencial") == ["Diagnóstico confidencial"]


def test_area_staff_find_only_their_areas_activities(seed):
    activity = ActivityFactory(aspect=AspectFactory(program=seed), text="Depurar el censo ganadero")
    index_refresh({"followup.Activity": [activity.pk]})
    from mejora.followup.models import ActivityArea, Area

    area = Area.objects.filter(institution=seed.institution).first()
    assert not ActivityArea.objects.filter(activity=activity, area=area).exists()
    staff = member(Role.AREA_STAFF, area=area)
    assert bodies(staff, "ganaderos") == []
    assert bodies(member(Role.LIAISON, program=seed), "ganaderos") == ["Depurar el censo ganadero"]


def test_an_edit_through_the_service_is_found_once_committed(
    seed, django_capture_on_commit_callbacks
):
    aspect = seed_aspect(seed, 2010, "1")
    actor = member(Role.ADMINISTRATOR)

    def found_aspects(query: str) -> list[int]:
        return [e.object_id for e in search_for_user(actor, query) if e.kind == Kind.ASPECT]

    assert aspect.pk in found_aspects("planes estratégicos de mediano plazo")
    with django_capture_on_commit_callbacks(execute=True):
        aspect_update(
            aspect=aspect,
            number=aspect.number,
            text="Planeación: Elaborar un tablero de indicadores trimestrales",
            theme=aspect.theme,
            classification=aspect.classification,
            priority=aspect.priority,
            change_kind=aspect.change_kind,
            evaluation=aspect.evaluation,
            recommendation=aspect.recommendation,
            registered_on=aspect.registered_on,
            seen_version=aspect.version,
            actor=actor,
        )
    assert [e.object_id for e in search_for_user(actor, "tableros trimestral")] == [aspect.pk]
    assert aspect.pk not in found_aspects("planes estratégicos de mediano plazo")


def test_evidence_is_found_by_its_name_until_it_is_removed(django_capture_on_commit_callbacks):
    cut = CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN)
    report = ProgressReportFactory(cut=cut, state=ProgressReport.State.DRAFT)
    liaison = member(Role.LIAISON, program=report.activity.aspect.program)
    with django_capture_on_commit_callbacks(execute=True):
        evidence = evidence_add(
            report=report, actor=liaison, file=SimpleUploadedFile("Oficio_Padrón.pdf", b"%PDF-1.4")
        )
    assert [e.object_id for e in search_for_user(liaison, "padron")] == [evidence.pk]
    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=evidence, actor=liaison)
    assert search_for_user(liaison, "padron").count() == 0


def test_the_seeds_2010_asm_4_and_6_are_found_as_near_duplicates(seed):
    four, six = seed_aspect(seed, 2010, "4"), seed_aspect(seed, 2010, "6")
    pair = NearDuplicate.objects.get()
    assert (pair.aspect_id, pair.other_id) == (four.pk, six.pk)
    assert pair.similarity == 100.0
    # The rebuild finds the same pair, the same way on SQLite and PostgreSQL.
    assert index_rebuild()["pairs"] == 1
    assert NearDuplicate.objects.get().similarity == 100.0


def test_a_reworded_asm_is_still_a_near_duplicate_and_a_different_one_is_not():
    base = "Contar con una agenda de evaluación de resultados de los programas sociales"
    alike = AspectFactory(statement=base + ", previo análisis de factibilidad", text="x")
    reworded = AspectFactory(statement=base + ", previo analisis de la factibilidad", text="y")
    other = AspectFactory(statement="Depurar el padrón de beneficiarios con la CURP", text="z")
    duplicates.refresh([alike.pk, reworded.pk, other.pk])
    pair = NearDuplicate.objects.get()
    assert {pair.aspect_id, pair.other_id} == {alike.pk, reworded.pk}
    assert 90 <= pair.similarity < 100


def test_candidates_come_from_shared_bands_not_from_every_pair(monkeypatch):
    """Forty unrelated ASM and one repeated pair: only candidates are scored."""
    words = ["padrón", "agenda", "cobertura", "indicador", "reglas", "diagnóstico", "mentores"]
    for n in range(40):
        AspectFactory(
            statement=" ".join(f"{words[(n + k) % 7]}{n}{k}" for k in range(8)), text=str(n)
        )
    AspectFactory(statement="Actualizar las reglas de operación del programa", text="a")
    AspectFactory(statement="Actualizar las reglas de operación del programa.", text="b")
    scored = []
    real = duplicates.score
    monkeypatch.setattr(duplicates, "score", lambda a, b: scored.append((a, b)) or real(a, b))
    assert duplicates.rebuild() == 1
    assert len(scored) < 10  # all pairs would be 861


@pytest.mark.django_db(transaction=True, databases=["default", "tasks"])
def test_an_import_too_large_to_index_at_its_commit_is_indexed_by_a_worker(settings, monkeypatch):
    from mejora.demo import demo_prepare
    from mejora.search import indexing
    from mejora.tasks.worker import worker_run

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(indexing, "INLINE_LIMIT", 5)
    demo_prepare()
    assert not SearchEntry.objects.exists()  # the import did not wait for its index
    worker_run(batch=True, interval=0)
    assert search_for_user(member(Role.ADMINISTRATOR), "diagnostico").count() == 8
    assert NearDuplicate.objects.count() == 1


def test_past_the_cap_pages_hold_the_newest_matches_each_once(monkeypatch):
    """On PostgreSQL the newest entries are walked first and the older matches sorted after
    them: pages that straddle the two are still the matches newest first."""
    from mejora.search import selectors

    monkeypatch.setattr(selectors, "RECENT", 5)  # the five newest entries: four match
    aspect = AspectFactory(text="Sin coincidencias", statement="x")
    made = [
        ActivityFactory(aspect=aspect, order=n + 1, text=f"Tablero {n}" if n % 3 else f"Otra {n}")
        for n in range(21)
    ]
    for activity in made:  # one by one: the entries' ids follow the activities'
        index_refresh({"followup.Activity": [activity.pk]})
    reader = member(Role.LIAISON, program=aspect.program)
    results = selectors.RankedResults(search_for_user(reader, "tableros"), cap=9)
    matching = SearchEntry.objects.filter(body__startswith="Tablero").order_by("-pk")
    assert (results.count(), results.more, matching.count()) == (9, True, 14)
    pages = [results[0:4], results[4:8], results[8:9]]
    assert [e.pk for page in pages for e in page] == [e.pk for e in matching[:9]]


def test_a_letter_unaccent_turns_into_a_quote_is_indexed_and_found():
    """PostgreSQL's unaccent makes ʼ a quote and ŉ «'n»: the record is still indexed, and
    found by those words and by its others."""
    aspect = AspectFactory(text="Sin coincidencias", statement="x")
    text = "Acta dʼaccord con ŉ firmada"
    activity = ActivityFactory(aspect=aspect, order=1, text=text)
    index_refresh({"followup.Activity": [activity.pk]})
    reader = member(Role.LIAISON, program=aspect.program)
    assert bodies(reader, "dʼaccord") == [text]
    assert bodies(reader, "ŉ firmadas") == [text]
