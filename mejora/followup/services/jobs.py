"""Long work started from a page (reading or importing a large annex, printing a long PDF),
run in the background.

A page starts a job and shows its progress; the job writes its stage, how far it has come
and, at the end, its result or the Spanish message of why it could not finish, to a small
file under MEDIA_ROOT, so every worker process of the host (and every host that shares
the folder) can report on it. Not the database: an import reports from inside its own
transaction, which nobody else sees until it commits.

A running job's state file is rewritten at least every HEARTBEAT; one silent for
JOB_LOST_AFTER died with its process and may be started again. Starting is a claim on the
state file that only one caller wins, whatever the process, so a double click or two
people confirming at once run the work once. Each process runs at most MAX_RUNNING jobs at
a time; the others wait, shown as 'En espera'. Files older than KEEP_FOR are swept away.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from mejora.annex.document import AnnexRejected

logger = logging.getLogger(__name__)

HEARTBEAT = dt.timedelta(seconds=30)
JOB_LOST_AFTER = dt.timedelta(minutes=10)
KEEP_FOR = dt.timedelta(days=7)
# Reading a 25 MB annex or printing a long PDF takes a few hundred MB: two at a time per
# worker process keeps a server's memory predictable.
MAX_RUNNING = 2
WAITING = "En espera"

_KEY = re.compile(r"^[0-9a-z-]{1,120}$")
_slots = threading.BoundedSemaphore(MAX_RUNNING)
_last_sweep = 0.0
# How often a running job writes its progress: often enough for a bar, not a write per row.
_WRITE_EVERY = 0.5


@dataclass
class JobState:
    """Where a job is: its stage, done of total, and its result or error once finished."""

    stage: str = WAITING
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    updated: float = 0.0

    @property
    def percent(self) -> int:
        if self.finished and not self.error:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def lost(self) -> bool:
        stale = time.time() - self.updated > JOB_LOST_AFTER.total_seconds()
        return not self.finished and stale

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"percent": self.percent, "lost": self.lost}


Work = Callable[[Callable[[str, int, int], None]], dict[str, Any]]


def job_state(key: str) -> JobState | None:
    """The job's last report, or None when no job has that key.

    A state file that cannot be read (a disk that filled up mid-write) reads as a lost job,
    so it is started again rather than breaking the page.
    """
    try:
        return JobState(**json.loads(_path(key).read_bytes()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        return JobState(stage="?", updated=0.0)


def job_start(key: str, work: Work, *, again: bool = False) -> JobState:
    """Start `work(progress)` under `key` unless it is running or done; its state.

    With `again`, a job that finished (a failed import the person confirms once more) is
    started anew too. Of several callers at once, one starts it; the others get its state.
    """
    _sweep()
    state = job_state(key)
    if state is not None and not state.lost and not (again and state.finished):
        return state
    path = _path(key)
    if state is not None:
        # Taking the old state away is the claim: a rename succeeds for one caller only.
        retired = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            os.rename(path, retired)
        except FileNotFoundError:
            return job_state(key) or JobState(updated=time.time())
        retired.unlink(missing_ok=True)
    state = JobState(updated=time.time())
    # The claim: the state written whole to a file of our own, then linked in under the
    # job's name, which fails if another caller got there first. (Creating the name and
    # then writing to it would let a reader find it empty in between.)
    claim = _temporary(path, json.dumps(asdict(state)).encode("utf-8"))
    try:
        os.link(claim, path)
    except FileExistsError:
        return job_state(key) or state
    finally:
        os.unlink(claim)
    if settings.MEJORA_JOBS_INLINE:
        _run(key, work, state)
    else:
        thread = threading.Thread(target=_run, args=(key, work, state), name=f"job-{key}")
        thread.daemon = True
        thread.start()
    return job_state(key) or state


def job_file(key: str, suffix: str) -> Path:
    """Where a job keeps what it made (a reading, a printed PDF), beside its state."""
    if not _KEY.match(key) or not suffix.isalnum():
        raise ValueError(f"bad job file {key!r}.{suffix!r}")
    return Path(settings.MEDIA_ROOT) / "trabajos" / f"{key}.{suffix}"


def job_file_write(key: str, suffix: str, data: bytes) -> Path:
    """Write a job's output whole or not at all: a reader never finds half of it."""
    path = job_file(key, suffix)
    _replace(path, data)
    return path


def job_forget(key: str) -> None:
    """Forget the job's state (what it made stays until the caller removes it)."""
    if _KEY.match(key):
        _path(key).unlink(missing_ok=True)


def _run(key: str, work: Work, state: JobState) -> None:
    writing = threading.Lock()
    stop = threading.Event()
    last_write = 0.0

    def report(*, force: bool = False) -> None:
        nonlocal last_write
        with writing:
            now = time.time()
            if force or now - last_write >= _WRITE_EVERY:
                state.updated = last_write = now
                _write(key, state)

    def progress(stage: str, done: int, total: int) -> None:
        state.stage, state.done, state.total = stage, done, total
        report(force=done >= total)

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT.total_seconds()):
            report(force=True)

    inline = settings.MEJORA_JOBS_INLINE
    if not inline:
        threading.Thread(target=heartbeat, name=f"job-{key}-heartbeat", daemon=True).start()
    try:
        with _slots:
            state.stage = "Empezando"
            report(force=True)
            state.result = work(progress)
    except AnnexRejected as rejection:
        state.error = str(rejection)
    except Exception:  # a bug must not leave the page waiting forever
        logger.exception("Job %s failed", key)
        state.error = (
            "Ocurrió un error interno; nada se escribió. Avise a quien administra el sistema."
        )
    finally:
        stop.set()
        if not inline:
            connections.close_all()  # this thread's connections end with it
    state.finished = True
    report(force=True)


def _write(key: str, state: JobState) -> None:
    _replace(_path(key), json.dumps(asdict(state)).encode("utf-8"))


def _replace(path: Path, data: bytes) -> None:
    temporary = _temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _temporary(path: Path, data: bytes) -> Path:
    """`data` in a new file beside `path`, to be put in its place in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _path(key: str) -> Path:
    return job_file(key, "json")


def _sweep() -> None:
    """Remove what jobs left more than KEEP_FOR ago; at most once an hour per process."""
    global _last_sweep
    now = time.time()
    if now - _last_sweep < 3600:
        return
    _last_sweep = now
    folder = Path(settings.MEDIA_ROOT) / "trabajos"
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        try:
            if now - path.stat().st_mtime > KEEP_FOR.total_seconds():
                path.unlink()
        except FileNotFoundError:
            pass
