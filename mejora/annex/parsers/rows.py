"""Building an AnnexDocument from table rows, whatever file the rows came from.

Every parser finds the header block, the cycle headings and the rows of its own file; this
module turns those rows into sections, ASM and activities, reads every cell, and records a
finding, with its location, for each reading a person should confirm.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from mejora.annex.areas import BLANK_LINE, AreaCatalogue, read_areas
from mejora.annex.cells import Reading, read_due, read_progress, read_theme
from mejora.annex.dates import read_date
from mejora.annex.document import (
    ActivityEntry,
    AnnexDocument,
    AnnexRejected,
    AspectEntry,
    CellRef,
    Finding,
    PartialDate,
    Section,
    Signatory,
)
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    FORMATS,
    AnnexFormat,
    HeaderMatch,
    format_named_by,
    heading_key,
    letter_corrected_message,
    read_annex_line,
    read_cycle_heading,
    read_header_line,
    read_signatory_line,
    split_program,
)
from mejora.annex.messages import Message, gettext_noop, joined
from mejora.annex.progress import INTERPRETING, READING, Progress, Stage
from mejora.annex.signatures import Line, SideBySide, guessed_role_text, read_signatures
from mejora.annex.words import fold, squash

T = TypeVar("T")
# The catalogue of the institution a file names, looked up once its title block is read, given
# the institution and the program named: a caller that keeps the catalogues of many
# institutions needs one parse, not a first one to learn whose annex it is, and may refuse
# the file (AnnexRejected) there, before any of its cells is interpreted.
CatalogueFor = Callable[[str, str], AreaCatalogue]

# Cells that every new activity fills in; a row after a page break that leaves them all
# empty is the rest of the previous row, not an activity of its own.
_ACTIVITY_DEFINING = ("due", "coordinating", "responsible")


@dataclass
class RawRow:
    """One table row as written, keyed by column, and where it was seen."""

    cells: dict[str, str]
    where: str

    def is_continuation(self) -> bool:
        return not self.cells.get("number") and not any(
            self.cells.get(key) for key in _ACTIVITY_DEFINING
        )

    def absorb(self, fragment: RawRow) -> None:
        """Append a page-break fragment's text to the same cells, joined with a space."""
        for key, text in fragment.cells.items():
            if text:
                before = self.cells.get(key, "")
                self.cells[key] = f"{before} {text}" if before else text


@dataclass
class _OpenSection:
    heading: str
    where: str
    rows: list[RawRow] = field(default_factory=list)


def _line_order(finding: Finding) -> int:
    """Findings in the order of the file; ones without a line come first."""
    match = re.search(r"\d+", finding.where)
    return int(match.group()) if match else 0


def heading_key_label(heading: str) -> str:
    return heading.replace(FOOTNOTE_MARKER, "").strip()


class AnnexBuilder:
    """Collects what a parser reads and builds the document at the end."""

    def __init__(
        self,
        annex: AnnexFormat,
        catalogue: AreaCatalogue | CatalogueFor | None = None,
        *,
        progress: Progress | None = None,
    ) -> None:
        self.annex = annex
        self.catalogue = catalogue
        self.findings: list[Finding] = []
        self.sections: list[_OpenSection] = []
        self.column_names = {c.key: heading_key_label(c.heading) for c in annex.columns}
        self.interpreting = Stage(progress, INTERPRETING)
        self._aspects_read = self._aspects_total = 0

    def note(self, kind: str, where: str, text: str) -> None:
        self.findings.append(Finding(kind, where, text))

    def start_section(self, heading: str, where: str) -> None:
        self.sections.append(_OpenSection(squash(heading), where))

    def add_row(self, row: RawRow, *, after_page_break: bool) -> None:
        if not self.sections:
            raise AnnexRejected(
                gettext_noop("{where}: hay una fila antes del primer encabezado de ciclo."),
                where=row.where,
            )
        rows = self.sections[-1].rows
        if rows and (repeated := self._repeats_aspect(rows, row)) is not None:
            # The ASM written again atop the next page, or on each of its rows: its
            # activities go on, one ASM.
            row.cells |= {"number": "", "aspect": ""}
            self.note(
                "continued_aspect",
                row.where,
                f"La fila repite el ASM {squash(repeated.cells['number'])} de la "
                f"{repeated.where}: se leyó como otra fila del mismo ASM.",
            )
        if after_page_break and rows and row.is_continuation():
            self.join_fragment(row)
            return
        rows.append(row)

    def join_fragment(self, row: RawRow) -> None:
        """Join the rest of a row a page break cut to the last row read, cell to cell, and
        say so for a person to confirm."""
        last = self.sections[-1].rows[-1]
        last.absorb(row)
        self.note(
            "joined_fragment",
            row.where,
            f"Fila partida por un salto de página: su texto se unió a la fila de la {last.where}.",
        )

    @staticmethod
    def _repeats_aspect(rows: list[RawRow], row: RawRow) -> RawRow | None:
        """The row that opened the ASM this row writes again (its number, and its text or
        none), when that ASM is the last one read; None for a row of a new ASM."""
        number = squash(row.cells.get("number", ""))
        if not number:
            return None
        opened = next((r for r in reversed(rows) if r.cells.get("number")), None)
        if opened is None or squash(opened.cells["number"]) != number:
            return None
        text, before = fold(row.cells.get("aspect", "")), fold(opened.cells.get("aspect", ""))
        return opened if not text or before.startswith(text) else None

    def build(
        self,
        *,
        title: str,
        institution: str,
        program: str,
        annex_line: str,
        prepared: PartialDate | None,
        footnote: str,
        program_key: str = "",
        signatories: tuple[Signatory, ...] = (),
    ) -> AnnexDocument:
        named = read_annex_line(annex_line)
        if named is not None and named.annex is self.annex and named.letter_corrected:
            self.note("letter_corrected", "documento", letter_corrected_message(named))
            annex_line = self.annex.annex_line
        catalogue = self.catalogue
        if callable(catalogue):
            catalogue = catalogue(squash(institution), squash(program))
        self._read_areas = partial(
            read_areas, catalogue=catalogue if catalogue is not None else AreaCatalogue()
        )
        self._aspects_total = sum(1 for s in self.sections for r in s.rows if r.cells.get("number"))
        sections = tuple(self._section(index, s) for index, s in enumerate(self.sections))
        return AnnexDocument(
            title=squash(title),
            institution=squash(institution),
            program=squash(program),
            annex=squash(annex_line),
            kind=self.annex.code,
            sections=sections,
            prepared=prepared,
            footnote=squash(footnote),
            program_key=squash(program_key),
            signatories=signatories,
            findings=tuple(sorted(self.findings, key=_line_order)),
        )

    def _section(self, index: int, section: _OpenSection) -> Section:
        cycle = read_cycle_heading(section.heading)
        if cycle is None:
            raise AnnexRejected(
                gettext_noop("{where}: «{heading}» no es un encabezado de ciclo."),
                where=section.where,
                heading=section.heading,
            )
        aspects: list[AspectEntry] = []
        groups: list[list[RawRow]] = []
        for row in section.rows:
            if row.cells.get("number"):
                groups.append([row])
            elif groups:
                groups[-1].append(row)
            else:
                raise AnnexRejected(
                    gettext_noop("{where}: la actividad no tiene número de ASM."), where=row.where
                )
        seen: dict[str, str] = {}
        for group in groups:
            number = squash(group[0].cells["number"])
            if number in seen:
                raise AnnexRejected(
                    gettext_noop(
                        "{where}: el ASM {number} ya aparece en la {seen} dentro de «{heading}»."
                    ),
                    where=group[0].where,
                    number=number,
                    seen=seen[number],
                    heading=section.heading,
                )
            seen[number] = group[0].where
            aspects.append(self._aspect(index, cycle.mechanism_year, number, group))
        return Section(
            heading=section.heading,
            classification=cycle.classification,
            evaluation_period=cycle.evaluation_period,
            mechanism_year=cycle.mechanism_year,
            aspects=tuple(aspects),
        )

    def _aspect(self, section: int, year: int, number: str, rows: list[RawRow]) -> AspectEntry:
        text = squash(rows[0].cells.get("aspect", ""))
        if not text:
            raise AnnexRejected(
                gettext_noop("{where}: el ASM {number} no tiene texto."),
                where=rows[0].where,
                number=number,
            )
        reading = Reading()
        theme, statement = read_theme(text, reading)
        self._record(
            reading, f"{rows[0].where} · ASM {year}/{number}", CellRef(section, number, None, "")
        )
        activities: list[ActivityEntry] = []
        for order, row in enumerate(rows, start=1):
            where = f"{row.where} · ASM {year}/{number} · actividad {order}"
            activity = self._activity(row, where, CellRef(section, number, len(activities), ""))
            if activity is not None:
                activities.append(activity)
        self._aspects_read += 1
        self.interpreting.advance(self._aspects_read, self._aspects_total)
        return AspectEntry(number, text, theme, statement, tuple(activities))

    def _activity(self, row: RawRow, where: str, ref: CellRef) -> ActivityEntry | None:
        cells = {key: squash(text) for key, text in row.cells.items()}
        if not any(text for key, text in cells.items() if key not in ("number", "aspect")):
            return None  # an ASM registered without activities yet
        if not cells.get("activity"):
            self.note("activity_without_text", where, "La fila no dice la actividad.")
        try:
            return ActivityEntry(
                text=cells.get("activity", ""),
                # Unsquashed: a line break may separate two areas listed one per line.
                coordinating=self._read(self._read_areas, row.cells, "coordinating", where, ref),
                responsible=self._read(self._read_areas, row.cells, "responsible", where, ref),
                due=self._read(read_due, cells, "due", where, ref),
                expected_results=cells.get("expected_results", ""),
                deliverable=listed(row.cells.get("deliverable", "")),
                progress=self._read(read_progress, cells, "progress", where, ref),
                proof=cells.get("proof", ""),
                observations=cells.get("observations", ""),
            )
        except AnnexRejected as error:
            raise AnnexRejected(
                gettext_noop("{where}: {error}"), where=where, error=error
            ) from None

    def _read(
        self,
        reader: Callable[[str, Reading], T],
        cells: dict[str, str],
        key: str,
        where: str,
        ref: CellRef,
    ) -> T:
        reading = Reading()
        value = reader(cells.get(key, ""), reading)
        if reading.doubts:  # most cells leave none: their place is spelled out for a doubt
            self._record(
                reading, f"{where} · {self.column_names.get(key, key)}", replace(ref, field=key)
            )
        return value

    def _record(self, reading: Reading, where: str, ref: CellRef) -> None:
        """The reading's doubts as findings, each pointing at the value it concerns."""
        for doubt in reading.doubts:
            cell = replace(ref, field=doubt.field or ref.field, subject=doubt.subject)
            self.findings.append(Finding(doubt.kind, where, doubt.text, cell))


def listed(text: str) -> str:
    """A cell's text on one line, entries a blank line parted joined with ' / ': 'Informe
    final⏎⏎Minuta' lists two products, and stays two once the text is one line."""
    parts = [squash(part) for part in BLANK_LINE.split(text)]
    return " / ".join(part for part in parts if part)


class AnnexReader:
    """What every parser keeps while it walks a file: the builder, once a header row says
    which annex it is, and what sits around the tables — the title block, cycle headings
    waiting for their table, the footnote, the preparation date — with any finding seen
    before the header."""

    def __init__(
        self,
        catalogue: AreaCatalogue | CatalogueFor | None,
        findings: Iterable[Finding] = (),
        *,
        progress: Progress | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.progress = progress
        self.reading = Stage(progress, READING)
        self.builder: AnnexBuilder | None = None
        self.header: HeaderMatch | None = None
        self.early_findings: list[Finding] = list(findings)
        self.preamble: list[str] = []
        self.pending_headings: list[tuple[str, str]] = []
        self.footnote = ""
        self.prepared: PartialDate | None = None
        self.prepared_seen = False
        self.signatories: list[Signatory] = []
        # Lines below the table that may be signatures side by side: (text, where) of each.
        self.side_by_side: SideBySide[tuple[str, str]] = SideBySide()

    def advance(self, done: int, total: int) -> None:
        """Tell how far the walk over the file has come, in the parser's own units."""
        self.reading.advance(done, total)

    def start(self, annex: AnnexFormat) -> AnnexBuilder:
        self.builder = AnnexBuilder(annex, self.catalogue, progress=self.progress)
        self.builder.findings.extend(self.early_findings)
        return self.builder

    def start_with(self, header: HeaderMatch, where: str) -> AnnexBuilder:
        """Start from a header read by name: renamed, unknown or moved columns are findings."""
        named = next(filter(None, map(format_named_by, self.preamble)), None)
        if not header.exact and named is not None and named is not header.annex:
            # Read by name the columns fit another annex than the one the file says it is.
            raise AnnexRejected(wrong_columns_message(list(header.written), where))
        self.header = header
        builder = self.start(header.annex)
        for text in header.differences():
            builder.note("column_mapping", where, text)
        return builder

    def note(self, kind: str, where: str, text: str) -> None:
        if self.builder is not None:
            self.builder.note(kind, where, text)
        else:
            self.early_findings.append(Finding(kind, where, text))

    def open_pending_sections(self) -> None:
        """The cycle headings read before this table start their sections now."""
        assert self.builder is not None
        for heading, heading_where in self.pending_headings:
            self.builder.start_section(heading, heading_where)
        self.pending_headings.clear()

    def finish(self, *, container: str = "", unfinished: str = "") -> AnnexDocument:
        """The document, or why the file holds none: no table, a heading left without one.

        `container` says where the table was looked for (' en el libro'); `unfinished` what
        a heading without its table suggests ('; el archivo parece truncado').
        """
        if self.builder is None:
            raise AnnexRejected(
                gettext_noop(
                    "No se encontró la tabla del anexo{container}: falta la fila "
                    "de encabezado con las columnas «No.», «Aspecto Susceptible "
                    "de Mejora», «Actividades»…"
                ),
                container=container,
            )
        if self.pending_headings:
            heading, where = self.pending_headings[0]
            raise AnnexRejected(
                gettext_noop("{where}: el encabezado «{heading}» no tiene tabla{unfinished}."),
                where=where,
                heading=heading,
                unfinished=unfinished,
            )
        if not self.prepared_seen:
            self.builder.note(
                "prepared_missing", "documento", "El documento no dice su «Fecha de Elaboración»."
            )
        preamble = split_preamble(self.preamble)
        return self.builder.build(
            title=preamble.title,
            institution=preamble.institution,
            program=preamble.program,
            annex_line=preamble.annex_line,
            prepared=self.prepared,
            footnote=self.footnote,
            program_key=preamble.program_key,
            signatories=tuple(self.signatories),
        )

    def read_signatory(self, line: str) -> bool:
        """Whether the line below the table names a signatory; kept when it does."""
        if self.builder is None:
            return False
        signatory = read_signatory_line(line)
        if signatory is not None:
            self.signatories.append(signatory)
        return signatory is not None

    def offer_signature_line(self, text: str, line: Line, where: str) -> bool:
        """Whether a line below the table goes into a block of signatures side by side, laid
        out as `line`; kept there until the block ends. A blank line is an empty `line`."""
        if self.builder is None:
            return False
        squashed = squash(text)
        if squashed and (
            PREPARED_LINE.match(squashed) is not None
            or squashed.startswith(FOOTNOTE_MARKER)
            or read_cycle_heading(squashed) is not None
            or (len(line) < 2 and read_signatory_line(squashed) is not None)
        ):
            return False
        return self.side_by_side.offer(line, (text, where))

    def end_signatures(
        self,
        otherwise: Callable[[str, str], None],
        arrange: Callable[[list[str]], list[Line]] | None = None,
    ) -> None:
        """Read the block of lines kept, if any: its signatories, or else each line handed to
        `otherwise` (text, where) as if never kept. `arrange` lays the lines out anew once
        the whole block is known."""
        lines, kept = self.side_by_side.take()
        if not kept:
            return
        if arrange is not None:
            lines = arrange([text for text, _ in kept])
        if not self.take_signatures(lines, kept[0][1]):
            for text, where in kept:
                otherwise(text, where)

    def take_signatures(self, lines: list[Line], where: str) -> bool:
        """Whether the lines are signatures side by side; their signatories kept when so, a
        role only their place gave told as a finding."""
        reading = read_signatures(lines)
        if reading is None:
            return False
        self.signatories.extend(reading.signatories)
        for signatory in reading.guessed:
            self.note("signatory_role_guessed", where, guessed_role_text(signatory))
        return True

    def read_prepared(self, text: str, where: str) -> None:
        self.prepared_seen = True
        self.prepared = read_date(text).date
        if self.prepared is None:
            self.note(
                "date_not_understood", where, f"No se entendió la fecha de elaboración «{text}»."
            )


PREPARED_LINE = re.compile(r"^\s*fecha\s+de\s+elaboraci[oó]n\s*:\s*(?P<date>.*)$", re.I)


@dataclass(frozen=True)
class Preamble:
    """What the lines before the table say: the title, the institution, the program (and its
    key) and the 'Anexo …' line."""

    title: str
    institution: str
    program: str
    annex_line: str
    program_key: str = ""


def split_preamble(lines: list[str]) -> Preamble:
    """Title (one or more lines), institution, program and the 'Anexo …' line before a table.

    The institution and the program are the two lines before the annex line, as in the seed,
    or lines labelled 'Nombre de la Dependencia/Entidad: …' and 'Nombre del programa: …'
    anywhere in the block, as state filings write them.
    """
    labelled: dict[str, str] = {}
    rest: list[str] = []
    for line in lines:
        header = read_header_line(line)
        if header is not None and header[0] not in labelled:
            labelled[header[0]] = header[1]
        else:
            rest.append(line)
    annex_index = next((i for i, line in enumerate(rest) if fold(line).startswith("anexo")), None)
    unlabelled = [kind for kind in ("institution", "program") if kind not in labelled]
    if annex_index is None or annex_index < len(unlabelled) + (0 if labelled else 1):
        raise AnnexRejected(
            gettext_noop(
                "Falta el encabezado del anexo: antes de la tabla deben ir "
                "el título, la dependencia, el programa y la línea «Anexo …»."
            )
        )
    before = rest[:annex_index]
    for kind in reversed(unlabelled):
        labelled[kind] = before.pop()
    key, program = split_program(labelled["program"])
    return Preamble(" ".join(before), labelled["institution"], program, rest[annex_index], key)


def wrong_columns_message(cells: list[str], where: str) -> Message:
    """Which annex kind the header resembles, and what it lacks or has too many of."""
    found = {heading_key(c) for c in cells if c.strip()}
    # Compared with the kind it comes closest to: most of its columns there, fewest missing.
    expected = max(
        FORMATS.values(),
        key=lambda f: (
            sum(1 for h in f.headings() if heading_key(h) in found),
            -sum(1 for h in f.headings() if heading_key(h) not in found),
        ),
    )
    missing = [
        h.rstrip(f" {FOOTNOTE_MARKER}") for h in expected.headings() if heading_key(h) not in found
    ]
    known = {heading_key(h) for h in expected.headings()}
    extra = [c.strip() for c in cells if c.strip() and heading_key(c) not in known]
    parts = [
        Message(
            gettext_noop("{where}: las columnas no son las del {annex}."),
            {"where": where, "annex": expected.annex_line},
        )
    ]
    if missing:
        names = ", ".join(f"«{m}»" for m in missing)
        parts.append(Message(gettext_noop("Faltan: {names}."), {"names": names}))
    if extra:
        names = ", ".join(f"«{e}»" for e in extra)
        parts.append(Message(gettext_noop("Sobran: {names}."), {"names": names}))
    if not missing and not extra:
        parts.append(Message(gettext_noop("Están en otro orden.")))
    return joined(parts)
