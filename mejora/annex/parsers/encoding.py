"""Bytes to text for the text-based formats: UTF-8, else the encodings Mexican offices used."""

from __future__ import annotations

from mejora.annex.document import AnnexRejected, Finding

_SIGNATURES = {
    b"PK\x03\x04": "un documento de Office (DOCX o XLSX)",
    b"%PDF": "un PDF",
    b"\xd0\xcf\x11\xe0": "un documento de Office antiguo (DOC o XLS)",
}


def decode(data: bytes) -> tuple[str, list[Finding]]:
    """Bytes to text: UTF-8, else Windows-1252 or Latin-1 with a finding; binary is refused."""
    if not data.strip():
        raise AnnexRejected("El archivo está vacío.")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise AnnexRejected(f"El archivo no es de texto: parece {kind}.")
    sample = data[:65536]
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
    if b"\x00" in sample or controls > len(sample) // 100:
        raise AnnexRejected("El archivo no es de texto: tiene bytes de un archivo binario.")
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
