"""The zip package of an XLSX or DOCX, read within the reading limits.

A few kilobytes of deflate can stand for gigabytes, so a part is never trusted: the sizes the
archive declares are checked before any part is opened, and every part is counted again as it
inflates, against its own limit and the file's. An XML part is also watched for a run of bytes
without a tag: the text of a cell or the value of an attribute, which an XML parser holds whole
before anyone can look at it, may then never grow past what a cell may hold.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable
from xml.parsers import expat

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import ReadingLimits, over_limit
from mejora.annex.messages import Message, gettext_noop

CHUNK = 1 << 20
# One character of text may take ten bytes of XML ('&#x1F600;'); markup may add a little.
_BYTES_PER_CHAR = 10
_SLACK = 4096
# The package's own small parts (relationships, content types, the workbook): whole in memory.
STRUCTURE_BYTES = 16 << 20


class OverLimit(AnnexRejected):
    """A file past one of the limits: final, whatever damage the rest of the file holds."""


def beyond(what: str, limit: int, *, advice: str = "") -> OverLimit:
    return OverLimit(over_limit(what, limit, advice=advice).message)


def cell_over_limit(limits: ReadingLimits) -> OverLimit:
    return beyond(
        gettext_noop("caracteres de una celda"),
        limits.cell_chars,
        advice=Message(gettext_noop("Acorte el texto de esa celda o divida el archivo en varios")),
    )


class Package:
    """An open archive and what its parts have cost so far."""

    def __init__(
        self, data: bytes, limits: ReadingLimits, damaged: Callable[[], AnnexRejected]
    ) -> None:
        self.limits = limits
        self.damaged = damaged
        self.inflated = 0
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        # Bytes that are no archive fail in zipfile in more ways than it documents.
        except Exception as error:
            raise damaged() from error
        self.members = {info.filename: info for info in infos}
        declared = 0
        for info in infos:
            declared += info.file_size
            self._check(info.file_size, declared)

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.zip.close()

    def has(self, name: str) -> bool:
        return name in self.members

    def open(self, name: str, *, xml: bool = True) -> Member:
        """A part as a stream that counts what it inflates; a missing part is damage."""
        if name not in self.members:
            raise self.damaged()
        return Member(self, self.zip.open(self.members[name]), xml=xml)

    def read(self, name: str, *, at_most: int = STRUCTURE_BYTES) -> bytes:
        """A small part whole; one larger than a package's own parts ever are is damage."""
        with self.open(name) as member:
            data = member.read(at_most + 1)
        if len(data) > at_most:
            raise self.damaged()
        return data

    def count(self, part: int, added: int) -> None:
        self.inflated += added
        self._check(part, self.inflated)

    def _check(self, part: int, total: int) -> None:
        if part > self.limits.inflated_part_bytes:
            raise beyond(
                gettext_noop("bytes de una parte comprimida del archivo, ya descomprimida"),
                self.limits.inflated_part_bytes,
            )
        if total > self.limits.inflated_total_bytes:
            raise beyond(
                gettext_noop("bytes del archivo ya descomprimido"), self.limits.inflated_total_bytes
            )


class Member(io.RawIOBase):
    """One part's bytes as they inflate, counted and, for XML, watched for an endless text."""

    def __init__(self, package: Package, raw: zipfile.ZipExtFile, *, xml: bool) -> None:
        super().__init__()
        self.package = package
        self.raw = raw
        self.size = 0
        self.run = 0  # bytes since the last '<'
        # Bytes a reader building a tree may have read since it last let go of what it read.
        self.held_limit: int | None = None
        self.mark = 0
        limit = package.limits.cell_chars * _BYTES_PER_CHAR + _SLACK
        self.max_run = limit if xml else None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        try:
            data = self.raw.read(size)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
            # zlib's error is an OSError's kin only by name: catch what zipfile lets through.
            raise self.package.damaged() from error
        except Exception as error:
            if type(error).__module__ == "zlib":
                raise self.package.damaged() from error
            raise
        self.size += len(data)
        self.package.count(self.size, len(data))
        if self.held_limit is not None and self.size - self.mark > self.held_limit:
            raise beyond(
                gettext_noop(
                    "bytes de XML de una fila de tabla o de los párrafos entre dos tablas"
                ),
                self.held_limit,
                advice=Message(
                    gettext_noop(
                        "Guarde el documento de nuevo desde Word; si persiste, divídalo en varios"
                    )
                ),
            )
        if self.max_run is not None and data:
            self._watch(data)
        return data

    def release(self) -> None:
        """The reader let go of all it had read: count what it holds again from here."""
        self.mark = self.size

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _watch(self, data: bytes) -> None:
        limit = self.max_run
        first = data.find(b"<")
        if first < 0:
            self.run += len(data)
        else:
            self.run += first
            last = data.rfind(b"<")
            at = first
            # A window past any '<' holding none is a run too long; else jump to its last '<'.
            while self.run <= limit and last - at > limit:
                at = data.rfind(b"<", at + 1, at + limit + 2)
                if at < 0:
                    self.run = limit + 1
            if self.run <= limit:
                self.run = len(data) - last - 1
        if self.run > limit:
            raise cell_over_limit(self.package.limits)

    def close(self) -> None:
        self.raw.close()
        super().close()


def part_path(source: str, target: str) -> str:
    """The zip member a relationship's target names, relative to the part that holds it."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join("/", base, target)).lstrip("/")


def rels_path(part: str) -> str:
    """Where a part's relationships are kept: 'xl/_rels/workbook.xml.rels'."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _refuse_dtd(*_: object) -> None:
    # A document type may declare entities that expand a kilobyte into gigabytes; no part of
    # an Office file has one.
    raise expat.ExpatError("a document type declaration")


def expat_parser() -> expat.XMLParserType:
    """An expat parser reporting names as 'namespace local', text in bounded pieces, and
    refusing any document type declaration."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    return parser


def local(name: str) -> str:
    """A tag's or attribute's name without its namespace."""
    return name.rpartition(" ")[2]
