"""Importing a filing: an oficio and the instruments it brought, each into its place.

One transaction for the whole file: every annex is loaded as `annex_import` loads one (the
commitments, then their progress at a cut, into the same ASM), the institutional position
into its evaluation when that reader and service are installed, and one AnnexImport keeps the
file with the oficio's number and date. Any part refused refuses the filing; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_noop

from mejora.annex.document import AnnexDocument, AnnexRejected, Finding
from mejora.annex.formats import FORMATS
from mejora.annex.parsers.bundle import FiledPart, Filing, read_filing
from mejora.annex.parsers.free import FREE_ANNEX_LINE, FREE_CLASSIFICATIONS, FREE_TITLE, free_annex
from mejora.annex.progress import IMPORTING, Progress, no_progress
from mejora.followup.extract import annex_extract
from mejora.followup.models import AnnexImport, Cut, Program
from mejora.followup.scope import ImportRefused, ImportScope, import_origin
from mejora.followup.services.conflicts import retried_on_conflict
from mejora.followup.services.imports import ImportSummary, _Loader, scoped_catalogue

FILING_KIND = "expediente"


def filing_read(data: bytes, *, file_format: str, scope: ImportScope | None = None) -> Filing:
    """Split and read a filing; each annex's areas against its institution's catalogue."""
    return read_filing(
        data,
        file_format,
        catalogue=scoped_catalogue(scope or ImportScope.operator()),
        limits=settings.MEJORA_READING_LIMITS,
    )


@dataclass
class FilingSummary:
    filing: Filing
    program: Program
    parts: list[tuple[FiledPart, Any]] = field(default_factory=list)  # each part's summary
    created: int = 0
    updated: int = 0
    already_imported: bool = False
    record: AnnexImport | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        # A position's service adds the findings of its counts to its own summary.
        extra = [
            Finding(f.kind, f"{part.instrument} ({part.pages}) · {f.where}", f.text, f.cell)
            for part, summary in self.parts
            if summary is not None and not isinstance(summary, ImportSummary)
            for f in summary.findings[len(part.findings) :]
        ]
        return (*self.filing.findings, *extra)

    def as_dict(self) -> dict[str, Any]:
        date = self.filing.oficio_date
        return {
            "oficio": {"number": self.filing.oficio_number, "date": date.iso() if date else None},
            "parts": [
                {
                    "instrument": part.instrument,
                    "pages": part.pages,
                    "kind": getattr(part.document, "kind", None),
                    "read": part.document is not None,
                }
                for part, _ in self.parts
            ],
            "aspects": _distinct_aspects(self.filing),
            "activities": _distinct_activities(self.filing),
            "created": self.created,
            "updated": self.updated,
            "already_imported": self.already_imported,
            "findings": [f.as_dict() for f in self.findings],
        }


@retried_on_conflict
@transaction.atomic
def filing_import(
    *,
    filing: Filing,
    file_name: str,
    sha256: str,
    file_format: str,
    actor: Any = None,
    scope: ImportScope | None = None,
    source: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FilingSummary:
    """Write every instrument of the filing into the record, in the file's order.

    `progress` is told the filing's entries written so far (each annex's ASM, a position's
    recommendations), the stage naming the instrument being written."""
    scope, source = import_origin(actor=actor, scope=scope, source=source, file_name=file_name)
    told = _FilingProgress(progress, filing)
    loaders: list[_Loader] = []
    parts: list[tuple[FiledPart, Any]] = []
    program: Program | None = None
    for number, part in enumerate(filing.parts):
        if isinstance(part.document, AnnexDocument):
            loader = _Loader(
                part.document,
                actor=actor,
                scope=scope,
                source=f"{source} · {part.instrument}"[:300],
                progress=told.of_part(number),
                keep_changes=not dry_run,
            )
            summary = loader.load()
            program = _same_program(program, summary.program, part)
            loaders.append(loader)
        elif part.document is not None:
            # The position's service tells nothing itself: its part is told whole at its ends.
            part_told = told.of_part(number)
            part_told(IMPORTING, 0, told.sizes[number])
            summary = _position_import(part, file_name, actor, scope)
            part_told(IMPORTING, told.sizes[number], told.sizes[number])
            program = _same_program(program, summary.evaluation.program, part)
        else:
            summary = None  # an instrument with no reader installed: its finding says so
        parts.append((part, summary))
    if program is None:
        raise AnnexRejected(
            gettext_noop("El expediente no trae ningún instrumento que se pueda importar.")
        )
    result = FilingSummary(filing, program, parts)
    result.created = sum(getattr(s, "created", 0) for _, s in parts)
    result.updated = sum(getattr(s, "updated", 0) for _, s in parts)
    if dry_run:
        transaction.set_rollback(True)
        return result
    changed = sum(loader.changed for loader in loaders) + result.created + result.updated
    result.already_imported = (
        not changed and AnnexImport.objects.filter(program=program, sha256=sha256).exists()
    )
    if not result.already_imported:
        record = AnnexImport(
            program=program,
            cut=_cut_of(loaders),
            file_name=file_name[:300],
            sha256=sha256,
            file_format=file_format,
            annex_kind=FILING_KIND,
            aspects=_distinct_aspects(filing),
            activities=_distinct_activities(filing),
            changes=sum(loader.changed for loader in loaders),
            as_validated=all(loader.official for loader in loaders),
            findings=[f.as_dict() for f in result.findings],
            signatories=_signatories(filing),
            oficio_number=filing.oficio_number[:100],
            oficio_date=filing.oficio_date.end if filing.oficio_date else None,
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        record.full_clean()
        record.save()
        result.record = record
    return result


class _FilingProgress:
    """The filing's import told as one count over all its instruments, each part's entries
    after those of the parts before it, so a bar moves on part by part instead of starting
    again at each; the stage names the instrument being written."""

    def __init__(self, progress: Progress | None, filing: Filing) -> None:
        self.progress = progress or no_progress
        self.sizes = [_entries_of(part.document) for part in filing.parts]
        self.parts = filing.parts
        self.total = sum(self.sizes)

    def of_part(self, number: int) -> Progress:
        before = sum(self.sizes[:number])
        size = self.sizes[number]
        instrument = self.parts[number].instrument

        def told(stage: str, done: int, _total: int) -> None:
            self.progress(f"{stage} {instrument}", before + min(done, size), self.total)

        return told


def _entries_of(document: object) -> int:
    """What a part writes one by one: an annex's ASM, a position's recommendations."""
    if isinstance(document, AnnexDocument):
        return document.aspect_count()
    return len(getattr(document, "recommendations", ()))


def _same_program(program: Program | None, found: Program, part: FiledPart) -> Program:
    if program is not None and found != program:
        raise AnnexRejected(
            gettext_noop(
                "{instrument} ({pages}) es del programa «{found}» y lo "
                "anterior del expediente, de «{program}»: un expediente es "
                "de un solo programa."
            ),
            instrument=part.instrument,
            pages=part.pages,
            # Their names: a job's row keeps the refusal as JSON, where a Program cannot go.
            found=str(found),
            program=str(program),
        )
    return found


def _position_import(part: FiledPart, file_name: str, actor: Any, scope: ImportScope) -> Any:
    """The institutional position into its evaluation, by the position service."""
    from mejora.followup.services.positions import position_import

    try:
        return position_import(
            document=part.document, file_name=file_name, actor=actor, scope=scope, dry_run=False
        )
    except PermissionDenied:
        # A refusal of one part is the filing's refusal, said as the other parts' are.
        raise ImportRefused(
            gettext_noop(
                "{instrument} ({pages}): su papel no le permite registrar la posición "
                "institucional del programa «{program}»."
            ),
            instrument=part.instrument,
            pages=part.pages,
            program=getattr(part.document, "program", ""),
        ) from None


def filing_oficio_findings(filing: Filing) -> tuple[Finding, ...]:
    """What the reading noted of the oficio itself: the findings before the parts' own."""
    own = sum(len(part.findings) for part in filing.parts)
    return filing.findings[: len(filing.findings) - own]


def filing_with_parts(
    filing: Filing, parts: tuple[FiledPart, ...], oficio_findings: tuple[Finding, ...]
) -> Filing:
    """The filing with its parts (and the oficio's findings) as reviewed; its findings in the
    order the reading gave them, each part's named by its instrument and pages."""
    findings = (
        *oficio_findings,
        *(
            replace(f, where=f"{part.instrument} ({part.pages}) · {f.where}")
            for part in parts
            for f in part.findings
        ),
    )
    return replace(filing, parts=parts, findings=findings)


def _cut_of(loaders: list[_Loader]):
    """The cut of the filing's progress (its last annex with progress), else of its last annex."""
    with_progress = [loader for loader in loaders if FORMATS[loader.document.kind].has_progress]
    chosen = (with_progress or loaders)[-1:] if loaders else []
    return chosen[0].cut if chosen else None


def _signatories(filing: Filing) -> list[dict[str, str]]:
    """Who signed the filing's annexes, each once, in the order they appear."""
    signed = [s.as_dict() for d in _annex_documents(filing) for s in d.signatories]
    return [s for i, s in enumerate(signed) if s not in signed[:i]]


def _annex_documents(filing: Filing) -> list[AnnexDocument]:
    return [document for _, document in filing.annexes()]


def _distinct_aspects(filing: Filing) -> int:
    """ASM read, each once however many of the filing's annexes carry it (B and its progress C)."""
    return len(
        {
            (s.mechanism_year, s.evaluation_period, a.number)
            for d in _annex_documents(filing)
            for s in d.sections
            for a in s.aspects
        }
    )


def _distinct_activities(filing: Filing) -> int:
    return len(
        {
            (s.mechanism_year, s.evaluation_period, a.number, order)
            for d in _annex_documents(filing)
            for s in d.sections
            for a in s.aspects
            for order in range(len(a.activities))
        }
    )


def free_format_extract(program: Program, *, cut: Cut, progress: bool) -> AnnexDocument:
    """The program's interinstitutional and intergubernamental ASM at a cut, as the free
    format issues them: their commitments, or with `progress` their progress at the cut."""
    kind = free_annex(progress).code
    parts = [
        annex_extract(program, cut=cut, kind=kind, classification=classification)
        for classification in FREE_CLASSIFICATIONS
    ]
    sections = tuple(section for part in parts for section in part.sections)
    return replace(parts[0], title=FREE_TITLE, annex=FREE_ANNEX_LINE, sections=sections)
