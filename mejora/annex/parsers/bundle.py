"""A filing: the cover letter (oficio) and several instruments bundled in one file.

Agencies often send, in one PDF, the oficio and the instruments of one evaluation — Anexo B,
Anexo C at a cut, Anexo F… Each page is looked at for an instrument's title among its first
lines; a page with one starts that instrument, a page without one continues the one before,
and the pages before the first instrument are the oficio. Each part is cut out of the file
(pypdf for a PDF; a Word document's pages end at its page breaks; a text file breaks its
pages with form feeds, as pdftotext writes them) and handed to the reader its title chooses
in `INSTRUMENTS`, a small registry: the table annexes by their 'Anexo X. …' line, the free
format, the institutional position (Anexo F) when its reader is installed. From the oficio
its number ('Oficio No. …') and its date are kept.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import MONTHS, read_date
from mejora.annex.document import AnnexDocument, AnnexRejected, Finding, PartialDate
from mejora.annex.formats import format_named_by, read_cycle_heading
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import Text, gettext_noop
from mejora.annex.parsers.encoding import NOT_XML_IN_LINES, decode
from mejora.annex.parsers.free import first_page_text, is_free_title, looks_free, parse_free
from mejora.annex.parsers.rows import CatalogueFor
from mejora.annex.words import fold

BUNDLE_FORMATS = ("pdf", "docx", "txt")
# An instrument's title is among the first lines of the page it starts on.
_TITLE_LINES = 12
_LONGEST_TITLE = 120
OFICIO_NUMBER = re.compile(
    r"\boficio\s+(?:no|n[uú]m(?:ero)?|nro|n[°º])\s*\.?\s*:?\s*(?P<number>[A-Za-z0-9][\w./\-]*\w)",
    re.I,
)
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_LONG_DATE = re.compile(
    rf"\b\d{{1,2}}\s+de\s+(?:{_MONTH_NAMES})\.?\s+(?:de\s+|del\s+)?\d{{4}}\b", re.I
)


@dataclass(frozen=True)
class Options:
    catalogue: AreaCatalogue | CatalogueFor | None
    limits: ReadingLimits


@dataclass(frozen=True)
class Instrument:
    """One kind of instrument a filing may hold: how its title reads and who reads it."""

    name: str
    titled: Callable[[str], bool]  # whether a line is this instrument's title
    read: Callable[[bytes, str, Options], object]  # a part of the file, its format


@dataclass(frozen=True)
class FiledPart:
    instrument: str  # the registry's name, or the annex line the title gave
    pages: str  # 'páginas 2-3'
    document: object | None  # an AnnexDocument, a position document, or None: not read
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Filing:
    oficio_number: str
    oficio_date: PartialDate | None
    parts: tuple[FiledPart, ...]
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    def annexes(self) -> list[tuple[FiledPart, AnnexDocument]]:
        return [(p, p.document) for p in self.parts if isinstance(p.document, AnnexDocument)]


# --- the registry ----------------------------------------------------------------------------


def _read_annex(data: bytes, file_format: str, options: Options) -> AnnexDocument:
    from mejora.annex.parsers import parse

    return parse(data, file_format, catalogue=options.catalogue, limits=options.limits)


def _read_free(data: bytes, file_format: str, options: Options) -> AnnexDocument:
    return parse_free(data, file_format, catalogue=options.catalogue, limits=options.limits)


def _position_reader() -> Callable[..., object] | None:
    try:
        from mejora.annex.parsers.position import parse_position
    except ImportError:  # the Anexo F reader is not installed
        return None
    return parse_position


def _read_position(data: bytes, file_format: str, options: Options) -> object:
    reader = _position_reader()
    if reader is None:
        raise AnnexRejected(gettext_noop("no hay lector del Anexo F"))
    return reader(data, file_format, limits=options.limits)


def _is_position_title(line: str) -> bool:
    key = re.sub(r"^anexo\s+f\s*[.:\-–]?\s*", "", fold(line))
    return len(line) <= _LONGEST_TITLE and key.startswith("posicion institucional")


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("anexo", lambda line: format_named_by(line) is not None, _read_annex),
    Instrument("posicion", _is_position_title, _read_position),
    Instrument("formato-libre", is_free_title, _read_free),
)


def _instrument_of(lines: list[str], current: str | None) -> tuple[Instrument, str] | None:
    """The instrument a page starts, by a title among its first lines, and that title."""
    head = [line for line in lines[:_TITLE_LINES] if len(line) <= _LONGEST_TITLE]
    for instrument in INSTRUMENTS:
        title = next((line for line in head if instrument.titled(line)), None)
        if title is not None:
            return instrument, title
    # Blocks of ASM under an interinstitutional heading, untitled: the free format.
    heading = next(filter(None, map(read_cycle_heading, head)), None)
    if current != "formato-libre" and heading is not None and looks_free(lines):
        return INSTRUMENTS[-1], "Formato libre"
    return None


# --- splitting -------------------------------------------------------------------------------


def page_texts(data: bytes, file_format: str, limits: ReadingLimits) -> list[list[str]]:
    """Each page's lines: a PDF's printed lines, a Word document's paragraphs between page
    breaks, or a text's lines between form feeds."""
    if file_format == "pdf":
        from mejora.annex.parsers.free import pdf_paragraphs

        return pdf_paragraphs(data, limits, join=False)
    if file_format == "txt":
        text, _ = decode(data, limits, NOT_XML_IN_LINES)
        return [page.splitlines() for page in text.split("\f")]
    if file_format == "docx":
        from mejora.annex.parsers.bundle_docx import docx_pages

        return docx_pages(data, limits)
    raise AnnexRejected(
        gettext_noop("Un expediente (oficio y anexos) se lee de {formats}, no de «{file_format}»."),
        formats=", ".join(BUNDLE_FORMATS),
        file_format=file_format,
    )


def looks_like_filing(
    data: bytes, file_format: str, limits: ReadingLimits = DEFAULT_LIMITS, *, first: str = ""
) -> bool:
    """Whether the file opens with an oficio: its number on the first page, and no annex title
    there. Only the first page is read, cheaply (`first_page_text`; `first` when the caller
    has it already), so a single annex pays little for the question."""
    if file_format not in BUNDLE_FORMATS:
        return False
    first = first or first_page_text(data, file_format, limits)
    if OFICIO_NUMBER.search(first) is None:
        return False
    lines = [line.strip() for line in first.splitlines() if line.strip()]
    return _instrument_of(lines, None) is None


def read_filing(
    data: bytes,
    file_format: str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> Filing:
    """Split a filing into its oficio and instruments and read each by its reader.

    Any part that cannot be read rejects the whole filing (nothing of it is imported), except
    an instrument with no reader installed, which is left unread with a finding.
    """
    pages = page_texts(data, file_format, limits)
    starts: list[tuple[int, Instrument, str]] = []
    current: str | None = None
    for index, lines in enumerate(pages):
        found = _instrument_of([line.strip() for line in lines if line.strip()], current)
        if found is not None:
            starts.append((index, *found))
            current = found[0].name
    if not starts:
        raise AnnexRejected(
            gettext_noop(
                "No se encontró ningún instrumento en el expediente: ninguna "
                "página lleva un título como «Anexo B. Documento de "
                "trabajo», «Posición institucional» o el formato libre."
            )
        )
    oficio = "\n".join(line for lines in pages[: starts[0][0]] for line in lines)
    number, date, findings = _oficio(oficio, starts[0][0])
    options = Options(catalogue, limits)
    parts = []
    for position, (first, instrument, title) in enumerate(starts):
        last = starts[position + 1][0] - 1 if position + 1 < len(starts) else len(pages) - 1
        pages_said = (
            Text(gettext_noop("página {page}"), page=first + 1)
            if first == last
            else Text(gettext_noop("páginas {first}-{last}"), first=first + 1, last=last + 1)
        )
        name = title.strip()
        piece = _cut(data, file_format, pages, first, last, limits)
        parts.append(_read_part(instrument, name, pages_said, piece, file_format, options))
    findings += [
        Finding(f.kind, f"{part.instrument} ({part.pages}) · {f.where}", f.text, f.cell)
        for part in parts
        for f in part.findings
    ]
    return Filing(number, date, tuple(parts), tuple(findings))


def _read_part(
    instrument: Instrument,
    name: str,
    pages: str,
    piece: bytes,
    file_format: str,
    options: Options,
) -> FiledPart:
    if instrument.name == "posicion" and _position_reader() is None:
        finding = Finding(
            "instrument_not_read",
            pages,
            f"Anexo F no se leyó: «{name}» no tiene lector instalado; el resto del expediente "
            "se importó.",
        )
        return FiledPart(name, pages, None, (finding,))
    try:
        document = instrument.read(piece, file_format, options)
    except AnnexRejected as error:
        raise AnnexRejected(
            gettext_noop("{name} ({pages}): {error}"), name=name, pages=pages, error=error.message
        ) from None
    return FiledPart(name, pages, document, tuple(getattr(document, "findings", ())))


def _cut(
    data: bytes,
    file_format: str,
    pages: list[list[str]],
    first: int,
    last: int,
    limits: ReadingLimits,
) -> bytes:
    """The pages first..last of the file, as a file of the same format."""
    if file_format == "txt":
        return "\f".join("\n".join(lines) for lines in pages[first : last + 1]).encode("utf-8")
    if file_format == "docx":
        from mejora.annex.parsers.bundle_docx import docx_cut

        return docx_cut(data, limits, first, last)
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter()
    for index in range(first, last + 1):
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _oficio(text: str, pages: int) -> tuple[str, PartialDate | None, list[Finding]]:
    """The oficio's number and date, and a finding for what it does not say."""
    where = "oficio"
    if not pages:
        finding = Finding(
            "oficio_missing", where, "El expediente no trae oficio antes de los anexos."
        )
        return "", None, [finding]
    findings = []
    number_match = OFICIO_NUMBER.search(text)
    number = number_match["number"].rstrip(".") if number_match else ""
    if not number:
        findings.append(Finding("oficio_number_missing", where, "El oficio no dice su número."))
    date_match = _LONG_DATE.search(text)
    date = read_date(date_match.group()).date if date_match else None
    if date is None:
        findings.append(
            Finding("oficio_date_missing", where, "No se encontró la fecha del oficio.")
        )
    return number, date, findings
