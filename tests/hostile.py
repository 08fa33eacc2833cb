"""Running `mejora import` on a hostile file in a process of its own, as a server would.

The answer is measured where it matters: the exit code and message, the CPU time, the
process's own peak memory (as the process itself reports it, not the test runner's), and
whether the embedded database changed at all.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
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
    seconds: float  # of CPU the command burned: what a loop runs away with, whatever the load
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
    return (
        {key: value for key, value in os.environ.items() if not key.startswith("MEJORA_")}
        | {"MEJORA_DATA_DIR": str(data_dir), "PYTHONUTF8": "1"}
        | settings
    )


# The command runs under a few lines that write its own peak (VmHWM of the process after
# exec) to a file as it exits. rusage's ru_maxrss would not do: a child forked from a test
# runner that has grown to hundreds of megabytes starts out counting the runner's pages.
_MEASURED = """
import atexit, os, runpy, sys

def _peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["MEJORA_TEST_PEAK_FILE"], "w") as out:
        out.write(kb)

atexit.register(_peak)
sys.argv = ["mejora", *sys.argv[1:]]
runpy.run_module("mejora", run_name="__main__", alter_sys=True)
"""


def _children_cpu() -> float:
    """CPU seconds of the children waited for so far: the bound is on the work a reading
    does, not on the wall clock, which other work on a busy machine stretches."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _mejora(data_dir: Path, *args: str, check: bool = False) -> Outcome:
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryDirectory() as scratch,
    ):
        peak_file = Path(scratch) / "peak-kb"
        environment = mejora_environment(data_dir) | {"MEJORA_TEST_PEAK_FILE": str(peak_file)}
        started = _children_cpu()
        process = subprocess.Popen(
            [sys.executable, "-c", _MEASURED, *args], stdout=out, stderr=err, env=environment
        )
        try:
            process.wait(timeout=MAX_SECONDS * 3)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        seconds = _children_cpu() - started
        out.seek(0)
        err.seek(0)
        peak_kb = int(peak_file.read_text()) if peak_file.exists() else float("inf")
        outcome = Outcome(
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            peak_kb / 1024,
        )
    if check and outcome.exit_code != 0:
        raise AssertionError(f"mejora {' '.join(args)} failed:\n{outcome.stderr}")
    return outcome
