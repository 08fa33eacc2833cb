"""What the DOCX and XLSX renderers share: both write Office Open XML, text in zipped XML parts."""

import datetime as dt
import re

from mejora.annex.document import AnnexDocument

# Control characters but tab and the line breaks, lone surrogates, and U+FFFE and U+FFFF: not
# even a character reference may stand for them.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# The file's date when the annex has no usable preparation date.
_FALLBACK_MOMENT = dt.datetime(2000, 1, 1)


def strip_non_xml(text: str) -> str:
    """The text without the characters an XML file cannot hold at all."""
    return _NOT_XML.sub("", text)


def fixed_moment(doc: AnnexDocument) -> dt.datetime:
    """The annex's own date stands for the file's: the first day of its 'Fecha de Elaboración'
    (a zip entry cannot be dated before 1980), so the same annex gives the same bytes."""
    if doc.prepared is not None and doc.prepared.year >= 1980:
        return dt.datetime.combine(doc.prepared.start, dt.time())
    return _FALLBACK_MOMENT
