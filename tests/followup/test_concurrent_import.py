"""Two imports at once, each in its own process against the database the suite runs on.

Both are answered — imported, or told in Spanish to try again — never an internal error, and
the record ends as one of them left it. On SQLite the second waits for the first's lock; on
PostgreSQL two first imports of a new program race to create the same institution.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from tests.hostile import mejora_environment

# Its child processes use the database MEJORA_DATABASE_URL names: run on every database.
pytestmark = pytest.mark.reaches_database

ROUNDS = 2


@pytest.fixture
def database(tmp_path: Path):
    """A migrated scratch database of the suite's kind: its environment for `mejora`."""
    url = os.environ.get("MEJORA_DATABASE_URL")
    if not url:
        environment = mejora_environment(tmp_path, MEJORA_SQLITE_BUSY_SECONDS="1")
        _mejora(environment, "manage", "migrate", "--verbosity", "0")
        yield environment
        return
    name = f"mejora_race_{os.getpid()}"
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        scratch = url.rsplit("/", 1)[0] + f"/{name}"
        environment = mejora_environment(tmp_path, MEJORA_DATABASE_URL=scratch)
        _mejora(environment, "manage", "migrate", "--verbosity", "0")
        yield environment
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _mejora(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "mejora", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def _both_at_once(environment: dict[str, str], files: list[Path]) -> list[tuple[int, str]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "mejora", "import", str(file)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for file in files
    ]
    answers = []
    for process in processes:
        _, err = process.communicate(timeout=300)
        answers.append((process.returncode, err))
    return answers


def _status(environment: dict[str, str]) -> str:
    return _mejora(environment, "status", "--as-of", "2012-03-31", "--json").stdout


def test_two_first_imports_of_a_new_program_are_both_answered(database, tmp_path, seed_bytes):
    # The same program read from two files that differ in one percent: the record must end
    # as one or the other left it, whole.
    assert b"Avance 100%" in seed_bytes
    files = []
    for name, data in (
        ("concluido", seed_bytes),
        ("pendiente", seed_bytes.replace(b"Avance 100%", b"Avance 40%", 1)),
    ):
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        files.append(path)
    outcomes = set()
    for _ in range(ROUNDS):
        _mejora(database, "manage", "flush", "--noinput")
        answers = _both_at_once(database, files)
        for code, err in answers:
            assert code in (0, 2), err
            if code == 2:
                assert "intente de nuevo" in err
        assert any(code == 0 for code, _ in answers)
        outcomes.add(_status(database))
    # Each round ends as one file or the other left the record, never a mixture.
    one_alone = set()
    for file in files:
        _mejora(database, "manage", "flush", "--noinput")
        _mejora(database, "import", str(file))
        one_alone.add(_status(database))
    assert outcomes <= one_alone


@pytest.mark.skipif(bool(os.environ.get("MEJORA_DATABASE_URL")), reason="SQLite's own lock")
def test_an_import_waits_out_a_lock_longer_than_sqlites_own_wait(database, tmp_path, seed_bytes):
    """Another writer holds the database past the busy wait (1 s here): the import runs again."""
    path = tmp_path / "anexo.txt"
    path.write_bytes(seed_bytes)
    holder = sqlite3.connect(
        Path(database["MEJORA_DATA_DIR"]) / "mejora.sqlite3", check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(3.0, holder.rollback)
    release.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mejora", "import", str(path)],
            env=database,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        release.join()
        holder.close()
    assert done.returncode == 0, done.stderr
    assert '"total": 9' in _status(database)


@pytest.mark.skipif(bool(os.environ.get("MEJORA_DATABASE_URL")), reason="SQLite's own lock")
def test_an_import_told_to_try_again_when_the_lock_outlasts_its_patience(
    database, tmp_path, seed_bytes
):
    path = tmp_path / "anexo.txt"
    path.write_bytes(seed_bytes)
    holder = sqlite3.connect(Path(database["MEJORA_DATA_DIR"]) / "mejora.sqlite3")
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mejora", "import", str(path)],
            env=database | {"MEJORA_WRITE_WAIT_SECONDS": "3"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.rollback()
        holder.close()
    assert done.returncode == 2, done.stderr
    assert "intente de nuevo en unos minutos" in done.stderr
    assert "Traceback" not in done.stderr
    assert '"total": 0' in _status(database)
