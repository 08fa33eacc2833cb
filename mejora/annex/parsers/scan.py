"""Reading a scanned annex: a PDF with no text layer, or an image (PNG, JPEG, TIFF), by OCR.

`ocr` turns each page into its text lines and the cells of its ruled tables; this reader walks
them as a sheet's rows (`SheetReader`): lines are one-cell rows (title block, cycle headings,
footnote, preparation date), table rows are rows of cells, so every cell is read exactly as in
the other formats. A row that a page break cut goes on atop the next page and is joined to
it (the rows logic; here also when the break cut an area's name, whose cell then runs to the
bottom of the page before), and an ASM text that went on past the page is joined to its start.

Every cell Tesseract was unsure of is a finding that says where the cell is on its page
(`recuadro x0,y0,x1,y1`, in the pixels of the upright page), so the review page can show the
image of the cell beside its reading (`scan_place`, `cell_image`).
"""

from __future__ import annotations

import difflib
import io
import re
import statistics
from dataclasses import dataclass
from functools import cache

from mejora.annex.areas import AreaCatalogue
from mejora.annex.cells import Reading, read_due, read_progress
from mejora.annex.document import AnnexDocument, AnnexRejected, CellRef, Finding
from mejora.annex.formats import FOOTNOTE_MARKER, FORMATS
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits
from mejora.annex.messages import Text, gettext_noop
from mejora.annex.parsers import ocr
from mejora.annex.parsers.rows import CatalogueFor, RawRow
from mejora.annex.parsers.sheet import SheetReader
from mejora.annex.progress import Progress
from mejora.annex.words import fold, squash

OCR_DOUBT = "ocr_doubt"
# A cell read with a word Tesseract was less sure of than this (0–100) is a finding.
DOUBT_BELOW = ocr.LOW_CONFIDENCE
_PAGE_FOOTER = re.compile(r"^pagina\s+\d+\s+de\s+\d+$")
# The columns whose doubtful reading a person may correct on the review page, and the value
# each gives (mejora.annex.corrections).
_CORRECTABLE = {
    "due": "due",
    "progress": "percent",
    "activity": "text",
    "expected_results": "expected_results",
    "deliverable": "deliverable",
    "proof": "proof",
    "observations": "observations",
}
_ASPECT = ("number", "aspect")
_ASM_NUMBER = re.compile(r"\d{1,4}(?:\.\d{1,3})*\.?")
_NOT_LETTERS = re.compile(r"[^\w]+")
_FOOTNOTE = re.compile(r"^[1¹*]\s*(?P<text>[^\W\d].*)$")
# How close a misread heading must be to the heading it is taken for (difflib's ratio).
_HEADING_LIKENESS = 0.8
_PLACE = re.compile(
    r"página (?P<page>\d+), recuadro (?P<box>\d+,\d+,\d+,\d+) "
    r"\(giro (?P<rotation>\d+)°, (?P<skew>[+-]\d+\.\d)°\)"
)


def parse_scan(
    data: bytes,
    *,
    image: bool,
    catalogue: AreaCatalogue | CatalogueFor | None = None,
    progress: Progress | None = None,
    limits: ReadingLimits = DEFAULT_LIMITS,
) -> AnnexDocument:
    """Read a scanned annex: an image file when `image`, else a PDF whose pages are scans."""
    if not data.strip():
        raise AnnexRejected(gettext_noop("El archivo está vacío."))
    ocr.require_tesseract()
    pages = ocr.image_pages(data, limits) if image else ocr.pdf_pages(data, limits)
    reader = _ScanReader(catalogue, progress=progress)
    for number, (picture, dpi) in enumerate(pages, start=1):
        reader.page(ocr.read_page(picture, dpi, number, expect=_expected))
        reader.advance(number, number + 1)
    return reader.finish(container=" en el escaneo")


@dataclass(frozen=True)
class ScanPlace:
    """Where a cell is in a scan: its page, how the page was turned and straightened to be
    read, and the cell's box in the pixels of the page so turned."""

    page: int
    rotation: int
    skew: float
    box: tuple[int, int, int, int]

    def __str__(self) -> str:
        box = ",".join(str(value) for value in self.box)
        return Text(
            gettext_noop("página {page}, recuadro {box} (giro {rotation}°, {skew:+.1f}°)"),
            page=self.page,
            box=box,
            rotation=self.rotation,
            skew=self.skew,
        )


def scan_place(where: str) -> ScanPlace | None:
    """The place of the cell an OCR finding is about, from where it says it was seen."""
    found = _PLACE.search(where)
    if found is None:
        return None
    x0, y0, x1, y1 = (int(value) for value in found["box"].split(","))
    return ScanPlace(
        int(found["page"]), int(found["rotation"]), float(found["skew"]), (x0, y0, x1, y1)
    )


def cell_image(
    data: bytes, *, image: bool, place: ScanPlace, limits: ReadingLimits = DEFAULT_LIMITS
) -> bytes:
    """The PNG of one cell of a scanned page, turned and straightened as it was read."""
    read = ocr.image_pages if image else ocr.pdf_pages
    for picture, dpi in read(data, limits, only=place.page):
        upright = ocr.turned(ocr.working(picture, dpi)[0], place.rotation, place.skew)
        x0, y0, x1, y1 = place.box
        width, height = upright.size
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            break
        out = io.BytesIO()
        upright.crop(place.box).save(out, format="PNG")
        return out.getvalue()
    raise AnnexRejected(gettext_noop("La celda no está en el archivo escaneado."))


@cache
def _headings() -> dict[str, str]:
    """Every column heading of every annex kind, by its folded spelling."""
    return {
        _letters(heading): heading for annex in FORMATS.values() for heading in annex.headings()
    }


def _letters(text: str) -> str:
    """A heading as compared: its letters and digits, folded ('No,' and 'No.' are one)."""
    return " ".join(_NOT_LETTERS.sub(" ", fold(text.replace(FOOTNOTE_MARKER, ""))).split())


def _heading_like(text: str) -> str | None:
    """The column heading a text read by OCR is close to, if any."""
    known = _headings()
    match = difflib.get_close_matches(_letters(text), known, n=1, cutoff=_HEADING_LIKENESS)
    return known[match[0]] if match else None


def _is_heading(text: str) -> bool:
    return _heading_like(text) is not None


def _is_number(text: str) -> bool:
    return not text or _ASM_NUMBER.fullmatch(squash(text)) is not None


def _is_due(text: str) -> bool:
    return not text or read_due(text, Reading()).due is not None


def _is_progress(text: str) -> bool:
    """A percent, and the conclusion date the text announces ('Fecha de conclusión: …')."""
    if not text:
        return True
    progress = read_progress(text, Reading())
    announced = "conclusion" in fold(text)
    return progress.percent is not None and (progress.concluded is not None or not announced)


def _expected(cell: ocr.Cell, table: ocr.Table):
    """What a cell of an annex's table holds: a heading atop it, an ASM number (or nothing,
    under a spanning one) in its first column, a date under 'Fecha de Término', a percent
    under 'Porcentaje de avance…'."""
    if cell.row == 0:
        return _is_heading
    if cell.column == 0:
        return _is_number
    top = next((c for c in table.cells if c.row == 0 and c.column == cell.column), None)
    heading = _heading_like(top.text) if top is not None else None
    key = next((c.key for a in FORMATS.values() for c in a.columns if c.heading == heading), "")
    return {"due": _is_due, "progress": _is_progress}.get(key)


def _as_headings(texts: list[str]) -> list[str]:
    """A table's first row with each cell that the OCR read close to a column heading put as
    that heading ('Fechade Término', 'Producto ylo evidencia'): a heading misread is a column
    lost. A row that is no header (a table's rest after a page break) is left as read."""
    fixed = [_heading_like(text) for text in texts]
    if sum(heading is not None for heading in fixed) < len(texts) / 2:
        return texts
    return [heading or text for heading, text in zip(fixed, texts, strict=True)]


def _runs_to_bottom(cell: ocr.Cell | None) -> bool:
    """Whether a cell's text reaches its bottom edge: less than a line's height is left below
    its last line, as when a page break cut the cell."""
    if cell is None or not cell.words:
        return False
    line = statistics.median(w.box[3] - w.box[1] for w in cell.words)
    return cell.box[3] - max(w.box[3] for w in cell.words) < line


class _ScanReader(SheetReader):
    def __init__(
        self, catalogue: AreaCatalogue | CatalogueFor | None, *, progress: Progress | None
    ) -> None:
        super().__init__(catalogue, progress=progress)
        self.page_number = 0
        self.first_on_page = False
        self.aspect_row: RawRow | None = None
        self.cells: list[ocr.Cell | None] = []
        self.last_cells: dict[str, ocr.Cell] = {}  # the last row's cells, by column key

    def page(self, page: ocr.ScanPage) -> None:
        self.page_number = page.number
        self.scan_page = page
        self.first_on_page = True
        blocks: list[tuple[int, object]] = list(page.lines)
        blocks += [(table.box[1], table) for table in page.tables]
        blocks.sort(key=lambda block: block[0])
        table_number = 0
        for _, block in blocks:
            if isinstance(block, str):
                line = squash(block)
                if not _PAGE_FOOTER.match(fold(line)):
                    self._row(
                        [self._footnote(line)],
                        Text(gettext_noop("página {number}"), number=page.number),
                    )
                continue
            table_number += 1
            for row_number, cells in enumerate(block.rows(), start=1):
                self.cells = cells
                texts = [squash(cell.text) if cell is not None else "" for cell in cells]
                if row_number == 1:
                    texts = _as_headings(texts)
                where = Text(
                    gettext_noop("página {number}, tabla {table_number}, fila {row_number}"),
                    number=page.number,
                    table_number=table_number,
                    row_number=row_number,
                )
                if any(texts):
                    self._row(texts, where)

    def _footnote(self, line: str) -> str:
        """The footnote's marker, a superscript '¹' the OCR reads as '1' or '*', put back."""
        found = _FOOTNOTE.match(line)
        if self.builder is None or self.footnote or found is None:
            return line
        return f"{FOOTNOTE_MARKER} {found['text']}"

    def _table_row(self, builder, cells: list[str], where: str) -> None:
        end = self.offset + len(self.header.columns)
        texts = cells[self.offset : end] + [""] * max(0, end - len(cells))
        row = RawRow(self.header.cells(texts), where)
        after_break = self.first_on_page and self.page_number > 1
        self.first_on_page = False
        if after_break and not row.cells.get("number") and row.cells.get("aspect"):
            self._continue_aspect(row, where)
        # The row's cells, by key: fewer than the columns where the table is narrower.
        ours = zip(self.header.columns, self.cells[self.offset : end], strict=False)
        by_key = {column.key: cell for column, cell in ours if column and cell}
        rows = builder.sections[-1].rows if builder.sections else []
        if after_break and rows and self._rest_of_row(row):
            builder.join_fragment(row)
            self.last_cells |= by_key
        else:
            builder.add_row(row, after_page_break=after_break)
            self.last_cells = by_key
        if row.cells.get("number"):
            self.aspect_row = row
        self._doubts(where)

    def _rest_of_row(self, row: RawRow) -> bool:
        """Whether a page's first row is the rest of the last row before the break: no ASM
        number, no date, and no area but the end of one the page cut (its cell on the page
        before is written down to its bottom: 'DGPP y Unidad de' | 'Planeación')."""
        if row.cells.get("number") or row.cells.get("due"):
            return False
        return all(
            not row.cells.get(key) or _runs_to_bottom(self.last_cells.get(key))
            for key in ("coordinating", "responsible")
        )

    def _continue_aspect(self, row: RawRow, where: str) -> None:
        """The ASM text spanning its activities went on past the page: joined to its start."""
        if self.aspect_row is None:
            return
        rest = row.cells.pop("aspect")
        self.aspect_row.cells["aspect"] = squash(f"{self.aspect_row.cells['aspect']} {rest}")
        self.note(
            "joined_fragment",
            where,
            f"El texto del ASM siguió tras el salto de página: se unió al de la "
            f"{self.aspect_row.where}.",
        )

    def _place(self, cell: ocr.Cell) -> ScanPlace:
        page = self.scan_page
        return ScanPlace(page.number, page.rotation, page.skew, cell.box)

    def _doubts(self, where: str) -> None:
        """Each cell of the row Tesseract was unsure of, as a finding with its place."""
        columns = self.header.columns
        for index, cell in enumerate(self.cells[self.offset : self.offset + len(columns)]):
            if cell is None or not cell.words or cell.confidence >= DOUBT_BELOW:
                continue
            column = columns[index]
            name = column.heading.rstrip(" ¹") if column is not None else f"columna {index + 1}"
            self.builder.findings.append(
                Finding(
                    OCR_DOUBT,
                    f"{where} · {name} · {self._place(cell)}",
                    f"El OCR leyó «{squash(cell.text)[:120]}» con poca seguridad "
                    f"({cell.confidence:.0f} %): compárelo con la imagen de la celda.",
                    self._value_of(column.key) if column is not None else None,
                )
            )

    def _value_of(self, key: str) -> CellRef | None:
        """The value a doubtful cell gives, for the cells whose reading a person may correct
        (the date, the percent, an activity's text): the activity the row last added is, in its
        ASM."""
        field = _CORRECTABLE.get(key)
        rows = self.builder.sections[-1].rows if self.builder.sections else []
        starts = [i for i, row in enumerate(rows) if row.cells.get("number")]
        if field is None or not starts:
            return None
        group = rows[starts[-1] :]
        filled = [row for row in group if any(t for k, t in row.cells.items() if k not in _ASPECT)]
        if not filled or filled[-1] is not group[-1]:
            return None
        number = squash(group[0].cells["number"])
        return CellRef(len(self.builder.sections) - 1, number, len(filled) - 1, field)
