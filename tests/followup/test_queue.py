"""The queue with real processes: `mejora worker` and `mejora serve` started as a person
would, sharing only the database and the file storage with each other.

Each test gets its own data folder (SQLite) or, when MEJORA_DATABASE_URL is set, a fresh
PostgreSQL database on that server, dropped at the end.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

# Its child processes use the database MEJORA_DATABASE_URL names: run on every database.
pytestmark = pytest.mark.reaches_database

ROOT = Path(__file__).resolve().parents[2]
# A print of the synthetic annex big enough that its import is caught in the middle.
LONG_IMPORT_ASPECTS = 1500


@dataclass
class Site:
    env: dict[str, str]
    tmp: Path

    def mejora(self, *args: str, timeout: float = 120, cwd: Path | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "mejora", *args],
            env=self.env,
            cwd=cwd or ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def start(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.Popen:
        log = (self.tmp / f"{args[0]}-{uuid.uuid4().hex[:6]}.log").open("w")
        return subprocess.Popen(
            [sys.executable, "-m", "mejora", *args],
            env={**self.env, **env},
            cwd=cwd or ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def django(self, code: str) -> object:
        """Run `code` in a Django process of this site; the JSON it assigned to `out`."""
        program = "import django, json\ndjango.setup()\nout = None\n"
        program += textwrap.dedent(code) + "\nprint('OUT:' + json.dumps(out, default=str))\n"
        done = subprocess.run(
            [sys.executable, "-c", program],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.rpartition("OUT:")[2])


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """A data folder (or a PostgreSQL template database) migrated once for every test."""
    folder = tmp_path_factory.mktemp("migrada")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mejora.settings",
        "MEJORA_DATA_DIR": str(folder),
        "MEJORA_SECRET_KEY": "x",
        "PYTHONPATH": str(ROOT),
    }
    server = os.environ.get("MEJORA_DATABASE_URL")
    template = None
    if server:
        import psycopg

        template = f"mejora_cola_plantilla_{uuid.uuid4().hex[:8]}"
        parts = urllib.parse.urlsplit(server)
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{template}"')
        env["MEJORA_DATABASE_URL"] = parts._replace(path=f"/{template}").geturl()
    site = Site(env, folder)
    site.mejora("manage", "migrate", "-v", "0")
    if not server:
        site.mejora("manage", "migrate", "--database", "tasks", "-v", "0")
    yield folder, template
    if template:
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{template}" WITH (FORCE)')


@pytest.fixture
def site(tmp_path, migrated):
    template_folder, template = migrated
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mejora.settings",
        "MEJORA_DATA_DIR": str(tmp_path / "datos"),
        "MEJORA_SECRET_KEY": "una-clave-de-prueba-" + uuid.uuid4().hex,
        "PYTHONPATH": str(ROOT),
        "MEJORA_TASK_BACKOFF_SECONDS": "1",
    }
    server = os.environ.get("MEJORA_DATABASE_URL")
    dropped = None
    if server:
        import psycopg

        name = f"mejora_cola_{uuid.uuid4().hex[:10]}"
        parts = urllib.parse.urlsplit(server)
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        env["MEJORA_DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()
        dropped = (admin_url, name)
    (tmp_path / "datos").mkdir()
    if not server:
        for database in template_folder.glob("*.sqlite3"):
            shutil.copy(database, tmp_path / "datos" / database.name)
    yield Site(env, tmp_path)
    if dropped:
        import psycopg

        with psycopg.connect(dropped[0], autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{dropped[1]}" WITH (FORCE)')


def upload_and_read(site: Site, aspects: int, *, uploads: int = 1) -> list[str]:
    """`uploads` synthetic annexes uploaded by an administrator and queued to be read."""
    return site.django(
        f"""
        from django.contrib.auth import get_user_model
        from mejora.accounts.models import Membership, Role
        from mejora.annex.renderers import render
        from mejora.annex.synth import synth_document
        from mejora.followup.services.pending import pending_save
        from mejora.tasks.work import review_read_start
        admin, _ = get_user_model().objects.get_or_create(username="admin")
        Membership.objects.get_or_create(user=admin, role=Role.ADMINISTRATOR)
        data = render(synth_document(aspects={aspects}), "txt")
        out = []
        for _ in range({uploads}):
            token = pending_save(data=data, file_name="grande.txt", owner_id=admin.pk)
            review_read_start(token, actor=admin)
            out.append(token)
        """
    )


def confirm_import(site: Site, token: str) -> None:
    site.django(
        f"""
        from django.contrib.auth import get_user_model
        from mejora.followup.services.review import review_reading
        from mejora.tasks.work import review_import_start
        reading = review_reading("{token}")
        review_import_start(
            "{token}",
            actor=get_user_model().objects.get(username="admin"),
            corrections={{}},
            confirmed=range(len(reading.document.findings)),
            stamp=reading.stamp,
        )
        """
    )


def record(site: Site, token: str) -> dict:
    return site.django(
        f"""
        from django_tasks_db.models import DBTaskResult
        from mejora.followup.models import AnnexImport, Aspect
        from mejora.tasks.models import Job
        from mejora.tasks.work import import_key, reading_key
        jobs = {{j.key: j for j in Job.objects.all()}}
        imported = jobs.get(import_key("{token}"))
        out = {{
            "aspects": Aspect.objects.count(),
            "imports": AnnexImport.objects.count(),
            "reading": jobs[reading_key("{token}")].as_dict(),
            "import": imported
            and imported.as_dict() | {{"result": imported.result, "attempt": imported.attempt}},
            "tasks": list(DBTaskResult.objects.values("status", "worker_ids", "task_path")),
        }}
        """
    )


def test_an_upload_is_read_and_imported_through_the_queue(site):
    [token] = upload_and_read(site, 40)
    assert record(site, token)["reading"]["finished"] is False, "nothing runs without a worker"
    site.mejora("worker", "--batch")
    assert record(site, token)["reading"] | {"stage": ""} == {
        "stage": "",
        "done": record(site, token)["reading"]["done"],
        "total": record(site, token)["reading"]["total"],
        "percent": 100,
        "finished": True,
        "error": "",
        "lost": False,
    }
    confirm_import(site, token)
    site.mejora("worker", "--batch")
    state = record(site, token)
    assert state["import"]["finished"] and state["import"]["result"].get("program")
    assert state["aspects"] == 40 and state["imports"] == 1
    assert {task["status"] for task in state["tasks"]} == {"SUCCESSFUL"}


def test_two_workers_never_run_the_same_task(site):
    tokens = upload_and_read(site, 5, uploads=12)
    workers = [site.start("worker", "--batch", "--interval", "0") for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=180) == 0
    tasks = record(site, tokens[0])["tasks"]
    assert len(tasks) == 12
    assert all(task["status"] == "SUCCESSFUL" for task in tasks)
    assert all(len(task["worker_ids"]) == 1 for task in tasks), "each task claimed once"
    attempts = site.django(
        "from mejora.tasks.models import Job\n"
        "out = list(Job.objects.values_list('attempt', flat=True))"
    )
    assert attempts == [1] * 12, "each reading ran once"


def test_a_worker_killed_mid_import_leaves_nothing_and_the_next_one_finishes(site):
    [token] = upload_and_read(site, LONG_IMPORT_ASPECTS)
    site.mejora("worker", "--batch", timeout=300)
    confirm_import(site, token)
    worker = site.start("worker", "--interval", "0.1")
    # Watched from a process of its own that kills the worker the moment the import is
    # halfway through writing, its transaction open.
    caught = site.django(
        f"""
        import os, signal, time
        from mejora.tasks.models import Job
        from mejora.tasks.work import import_key
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = Job.objects.filter(key=import_key("{token}")).first()
            if job and job.stage == "Importando" and 0 < job.done < job.total // 2:
                os.kill({worker.pid}, signal.SIGKILL)
                out = [job.done, job.total]
                break
            time.sleep(0.005)
        """
    )
    assert caught, "the import never got under way"
    worker.wait(timeout=30)

    killed = record(site, token)
    assert killed["aspects"] == 0 and killed["imports"] == 0, "nothing partial"
    assert [t["status"] for t in killed["tasks"] if "import" in t["task_path"]] == ["RUNNING"]

    site.mejora("worker", "--batch", timeout=600)
    state = record(site, token)
    assert state["import"]["finished"] and state["import"]["result"].get("program")
    assert state["import"]["attempt"] == 2
    assert state["aspects"] == LONG_IMPORT_ASPECTS and state["imports"] == 1
    [task] = [t for t in state["tasks"] if "import" in t["task_path"]]
    assert task["status"] == "SUCCESSFUL" and len(task["worker_ids"]) == 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies for 127.0.0.1 whatever the port, forms, uploads."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar()
        handler = urllib.request.HTTPCookieProcessor(self.cookies)
        self.opener = urllib.request.build_opener(handler, _NoRedirect())

    def get(self, url: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, fields: dict, files: dict | None = None) -> tuple[int, str, str]:
        fields = {"csrfmiddlewaretoken": self._csrf(), **fields}
        if files is None:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            kind = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (file_name, data) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{file_name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                    + data
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(url, data=body, headers={"Content-Type": kind})
        return self._open(request)

    def _csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def serve(site: Site, folder: Path) -> tuple[subprocess.Popen, str]:
    folder.mkdir()
    port = free_port()
    # Without PostgreSQL the SQLite file is the shared database, so the data folder is shared;
    # each server still runs from a working folder of its own. With it, each server has its
    # own data folder too, and only the database and the storage are shared.
    own = {}
    if "MEJORA_DATABASE_URL" in site.env:
        own["MEJORA_DATA_DIR"] = str(folder / "datos")
        (folder / "datos").mkdir()
    server = site.start("serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", cwd=folder, **own)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            assert server.poll() is None, "the server did not start"
            time.sleep(0.2)
    pytest.fail("the server did not start")


def test_an_upload_on_one_server_is_reviewed_and_imported_through_another(site, seed_bytes):
    site.django(
        """
        from django.contrib.auth import get_user_model
        from mejora.accounts.models import Membership, Role
        admin = get_user_model().objects.create_user("admin", password="una-contraseña-larga")
        Membership.objects.create(user=admin, role=Role.ADMINISTRATOR)
        """
    )
    if os.environ.get("MEJORA_DATABASE_URL"):
        site.env["MEJORA_MEDIA_ROOT"] = str(site.tmp / "almacen")
    (first, one), (second, other) = serve(site, site.tmp / "uno"), serve(site, site.tmp / "dos")
    try:
        browser = Browser()
        browser.get(f"{one}/entrar/")
        status, to, _ = browser.post(
            f"{one}/entrar/", {"username": "admin", "password": "una-contraseña-larga"}
        )
        assert status == 302, "logged in"
        browser.get(f"{one}/importar/")
        status, review, _ = browser.post(
            f"{one}/importar/", {}, files={"file": ("anexo-e.txt", seed_bytes)}
        )
        assert status == 302
        review = urllib.parse.urljoin(one, review)
        path = urllib.parse.urlsplit(review).path
        status, _, page = browser.get(f"{other}{path}")
        assert status == 202 and "job-bar" in page, "the other server waits for the reading"
        site.mejora("worker", "--batch")

        status, _, page = browser.get(f"{other}{path}")
        assert status == 200 and "Se leyeron 9 ASM y 20 actividades" in page
        stamp = re.search(r'name="stamp" value="([0-9a-z]+)"', page).group(1)
        status, _, _ = browser.post(f"{other}{path}", {"stamp": stamp, "confirmo_todo": "on"})
        assert status == 302
        site.mejora("worker", "--batch")
        status, to, _ = browser.get(f"{one}{path}")
        assert status == 302 and "/programas/" in to, "the first server hands over the program"
    finally:
        for server in (first, second):
            server.terminate()
            server.wait(timeout=30)
    counts = site.django(
        "from mejora.followup.models import AnnexImport, Aspect\n"
        "out = [Aspect.objects.count(), AnnexImport.objects.count()]"
    )
    assert counts == [9, 1]
