"""Reading a legacy annex into the record: all or nothing, and idempotent.

ASM are matched by program + cycle + number and activities by their order within the ASM,
so importing the same document twice changes nothing. Progress goes to the cut of the
annex's preparation date; an imported annex is an official document, so its progress is
recorded as validated.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_noop

from mejora.annex.areas import AreaCatalogue, agreed, area_key, found_by_parts, name_and_acronym
from mejora.annex.compose import same_date
from mejora.annex.dates import MONTH_NAMES
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AnnexRejected,
    AreaCell,
    AspectEntry,
    Finding,
    PartialDate,
    Section,
)
from mejora.annex.formats import FORMATS
from mejora.annex.parsers import parse
from mejora.annex.parsers.free import first_page_text, is_free_file, parse_free
from mejora.annex.parsers.rows import CatalogueFor
from mejora.annex.progress import IMPORTING, Progress, Stage
from mejora.followup.facts import facts_note_written
from mejora.followup.history import change_record, snapshot
from mejora.followup.keeping import kept_once, tallies_note, tallies_note_every
from mejora.followup.models import (
    Activity,
    ActivityArea,
    AnnexImport,
    Area,
    Aspect,
    ChangeRecord,
    Cut,
    Cycle,
    Institution,
    Program,
    ProgressReport,
    Replanning,
)
from mejora.followup.scope import ImportScope, import_origin, import_target
from mejora.followup.services.catalogue import catalogue_for
from mejora.followup.services.conflicts import retried_on_conflict

T = TypeVar("T")


def annex_read(
    data: bytes,
    *,
    file_format: str = "txt",
    scope: ImportScope | None = None,
    progress: Progress | None = None,
) -> AnnexDocument:
    """Parse a file, splitting area cells against its institution's catalogue when known.

    With a person's `scope`, a file naming a program outside it is refused as soon as its
    title block is read: nothing of it is interpreted, and no catalogue is consulted.
    """
    catalogue_of = scoped_catalogue(scope or ImportScope.operator())
    limits = settings.MEJORA_READING_LIMITS
    first = first_page_text(data, file_format, limits)
    if is_free_file(data, file_format, limits, first=first):
        # Interinstitutional ASM in blocks of labelled fields rather than a table.
        return parse_free(data, file_format, catalogue=catalogue_of, limits=limits)
    # As while loading: the tables' reading makes many small objects and no cycle to free,
    # and each full collection walked them all again. A PDF's or a scan's libraries may.
    paused = _collector_paused() if file_format in _READ_PAUSED else contextlib.nullcontext()
    with paused:
        return parse(data, file_format, catalogue=catalogue_of, progress=progress, limits=limits)


_READ_PAUSED = ("txt", "csv", "xlsx", "docx")


def scoped_catalogue(scope: ImportScope) -> CatalogueFor:
    """The catalogue of the institution a file names, once its title block is read; a
    program outside the person's scope refused there."""

    def catalogue_of(institution: str, program: str) -> AreaCatalogue:
        if not institution or not program:
            return AreaCatalogue()  # the reading rejects a file that names neither
        target = import_target(scope, institution=institution, program=program)
        return catalogue_for(target.institution)

    return catalogue_of


@dataclass
class ImportSummary:
    document: AnnexDocument
    program: Program
    created: int = 0
    updated: int = 0
    already_imported: bool = False
    record: AnnexImport | None = None
    since_previous: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.document.findings

    def as_dict(self) -> dict[str, Any]:
        return {
            "aspects": self.document.aspect_count(),
            "activities": self.document.activity_count(),
            "created": self.created,
            "updated": self.updated,
            "already_imported": self.already_imported,
            "since_previous": self.since_previous,
            "findings": [f.as_dict() for f in self.findings],
        }


_REPLANNING_REASON = re.compile(
    r"replanteamiento\s*:\s*s[ií]\b[\s.:,-]*(.*?)\s*(?=\b(?:nota|fecha de conclusi[oó]n)\s*:|$)",
    re.I,
)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@retried_on_conflict
@transaction.atomic
def annex_import(
    *,
    document: AnnexDocument,
    file_name: str,
    sha256: str,
    file_format: str,
    actor: Any = None,
    scope: ImportScope | None = None,
    source: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Write the document into the record; with dry_run, report what would change and undo.

    Its progress is official (validated) when whoever brings it may review that program (the
    evaluation unit, an administrator, the operator at the command line); anyone else's
    import is sent for review like typed reports, and only at the open cut.

    A person's import (`actor`) keeps to their `scope`: ImportRefused, and nothing written,
    for a program outside it. Without an actor it is the operator's, at the command line.
    `progress` is told the ASM written so far (stage 'Importando').
    """
    scope, source = import_origin(actor=actor, scope=scope, source=source, file_name=file_name)
    loader = _Loader(
        document,
        actor=actor,
        scope=scope,
        source=source,
        progress=progress,
        keep_changes=not dry_run,
    )
    summary = loader.load()
    if dry_run:
        transaction.set_rollback(True)
        return summary
    summary.already_imported = (
        not loader.changed
        and AnnexImport.objects.filter(program=summary.program, sha256=sha256).exists()
    )
    if not summary.already_imported:
        record = AnnexImport(
            program=summary.program,
            cut=loader.cut,
            file_name=file_name[:300],
            sha256=sha256,
            file_format=file_format,
            annex_kind=document.kind,
            aspects=document.aspect_count(),
            activities=document.activity_count(),
            changes=loader.changed,
            as_validated=loader.official,
            findings=[f.as_dict() for f in document.findings],
            signatories=[s.as_dict() for s in document.signatories],
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        record.full_clean()
        record.save()
        summary.record = record
    return summary


def cut_name(date: PartialDate) -> str:
    """'marzo 2012': how evaluation units name a cut."""
    return f"{MONTH_NAMES[date.end.month - 1]} {date.end.year}"


# ASM written together: few enough to keep memory flat and tell the progress often, many
# enough that every insert still carries a full batch of rows.
_ASPECTS_PER_STEP = 100


class _Loader:
    def __init__(
        self,
        document: AnnexDocument,
        *,
        actor: Any,
        scope: ImportScope,
        source: str,
        progress: Progress | None = None,
        keep_changes: bool = True,
    ) -> None:
        self.document = document
        self.official = True  # decided in load(), once the program is known
        self.actor = actor
        self.scope = scope
        self.source = source
        self.importing = Stage(progress, IMPORTING)
        self.keep_changes = keep_changes
        self.changes: list[ChangeRecord] = []  # written after each step
        self.changed = 0  # history rows of this import
        self.created = 0
        self.updated = 0
        self.cut: Cut | None = None
        self.since_previous: list[dict[str, Any]] = []

    def load(self) -> ImportSummary:
        # The objects an import builds hold no reference cycles to free, yet each of
        # Python's full collections would walk all of them and the document again: a
        # quarter of the loading's time, spent finding nothing.
        # The activities' kept facts rewritten once, at the end, not row by row.
        with _collector_paused(), kept_once():
            return self._load()

    def _load(self) -> ImportSummary:
        doc = self.document
        # Decided before the first write; the rows found are the ones written into.
        target = import_target(self.scope, institution=doc.institution, program=doc.program)
        institution = target.institution or self._get_or_create(Institution, name=doc.institution)
        program = target.program or self._get_or_create(
            Program, institution=institution, name=doc.program
        )
        # Two imports of one program wait for each other instead of racing to create the
        # same ASM (SQLite's immediate transactions already serialise every writer).
        Program.objects.select_for_update().filter(pk=program.pk).first()
        # Its rows are inserted in bulk, which no receiver hears: its tallies are recounted.
        tallies_note([program.pk])
        self._program_signed(program)
        self.official = self.actor is None or self.actor.has_perm("followup.review", program)
        self.cut = self._cut()
        if (
            not self.official
            and FORMATS[doc.kind].has_progress
            and self.cut.state != Cut.State.OPEN
        ):
            raise AnnexRejected(
                gettext_noop(
                    "El avance de este anexo es al corte «{name}», que no está "
                    "abierto. Lo que usted importa se envía a revisión, y solo "
                    "un corte abierto recibe reportes; un anexo de un corte "
                    "cerrado lo importa la unidad de evaluación."
                ),
                name=self.cut.name,
            )
        self.areas = _AreaIndex(institution, self)
        existing = {
            (a.cycle_id, a.number): a
            for a in Aspect.objects.filter(program=program).select_related("cycle")
        }
        # A commitments annex has no progress columns: it says nothing of the progress
        # recorded, and must neither invent empty reports nor blank the ones there are.
        reports_progress = FORMATS[doc.kind].has_progress
        total = doc.aspect_count()
        done = 0
        self.importing.advance(done, total)
        for step in _steps(self._entries(), _ASPECTS_PER_STEP):
            aspects = self._aspects(program, step, existing)
            activities, fresh = self._activities(aspects)
            self._area_roles(activities, fresh)
            if reports_progress:
                self._reports(activities)
            self._write_changes()
            done += len(step)
            self.importing.advance(done, total)
        self._write_changes()  # of a document without ASM
        return ImportSummary(
            doc,
            program,
            created=self.created,
            updated=self.updated,
            since_previous=self.since_previous,
        )

    def _program_signed(self, program: Program) -> None:
        """The key and the signatories the annex gives its program become the program's own:
        the annexes issued from now on carry them."""
        values: dict[str, Any] = {}
        if self.document.program_key:
            values["key"] = self.document.program_key
        if self.document.signatories:
            values["signatories"] = [s.as_dict() for s in self.document.signatories]
        self._update(program, values)

    def _cut(self) -> Cut:
        if self.document.prepared is None:
            raise AnnexRejected(
                gettext_noop(
                    "El anexo no dice su «Fecha de Elaboración», así que no se "
                    "sabe a qué corte corresponde el avance."
                )
            )
        date = self.document.prepared.end
        return self._get_or_create(
            Cut, date=date, defaults={"name": cut_name(self.document.prepared)}
        )

    def _entries(self) -> Iterator[tuple[Section, Cycle, AspectEntry]]:
        """Every ASM of the document with its section and cycle, in the document's order."""
        for section in self.document.sections:
            cycle = self._get_or_create(
                Cycle,
                mechanism_year=section.mechanism_year,
                evaluation_period=section.evaluation_period,
                defaults={"heading": section.heading},
            )
            for entry in section.aspects:
                yield section, cycle, entry

    def _aspects(
        self,
        program: Program,
        entries: list[tuple[Section, Cycle, AspectEntry]],
        existing: dict[tuple[int, str], Aspect],
    ) -> list[tuple[Aspect, tuple[ActivityEntry, ...]]]:
        result = []
        new: list[Aspect] = []
        for section, cycle, entry in entries:
            values = {
                "text": entry.text,
                "theme": entry.theme or "",
                "statement": entry.statement,
                "classification": section.classification,
            }
            aspect = existing.get((cycle.pk, entry.number))
            if aspect is None:
                aspect = Aspect(
                    program=program,
                    cycle=cycle,
                    number=entry.number,
                    registered_on=_registered_on(cycle, self.cut),
                    **values,
                )
                new.append(aspect)
            else:
                self._update(aspect, values)
            result.append((aspect, entry.activities))
        self._create(Aspect, new)
        return result

    def _activities(
        self, aspects: list[tuple[Aspect, tuple[ActivityEntry, ...]]]
    ) -> tuple[list[tuple[Activity, ActivityEntry]], set[int]]:
        """The activities, and the ids of those this import created."""
        ids = [aspect.pk for aspect, _ in aspects]
        existing = {
            (a.aspect_id, a.order): a
            for a in Activity.objects.filter(aspect_id__in=ids).prefetch_related("area_roles")
        }
        self._history = _ProgressHistory([a.pk for a in existing.values()], self.cut)
        result = []
        new: list[Activity] = []
        replannings: list[Replanning] = []
        for aspect, entries in aspects:
            for order, entry in enumerate(entries, start=1):
                activity = existing.get((aspect.pk, order))
                if activity is not None:
                    activity.aspect = aspect  # already loaded: no query for its label
                due = _partial_date_columns("due", entry.due.due, entry.due.text)
                values = {
                    "text": entry.text,
                    "expected_results": entry.expected_results,
                    "deliverable": entry.deliverable,
                    "coordinating_text": entry.coordinating.text,
                    "responsible_text": entry.responsible.text,
                }
                if activity is None:
                    activity = Activity(aspect=aspect, order=order, **values, **due)
                    new.append(activity)
                elif (replanning := self._replanning(activity, entry)) is not None:
                    replannings.append(replanning)
                    self._update(activity, values)
                elif activity.pk in self._history.replanned:
                    # Once replanned, the date in force lives in the replannings.
                    self._update(activity, values)
                else:
                    self._update(activity, values | due)
                result.append((activity, entry))
        self._create(Activity, new)
        self._create(Replanning, replannings)
        return result, {a.pk for a in new}

    def _replanning(self, activity: Activity, entry: ActivityEntry) -> Replanning | None:
        """A due date that changed from one cut's annex to a later one's is a replanning.

        The same cut's annex read again with another date is a correction, not a replanning.
        """
        effective = self._history.effective_due(activity)
        new_due = entry.due.due
        if (
            new_due is None
            or same_date(new_due, effective)
            or not self._history.is_later_cut(activity)
        ):
            return None
        replanning = Replanning(
            activity=activity, cut=self.cut, justification=_replanning_reason(entry, self.source)
        )
        replanning.previous_due = effective
        replanning.new_due = PartialDate(new_due.year, new_due.month, new_due.day, entry.due.text)
        self.since_previous.append(
            {
                "where": _label(activity),
                "what": "replanteamiento",
                "before": effective.iso() if effective else None,
                "after": new_due.iso(),
            }
        )
        return replanning

    def _area_roles(
        self, activities: list[tuple[Activity, ActivityEntry]], fresh: set[int]
    ) -> None:
        new: list[ActivityArea] = []
        for activity, entry in activities:
            wanted = [
                *self._roles(activity, ActivityArea.Role.COORDINATING, entry.coordinating),
                *self._roles(activity, ActivityArea.Role.RESPONSIBLE, entry.responsible),
            ]
            current = [] if activity.pk in fresh else list(activity.area_roles.all())
            if [_role_key(r) for r in current] == [_role_key(r) for r in wanted]:
                continue
            if current:
                before = {"areas": [_role_key(r) for r in current]}
                ActivityArea.objects.filter(activity=activity).delete()
                record = change_record(
                    action=ChangeRecord.Action.UPDATE,
                    obj=activity,
                    actor=self.actor,
                    before=before,
                    source=self.source,
                )
                record.after = {"areas": [_role_key(r) for r in wanted]}
                self._note_change(record)
            new.extend(wanted)
        ActivityArea.objects.bulk_create(new)

    def _roles(self, activity: Activity, role: str, cell: AreaCell) -> list[ActivityArea]:
        return [
            ActivityArea(
                activity=activity,
                area=self.areas.resolve(ref.name),
                role=role,
                position=position,
                note=ref.note,
                written_as=ref.name,
            )
            for position, ref in enumerate(cell.areas, start=1)
        ]

    def _reports(self, activities: list[tuple[Activity, ActivityEntry]]) -> None:
        existing = {
            r.activity_id: r
            for r in ProgressReport.objects.filter(
                cut=self.cut, activity_id__in=[a.pk for a, _ in activities]
            )
        }
        new: list[ProgressReport] = []
        for activity, entry in activities:
            values = {
                "percent": entry.percent,
                "justification": entry.progress.text,
                "proof_text": entry.proof,
                "observations": entry.observations,
                "state": (
                    ProgressReport.State.VALIDATED
                    if self.official
                    else ProgressReport.State.SUBMITTED
                ),
                **_partial_date_columns("concluded", entry.concluded, None),
            }
            report = existing.get(activity.pk)
            if report is not None and not self.official:
                self._check_still_open(report, activity, values)
            previous = self._history.previous_percent.get(activity.pk, _NO_REPORT)
            if previous is not _NO_REPORT and previous != entry.percent:
                self.since_previous.append(
                    {
                        "where": _label(activity),
                        "what": "avance",
                        "before": previous,
                        "after": entry.percent,
                    }
                )
            if report is None:
                new.append(ProgressReport(activity=activity, cut=self.cut, **values))
            else:
                self._update(report, values)
        self._create(ProgressReport, new)

    def _check_still_open(
        self, report: ProgressReport, activity: Activity, values: dict[str, Any]
    ) -> None:
        """A report sent or validated is no longer the person's to change by an import."""
        unchanged = all(getattr(report, name) == value for name, value in values.items())
        editable = report.state in (ProgressReport.State.DRAFT, ProgressReport.State.RETURNED)
        if not unchanged and not editable:
            raise AnnexRejected(
                gettext_noop(
                    "El reporte de {label} en el corte «{name}» ya está "
                    "{get_state_display}: una importación no lo cambia. No se "
                    "importó nada."
                ),
                label=_label(activity),
                name=self.cut.name,
                get_state_display=report.get_state_display(),
            )

    # Generic writes, each with its history row.

    def _note_change(self, record: ChangeRecord) -> None:
        self.changed += 1
        if self.keep_changes:
            self.changes.append(record)

    def _write_changes(self) -> None:
        ChangeRecord.objects.bulk_create(self.changes)
        self.changes.clear()

    def _get_or_create(self, model: type[models.Model], defaults: dict | None = None, **lookup):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **(defaults or {}))
            self._create(model, [obj])
        return obj

    def _create(self, model: type[models.Model], objects: list[models.Model]) -> None:
        for obj in objects:
            _validate(obj)
        model.objects.bulk_create(objects)
        self.created += len(objects)
        for obj in objects:
            self._note_change(
                change_record(
                    action=ChangeRecord.Action.CREATE, obj=obj, actor=self.actor, source=self.source
                )
            )
        facts_note_written(objects)
        cuts = [obj.date for obj in objects if isinstance(obj, Cut)]
        if cuts:  # a new cut is counted for every program, and changes the next cut's changes
            tallies_note_every(min(cuts))

    def _update(self, obj: models.Model, values: dict[str, Any]) -> None:
        if all(getattr(obj, name) == value for name, value in values.items()):
            return
        before = snapshot(obj)
        for name, value in values.items():
            setattr(obj, name, value)
        if hasattr(obj, "version"):
            obj.version += 1
        _validate(obj)
        obj.save()
        self.updated += 1
        self._note_change(
            change_record(
                action=ChangeRecord.Action.UPDATE,
                obj=obj,
                actor=self.actor,
                before=before,
                source=self.source,
            )
        )


class _AreaIndex:
    """Areas of one institution by every spelling; names not yet known become new areas."""

    def __init__(self, institution: Institution, loader: _Loader) -> None:
        self.institution = institution
        self.loader = loader
        self.by_key: dict[str, Area] = {}
        for area in Area.objects.filter(institution=institution).order_by("id"):
            self._index(area)

    def _index(self, area: Area) -> None:
        for spelling in (area.name, area.acronym, *area.aliases):
            if spelling:
                self.by_key.setdefault(area_key(spelling), area)

    def resolve(self, written: str) -> Area:
        area = self.by_key.get(area_key(written))
        if area is None:
            # 'Dirección General de Opciones Productivas (DGOP)' is the area its name and its
            # acronym agree on; when they name two different areas, it is kept as written.
            by_name, by_acronym = found_by_parts(written, lambda s: self.by_key.get(area_key(s)))
            area = agreed(by_name, by_acronym) or self._new(
                written, split=by_name is None and by_acronym is None
            )
            self.by_key[area_key(written)] = area
        return area

    def _new(self, written: str, *, split: bool) -> Area:
        parts = name_and_acronym(written) if split else None
        if parts is not None:
            area = Area(institution=self.institution, name=parts.name, acronym=parts.acronym)
        else:
            acronym = written if written.isupper() and " " not in written else ""
            area = Area(institution=self.institution, name=written, acronym=acronym)
        self.loader._create(Area, [area])
        self._index(area)
        return area


_NO_REPORT = object()


class _ProgressHistory:
    """What the record already says of existing activities, before this cut: three queries."""

    def __init__(self, activity_ids: list[int], cut: Cut) -> None:
        earlier = (
            ProgressReport.objects.filter(activity_id__in=activity_ids, cut__date__lt=cut.date)
            .order_by("activity_id", "cut__date")
            .values_list("activity_id", "percent")
        )
        self.previous_percent: dict[int, int | None] = dict(earlier)  # the latest one wins
        self.at_this_cut = set(
            ProgressReport.objects.filter(activity_id__in=activity_ids, cut=cut).values_list(
                "activity_id", flat=True
            )
        )
        self.replanned: dict[int, Replanning] = {
            r.activity_id: r
            for r in Replanning.objects.filter(activity_id__in=activity_ids).order_by(
                "activity_id", "created_at", "id"
            )
        }

    def effective_due(self, activity: Activity) -> PartialDate | None:
        replanning = self.replanned.get(activity.pk)
        return replanning.new_due if replanning else activity.due

    def is_later_cut(self, activity: Activity) -> bool:
        return activity.pk in self.previous_percent and activity.pk not in self.at_this_cut


def _registered_on(cycle: Cycle, cut: Cut) -> dt.date:
    """When an imported ASM was registered: an annex does not say, but an ASM of the 2008
    mechanism was registered in 2008, and surely by the annex's own date."""
    return min(dt.date(cycle.mechanism_year, 1, 1), cut.date)


def _label(activity: Activity) -> str:
    aspect = activity.aspect
    return f"{aspect.cycle.mechanism_year}/{aspect.number}.{activity.order}"


def _replanning_reason(entry: ActivityEntry, source: str) -> str:
    """The annex's own justification when it gives one ('Replanteamiento: Sí. Porque…')."""
    said = _REPLANNING_REASON.search(entry.progress.text)
    if said and said.group(1).strip(" .:"):
        return said.group(1).strip()
    return f"La fecha de término cambió en la {source}; el anexo no dio justificación."


def _validate(obj: models.Model) -> None:
    """Field checks without a query per row: the parents were just fetched or created, and
    uniqueness and constraints are the database's to enforce inside the transaction."""
    relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    try:
        obj.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        details = "; ".join(
            f"{obj._meta.get_field(name).verbose_name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
        raise AnnexRejected(
            gettext_noop("{verbose_name} «{record}»: {details}"),
            verbose_name=obj._meta.verbose_name,
            record=str(obj)[:80],
            details=details,
        ) from None


def _role_key(role: ActivityArea) -> tuple[str, int, int, str, str]:
    return (role.role, role.position, role.area_id, role.note, role.written_as)


def _partial_date_columns(name: str, value: PartialDate | None, text: str | None) -> dict[str, Any]:
    """The three columns of a partial date; `text` overrides the date's own (a whole cell)."""
    return {
        f"{name}_on": value.start if value else None,
        f"{name}_precision": value.precision.value if value else "",
        f"{name}_text": (text if text is not None else value.text) if value or text else "",
    }


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while, on again as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _steps(items: Iterator[T], size: int) -> Iterator[list[T]]:
    """The items in lists of `size`, the last one shorter."""
    while step := list(islice(items, size)):
        yield step
