"""Importing an annex: the golden reading lands in the database, all or nothing, once."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from mejora.annex.areas import AreaCatalogue, AreaName
from mejora.annex.document import AnnexRejected
from mejora.annex.parsers import parse
from mejora.annex.progress import IMPORTING
from mejora.annex.synth import synth_document
from mejora.followup.models import (
    Activity,
    ActivityArea,
    AnnexImport,
    Area,
    Aspect,
    ChangeRecord,
    Cut,
    Cycle,
    Institution,
    Program,
    ProgressReport,
)
from mejora.followup.services.imports import annex_import, annex_read, file_sha256

pytestmark = pytest.mark.django_db

RECORD_MODELS = (
    Institution, Program, Area, Cycle, Aspect, Activity, ActivityArea, Cut, ProgressReport,
    AnnexImport, ChangeRecord,
)  # fmt: skip


def import_bytes(data: bytes, name: str = "anexo.txt", **options):
    return annex_import(
        document=annex_read(data),
        file_name=name,
        sha256=file_sha256(data),
        file_format="txt",
        **options,
    )


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in RECORD_MODELS}


def dump() -> list[tuple]:
    """Every row of the record's tables, to prove that a failed import changed nothing."""
    rows = []
    for model in RECORD_MODELS:
        rows += [(model.__name__, *r) for r in model.objects.order_by("pk").values_list()]
    return rows


def written_areas(activity: Activity, role: str) -> list[str]:
    roles = activity.area_roles.filter(role=role).order_by("position")
    return [r.written_as for r in roles]


def test_it_stores_every_field_of_the_golden_reading(seed_bytes, golden):
    import_bytes(seed_bytes)
    program = Program.objects.get()
    assert program.name == golden["program"]
    assert program.institution.name == golden["institution"]
    assert Cut.objects.get().date.isoformat() == "2012-03-31"
    for cycle in golden["cycles"]:
        aspects = Aspect.objects.filter(
            cycle__mechanism_year=cycle["mechanism_year"],
            cycle__evaluation_period=cycle["evaluation_period"],
        ).order_by("id")
        assert [a.number for a in aspects] == [a["no"] for a in cycle["aspects"]]
        for aspect, expected in zip(aspects, cycle["aspects"], strict=True):
            assert aspect.classification == cycle["classification"]
            assert (aspect.theme or None) == expected["theme"]
            assert aspect.statement.startswith(expected["text_starts"])
            activities = list(aspect.activities.order_by("order"))
            assert len(activities) == len(expected["activities"])
            for activity, want in zip(activities, expected["activities"], strict=True):
                assert activity.text.startswith(want["text_starts"])
                assert activity.text.endswith(want["text_ends"])
                assert written_areas(activity, "coordinating") == want["coordinating_areas"]
                assert written_areas(activity, "responsible") == want["responsible_areas"]
                assert activity.due.start.isoformat() == want["due"]
                report = activity.reports.get()
                assert report.percent == want["progress"]
                assert report.state == ProgressReport.State.VALIDATED
                if "concluded" in want:
                    assert report.concluded.iso() == want["concluded"]["date"]
                    assert report.concluded.text == want["concluded"]["text"]
                    assert report.concluded.precision == want["concluded"]["precision"]
                else:
                    assert report.concluded is None


def test_acronyms_and_full_names_are_one_area_when_the_catalogue_knows_both(golden):
    from mejora.demo import demo_prepare

    demo_prepare()
    for acronym, entry in golden["area_catalogue"].items():
        roles = ActivityArea.objects.filter(written_as=acronym).select_related("area")
        assert roles.exists(), acronym
        assert {r.area.name for r in roles} == {entry["name"] or acronym}
    upri = Area.objects.get(acronym="UPRI")
    written = set(ActivityArea.objects.filter(area=upri).values_list("written_as", flat=True))
    assert written == {"UPRI", "Unidad de Planeación y Relaciones Internacionales"}
    assert not Area.objects.filter(name="UPRI").exists()


def test_the_import_keeps_its_findings_with_their_locations(seed_bytes):
    summary = import_bytes(seed_bytes)
    record = AnnexImport.objects.get()
    assert record.findings == [f.as_dict() for f in summary.findings]
    ambiguous = [f for f in record.findings if f["kind"] == "ambiguous_date"]
    assert any("01/06/2010" in f["text"] and "2010/3" in f["where"] for f in ambiguous)
    assert sum(f["kind"] == "joined_fragment" for f in record.findings) == 5


def test_importing_the_same_document_twice_changes_nothing(seed_bytes):
    import_bytes(seed_bytes)
    before = dump()
    summary = import_bytes(seed_bytes)
    assert summary.already_imported
    assert (summary.created, summary.updated) == (0, 0)
    assert dump() == before


def test_a_changed_cell_updates_the_record_and_logs_before_and_after(seed_bytes):
    import_bytes(seed_bytes)
    edited = seed_bytes.replace(b"31/03/2009", b"30/04/2009")
    summary = import_bytes(edited, name="anexo-corregido.txt")
    assert (summary.created, summary.updated) == (0, 1)
    activity = Activity.objects.get(due_text="30/04/2009")
    assert activity.version == 2
    change = ChangeRecord.objects.filter(
        action=ChangeRecord.Action.UPDATE, object_id=str(activity.pk)
    ).get()
    assert change.before["due_text"] == "31/03/2009"
    assert change.after["due_text"] == "30/04/2009"
    assert change.source == "importación de anexo-corregido.txt"


def test_every_created_record_is_in_the_change_log(seed_bytes):
    import_bytes(seed_bytes)
    logged = ChangeRecord.objects.filter(action=ChangeRecord.Action.CREATE)
    assert logged.filter(model="followup.Aspect").count() == 9
    assert logged.filter(model="followup.Activity").count() == 20
    assert logged.filter(model="followup.ProgressReport").count() == 20


def test_a_dry_run_reports_what_it_would_write_and_writes_nothing(seed_bytes):
    summary = import_bytes(seed_bytes, dry_run=True)
    assert summary.created > 40
    assert all(n == 0 for n in counts().values())


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b.replace(b"\t95%\t", b"\t195%\t", 1), id="percent-over-100"),
        pytest.param(lambda b: b[: len(b) * 2 // 3], id="truncated"),
        pytest.param(
            lambda b: b.replace("Área Coordinadora".encode(), b"Area X"), id="wrong-columns"
        ),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"\x00\x01PK" * 100, id="binary"),
    ],
)
def test_bad_input_is_rejected_and_leaves_the_database_as_it_was(seed_bytes, mutate):
    import_bytes(seed_bytes)
    before = dump()
    with pytest.raises(AnnexRejected):
        import_bytes(mutate(seed_bytes), name="malo.txt")
    assert dump() == before


def test_a_failure_while_writing_rolls_back_everything(seed_bytes, monkeypatch):
    from mejora.followup.services import imports

    def explode(*args, **kwargs):
        raise RuntimeError("disco lleno")

    monkeypatch.setattr(imports._Loader, "_reports", explode)
    with pytest.raises(RuntimeError):
        import_bytes(seed_bytes)
    assert all(n == 0 for n in counts().values())


def test_the_import_does_not_query_per_activity(seed_bytes, django_assert_max_num_queries):
    document = annex_read(seed_bytes)
    # Bulk writes: the count grows with the cycles, the new areas and the cuts (the program's
    # tallies are recounted at each: a handful of grouped queries), not with the 20
    # activities; the ASM's conclusions are a few queries more for up to 2,000 ASM (their
    # programs held, the facts and the kept rows read, the changed ones written).
    with django_assert_max_num_queries(63):
        annex_import(document=document, file_name="a.txt", sha256="0" * 64, file_format="txt")
    assert connection.vendor in ("sqlite", "postgresql")


def load_sample_catalogue() -> AreaCatalogue:
    """The SEDESOL catalogue of the demo, in the record and as the parser's catalogue."""
    from mejora.demo import SAMPLE_AREAS, sample_bytes
    from mejora.followup.services.catalogue import areas_load

    sample = json.loads(sample_bytes(SAMPLE_AREAS))
    areas = [
        AreaName(a["name"], a.get("acronym", ""), tuple(a.get("aliases", ())))
        for a in sample["areas"]
    ]
    areas_load(
        institution_name=sample["institution"], acronym=sample["acronym"], areas=areas, source="t"
    )
    return AreaCatalogue(areas)


def test_one_reading_splits_the_areas_as_a_reading_with_the_catalogue(seed_bytes, monkeypatch):
    from mejora.followup.services import imports

    with_catalogue = parse(seed_bytes, "txt", catalogue=load_sample_catalogue())
    without = parse(seed_bytes, "txt")
    readings = []
    monkeypatch.setattr(imports, "parse", lambda *a, **k: readings.append(a) or parse(*a, **k))
    document = annex_read(seed_bytes)
    assert len(readings) == 1
    assert document == with_catalogue
    assert document.findings == with_catalogue.findings
    # The catalogue made a difference: fewer areas are unknown with it.
    unknown = [f for f in document.findings if f.kind == "unknown_area"]
    assert 0 < len(unknown) < sum(f.kind == "unknown_area" for f in without.findings)


def test_an_institution_without_a_catalogue_reads_as_without_one(seed_bytes):
    assert annex_read(seed_bytes).findings == parse(seed_bytes, "txt").findings


def test_importing_tells_the_asm_written_up_to_all_of_them():
    document = synth_document(aspects=250)
    calls = []
    annex_import(
        document=document,
        file_name="s.txt",
        sha256="0" * 64,
        file_format="txt",
        progress=lambda *call: calls.append(call),
    )
    assert {stage for stage, _, _ in calls} == {IMPORTING}
    dones = [done for _, done, _ in calls]
    assert dones == sorted(set(dones))
    assert calls[-1] == (IMPORTING, 250, 250)
    assert len(calls) > 2  # told along the way, not only at the ends


def test_a_dry_run_tells_its_progress_and_keeps_no_history(seed_bytes):
    calls = []
    annex_import(
        document=annex_read(seed_bytes),
        file_name="a.txt",
        sha256="0" * 64,
        file_format="txt",
        dry_run=True,
        progress=lambda *call: calls.append(call),
    )
    assert calls[-1] == (IMPORTING, 9, 9)
    assert all(n == 0 for n in counts().values())


def test_a_large_import_keeps_a_history_row_per_record_it_creates():
    summary = annex_import(
        document=synth_document(aspects=250), file_name="s.txt", sha256="0" * 64, file_format="txt"
    )
    created = ChangeRecord.objects.filter(action=ChangeRecord.Action.CREATE).count()
    assert created == summary.created == summary.record.changes


def test_a_name_with_its_acronym_in_parentheses_links_the_existing_area(seed_bytes):
    load_sample_catalogue()
    dgop = Area.objects.get(acronym="DGOP")
    written = "Dirección General de Opciones Productivas (DGOP)"
    first_row = "\tDirección General de Opciones Productivas\t31/12/2008\t".encode()
    assert seed_bytes.count(first_row) == 1
    edited = seed_bytes.replace(first_row, f"\t{written}\t31/12/2008\t".encode())

    summary = import_bytes(edited)

    role = ActivityArea.objects.get(written_as=written)
    assert role.area == dgop
    assert not Area.objects.filter(name__contains="Opciones Productivas").exclude(pk=dgop.pk)
    assert not [f for f in summary.findings if f.kind == "unknown_area" and "DGOP" in f.text]
