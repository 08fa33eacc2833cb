"""The institutional position on an evaluation (Anexo F): typed, imported and issued.

The position is the evaluation's comments, sources, participating units and signatories, and
each recommendation's 'se acepta' with the units' comment (Recommendation.position and
.reason). The counts of ASM by classification and priority are always the record's: an
imported Anexo F whose stated counts disagree with them gets a finding naming both figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mejora.annex.document import AnnexRejected, Finding
from mejora.annex.position import (
    Acceptance,
    PositionAspect,
    PositionDocument,
    RecommendationEntry,
    Signatory,
    count_aspects,
    count_findings,
)
from mejora.annex.words import fold, squash
from mejora.followup.history import snapshot
from mejora.followup.models import (
    AnnexImport,
    Aspect,
    ChangeRecord,
    Evaluation,
    Program,
    Recommendation,
)
from mejora.followup.permissions import Action, require
from mejora.followup.scope import ImportRefused, ImportScope, import_origin
from mejora.followup.services.commitments import (
    WEB,
    _record,
    _stale,
    evaluation_register,
    recommendation_check,
)

POSITION_OF = {
    Acceptance.YES: Recommendation.Position.ATTENDED,
    Acceptance.PARTIAL: Recommendation.Position.PARTIAL,
    Acceptance.NO: Recommendation.Position.NOT_ATTENDED,
}
ACCEPTANCE_OF = {position: acceptance for acceptance, position in POSITION_OF.items()}
# The annex's words, in Spanish whatever the language of the page that issues it.
_CLASSIFICATION_WORDS = {
    "especifico": "Específico",
    "institucional": "Institucional",
    "interinstitucional": "Interinstitucional",
    "intergubernamental": "Intergubernamental",
}
_PRIORITY_WORDS = {"muy_alta": "Muy alta", "alta": "Alta", "media": "Media", "baja": "Baja"}
_YEAR = re.compile(r"\b(19[9]\d|20\d\d)\b")


def _lines(text: str) -> tuple[str, ...]:
    return tuple(squash(line) for line in text.splitlines() if line.strip())


def position_aspects(evaluation: Evaluation) -> list[Aspect]:
    return list(
        Aspect.objects.filter(evaluation=evaluation)
        .select_related("cycle")
        .order_by("cycle__mechanism_year", "id")
    )


def record_counts(aspects: list[Aspect]):
    """The counts of the evaluation's ASM in the record, by classification and priority."""
    return count_aspects((a.classification, a.priority) for a in aspects)


def position_document(
    evaluation: Evaluation, recommendations: list[Recommendation] | None = None
) -> PositionDocument:
    """The evaluation's Anexo F as the record has it, with its counts computed (with its
    recommendations when the caller has them already)."""
    if recommendations is None:
        recommendations = list(evaluation.recommendations.all())
    aspects = position_aspects(evaluation)
    return PositionDocument(
        institution=evaluation.program.institution.name,
        program=str(evaluation.program),
        evaluation=str(evaluation),
        general_comments=_lines(evaluation.position_general),
        specific_comments=_lines(evaluation.position_specific),
        recommendations=tuple(
            RecommendationEntry(squash(r.text), ACCEPTANCE_OF[r.position], squash(r.reason))
            for r in recommendations
        ),
        aspects=tuple(
            PositionAspect(
                number=a.number,
                text=squash(a.text),
                classification=_CLASSIFICATION_WORDS.get(a.classification, ""),
                priority=_PRIORITY_WORDS.get(a.priority, ""),
            )
            for a in aspects
        ),
        counts=record_counts(aspects),
        discarded=tuple(
            squash(r.text)
            for r in recommendations
            if r.position == Recommendation.Position.NOT_ATTENDED
        ),
        sources=_lines(evaluation.position_sources),
        units=_lines(evaluation.position_units),
        signatories=tuple(
            Signatory(s.get("name", ""), s.get("post", "")) for s in evaluation.position_signatories
        ),
    )


def _signatories(signatories: list[Signatory]) -> list[dict[str, str]]:
    kept = []
    for signatory in signatories:
        name, post = squash(signatory.name), squash(signatory.post)
        if post and not name:
            raise ValidationError(
                {"signatories": _("Cada firmante necesita su nombre (falta el de «%s»).") % post}
            )
        if name:
            kept.append({"name": name, "post": post})
    return kept


@transaction.atomic
def position_update(
    *,
    evaluation: Evaluation,
    general: str,
    specific: str,
    sources: str,
    units: str,
    signatories: list[Signatory],
    seen_version: int,
    actor: Any,
    source: str = WEB,
) -> Evaluation:
    """The position's texts and signatories, typed; a save over someone else's is refused."""
    require(actor, Action.REGISTER, evaluation)
    current = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    values = {
        "position_general": "\n".join(_lines(general)),
        "position_specific": "\n".join(_lines(specific)),
        "position_sources": "\n".join(_lines(sources)),
        "position_units": "\n".join(_lines(units)),
        "position_signatories": _signatories(signatories),
    }
    if current.position_version != seen_version:
        saved = {key: getattr(current, key) for key in values}
        versioned = SimpleNamespace(version=current.position_version)
        raise _stale(_("la posición institucional"), versioned, seen_version, saved, values)
    before = snapshot(current)
    for key, value in values.items():
        setattr(current, key, value)
    current.position_version += 1
    current.full_clean()
    current.save()
    _record(ChangeRecord.Action.UPDATE, current, actor, source, before=before)
    return current


@transaction.atomic
def recommendation_update(
    *,
    recommendation: Recommendation,
    text: str,
    position: str,
    reason: str,
    actor: Any,
    source: str = WEB,
) -> Recommendation:
    """A recommendation's text, whether it is accepted, and the units' comment."""
    require(actor, Action.REGISTER, recommendation.evaluation)
    recommendation_check(text=text, position=position, reason=reason)
    before = snapshot(recommendation)
    recommendation.text, recommendation.position = text.strip(), position
    recommendation.reason = reason.strip()
    recommendation.full_clean()
    recommendation.save()
    _record(ChangeRecord.Action.UPDATE, recommendation, actor, source, before=before)
    return recommendation


@dataclass
class PositionImportSummary:
    document: PositionDocument
    evaluation: Evaluation
    created: int = 0
    updated: int = 0

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.document.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "annex": self.document.kind,
            "evaluation": str(self.evaluation),
            "recommendations": len(self.document.recommendations),
            "aspects": 0,
            "activities": 0,
            "created": self.created,
            "updated": self.updated,
            "findings": [f.as_dict() for f in self.findings],
        }


def position_program(document: PositionDocument, scope: ImportScope) -> Program:
    """The record's program the annex names (its name, or its key and name), within scope."""
    wanted = fold(document.program)
    candidates = Program.objects.select_related("institution")
    if document.institution:
        candidates = candidates.filter(institution__name=document.institution)
    found = [p for p in candidates if wanted in (fold(p.name), fold(str(p)))]
    if len(found) != 1:
        raise AnnexRejected(
            gettext_noop(
                "El Anexo F es del programa «{program}», que no está en el "
                "registro (o hay varios con ese nombre): registre antes el "
                "programa y sus ASM."
            ),
            program=document.program,
        )
    if not scope.reaches_program(found[0]):
        raise ImportRefused(
            gettext_noop("Su papel no le permite importar al programa «{program}»."),
            program=document.program,
        )
    return found[0]


def _evaluation_of(
    program: Program, label: str, actor: Any, source: str
) -> tuple[Evaluation, bool]:
    """The program's evaluation the annex names, or a new one of that name."""
    evaluations = list(Evaluation.objects.filter(program=program))
    wanted = fold(label)
    for evaluation in evaluations:
        if wanted and wanted in (
            fold(str(evaluation)),
            fold(evaluation.kind),
            fold(evaluation.report_title),
        ):
            return evaluation, False
    if not wanted and len(evaluations) == 1:
        return evaluations[0], False
    if not wanted:
        raise AnnexRejected(
            gettext_noop("El Anexo F no dice de qué evaluación es («Nombre de la evaluación: …»).")
        )
    years = [int(y) for y in _YEAR.findall(label)]
    kind = _YEAR.sub("", label).strip(" -–,") if years else label
    evaluation = evaluation_register(
        program=program,
        cycle=None,
        kind=(kind or label)[:120],
        year=years[0] if years else None,
        evaluator="",
        report_title=label[:500],
        report_url="",
        actor=actor,
        source=source,
    )
    return evaluation, True


@transaction.atomic
def position_import(
    *,
    document: PositionDocument,
    file_name: str,
    actor: Any = None,
    scope: ImportScope | None = None,
    dry_run: bool = False,
    sha256: str = "",
    file_format: str = "",
    source: str = "",
) -> PositionImportSummary:
    """Load an Anexo F into its evaluation: the texts, and each recommendation (matched by its
    text) with its position and comment; all or nothing. The annex's stated counts are
    checked against the record's ASM of the evaluation. With the file's `sha256` the import
    is listed among the program's imports, as any annex's (not again when nothing changed)."""
    scope, source = import_origin(actor=actor, scope=scope, source=source, file_name=file_name)
    source = source[:300]
    program = position_program(document, scope)
    evaluation, new = _evaluation_of(program, document.evaluation, actor, source)
    require(actor, Action.REGISTER, evaluation)
    summary = PositionImportSummary(document, evaluation, created=int(new))
    before = snapshot(evaluation)
    evaluation.position_general = "\n".join(document.general_comments)
    evaluation.position_specific = "\n".join(document.specific_comments)
    evaluation.position_sources = "\n".join(document.sources)
    evaluation.position_units = "\n".join(document.units)
    evaluation.position_signatories = [
        {"name": s.name, "post": s.post} for s in document.signatories
    ]
    if snapshot(evaluation) != before:
        evaluation.position_version += 1
        evaluation.full_clean()
        evaluation.save()
        _record(ChangeRecord.Action.UPDATE, evaluation, actor, source, before=before)
        summary.updated += 1
    existing = {fold(r.text): r for r in Recommendation.objects.filter(evaluation=evaluation)}
    entries = list(document.recommendations)
    listed = {fold(entry.text) for entry in entries}
    # A recommendation named only among the discarded ones was not accepted.
    entries += [
        RecommendationEntry(text, Acceptance.NO)
        for text in document.discarded
        if fold(text) not in listed
    ]
    for order, entry in enumerate(entries, start=1):
        values = {"position": POSITION_OF[entry.accepted], "reason": entry.comment, "order": order}
        found = existing.get(fold(entry.text))
        if found is None:
            recommendation = Recommendation(evaluation=evaluation, text=entry.text, **values)
            recommendation.full_clean()
            recommendation.save()
            _record(ChangeRecord.Action.CREATE, recommendation, actor, source)
            summary.created += 1
            continue
        before = snapshot(found)
        for key, value in values.items():
            setattr(found, key, value)
        if snapshot(found) != before:
            found.full_clean()
            found.save()
            _record(ChangeRecord.Action.UPDATE, found, actor, source, before=before)
            summary.updated += 1
    recorded = record_counts(position_aspects(evaluation))
    findings = count_findings(
        document.counts, recorded, of="el registro de los ASM de esa evaluación"
    )
    summary.document = replace(document, findings=(*document.findings, *findings))
    if dry_run:
        transaction.set_rollback(True)
        return summary
    changed = summary.created or summary.updated
    if sha256 and (
        changed or not AnnexImport.objects.filter(program=program, sha256=sha256).exists()
    ):
        record = AnnexImport(
            program=program,
            file_name=file_name[:300],
            sha256=sha256,
            file_format=file_format,
            annex_kind=document.kind,
            aspects=0,
            activities=0,
            changes=summary.created + summary.updated,
            findings=[f.as_dict() for f in summary.findings],
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        record.full_clean()
        record.save()
    return summary
