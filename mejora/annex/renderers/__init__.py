"""Renderers: an AnnexDocument to the files evaluation units exchange."""

from __future__ import annotations

from mejora.annex.document import AnnexDocument
from mejora.annex.progress import Progress

FILE_FORMATS = ("txt", "csv", "xlsx", "docx", "pdf")
MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def render(doc: AnnexDocument, file_format: str, *, progress: Progress | None = None) -> bytes:
    """The annex as a file of the given format; `progress` hears of a long PDF's printing."""
    # Imported on demand: WeasyPrint and the Office libraries cost time to load, and most
    # commands need one format at most.
    match file_format:
        case "txt":
            from mejora.annex.renderers.text import render_text

            return render_text(doc).encode("utf-8")
        case "csv":
            from mejora.annex.renderers.csv import render_csv

            return render_csv(doc)
        case "xlsx":
            from mejora.annex.renderers.xlsx import render_xlsx

            return render_xlsx(doc)
        case "docx":
            from mejora.annex.renderers.docx import render_docx

            return render_docx(doc)
        case "pdf":
            from mejora.annex.renderers.pdf import render_pdf

            return render_pdf(doc, progress=progress)
    raise ValueError(f"unknown annex file format: {file_format}")
