"""`mejora demo` on a fresh data folder: it prepares everything and serves the page."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_demo_prepares_a_fresh_folder_and_serves_the_login_page(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    env["MEJORA_DATA_DIR"] = str(tmp_path / "datos")
    process = subprocess.Popen(
        [sys.executable, "-m", "mejora", "demo", "--addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/entrar/", process)
        assert "Entrar a Mejora" in page
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "9 ASM, 20 actividades" in output
    assert re.search(r"enlace\s+\S{8,}\s+enlace del programa", output)
    assert (tmp_path / "datos" / "mejora.sqlite3").exists()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the demo stopped: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    pytest.fail("the demo did not serve within a minute")
