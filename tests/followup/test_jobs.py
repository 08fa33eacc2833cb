"""Background jobs: one run per key whoever asks, a state that always reads, nothing torn."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from mejora.annex.document import AnnexRejected
from mejora.followup.services import jobs
from mejora.followup.services.jobs import job_file, job_file_write, job_start, job_state


@pytest.fixture(autouse=True)
def jobs_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MEJORA_JOBS_INLINE = True


def counting_work(runs: list[int], result: dict | None = None):
    def work(progress):
        runs.append(1)
        progress("Leyendo", 1, 2)
        progress("Leyendo", 2, 2)
        return result or {"ok": True}

    return work


def test_a_job_runs_once_and_then_reports_its_result():
    runs: list[int] = []
    first = job_start("uno", counting_work(runs))
    again = job_start("uno", counting_work(runs))
    assert runs == [1]
    assert first.finished and again.finished and again.result == {"ok": True}
    assert (again.stage, again.done, again.total, again.percent) == ("Leyendo", 2, 2, 100)


def test_many_callers_at_once_start_it_once(settings):
    settings.MEJORA_JOBS_INLINE = False
    release = threading.Event()
    runs: dict[str, list[int]] = {}

    def slow(key):
        def work(progress):
            runs.setdefault(key, []).append(1)
            release.wait(5)
            return {}

        return work

    keys = [f"juntos-{n}" for n in range(10)]  # ten races, to catch one that is rare
    callers = [
        threading.Thread(target=job_start, args=(key, slow(key))) for key in keys for _ in range(6)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    release.set()
    deadline = time.monotonic() + 10
    while not all(job_state(k).finished for k in keys) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert runs == {key: [1] for key in keys}


def test_a_rejection_is_kept_in_spanish_and_a_bug_as_a_plain_message():
    def rejected(progress):
        raise AnnexRejected("El archivo está vacío.")

    def buggy(progress):
        raise KeyError("x")

    assert job_start("rechazo", rejected).error == "El archivo está vacío."
    assert job_start("falla", buggy).error.startswith("Ocurrió un error interno; nada se escribió")


def test_again_runs_a_finished_job_anew_but_never_a_running_one():
    runs: list[int] = []
    job_start("otra", counting_work(runs))
    job_start("otra", counting_work(runs), again=True)
    assert runs == [1, 1]
    running = jobs.JobState(stage="Importando", updated=time.time())
    job_file_write("corriendo", "json", json.dumps(jobs.asdict(running)).encode())
    assert not job_start("corriendo", counting_work(runs), again=True).finished
    assert runs == [1, 1]


def test_a_lost_or_unreadable_job_is_started_again():
    runs: list[int] = []
    lost = jobs.JobState(stage="Leyendo", updated=time.time() - 3600)
    job_file_write("perdido", "json", json.dumps(jobs.asdict(lost)).encode())
    assert job_state("perdido").lost
    assert job_start("perdido", counting_work(runs)).finished
    job_file("roto", "json").write_bytes(b'{"stage": "Ley')  # a disk that filled up
    assert job_state("roto").lost
    assert job_start("roto", counting_work(runs)).finished
    assert runs == [1, 1]


@pytest.mark.parametrize("key", ["../x", "A", "", "x" * 200, "a/b"])
def test_a_key_that_could_leave_the_folder_is_refused(key):
    with pytest.raises(ValueError):
        job_file(key, "json")


def test_outputs_are_replaced_whole_and_old_files_are_swept(tmp_path, monkeypatch):
    path = job_file_write("salida", "pdf", b"%PDF-1")
    job_file_write("salida", "pdf", b"%PDF-2")
    assert path.read_bytes() == b"%PDF-2"
    assert [p.name for p in path.parent.iterdir()] == ["salida.pdf"], "no temporary left"
    old = job_file_write("viejo", "pdf", b"%PDF-0")
    week_ago = time.time() - jobs.KEEP_FOR.total_seconds() - 60
    os.utime(old, (week_ago, week_ago))
    monkeypatch.setattr(jobs, "_last_sweep", 0.0)
    job_start("nuevo", counting_work([]))
    assert not old.exists() and path.exists()
