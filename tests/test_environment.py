"""Settings fail loud: junk values and a production start without secrets are refused."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from mejora.environment import env_bool, env_int, env_list, env_str, local_secret_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("sí", True),
        ("ON", True),
        ("false", False),
        ("0", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("MEJORA_X", raw)
    assert env_bool("MEJORA_X", not expected) is expected


def test_env_bool_rejects_junk(monkeypatch):
    monkeypatch.setenv("MEJORA_X", "quizá")
    with pytest.raises(ImproperlyConfigured, match="se esperaba true o false"):
        env_bool("MEJORA_X", False)


def test_env_int_rejects_junk(monkeypatch):
    monkeypatch.setenv("MEJORA_N", "diez")
    with pytest.raises(ImproperlyConfigured, match="número entero"):
        env_int("MEJORA_N", 1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("MEJORA_HOSTS", " a.gob.mx, b.gob.mx ,,")
    assert env_list("MEJORA_HOSTS") == ["a.gob.mx", "b.gob.mx"]


def test_a_secret_may_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "clave"
    secret.write_text("s3creto\n", encoding="utf-8")
    monkeypatch.setenv("MEJORA_SECRET_KEY_FILE", str(secret))
    assert env_str("MEJORA_SECRET_KEY") == "s3creto"


def test_an_unreadable_secret_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MEJORA_SECRET_KEY_FILE", str(tmp_path / "no-existe"))
    with pytest.raises(ImproperlyConfigured, match="no se pudo leer"):
        env_str("MEJORA_SECRET_KEY")


def test_the_local_key_is_made_once_and_kept(tmp_path):
    first = local_secret_key(tmp_path)
    assert len(first) > 40
    assert local_secret_key(tmp_path) == first
    assert oct((tmp_path / "secret-key").stat().st_mode)[-3:] == "600"


def _settings_in_a_new_process(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    environment |= {"MEJORA_DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", "import mejora.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "falta MEJORA_SECRET_KEY"),
        ({"MEJORA_SECRET_KEY": "x" * 50}, "falta MEJORA_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_key_and_hosts(tmp_path, env, message):
    done = _settings_in_a_new_process(tmp_path, MEJORA_PRODUCTION="true", **env)
    assert done.returncode != 0
    assert message in done.stderr


def test_production_starts_with_key_and_hosts(tmp_path):
    done = _settings_in_a_new_process(
        tmp_path,
        MEJORA_PRODUCTION="true",
        MEJORA_SECRET_KEY="x" * 50,
        MEJORA_ALLOWED_HOSTS="asm.gob.mx",
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("address", "options"),
    [
        ("postgres://u@db:5432/asm", "-c jit=off"),
        ("postgres://u@db:5432/asm?options=-c%20jit%3Don", "-c jit=off -c jit=on"),
    ],
)
def test_postgresql_connects_without_just_in_time_compiling_unless_the_address_says(
    tmp_path, address, options
):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEJORA_")}
    environment |= {"MEJORA_DATA_DIR": str(tmp_path), "MEJORA_DATABASE_URL": address}
    done = subprocess.run(
        [sys.executable, "-c", "from mejora import settings as s\n"
         "print(s.DATABASES['default']['OPTIONS']['options'])"],
        env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == options


@pytest.mark.django_db
def test_the_server_compiles_no_query_just_in_time():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
