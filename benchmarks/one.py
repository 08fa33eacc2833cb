"""Run one case in this process and print its time and this process's peak memory as JSON.

`python -m benchmarks.one CASE` with MEJORA_DATA_DIR pointing at the synthetic record.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main(case: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mejora.settings")
    import django

    django.setup()
    from benchmarks.cases import CASES
    from benchmarks.scan import SCAN_CASES
    from mejora.followup.extract import annex_extract, latest_cut
    from mejora.followup.models import Program

    program = Program.objects.get(name="Programa Sintético de Prueba")
    doc = annex_extract(program, cut=latest_cut(program), kind="anexo-e")
    work = {**CASES, **SCAN_CASES}[case](doc)
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = len(result) if isinstance(result, bytes | str) else None  # imports write rows
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kib / 1024, "size": size}))


if __name__ == "__main__":
    main(sys.argv[1])
