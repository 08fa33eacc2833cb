"""Documentos probatorios: files recognised by their content, links and references, kept safe.

A file is read once in chunks (its SHA-256, size and first bytes gathered on the way), its
type told from its content, never from its name, and checked against the document types an
ASM's evidence takes; only then is it stored, through Django's storage API, under a name made
from its hash, while the person's own file name, made harmless, is kept for the download.
Whoever calls these services has already checked the person's right through the access layer
(mejora.accounts.access, e.g. get_report_for_user(user, pk, Action.CAPTURE)).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

import filetype
import olefile
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mejora.followup.history import change_record, snapshot
from mejora.followup.models import ChangeRecord, Cut, Evidence, ProgressReport
from mejora.followup.permissions import Action, require

logger = logging.getLogger(__name__)

SOURCE = "página web"
# filetype needs at most this many leading bytes; the text sniffing below looks at as many.
HEAD_BYTES = 8192
NAME_MAX = 200
REFERENCE_MAX = 300
URL_MAX = 500
# Parts read out of a ZIP to tell an Office or OpenDocument file from a plain archive: any
# larger than this is not what those formats write, and is not inflated.
_PART_MAX = 512 * 1024


class EvidenceRefused(ValidationError):
    """A file, link or reference that was not taken; nothing of it was stored."""


@dataclass(frozen=True)
class FileKind:
    """A document type evidence may be: its media type, the name people know, its extensions."""

    mime: str
    label: str
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"
PDF = FileKind("application/pdf", "PDF", ("pdf",))
DOCX = FileKind(f"{_OOXML}.wordprocessingml.document", "Word (DOCX)", ("docx",))
XLSX = FileKind(f"{_OOXML}.spreadsheetml.sheet", "Excel (XLSX)", ("xlsx",))
PPTX = FileKind(f"{_OOXML}.presentationml.presentation", "PowerPoint (PPTX)", ("pptx",))
DOC = FileKind("application/msword", "Word 97-2003 (DOC)", ("doc",))
XLS = FileKind("application/vnd.ms-excel", "Excel 97-2003 (XLS)", ("xls",))
PPT = FileKind("application/vnd.ms-powerpoint", "PowerPoint 97-2003 (PPT)", ("ppt",))
ODT = FileKind(f"{_ODF}.text", "OpenDocument texto (ODT)", ("odt",))
ODS = FileKind(f"{_ODF}.spreadsheet", "OpenDocument hoja de cálculo (ODS)", ("ods",))
ODP = FileKind(f"{_ODF}.presentation", "OpenDocument presentación (ODP)", ("odp",))
PNG = FileKind("image/png", "imagen PNG", ("png",))
JPEG = FileKind("image/jpeg", "imagen JPEG", ("jpg", "jpeg", "jpe"))
TIFF = FileKind("image/tiff", "imagen TIFF", ("tif", "tiff"))
GIF = FileKind("image/gif", "imagen GIF", ("gif",))
ZIP = FileKind("application/zip", "archivo ZIP", ("zip",))
RAR = FileKind("application/vnd.rar", "archivo RAR", ("rar",))

ALLOWED: tuple[FileKind, ...] = (
    PDF, DOCX, XLSX, PPTX, DOC, XLS, PPT, ODT, ODS, ODP, PNG, JPEG, TIFF, GIF, ZIP, RAR,
)  # fmt: skip
# What filetype names these (RAR has two spellings across versions).
_BY_FILETYPE_MIME = {k.mime: k for k in (PDF, PNG, JPEG, TIFF, GIF, ZIP, RAR)} | {
    "application/x-rar-compressed": RAR,
}
# The main part an Office Open XML package declares in [Content_Types].xml.
_OOXML_MAIN = {
    f"{_OOXML}.wordprocessingml.document.main+xml": DOCX,
    f"{_OOXML}.spreadsheetml.sheet.main+xml": XLSX,
    f"{_OOXML}.presentationml.presentation.main+xml": PPTX,
}
_OOXML_MACROS = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
)
_ODF_KINDS = {k.mime: k for k in (ODT, ODS, ODP)}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLES = (
    (b"\x7fELF", gettext_noop("un programa ejecutable (ELF)")),
    (b"MZ", gettext_noop("un programa ejecutable de Windows (EXE/DLL)")),
    (b"\xfe\xed\xfa\xce", gettext_noop("un programa ejecutable de macOS (Mach-O)")),
    (b"\xfe\xed\xfa\xcf", gettext_noop("un programa ejecutable de macOS (Mach-O)")),
    (b"\xce\xfa\xed\xfe", gettext_noop("un programa ejecutable de macOS (Mach-O)")),
    (b"\xcf\xfa\xed\xfe", gettext_noop("un programa ejecutable de macOS (Mach-O)")),
    (b"\xca\xfe\xba\xbe", gettext_noop("un programa ejecutable (Mach-O universal o Java)")),
)
# Names Windows reserves for devices, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}
_UNSAFE_CHARACTERS = re.compile(r'[<>:"|?*]')


def allowed_labels() -> str:
    """The document types evidence may be, as a person reads them."""
    return ", ".join(kind.label for kind in ALLOWED)


def _refuse_type(found: str) -> EvidenceRefused:
    return EvidenceRefused(
        _("No se aceptó el archivo: su contenido es %(found)s. Se aceptan: %(allowed)s.")
        % {"found": found, "allowed": allowed_labels()},
        code="type",
    )


def evidence_file_name(raw: str) -> str:
    """The person's file name made harmless: no folders, control characters or device names;
    a name that climbs out of its folder ('../x.pdf') is refused."""
    if "\x00" in raw:
        raise EvidenceRefused(
            _("El nombre del archivo contiene un carácter nulo; cámbielo e inténtelo de nuevo."),
            code="name",
        )
    folders = unicodedata.normalize("NFC", raw).replace("\\", "/").split("/")
    if ".." in (part.strip() for part in folders[:-1]):
        # A name that climbs out of its folder is no document's name: an attempt, refused.
        raise EvidenceRefused(
            _(
                "El nombre del archivo intenta salir de su carpeta («..»); súbalo con su "
                "nombre solamente."
            ),
            code="name",
        )
    name = folders[-1]
    # Category C: control, format (e.g. the right-to-left override that hides ".exe"),
    # surrogates, private use and unassigned characters.
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE_CHARACTERS.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    if not name:
        raise EvidenceRefused(
            _("El nombre del archivo no es válido; cámbielo e inténtelo de nuevo."), code="name"
        )
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = f"_{stem}"
    suffix = f".{extension}" if dot else ""
    if len(suffix) > NAME_MAX // 2:
        suffix = ""
    stem = stem[: NAME_MAX - len(suffix)].rstrip(" .") or "documento"
    return f"{stem}{suffix}"


def _name_extension(name: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


@dataclass(frozen=True)
class Measured:
    """What one pass over an upload found: its hash, its size and its first bytes."""

    sha256: str
    size: int
    head: bytes


def max_bytes() -> int:
    return settings.MEJORA_EVIDENCE_MAX_MB * 1024 * 1024


def _too_large() -> EvidenceRefused:
    return EvidenceRefused(
        _("El archivo pasa de %(mb)s MB, el tamaño máximo de un documento probatorio.")
        % {"mb": settings.MEJORA_EVIDENCE_MAX_MB},
        code="size",
    )


def measure(file: File) -> Measured:
    """Hash and size in one streamed pass, refused as soon as it passes the size limit."""
    limit = max_bytes()
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise _too_large()
    digest = hashlib.sha256()
    size = 0
    head = bytearray()
    for chunk in file.chunks():
        size += len(chunk)
        if size > limit:
            raise _too_large()
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
    if size == 0:
        raise EvidenceRefused(_("El archivo está vacío."), code="empty")
    return Measured(sha256=digest.hexdigest(), size=size, head=bytes(head))


def _text_label(head: bytes) -> str:
    """What a file no magic number names seems to be, to say so in the refusal."""
    lowered = head.lower()
    start = lowered.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"<svg" in lowered:
        return _("una imagen SVG (puede llevar código)")
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")) or any(
        tag in lowered for tag in (b"<script", b"<html", b"<iframe")
    ):
        return _("una página HTML")
    if start.startswith(b"<?xml"):
        return _("un documento XML")
    if start.startswith(b"#!"):
        return _("un programa (script)")
    if start.startswith(b"{\\rtf"):
        return _("un documento RTF")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return _("un tipo que no se reconoce")
    return _("texto sin formato")


def _zip_kind(file: File) -> FileKind:
    """A ZIP's own kind, from its parts: Office Open XML, OpenDocument or a plain archive."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            parts = {info.filename: info for info in archive.infolist()}
            if (mimetype := parts.get("mimetype")) is not None and mimetype.file_size < 200:
                declared = archive.read(mimetype).decode("ascii", "replace").strip()
                if declared in _ODF_KINDS:
                    return _ODF_KINDS[declared]
                raise _refuse_type(_("un documento OpenDocument de otro tipo (%s)") % declared)
            types = parts.get("[Content_Types].xml")
            if types is not None:
                if types.file_size > _PART_MAX:
                    raise _refuse_type(_("un paquete de Office dañado"))
                content = archive.read(types).decode("utf-8", "replace")
                for main, kind in _OOXML_MAIN.items():
                    if f'"{main}"' in content:
                        return kind
                if any(f'"{macro}"' in content for macro in _OOXML_MACROS):
                    raise _refuse_type(_("un documento de Office con macros (DOCM, XLSM o PPTM)"))
                raise _refuse_type(_("un paquete de Office de otro tipo"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise _refuse_type(_("un archivo ZIP dañado")) from None
    except RuntimeError:  # an encrypted part
        raise _refuse_type(_("un archivo ZIP cifrado")) from None
    return ZIP


def _ole_kind(file: File) -> FileKind:
    """An Office 97-2003 document's kind, from the streams its compound file holds."""
    file.seek(0)
    try:
        ole = olefile.OleFileIO(file, raise_defects=olefile.DEFECT_INCORRECT)
    except Exception:  # olefile raises plain OSError, ValueError, struct errors, …
        raise _refuse_type(_("un documento de Office 97-2003 dañado")) from None
    try:
        if ole.exists("WordDocument"):
            return DOC
        if ole.exists("Workbook") or ole.exists("Book"):
            return XLS
        if ole.exists("PowerPoint Document"):
            return PPT
        if ole.exists("EncryptedPackage"):
            raise _refuse_type(_("un documento de Office protegido con contraseña"))
    finally:
        ole.close()
    raise _refuse_type(_("un contenedor OLE que no es Word, Excel ni PowerPoint (p. ej. un MSI)"))


def detect_kind(file: File, head: bytes) -> FileKind:
    """The file's type from its content, or EvidenceRefused naming what it is instead."""
    for magic, label in _EXECUTABLES:
        if head.startswith(magic):
            raise _refuse_type(_(label))
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(file)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(file)
    guessed = filetype.guess(head)
    if guessed is None:
        raise _refuse_type(_text_label(head))
    if guessed.mime in _BY_FILETYPE_MIME:
        return _BY_FILETYPE_MIME[guessed.mime]
    raise _refuse_type(f"{guessed.extension.upper()} ({guessed.mime})")


STORAGE_ROOT = "evidencia"


def _storage_name(sha256: str, kind: FileKind) -> str:
    # Content-addressed and the type's own extension: nothing of the person's name reaches
    # the storage's paths, and a name never repeats in practice.
    return f"{STORAGE_ROOT}/{timezone.now():%Y}/{sha256[:2]}/{sha256}.{kind.extension}"


def _clean_url(url: str) -> str:
    url = url.strip()
    if len(url) > URL_MAX:
        raise EvidenceRefused(_("La liga pasa de %(n)s caracteres.") % {"n": URL_MAX}, code="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise EvidenceRefused(
            _("La liga no es válida: debe ser una dirección que empiece con http:// o https://."),
            code="url",
        ) from None
    return url


def _clean_reference(reference: str) -> str:
    reference = " ".join(reference.split())
    if any(unicodedata.category(ch).startswith("C") for ch in reference):
        raise EvidenceRefused(
            _("La referencia contiene caracteres de control; escríbala como texto."),
            code="reference",
        )
    if len(reference) > REFERENCE_MAX:
        raise EvidenceRefused(
            _("La referencia pasa de %(n)s caracteres.") % {"n": REFERENCE_MAX},
            code="reference",
        )
    return reference


def _open_report(report: ProgressReport) -> ProgressReport:
    """The report as it is now, locked for this transaction, if it still takes evidence."""
    current = ProgressReport.objects.select_for_update().select_related("cut").get(pk=report.pk)
    if current.state not in (ProgressReport.State.DRAFT, ProgressReport.State.RETURNED):
        raise EvidenceRefused(
            _(
                "El reporte está %(state)s: sus documentos probatorios ya no cambian. Solo un "
                "reporte en borrador o devuelto los recibe."
            )
            % {"state": current.get_state_display()},
            code="state",
        )
    if current.cut.state != Cut.State.OPEN:
        raise EvidenceRefused(
            _("El corte %(cut)s está cerrado: sus reportes ya no cambian.")
            % {"cut": current.cut.name},
            code="state",
        )
    return current


def _stored_file(file: File) -> tuple[str, Measured, FileKind, str]:
    """The upload checked, then stored: its shown name, measures, kind and storage name."""
    name = evidence_file_name(file.name or "")
    measured = measure(file)
    kind = detect_kind(file, measured.head)
    extension = _name_extension(name)
    if not extension:
        name = f"{name[: NAME_MAX - len(kind.extension) - 1]}.{kind.extension}"
    elif extension not in kind.extensions:
        raise EvidenceRefused(
            _(
                "El nombre «%(name)s» termina en .%(ext)s, pero el contenido es %(found)s; "
                "revise que sea el archivo correcto."
            )
            % {"name": name, "ext": extension, "found": kind.label},
            code="extension",
        )
    file.seek(0)
    max_length = Evidence._meta.get_field("file").max_length
    stored = default_storage.save(_storage_name(measured.sha256, kind), file, max_length=max_length)
    return name, measured, kind, stored


@transaction.atomic
def evidence_add(
    *,
    report: ProgressReport,
    actor: Any,
    file: UploadedFile | None = None,
    url: str = "",
    reference: str = "",
) -> Evidence:
    """Attach one file, link or reference to a draft or returned report, with its history row."""
    require(actor, Action.CAPTURE, report)
    given = sum((file is not None, bool(url.strip()), bool(reference.strip())))
    if given != 1:
        raise EvidenceRefused(
            _("Agregue un archivo, una liga o una referencia: uno, y solo uno, a la vez."),
            code="choice",
        )
    report = _open_report(report)
    evidence = Evidence(report=report, uploaded_by=actor if getattr(actor, "pk", None) else None)
    stored = ""
    try:
        if file is not None:
            name, measured, kind, stored = _stored_file(file)
            evidence.name = name
            evidence.file = stored
            evidence.sha256 = measured.sha256
            evidence.size = measured.size
            evidence.content_type = kind.mime
        elif url.strip():
            evidence.url = _clean_url(url)
            evidence.name = evidence.url[: Evidence._meta.get_field("name").max_length]
        else:
            evidence.reference = _clean_reference(reference)
            evidence.name = evidence.reference
        evidence.full_clean()
        evidence.save()
        change_record(
            action=ChangeRecord.Action.CREATE, obj=evidence, actor=actor, source=SOURCE
        ).save()
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, actor: Any) -> None:
    """Take a document off a draft or returned report; its file goes once the removal commits."""
    require(actor, Action.CAPTURE, evidence)
    _open_report(evidence.report)
    before = snapshot(evidence)
    stored = evidence.file.name or ""
    change_record(
        action=ChangeRecord.Action.DELETE, obj=evidence, actor=actor, before=before, source=SOURCE
    ).save()
    evidence.delete()
    if stored:
        # After the commit: a removal that rolls back must still find its file.
        transaction.on_commit(lambda: _delete_stored(stored))


def _delete_stored(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("No se pudo borrar el archivo de evidencia %s", name, exc_info=True)


# A file stored by an evidence_add whose transaction then rolled back (a later file of the
# same save refused, say) has no record: after this long it is nobody's upload in progress.
ORPHANS_KEPT_FOR = dt.timedelta(hours=1)


def evidence_orphans_sweep(*, now: dt.datetime) -> list[str]:
    """Delete stored evidence files no record points at, older than ORPHANS_KEPT_FOR."""
    kept = set(Evidence.objects.exclude(file="").values_list("file", flat=True))
    swept = []
    for name in _stored_names(STORAGE_ROOT):
        if name in kept:
            continue
        if default_storage.get_modified_time(name) < now - ORPHANS_KEPT_FOR:
            _delete_stored(name)
            swept.append(name)
    return swept


def _stored_names(folder: str):
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_names(f"{folder}/{sub}")
