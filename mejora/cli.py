"""`mejora`: the one command. It parses arguments and calls services; no rule lives here."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import TextIO

from mejora.annex.parsers import READABLE_FORMATS, format_of
from mejora.annex.renderers import FILE_FORMATS

EXIT_OK, EXIT_INTERNAL, EXIT_REJECTED = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mejora.settings")
    import django

    django.setup()
    return args.handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mejora",
        description="Seguimiento a Aspectos Susceptibles de Mejora.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMANDO")

    demo = commands.add_parser("demo", help="base de datos de demostración con el anexo de muestra")
    demo.add_argument("--addr", default="127.0.0.1:8000", help="dirección donde servir")
    demo.add_argument("--no-serve", action="store_true", help="preparar sin servir")
    demo.set_defaults(handler=_demo)

    serve = commands.add_parser("serve", help="servir con un servidor WSGI de producción")
    serve.add_argument("--bind", default="127.0.0.1:8000")
    serve.add_argument("--workers", type=int, default=2)
    serve.set_defaults(handler=_serve)

    read = commands.add_parser("import", help="leer un anexo heredado")
    read.add_argument("file", type=Path, metavar="ARCHIVO")
    read.add_argument("--format", choices=READABLE_FORMATS)
    read.add_argument("--dry-run", action="store_true", help="leer y reportar sin escribir")
    read.add_argument("--json", action="store_true", help="resumen en JSON")
    read.add_argument(
        "--progress",
        action="store_true",
        help="mostrar el avance en la salida de errores aunque no sea una terminal",
    )
    read.add_argument(
        "--user",
        metavar="USUARIO",
        help="importar a nombre de esta persona y solo donde su papel lo permite",
    )
    read.set_defaults(handler=_import)

    report = commands.add_parser("report", help="emitir un anexo oficial")
    report.add_argument("kind", metavar="TIPO", help=_kinds_help())
    report.add_argument("--program", help="nombre o clave (si hay un solo programa, se omite)")
    report.add_argument("--cut", help="fecha (AAAA-MM-DD) o nombre del corte; el último si falta")
    report.add_argument("--format", choices=FILE_FORMATS, help="por defecto, el de la extensión")
    report.add_argument("-o", "--output", type=Path, required=True, metavar="ARCHIVO")
    report.add_argument(
        "--progress",
        action="store_true",
        help="mostrar el avance de un PDF largo aunque la salida de errores no sea una terminal",
    )
    report.set_defaults(handler=_report)

    status = commands.add_parser("status", help="conteos por estado de ASM y actividades")
    status.add_argument("--as-of", type=_date, default=None, metavar="AAAA-MM-DD")
    status.add_argument("--program", help="nombre o clave del programa")
    status.add_argument("--institution", help="nombre o siglas de la dependencia")
    status.add_argument("--cycle", type=int, help="año del mecanismo, p. ej. 2008")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    synth = commands.add_parser("synth", help="generar registros sintéticos para pruebas de carga")
    synth.add_argument("--scale", type=int, required=True, metavar="N", help="número de ASM")
    synth.add_argument("--seed", type=int, default=2012, help="semilla: mismos datos para la misma")
    synth.set_defaults(handler=_synth)

    bench = commands.add_parser("bench", help="medir rendimiento contra bases del mismo corrido")
    bench.add_argument("--scale", type=int, default=5000, metavar="N", help="ASM sintéticos")
    bench.add_argument("--only", nargs="*", metavar="CIFRA", help="solo estas cifras")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(handler=_bench)

    manage = commands.add_parser("manage", help="cualquier comando de administración de Django")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_manage)
    return parser


def _kinds_help() -> str:
    from mejora.annex.formats import FORMATS

    return "; ".join(f"{code}: {annex.annex_line}" for code, annex in FORMATS.items())


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» no es una fecha AAAA-MM-DD") from None


def _import(args: argparse.Namespace) -> int:
    from mejora.accounts.access import import_scope_for
    from mejora.annex.document import AnnexRejected
    from mejora.followup.services.conflicts import RecordBusy
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    try:
        actor, scope = None, None
        if args.user is not None:
            actor = _active_user(args.user)
            scope = import_scope_for(actor)
        file_format = args.format or format_of(args.file.name)
        shown = args.progress or sys.stderr.isatty()
        with ProgressBar(sys.stderr, file_format) if shown else nullcontext() as bar:
            data = _read_file(args.file)
            document = annex_read(data, file_format=file_format, scope=scope, progress=bar)
            summary = annex_import(
                document=document,
                file_name=args.file.name,
                sha256=file_sha256(data),
                file_format=file_format,
                dry_run=args.dry_run,
                actor=actor,
                scope=scope,
                source=(
                    f"importación de {args.file.name} por {getpass.getuser()} (línea de comandos)"
                ),
                progress=bar,
            )
    except (RecordBusy, _Refused) as refusal:
        print(f"{refusal}", file=sys.stderr)
        return EXIT_REJECTED
    except AnnexRejected as rejection:
        reason = str(rejection)
        print(f"Archivo rechazado. {reason[:1].upper()}{reason[1:]}", file=sys.stderr)
        print("No se escribió nada.", file=sys.stderr)
        return EXIT_REJECTED
    except Exception:
        traceback.print_exc()
        print("Error interno al importar; no se escribió nada.", file=sys.stderr)
        return EXIT_INTERNAL
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1))
        return EXIT_OK
    doc = summary.document
    print(f"{doc.annex} · {doc.program} · {doc.institution}")
    print(
        f"Leídos: {doc.aspect_count()} ASM y {doc.activity_count()} actividades "
        f"en {len(doc.sections)} ciclos."
    )
    print(f"Hallazgos ({len(summary.findings)}):")
    for finding in summary.findings:
        print(f"  - [{finding.where}] {finding.text}")
    if summary.since_previous:
        print(f"Cambios desde el corte anterior ({len(summary.since_previous)}):")
        for change in summary.since_previous:
            print(f"  - {change['where']} {change['what']}: {change['before']} → {change['after']}")
    if args.dry_run:
        print(
            f"Prueba sin escribir: se crearían {summary.created} registros "
            f"y se cambiarían {summary.updated}."
        )
    elif summary.already_imported:
        print("Sin cambios: este archivo ya estaba importado.")
    else:
        print(f"Importado: {summary.created} registros nuevos, {summary.updated} cambiados.")
    return EXIT_OK


# What the reading of each format counts; interpreting and importing count ASM.
_READING_UNITS = {
    "txt": "líneas",
    "csv": "filas",
    "xlsx": "filas",
    "docx": "filas",
    "pdf": "páginas",
}


class ProgressBar:
    """A Progress drawn as one line per stage on a terminal, redrawn in place:
    'Leyendo       [################--------------]  52 % (7,812/15,106 filas)'.

    Used as a context manager, it ends its last line however the work ends."""

    WIDTH = 30

    def __init__(self, stream: TextIO, file_format: str) -> None:
        self.stream = stream
        self.reading_units = _READING_UNITS[file_format]
        self.stage: str | None = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __call__(self, stage: str, done: int, total: int) -> None:
        from mejora.annex.progress import PRINTING, READING

        if self.stage is not None and stage != self.stage:
            self.stream.write("\n")
        self.stage = stage
        share = done / total if total else 1.0
        filled = round(self.WIDTH * share)
        units = {READING: self.reading_units, PRINTING: "filas"}.get(stage, "ASM")
        self.stream.write(
            f"\r{stage:<14}[{'#' * filled}{'-' * (self.WIDTH - filled)}] "
            f"{int(100 * share):3d} % ({done:,}/{total:,} {units})"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the line of the last stage drawn."""
        if self.stage is not None:
            self.stream.write("\n")
            self.stream.flush()
            self.stage = None


def _read_file(path: Path) -> bytes:
    from mejora.annex.document import AnnexRejected

    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise AnnexRejected(f"No existe el archivo «{path}».") from None
    except IsADirectoryError:
        raise AnnexRejected(f"«{path}» es una carpeta, no un archivo.") from None
    except PermissionError:
        raise AnnexRejected(f"No hay permiso para leer «{path}».") from None


class _Refused(Exception):
    """A request the command cannot carry out; the message says why, in Spanish."""


def _active_user(username: str):
    """The person a command acts for; a name that is no active account is refused."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _Refused(f"No hay una cuenta activa con el usuario «{username}». No se leyó nada.")
    return user


def _report(args: argparse.Namespace) -> int:
    import hashlib

    from mejora.annex.formats import FORMATS
    from mejora.annex.renderers import render
    from mejora.followup.extract import annex_extract, find_cut, latest_cut
    from mejora.followup.selectors import find_programs

    try:
        if args.kind not in FORMATS:
            raise _Refused(f"No existe el tipo de anexo «{args.kind}». Los tipos: {_kinds_help()}.")
        file_format = args.format or args.output.suffix.lower().lstrip(".")
        if file_format not in FILE_FORMATS:
            raise _Refused(
                f"No se sabe en qué formato escribir «{args.output.name}»; "
                f"use --format ({', '.join(FILE_FORMATS)})."
            )
        programs = list(find_programs(args.program))
        if len(programs) != 1:
            names = ", ".join(f"«{p.name}»" for p in programs) or "ninguno"
            what = f"«{args.program}»" if args.program else "ningún programa indicado"
            raise _Refused(
                f"Se necesita exactamente un programa ({what}); coinciden: {names}. "
                "Indíquelo con --program."
            )
        program = programs[0]
        cut = find_cut(args.cut) if args.cut else latest_cut(program)
        if cut is None:
            raise _Refused(
                f"No existe el corte «{args.cut}»." if args.cut else "El programa no tiene cortes."
            )
        doc = annex_extract(program, cut=cut, kind=args.kind)
        shown = args.progress or sys.stderr.isatty()
        with ProgressBar(sys.stderr, file_format) if shown else nullcontext() as bar:
            data = render(doc, file_format, progress=bar)
        args.output.write_bytes(data)
    except _Refused as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_REJECTED
    except OSError as error:
        print(f"No se pudo escribir «{args.output}»: {error.strerror}.", file=sys.stderr)
        return EXIT_REJECTED
    print(
        f"{FORMATS[args.kind].annex_line} · {program.name} · corte {cut.name}\n"
        f"Escrito {args.output} ({len(data):,} bytes, SHA-256 {hashlib.sha256(data).hexdigest()})"
    )
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from mejora.followup.selectors import scoped_aspects, status_counts
    from mejora.followup.status import STATUS_ORDER

    as_of = args.as_of or dt.date.today()
    aspects = scoped_aspects(institution=args.institution, program=args.program, cycle=args.cycle)
    counts = status_counts(aspects, as_of)
    if args.json:
        print(json.dumps(counts, ensure_ascii=False))
        return EXIT_OK
    print(f"Estado al {as_of.isoformat()}")
    print(f"{'':14}{'ASM':>8}{'Actividades':>14}")
    for status in ("total", *(s.value for s in STATUS_ORDER)):
        label = "Total" if status == "total" else next(s.label for s in STATUS_ORDER if s == status)
        print(f"{label:14}{counts['aspects'][status]:>8}{counts['activities'][status]:>14}")
    return EXIT_OK


def _synth(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from mejora.followup.services.synth import synth_load

    if args.scale < 1:
        print("La escala debe ser al menos 1 ASM.", file=sys.stderr)
        return EXIT_REJECTED
    call_command("migrate", verbosity=0)
    summary = synth_load(aspects=args.scale, seed=args.seed)
    doc = summary.document
    print(
        f"{doc.program}: {doc.aspect_count()} ASM y {doc.activity_count()} actividades "
        f"en {len(doc.sections)} ciclos ({summary.created} registros nuevos)."
    )
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from benchmarks.run import run

    # Progress goes to stderr so that --json leaves stdout to the figures.
    results = run(scale=args.scale, only=args.only, progress=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"{'cifra':30}{'valor':>12}{'base':>12}{'razón':>8}{'meta':>8}")
    for r in results:
        target = r["target_ratio"]
        missed = r["ratio"] is not None and target is not None and r["ratio"] > target
        mark = "  ✗" if missed else ""
        if "limit" in r and r["value"] > r["limit"]:
            mark += f"  ✗ > {r['limit']} MB"
        target_text = f"{target:>8.2f}" if target is not None else f"{'—':>8}"
        print(
            f"{r['name']:30}{r['value']:>10.2f}{r['unit']:>2}{r['baseline_value']:>10.2f}"
            f"{r['unit']:>2}{r['ratio']:>8.2f}{target_text}{mark}"
        )
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from mejora.demo import demo_prepare

    call_command("migrate", verbosity=0)
    prepared = demo_prepare()
    print(prepared.describe())
    if args.no_serve:
        return EXIT_OK
    print(f"\nMejora en http://{args.addr}/ (Ctrl+C para detener)")
    call_command("runserver", args.addr, use_reloader=False)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    command = [
        sys.executable, "-m", "gunicorn", "mejora.wsgi:application",
        "--bind", args.bind, "--workers", str(args.workers),
    ]  # fmt: skip
    os.execv(sys.executable, command)
    return EXIT_INTERNAL  # pragma: no cover - execv does not return


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mejora manage", *args.rest])
    return EXIT_OK
