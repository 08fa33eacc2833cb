"""Reading back the flat CSV of renderers.csv: one row per activity, the cells as written.

Only the columns that hold text as written are read (the annex's official columns, the
document's title, institution, program, annex line, preparation date and footnote, and the
cycle heading); the '(normalizado)' columns are derived from them and are derived again, so
editing them in a spreadsheet changes nothing. Consecutive rows with the same cycle and the
same ASM number are that ASM's activities. Column names are matched without regard to
accents, case or spacing, and a spreadsheet's ';' or tab separator is accepted too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from mejora.annex.areas import AreaCatalogue
from mejora.annex.dates import read_date
from mejora.annex.document import AnnexDocument, AnnexRejected, PartialDate
from mejora.annex.formats import FOOTNOTE_MARKER, FORMATS, AnnexFormat, heading_key
from mejora.annex.parsers.encoding import decode
from mejora.annex.parsers.rows import AnnexBuilder, CatalogueFor, RawRow
from mejora.annex.progress import READING, Progress, Stage
from mejora.annex.renderers.csv import CYCLE, DOCUMENT_COLUMNS
from mejora.annex.words import squash

_DELIMITERS = (",", ";", "\t")
_ASPECT_KEYS = ("number", "aspect")


def parse_csv(
    data: bytes | str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
) -> AnnexDocument:
    """Read an annex from the CSV render_csv writes, using only the cells as written."""
    text, findings = decode(data) if isinstance(data, bytes) else (data, [])
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise AnnexRejected("El archivo está vacío.")
    records = _records(text)
    header = next(records)
    annex, columns = _columns(header)
    builder = AnnexBuilder(annex, catalogue, progress=progress)
    builder.findings.extend(findings)
    rows = Stage(progress, READING).each(records, text.count("\n"))  # a row is mostly a line
    return _CsvReader(builder, columns, len(header)).read(rows)


def _records(text: str) -> Iterator[list[str]]:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = max(_DELIMITERS, key=lambda d: _known_count(first_line, d))
    if _known_count(first_line, delimiter) < 2:
        raise AnnexRejected(
            "El archivo no es un CSV de anexo: su primera fila debe tener los nombres de las "
            f"columnas, como «{CYCLE}», «No.» o «Actividades»."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        yield from reader
    except csv.Error as error:
        raise AnnexRejected(
            f"línea {reader.line_num}: el archivo no es un CSV válido ({error})."
        ) from None


def _known_count(line: str, delimiter: str) -> int:
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return 0
    known = {heading_key(name) for name in (*DOCUMENT_COLUMNS, CYCLE)}
    for annex in FORMATS.values():
        known |= {heading_key(h) for h in annex.headings()}
    return sum(1 for cell in cells if heading_key(cell) in known)


def _columns(header: list[str]) -> tuple[AnnexFormat, dict[str, int]]:
    """The format whose columns the header has, and the index of every column read."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(heading_key(name), index)
    annex = _format(set(positions))
    wanted = {name: name for name in (*DOCUMENT_COLUMNS, CYCLE)}
    wanted |= {column.key: column.heading for column in annex.columns}
    missing = [name for name in wanted.values() if heading_key(name) not in positions]
    if missing:
        raise AnnexRejected(
            f"Al CSV le faltan columnas del {annex.annex_line}: "
            + ", ".join(f"«{name.rstrip(f' {FOOTNOTE_MARKER}')}»" for name in missing)
            + "."
        )
    return annex, {key: positions[heading_key(name)] for key, name in wanted.items()}


def _format(names: set[str]) -> AnnexFormat:
    """The format with exactly the official columns the CSV has, else the nearest one.

    The formats share columns (the Anexo B's are all in the Anexo E), so a format is told by
    the whole set; when none has it, the error names the nearest format's missing columns.
    """
    official = {heading_key(h) for annex in FORMATS.values() for h in annex.headings()}
    present = names & official

    def distance(annex: AnnexFormat) -> tuple[int, int]:
        keys = {heading_key(h) for h in annex.headings()}
        return len(keys - present) + len(present - keys), len(keys - present)

    return min(FORMATS.values(), key=distance)


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
            self._row(record, f"fila {number}")
        if self.context is None:
            raise AnnexRejected("El CSV tiene los nombres de las columnas pero ninguna fila.")
        title, institution, program, annex_line, prepared, footnote = self.context
        return self.builder.build(
            title=title,
            institution=institution,
            program=program,
            annex_line=annex_line,
            prepared=self._prepared(prepared),
            footnote=footnote,
        )

    def _cell(self, record: list[str], name: str) -> str:
        text = record[self.columns[name]]
        return text[1:] if text.startswith("'") else text  # the renderer's formula guard

    def _row(self, record: list[str], where: str) -> None:
        if len(record) != self.width:
            raise AnnexRejected(
                f"{where}: la fila tiene {len(record)} celdas y el encabezado {self.width}; "
                "el archivo puede estar truncado o tener columnas de más."
            )
        context = tuple(self._cell(record, name) for name in DOCUMENT_COLUMNS)
        if self.context is None:
            self.context, self.context_where = context, where
        elif context != self.context:
            changed = next(
                name
                for name, now, before in zip(DOCUMENT_COLUMNS, context, self.context, strict=True)
                if now != before
            )
            raise AnnexRejected(
                f"{where}: la columna «{changed}» no dice lo mismo que en la "
                f"{self.context_where}; el CSV debe ser de un solo anexo."
            )
        cycle = squash(self._cell(record, CYCLE))
        if not cycle:
            raise AnnexRejected(f"{where}: la fila no dice de qué ciclo es (columna «{CYCLE}»).")
        if cycle != self.cycle:
            self.builder.start_section(cycle, where)
            self.cycle, self.aspect = cycle, None
        cells = {key: self._cell(record, key) for key in self.keys}
        number, text = squash(cells.get("number", "")), squash(cells.get("aspect", ""))
        if not number:
            if any(v.strip() for k, v in cells.items() if k not in _ASPECT_KEYS):
                raise AnnexRejected(f"{where}: la actividad no tiene número de ASM («No.»).")
            return  # a cycle without ASM
        if self.aspect is not None and self.aspect[0] == number:
            if text != self.aspect[1]:
                raise AnnexRejected(
                    f"{where}: el texto del ASM {number} no es el mismo que en la {self.aspect[2]}."
                )
            cells |= dict.fromkeys(_ASPECT_KEYS, "")  # another activity of the same ASM
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
