"""The annex as a PDF: WeasyPrint printing the standalone HTML of renderers.html.

The PDF takes its title, author (the institution), subject and language from the HTML's head
and carries no creation date (WeasyPrint writes one only when the HTML asks for it), so the
same annex prints to the same bytes run after run.
"""

from __future__ import annotations

from mejora.annex.document import AnnexDocument
from mejora.annex.renderers.html import render_html


def render_pdf(doc: AnnexDocument) -> bytes:
    """Print the annex to a letter-landscape PDF, identical run to run, from its standalone HTML."""
    return render_pdf_from_html(render_html(doc, standalone=True))


def render_pdf_from_html(html: str) -> bytes:
    """Bare WeasyPrint on an already built HTML string: the baseline the benchmark compares with."""
    # Imported here: WeasyPrint loads Pango and fontconfig, which reading an annex or writing
    # its CSV should not pay for.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
