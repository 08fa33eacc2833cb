"""Importing an annex as a person reviewed it: their corrections in, their decisions kept.

From a page both steps run as background tasks (mejora/tasks/work.py) that report progress:
the reading, which also previews what the import would change and is kept as JSON in the
file storage for the review page, and the import itself. A filing (an oficio and several
instruments) is reviewed the same way: its findings, the oficio's and then each part's in
the file's order, are numbered as one list, and it is imported whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_noop

from mejora.annex.corrections import ReviewIncomplete, review_document
from mejora.annex.document import (
    AnnexDocument,
    AnnexRejected,
    Finding,
    PartialDate,
    as_plain,
    document_from_json,
    document_to_json,
    from_plain,
)
from mejora.annex.messages import Message, Text
from mejora.annex.parsers.bundle import FiledPart, Filing, looks_like_filing
from mejora.annex.position import Acceptance, PositionDocument
from mejora.annex.progress import COMPARING, READING, Progress
from mejora.followup.models import AnnexImport, Evaluation, Institution, Program, Recommendation
from mejora.followup.scope import ImportScope
from mejora.followup.selectors import program_record_stamp
from mejora.followup.services.catalogue import catalogue_for
from mejora.followup.services.conflicts import retried_on_conflict
from mejora.followup.services.filings import (
    FilingSummary,
    filing_import,
    filing_oficio_findings,
    filing_read,
    filing_with_parts,
)
from mejora.followup.services.imports import (
    ImportSummary,
    annex_import,
    annex_read,
    file_sha256,
)
from mejora.followup.services.positions import position_program


class ReviewOutdated(AnnexRejected):
    """The program's record changed after the review page was opened."""


_OUTDATED = gettext_noop(
    "Mientras revisaba, el registro de este programa cambió (otra importación o una "
    "edición). No se importó nada: revise de nuevo la lectura y los cambios."
)


def reviewed_program(document: AnnexDocument) -> Program | None:
    """The program the annex belongs to, when the record already has it."""
    return Program.objects.filter(
        institution__name=document.institution, name=document.program
    ).first()


def annex_review_check(
    *, document: AnnexDocument, corrections: Mapping[int, str], confirmed: Collection[int]
) -> AnnexDocument:
    """The document as reviewed, or ReviewIncomplete naming each finding left undecided."""
    institution = Institution.objects.filter(name=document.institution).first()
    return review_document(
        document, corrections=corrections, confirmed=confirmed, catalogue=catalogue_for(institution)
    )


@retried_on_conflict
@transaction.atomic
def annex_import_reviewed(
    *,
    document: AnnexDocument,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    stamp: str,
    file_name: str,
    sha256: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
    source: str,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the document with the person's corrections, all or nothing.

    Raises ReviewIncomplete when a finding is left undecided or a correction cannot be read,
    and ReviewOutdated when the program's record is no longer the one reviewed (`stamp`).
    """
    reviewed = annex_review_check(document=document, corrections=corrections, confirmed=confirmed)
    program = reviewed_program(document)
    _hold_as_reviewed(program, lambda: program_record_stamp(program), stamp)
    return annex_import(
        document=reviewed,
        file_name=file_name,
        sha256=sha256,
        file_format=file_format,
        actor=actor,
        scope=scope,
        source=source,
        progress=progress,
    )


def _hold_as_reviewed(program: Program | None, stamp_now: Callable[[], str], stamp: str) -> None:
    """Lock the program until the import commits, so nobody changes it between the check and
    the write; then refuse if its record is no longer the one the person reviewed."""
    if program is not None:
        Program.objects.select_for_update().filter(pk=program.pk).first()
    if stamp_now() != stamp:
        raise ReviewOutdated(_OUTDATED)


@dataclass(frozen=True)
class ReviewReading:
    """What the review page shows: the document read, and what importing it would change."""

    document: AnnexDocument
    created: int
    updated: int
    since_previous: list[dict[str, Any]]
    stamp: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "document": json.loads(document_to_json(self.document)),
                "created": self.created,
                "updated": self.updated,
                "since_previous": self.since_previous,
                "stamp": self.stamp,
            },
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> ReviewReading:
        data = json.loads(text)
        document = document_from_json(json.dumps(data["document"]))
        return cls(
            document, data["created"], data["updated"], data["since_previous"], data["stamp"]
        )


def annex_review_read(
    progress: Progress,
    *,
    token: str,
    data: bytes,
    file_name: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
) -> dict[str, Any]:
    """Read an uploaded file and preview its import; kept for the review page under `token`.

    A file naming a program outside the person's scope is refused as soon as its title block
    is read, before any of it is interpreted, previewed or kept.
    """
    document = annex_read(data, file_format=file_format, scope=scope, progress=progress)
    stamp, preview = _preview(
        document=document,
        file_name=file_name,
        sha256=file_sha256(data),
        file_format=file_format,
        actor=actor,
        scope=scope,
        progress=lambda _stage, done, total: progress(COMPARING, done, total),
    )
    reading = ReviewReading(
        document, preview.created, preview.updated, preview.since_previous, stamp
    )
    _keep(token, reading.to_json())
    return {"aspects": document.aspect_count(), "activities": document.activity_count()}


@retried_on_conflict
@transaction.atomic
def _preview(*, document: AnnexDocument, **options: Any) -> tuple[str, ImportSummary]:
    """What importing would change, and the stamp of the record it was compared with."""
    return program_record_stamp(reviewed_program(document)), annex_import(
        document=document, dry_run=True, **options
    )


def is_filing_upload(data: bytes, file_format: str) -> bool:
    """Whether an upload is a filing (it opens with an oficio) rather than a single annex."""
    return looks_like_filing(data, file_format, settings.MEJORA_READING_LIMITS)


# --- a filing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartPreview:
    """What importing one instrument of a filing would change (after the parts before it)."""

    created: int = 0
    updated: int = 0
    since_previous: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class FilingReading:
    """What the review page of a filing shows: the filing read, each part's preview."""

    filing: Filing
    previews: tuple[PartPreview, ...]
    stamp: str

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.filing.findings

    @property
    def annexes(self) -> list[AnnexDocument]:
        return [document for _, document in self.filing.annexes()]

    @property
    def created(self) -> int:
        return sum(preview.created for preview in self.previews)

    @property
    def updated(self) -> int:
        return sum(preview.updated for preview in self.previews)

    def to_json(self) -> str:
        filing = self.filing
        return json.dumps(
            {
                "filing": {
                    "oficio_number": filing.oficio_number,
                    "oficio_date": as_plain(filing.oficio_date),
                    "oficio_findings": as_plain(filing_oficio_findings(filing)),
                    "parts": [_part_to_data(part) for part in filing.parts],
                },
                "previews": [as_plain(preview) for preview in self.previews],
                "stamp": self.stamp,
            },
            ensure_ascii=False,
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> FilingReading:
        data = json.loads(text)
        kept = data["filing"]
        filing = filing_with_parts(
            Filing(
                kept["oficio_number"],
                from_plain(PartialDate | None, kept["oficio_date"]),
                (),
            ),
            tuple(_part_from_data(part) for part in kept["parts"]),
            from_plain(tuple[Finding, ...], kept["oficio_findings"]),
        )
        previews = tuple(from_plain(PartPreview, preview) for preview in data["previews"])
        return cls(filing, previews, data["stamp"])


# Each part's document is kept by the dataclass walk document_to_json itself is made of: an
# Anexo F has no JSON of its own, and one walk keeps both kinds equal to what was read.
_PART_KINDS = {"anexo": AnnexDocument, "posicion": PositionDocument}


def _part_to_data(part: FiledPart) -> dict[str, Any]:
    kind = next(
        (name for name, kind in _PART_KINDS.items() if isinstance(part.document, kind)), None
    )
    pages = part.pages.message.as_dict() if isinstance(part.pages, Text) else part.pages
    return {
        "instrument": part.instrument,
        "pages": pages,
        "kind": kind,
        "document": as_plain(part.document) if kind else None,
        "findings": as_plain(part.findings),
    }


def _part_from_data(data: dict[str, Any]) -> FiledPart:
    pages = data["pages"]
    if isinstance(pages, dict):  # kept with its template, to be shown in the reader's language
        message = Message.from_dict(pages)
        pages = Text(message.template, **message.fields)
    document = from_plain(_PART_KINDS[data["kind"]], data["document"]) if data["kind"] else None
    if isinstance(document, PositionDocument):
        recommendations = tuple(
            replace(entry, accepted=Acceptance(entry.accepted))
            for entry in document.recommendations
        )
        document = replace(document, recommendations=recommendations)
    findings = from_plain(tuple[Finding, ...], data["findings"])
    return FiledPart(data["instrument"], pages, document, findings)


def filing_review_read(
    progress: Progress,
    *,
    token: str,
    data: bytes,
    file_name: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
) -> dict[str, Any]:
    """Read an uploaded filing, every instrument, and preview its import; kept for the review
    page under `token`. An instrument naming a program outside the person's scope refuses
    the whole filing as soon as its title block is read."""
    progress(READING, 0, 1)
    filing = filing_read(data, file_format=file_format, scope=scope)
    progress(READING, 1, 1)
    stamp, preview = _filing_preview(
        filing=filing,
        file_name=file_name,
        sha256=file_sha256(data),
        file_format=file_format,
        actor=actor,
        scope=scope,
        progress=lambda _stage, done, total: progress(COMPARING, done, total),
    )
    previews = tuple(
        PartPreview(
            getattr(summary, "created", 0),
            getattr(summary, "updated", 0),
            tuple(getattr(summary, "since_previous", ())),
        )
        for _, summary in preview.parts
    )
    _keep(token, FilingReading(filing, previews, stamp).to_json())
    counted = preview.as_dict()
    return {"aspects": counted["aspects"], "activities": counted["activities"]}


@retried_on_conflict
@transaction.atomic
def _filing_preview(*, filing: Filing, **options: Any) -> tuple[str, FilingSummary]:
    return filing_program_stamp(filing), filing_import(filing=filing, dry_run=True, **options)


def filing_program_stamp(filing: Filing) -> str:
    """The stamp of the program the filing's first instrument names (one program a filing),
    and of its evaluations' positions when the filing brings an Anexo F: its import writes
    over them, so one edited during the review must make the review outdated too."""
    program = _filing_program(filing)
    stamp = program_record_stamp(program)
    brings_position = any(isinstance(part.document, PositionDocument) for part in filing.parts)
    if program is None or not brings_position:
        return stamp
    positions = (
        list(Evaluation.objects.filter(program=program).order_by("pk").values_list()),
        list(
            Recommendation.objects.filter(evaluation__program=program).order_by("pk").values_list()
        ),
    )
    return hashlib.sha256(f"{stamp};{positions!r}".encode()).hexdigest()[:32]


def _filing_program(filing: Filing) -> Program | None:
    """The record's program the filing's first instrument names, found as its service finds
    it: an Anexo F may name it by key and name."""
    for part in filing.parts:
        if isinstance(part.document, AnnexDocument):
            return reviewed_program(part.document)
        if isinstance(part.document, PositionDocument):
            try:
                return position_program(part.document, ImportScope.operator())
            except AnnexRejected:  # not in the record yet: its import refuses it
                return None
    return None


def filing_review_check(
    *, filing: Filing, corrections: Mapping[int, str], confirmed: Collection[int]
) -> Filing:
    """The filing as reviewed, or ReviewIncomplete naming each finding left undecided.

    Findings are numbered over the whole filing, as `filing.findings` lists them: the
    oficio's, then each part's. A table annex's are corrected as a single annex's are; the
    oficio's and a position's can only be confirmed.
    """
    problems: dict[int, Message] = {}

    def confirmed_only(findings: tuple[Finding, ...], offset: int) -> tuple[Finding, ...]:
        for index in range(offset, offset + len(findings)):
            if index not in confirmed:
                problems[index] = Message(gettext_noop("Confirme esta lectura o corríjala."))
        return tuple(replace(f, resolution="Confirmada") for f in findings)

    oficio = confirmed_only(filing_oficio_findings(filing), 0)
    offset = len(oficio)
    parts = []
    for part in filing.parts:
        span = range(offset, offset + len(part.findings))
        if isinstance(part.document, AnnexDocument):
            try:
                document = annex_review_check(
                    document=part.document,
                    corrections={i - offset: t for i, t in corrections.items() if i in span},
                    confirmed={i - offset for i in confirmed if i in span},
                )
            except ReviewIncomplete as incomplete:
                problems.update({offset + i: p for i, p in incomplete.problems.items()})
                document = part.document
            findings = document.findings
        else:
            findings = confirmed_only(part.findings, offset)
            document = part.document
            if document is not None:
                document = replace(document, findings=findings)
        parts.append(replace(part, document=document, findings=findings))
        offset += len(part.findings)
    if problems:
        raise ReviewIncomplete(problems)
    return filing_with_parts(filing, tuple(parts), oficio)


@retried_on_conflict
@transaction.atomic
def filing_import_reviewed(
    *,
    filing: Filing,
    corrections: Mapping[int, str],
    confirmed: Collection[int],
    stamp: str,
    file_name: str,
    sha256: str,
    file_format: str,
    actor: Any,
    scope: ImportScope,
    source: str,
    progress: Progress | None = None,
) -> FilingSummary:
    """Import the whole filing with the person's decisions, by the service `mejora import`
    uses; nothing of it when a finding is undecided (ReviewIncomplete), when the program's
    record changed since the review (ReviewOutdated) or when any part is refused.

    `progress` is told the filing's entries written so far, instrument after instrument."""
    reviewed = filing_review_check(filing=filing, corrections=corrections, confirmed=confirmed)
    _hold_as_reviewed(_filing_program(filing), lambda: filing_program_stamp(filing), stamp)
    return filing_import(
        filing=reviewed,
        file_name=file_name,
        sha256=sha256,
        file_format=file_format,
        actor=actor,
        scope=scope,
        source=source,
        progress=progress,
    )


# --- what the reading task keeps --------------------------------------------------------------


def _keep(token: str, text: str) -> None:
    kept = text.encode("utf-8")
    path = _reading_path(token)
    default_storage.delete(path)  # a reading made again replaces the old one
    default_storage.save(path, ContentFile(_signature(kept) + b"\n" + kept))


def review_reading(token: str) -> ReviewReading | FilingReading | None:
    """The reading annex_review_read kept, or None when there is none or it cannot be used.

    It is read only when its signature, made with the server's secret key, is ours: a file
    put in the storage by anyone else is never taken for a reading. A reading kept by an
    older version of the program that no longer reads is as good as none.
    """
    try:
        with default_storage.open(_reading_path(token), "rb") as handle:
            signature, _, kept = handle.read().partition(b"\n")
    except (FileNotFoundError, OSError, ValueError):
        return None
    if not constant_time_compare(signature, _signature(kept)):
        return None
    try:
        text = kept.decode("utf-8")
        if json.loads(text).get("filing") is not None:
            return FilingReading.from_json(text)
        return ReviewReading.from_json(text)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def review_reading_forget(token: str) -> None:
    default_storage.delete(_reading_path(token))


def review_import_work(
    progress: Progress,
    *,
    since: dt.datetime,
    **options: Any,
) -> dict[str, Any]:
    """The import step of a review: the program imported into, or why the record changed.

    Run again after it committed (a worker that died before reporting), it finds its own
    import, by the same person of the same file since `since`, and does not import again.
    """
    earlier = AnnexImport.objects.filter(
        sha256=options["sha256"], imported_by=options["actor"], imported_at__gte=since
    ).first()
    if earlier is not None:
        return {"program": earlier.program_id}
    importer = filing_import_reviewed if "filing" in options else annex_import_reviewed
    try:
        summary = importer(**options, progress=progress)
    except ReviewOutdated as outdated:
        return {"outdated": str(outdated)}
    return {"program": summary.program.pk}


def _reading_path(token: str) -> str:
    if not token.isalnum():
        raise ValueError(f"bad token {token!r}")
    return f"trabajos/{token}-lectura.json"


def _signature(data: bytes) -> bytes:
    return salted_hmac("mejora.review-reading", data, algorithm="sha256").hexdigest().encode()
