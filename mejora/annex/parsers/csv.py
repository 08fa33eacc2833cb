"""Reading an annex from a CSV: our own flat CSV, or an agency's annex sheet saved as CSV.

Our flat CSV (renderers.csv) names its columns in its first row and has one row per activity.
Only the columns that hold text as written are read (the annex's official columns, the
document's title, institution, program, annex line, preparation date and footnote, and the
cycle heading); the '(normalizado)' columns are derived from them and are derived again, so
editing them in a spreadsheet changes nothing, and they are never taken for an official
column. Consecutive rows with the same cycle and the same ASM number are that ASM's
activities. Official columns are matched by name as in the other readers (close spellings,
in any order); our own columns without regard to accents, case or spacing. A spreadsheet's
';' or tab separator is accepted too.

An annex sheet saved as CSV by Excel or LibreOffice keeps the sheet's layout: title lines,
the annex line, cycle headings, the header row, the ASM number on its first row only, the
footnote and the date. It is recognised by a header row further down, split by ',' or ';',
and walked as parsers.sheet walks a workbook's sheet. The same layout split by tabs is the
text annex, whose blank lines are page breaks only the text reader joins across: it is
refused with a word to upload it as text, not read as a sheet.

The text is read line by line without a copy of it, so a large file is held once.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from itertools import islice

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import read_date
from mejora.annex.document import AnnexDocument, AnnexRejected, Finding, PartialDate
from mejora.annex.formats import (
    ASPECT_KEYS,
    FOOTNOTE_MARKER,
    FORMATS,
    AnnexFormat,
    HeaderMatch,
    heading_key,
    match_header,
    read_signatory_line,
)
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import Message, Text, gettext_noop
from mejora.annex.parsers.encoding import check_text, decode
from mejora.annex.parsers.package import cell_over_limit
from mejora.annex.parsers.rows import AnnexBuilder, CatalogueFor, RawRow
from mejora.annex.parsers.sheet import SheetReader, is_header
from mejora.annex.progress import READING, Progress, Stage
from mejora.annex.renderers.csv import (
    CYCLE,
    DOCUMENT_COLUMNS,
    OPTIONAL_DOCUMENT_COLUMNS,
    csv_fields,
)
from mejora.annex.words import squash

_FLAT_DELIMITERS = (",", ";", "\t")
_SHEET_DELIMITERS = (",", ";")
# A sheet's header row comes after a few lines of title; past these, the file has none.
_SNIFFED_LINES = 200
# A line with its end, split where io.StringIO(newline="") splits: '\r\n', '\r' or '\n'.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")

_OFFICIAL = {heading_key(h) for annex in FORMATS.values() for h in annex.headings()}
# Our flat CSV's columns that are no annex's: the context, the activity's order and every
# value read from a cell.
_OURS = {heading_key(name) for annex in FORMATS.values() for name, _, _ in csv_fields(annex)}
_OURS -= _OFFICIAL
_KNOWN = _OFFICIAL | _OURS
_CONTEXT = (*DOCUMENT_COLUMNS, CYCLE)

_NOT_A_CSV = gettext_noop(
    "El archivo no es un CSV de anexo: debe tener los nombres de las columnas, como «No.», "
    "«Aspecto Susceptible de Mejora» o «Actividades», en su primera fila (el CSV de una fila "
    "por actividad, con «{cycle}») o en la fila de encabezado de la tabla (la hoja del anexo "
    "guardada como CSV)."
)
_TAB_SEPARATED = gettext_noop(
    "El archivo no es un CSV de anexo: sus columnas están separadas por tabuladores, como en "
    "el anexo en texto; súbalo con la extensión .txt."
)


def parse_csv(
    data: bytes | str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read an annex from our flat CSV, or from an annex sheet a spreadsheet saved as CSV."""
    if isinstance(data, bytes):
        text, findings = decode(data, limits)
    else:
        check_text(data, limits)
        text, findings = data, []
    text = text.removeprefix("\ufeff")
    if not text or text.isspace():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    rows_estimate = text.count("\n")  # a row is mostly a line
    delimiter = _flat_delimiter(text)
    if delimiter is not None:
        return _read_flat(text, delimiter, catalogue, findings, progress, rows_estimate, limits)
    reader = SheetReader(catalogue, findings, progress=progress)
    records = _records(text, _sheet_delimiter(text), limits)
    rows = ([cell.strip() for cell in record] for record in records)
    reader.walk(reader.reading.each(rows, rows_estimate))
    return reader.finish(container=" en el archivo", unfinished=" debajo")


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their ends, one at a time: what csv.reader wants, without the
    four bytes a character that an io.StringIO copy of the whole text would take."""
    return (match.group() for match in _LINE.finditer(text))


def _records(text: str, delimiter: str, limits: ReadingLimits) -> Iterator[list[str]]:
    """The CSV's records, each checked against the limits before it is handed on."""
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    try:
        for count, record in enumerate(reader, start=1):
            if count > limits.rows:
                raise over_limit(gettext_noop("filas"), limits.rows)
            if len(record) > limits.columns:
                raise over_limit(
                    gettext_noop("columnas de una tabla"),
                    limits.columns,
                    advice=Message(
                        gettext_noop("La fila {row} tiene {cells} celdas"),
                        {"row": count, "cells": len(record)},
                    ),
                )
            if record and max(map(len, record)) > limits.cell_chars:
                raise cell_over_limit(limits)
            yield record
    except csv.Error as error:
        # The csv module refuses a field longer than its own limit before any is checked here.
        if "field larger than field limit" in str(error):
            raise cell_over_limit(limits) from None
        raise AnnexRejected(
            gettext_noop("línea {line_num}: el archivo no es un CSV válido ({error})."),
            line_num=reader.line_num,
            error=error,
        ) from None


def _flat_delimiter(text: str) -> str | None:
    """The separator of a first row that names our flat CSV's columns, if it does: some of
    the annex's and some of ours (a sheet's header row names the annex's alone)."""
    first_line = next(_lines(text), "").rstrip("\r\n")
    counts = {delimiter: _named(first_line, delimiter) for delimiter in _FLAT_DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d][0])
    known, ours = counts[delimiter]
    return delimiter if known >= 2 and ours else None


def _named(line: str, delimiter: str) -> tuple[int, int]:
    """How many cells of the line name a column of our flat CSV, and how many of ours."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return 0, 0
    keys = [heading_key(cell) for cell in cells]
    return sum(key in _KNOWN for key in keys), sum(key in _OURS for key in keys)


def _sheet_delimiter(text: str) -> str:
    """The separator that splits a header row out of the lines near the top of a sheet."""
    for delimiter in ("\t", *_SHEET_DELIMITERS):
        records = csv.reader(islice(_lines(text), _SNIFFED_LINES), delimiter=delimiter)
        try:
            found = any(is_header([cell.strip() for cell in record]) for record in records)
        except csv.Error:
            found = False
        if found:
            if delimiter == "\t":
                raise AnnexRejected(_TAB_SEPARATED)
            return delimiter
    raise AnnexRejected(_NOT_A_CSV, cycle=CYCLE)


def _read_flat(
    text: str,
    delimiter: str,
    catalogue: AreaCatalogue | CatalogueFor | None,
    findings: list[Finding],
    progress: Progress | None,
    rows_estimate: int,
    limits: ReadingLimits,
) -> AnnexDocument:
    records = _records(text, delimiter, limits)
    header = next(records)
    match, columns = _columns(header)
    builder = AnnexBuilder(match.annex, catalogue, progress=progress)
    builder.findings.extend(findings)
    for note in match.differences():
        builder.note("column_mapping", "fila 1", note)
    rows = Stage(progress, READING).each(records, rows_estimate)
    return _CsvReader(builder, columns, len(header)).read(rows)


def _is_ours(key: str) -> bool:
    # Any '(normalizado)' column is a value read from a cell, even one renamed by hand.
    return key in _OURS or "normalizad" in key


def _columns(header: list[str]) -> tuple[HeaderMatch, dict[str, int]]:
    """The annex the official columns are of, read by name, and the index of every column read.

    Our own columns are set aside first: 'Fecha de Término (normalizada)' would otherwise
    pass for the official 'Fecha de Término' it was read from.
    """
    keys = [heading_key(name) for name in header]
    official = ["" if _is_ours(key) else name for name, key in zip(header, keys, strict=True)]
    positions: dict[str, int] = {}
    for index, key in enumerate(keys):
        positions.setdefault(key, index)
    missing = [name for name in _CONTEXT if heading_key(name) not in positions]
    match = match_header(official)
    if match is None or missing:
        raise AnnexRejected(_columns_problem(official, missing))
    columns = {name: positions[heading_key(name)] for name in _CONTEXT}
    columns |= {
        name: positions[heading_key(name)]
        for name in OPTIONAL_DOCUMENT_COLUMNS
        if heading_key(name) in positions
    }
    columns |= {column.key: i for i, column in enumerate(match.columns) if column is not None}
    return match, columns


def _columns_problem(official: list[str], missing_context: list[str]) -> Message:
    """Which columns of the nearest annex are not in the CSV, by their exact names.

    The formats share columns (the Anexo B's are all in the Anexo E), so the nearest format
    is told by the whole set of official names the CSV has.
    """
    present = {heading_key(name) for name in official} & _OFFICIAL

    def distance(annex: AnnexFormat) -> tuple[int, int]:
        keys = {heading_key(h) for h in annex.headings()}
        return len(keys - present) + len(present - keys), len(keys - present)

    annex = min(FORMATS.values(), key=distance)
    missing = missing_context + [h for h in annex.headings() if heading_key(h) not in present]
    if not missing:
        return Message(
            gettext_noop(
                "Las columnas del CSV no se leen como las del {annex}: hay una columna "
                "repetida, o dos con nombres que se parecen al de la misma columna oficial."
            ),
            {"annex": annex.annex_line},
        )
    names = ", ".join(f"«{name.rstrip(f' {FOOTNOTE_MARKER}')}»" for name in missing)
    return Message(
        gettext_noop("Al CSV le faltan columnas del {annex}: {names}."),
        {"annex": annex.annex_line, "names": names},
    )


class _CsvReader:
    def __init__(self, builder: AnnexBuilder, columns: dict[str, int], width: int) -> None:
        self.builder = builder
        self.columns = columns
        self.width = width
        self.keys = [c.key for c in builder.annex.columns]
        self.context: tuple[str, ...] | None = None
        self.context_where = ""
        self.cycle: str | None = None
        self.aspect: tuple[str, str, str] | None = None  # number, text, where first seen

    def read(self, records: Iterator[list[str]]) -> AnnexDocument:
        for number, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue
            self._row(record, Text(gettext_noop("fila {number}"), number=number))
        if self.context is None:
            raise AnnexRejected(
                gettext_noop("El CSV tiene los nombres de las columnas pero ninguna fila.")
            )
        title, institution, program, annex_line, prepared, footnote, key, signed = self.context
        signatories = tuple(filter(None, map(read_signatory_line, signed.splitlines())))
        return self.builder.build(
            title=title,
            institution=institution,
            program=program,
            annex_line=annex_line,
            prepared=self._prepared(prepared),
            footnote=footnote,
            program_key=key,
            signatories=signatories,
        )

    def _cell(self, record: list[str], name: str) -> str:
        text = record[self.columns[name]]
        return text[1:] if text.startswith("'") else text  # the renderer's formula guard

    def _row(self, record: list[str], where: str) -> None:
        if len(record) != self.width:
            raise AnnexRejected(
                gettext_noop(
                    "{where}: la fila tiene {count} celdas y el encabezado "
                    "{width}; el archivo puede estar truncado o tener columnas "
                    "de más."
                ),
                where=where,
                count=len(record),
                width=self.width,
            )
        context = tuple(
            self._cell(record, name) if name in self.columns else ""
            for name in (*DOCUMENT_COLUMNS, *OPTIONAL_DOCUMENT_COLUMNS)
        )
        if self.context is None:
            self.context, self.context_where = context, where
        elif context != self.context:
            changed = next(
                name
                for name, now, before in zip(
                    (*DOCUMENT_COLUMNS, *OPTIONAL_DOCUMENT_COLUMNS),
                    context,
                    self.context,
                    strict=True,
                )
                if now != before
            )
            raise AnnexRejected(
                gettext_noop(
                    "{where}: la columna «{changed}» no dice lo mismo que en la "
                    "{context_where}; el CSV debe ser de un solo anexo."
                ),
                where=where,
                changed=changed,
                context_where=self.context_where,
            )
        cycle = squash(self._cell(record, CYCLE))
        if not cycle:
            raise AnnexRejected(
                gettext_noop("{where}: la fila no dice de qué ciclo es (columna «{cycle}»)."),
                where=where,
                cycle=CYCLE,
            )
        if cycle != self.cycle:
            self.builder.start_section(cycle, where)
            self.cycle, self.aspect = cycle, None
        cells = {key: self._cell(record, key) for key in self.keys}
        number, text = squash(cells.get("number", "")), squash(cells.get("aspect", ""))
        if not number:
            if any(v.strip() for k, v in cells.items() if k not in ASPECT_KEYS):
                raise AnnexRejected(
                    gettext_noop("{where}: la actividad no tiene número de ASM («No.»)."),
                    where=where,
                )
            return  # a cycle without ASM
        if self.aspect is not None and self.aspect[0] == number:
            if text != self.aspect[1]:
                raise AnnexRejected(
                    gettext_noop(
                        "{where}: el texto del ASM {number} no es el mismo que en la {aspect}."
                    ),
                    where=where,
                    number=number,
                    aspect=self.aspect[2],
                )
            cells |= dict.fromkeys(ASPECT_KEYS, "")  # another activity of the same ASM
        else:
            self.aspect = (number, text, where)
        self.builder.add_row(RawRow(cells, where), after_page_break=False)

    def _prepared(self, text: str) -> PartialDate | None:
        if not text.strip():
            return None
        reading = read_date(text)
        if reading.date is None:
            self.builder.note(
                "date_not_understood",
                self.context_where,
                f"No se entendió la fecha de elaboración «{text}».",
            )
        return reading.date
