import pytest

from mejora.followup.models import Activity, Aspect, ChangeRecord, Replanning
from mejora.followup.services.synth import synth_load

pytestmark = pytest.mark.django_db


def test_synthetic_records_load_with_replannings_and_their_history():
    summary = synth_load(aspects=60, seed=5)
    assert Aspect.objects.count() == 60
    assert Activity.objects.count() == summary.document.activity_count()
    replannings = Replanning.objects.all()
    assert replannings.exists()
    assert all(r.justification and r.new_due.start > r.previous_due.start for r in replannings)
    assert ChangeRecord.objects.filter(model="followup.Replanning").count() == replannings.count()


def test_government_scale_writes_what_it_counts_across_institutions_and_cuts():
    import datetime as dt

    from mejora.followup.models import ActivityArea, Cut, Program, ProgressReport
    from mejora.followup.selectors import status_counts
    from mejora.followup.services.synth import synth_government

    made = synth_government(programs=8, cycles=3, seed=7)
    assert Program.objects.count() == made.programs == 8
    assert Program.objects.values("institution").distinct().count() > 3
    assert Aspect.objects.count() == made.aspects > 8 * 3 * 5
    assert Activity.objects.count() == made.activities > 2 * made.aspects
    assert ProgressReport.objects.count() == made.reports > made.activities
    assert ActivityArea.objects.filter(role=ActivityArea.Role.COORDINATING).count() == (
        made.activities
    )
    # Mostly específicos, as in CONEVAL's balance; concluded ASM say what kind of change.
    assert Aspect.objects.filter(classification="especifico").count() > made.aspects / 2
    assert Aspect.objects.exclude(change_kind="").exists()
    # The latest cut is open, with reports sent and in draft; the rest are validated.
    open_cut = Cut.objects.get(state=Cut.State.OPEN)
    assert open_cut == Cut.objects.order_by("date").last()
    states = set(ProgressReport.objects.filter(cut=open_cut).values_list("state", flat=True))
    assert states <= {"submitted", "draft"} and states
    assert not ProgressReport.objects.exclude(cut=open_cut).exclude(state="validated").exists()
    counts = status_counts(Aspect.objects.all(), dt.date(2012, 3, 31))
    assert counts["activities"]["concluded"] and counts["activities"]["overdue"]
    assert all(
        r.justification and r.new_due.start > r.previous_due.start for r in Replanning.objects.all()
    )
    # History for the catalogue it made, none per ASM, activity or report.
    assert ChangeRecord.objects.filter(model="followup.Program").count() == 8
    assert not ChangeRecord.objects.filter(model="followup.Aspect").exists()
    # Written without history, yet found by search: the index is built at the end.
    from mejora.search.models import SearchEntry

    assert SearchEntry.objects.count() > made.aspects + made.activities


def test_government_scale_is_refused_on_a_record_that_has_it():
    from mejora.followup.services.synth import SynthRefused, synth_government

    synth_government(programs=2, cycles=1, seed=3)
    with pytest.raises(SynthRefused):
        synth_government(programs=2, cycles=1, seed=3)
    assert Aspect.objects.count() > 0
