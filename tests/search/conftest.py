"""The sample annex imported with its index kept as a real commit keeps it."""

from __future__ import annotations

import pytest


@pytest.fixture
def seed(django_capture_on_commit_callbacks):
    """The sample annex's program, indexed by the change log's announcement on commit."""
    from mejora.demo import demo_prepare

    with django_capture_on_commit_callbacks(execute=True):
        prepared = demo_prepare()
    return prepared.summary.program
