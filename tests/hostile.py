"""Running `mejora import` on a hostile file in a process of its own, as a server would.

The answer is measured where it matters: the exit code and message, the wall time, the
process's own peak memory (from wait4, not the test runner's), and whether the embedded
database changed at all.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Issue 8's bounds for every hostile input.
MAX_SECONDS = 60
MAX_PEAK_MB = 600


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def migrated_data_dir(path: Path) -> Path:
    """A data folder whose SQLite database has every table, as `mejora demo` leaves it."""
    _mejora(path, "manage", "migrate", "--verbosity", "0", check=True)
    return path


def import_outcome(data_dir: Path, file: Path, *args: str) -> Outcome:
    """`mejora import FILE ARGS` in its own process, against the folder's own database."""
    return _mejora(data_dir, "import", str(file), *args)


def database_dump(data_dir: Path) -> list[str]:
    """Every statement that would rebuild the folder's database: equal dumps, equal records."""
    with sqlite3.connect(data_dir / "mejora.sqlite3") as connection:
        return list(connection.iterdump())


def mejora_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment with no MEJORA_* setting but the data folder and `settings`."""
    return {
        key: value for key, value in os.environ.items() if not key.startswith("MEJORA_")
    } | {"MEJORA_DATA_DIR": str(data_dir), "PYTHONUTF8": "1"} | settings


def _mejora(data_dir: Path, *args: str, check: bool = False) -> Outcome:
    environment = mejora_environment(data_dir)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "mejora", *args], stdout=out, stderr=err, env=environment
        )
        # Reaped here with wait4, for the child's own peak memory; killed if it overstays.
        timer = threading.Timer(MAX_SECONDS * 3, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        outcome = Outcome(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            usage.ru_maxrss / 1024,  # kilobytes on Linux
        )
    if check and outcome.exit_code != 0:
        raise AssertionError(f"mejora {' '.join(args)} failed:\n{outcome.stderr}")
    return outcome
