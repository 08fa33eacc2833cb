"""Parsers: the files agencies hold, read into an AnnexDocument."""

from __future__ import annotations

from pathlib import PurePath

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import gettext_noop
from mejora.annex.parsers.rows import CatalogueFor
from mejora.annex.progress import Progress

READABLE_FORMATS = ("txt", "csv", "xlsx", "docx", "pdf", "image")
_SUFFIXES = {
    ".txt": "txt",
    ".tsv": "txt",
    ".tab": "txt",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".docx": "docx",
    ".pdf": "pdf",
    # A scanned annex, read by OCR.
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}


def format_of(file_name: str) -> str:
    """The format a file's extension says, or a rejection asking for it."""
    suffix = PurePath(file_name).suffix.lower()
    if suffix not in _SUFFIXES:
        raise AnnexRejected(
            gettext_noop(
                "No se reconoce el formato de «{name}» por su extensión; los "
                "formatos que se leen son: {items}."
            ),
            name=PurePath(file_name).name,
            items=", ".join(READABLE_FORMATS),
        )
    return _SUFFIXES[suffix]


def parse(
    data: bytes,
    file_format: str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read a file of the given format; bad input raises AnnexRejected, in Spanish.

    `catalogue` splits the area cells: an institution's, or a function giving the catalogue
    of the institution the file names. `progress` is told how far the reading has come.
    `limits` bound what the reading may cost; a file past one is rejected.
    """
    match file_format:
        case "txt":
            from mejora.annex.parsers.text import parse_text

            return parse_text(data, catalogue=catalogue, progress=progress, limits=limits)
        case "csv":
            from mejora.annex.parsers.csv import parse_csv

            return parse_csv(data, catalogue=catalogue, progress=progress, limits=limits)
        case "xlsx":
            from mejora.annex.parsers.xlsx import parse_xlsx

            return parse_xlsx(data, catalogue=catalogue, progress=progress, limits=limits)
        case "docx":
            from mejora.annex.parsers.docx import parse_docx

            return parse_docx(data, catalogue=catalogue, progress=progress, limits=limits)
        case "pdf":
            from mejora.annex.parsers.pdf import parse_pdf

            return parse_pdf(data, catalogue=catalogue, progress=progress, limits=limits)
        case "image":
            from mejora.annex.parsers.scan import parse_scan

            return parse_scan(
                data, image=True, catalogue=catalogue, progress=progress, limits=limits
            )
    raise AnnexRejected(
        gettext_noop("No se leen archivos «{file_format}»; los formatos son: {items}."),
        file_format=file_format,
        items=", ".join(READABLE_FORMATS),
    )
