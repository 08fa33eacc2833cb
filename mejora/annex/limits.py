"""The budget every reader keeps while it reads: a small hostile file must never cost gigabytes.

Each reader checks these as it goes (rows, columns, characters, pages, inflated bytes) and
rejects a file beyond one of them with a Spanish message that names the limit and says how to
split the file. The defaults are generous for real annexes: a whole program's annex of 15,000
activities reads well inside them. `mejora.settings` builds the one in force from `MEJORA_*`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mejora.annex.document import AnnexRejected
from mejora.annex.messages import Message, gettext_noop


@dataclass(frozen=True)
class ReadingLimits:
    # Table rows (a sheet's or a document's); 15,000 activities take about 15,100.
    rows: int = 200_000
    # Columns of a table: an annex has 8 to 11, agencies' layouts a few more. A column far
    # beyond this is never materialised.
    columns: int = 64
    # Characters of one cell: Excel's own limit for a cell.
    cell_chars: int = 32_767
    # Characters of text in the whole file, once read.
    text_chars: int = 200_000_000
    # Pages of a PDF. A trivial page still costs pdfminer some 17 ms, so this bounds the time
    # of a file of empty pages to about a minute; an annex of 15,000 activities prints on
    # about 2,600 pages, but its text is past `pdf_chars`: such an annex comes in Excel or Word.
    pages: int = 3_000
    # Characters on one page of a PDF: a dense annex page prints about 4,000, and pdfminer
    # holds some 2 KB for each while it lays a page out.
    page_chars: int = 40_000
    # Characters of a whole PDF: the reader keeps about half a kilobyte for each until the
    # end, so a million (some 250 dense pages, 750 activities) stays within 600 MB.
    pdf_chars: int = 1_000_000
    # Bytes one compressed part may inflate to (a zip member of an XLSX or DOCX, a PDF stream).
    inflated_part_bytes: int = 300_000_000
    # Bytes all the compressed parts of one file may inflate to together.
    inflated_total_bytes: int = 600_000_000


DEFAULT_LIMITS = ReadingLimits()


def over_limit(what: str, limit: int, *, advice: str | Message = "") -> AnnexRejected:
    """The rejection of a file past one limit: which limit, and how to get under it.

    `what` and `advice` are templates marked with `gettext_noop` where they are written."""
    return AnnexRejected(
        gettext_noop("El archivo pasa el límite de {what} ({limit}); no se leyó. {advice}."),
        what=Message(what),
        limit=_number(limit),
        advice=advice if isinstance(advice, Message) else Message(advice or SPLIT_ADVICE),
    )


SPLIT_ADVICE = gettext_noop(
    "Divida el archivo en varios (por ejemplo, un anexo por ciclo o por programa) y "
    "súbalos por separado"
)


def _number(value: int) -> str:
    """12 345 678: digits grouped as Spanish style guides write them."""
    return f"{value:,}".replace(",", " ")
