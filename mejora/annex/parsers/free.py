"""The free format of interinstitutional ASM: one block of labelled fields per ASM.

Agencies file the ASM they share with other institutions not as a table but as blocks:

    Aspecto No. 1.
    Aspecto Susceptible de Mejora: …
    Acción a emprender: …
    Área coordinadora: …
    Áreas e instituciones responsables: … (areas of other institutions among them)
    Fecha de término: …
    Resultados esperados: …
    Productos y/o evidencias: …

under a cycle heading ('ASPECTOS INTERINSTITUCIONALES 2021-2022 (Mecanismo 2022)', or
INTERGUBERNAMENTALES), after the institution and the program, and closed by the
'Fecha de Elaboración'. A label that comes again within a block starts the ASM's next
activity; a line without a label continues the field before it. A missing label is a finding
with where the block is; text after 'Aspecto No. N.' without its label is read as the ASM.
With 'Porcentaje de avance' in a block, the document is the progress at a cut.

The signatories follow the last block, in the one-line form ('Responsable del programa: Nombre,
Cargo') or side by side, as text lines in columns (mejora.annex.signatures). A line in columns
within a field, which may go on in the next line, opens signatures only when it shows itself
one (signature lines, roles, names after an honorific); lines in columns followed by a field
were not the signatures after the last block, and are read as any other lines.

The same reading serves text, Word and PDF: each gives its paragraphs, one per line, and the
blocks are read from those. The cells are then read exactly as the table formats read them
(`AnnexBuilder`): dates, areas against the catalogue, progress.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mejora.annex.areas import AreaCatalogue
from mejora.annex.document import AnnexDocument, AnnexRejected, Finding, Signatory
from mejora.annex.formats import (
    FOOTNOTE_MARKER,
    FORMATS,
    INSTITUTION_LABEL,
    PROGRAM_LABEL,
    AnnexFormat,
    read_cycle_heading,
    read_header_line,
    read_signatory_line,
    split_program,
)
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import Text, gettext_noop
from mejora.annex.parsers.encoding import NOT_XML_IN_LINES, check_text, decode
from mejora.annex.parsers.rows import PREPARED_LINE, AnnexBuilder, CatalogueFor, RawRow
from mejora.annex.progress import Progress
from mejora.annex.signatures import (
    SideBySide,
    guessed_role_text,
    laid_out,
    read_signatures,
    shows_signatures,
    tabbed_lines,
)
from mejora.annex.words import fold, squash

FREE_ANNEX_LINE = "Formato libre. Aspectos Susceptibles de Mejora interinstitucionales"
FREE_TITLE = (
    "SEGUIMIENTO A ASPECTOS SUSCEPTIBLES DE MEJORA CLASIFICADOS COMO INTERINSTITUCIONALES E "
    "INTERGUBERNAMENTALES, DERIVADOS DE INFORMES Y EVALUACIONES EXTERNAS"
)
# The classes of ASM the free format holds: shared with other institutions or governments.
FREE_CLASSIFICATIONS = ("interinstitucional", "intergubernamental")
FREE_FORMATS = ("txt", "docx", "pdf")


@dataclass(frozen=True)
class Label:
    key: str
    written: str  # as the format issues it
    spellings: tuple[str, ...]  # folded, as filings write it


LABELS = (
    Label("aspect", "Aspecto Susceptible de Mejora", ("aspecto susceptible de mejora", "asm")),
    Label(
        "activity",
        "Acción a emprender",
        (
            "accion a emprender",
            "acciones a emprender",
            "accion",
            "acciones",
            "actividad",
            "actividades",
        ),
    ),
    Label(
        "coordinating",
        "Área coordinadora",
        (
            "area coordinadora",
            "areas coordinadoras",
            "institucion coordinadora",
            "dependencia coordinadora",
            "coordinadora",
        ),
    ),
    Label(
        "responsible",
        "Áreas e instituciones responsables",
        (
            "areas e instituciones responsables",
            "area responsable",
            "areas responsables",
            "areas e instituciones involucradas",
            "areas e instituciones participantes",
            "areas involucradas",
            "unidades responsables",
            "responsables",
        ),
    ),
    # The other institutions, when a block names them apart from the areas: kept in the same
    # cell, one per line after the areas, as 'Áreas e instituciones responsables' holds them.
    Label(
        "institutions",
        "Instituciones involucradas",
        (
            "instituciones involucradas",
            "instituciones participantes",
            "dependencias participantes",
            "dependencias involucradas",
            "dependencias y entidades participantes",
            "otras instituciones",
        ),
    ),
    Label(
        "due",
        "Fecha de término",
        (
            "fecha de termino",
            "fecha termino",
            "fecha compromiso",
            "fecha de compromiso",
            "fecha de cumplimiento",
        ),
    ),
    Label(
        "expected_results", "Resultados esperados", ("resultados esperados", "resultado esperado")
    ),
    Label(
        "deliverable",
        "Productos y/o evidencias",
        (
            "productos y/o evidencias",
            "producto y/o evidencia",
            "productos y evidencias",
            "productos",
            "producto",
            "evidencias",
            "evidencia",
        ),
    ),
    Label(
        "progress",
        "Porcentaje de avance y justificación",
        (
            "porcentaje de avance y justificacion",
            "porcentaje de avance",
            "% de avance",
            "% avance",
            "avance",
        ),
    ),
    Label(
        "proof",
        "Identificación del documento probatorio",
        ("identificacion del documento probatorio", "documento probatorio"),
    ),
    Label("observations", "Observaciones", ("observaciones",)),
)
_BY_SPELLING = {spelling: label for label in LABELS for spelling in label.spellings}
LABEL_OF = {label.key: label for label in LABELS}
# What every activity of a block should say; the progress ones only in a progress document.
_EXPECTED = ("activity", "coordinating", "responsible", "due", "expected_results", "deliverable")
_PROGRESS_KEYS = ("progress", "proof", "observations")

# 'Aspecto No. 1.', 'ASM núm. 2', 'Aspecto Susceptible de Mejora No. 3: its text'.
ASPECT_NUMBER = re.compile(
    r"^\s*(?:aspecto(?P<named>\s+susceptible\s+de\s+mejora)?|asm)\s+"
    r"(?:no|n[uú]m(?:ero)?|nro|n[°º])\s*\.?\s*"
    r"(?P<number>\d+(?:\.\d+)*)\s*(?P<colon>[.:])?(?:\s*(?P<rest>\S.*))?$",
    re.I,
)
_LABELLED = re.compile(r"^\s*(?P<label>[^:]{1,60}?)\s*:\s*(?P<value>.*)$", re.S)
# What filings put around a label: 'a) Acción a emprender 1:' is 'Acción a emprender'.
_ENUMERATOR = re.compile(r"^(?:[a-z]|\d{1,2})[.)]\s+")
_LABEL_NUMBER = re.compile(r"\s*(?:no\.?\s*)?\d{1,2}[.)]?$")


def number_line(number: str) -> str:
    return f"Aspecto No. {number}."


def labelled(line: str) -> tuple[str, str] | None:
    """'Fecha de término: Diciembre 2022' → ('due', 'Diciembre 2022'), for a known label."""
    match = _LABELLED.match(line)
    if match is None:
        return None
    key = _LABEL_NUMBER.sub("", _ENUMERATOR.sub("", fold(match["label"])))
    label = _BY_SPELLING.get(key)
    return (label.key, match["value"].strip()) if label is not None else None


def looks_free(lines: Iterable[str]) -> bool:
    """Whether the text holds ASM blocks: an 'Aspecto No. N.' line and a labelled field."""
    numbered = labels = False
    for line in lines:
        numbered = numbered or ASPECT_NUMBER.match(line) is not None
        labels = labels or labelled(line) is not None
        if numbered and labels:
            return True
    return False


def free_annex(progress: bool) -> AnnexFormat:
    """The table annex whose cells a free-format document holds: the institutional commitments,
    or their progress at a cut."""
    return next(
        f
        for f in FORMATS.values()
        if f.classification == "institucional"
        and f.has_progress == progress
        and any(c.key == "coordinating" for c in f.columns)
    )


_SNIFFED_BYTES = 256 * 1024


def first_page_text(data: bytes, file_format: str, limits: ReadingLimits) -> str:
    """The text at the start of a file, cheaply: a text's first page (to its first form feed,
    within its first bytes), a PDF's first page by pypdf, the start of a Word document's body
    with its tags dropped (up to its first page break). Enough to tell what a file is before
    its reader is chosen; '' when it cannot be had."""
    try:
        match file_format:
            case "txt":
                head = data[:_SNIFFED_BYTES]
                if len(data) > _SNIFFED_BYTES:
                    head = head.rsplit(b"\n", 1)[0]  # never inside a character
                text, _ = decode(head, limits, NOT_XML_IN_LINES)
                return text.split("\f", 1)[0]
            case "pdf":
                return _first_pdf_page(data)
            case "docx":
                return _first_docx_page(data)
    except Exception:  # not this format at all: its reader says why
        return ""
    return ""


def _first_pdf_page(data: bytes) -> str:
    if b"%PDF-" not in data[:1024]:
        return ""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted or not reader.pages:
        return ""
    return reader.pages[0].extract_text() or ""


def _first_docx_page(data: bytes) -> str:
    import zipfile

    with (
        zipfile.ZipFile(io.BytesIO(data)) as package,
        package.open("word/document.xml") as part,
    ):
        xml = part.read(_SNIFFED_BYTES).decode("utf-8", "replace")
    xml = xml.split('w:type="page"', 1)[0]
    # Each paragraph (a table cell's too) a line; runs joined as Word shows them.
    return re.sub(r"<[^>]+>", "", re.sub(r"</w:p>", "\n", xml))


def is_free_file(
    data: bytes, file_format: str, limits: ReadingLimits = DEFAULT_LIMITS, *, first: str = ""
) -> bool:
    """Whether a text, Word or PDF file holds the free format rather than a table annex: ASM
    blocks on its first page, and no tab-separated rows. `first` is that page's text when the
    caller has it already."""
    if file_format not in FREE_FORMATS:
        return False
    first = first or first_page_text(data, file_format, limits)
    return "\t" not in first and looks_free(first.splitlines())


# --- reading -------------------------------------------------------------------------------


def parse_free(
    data: bytes,
    file_format: str,
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read the free format from a text, Word or PDF file."""
    del progress  # a free-format filing is a few pages: read at once
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    findings: list[Finding] = []
    match file_format:
        case "txt":
            text, findings = decode(data, limits, NOT_XML_IN_LINES)
            lines = [
                (line, Text(gettext_noop("línea {n}"), n=n))
                for n, line in enumerate(text.splitlines(), start=1)
            ]
        case "docx":
            lines = docx_paragraphs(data, limits)
        case "pdf":
            lines = [
                (line, Text(gettext_noop("página {page}"), page=page))
                for page, paragraphs in enumerate(pdf_paragraphs(data, limits), start=1)
                for line in paragraphs
            ]
        case _:
            raise AnnexRejected(
                gettext_noop("El formato libre se lee de {formats}, no de «{file_format}»."),
                formats=", ".join(FREE_FORMATS),
                file_format=file_format,
            )
    return read_free_lines(lines, catalogue=catalogue, limits=limits, findings=findings)


def read_free_lines(
    lines: list[tuple[str, str]],
    *,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
    findings: Iterable[Finding] = (),
) -> AnnexDocument:
    """The document the lines (each with where it was seen) hold in the free format."""
    if len(lines) > limits.rows:
        raise over_limit(gettext_noop("filas (líneas del texto)"), limits.rows)
    reader = _FreeReader(list(findings))
    for text, where in lines:
        check_text(text, limits, NOT_XML_IN_LINES)
        reader.line(text.rstrip(), where)
    reader.end_signatures()
    return reader.document(catalogue)


@dataclass
class _Block:
    number: str
    where: str
    aspect: str = ""
    aspect_labelled: bool = False
    activities: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Section:
    heading: str
    where: str
    blocks: list[_Block] = field(default_factory=list)


class _FreeReader:
    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.preamble: list[str] = []
        self.institution = self.program = self.program_key = ""
        self.signatories: list[Signatory] = []
        self.sections: list[_Section] = []
        self.field: tuple[dict[str, str], str] | None = None  # where a continuation goes
        self.footnote = ""
        self.prepared_text: tuple[str, str] | None = None
        self.progress = False
        # Lines that may be signatures side by side, as written and where, until the block ends.
        self.side_by_side: SideBySide[tuple[str, str]] = SideBySide()

    def note(self, kind: str, where: str, text: str) -> None:
        self.findings.append(Finding(kind, where, text))

    def line(self, line: str, where: str) -> None:
        if self.sections and self._signature_line(line, where):
            return
        self.end_signatures(among_blocks=self._opens_field(line))
        self._line(line, where)

    def _signature_line(self, line: str, where: str) -> bool:
        """Whether the line goes into a block of signatures side by side, kept there until the
        block ends; a blank line within one is the room to sign."""
        if not line.strip():
            return self.side_by_side.offer([])
        if self._opens_field(line) or _closes(line):
            return False
        # Tabs or a run of spaces part columns here: a doubled space is a slip in a sentence.
        pieces = tabbed_lines([line])[0]
        if len(pieces) < 2 and read_signatory_line(line) is not None:
            return False  # the one-line form, read on its own
        if (
            not self.side_by_side.lines
            and self.field is not None
            and not shows_signatures([pieces])
        ):
            return False  # more of the field, written in columns
        return self.side_by_side.offer(pieces, (line, where))

    def end_signatures(self, *, among_blocks: bool = False) -> None:
        """Read the block of lines kept: its signatories, or else each line as it would have
        been read; a block a field follows lies among the ASM blocks and holds no signatures."""
        _, kept = self.side_by_side.take()
        if not kept:
            return
        reading = None if among_blocks else read_signatures(laid_out([t for t, _ in kept]))
        if reading is None:
            for text, where in kept:
                self._line(text, where)
            return
        self.signatories.extend(reading.signatories)
        self.field = None
        for signatory in reading.guessed:
            self.note("signatory_role_guessed", kept[0][1], guessed_role_text(signatory))

    def _opens_field(self, line: str) -> bool:
        """Whether the line opens an ASM block, a field of one, or a cycle's blocks."""
        return (
            ASPECT_NUMBER.match(line) is not None
            or labelled(line) is not None
            or read_cycle_heading(line) is not None
        )

    def _line(self, line: str, where: str) -> None:
        if not line.strip():
            return
        if self.prepared_text is not None:
            if (signatory := read_signatory_line(line)) is not None:
                self.signatories.append(signatory)  # some sign below the date
                return
            self.note(
                "ignored_line", where, f"Texto después de la fecha, no se leyó: «{line[:60]}»."
            )
        elif (prepared := PREPARED_LINE.match(line)) is not None:
            self.prepared_text = (prepared["date"], where)
            self.field = None
        elif read_cycle_heading(line) is not None:
            self.sections.append(_Section(squash(line), where))
            self.field = None
        elif line.lstrip().startswith(FOOTNOTE_MARKER):
            self.footnote = squash(line)
            self.field = None
        elif (number := ASPECT_NUMBER.match(line)) is not None:
            rest = (number["rest"] or "").strip()
            if number["named"] and number["colon"] == ":" and rest:
                # 'Aspecto Susceptible de Mejora No. 3: …' gives its number and its text.
                rest = f"{LABEL_OF['aspect'].written}: {rest}"
            self._start_block(number["number"], rest, where)
        elif not self.sections:
            self._preamble(line, where)
        elif (pair := labelled(line)) is not None:
            self._field(*pair, where)
        elif (signatory := read_signatory_line(line)) is not None:
            self.signatories.append(signatory)
            self.field = None
        elif self.field is not None:
            cells, key = self.field
            cells[key] = f"{cells[key]}\n{line.strip()}" if cells[key] else line.strip()
        else:
            self.note(
                "ignored_line", where, f"Texto fuera de un aspecto, no se leyó: «{line[:60]}»."
            )

    def _preamble(self, line: str, where: str) -> None:
        header = read_header_line(line)
        if header is not None and header[0] == "institution" and not self.institution:
            self.institution = header[1]
        elif header is not None and header[0] == "program" and not self.program:
            self.program_key, self.program = split_program(header[1])
        else:
            self.preamble.append(squash(line))

    def _start_block(self, number: str, rest: str, where: str) -> None:
        if not self.sections:
            raise AnnexRejected(
                gettext_noop(
                    "{where}: el «Aspecto No. {number}» está antes del "
                    "encabezado de ciclo, p. ej. «ASPECTOS INTERINSTITUCIONALES "
                    "2021-2022 (Mecanismo 2022)»."
                ),
                where=where,
                number=number,
            )
        block = _Block(number, where)
        self.sections[-1].blocks.append(block)
        pair = labelled(rest) if rest else None
        self.field = None
        if pair is not None:
            self._field(*pair, where)
        elif rest:
            # 'Aspecto No. 1. Mejorar…': the text is the ASM's, its label left out.
            block.aspect = rest
            self.field = (_AspectCells(block), "aspect")

    def _field(self, key: str, value: str, where: str) -> None:
        block = self._block(where)
        if key == "aspect":
            block.aspect = f"{block.aspect}\n{value}".strip() if block.aspect else value
            block.aspect_labelled = True
            self.field = (_AspectCells(block), "aspect")
            return
        if key in _PROGRESS_KEYS:
            self.progress = True
        cells = block.activities[-1] if block.activities else None
        if key in ("responsible", "institutions"):
            # The areas and the institutions, under two labels, are one cell of one activity.
            if cells is not None and "responsible" in cells and key not in cells["__said"]:
                before = cells["responsible"]
                cells["responsible"] = f"{before}\n{value}" if before else value
                cells["__said"] += f" {key}"
                self.field = (cells, "responsible")
                return
            said, key = key, "responsible"
        else:
            said = ""
        if cells is None or key in cells:
            cells = {"__where": where, "__said": ""}
            block.activities.append(cells)
        cells[key] = value
        cells["__said"] += f" {said}"
        self.field = (cells, key)

    def _block(self, where: str) -> _Block:
        if not self.sections or not self.sections[-1].blocks:
            raise AnnexRejected(
                gettext_noop("{where}: hay un campo antes del primer «Aspecto No. 1.»."),
                where=where,
            )
        return self.sections[-1].blocks[-1]

    def document(self, catalogue: AreaCatalogue | CatalogueFor | None) -> AnnexDocument:
        if not self.sections:
            raise AnnexRejected(
                gettext_noop(
                    "No se encontró ningún encabezado de ciclo, p. ej. «ASPECTOS "
                    "INTERINSTITUCIONALES 2021-2022 (Mecanismo 2022)», ni los "
                    "aspectos bajo él."
                )
            )
        self._unlabelled_header()
        if not self.institution or not self.program:
            missing = INSTITUTION_LABEL if not self.institution else PROGRAM_LABEL
            raise AnnexRejected(
                gettext_noop("Falta la línea «{missing}: …» antes de los aspectos."),
                missing=missing,
            )
        builder = AnnexBuilder(free_annex(self.progress), catalogue)
        builder.findings.extend(self.findings)
        for section in self.sections:
            builder.start_section(section.heading, section.where)
            for block in section.blocks:
                self._missing_labels(builder, section, block)
                rows = [dict(cells) for cells in block.activities] or [{}]
                for position, cells in enumerate(rows):
                    where = cells.pop("__where", block.where)
                    cells.pop("__said", None)
                    if position == 0:
                        cells |= {"number": block.number, "aspect": block.aspect}
                    builder.add_row(RawRow(cells, where), after_page_break=False)
        if self.prepared_text is None:
            builder.note(
                "prepared_missing", "documento", "El documento no dice su «Fecha de Elaboración»."
            )
            prepared = None
        else:
            from mejora.annex.dates import read_date

            text, where = self.prepared_text
            prepared = read_date(text).date
            if prepared is None:
                builder.note(
                    "date_not_understood",
                    where,
                    f"No se entendió la fecha de elaboración «{text}».",
                )
        annex_line = next((line for line in self.preamble if _is_annex_line(line)), "")
        title = " ".join(line for line in self.preamble if line != annex_line)
        return builder.build(
            title=title,
            institution=self.institution,
            program=self.program,
            annex_line=annex_line,
            prepared=prepared,
            footnote=self.footnote,
            program_key=self.program_key,
            signatories=tuple(self.signatories),
        )

    def _unlabelled_header(self) -> None:
        """The institution and the program as the seed writes them, unlabelled: the two lines
        before the annex line, after the title."""
        index = next((i for i, line in enumerate(self.preamble) if _is_annex_line(line)), None)
        if self.institution or self.program or index is None or index < 3:
            return
        self.institution = self.preamble[index - 2]
        self.program_key, self.program = split_program(self.preamble[index - 1])
        del self.preamble[index - 2 : index]

    def _missing_labels(self, builder: AnnexBuilder, section: _Section, block: _Block) -> None:
        year = read_cycle_heading(section.heading).mechanism_year  # type: ignore[union-attr]
        where = f"{block.where} · ASM {year}/{block.number}"
        if not block.aspect_labelled:
            said = (
                "se leyó el texto que sigue al número" if block.aspect else "el ASM no tiene texto"
            )
            builder.note(
                "label_missing",
                where,
                f"Falta la etiqueta «{LABEL_OF['aspect'].written}:»; {said}.",
            )
        expected = _EXPECTED + (("progress",) if self.progress else ())
        if not block.activities:
            builder.note("label_missing", where, "El aspecto no tiene «Acción a emprender:».")
            return
        for order, cells in enumerate(block.activities, start=1):
            missing = [LABEL_OF[key].written for key in expected if key not in cells]
            if missing:
                builder.note(
                    "label_missing",
                    f"{where} · actividad {order}",
                    "Falta: " + ", ".join(f"«{m}:»" for m in missing) + "; se dejó vacío.",
                )


class _AspectCells(dict):
    """The ASM's text as a cell a continuation line can extend."""

    def __init__(self, block: _Block) -> None:
        super().__init__(aspect=block.aspect)
        self.block = block

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key, value)
        self.block.aspect = value


def _closes(line: str) -> bool:
    """Whether the line is the footnote or the date that close the blocks."""
    return line.lstrip().startswith(FOOTNOTE_MARKER) or PREPARED_LINE.match(line) is not None


def is_free_title(line: str) -> bool:
    """'Formato libre. Aspectos Susceptibles de Mejora interinstitucionales' and the like."""
    return fold(line).startswith("formato libre")


def _is_annex_line(line: str) -> bool:
    return is_free_title(line) or re.match(r"^anexo\b", fold(line)) is not None


# --- the paragraphs of a Word document and of a PDF -----------------------------------------

_NOT_DOCX = "El archivo no es un documento de Word (DOCX) válido."


def docx_paragraphs(data: bytes, limits: ReadingLimits) -> list[tuple[str, str]]:
    """The body's paragraphs in order, each line break a line of its own; a table row of a
    label and its value ('Acción a emprender:' | '…') is read as 'label: value'."""
    document = open_docx(data, limits)
    return [
        (line, Text(gettext_noop("párrafo {number}"), number=number))
        for number, block in enumerate(document.iter_inner_content(), start=1)
        for line in block_lines(block)
    ]


def open_docx(data: bytes, limits: ReadingLimits):
    """The Word document, its inflated size checked against the limits first."""
    import zipfile

    from docx import Document

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            size = sum(member.file_size for member in package.infolist())
        if size > limits.inflated_total_bytes:
            raise over_limit(gettext_noop("bytes descomprimidos"), limits.inflated_total_bytes)
        return Document(io.BytesIO(data))
    except AnnexRejected:
        raise
    except Exception:
        raise AnnexRejected(_NOT_DOCX) from None


def block_lines(block) -> list[str]:
    """A paragraph's lines, or a table's rows: 'label: value' for a row of a label and more."""
    from docx.table import Table

    if not isinstance(block, Table):
        return block.text.split("\n")
    lines = []
    for row in block.rows:
        texts = [cell.text.strip() for cell in row.cells]
        texts = [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]]  # merged cells
        if len(texts) >= 2 and texts[0]:
            lines.append(f"{texts[0].rstrip(' :')}: {' '.join(texts[1:])}")
        elif texts and texts[0]:
            lines += texts[0].split("\n")
    return lines


_PAGE_FOOTER = re.compile(r"^pagina\s+\d+\s+de\s+\d+$")
# A gap between printed lines wider than this share of the text's height starts a paragraph.
_PARAGRAPH_GAP = 0.45


def pdf_paragraphs(data: bytes, limits: ReadingLimits, *, join: bool = True) -> list[list[str]]:
    """Each page's paragraphs: the lines a paragraph wraps over joined with a space, a wider
    gap between lines starting the next; the page footer 'Página X de Y' left out. Without
    `join`, each printed line as it is."""
    from mejora.annex.parsers import pdf_guard

    pages: list[list[str]] = []
    with pdf_guard.open_pdf(data, limits) as (pdf, account, count):
        if not count:
            raise AnnexRejected(gettext_noop("El PDF no tiene páginas."))
        for page in pdf_guard.pages(pdf, account):
            try:
                printed = page.extract_text_lines(strip=True, return_chars=False)
            except AnnexRejected:
                raise
            except Exception:
                account.check()
                raise pdf_guard.damaged(
                    gettext_noop("la página {page_number} no se puede leer"),
                    page_number=page.page_number,
                ) from None
            account.check()
            pages.append(_paragraphs(printed, join))
    return pages


def _paragraphs(printed: list[dict], join: bool) -> list[str]:
    paragraphs: list[str] = []
    previous = None
    for line in printed:
        text = line["text"].strip()
        if not text or _PAGE_FOOTER.match(fold(text)):
            continue
        height = line["bottom"] - line["top"]
        gap = line["top"] - previous["bottom"] if previous is not None else None
        if join and gap is not None and gap < _PARAGRAPH_GAP * height and not _opens(text):
            paragraphs[-1] = f"{paragraphs[-1]} {text}"
        else:
            paragraphs.append(text)
        previous = line
    return paragraphs


def _opens(line: str) -> bool:
    """Whether a printed line starts a field of its own, however close it sits to the line
    above (a Word document typed without space between paragraphs)."""
    return (
        ASPECT_NUMBER.match(line) is not None
        or labelled(line) is not None
        or read_cycle_heading(line) is not None
        or PREPARED_LINE.match(line) is not None
        or read_header_line(line) is not None
        or read_signatory_line(line) is not None
        or _is_annex_line(line)
    )
