"""The budget and the damage checks of one PDF's reading, kept while pdfminer reads it.

pdfminer reads whatever a file declares: it inflates each stream whole, in memory, with one
zlib call (a 1 MB stream of zeros becomes 1 GB), reads every page the page tree lists, and
answers damage with a logged warning and empty or garbled text rather than an error. Here a
reading keeps an account (`Reading`): every stream is measured before pdfminer inflates it,
the pages are counted before any is read, every glyph is counted as the page is laid out, and
what pdfminer reports (a warning, a glyph without text, a stream zlib cannot inflate) rejects
the file instead of letting a part of it through.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO

import pdfplumber
from pdfminer import settings as pdfminer_settings
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import (
    LITERALS_ASCII85_DECODE,
    LITERALS_ASCIIHEX_DECODE,
    LITERALS_FLATE_DECODE,
    LITERALS_LZW_DECODE,
    LITERALS_RUNLENGTH_DECODE,
    PDFStream,
)
from pdfminer.runlength import rldecode
from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent
from pdfplumber.pdf import PDF
from pdfplumber.utils.exceptions import PdfminerException

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import ReadingLimits, over_limit
from mejora.annex.messages import Message, gettext_noop

_REPRINT = gettext_noop(
    "Vuelva a generar el PDF desde el documento original, o suba ese documento en Word (DOCX) "
    "o Excel (XLSX)"
)
_SPLIT = gettext_noop(
    "Divida el PDF en varios (por ejemplo, un anexo por ciclo) y súbalos por separado"
)
_NO_PAGE = gettext_noop(
    "Una página de un anexo impreso tiene unos pocos miles. Vuelva a generar el PDF desde el "
    "documento original, o suba ese documento en Word (DOCX) o Excel (XLSX)"
)
_CHUNK = 1 << 20  # bytes inflated at a time while measuring a stream


def damaged(detail: str, **fields: object) -> AnnexRejected:
    """The rejection of a PDF whose bytes or text are damaged: what was found, and what to do.

    `detail` is a template marked with `gettext_noop`, and `fields` its values."""
    return AnnexRejected(
        gettext_noop(
            "El PDF está dañado o su texto no se puede leer ({detail}); no se leyó nada. {advice}."
        ),
        detail=Message(detail, fields),
        advice=Message(_REPRINT),
    )


def unopenable() -> AnnexRejected:
    """The rejection of a file that says it is a PDF but cannot be opened as one."""
    return AnnexRejected(
        gettext_noop("El archivo no es un PDF válido: está dañado o cortado. {advice}."),
        advice=Message(_REPRINT),
    )


class Reading:
    """One PDF's reading: what it has inflated and read so far, against its limits, and the
    first rejection found, kept because pdfminer and pdfplumber wrap or swallow some errors."""

    def __init__(self, limits: ReadingLimits, data: bytes = b"") -> None:
        self.limits = limits
        self.data = data
        self.document = None  # pdfminer's, once the file is open
        self.inflated = 0
        self.chars = 0
        self.rejection: AnnexRejected | None = None

    def reject(self, rejection: AnnexRejected) -> AnnexRejected:
        if self.rejection is None:
            self.rejection = rejection
        return rejection

    def check(self) -> None:
        """Raise the first rejection found, wherever pdfminer was when it was found."""
        if self.rejection is not None:
            raise self.rejection

    # --- streams ---------------------------------------------------------------------------

    def before_inflating(self, stream) -> None:
        """Measure what a stream inflates to, without keeping it, before pdfminer inflates it."""
        part = self.limits.inflated_part_bytes
        left = self.limits.inflated_total_bytes - self.inflated
        size = _inflated_size(stream, min(part, left), self)
        self._account(size, count=False)
        if not stream.get_filters() and stream.rawdata and not self._whole(stream):
            raise self.reject(
                damaged(gettext_noop("un flujo declara más o menos bytes de los que tiene"))
            )

    def _whole(self, stream) -> bool:
        """Whether a plain stream's bytes end where its 'endstream' is. pdfminer reads the
        /Length a stream declares and skips what follows up to 'endstream': a compressed
        stream cut so fails to inflate, but a plain one would silently lose its end."""
        start = self._offset(stream.objid)
        if start is None:
            return True  # a stream of no known place: nothing to compare with
        keyword = self.data.find(b"stream", start)
        if keyword < 0:
            return True
        begin = keyword + len(b"stream")
        begin += 2 if self.data.startswith(b"\r\n", begin) else 1
        after = self.data[begin + len(stream.rawdata) : begin + len(stream.rawdata) + 40]
        return after.lstrip().startswith(b"endstream")

    def _offset(self, objid: int | None) -> int | None:
        """Where the file's cross-reference puts an object, as pdfminer finds it."""
        if objid is None or self.document is None:
            return None
        for xref in self.document.xrefs:
            try:
                in_stream, offset, _ = xref.get_pos(objid)
            except KeyError:
                continue
            return None if in_stream is not None else offset
        return None

    def after_inflating(self, size: int) -> None:
        self._account(size, count=True)

    def _account(self, size: int, *, count: bool) -> None:
        if size > self.limits.inflated_part_bytes:
            what = gettext_noop("bytes descomprimidos de un flujo del PDF")
            raise self.reject(over_limit(what, self.limits.inflated_part_bytes, advice=_SPLIT))
        if self.inflated + size > self.limits.inflated_total_bytes:
            what = gettext_noop("bytes descomprimidos del PDF en total")
            raise self.reject(over_limit(what, self.limits.inflated_total_bytes, advice=_SPLIT))
        if count:
            self.inflated += size

    # --- pages and text --------------------------------------------------------------------

    def count_pages(self, pages: Iterator[object]) -> int:
        """How many pages the page tree lists, stopping one past the limit."""
        count = 0
        for _ in pages:
            count += 1
            if count > self.limits.pages:
                raise self.reject(
                    over_limit(gettext_noop("páginas"), self.limits.pages, advice=_SPLIT)
                )
        return count

    def count_char(self, on_page: int) -> None:
        """One more glyph laid out, the `on_page`th of its page."""
        self.chars += 1
        limit = min(self.limits.text_chars, self.limits.pdf_chars)
        if self.chars > limit:
            what = gettext_noop("caracteres de texto del archivo")
            raise self.reject(over_limit(what, limit, advice=_SPLIT))
        if on_page > self.limits.page_chars:
            what = gettext_noop("caracteres en una página del PDF")
            raise self.reject(over_limit(what, self.limits.page_chars, advice=_NO_PAGE))

    def undefined_glyph(self, cid: int, page: int) -> None:
        """A glyph the font maps to no text: pdfminer would read '(cid:N)' into the cell."""
        raise self.reject(
            damaged(
                gettext_noop("la página {page} tiene caracteres sin texto, como el glifo {cid}"),
                page=page,
                cid=cid,
            )
        )

    def undecodable(self, page: int) -> None:
        """A glyph whose text came out as U+FFFD: bytes of no character of the font's map."""
        raise self.reject(
            damaged(
                gettext_noop("la página {page} tiene caracteres ilegibles («\ufffd»)"), page=page
            )
        )

    def warned(self, message: str) -> None:
        self.reject(damaged(gettext_noop("al leerlo se encontró «{found}»"), found=message[:120]))


def _inflated_size(stream, cap: int, reading: Reading) -> int:
    """The bytes a stream's filters give, measured one step at a time and no further than
    `cap` (a larger answer means 'past it'); filters that only shrink or pass their data
    through (ASCII, images) are left to pdfminer."""
    data = stream.rawdata or b""
    filters = stream.get_filters()
    expanding = LITERALS_FLATE_DECODE + LITERALS_LZW_DECODE + LITERALS_RUNLENGTH_DECODE
    steps = [name for name, _ in filters]
    last = max((i for i, name in enumerate(steps) if name in expanding), default=-1)
    if last < 0:
        return len(data)
    if stream.decipher:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    for index, name in enumerate(steps[: last + 1]):
        keep = index < last  # the data of the last expanding step is only counted
        if name in LITERALS_FLATE_DECODE:
            result = _inflate(data, cap, keep=keep, reading=reading)
        elif name in LITERALS_LZW_DECODE:
            result = _lzw(data, cap, keep=keep)
        elif name in LITERALS_RUNLENGTH_DECODE:
            result = rldecode(data)
        elif name in LITERALS_ASCII85_DECODE:
            result = ascii85decode(data)
        elif name in LITERALS_ASCIIHEX_DECODE:
            result = asciihexdecode(data)
        else:
            return len(data)  # a filter pdfminer refuses or passes through
        size = result if isinstance(result, int) else len(result)
        if size > cap or isinstance(result, int):
            return size
        data = result
    return len(data)


def _inflate(data: bytes, cap: int, *, keep: bool, reading: Reading) -> bytes | int:
    """A zlib stream inflated a MiB at a time, kept or only counted, stopping past `cap`."""
    inflater = zlib.decompressobj()
    kept: list[bytes] = []
    size = 0
    pending = data
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
            size += len(chunk)
            if size > cap:
                return size
            if keep:
                kept.append(chunk)
    except zlib.error:
        raise reading.reject(
            damaged(gettext_noop("un flujo comprimido tiene bytes dañados"))
        ) from None
    if not inflater.eof:
        raise reading.reject(damaged(gettext_noop("un flujo comprimido está cortado")))
    return b"".join(kept) if keep else size


def _lzw(data: bytes, cap: int, *, keep: bool) -> bytes | int:
    kept: list[bytes] = []
    size = 0
    for chunk in LZWDecoder(BytesIO(data)).run():
        size += len(chunk)
        if size > cap:
            return size
        if keep:
            kept.append(chunk)
    return b"".join(kept) if keep else size


_READING: ContextVar[Reading | None] = ContextVar("pdf_reading", default=None)


def _install() -> None:
    """Wrap pdfminer's PDFStream.decode, so each stream is measured before it inflates, and
    put pdfminer in strict mode; done once, as this module is imported.

    pdfminer inflates a stream whole with one zlib.decompress call, and decode is the one
    place every stream it inflates passes through (content, fonts, object and
    cross-reference streams), so the measurement goes there: before the zlib call, with
    zlib.decompressobj and max_length, a MiB at a time. A pre-scan with pypdf was the other
    choice; it reads the file with another parser, which a hostile file can show other
    streams than pdfminer sees. Outside a reading (`reading()`) the wrapper does nothing.

    Strict mode is pdfminer's module flag, so it holds for the whole process: out of it,
    pdfminer reads a value of the wrong type as an empty one, and a page whose content
    dictionary a damaged byte broke reads as a blank page, its rows lost.
    """
    pdfminer_settings.STRICT = True
    original = PDFStream.decode

    def decode(stream) -> None:
        reading = _READING.get()
        if reading is None:
            return original(stream)
        reading.check()
        reading.before_inflating(stream)
        original(stream)
        reading.after_inflating(len(stream.data or b""))

    PDFStream.decode = decode


_install()


# What pdfminer warns of that changes no text read: a font without its bounding box still
# gives each glyph its text and width, only a guessed height.
_HARMLESS = ("Could not get FontBBox",)


class _Warnings(logging.Handler):
    """pdfminer's warnings during one reading (logged in the reading's own context, so
    another reading elsewhere in the process is not told of them): each is damage it saw
    (data lost inflating a stream, a broken box or operator) and read past."""

    def __init__(self, reading: Reading) -> None:
        super().__init__(logging.WARNING)
        self.reading = reading

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _READING.get() is self.reading and not message.startswith(_HARMLESS):
            self.reading.warned(message)


@contextmanager
def reading(limits: ReadingLimits, data: bytes) -> Iterator[Reading]:
    """A PDF's reading with its account open: streams measured, warnings caught, pdfminer
    strict."""
    account = Reading(limits, data)
    token = _READING.set(account)
    logger = logging.getLogger("pdfminer")
    handler = _Warnings(account)
    logger.addHandler(handler)
    try:
        yield account
    finally:
        logger.removeHandler(handler)
        _READING.reset(token)


class _Device(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, counting glyphs as they are drawn and refusing a glyph
    without text, so a page of millions of glyphs stops at the budget, not at the memory."""

    reading: Reading
    glyphs = 0

    def render_char(self, *args, **kwargs) -> float:
        self.glyphs += 1
        self.reading.count_char(self.glyphs)
        width = super().render_char(*args, **kwargs)
        if "\ufffd" in self.cur_item._objs[-1].get_text():
            self.reading.undecodable(self.pageno)
        return width

    def handle_undefined_char(self, font, cid: int) -> str:
        self.reading.undefined_glyph(cid, self.pageno)
        return super().handle_undefined_char(font, cid)


class GuardedPage(Page):
    """A pdfplumber page laid out by the counting device; the rest is pdfplumber's own."""

    reading: Reading

    @property
    def layout(self):
        if hasattr(self, "_layout"):
            return self._layout
        device = _Device(self.pdf.rsrcmgr, pageno=self.page_number, laparams=self.pdf.laparams)
        device.reading = self.reading
        try:
            PDFPageInterpreter(self.pdf.rsrcmgr, device).process_page(self.page_obj)
        except Exception as error:
            raise PdfminerException(error) from error
        self._layout = device.get_result()
        return self._layout


def pages(pdf, account: Reading) -> Iterator[GuardedPage]:
    """The pages of an open pdfplumber PDF, made one at a time as the reading asks for them."""
    top = 0.0
    for number, page in _page_objects(pdf, account):
        with page_damage(account, number):
            made = GuardedPage(pdf, page, page_number=number, initial_doctop=top)
            top += made.height
        made.reading = account
        yield made


def page_count(pdf, account: Reading) -> int:
    """How many pages the page tree lists, counted (not its /Count) before any is read."""
    return account.count_pages(_page_objects(pdf, account))


NOT_A_PDF = gettext_noop("El archivo no es un PDF válido.")
PROTECTED = gettext_noop(
    "El PDF está protegido con contraseña: guárdelo sin protección y vuelva a subirlo."
)


@contextmanager
def open_pdf(data: bytes, limits: ReadingLimits) -> Iterator[tuple[PDF, Reading, int]]:
    """A PDF opened within its reading (`reading`): pdfplumber's PDF, the account and the
    pages counted, for every reader of PDFs. A file that is not a PDF, is protected by a
    password, is damaged or passes a limit before its first page is rejected."""
    if b"%PDF-" not in data[:1024]:
        raise AnnexRejected(NOT_A_PDF)
    with reading(limits, data) as account:
        try:
            pdf = pdfplumber.open(BytesIO(data))
            account.document = pdf.doc
            account.check()
            count = page_count(pdf, account)
        except AnnexRejected:
            raise
        except (PDFPasswordIncorrect, PDFEncryptionError):
            raise AnnexRejected(PROTECTED) from None
        # A damaged file fails anywhere in pdfminer, each time with its own error.
        except Exception:
            account.check()  # a budget passed or damage seen, under pdfminer's own error
            raise unopenable() from None
        account.check()
        yield pdf, account, count


def _page_objects(pdf, account: Reading) -> Iterator[tuple[int, PDFPage]]:
    made = PDFPage.create_pages(pdf.doc)
    number = 1
    while True:
        with page_damage(account, number):
            page = next(made, None)
        if page is None:
            return
        yield number, page
        number += 1


@contextmanager
def page_damage(account: Reading, number: int) -> Iterator[None]:
    """An error met making or reading a page (a box of junk, '[0 0 abc null]', an object cut
    short) is that page's damage, never a crash; pdfplumber wraps the budget's own rejection,
    which `check` raises first."""
    try:
        yield
    except AnnexRejected:
        raise
    except Exception:
        account.check()
        raise account.reject(
            damaged(gettext_noop("la página {page} no se puede leer"), page=number)
        ) from None
