"""Progress at the open cut: capture, replanning, and the review that makes it official.

A report moves draft → submitted → validated, or submitted → returned (with the reason) →
edited → submitted again. Each transition is one service that refuses a wrong source state;
who may call which is decided by the access layer before (CAPTURE to save and send, REVIEW
to validate and return), since the domain knows nothing of memberships.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mejora.annex.dates import DateReading, read_date
from mejora.annex.document import PartialDate
from mejora.followup.events import (
    announce_on_commit,
    ids_of,
    report_returned,
    report_validated,
    reports_submitted,
)
from mejora.followup.history import change_record, snapshot
from mejora.followup.models import (
    Activity,
    ChangeRecord,
    Cut,
    ProgressReport,
    Replanning,
)
from mejora.followup.permissions import Action, require

SOURCE = "página web"
EDITABLE = (ProgressReport.State.DRAFT, ProgressReport.State.RETURNED)


class ProgressRefused(ValidationError):
    """A rule of the follow-up refuses the change; the message says which, in Spanish."""


class ReportConflict(ProgressRefused):
    """Someone else saved the report after this person opened it; `saved` is their version."""

    def __init__(self, message: str, *, saved: ProgressReport) -> None:
        super().__init__(message)
        self.saved = saved


def date_read(text: str) -> DateReading:
    """A date typed as people write it ('31/12/2012', 'diciembre 2012'), read like imports do."""
    return read_date(text) if text.strip() else DateReading(None)


def previous_validated_percent(activity: Activity, cut: Cut) -> int | None:
    """The latest validated percent of the activity before the cut: what a new one is held to."""
    return (
        ProgressReport.objects.filter(
            activity=activity, state=ProgressReport.State.VALIDATED, cut__date__lt=cut.date
        )
        .order_by("-cut__date")
        .values_list("percent", flat=True)
        .first()
    )


def _require_open(cut: Cut) -> None:
    if cut.state != Cut.State.OPEN:
        raise ProgressRefused(
            _("El corte «%(cut)s» está cerrado: ya no recibe reportes.") % {"cut": cut.name}
        )


def _has_evidence(report: ProgressReport) -> bool:
    return bool(report.proof_text.strip()) or report.evidence.exists()


def _check_concluded(report: ProgressReport) -> None:
    if report.percent == 100 and report.concluded_on is None:
        raise ProgressRefused(
            _("Un avance de 100% necesita la fecha de conclusión de la actividad.")
        )


def _check_complete(report: ProgressReport) -> None:
    """A concluded activity carries its proof and the date it was concluded."""
    _check_concluded(report)
    if report.percent == 100 and not _has_evidence(report):
        raise ProgressRefused(
            _(
                "Un avance de 100% necesita evidencia: suba un archivo, o escriba una liga "
                "o la referencia del documento probatorio."
            )
        )


def _record(report: ProgressReport, actor: Any, before: dict | None, source: str) -> None:
    action = ChangeRecord.Action.UPDATE if before is not None else ChangeRecord.Action.CREATE
    change_record(action=action, obj=report, actor=actor, before=before, source=source).save()


@transaction.atomic
def progress_save(
    *,
    activity: Activity,
    cut: Cut,
    actor: Any,
    percent: int,
    justification: str,
    concluded_text: str,
    observations: str,
    seen_version: int | None = None,
    files: Sequence[Any] = (),
    urls: Sequence[str] = (),
    references: Sequence[str] = (),
    source: str = SOURCE,
) -> ProgressReport:
    """Create or change the activity's draft (or returned) report at the open cut.

    Evidence given with it (uploaded files, links, document references) is added in the
    same transaction, so a refusal of any of it saves nothing. A report someone else saved
    after `seen_version` raises ReportConflict with their version.
    """
    require(actor, Action.CAPTURE, activity)
    cut = Cut.objects.select_for_update().get(pk=cut.pk)
    _require_open(cut)
    if percent is None or not 0 <= percent <= 100:
        raise ProgressRefused(_("El porcentaje de avance va de 0 a 100."))
    justification, observations = justification.strip(), observations.strip()
    concluded = date_read(concluded_text)
    if concluded_text.strip() and concluded.date is None:
        raise ProgressRefused(
            _(
                "No se entiende la fecha de conclusión «%(text)s»; escríbala como 31/12/2012 o "
                "diciembre 2012."
            )
            % {"text": concluded_text.strip()}
        )
    previous = previous_validated_percent(activity, cut)
    if previous is not None and percent < previous and not justification:
        raise ProgressRefused(
            _(
                "El avance baja de %(before)s%% (validado en el corte anterior) a %(after)s%%: "
                "escriba en la justificación por qué."
            )
            % {"before": previous, "after": percent}
        )
    report = ProgressReport.objects.select_for_update().filter(activity=activity, cut=cut).first()
    before = None
    if report is not None:
        if seen_version is not None and seen_version != report.version:
            raise ReportConflict(
                _(
                    "Otra persona guardó este reporte mientras usted lo editaba. Abajo están "
                    "las dos versiones: la guardada y la suya, que no se ha perdido."
                ),
                saved=report,
            )
        if report.state not in EDITABLE:
            raise ProgressRefused(
                _("El reporte está %(state)s: ya no se puede cambiar.")
                % {"state": report.get_state_display()}
            )
        before = snapshot(report)
        report.version += 1
    else:
        report = ProgressReport(activity=activity, cut=cut, state=ProgressReport.State.DRAFT)
    report.percent = percent
    report.justification = justification
    report.observations = observations
    report.concluded = concluded.date
    report.full_clean()
    report.save()
    _record(report, actor, before, source)
    # Checked before any file is stored: a refusal after it would leave the file behind.
    _check_concluded(report)
    _evidence_add(report, actor, files=files, urls=urls, references=references)
    _check_complete(report)
    return report


def _evidence_add(
    report: ProgressReport,
    actor: Any,
    *,
    files: Iterable[Any],
    urls: Iterable[str],
    references: Iterable[str],
) -> None:
    if not (files or urls or references):
        return
    # The evidence service checks each file's type, size and name, and keeps its history.
    from mejora.followup.services.evidence import evidence_add

    for file in files:
        evidence_add(report=report, actor=actor, file=file)
    for url in (u.strip() for u in urls):
        if url:
            evidence_add(report=report, actor=actor, url=url)
    for reference in (r.strip() for r in references):
        if reference:
            evidence_add(report=report, actor=actor, reference=reference)


@transaction.atomic
def activity_replan(
    *,
    activity: Activity,
    cut: Cut,
    actor: Any,
    new_due_text: str,
    new_text: str,
    justification: str,
    source: str = SOURCE,
) -> Replanning:
    """Record a new due date (and, if it changed, new wording) beside the original promise."""
    require(actor, Action.CAPTURE, activity)
    cut = Cut.objects.select_for_update().get(pk=cut.pk)
    _require_open(cut)
    justification = justification.strip()
    if not justification:
        raise ProgressRefused(_("Un replanteamiento necesita su justificación."))
    if not new_due_text.strip():
        raise ProgressRefused(_("Un replanteamiento necesita la nueva fecha de término."))
    reading = date_read(new_due_text)
    if reading.date is None:
        raise ProgressRefused(
            _(
                "No se entiende la nueva fecha «%(text)s»; escríbala como 31/12/2012 o "
                "diciembre 2012."
            )
            % {"text": new_due_text.strip()}
        )
    latest = activity.replannings.order_by("-created_at", "-id").first()
    previous_due: PartialDate | None = latest.new_due if latest else activity.due
    previous_text = (latest.new_text if latest and latest.new_text else "") or activity.text
    new_text = new_text.strip()
    replanning = Replanning(
        activity=activity,
        cut=cut,
        previous_text=previous_text if new_text and new_text != previous_text else "",
        new_text=new_text if new_text != previous_text else "",
        justification=justification,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    replanning.previous_due = previous_due
    replanning.new_due = reading.date
    replanning.full_clean()
    replanning.save()
    change_record(
        action=ChangeRecord.Action.CREATE, obj=replanning, actor=actor, source=source
    ).save()
    return replanning


@transaction.atomic
def progress_submit(
    *, reports: Iterable[ProgressReport], actor: Any, source: str = SOURCE
) -> list[ProgressReport]:
    """Send drafts and corrected reports to the evaluation unit, all of them or none."""
    ids = [r.pk for r in reports]
    locked = list(
        ProgressReport.objects.select_for_update()
        .select_related("cut", "activity__aspect__cycle")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not locked:
        raise ProgressRefused(_("No hay reportes por enviar."))
    now = timezone.now()
    for report in locked:
        require(actor, Action.CAPTURE, report)
        _require_open(report.cut)
        if report.state not in EDITABLE:
            raise ProgressRefused(
                _(
                    "El reporte de %(activity)s está %(state)s: solo se envía un borrador o un "
                    "reporte devuelto."
                )
                % {"activity": report.activity, "state": report.get_state_display()}
            )
        if report.percent is None:
            raise ProgressRefused(
                _("El reporte de %(activity)s no tiene porcentaje de avance.")
                % {"activity": report.activity}
            )
        _check_complete(report)
        before = snapshot(report)
        report.state = ProgressReport.State.SUBMITTED
        report.submitted_at = now
        report.submitted_by = actor if getattr(actor, "pk", None) else None
        report.version += 1
        report.full_clean()
        report.save()
        _record(report, actor, before, source)
    announce_on_commit(reports_submitted, report_ids=ids_of(locked))
    return locked


def _review(report: ProgressReport, actor: Any) -> tuple[ProgressReport, dict]:
    require(actor, Action.REVIEW, report)
    report = ProgressReport.objects.select_for_update().select_related("cut").get(pk=report.pk)
    _require_open(report.cut)
    if report.state != ProgressReport.State.SUBMITTED:
        raise ProgressRefused(
            _("El reporte está %(state)s: solo se revisa un reporte enviado a revisión.")
            % {"state": report.get_state_display()}
        )
    before = snapshot(report)
    report.reviewed_at = timezone.now()
    report.reviewed_by = actor if getattr(actor, "pk", None) else None
    report.version += 1
    return report, before


@transaction.atomic
def progress_validate(
    *, report: ProgressReport, actor: Any, source: str = SOURCE
) -> ProgressReport:
    """Make a submitted report official: annexes, status and the public show it from now on."""
    report, before = _review(report, actor)
    _check_complete(report)
    report.state = ProgressReport.State.VALIDATED
    report.full_clean()
    report.save()
    _record(report, actor, before, source)
    announce_on_commit(report_validated, report_id=report.pk)
    return report


@transaction.atomic
def progress_return(
    *, report: ProgressReport, actor: Any, reason: str, source: str = SOURCE
) -> ProgressReport:
    """Send a submitted report back to whoever captured it, saying what to fix."""
    reason = reason.strip()
    if not reason:
        raise ProgressRefused(_("Escriba el motivo de la devolución: es lo que se debe corregir."))
    report, before = _review(report, actor)
    report.state = ProgressReport.State.RETURNED
    report.return_reason = reason
    report.full_clean()
    report.save()
    _record(report, actor, before, source)
    announce_on_commit(report_returned, report_id=report.pk)
    return report
