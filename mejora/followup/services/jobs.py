"""Long work started from a page (reading or importing a large annex), run in the background.

A page starts a job and shows its progress; the job writes its stage, how far it has come
and, at the end, its result or the Spanish message of why it could not finish, to a small
file beside the uploads, so any worker process of the host can report on it. (Not the
database: an import reports from inside its own transaction, which nobody else sees until
it commits.) A job that stops reporting for longer than JOB_LOST_AFTER (the server
restarted under it) is reported lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from mejora.annex.document import AnnexRejected

logger = logging.getLogger(__name__)

JOB_LOST_AFTER = dt.timedelta(minutes=10)
_KEY = re.compile(r"^[0-9a-z-]{1,100}$")
_starting = threading.Lock()
# How often a running job writes its progress: often enough for a bar, not a write per row.
_WRITE_EVERY = 0.5


@dataclass
class JobState:
    """Where a job is: its stage, done of total, and its result or error once finished."""

    stage: str = "En espera"
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
    """The job's last report, or None when no job has that key."""
    try:
        return JobState(**json.loads(_path(key).read_bytes()))
    except FileNotFoundError:
        return None


def job_start(key: str, work: Work) -> JobState:
    """Start `work(progress)` unless a job with that key is running or done; its state."""
    with _starting:
        state = job_state(key)
        if state is not None and not state.lost:
            return state
        state = JobState(updated=time.time())
        _write(key, state)
    if settings.MEJORA_JOBS_INLINE:
        _run(key, work)
    else:
        threading.Thread(target=_run, args=(key, work), daemon=True, name=f"job-{key}").start()
    return job_state(key) or state


def job_forget(key: str) -> None:
    """Forget the job's state (what it made stays until the caller removes it)."""
    if _KEY.match(key):
        _path(key).unlink(missing_ok=True)


def _run(key: str, work: Work) -> None:
    state = JobState(updated=time.time())
    last_write = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last_write
        state.stage, state.done, state.total = stage, done, total
        now = time.time()
        if now - last_write >= _WRITE_EVERY or done >= total:
            state.updated = last_write = now
            _write(key, state)

    try:
        state.result = work(progress)
    except AnnexRejected as rejection:
        state.error = str(rejection)
    except Exception:  # a bug must not leave the page waiting forever
        logger.exception("Job %s failed", key)
        state.error = (
            "Ocurrió un error interno; nada se escribió. Avise a quien administra el sistema."
        )
    finally:
        if not settings.MEJORA_JOBS_INLINE:
            connections.close_all()  # this thread's connections end with it
    state.finished, state.updated = True, time.time()
    _write(key, state)


def _write(key: str, state: JobState) -> None:
    """Replace the state file whole, so a reader never sees half of it."""
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{threading.get_ident()}")
    temporary.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(temporary, path)


def job_file(key: str, suffix: str) -> Path:
    """Where a job keeps what it made (a reading, a printed PDF), beside its state."""
    if not _KEY.match(key) or not suffix.isalnum():
        raise ValueError(f"bad job file {key!r}.{suffix!r}")
    return Path(settings.MEDIA_ROOT) / "trabajos" / f"{key}.{suffix}"


def _path(key: str) -> Path:
    return job_file(key, "json")
