"""Shared fixtures: the sample annex imported, and one person per role (the personas)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def golden() -> dict:
    return json.loads((DATA / "seed_expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    from mejora.demo import SAMPLE_ANNEX, sample_bytes

    return sample_bytes(SAMPLE_ANNEX)


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    # Real hashing costs most of a second per password by design; tests need no such cost.
    # The annex's tests also run without Django (`-p no:django`), where there is no setting.
    if request.config.pluginmanager.has_plugin("django"):
        settings = request.getfixturevalue("settings")
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Tasks run inside the request that queues them: for tests whose subject is a page's answer,
# not the queue (tests/followup/test_queue.py runs real workers).
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE_TASKS


# Fixtures through which a test reaches a database; without them (and without the django_db
# mark) pytest-django refuses it any query, so its result cannot depend on the database.
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def pytest_collection_modifyitems(config, items):
    """With MEJORA_TESTS_DATABASE_ONLY=1 (CI's second pass, on PostgreSQL), run only the tests
    that reach the database: the others were run on the first pass and cannot differ."""
    import os

    if os.environ.get("MEJORA_TESTS_DATABASE_ONLY") != "1":
        return
    kept, left = [], []
    for item in items:
        reaches = (
            item.get_closest_marker("django_db") is not None
            or item.get_closest_marker("reaches_database") is not None
            or bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
        )
        (kept if reaches else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
