"""The blocks of an Anexo F typed in Word: paragraphs and tables in the order of the body."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import ReadingLimits, over_limit
from mejora.annex.messages import gettext_noop
from mejora.annex.position import Block, Paragraph, Table

_NOT_DOCX = "El archivo no es un documento de Word (DOCX) válido."
_OPENING_BYTES = 65536
_PARAGRAPH_END = re.compile(rb"</w:p>")
_TEXT = re.compile(rb"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


def docx_opening(data: bytes) -> str:
    """The text of the first paragraphs of a Word file, one a line, without reading it all:
    enough to tell an Anexo F by its title. A file that is not Word gives ''."""
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as package,
            package.open("word/document.xml") as part,
        ):
            head = part.read(_OPENING_BYTES)
    except (zipfile.BadZipFile, KeyError, OSError):
        return ""
    paragraphs = _PARAGRAPH_END.split(head)
    lines = [b"".join(_TEXT.findall(p)).decode("utf-8", "replace") for p in paragraphs]
    return "\n".join(html.unescape(line) for line in lines if line.strip())


def docx_blocks(data: bytes, limits: ReadingLimits) -> Iterator[Block]:
    """Paragraphs and tables of the body in order; a cell's paragraphs joined by line breaks."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph as DocxParagraph

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            # An Anexo F is a few pages: its parts inflated past the limits are not one.
            inflated = sum(info.file_size for info in package.infolist())
        if inflated > limits.inflated_total_bytes:
            raise over_limit(
                gettext_noop("bytes descomprimidos del archivo"), limits.inflated_total_bytes
            )
        document = Document(io.BytesIO(data))
    except AnnexRejected:
        raise
    except Exception:
        raise AnnexRejected(_NOT_DOCX) from None
    rows_read = 0
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            yield Paragraph(DocxParagraph(element, document).text)
        elif element.tag == qn("w:tbl"):
            rows = []
            for row in DocxTable(element, document).rows:
                rows_read += 1
                if rows_read > limits.rows:
                    raise over_limit(gettext_noop("filas"), limits.rows)
                rows.append(tuple("\n".join(p.text for p in cell.paragraphs) for cell in row.cells))
            yield Table(tuple(rows))
