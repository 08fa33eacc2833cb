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
