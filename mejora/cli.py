"""`mejora`: the one command. It parses arguments and calls services; no rule lives here."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import getpass
import json
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TextIO

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mejora.annex.parsers import READABLE_FORMATS, format_of
from mejora.annex.renderers import FILE_FORMATS

EXIT_OK, EXIT_INTERNAL, EXIT_REJECTED, EXIT_MISSED = 0, 1, 2, 3


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mejora.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.utils import translation

    try:
        # Settings come first: the help is written in the language Django picks.
        django.setup()
    except (ImproperlyConfigured, OSError) as error:
        print(f"Mejora no puede empezar: {error}", file=sys.stderr)
        return EXIT_REJECTED
    with translation.override(_environment_language()), _argparse_in_django_language():
        args = _parser().parse_args(argv)
        queue = args.handler in _NEEDS_QUEUE
        if args.handler in _NEEDS_SCHEMA and not _schema_ready(queue=queue):
            return EXIT_REJECTED
        return args.handler(args)


def _environment_language() -> str:
    """The language of the environment's locale (LC_ALL, LC_MESSAGES, LANG), if Mejora speaks it."""
    from django.conf import settings
    from django.utils import translation

    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if value := os.environ.get(name, "").split(".")[0].split("@")[0]:
            if value in ("C", "POSIX"):
                break
            try:
                return translation.get_supported_language_variant(translation.to_language(value))
            except LookupError:
                break
    return settings.LANGUAGE_CODE


def gettext_noop(message: str) -> str:
    """Mark a message for the catalog (makemessages knows this name) without settings loaded."""
    return message


# argparse's own words (titles, "usage:", -h, its errors), as its msgids in Python 3.11-3.13,
# each with the Spanish that Django's catalog then puts in the active language.
_ARGPARSE_WORDS = {
    "usage: ": gettext_noop("uso: "),
    "positional arguments": gettext_noop("argumentos"),
    "options": gettext_noop("opciones"),
    "subcommands": gettext_noop("comandos"),
    "show this help message and exit": gettext_noop("mostrar esta ayuda y salir"),
    "%(prog)s: error: %(message)s\n": gettext_noop("%(prog)s: error: %(message)s\n"),
    "argument %(argument_name)s: %(message)s": gettext_noop("%(argument_name)s: %(message)s"),
    "the following arguments are required: %s": gettext_noop("faltan estos argumentos: %s"),
    "one of the arguments %s is required": gettext_noop("se necesita uno de estos argumentos: %s"),
    "unrecognized arguments: %s": gettext_noop("argumentos desconocidos: %s"),
    "not allowed with argument %s": gettext_noop("no se admite junto con %s"),
    "ignored explicit argument %r": gettext_noop("este argumento no lleva valor: %r"),
    "expected one argument": gettext_noop("se esperaba un valor"),
    "expected at most one argument": gettext_noop("se esperaba a lo más un valor"),
    "expected at least one argument": gettext_noop("se esperaba al menos un valor"),
    "ambiguous option: %(option)s could match %(matches)s": gettext_noop(
        "opción ambigua: %(option)s puede ser %(matches)s"
    ),
    "unexpected option string: %s": gettext_noop("opción inesperada: %s"),
    "invalid %(type)s value: %(value)r": gettext_noop("valor no válido (%(type)s): %(value)r"),
    "invalid choice: %(value)r (choose from %(choices)s)": gettext_noop(
        "opción no válida: %(value)r (elija entre %(choices)s)"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": gettext_noop(
        "comando desconocido %(parser_name)r (comandos: %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": gettext_noop(
        "no se pudo abrir «%(filename)s»: %(error)s"
    ),
}
_ARGPARSE_PLURALS = {
    ("expected %s argument", "expected %s arguments"): (
        gettext_noop("se esperaba %s valor"),
        gettext_noop("se esperaban %s valores"),
    ),
}


@contextmanager
def _argparse_in_django_language() -> Iterator[None]:
    """Have argparse take its words from Django's catalog for as long as the command parses.

    argparse asks gettext's process-wide domain for them, which follows the locale by rules
    of its own and holds no Spanish; routing them through Django keeps one decision of the
    language for the whole command. Words not listed stay argparse's (a programming error's).
    """
    own, own_plural = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def words(message: str) -> str:
        spanish = _ARGPARSE_WORDS.get(message)
        return _(spanish) if spanish else own(message)

    def plural(singular: str, plural_: str, n: int) -> str:
        spanish = _ARGPARSE_PLURALS.get((singular, plural_))
        # Spanish and English alike take the singular for one alone.
        return (
            _(spanish[0] if n == 1 else spanish[1]) if spanish else own_plural(singular, plural_, n)
        )

    argparse._, argparse.ngettext = words, plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = own, own_plural  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """A parser whose help keeps the line breaks of descriptions and legends as written."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mejora", description=_("Seguimiento a Aspectos Susceptibles de Mejora."))
    commands = parser.add_subparsers(required=True, metavar=_("COMANDO"), title=_("comandos"))

    demo = commands.add_parser(
        "demo", help=_("base de datos de demostración con el anexo de muestra")
    )
    demo.add_argument(
        "--addr", default="127.0.0.1:8000", metavar=_("DIRECCIÓN"), help=_("dirección donde servir")
    )
    demo.add_argument("--no-serve", action="store_true", help=_("preparar sin servir"))
    demo.set_defaults(handler=_demo)

    serve = commands.add_parser("serve", help=_("servir con un servidor WSGI de producción"))
    serve.add_argument(
        "--bind",
        default="127.0.0.1:8000",
        metavar=_("DIRECCIÓN"),
        help=_("dirección donde escuchar (%(default)s)"),
    )
    serve.add_argument(
        "--workers", type=int, default=2, metavar="N", help=_("procesos que atienden (%(default)s)")
    )
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker", help=_("trabajador que toma las tareas en segundo plano de la cola")
    )
    worker.add_argument(
        "--batch", action="store_true", help=_("hacer las tareas pendientes y terminar")
    )
    worker.add_argument(
        "--interval",
        type=float,
        default=1.0,
        metavar=_("SEGUNDOS"),
        help=_("espera entre consultas a la cola vacía (%(default)s)"),
    )
    worker.set_defaults(handler=_worker)

    remind = commands.add_parser(
        "remind", help=_("enviar los avisos y recordatorios que tocan ahora; repetible sin daño")
    )
    remind.set_defaults(handler=_remind)

    read = commands.add_parser("import", help=_("leer un anexo heredado"))
    read.add_argument("file", type=Path, metavar=_("ARCHIVO"), help=_("el anexo que se lee"))
    read.add_argument(
        "--format",
        choices=READABLE_FORMATS,
        metavar=_("FORMATO"),
        help=_("formato del archivo (%(choices)s); por defecto, el de su extensión"),
    )
    read.add_argument("--dry-run", action="store_true", help=_("leer y reportar sin escribir"))
    read.add_argument("--json", action="store_true", help=_("resumen en JSON"))
    read.add_argument(
        "--progress",
        action="store_true",
        help=_("mostrar el avance en la salida de errores aunque no sea una terminal"),
    )
    read.add_argument(
        "--user",
        metavar=_("USUARIO"),
        help=_("importar a nombre de esta persona y solo donde su papel lo permite"),
    )
    read.set_defaults(handler=_import)

    report = commands.add_parser("report", help=_("emitir un anexo oficial"))
    report.add_argument("kind", metavar=_("TIPO"), help=_kinds_help())
    report.add_argument(
        "--program",
        metavar=_("PROGRAMA"),
        help=_("nombre o clave (si hay un solo programa, se omite)"),
    )
    report.add_argument(
        "--cut",
        metavar=_("CORTE"),
        help=_("fecha (AAAA-MM-DD) o nombre del corte; el último si falta"),
    )
    report.add_argument(
        "--evaluation",
        metavar=_("EVALUACIÓN"),
        help=_("para el anexo-f: nombre o número de la evaluación (si hay una sola, se omite)"),
    )
    report.add_argument(
        "--cycle",
        metavar=_("CICLO"),
        help=_("para el balance: año del mecanismo (2018) o periodo (2017-2018); el último si no"),
    )
    report.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar=_("AAAA-MM-DD"),
        help=_("para el balance: el estado a esa fecha; hoy si falta"),
    )
    report.add_argument("--format", choices=FILE_FORMATS, help=_("por defecto, el de la extensión"))
    report.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar=_("ARCHIVO"),
        help=_("archivo que escribir"),
    )
    report.add_argument(
        "--progress",
        action="store_true",
        help=_("mostrar el avance de un PDF largo aunque la salida de errores no sea una terminal"),
    )
    report.set_defaults(handler=_report)

    status = commands.add_parser("status", help=_("conteos por estado de ASM y actividades"))
    status.add_argument(
        "--as-of", type=_date, default=None, metavar=_("AAAA-MM-DD"), help=_("fecha; hoy si falta")
    )
    status.add_argument("--program", metavar=_("PROGRAMA"), help=_("nombre o clave del programa"))
    status.add_argument(
        "--institution", metavar=_("DEPENDENCIA"), help=_("nombre o siglas de la dependencia")
    )
    status.add_argument(
        "--cycle", type=int, metavar=_("AÑO"), help=_("año del mecanismo, p. ej. 2008")
    )
    status.add_argument("--json", action="store_true", help=_("conteos en JSON"))
    status.add_argument(
        "--check",
        action="store_true",
        help=_(
            "comprobar que lo que se guarda para contar (de cada actividad, su avance validado "
            "y su fecha vigente de corte a corte; de cada corte, las cuentas de cada programa) "
            "es lo que dicen sus registros"
        ),
    )
    status.add_argument(
        "--repair", action="store_true", help=_("con --check, reescribir lo que no coincida")
    )
    status.set_defaults(handler=_status)

    synth = commands.add_parser(
        "synth", help=_("generar registros sintéticos para pruebas de carga")
    )
    synth_size = synth.add_mutually_exclusive_group(required=True)
    synth_size.add_argument(
        "--scale", type=int, metavar="N", help=_("número de ASM de un solo programa")
    )
    synth_size.add_argument(
        "--programs",
        type=int,
        metavar="N",
        help=_("escala de todo un gobierno: N programas de varias dependencias"),
    )
    synth.add_argument(
        "--cycles",
        type=int,
        default=15,
        metavar="N",
        help=_("ciclos del mecanismo (con --programs)"),
    )
    synth.add_argument(
        "--seed", type=int, default=2012, metavar="N", help=_("semilla: mismos datos para la misma")
    )
    synth.set_defaults(handler=_synth)

    bench = commands.add_parser(
        "bench",
        help=_("medir rendimiento contra bases del mismo corrido"),
        epilog=_bench_legend(),
    )
    bench.add_argument("--scale", type=int, default=5000, metavar="N", help=_("ASM sintéticos"))
    bench.add_argument("--only", nargs="*", metavar=_("CIFRA"), help=_("solo estas cifras"))
    bench.add_argument(
        "--programs",
        type=int,
        default=300,
        metavar="N",
        help=_("programas de las cifras de páginas (y la centésima parte de ellos)"),
    )
    bench.add_argument(
        "--cycles", type=int, default=15, metavar="N", help=_("ciclos de las cifras de páginas")
    )
    bench.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help=_("base de las cifras de páginas; postgres usa el servidor de MEJORA_DATABASE_URL"),
    )
    bench.add_argument("--json", action="store_true", help=_("cifras en JSON"))
    bench.set_defaults(handler=_bench)

    manage = commands.add_parser("manage", help=_("cualquier comando de administración de Django"))
    manage.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar=_("COMANDO_DE_DJANGO"),
        help=_("un comando de Django y sus argumentos; «mejora manage help» los lista"),
    )
    manage.set_defaults(handler=_manage)
    return parser


def _kinds_help() -> str:
    from mejora.annex.formats import FORMATS

    kinds = [
        f"anexo-{annex.letter.lower()} ({code}): {annex.annex_line}"
        for code, annex in FORMATS.items()
    ]
    kinds.append(
        _("formato-libre, formato-libre-avance: ASM interinstitucionales e intergubernamentales")
    )
    return "; ".join(kinds)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("«%(text)s» no es una fecha AAAA-MM-DD") % {"text": text}
        ) from None


def _import(args: argparse.Namespace) -> int:
    from mejora.accounts.access import import_scope_for
    from mejora.annex.document import AnnexRejected
    from mejora.cli_filing import import_filing
    from mejora.cli_position import import_position
    from mejora.followup.services.conflicts import RecordBusy
    from mejora.followup.services.imports import annex_import, annex_read, file_sha256

    try:
        actor, scope = None, None
        if args.user is not None:
            actor = _active_user(args.user)
            scope = import_scope_for(actor)
        file_format = args.format or format_of(args.file.name)
        # A filing (an oficio and its instruments) brings each instrument into its place.
        if (imported := import_filing(args, file_format, actor, scope)) is not None:
            return imported
        # An Anexo F (posición institucional) goes to its evaluation, not to the ASM tables.
        if (imported := import_position(args, file_format, actor, scope)) is not None:
            return imported
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
                source=import_source(args),
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
    print_findings(summary.findings)
    if summary.since_previous:
        print(f"Cambios desde el corte anterior ({len(summary.since_previous)}):")
        for change in summary.since_previous:
            print(f"  - {change['where']} {change['what']}: {change['before']} → {change['after']}")
    print(import_outcome(summary, dry_run=args.dry_run))
    return EXIT_OK


def print_findings(findings) -> None:
    print(f"Hallazgos ({len(findings)}):")
    for finding in findings:
        print(f"  - [{finding.where}] {finding.text}")


def import_outcome(summary, *, dry_run: bool) -> str:
    """What an import wrote, or would write: the last line of its report."""
    if dry_run:
        return (
            f"Prueba sin escribir: se crearían {summary.created} registros "
            f"y se cambiarían {summary.updated}."
        )
    if summary.already_imported:
        return "Sin cambios: este archivo ya estaba importado."
    return f"Importado: {summary.created} registros nuevos, {summary.updated} cambiados."


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
        raise AnnexRejected(gettext_noop("No existe el archivo «{path}»."), path=path) from None
    except IsADirectoryError:
        raise AnnexRejected(
            gettext_noop("«{path}» es una carpeta, no un archivo."), path=path
        ) from None
    except PermissionError:
        raise AnnexRejected(gettext_noop("No hay permiso para leer «{path}»."), path=path) from None


class _Refused(Exception):
    """A request the command cannot carry out; the message says why, in Spanish."""


def _active_user(username: str):
    """The person a command acts for; a name that is no active account is refused."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _Refused(f"No hay una cuenta activa con el usuario «{username}». No se leyó nada.")
    return user


def import_source(args: argparse.Namespace) -> str:
    """What the history says a `mejora import` came from: the file, and who ran the command."""
    return f"importación de {args.file.name} por {getpass.getuser()} (línea de comandos)"


def _report(args: argparse.Namespace) -> int:
    from mejora.annex.formats import FORMATS, annex_kind
    from mejora.annex.renderers import render
    from mejora.cli_balance import BALANCE_KINDS, report_balance
    from mejora.cli_filing import FREE_KINDS, report_free
    from mejora.cli_position import POSITION_KINDS, report_position
    from mejora.followup.extract import annex_extract

    if args.kind in BALANCE_KINDS:
        return report_balance(args)
    if args.kind in POSITION_KINDS:
        return report_position(args)
    if args.kind in FREE_KINDS:
        return report_free(args)

    def annex() -> tuple[bytes, str]:
        if (kind := annex_kind(args.kind)) is None:
            raise _Refused(f"No existe el tipo de anexo «{args.kind}». Los tipos: {_kinds_help()}.")
        args.kind = kind
        file_format = report_format(args, FILE_FORMATS)
        program, cut = report_program_and_cut(args)
        doc = annex_extract(program, cut=cut, kind=args.kind)
        shown = args.progress or sys.stderr.isatty()
        with ProgressBar(sys.stderr, file_format) if shown else nullcontext() as bar:
            data = render(doc, file_format, progress=bar)
        return data, f"{FORMATS[args.kind].annex_line} · {program.name} · corte {cut.name}"

    return write_report(args, annex)


def report_format(args: argparse.Namespace, formats: Sequence[str]) -> str:
    """The format `--format` names, else the output's suffix; _Refused unless among `formats`."""
    file_format = args.format or args.output.suffix.lower().lstrip(".")
    if file_format not in formats:
        raise _Refused(
            f"No se sabe en qué formato escribir «{args.output.name}»; "
            f"use --format ({', '.join(formats)})."
        )
    return file_format


def write_report(args: argparse.Namespace, produce: Callable[[], tuple[bytes, str]]) -> int:
    """Write the bytes `produce` makes to `--output`, then its headline and the file's size and
    SHA-256: the end of every `mejora report`. A _Refused or a file that cannot be written is
    told on stderr (EXIT_REJECTED), and nothing is written."""
    import hashlib

    try:
        data, headline = produce()
        args.output.write_bytes(data)
    except _Refused as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_REJECTED
    except OSError as error:
        print(_written_error(args.output, error), file=sys.stderr)
        return EXIT_REJECTED
    print(headline)
    print(
        _("Escrito %(path)s (%(size)s bytes, SHA-256 %(sha)s)")
        % {"path": args.output, "size": f"{len(data):,}", "sha": hashlib.sha256(data).hexdigest()}
    )
    return EXIT_OK


def report_program_and_cut(args: argparse.Namespace):
    """The one program `--program` names, the output checked writable, and the cut (`--cut`,
    else the program's latest): what an annex needs before it is made. _Refused otherwise."""
    from mejora.followup.extract import find_cut, latest_cut
    from mejora.followup.selectors import find_programs

    programs = list(find_programs(args.program))
    if len(programs) != 1:
        names = ", ".join(f"«{p.name}»" for p in programs) or "ninguno"
        what = f"«{args.program}»" if args.program else "ningún programa indicado"
        raise _Refused(
            f"Se necesita exactamente un programa ({what}); coinciden: {names}. "
            "Indíquelo con --program."
        )
    program = programs[0]
    if unwritable := _unwritable(args.output):
        raise _Refused(unwritable)
    cut = find_cut(args.cut) if args.cut else latest_cut(program)
    if cut is None:
        raise _Refused(
            f"No existe el corte «{args.cut}»." if args.cut else "El programa no tiene cortes."
        )
    return program, cut


def _unwritable(path: Path) -> str | None:
    """Why `path` cannot be written, before the work of making its content; None if it can."""
    folder = path.parent
    if path.is_dir():
        return _("«%(path)s» es una carpeta; indique el nombre del archivo.") % {"path": path}
    if not folder.is_dir():
        return _("No se puede escribir «%(path)s»: no existe la carpeta «%(folder)s».") % {
            "path": path,
            "folder": folder,
        }
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return _("No se puede escribir «%(path)s»: no hay permiso en «%(folder)s».") % {
            "path": path,
            "folder": folder,
        }
    return None


# The system's own text for these is English whatever the locale.
_WRITE_ERRORS = {
    errno.ENOENT: gettext_noop("no existe la carpeta"),
    errno.EACCES: gettext_noop("no hay permiso"),
    errno.EPERM: gettext_noop("no hay permiso"),
    errno.EROFS: gettext_noop("el disco es de solo lectura"),
    errno.ENOSPC: gettext_noop("no queda espacio en el disco"),
    errno.EDQUOT: gettext_noop("se acabó la cuota de disco"),
    errno.EISDIR: gettext_noop("es una carpeta"),
    errno.ENOTDIR: gettext_noop("parte de la ruta no es una carpeta"),
    errno.ENAMETOOLONG: gettext_noop("el nombre es demasiado largo"),
}


def _written_error(path: Path, error: OSError) -> str:
    """A failed write of `path`, said in the reader's language."""
    known = _WRITE_ERRORS.get(error.errno or 0)
    reason = _(known) if known else f"{errno.errorcode.get(error.errno or 0, '?')}"
    return _("No se pudo escribir «%(path)s»: %(reason)s.") % {"path": path, "reason": reason}


def _unknown_scope(args: argparse.Namespace) -> str | None:
    """What `mejora status` was asked to narrow to that does not exist; None if all does."""
    from django.db.models import Q

    from mejora.followup.models import Cycle, Institution
    from mejora.followup.selectors import find_programs

    if args.institution and not Institution.objects.filter(
        Q(name__iexact=args.institution) | Q(acronym__iexact=args.institution)
    ):
        return _("No existe la dependencia «%(name)s» (por nombre o siglas).") % {
            "name": args.institution
        }
    if args.program and not find_programs(args.program).exists():
        return _("No existe el programa «%(name)s» (por nombre o clave).") % {"name": args.program}
    if args.cycle is not None and not Cycle.objects.filter(mechanism_year=args.cycle).exists():
        years = sorted(set(Cycle.objects.values_list("mechanism_year", flat=True)))
        return _("No hay ciclo del mecanismo %(year)s. Los hay de: %(years)s.") % {
            "year": args.cycle,
            "years": ", ".join(map(str, years)) or _("ninguno"),
        }
    return None


def _status(args: argparse.Namespace) -> int:
    from mejora.followup.selectors import scoped_aspects, status_counts
    from mejora.followup.status import STATUS_ORDER

    if unknown := _unknown_scope(args):
        print(unknown, file=sys.stderr)
        return EXIT_REJECTED
    as_of = args.as_of or dt.date.today()
    aspects = scoped_aspects(institution=args.institution, program=args.program, cycle=args.cycle)
    if args.check:
        return _status_check(aspects, repair=args.repair)
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


def _status_check(aspects, *, repair: bool) -> int:
    from mejora.followup.conclusions import conclusions_differing, conclusions_keep
    from mejora.followup.facts import facts_differing, facts_keep
    from mejora.followup.models import Activity
    from mejora.stats.tallies import tallies_differing, tallies_rebuild

    ids = Activity.objects.filter(aspect__in=aspects).values_list("pk", flat=True)
    differing = facts_differing(ids)
    # The conclusions and tallies are counted from the kept facts: checked once those are right.
    concluded = conclusions_differing(aspects.values_list("pk", flat=True)) if not differing else []
    cuts = tallies_differing() if not differing else []
    if not differing and not concluded and not cuts:
        print(_("Lo guardado para contar coincide con los registros de cada actividad y corte."))
        return EXIT_OK
    if differing:
        print(
            _(
                "%(count)s actividades no coinciden con sus registros en lo que se guarda "
                "para contar: %(ids)s."
            )
            % {"count": len(differing), "ids": ", ".join(map(str, differing[:20]))}
        )
    if concluded:
        print(
            ngettext(
                "%(count)s ASM no coincide con sus actividades en los días que se guarda "
                "como concluido: %(ids)s.",
                "%(count)s ASM no coinciden con sus actividades en los días que se guardan "
                "como concluidos: %(ids)s.",
                len(concluded),
            )
            % {"count": len(concluded), "ids": ", ".join(map(str, concluded[:20]))}
        )
    if cuts:
        print(
            ngettext(
                "Las cuentas guardadas de %(count)s corte no coinciden con los registros: "
                "%(cuts)s.",
                "Las cuentas guardadas de %(count)s cortes no coinciden con los registros: "
                "%(cuts)s.",
                len(cuts),
            )
            % {"count": len(cuts), "cuts": ", ".join(cuts[:20])}
        )
    if not repair:
        print(_("Ejecute de nuevo con --repair para reescribirlo."))
        return EXIT_REJECTED
    facts_keep(differing)  # which keeps the conclusions of the ASM whose facts it rewrites
    # Checked again once the facts are right: others may be out of step on their own.
    conclusions_keep(concluded or conclusions_differing(aspects.values_list("pk", flat=True)))
    if cuts or tallies_differing():
        tallies_rebuild()
    print(_("Reescrito."))
    return EXIT_OK


def _synth(args: argparse.Namespace) -> int:

    from mejora.followup.services.synth import synth_load

    if args.programs is not None:
        return _synth_government(args)
    if args.scale < 1:
        print("La escala debe ser al menos 1 ASM.", file=sys.stderr)
        return EXIT_REJECTED
    # The queue's too: the load is an import, which tells the search index through it.
    _migrate_all()
    summary = synth_load(aspects=args.scale, seed=args.seed)
    doc = summary.document
    print(
        f"{doc.program}: {doc.aspect_count()} ASM y {doc.activity_count()} actividades "
        f"en {len(doc.sections)} ciclos ({summary.created} registros nuevos)."
    )
    return EXIT_OK


def _synth_government(args: argparse.Namespace) -> int:
    import time

    from mejora.followup.services.synth import SynthRefused, synth_government

    if not _schema_ready():
        return EXIT_REJECTED
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(
            _("%(done)d de %(total)d programas") % {"done": done, "total": total}, file=sys.stderr
        )

    try:
        made = synth_government(
            programs=args.programs, cycles=args.cycles, seed=args.seed, progress=progress
        )
    except SynthRefused as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_REJECTED
    print(
        _(
            "%(programs)d programas de %(institutions)d dependencias en %(cycles)d ciclos: "
            "%(aspects)d ASM, %(activities)d actividades, %(reports)d reportes de avance y "
            "%(replannings)d replanteamientos, en %(seconds).0f s."
        )
        % {**vars(made), "seconds": time.perf_counter() - start}
    )
    return EXIT_OK


def _bench_legend() -> str:
    return _(
        "Columnas: cifra, lo que se mide; valor, lo que tomó Mejora (segundos, s) o la\n"
        "memoria más alta que ocupó (MB); base, lo mismo para la línea base, medida en el\n"
        "mismo corrido y en la misma máquina; razón, valor ÷ base; meta, la razón más alta\n"
        "aceptable. ✗ señala una cifra que no alcanzó su meta o pasó el límite de memoria.\n"
        "Sale con código %(code)d si alguna cifra no alcanzó su meta."
    ) % {"code": EXIT_MISSED}


def _bench(args: argparse.Namespace) -> int:
    from benchmarks.run import BenchRefused, misses, run, run_pages

    # Progress goes to stderr so that --json leaves stdout to the figures.
    def progress(message: str) -> None:
        print(message, file=sys.stderr)

    results = run(scale=args.scale, only=args.only, progress=progress)
    try:
        results += run_pages(
            programs=args.programs,
            cycles=args.cycles,
            database=args.database,
            only=args.only,
            progress=progress,
        )
    except BenchRefused as refusal:
        print(refusal, file=sys.stderr)
        return EXIT_REJECTED
    missed = {r["name"]: misses(r) for r in results if misses(r)}
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        name, *numbers = _("cifra"), _("valor"), _("base"), _("razón"), _("meta")
        widths = (12, 12, 8, 8)
        print(f"{name:30}" + "".join(f"{n:>{w}}" for n, w in zip(numbers, widths, strict=True)))
        for r in results:
            if r.get("missing"):
                print(f"{r['name']:30}{_('falta: la página aún no existe'):>12}")
                continue
            target, ratio = r["target_ratio"], r["ratio"]
            mark = "".join(f"  ✗ {why}" for why in missed.get(r["name"], ()))
            print(
                f"{r['name']:30}{r['value']:>10.3f}{r['unit']:>2}{r['baseline_value']:>10.3f}"
                f"{r['unit']:>2}"
                + (f"{ratio:>8.2f}" if ratio is not None else f"{'—':>8}")
                + (f"{target:>8.2f}" if target is not None else f"{'—':>8}")
                + mark
            )
        print()
        print(_bench_legend())
    if missed:
        print(
            _("No alcanzaron su meta: %(figures)s.")
            % {"figures": "; ".join(f"{n} ({', '.join(why)})" for n, why in missed.items())},
            file=sys.stderr,
        )
        return EXIT_MISSED
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from axes.utils import reset as axes_reset
    from django.core.management import call_command

    from mejora.demo import demo_prepare

    _migrate_all()
    prepared = demo_prepare()
    # The passwords are new, so the failures counted against the old ones are forgotten.
    for account in prepared.accounts:
        axes_reset(username=account.username)
    print(prepared.describe())
    if args.no_serve:
        return EXIT_OK
    from django.conf import settings

    from mejora.tasks.reminders import remind_schedule

    # Static files are served from the apps (WHITENOISE_USE_FINDERS); the collected folder
    # need only exist for whitenoise not to warn of it.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)

    remind_schedule(every_hours=settings.MEJORA_REMIND_EVERY_HOURS)
    # The demo's worker is a child process: it runs the background tasks and the daily
    # reminders, and stops with the server.
    worker = subprocess.Popen([sys.executable, "-m", "mejora", "worker"])
    # Stopped like Ctrl+C (a service manager's SIGTERM too), so the worker stops with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"\nMejora en http://{args.addr}/ (Ctrl+C para detener)")
    try:
        call_command("runserver", args.addr, use_reloader=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    from mejora.tasks.worker import worker_run

    if not args.batch:
        print(_("Trabajador de Mejora: toma las tareas de la cola (Ctrl+C para detener)."))
    worker_run(batch=args.batch, interval=max(args.interval, 0.0))
    return EXIT_OK


def _remind(args: argparse.Namespace) -> int:
    from mejora.tasks.reminders import reminders_run

    reports = reminders_run()
    for name, report in reports.items():
        print(f"{name}: {report}")
    return EXIT_OK


def _migrate_all(*, queue: bool = True) -> None:
    """Migrate the record's database and (`queue`), when it is a file of its own, the
    queue's."""
    from django.core.management import call_command

    from mejora.tasks.router import TASKS_DB, tasks_database_is_separate

    call_command("migrate", verbosity=0)
    if queue and tasks_database_is_separate():
        call_command("migrate", database=TASKS_DB, verbosity=0)


def _serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    print(
        _(
            "«mejora serve» no inicia un trabajador: las importaciones, los PDF largos y los "
            "avisos esperan en la cola hasta que corra «mejora worker» (aparte, en este u otro "
            "servidor)."
        ),
        file=sys.stderr,
    )
    command = [
        sys.executable, "-m", "gunicorn", "mejora.wsgi:application",
        "--bind", args.bind, "--workers", str(args.workers),
    ]  # fmt: skip
    os.execv(sys.executable, command)
    return EXIT_INTERNAL  # pragma: no cover - execv does not return


def _schema_ready(*, queue: bool = False) -> bool:
    """Whether the database has every migration; an embedded SQLite file is migrated here.

    The SQLite file is Mejora's own, made in its data folder, and `demo` and `synth` migrate
    it as well. A configured server database is the operator's: its schema changes when they
    run the migration, perhaps after a backup, not as a side effect of an import.
    """
    from django.db import OperationalError, connection, connections
    from django.db.migrations.executor import MigrationExecutor

    from mejora.tasks.router import TASKS_DB, tasks_database_is_separate

    # The queue's own SQLite file matters only to the commands that use the queue.
    aliases = ["default", TASKS_DB] if queue and tasks_database_is_separate() else ["default"]
    try:
        pending = []
        for alias in aliases:
            executor = MigrationExecutor(connections[alias])
            pending += executor.migration_plan(executor.loader.graph.leaf_nodes())
    except OperationalError as error:
        print(_("No se pudo abrir la base de datos: %(error)s") % {"error": error}, file=sys.stderr)
        return False
    if not pending:
        return True
    if connection.vendor == "sqlite":
        _migrate_all(queue=queue)
        return True
    print(
        ngettext(
            "La base de datos no está al día: falta %(count)d migración. "
            "Ejecute «mejora manage migrate» y vuelva a intentarlo.",
            "La base de datos no está al día: faltan %(count)d migraciones. "
            "Ejecute «mejora manage migrate» y vuelva a intentarlo.",
            len(pending),
        )
        % {"count": len(pending)},
        file=sys.stderr,
    )
    return False


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mejora manage", *args.rest])
    return EXIT_OK


# Commands that read or write the records; demo and synth migrate, bench has its own folder.
_NEEDS_SCHEMA = {_import, _report, _status, _serve, _worker, _remind}
_NEEDS_QUEUE = {_serve, _worker, _remind}
