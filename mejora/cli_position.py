"""`mejora import` and `mejora report` for an Anexo F (posición institucional): thin, as cli.py."""

from __future__ import annotations

import argparse
import hashlib
import json
from typing import Any

POSITION_KINDS = ("anexo-f", "posicion", "posicion-institucional")


def import_position(
    args: argparse.Namespace, file_format: str, actor: Any, scope: Any
) -> int | None:
    """Import the file when it is an Anexo F (told by its title); None when it is another annex.
    Called within `mejora import`'s own handling: a refusal or an error is reported there."""
    from django.conf import settings

    from mejora.annex.parsers.position import is_position_file, parse_position
    from mejora.cli import EXIT_OK, _read_file, import_source
    from mejora.followup.services.positions import position_import

    limits = settings.MEJORA_READING_LIMITS
    data = _read_file(args.file)
    if not is_position_file(data, file_format, limits):
        return None
    summary = position_import(
        document=parse_position(data, file_format, limits=limits),
        file_name=args.file.name,
        source=import_source(args),
        actor=actor,
        scope=scope,
        dry_run=args.dry_run,
        sha256=hashlib.sha256(data).hexdigest(),
        file_format=file_format,
    )
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1))
        return EXIT_OK
    doc = summary.document
    print(f"{doc.title} · {doc.program} · {summary.evaluation}")
    print(f"Leídas: {len(doc.recommendations)} recomendaciones y {len(doc.aspects)} ASM listados.")
    print(f"Hallazgos ({len(summary.findings)}):")
    for finding in summary.findings:
        print(f"  - [{finding.where}] {finding.text}")
    done = "Prueba sin escribir: se crearían" if args.dry_run else "Importado:"
    print(f"{done} {summary.created} registros nuevos, {summary.updated} cambiados.")
    return EXIT_OK


def report_position(args: argparse.Namespace) -> int:
    """`mejora report anexo-f --program … [--evaluation …] -o FILE`."""
    from mejora.annex.renderers.position import POSITION_FILE_FORMATS, render_position
    from mejora.annex.words import fold
    from mejora.cli import _Refused, _unwritable, report_format, write_report
    from mejora.followup.models import Evaluation
    from mejora.followup.selectors import find_programs
    from mejora.followup.services.positions import position_document

    def position() -> tuple[bytes, str]:
        file_format = report_format(args, POSITION_FILE_FORMATS)
        programs = list(find_programs(args.program))
        if len(programs) != 1:
            raise _Refused("Se necesita exactamente un programa: indíquelo con --program.")
        evaluations = list(Evaluation.objects.filter(program=programs[0]).order_by("-year", "id"))
        wanted = getattr(args, "evaluation", None)
        if wanted:
            evaluations = [
                e
                for e in evaluations
                if wanted == str(e.pk) or fold(wanted) in (fold(str(e)), fold(e.kind))
            ]
        if len(evaluations) != 1:
            names = ", ".join(f"«{e}» ({e.pk})" for e in evaluations) or "ninguna"
            raise _Refused(
                f"Se necesita exactamente una evaluación; coinciden: {names}. "
                "Indíquela con --evaluation (su nombre o su número)."
            )
        if unwritable := _unwritable(args.output):
            raise _Refused(unwritable)
        data = render_position(position_document(evaluations[0]), file_format)
        return data, f"Anexo F. Posición institucional · {programs[0].name} · {evaluations[0]}"

    return write_report(args, position)
