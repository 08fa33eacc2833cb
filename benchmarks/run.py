"""The benchmark suite: synthetic data once, then every figure beside its same-run baseline."""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

MEMORY_LIMIT_MB = 400


@dataclass(frozen=True)
class Figure:
    name: str
    case: str
    baseline: str
    target_ratio: float
    # Against the baseline's peak. None for imports: reading holds the file and its rows
    # beside the document the baseline starts from, so the target is the MEMORY_LIMIT_MB
    # cap, written as a ratio to the baseline to keep the figure's shape.
    memory_target: float | None = 1.5
    # Case and baseline measured in turn this many times, each figure the median: one
    # measurement of a ten-second import moved its ratio by a third on a busy machine.
    rounds: int = 3


FIGURES = (
    Figure("annex_csv", "annex_csv", "bare_csv", 1.5),
    Figure("annex_xlsx", "annex_xlsx", "bare_xlsx", 1.5),
    Figure("annex_docx", "annex_docx", "bare_docx", 1.5),
    Figure("annex_pdf", "annex_pdf", "bare_pdf", 1.2),
    # Reading a file and writing its program into an empty record, against the physical
    # limit: the same rows (history included) built beforehand and written with bulk_create in
    # one transaction. load_document is our loader alone, on the document already read. PDF
    # is left out: pdfplumber reads about a page a second, and 5,000 ASM print on some 2,600
    # pages (the import_pdf case can still be run alone, at a small scale).
    Figure("load_document", "load_document", "bulk_rows", 2.0, memory_target=None),
    Figure("import_txt", "import_txt", "bulk_rows", 2.0, memory_target=None),
    Figure("import_csv", "import_csv", "bulk_rows", 2.0, memory_target=None),
    Figure("import_xlsx", "import_xlsx", "bulk_rows", 2.0, memory_target=None),
    Figure("import_docx", "import_docx", "bulk_rows", 2.0, memory_target=None),
    # A scanned annex read by OCR against the same few pages printed to PDF with their text
    # (benchmarks/scan.py): Tesseract reads a page in seconds.
    # Once: a round takes minutes, and at a ratio near 20 against 40 the noise does not matter.
    Figure("import_scan", "import_scan", "import_scan_text", 40.0, memory_target=None, rounds=1),
)


def run(*, scale: int, only: list[str] | None = None, progress=print) -> list[dict]:
    """Measure every figure (or those named) on `scale` synthetic ASM in a private database."""
    figures = [f for f in FIGURES if not only or f.name in only]
    if not figures:
        return []
    with tempfile.TemporaryDirectory(prefix="mejora-bench-") as data_dir:
        # Measured as deployed, without DEBUG: with it Django keeps every query it runs.
        env = {**os.environ, "MEJORA_DATA_DIR": data_dir, "MEJORA_DEBUG": "false"}
        env.pop("MEJORA_DATABASE_URL", None)
        progress(f"Generando {scale} ASM sintéticos…")
        subprocess.run(
            [sys.executable, "-m", "mejora", "synth", "--scale", str(scale)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results = []
        for figure in figures:
            progress(f"Midiendo {figure.name}…")
            ours, bare = _measure_in_turn(figure, env)
            results.append(
                _figure(
                    figure.name,
                    "s",
                    ours["seconds"],
                    figure.baseline,
                    bare["seconds"],
                    figure.target_ratio,
                    scale,
                )
            )
            memory = _figure(
                f"{figure.name}_peak_memory",
                "MB",
                ours["peak_mb"],
                f"{figure.baseline}_peak_memory",
                bare["peak_mb"],
                figure.memory_target or round(MEMORY_LIMIT_MB / bare["peak_mb"], 3),
                scale,
            )
            memory["limit"] = MEMORY_LIMIT_MB
            results.append(memory)
        return results


# Whole-government scale (issue 12): every federal program over fifteen mechanism years, and
# the hundredth of it the growth of each page's cost is measured against.
PROGRAMS, CYCLES = 300, 15
SMALL = 100
GROWTH_TARGET = 3.0


def run_pages(
    *,
    programs: int = PROGRAMS,
    cycles: int = CYCLES,
    database: str = "sqlite",
    only: list[str] | None = None,
    progress=print,
) -> list[dict]:
    """Each page at full scale and at a hundredth of it, beside the trivial page of its run.

    Per page three figures: `<page>` (seconds at full scale ÷ the trivial page's, against
    its target), `<page>_small` (the same at a hundredth), and `<page>_growth` (how many
    times the first ratio is the second: how the cost grows with the data, target 3).
    A page that does not exist yet is printed as missing, not measured.
    """
    from benchmarks.pages import PAGES

    names = [p.name for p in PAGES if not only or p.name in only]
    if not names:
        return []
    small = max(1, programs // SMALL)
    measured = {}
    for label, count in (("full", programs), ("small", small)):
        with _record(database, label) as env:
            progress(f"Generando {count} programas × {cycles} ciclos ({database})…")
            subprocess.run(
                [sys.executable, "-m", "mejora", "synth", "--programs", str(count),
                 "--cycles", str(cycles)],
                env=env, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            progress(f"Midiendo páginas: {', '.join(names)}…")
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.pages", *names],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode:
                progress(done.stderr[-3000:])
                done.check_returncode()
            measured[label] = json.loads(done.stdout.strip().splitlines()[-1])
    results = []
    targets = {p.name: p.target_ratio for p in PAGES}
    scale = f"{programs}x{cycles}"
    for name in names:
        full, part = measured["full"].get(name), measured["small"].get(name)
        if full is None or part is None:
            results.append(_missing(name, scale))
            continue
        results.append(
            _figure(name, "s", full["seconds"], "trivial", full["trivial"], targets[name], scale)
            | {"bytes": full["bytes"], "database": database}
        )
        results.append(
            _figure(
                f"{name}_small", "s", part["seconds"], "trivial", part["trivial"],
                targets[name], f"{small}x{cycles}",
            ) | {"bytes": part["bytes"], "database": database}
        )  # fmt: skip
        results.append(
            _figure(
                f"{name}_growth", "×", full["seconds"] / full["trivial"], f"{name}_small",
                part["seconds"] / part["trivial"], GROWTH_TARGET, scale,
            ) | {"database": database}
        )  # fmt: skip
        # A page's weight: the bytes it sends at full scale against at a hundredth of it.
        results.append(
            _figure(
                f"{name}_bytes", "B", full["bytes"], f"{name}_small_bytes", part["bytes"],
                GROWTH_TARGET, scale,
            ) | {"database": database}
        )  # fmt: skip
    return results


@contextlib.contextmanager
def _record(database: str, label: str) -> Iterator[dict[str, str]]:
    """A private, empty record for one scale: a data folder, and for PostgreSQL a scratch
    database on the server MEJORA_DATABASE_URL names, dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"mejora-bench-{label}-") as data_dir:
        env = {**os.environ, "MEJORA_DATA_DIR": data_dir, "MEJORA_DEBUG": "false"}
        if database == "sqlite":
            env.pop("MEJORA_DATABASE_URL", None)
            yield env
            return
        server = os.environ.get("MEJORA_DATABASE_URL", "")
        if not server.startswith(("postgres://", "postgresql://")):
            raise BenchRefused(
                "Para medir en PostgreSQL, MEJORA_DATABASE_URL debe nombrar un servidor "
                "(postgres://usuario@host:5432/base): las mediciones usan una base temporal en él."
            )
        name = f"mejora_bench_{os.getpid()}_{label}"
        with _scratch_database(server, name) as url:
            env["MEJORA_DATABASE_URL"] = url
            subprocess.run(
                [sys.executable, "-m", "mejora", "manage", "migrate", "--verbosity", "0"],
                env=env, check=True,
            )  # fmt: skip
            yield env


@contextlib.contextmanager
def _scratch_database(server: str, name: str) -> Iterator[str]:
    import psycopg

    base = urlsplit(server)
    admin = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(base._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class BenchRefused(ValueError):
    """The bench cannot run as asked (the reason in Spanish)."""


def _missing(name: str, scale: str) -> dict:
    return {
        "name": name, "value": None, "unit": "s", "baseline_name": "trivial",
        "baseline_value": None, "ratio": None, "target_ratio": None, "scale": scale,
        "missing": True,
    }  # fmt: skip


def misses(result: dict) -> list[str]:
    """How one measured figure missed: its ratio over its target, its peak over the cap."""
    why = []
    ratio, target = result["ratio"], result["target_ratio"]
    if ratio is not None and target is not None and ratio > target:
        why.append(f"{ratio:.2f} > {target:.2f}")
    if "limit" in result and result["value"] > result["limit"]:
        why.append(f"{result['value']:.0f} MB > {result['limit']} MB")
    return why


def _measure_in_turn(figure: Figure, env: dict[str, str]) -> tuple[dict, dict]:
    """The case and its baseline, each right after the other `figure.rounds` times, so the
    two are measured under much the same load: the median of their times, the highest of
    their peaks (memory is a cap)."""
    rounds = [(_measure(figure.case, env), _measure(figure.baseline, env))
              for _ in range(figure.rounds)]  # fmt: skip
    ours, bare = zip(*rounds, strict=True)
    return _summary(ours), _summary(bare)


def _summary(measured: tuple[dict, ...]) -> dict:
    return {
        "seconds": statistics.median(m["seconds"] for m in measured),
        "peak_mb": max(m["peak_mb"] for m in measured),
    }


def _measure(case: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.one", case],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _figure(name, unit, value, baseline_name, baseline_value, target, scale) -> dict:
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "baseline_name": baseline_name,
        "baseline_value": round(baseline_value, 3),
        "ratio": round(value / baseline_value, 3) if baseline_value else None,
        "target_ratio": target,
        "scale": scale,
    }
