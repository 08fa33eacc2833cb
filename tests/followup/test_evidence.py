"""Evidence is taken only when it is what it says, and a refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import struct
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from mejora.accounts.models import Role
from mejora.followup.models import ChangeRecord, Cut, Evidence, ProgressReport
from mejora.followup.services.evidence import (
    EvidenceRefused,
    evidence_add,
    evidence_file_name,
    evidence_remove,
)
from tests.factories import CutFactory, ProgressReportFactory, member
from tests.office import converted_by_libreoffice

pytestmark = pytest.mark.django_db


# Files made here, so no binary is committed -----------------------------------------------


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("Oficio de entrega del padrón depurado.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Beneficiarios"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, format=fmt)
    return out.getvalue()


def zip_bytes(parts: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, parts.pop(stored_first), zipfile.ZIP_STORED)
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def content_types(main: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Override PartName="/main.xml" '
        f'ContentType="{main}"/></Types>'
    ).encode()


def odf_bytes(mimetype: str) -> bytes:
    return zip_bytes(
        {"mimetype": mimetype.encode(), "content.xml": b"<office:document-content/>"},
        stored_first="mimetype",
    )


PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"\x00" * 64
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)


# The world the tests act in --------------------------------------------------------------


@pytest.fixture
def storage(settings, tmp_path) -> Path:
    """The default storage, a fresh folder each test, to see what was stored."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


@pytest.fixture
def report() -> ProgressReport:
    cut = CutFactory(date=dt.date(2012, 9, 30), name="septiembre 2012", state=Cut.State.OPEN)
    return ProgressReportFactory(cut=cut, state=ProgressReport.State.DRAFT)


@pytest.fixture
def liaison(report):
    return member(Role.LIAISON, program=report.activity.aspect.program)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_kept(storage: Path) -> None:
    assert stored_files(storage) == []
    assert not Evidence.objects.exists()
    assert not ChangeRecord.objects.filter(model="followup.Evidence").exists()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


# Files that are taken --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "mime"),
    [
        ("Oficio DGEMPS-123.pdf", pdf_bytes, "application/pdf"),
        (
            "Padrón depurado.docx",
            docx_bytes,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "Beneficiarios.xlsx",
            xlsx_bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "Presentación.pptx",
            lambda: zip_bytes({"[Content_Types].xml": content_types(PPTX_MAIN)}),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        (
            "Minuta.odt",
            lambda: odf_bytes("application/vnd.oasis.opendocument.text"),
            "application/vnd.oasis.opendocument.text",
        ),
        (
            "Cifras.ods",
            lambda: odf_bytes("application/vnd.oasis.opendocument.spreadsheet"),
            "application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("Foto del evento.png", lambda: image_bytes("PNG"), "image/png"),
        ("Foto del evento.jpg", lambda: image_bytes("JPEG"), "image/jpeg"),
        ("Escaneo.tif", lambda: image_bytes("TIFF"), "image/tiff"),
        ("Gráfica.gif", lambda: image_bytes("GIF"), "image/gif"),
        ("Anexos.zip", lambda: zip_bytes({"lista.txt": b"uno\ndos\n"}), "application/zip"),
        (
            "Respaldo.rar",
            lambda: b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64,
            "application/vnd.rar",
        ),
    ],
)
def test_it_takes_a_document_and_records_hash_size_and_type(
    storage, report, liaison, name, make, mime
):
    data = make()

    evidence = evidence_add(report=report, actor=liaison, file=upload(name, data))

    evidence.refresh_from_db()
    assert evidence.name == name
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.size == len(data)
    assert evidence.content_type == mime
    assert evidence.uploaded_by == liaison
    [kept] = stored_files(storage)
    assert kept.read_bytes() == data
    assert kept.stem == evidence.sha256
    assert evidence.file.name.startswith(f"evidencia/{dt.date.today():%Y}/{evidence.sha256[:2]}/")
    record = ChangeRecord.objects.get(model="followup.Evidence", object_id=str(evidence.pk))
    assert record.action == ChangeRecord.Action.CREATE
    assert record.actor == liaison
    assert record.after["sha256"] == evidence.sha256


def test_a_returned_report_takes_evidence_too(storage, report, liaison):
    report.state = ProgressReport.State.RETURNED
    report.save()

    evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", pdf_bytes()))

    assert Evidence.objects.filter(report=report).count() == 1


def test_the_same_document_twice_is_kept_twice_under_names_of_its_own(storage, report, liaison):
    data = pdf_bytes()
    first = evidence_add(report=report, actor=liaison, file=upload("a.pdf", data))
    second = evidence_add(report=report, actor=liaison, file=upload("b.pdf", data))

    assert first.file.name != second.file.name
    assert len(stored_files(storage)) == 2


def test_a_name_without_extension_gets_the_one_of_its_content(storage, report, liaison):
    evidence = evidence_add(report=report, actor=liaison, file=upload("Oficio 123", pdf_bytes()))

    assert evidence.name == "Oficio 123.pdf"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("C:\\x\\y.pdf", "y.pdf"),
        ("/home/enlace/y.pdf", "y.pdf"),
        ("Informe\u202efdp.pdf", "Informefdp.pdf"),
        ("Oficio\r\nSet-Cookie: x.pdf", "OficioSet-Cookie_ x.pdf"),
        ('a<b>"c"|d?.pdf', "a_b__c__d_.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("lpt1.informe.pdf", "_lpt1.informe.pdf"),
        ("  .oculto.pdf ", "oculto.pdf"),
        ("Año..2012...pdf", "Año.2012.pdf"),
        ("Acción núm. 3 — Diseño.pdf", "Acción núm. 3 — Diseño.pdf"),
        ("Accio\u0301n.pdf", "Acción.pdf"),
        ("x" * 500 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_it_makes_a_file_name_harmless(raw, kept):
    assert evidence_file_name(raw) == kept


@pytest.mark.parametrize("raw", ["..", "/", " . ", "\x01\x02"])
def test_it_refuses_a_name_with_nothing_left(raw):
    with pytest.raises(EvidenceRefused, match="nombre del archivo no es válido"):
        evidence_file_name(raw)


@pytest.mark.parametrize("raw", ["../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "\\..\\"])
def test_a_name_that_climbs_out_of_its_folder_is_refused_and_nothing_stored(
    storage, report, liaison, raw
):
    with pytest.raises(EvidenceRefused, match="intenta salir de su carpeta"):
        evidence_add(report=report, actor=liaison, file=File(io.BytesIO(pdf_bytes()), raw))
    assert stored_files(storage) == [] and not report.evidence.exists()


@pytest.mark.parametrize("raw", ["C:\\x\\y.pdf", "/home/enlace/y.pdf"])
def test_a_path_in_the_name_never_reaches_the_storage(storage, report, liaison, raw):
    # Django's uploads already drop POSIX folders; a File names itself what it is given.
    evidence = evidence_add(report=report, actor=liaison, file=File(io.BytesIO(pdf_bytes()), raw))

    [kept] = stored_files(storage)
    assert kept.is_relative_to(storage / "evidencia")
    assert kept.name == f"{evidence.sha256}.pdf"
    assert "/" not in evidence.name
    assert "\\" not in evidence.name


# Office 97-2003: a compound file told apart by its streams --------------------------------


@pytest.fixture(scope="module")
def word_97(tmp_path_factory) -> bytes:
    """A real .doc, written by LibreOffice from a DOCX (CI installs it for the PDF tests)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) no está instalado aquí")
    folder = tmp_path_factory.mktemp("doc")
    return converted_by_libreoffice(folder, {"oficio": docx_bytes()}, to="doc")["oficio"]


def renamed_stream(compound: bytes, old: str, new: str) -> bytes:
    """The compound file with one directory entry renamed (its 64-byte name and its length)."""
    at = compound.index(old.encode("utf-16-le") + b"\0\0")
    name = (new.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")
    return compound[:at] + name + struct.pack("<H", len(new) * 2 + 2) + compound[at + 66 :]


def test_it_takes_a_word_97_document(storage, report, liaison, word_97):
    evidence = evidence_add(report=report, actor=liaison, file=upload("Oficio.doc", word_97))

    assert evidence.content_type == "application/msword"


@pytest.mark.parametrize(
    ("stream", "name", "mime"),
    [
        ("Workbook", "Cifras.xls", "application/vnd.ms-excel"),
        ("PowerPoint Document", "Presentación.ppt", "application/vnd.ms-powerpoint"),
    ],
)
def test_it_tells_excel_and_powerpoint_97_by_their_main_stream(
    storage, report, liaison, word_97, stream, name, mime
):
    data = renamed_stream(word_97, "WordDocument", stream)

    evidence = evidence_add(report=report, actor=liaison, file=upload(name, data))

    assert evidence.content_type == mime


@pytest.mark.parametrize("stream", ["EncryptedPackage", "Installer"])
def test_it_refuses_a_compound_file_that_is_no_office_document(
    storage, report, liaison, word_97, stream
):
    data = renamed_stream(word_97, "WordDocument", stream)

    with pytest.raises(EvidenceRefused, match=r"contraseña|MSI"):
        evidence_add(report=report, actor=liaison, file=upload("Oficio.doc", data))

    assert_nothing_kept(storage)


# Files that are refused, leaving nothing -------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("Oficio.pdf", ELF, "ejecutable (ELF)"),
        ("Oficio.pdf", PE, "ejecutable de Windows"),
        ("Oficio.pdf", MACHO, "Mach-O"),
        ("Oficio.html", HTML, "página HTML"),
        ("Oficio.pdf", HTML, "página HTML"),
        ("Logo.svg", SVG, "imagen SVG"),
        ("Logo.png", SVG, "imagen SVG"),
        ("correr.sh", b"#!/bin/sh\nrm -rf /\n", "programa (script)"),
        ("notas.txt", b"Avance del ASM\n", "texto sin formato"),
        ("datos.bin", bytes(range(256)) * 4, "no se reconoce"),
        ("Respaldo.7z", b"7z\xbc\xaf\x27\x1c" + b"\x00" * 64, "7Z"),
        ("Macro.docm", zip_bytes({"[Content_Types].xml": content_types(DOCM_MAIN)}), "macros"),
        ("Macro.docx", zip_bytes({"[Content_Types].xml": content_types(DOCM_MAIN)}), "macros"),
        ("Roto.zip", b"PK\x03\x04" + b"\x00" * 100, "ZIP dañado"),
        ("Viejo.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "97-2003 dañado"),
        (
            "Dibujo.odg",
            odf_bytes("application/vnd.oasis.opendocument.graphics"),
            "OpenDocument de otro tipo",
        ),
    ],
)
def test_it_refuses_what_is_not_a_document_and_names_it(storage, report, liaison, name, data, said):
    with pytest.raises(EvidenceRefused) as refused:
        evidence_add(report=report, actor=liaison, file=upload(name, data))

    message = refused.value.messages[0]
    assert said in message
    assert "Se aceptan: PDF, Word (DOCX)" in message
    assert_nothing_kept(storage)


@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        (
            "Oficio.pdf",
            lambda: image_bytes("PNG"),
            r"termina en \.pdf, pero el contenido es imagen",
        ),
        (
            "Informe.docx",
            lambda: zip_bytes({"a.txt": b"a"}),
            r"\.docx, pero el contenido es archivo ZIP",
        ),
        ("Anexos.zip", docx_bytes, r"\.zip, pero el contenido es Word \(DOCX\)"),
        ("Oficio.pdf.exe", pdf_bytes, r"\.exe, pero el contenido es PDF"),
    ],
)
def test_it_refuses_a_document_whose_name_says_another_type(
    storage, report, liaison, name, make, said
):
    with pytest.raises(EvidenceRefused, match=said):
        evidence_add(report=report, actor=liaison, file=upload(name, make()))

    assert_nothing_kept(storage)


def test_it_refuses_a_nul_in_the_name(storage, report, liaison):
    with pytest.raises(EvidenceRefused, match="carácter nulo"):
        evidence_add(report=report, actor=liaison, file=upload("Oficio\x00.exe.pdf", pdf_bytes()))

    assert_nothing_kept(storage)


def test_it_refuses_a_file_over_the_size_limit_before_storing_it(
    storage, report, liaison, settings
):
    settings.MEJORA_EVIDENCE_MAX_MB = 1
    data = pdf_bytes() + b"%" + b"0" * (1024 * 1024)

    with pytest.raises(EvidenceRefused, match="pasa de 1 MB"):
        evidence_add(report=report, actor=liaison, file=upload("Grande.pdf", data))

    assert_nothing_kept(storage)


def test_it_stops_reading_a_file_that_grows_past_the_limit(storage, report, liaison, settings):
    settings.MEJORA_EVIDENCE_MAX_MB = 1

    class Undeclared(File):
        """A stream whose size is not known before it is read, like a chunked upload."""

        size = None
        read_chunks = 0

        def chunks(self, chunk_size=None):
            for chunk in super().chunks(64 * 1024):
                Undeclared.read_chunks += 1
                yield chunk

    data = pdf_bytes() + b"0" * (5 * 1024 * 1024)
    with pytest.raises(EvidenceRefused, match="pasa de 1 MB"):
        evidence_add(report=report, actor=liaison, file=Undeclared(io.BytesIO(data), "x.pdf"))

    assert Undeclared.read_chunks <= 17
    assert_nothing_kept(storage)


def test_it_refuses_an_empty_file(storage, report, liaison):
    with pytest.raises(EvidenceRefused, match="vacío"):
        evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", b""))

    assert_nothing_kept(storage)


@pytest.mark.parametrize("state", [ProgressReport.State.SUBMITTED, ProgressReport.State.VALIDATED])
def test_a_sent_or_validated_report_takes_no_new_evidence(storage, report, liaison, state):
    report.state = state
    report.save()

    with pytest.raises(EvidenceRefused, match="Solo un reporte en borrador o devuelto"):
        evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", pdf_bytes()))

    assert_nothing_kept(storage)


def test_the_state_checked_is_the_one_saved_not_the_one_in_hand(storage, report, liaison):
    ProgressReport.objects.filter(pk=report.pk).update(state=ProgressReport.State.SUBMITTED)

    with pytest.raises(EvidenceRefused):
        evidence_add(report=report, actor=liaison, reference="Oficio DGEMPS/123/2012")

    assert_nothing_kept(storage)


def test_a_report_of_a_closed_cut_takes_no_evidence(storage, report, liaison):
    Cut.objects.filter(pk=report.cut_id).update(state=Cut.State.CLOSED)

    with pytest.raises(EvidenceRefused, match="está cerrado"):
        evidence_add(report=report, actor=liaison, reference="Oficio DGEMPS/123/2012")

    assert_nothing_kept(storage)


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"url": "  ", "reference": " "},
        {"url": "https://www.gob.mx/oficio.pdf", "reference": "Oficio 1"},
        {"file": "pdf", "url": "https://www.gob.mx/oficio.pdf"},
    ],
)
def test_it_takes_exactly_one_of_file_link_or_reference(storage, report, liaison, given):
    if given.get("file"):
        given["file"] = upload("Oficio.pdf", pdf_bytes())

    with pytest.raises(EvidenceRefused, match="uno, y solo uno"):
        evidence_add(report=report, actor=liaison, **given)

    assert_nothing_kept(storage)


# Links and references --------------------------------------------------------------------


def test_it_takes_a_web_link(storage, report, liaison):
    url = "https://www.gob.mx/bienestar/documentos/oficio-123?año=2012"

    evidence = evidence_add(report=report, actor=liaison, url=f"  {url} ")

    assert evidence.url == url
    assert evidence.name == url
    assert not evidence.file
    assert stored_files(storage) == []
    assert ChangeRecord.objects.filter(model="followup.Evidence").count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)//http://x",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "ftp://ftp.gob.mx/oficio.pdf",
        "//www.gob.mx/oficio.pdf",
        "www.gob.mx/oficio.pdf",
        "https://www.gob.mx/a b",
        "https://" + "a" * 500 + ".mx/",
    ],
)
def test_it_refuses_a_link_that_is_not_http(storage, report, liaison, url):
    with pytest.raises(EvidenceRefused, match="liga"):
        evidence_add(report=report, actor=liaison, url=url)

    assert_nothing_kept(storage)


def test_it_takes_a_reference_as_plain_text(report, liaison):
    evidence = evidence_add(report=report, actor=liaison, reference="  Oficio   DGEMPS/123/2012 ")

    assert evidence.reference == "Oficio DGEMPS/123/2012"
    assert evidence.name == "Oficio DGEMPS/123/2012"


@pytest.mark.parametrize(
    ("reference", "said"),
    [("Oficio\x00123", "caracteres de control"), ("x" * 301, "pasa de 300 caracteres")],
)
def test_it_refuses_a_reference_that_is_not_short_plain_text(
    storage, report, liaison, reference, said
):
    with pytest.raises(EvidenceRefused, match=said):
        evidence_add(report=report, actor=liaison, reference=reference)

    assert_nothing_kept(storage)


# Taking evidence off ---------------------------------------------------------------------


def test_removing_evidence_deletes_its_file_once_committed_and_keeps_the_history(
    storage, report, liaison, django_capture_on_commit_callbacks
):
    evidence = evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", pdf_bytes()))
    pk = evidence.pk

    with django_capture_on_commit_callbacks(execute=True):
        evidence_remove(evidence=evidence, actor=liaison)

    assert not Evidence.objects.filter(pk=pk).exists()
    assert stored_files(storage) == []
    removal = ChangeRecord.objects.get(
        model="followup.Evidence", object_id=str(pk), action=ChangeRecord.Action.DELETE
    )
    assert removal.actor == liaison
    assert removal.before["name"] == "Oficio.pdf"
    assert removal.before["sha256"]


def test_a_removal_that_rolls_back_keeps_the_file(storage, report, liaison):
    evidence = evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", pdf_bytes()))

    # Without a commit the callbacks never run, as when the surrounding transaction fails.
    evidence_remove(evidence=evidence, actor=liaison)

    assert len(stored_files(storage)) == 1


def test_evidence_of_a_sent_report_cannot_be_removed(storage, report, liaison):
    evidence = evidence_add(report=report, actor=liaison, reference="Oficio DGEMPS/123/2012")
    ProgressReport.objects.filter(pk=report.pk).update(state=ProgressReport.State.SUBMITTED)

    with pytest.raises(EvidenceRefused, match="ya no cambian"):
        evidence_remove(evidence=evidence, actor=liaison)

    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert not ChangeRecord.objects.filter(action="delete").exists()


def test_any_storage_backend_keeps_the_files(settings, report, liaison):
    # Object storage (django-storages) is set the same way; Django's in-memory one stands in.
    settings.STORAGES = settings.STORAGES | {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    }
    data = pdf_bytes()
    evidence = evidence_add(report=report, actor=liaison, file=upload("Oficio.pdf", data))

    with default_storage.open(evidence.file.name, "rb") as kept:
        assert kept.read() == data
    assert type(default_storage._wrapped).__name__ == "InMemoryStorage"


# Files a rolled-back save left behind ------------------------------------------------------


def test_a_file_of_a_save_that_rolled_back_is_swept_once_it_is_an_hour_old(
    storage, report, liaison
):
    from django.db import transaction
    from django.utils import timezone

    from mejora.followup.services.evidence import evidence_orphans_sweep

    kept = evidence_add(report=report, actor=liaison, file=upload("acta.pdf", pdf_bytes()))
    with pytest.raises(EvidenceRefused), transaction.atomic():
        evidence_add(report=report, actor=liaison, file=upload("oficio.pdf", pdf_bytes(2)))
        evidence_add(report=report, actor=liaison, file=upload("x.pdf", b"MZ" + bytes(200)))
    assert len(stored_files(storage)) == 2, "the rolled-back save's first file is still there"

    assert evidence_orphans_sweep(now=timezone.now()) == [], "a save may still be running"
    later = timezone.now() + dt.timedelta(hours=2)
    [swept] = evidence_orphans_sweep(now=later)
    assert swept != kept.file.name
    assert stored_files(storage) == [storage / kept.file.name]
