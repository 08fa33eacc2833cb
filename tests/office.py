"""Word documents converted by LibreOffice, as an agency's office would: the tests' one way of
calling soffice."""

from __future__ import annotations

import subprocess
from pathlib import Path


def converted_by_libreoffice(
    folder: Path, documents: dict[str, bytes], to: str = "pdf"
) -> dict[str, bytes]:
    """Each named DOCX converted to `to` by one LibreOffice run with a profile of its own in
    `folder`, so that parallel runs do not share (and lock) one; the results by name."""
    for name, data in documents.items():
        (folder / f"{name}.docx").write_bytes(data)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(folder / 'perfil').as_uri()}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(folder),
            *(str(folder / f"{name}.docx") for name in documents),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return {name: (folder / f"{name}.{to}").read_bytes() for name in documents}
