"""`mejora import` of a filing (an oficio and its instruments in one file) and `mejora report`
of the free format: thin, as cli.py."""

from __future__ import annotations

import argparse
import json
from typing import Any

FREE_KINDS = {"formato-libre": False, "formato-libre-avance": True}


def import_filing(args: argparse.Namespace, file_format: str, actor: Any, scope: Any) -> int | None:
    """Import the file when it opens with an oficio; None when it is a single annex. Called
    within `mejora import`'s own handling: a refusal or an error is reported there."""
    from django.conf import settings

    from mejora.annex.parsers.bundle import looks_like_filing
    from mejora.cli import EXIT_OK, _read_file, import_outcome, import_source, print_findings
    from mejora.followup.services.filings import filing_import, filing_read
    from mejora.followup.services.imports import file_sha256

    data = _read_file(args.file)
    if not looks_like_filing(data, file_format, settings.MEJORA_READING_LIMITS):
        return None
    summary = filing_import(
        filing=filing_read(data, file_format=file_format, scope=scope),
        file_name=args.file.name,
        sha256=file_sha256(data),
        file_format=file_format,
        dry_run=args.dry_run,
        actor=actor,
        scope=scope,
        source=import_source(args),
    )
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1))
        return EXIT_OK
    filing = summary.filing
    date = filing.oficio_date.iso() if filing.oficio_date else "sin fecha"
    print(f"Oficio {filing.oficio_number or 'sin número'} ({date}) · {summary.program}")
    for part in filing.parts:
        read = "leído" if part.document is not None else "no se leyó"
        print(f"  {part.instrument} ({part.pages}): {read}")
    print_findings(summary.findings)
    print(import_outcome(summary, dry_run=args.dry_run))
    return EXIT_OK


def report_free(args: argparse.Namespace) -> int:
    """`mejora report formato-libre[-avance] --program … [--cut …] -o FILE`: the program's
    interinstitutional and intergubernamental ASM as blocks of labelled fields."""
    from mejora.annex.renderers.free import FREE_RENDER_FORMATS, render_free
    from mejora.cli import report_format, report_program_and_cut, write_report
    from mejora.followup.services.filings import free_format_extract

    def free_format() -> tuple[bytes, str]:
        file_format = report_format(args, FREE_RENDER_FORMATS)
        program, cut = report_program_and_cut(args)
        doc = free_format_extract(program, cut=cut, progress=FREE_KINDS[args.kind])
        data = render_free(doc, file_format)
        return data, f"{doc.annex} · {program.name} · corte {cut.name} · {doc.aspect_count()} ASM"

    return write_report(args, free_format)
