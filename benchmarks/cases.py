"""One measured case per function; each runs in a fresh process so its peak memory is its own.

A case receives the extracted AnnexDocument (not timed: every case starts from the same
document) and returns the work to time as a zero-argument callable. The import cases first
render the file and move this process to an empty database holding only the institution's
areas, so that what is timed is reading the file and writing a whole program.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import asdict

from mejora.annex.document import AnnexDocument
from mejora.annex.formats import FORMATS, row_cells

Work = Callable[[], object]


def table_rows(doc: AnnexDocument) -> list[list[str]]:
    """The annex's rows as plain cells: what a bare library writes for the baselines."""
    annex = FORMATS[doc.kind]
    rows = [annex.headings()]
    for section in doc.sections:
        rows.append([section.heading])
        for aspect in section.aspects:
            for position, activity in enumerate(aspect.activities or (None,)):
                rows.append(row_cells(annex, aspect, activity, first=position == 0))
    return rows


def annex_txt(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    return lambda: render(doc, "txt")


def bare_txt(doc: AnnexDocument) -> Work:
    rows = table_rows(doc)
    return lambda: "\n".join("\t".join(row) for row in rows).encode("utf-8")


def annex_csv(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    return lambda: render(doc, "csv")


def bare_csv(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers.csv import csv_rows

    rows = list(csv_rows(doc))  # the very cells our CSV holds, computed before the clock

    def write() -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8-sig")

    return write


def annex_xlsx(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    return lambda: render(doc, "xlsx")


def bare_xlsx(doc: AnnexDocument) -> Work:
    import openpyxl

    rows = table_rows(doc)

    def write() -> bytes:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    return write


def annex_docx(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    return lambda: render(doc, "docx")


def bare_docx(doc: AnnexDocument) -> Work:
    import docx

    rows = table_rows(doc)
    width = len(rows[0])

    def write() -> bytes:
        document = docx.Document()
        table = document.add_table(rows=0, cols=width)
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=False):
                cell.text = text
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    return write


def annex_pdf(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers import render

    return lambda: render(doc, "pdf")


def bare_pdf(doc: AnnexDocument) -> Work:
    from mejora.annex.renderers.html import render_html
    from mejora.annex.renderers.pdf import render_pdf_from_html

    html = render_html(doc)
    return lambda: render_pdf_from_html(html)


def _empty_record(doc: AnnexDocument) -> None:
    """Point this process at a new, migrated database with only the institution's areas."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from mejora.annex.synth import AREAS
    from mejora.followup.services.catalogue import areas_load

    path = settings.DATA_DIR / "import-bench.sqlite3"
    connection.close()
    path.unlink(missing_ok=True)
    # As Django's test runner moves to its test database: the next query opens the new file.
    connection.settings_dict["NAME"] = path
    call_command("migrate", verbosity=0)
    areas_load(institution_name=doc.institution, acronym="SEDESOL", areas=AREAS, source="bench")


def _import(data: bytes, file_format: str) -> object:
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    return annex_import(
        document=annex_read(data, file_format=file_format),
        file_name=f"anexo.{file_format}",
        sha256=file_sha256(data),
        file_format=file_format,
        source="bench",
    )


def _import_case(file_format: str) -> Callable[[AnnexDocument], Work]:
    def case(doc: AnnexDocument) -> Work:
        from mejora.annex.renderers import render

        data = render(doc, file_format)
        _empty_record(doc)
        return lambda: _import(data, file_format)

    case.__name__ = f"import_{file_format}"
    return case


def load_document(doc: AnnexDocument) -> Work:
    """The baseline of every import: the same document, already read, written alike."""
    from mejora.followup.services.imports import annex_import

    _empty_record(doc)
    return lambda: annex_import(
        document=doc, file_name="anexo", sha256="0" * 64, file_format="txt", source="bench"
    )


def bulk_rows(doc: AnnexDocument) -> Work:
    """The physical limit of every import: the very rows an import of the document writes
    (its ASM, activities, their areas and progress, what is kept for counting them, and a
    history row for each record it creates, as an import keeps), built before the clock and
    written with bulk_create in one transaction, with no reading and no checking."""
    from django.db import transaction

    from mejora.annex.areas import area_key
    from mejora.followup.conclusions import concluded_days
    from mejora.followup.facts import ValidatedReport, activity_spans
    from mejora.followup.history import snapshot
    from mejora.followup.models import (
        Activity,
        ActivityArea,
        ActivityFacts,
        Area,
        Aspect,
        AspectConclusion,
        ChangeRecord,
        Cut,
        Cycle,
        Institution,
        Program,
        ProgressReport,
    )
    from mejora.followup.services.imports import _partial_date_columns, _registered_on, cut_name

    _empty_record(doc)
    institution = Institution.objects.get(name=doc.institution)
    program = Program.objects.create(institution=institution, name=doc.program)
    cut = Cut.objects.create(date=doc.prepared.end, name=cut_name(doc.prepared))
    areas = {}
    for area in Area.objects.filter(institution=institution):
        for spelling in (area.name, area.acronym):
            areas.setdefault(area_key(spelling), area)
    aspects, activities, roles, reports = [], [], [], []
    for section in doc.sections:
        cycle = Cycle.objects.create(
            mechanism_year=section.mechanism_year,
            evaluation_period=section.evaluation_period,
            heading=section.heading,
        )
        for entry in section.aspects:
            aspect = Aspect(
                program=program,
                cycle=cycle,
                number=entry.number,
                text=entry.text,
                theme=entry.theme or "",
                statement=entry.statement,
                classification=section.classification,
                registered_on=_registered_on(cycle, cut),
            )
            aspects.append(aspect)
            for order, item in enumerate(entry.activities, start=1):
                activity = Activity(
                    aspect=aspect,
                    order=order,
                    text=item.text,
                    expected_results=item.expected_results,
                    deliverable=item.deliverable,
                    coordinating_text=item.coordinating.text,
                    responsible_text=item.responsible.text,
                    **_partial_date_columns("due", item.due.due, item.due.text),
                )
                activities.append(activity)
                for role, cell in (
                    ("coordinating", item.coordinating),
                    ("responsible", item.responsible),
                ):
                    roles.extend(
                        ActivityArea(
                            activity=activity,
                            area=areas[area_key(ref.name)],
                            role=role,
                            position=position,
                            note=ref.note,
                            written_as=ref.name,
                        )
                        for position, ref in enumerate(cell.areas, start=1)
                    )
                reports.append(
                    ProgressReport(
                        activity=activity,
                        cut=cut,
                        percent=item.percent,
                        justification=item.progress.text,
                        proof_text=item.proof,
                        observations=item.observations,
                        state=ProgressReport.State.VALIDATED,
                        **_partial_date_columns("concluded", item.concluded, None),
                    )
                )

    # The spans of kept facts an import writes for each activity, and the days each ASM
    # stands concluded kept from them, computed before the clock.
    spans, owners = [], []
    concluded_spans: dict[int, list] = {id(aspect): [] for aspect in aspects}
    for activity, report in zip(activities, reports, strict=True):
        validated = ValidatedReport(cut.date, report.percent, report.concluded_on)
        kept = activity_spans(activity.due, [validated], [])
        for span in kept:
            spans.append(ActivityFacts(**asdict(span)))
            owners.append(activity)
        concluded_spans[id(activity.aspect)].append(
            [(span.starts, span.ends) for span in kept if span.percent == 100]
        )
    conclusions = [
        (aspect, AspectConclusion(starts=starts, ends=ends))
        for aspect in aspects
        for starts, ends in concluded_days(concluded_spans[id(aspect)])
    ]

    # The history rows with their snapshots taken before the clock; only the ids the
    # database gives are written into them as it gives them.
    recorded = [*aspects, *activities, *reports]
    history = [
        ChangeRecord(
            action=ChangeRecord.Action.CREATE,
            model=obj._meta.label,
            object_repr=str(obj)[:300],
            after=snapshot(obj),
            source="bench",
        )
        for obj in recorded
    ]

    @transaction.atomic
    def write() -> None:
        for model, rows in (
            (Aspect, aspects), (Activity, activities), (ActivityArea, roles),
            (ProgressReport, reports),
        ):  # fmt: skip
            model.objects.bulk_create(rows)
        for record, obj in zip(history, recorded, strict=True):
            record.object_id = str(obj.pk)
        ChangeRecord.objects.bulk_create(history)
        for span, activity in zip(spans, owners, strict=True):
            span.activity_id = activity.pk
        ActivityFacts.objects.bulk_create(spans)
        for aspect, conclusion in conclusions:
            conclusion.aspect_id = aspect.pk
        AspectConclusion.objects.bulk_create(row for _, row in conclusions)

    return write


CASES: dict[str, Callable[[AnnexDocument], Work]] = {
    f.__name__: f
    for f in (
        annex_txt, bare_txt, annex_csv, bare_csv, annex_xlsx, bare_xlsx,
        annex_docx, bare_docx, annex_pdf, bare_pdf, load_document, bulk_rows,
        *map(_import_case, ("txt", "csv", "xlsx", "docx", "pdf")),
    )
}  # fmt: skip
