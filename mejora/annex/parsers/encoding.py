"""Bytes to text for the text-based formats: UTF-8, else the encodings Mexican offices used."""

from __future__ import annotations

import re

from mejora.annex.document import AnnexRejected, Finding
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import Message, gettext_noop

_SIGNATURES = {
    b"PK\x03\x04": "un documento de Office (DOCX o XLSX)",
    b"%PDF": "un PDF",
    b"\xd0\xcf\x11\xe0": "un documento de Office antiguo (DOC o XLS)",
}


# Characters no XML file can hold (renderers.office leaves them out of an XLSX or DOCX), so a
# cell holding one would not come back the same from either, and PostgreSQL refuses NUL.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# In the text layout vertical tab, form feed and the separators end a line, as in splitlines.
NOT_XML_IN_LINES = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\ud800-\udfff\ufffe\uffff]")
# A character takes at most four bytes of UTF-8.
_BYTES_PER_CHAR = 4


def check_characters(text: str, where: str | Message, pattern: re.Pattern[str] = NOT_XML) -> None:
    """Refuse a text holding a character no annex can keep, saying where it is."""
    found = pattern.search(text)
    if found is not None:
        raise _not_text(found.group(), where)


def _not_text(character: str, where: str | Message) -> AnnexRejected:
    return AnnexRejected(
        gettext_noop(
            "{where}: hay un carácter de control (U+{code}) que no es texto y no se puede "
            "guardar; quítelo del archivo y vuelva a subirlo."
        ),
        where=where,
        code=f"{ord(character):04X}",
    )


def check_text(text: str, limits: ReadingLimits, pattern: re.Pattern[str] = NOT_XML) -> None:
    """Refuse a whole file's text past the limit of characters or holding a control character
    anywhere, telling its line."""
    if len(text) > limits.text_chars:
        raise over_limit(gettext_noop("caracteres de texto del archivo"), limits.text_chars)
    found = pattern.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise _not_text(found.group(), Message(gettext_noop("línea {line}"), {"line": line}))


def decode(
    data: bytes,
    limits: ReadingLimits = DEFAULT_LIMITS,
    pattern: re.Pattern[str] = NOT_XML,
) -> tuple[str, list[Finding]]:
    """Bytes to text: UTF-8, else Windows-1252 or Latin-1 with a finding; binary is refused,
    and so is text past the limits or with a control character (`pattern`) anywhere."""
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    if len(data) > limits.text_chars * _BYTES_PER_CHAR:
        raise over_limit(gettext_noop("caracteres de texto del archivo"), limits.text_chars)
    text, findings = _decoded(data)
    check_text(text, limits, pattern)
    return text, findings


def _decoded(data: bytes) -> tuple[str, list[Finding]]:
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise AnnexRejected(
                gettext_noop("El archivo no es de texto: parece {kind}."), kind=kind
            )
    sample = data[:65536]
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
    if b"\x00" in sample or controls > len(sample) // 100:
        raise AnnexRejected(
            gettext_noop("El archivo no es de texto: tiene bytes de un archivo binario.")
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        position = error.start
    for encoding, name in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        line = data[:position].count(b"\n") + 1
        finding = Finding(
            "encoding",
            f"línea {line}",
            f"El archivo no está en UTF-8; se leyó como {name}. Revise los acentos.",
        )
        return text, [finding]
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover
