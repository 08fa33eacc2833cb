"""The change log's announcement: once per commit, of what that commit wrote."""

import pytest
from django.db import transaction

from mejora.followup.events import announce_change, records_changed

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def told():
    heard: list[dict[str, list[int]]] = []

    def listen(sender, *, changes, **kwargs):
        heard.append(changes)

    records_changed.connect(listen, dispatch_uid="test-events")
    yield heard
    records_changed.disconnect(dispatch_uid="test-events")


def test_a_commit_tells_of_its_records_once(told):
    with transaction.atomic():
        announce_change("followup.Aspect", 1)
        announce_change("followup.Aspect", 2)
        announce_change("followup.Activity", 7)
    assert told == [{"followup.Aspect": [1, 2], "followup.Activity": [7]}]


def test_what_a_rolled_back_transaction_noted_is_not_told_with_the_next_commit(told):
    with pytest.raises(RuntimeError), transaction.atomic():
        announce_change("followup.Aspect", 1)
        raise RuntimeError
    with transaction.atomic():
        announce_change("followup.Aspect", 2)
    assert told == [{"followup.Aspect": [2]}]
