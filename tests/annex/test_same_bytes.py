"""A published annex carries its checksum: XLSX and DOCX come out the same in any process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mejora.annex.parsers import parse
from mejora.annex.renderers import render

SAMPLE = (
    Path(__file__).parents[2] / "mejora" / "sample" / "anexo-e-opciones-productivas-2012-03.txt"
)


@pytest.mark.parametrize(("file_format", "hash_seed"), [("docx", "4321"), ("xlsx", "12345")])
def test_another_process_with_another_hash_seed_gives_the_same_bytes_without_django(
    file_format, hash_seed
):
    here = render(parse(SAMPLE.read_bytes(), "txt"), file_format)
    script = (
        "import hashlib, sys\n"
        "from pathlib import Path\n"
        "from mejora.annex.parsers import parse\n"
        "from mejora.annex.renderers import render\n"
        f"doc = parse(Path({str(SAMPLE)!r}).read_bytes(), 'txt')\n"
        f"print(hashlib.sha256(render(doc, {file_format!r})).hexdigest())\n"
        "print(any(name.startswith('django') for name in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )

    digest, imports_django = result.stdout.split()
    assert digest == hashlib.sha256(here).hexdigest()
    assert imports_django == "False"
