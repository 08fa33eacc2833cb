"""The benchmark suite: synthetic data once, then every figure beside its same-run baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass

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


FIGURES = (
    Figure("annex_csv", "annex_csv", "bare_csv", 1.5),
    Figure("annex_xlsx", "annex_xlsx", "bare_xlsx", 1.5),
    Figure("annex_docx", "annex_docx", "bare_docx", 1.5),
    Figure("annex_pdf", "annex_pdf", "bare_pdf", 1.2),
    # Reading a file and writing its program into an empty record, against writing the same
    # document already read. PDF is left out: pdfplumber reads about a page a second, and 5,000
    # ASM print on some 2,600 pages (the import_pdf case can still be run alone, at a small
    # scale).
    Figure("import_txt", "import_txt", "load_document", 2.0, memory_target=None),
    Figure("import_csv", "import_csv", "load_document", 2.0, memory_target=None),
    Figure("import_xlsx", "import_xlsx", "load_document", 2.0, memory_target=None),
    Figure("import_docx", "import_docx", "load_document", 2.0, memory_target=None),
)


def run(*, scale: int, only: list[str] | None = None, progress=print) -> list[dict]:
    """Measure every figure (or those named) on `scale` synthetic ASM in a private database."""
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
        for figure in FIGURES:
            if only and figure.name not in only:
                continue
            progress(f"Midiendo {figure.name}…")
            # Each baseline right after its case, even when shared: on a busy machine the
            # two are measured under much the same load.
            ours = _measure(figure.case, env)
            bare = _measure(figure.baseline, env)
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


def misses(result: dict) -> list[str]:
    """How one measured figure missed: its ratio over its target, its peak over the cap."""
    why = []
    ratio, target = result["ratio"], result["target_ratio"]
    if ratio is not None and target is not None and ratio > target:
        why.append(f"{ratio:.2f} > {target:.2f}")
    if "limit" in result and result["value"] > result["limit"]:
        why.append(f"{result['value']:.0f} MB > {result['limit']} MB")
    return why


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
