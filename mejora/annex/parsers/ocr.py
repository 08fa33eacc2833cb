"""Scanned pages as the cells of their ruled tables: what a scanned annex gives to the reader.

A page comes from a PDF with no text layer (rasterised by pypdfium2 at the resolution of its
scan) or from an image (PNG, JPEG, TIFF, one page per frame). Each page is turned upright,
straightened, and its tables found from their ruling lines with OpenCV: a mask of long
horizontal and vertical runs, whose enclosed regions are the cells. Tesseract then reads the
whole page once, with the ruling lines wiped, and each word it finds goes to the cell its
centre falls in; words outside every table are the page's text lines (title block, cycle
headings, footnote). Stamps, logos and signatures are no cell and no line of words Tesseract
trusts, so they are left out. Headers are often printed vertically (read bottom to top): a
header cell whose letters run down it is left out of the page's reading and read turned, the
row's such cells in one reading; one taller than wide whose words are few or doubtful is read
again turned both ways.

No Django here: the reader (`scan.py`) gives these cells to the same row logic every other
format uses. Every image is bounded before it is decoded (`MAX_PAGE_PIXELS`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from mejora.annex.document import AnnexRejected
from mejora.annex.limits import DEFAULT_LIMITS, ReadingLimits, over_limit
from mejora.annex.messages import gettext_noop

# Tesseract runs one page at a time per process: its OpenMP threads only fight each other (and
# the other workers) on a small server, five times slower on two cores than one thread.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

INSTALL_TESSERACT = (
    "Para leer anexos escaneados hace falta Tesseract con el idioma español, que no está "
    "instalado en el servidor. Instálelo con «apt-get install tesseract-ocr tesseract-ocr-spa» "
    "y vuelva a importar el archivo; no se importó nada."
)
# The pixels of one page: a letter page scanned at 400 dpi has 15 million; Tesseract and
# OpenCV hold a few bytes per pixel each, so a page stays under a few hundred MB.
MAX_PAGE_PIXELS = 40_000_000
# Pages are read at this resolution: annex text (8 points and up) reads as well as at 300
# dpi, in half the time, and far better than at 150.
WORK_DPI = 250
# Pages of a scan read at most: Tesseract takes seconds a page, and a scanned annex runs to a
# few dozen; a longer one comes as a file with text, or split.
MAX_SCANNED_PAGES = 300
NO_TEXT_NOR_SCAN = (
    "El PDF no tiene texto que se pueda leer ni páginas escaneadas. Suba el anexo como PDF "
    "generado desde el documento, escaneado, o en XLSX, DOCX o CSV."
)
# Pages of a PDF are rasterised at their scan's own resolution, within these bounds.
MIN_DPI, MAX_DPI = 150, 300
# A word Tesseract is less sure of than this (0–100) makes its cell a doubtful reading.
LOW_CONFIDENCE = 70
# Tesseract reads the page as sparse text: its layout analysis (the default) takes whole
# columns of a table for pictures; words are what the cells need.
PAGE_PSM = 4
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
_MAX_SKEW = 5.0  # degrees: more is no scan of a straight page


@dataclass
class Word:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright page's pixels
    confidence: float
    line: tuple[int, int, int] = (0, 0, 0)  # Tesseract's block, paragraph and line


@dataclass
class Cell:
    """One ruled cell: its box, the rows and columns of the grid it spans, and its words."""

    box: tuple[int, int, int, int]
    row: int
    column: int
    rows: int = 1
    columns: int = 1
    words: list[Word] = field(default_factory=list)
    text: str = ""
    sideways: bool = False  # a heading printed vertically, read bottom to top

    @property
    def confidence(self) -> float:
        """The least sure word's confidence; an empty cell is sure."""
        return min((w.confidence for w in self.words), default=100.0)


@dataclass
class Table:
    box: tuple[int, int, int, int]
    cells: list[Cell]
    row_count: int
    column_count: int

    def rows(self) -> list[list[Cell | None]]:
        """The grid row by row: a cell at its top-left place, None where a spanning cell is."""
        grid: list[list[Cell | None]] = [[None] * self.column_count for _ in range(self.row_count)]
        for cell in self.cells:
            grid[cell.row][cell.column] = cell
        return grid


@dataclass
class ScanPage:
    number: int
    dpi: int
    rotation: int  # degrees the scan was turned, counter-clockwise, to stand upright
    skew: float  # degrees it was then turned to straighten it
    lines: list[tuple[int, str]]  # text outside the tables: (top, text)
    tables: list[Table]


# --- Tesseract ---------------------------------------------------------------------------


def require_tesseract() -> None:
    """Refuse, saying what to install, when Tesseract or its Spanish data is missing."""
    import pytesseract

    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        raise AnnexRejected(INSTALL_TESSERACT)
    try:
        languages = pytesseract.get_languages(config="")
    except (pytesseract.TesseractNotFoundError, OSError):
        raise AnnexRejected(INSTALL_TESSERACT) from None
    if "spa" not in languages:
        raise AnnexRejected(INSTALL_TESSERACT)


def tesseract_ready() -> bool:
    """Whether scans can be read here."""
    try:
        require_tesseract()
    except AnnexRejected:
        return False
    return True


def _words(image, dpi: int, *, psm: int = 3) -> list[Word]:
    import pytesseract

    config = f"--psm {psm} --dpi {dpi} -c preserve_interword_spaces=0"
    try:
        data = pytesseract.image_to_data(
            image, lang="spa", config=config, output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractNotFoundError:
        raise AnnexRejected(INSTALL_TESSERACT) from None
    words = []
    for index, text in enumerate(data["text"]):
        text = text.strip()
        if not text or float(data["conf"][index]) < 0:
            continue
        x, y = data["left"][index], data["top"][index]
        box = (x, y, x + data["width"][index], y + data["height"][index])
        line = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        words.append(Word(text, box, float(data["conf"][index]), line))
    return words


# --- pages in ------------------------------------------------------------------------------


def pdf_pages(
    data: bytes, limits: ReadingLimits = DEFAULT_LIMITS, *, only: int | None = None
) -> Iterator[tuple[object, int]]:
    """Each page of a PDF (or the `only` one) as a greyscale image, at its scan's
    resolution, with that dpi."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise AnnexRejected(gettext_noop("El archivo no es un PDF válido.")) from None
    try:
        if len(pdf) > min(limits.pages, MAX_SCANNED_PAGES):
            raise over_limit(
                gettext_noop("páginas escaneadas"), min(limits.pages, MAX_SCANNED_PAGES)
            )
        if only is None and not any(_images(page) for page in pdf):
            raise AnnexRejected(NO_TEXT_NOR_SCAN)
        for number, page in enumerate(pdf, start=1):
            if only is not None and number != only:
                page.close()
                continue
            dpi = _scan_dpi(page)
            width, height = page.get_size()
            if width * height * (dpi / 72) ** 2 > MAX_PAGE_PIXELS:
                dpi = int(72 * (MAX_PAGE_PIXELS / (width * height)) ** 0.5)
            yield page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"), dpi
            page.close()
    finally:
        pdf.close()


def _images(page) -> list:
    import pypdfium2.raw as pdfium_c

    return list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1))


def _scan_dpi(page) -> int:
    """The resolution of the largest image on the page, within MIN_DPI and MAX_DPI."""
    best = 0.0
    for obj in _images(page):
        left, _, right, _ = obj.get_bounds()
        pixels = obj.get_px_size()
        if right > left and pixels[0]:
            best = max(best, pixels[0] / ((right - left) / 72))
    return int(min(max(best or MAX_DPI, MIN_DPI), MAX_DPI))


def image_pages(
    data: bytes, limits: ReadingLimits = DEFAULT_LIMITS, *, only: int | None = None
) -> Iterator[tuple[object, int]]:
    """Each frame of a PNG, JPEG or TIFF (or the `only` one) as a greyscale image, with its
    resolution."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise AnnexRejected(
            gettext_noop("El archivo no es una imagen PNG, JPEG o TIFF válida.")
        ) from None
    for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
        if number > min(limits.pages, MAX_SCANNED_PAGES):
            raise over_limit(
                gettext_noop("páginas escaneadas"), min(limits.pages, MAX_SCANNED_PAGES)
            )
        if only is not None and number != only:
            continue
        width, height = frame.size
        if width * height > MAX_PAGE_PIXELS:
            raise over_limit(gettext_noop("píxeles de una página escaneada"), MAX_PAGE_PIXELS)
        dpi = frame.info.get("dpi", (0, 0))[0] or 0
        try:
            grey = frame.convert("L")
        except OSError:
            raise AnnexRejected(
                gettext_noop("La imagen de la página {number} está dañada."), number=number
            ) from None
        yield grey, int(min(max(round(dpi) or MIN_DPI, 70), 1200))


# --- upright and straight -------------------------------------------------------------------


def upright(image, dpi: int) -> tuple[object, int, float]:
    """The page turned upright and straightened: the image, the right angle and the skew."""
    import numpy as np

    rotation = _right_angle(image, dpi)
    skew = _skew(np.asarray(turned(image, rotation, 0.0)))
    return turned(image, rotation, skew), rotation, skew


def working(image, dpi: int) -> tuple[object, int]:
    """The page at WORK_DPI: Tesseract misses letters of small print scanned coarser (a
    letter of 8 points is 11 pixels high at 150 dpi), and finer scans read no better and
    cost far more."""
    if dpi == WORK_DPI:
        return image, dpi
    scale = WORK_DPI / dpi
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, resample=_lanczos()), WORK_DPI


def _lanczos():
    from PIL import Image

    return Image.Resampling.LANCZOS


def turned(image, rotation: int, skew: float):
    """The page turned by a right angle, then by its skew (degrees, counter-clockwise)."""
    if rotation:
        image = image.rotate(rotation, expand=True, fillcolor=255)
    if abs(skew) > 0.05:
        image = image.rotate(skew, expand=False, fillcolor=255, resample=_bicubic())
    return image


def _bicubic():
    from PIL import Image

    return Image.Resampling.BICUBIC


def _right_angle(image, dpi: int) -> int:
    """The right angle that turns the page's text upright. Tesseract's own orientation guess
    (OSD) errs on pages mostly of ruled tables, so the page's lines of letters tell whether
    the text runs across or down it, and the part of the page with most letters, read both
    ways round, settles which way up. Letters outside the tables tell it when they can: a
    table's headings may be printed vertically, and a page holding little but such a header
    (an empty cycle's table) would be turned to read them."""
    import numpy as np

    pixels = np.asarray(image)
    letters = _letters_ink(pixels, dpi)
    outside = _outside_tables(letters, pixels, dpi)
    if _telling(outside, dpi):
        letters = outside
    first = 0 if _runs_across(letters, dpi) else 90
    band = image.crop(_densest(letters, min(image.size) // 3))
    scores = {}
    for angle in (first, first + 180):
        words = _words(band.rotate(angle, expand=True), dpi, psm=6)
        scores[angle] = sum(w.confidence * len(w.text) for w in words if len(w.text) > 2)
    return max(scores, key=lambda angle: scores[angle])


def _outside_tables(letters, pixels, dpi: int):
    """The letters with every ruled table's box blanked: titles, headings, footnotes."""
    import cv2

    ink = cv2.adaptiveThreshold(
        pixels, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    outside = letters.copy()
    for table in find_tables(ink, dpi):
        x0, y0, x1, y1 = table.box
        outside[y0:y1, x0:x1] = 0
    return outside


def _telling(letters, dpi: int) -> bool:
    """Whether letters are enough to tell which way they run: a line of text's worth, whose
    letters join into far fewer words smudged along it than across it (a logo or a signature
    joins alike either way)."""
    counts = _smudged_counts(letters, dpi)
    return max(counts) >= 15 and max(counts) >= 2 * min(counts)


def _letters_ink(pixels, dpi: int):
    """The page's ink without its rules and other long strokes: the letters."""
    import cv2

    ink = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    run = max(dpi // 4, 20)
    for size in ((run, 1), (1, run)):
        ink = cv2.subtract(
            ink,
            cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size)),
        )
    return ink


def _densest(ink, side: int) -> tuple[int, int, int, int]:
    """The square of `side` pixels holding the most ink, on a grid of half its side."""
    import cv2

    height, width = ink.shape
    total = cv2.integral(ink // 255)
    step = max(side // 2, 1)
    best, most = (0, 0, min(side, width), min(side, height)), -1
    for top in range(0, max(height - side, 0) + 1, step):
        for left in range(0, max(width - side, 0) + 1, step):
            bottom, right = min(top + side, height), min(left + side, width)
            inside = (
                total[bottom, right] - total[top, right] - total[bottom, left] + total[top, left]
            )
            if inside > most:
                best, most = (left, top, right, bottom), int(inside)
    return best


def _runs_across(letters, dpi: int) -> bool:
    """Whether the text runs across the page: smudged along its lines, letters join into
    words; smudged across them, far fewer join (lines are further apart than letters)."""
    across, down = _smudged_counts(letters, dpi)
    return across <= down


def _smudged_counts(letters, dpi: int) -> tuple[int, int]:
    """The pieces of ink left when letters are smudged across the page, and down it."""
    import cv2

    reach = max(dpi // 50, 2)
    counts = []
    for size in ((reach, 1), (1, reach)):
        smudged = cv2.dilate(letters, cv2.getStructuringElement(cv2.MORPH_RECT, size))
        counts.append(cv2.connectedComponents(smudged, connectivity=8)[0] - 1)
    return counts[0], counts[1]


def _skew(pixels) -> float:
    """The page's tilt in degrees: the angle that lines its rules and lines of text up best
    with the rows of pixels (the sharpest profile of ink per row), to a tenth of a degree."""
    import cv2
    import numpy as np

    scale = min(1.0, 1000 / max(pixels.shape))
    small = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    height, width = ink.shape
    best, sharpest = 0.0, -1.0
    for angle in np.arange(-_MAX_SKEW, _MAX_SKEW + 0.01, 0.1):
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), float(angle), 1.0)
        turned = cv2.warpAffine(ink, turn, (width, height), flags=cv2.INTER_NEAREST)
        profile = turned.sum(axis=1, dtype=np.float64)
        sharpness = float(np.square(np.diff(profile)).sum())
        if sharpness > sharpest:
            best, sharpest = float(angle), sharpness
    return round(best, 1)


# --- the grid ---------------------------------------------------------------------------------


def _rules(ink, dpi: int):
    """The ruling lines: long horizontal and vertical runs of ink (no letter is that long)."""
    import cv2

    # Half an inch across (bold capitals blurred together may run a quarter inch), an eighth
    # of an inch down (a row of one line is hardly taller; a letter of 10 points is shorter).
    across, down = max(dpi // 2, 30), max(dpi // 8, 12)
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (across, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, down))
    )
    # Noise and a thin pen break a rule here and there: joined again where a gap is short.
    gap = max(dpi // 50, 3)
    horizontal = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 3)))
    vertical = cv2.dilate(vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (3, gap)))
    return horizontal, vertical


def _edges(values: list[int], tolerance: int) -> list[int]:
    """Positions closer than `tolerance` taken as one edge (their median)."""
    groups: list[list[int]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= tolerance:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [int(statistics.median(group)) for group in groups]


def _nearest(edges: list[int], value: int) -> int:
    return min(range(len(edges)), key=lambda index: abs(edges[index] - value))


def find_tables(ink, dpi: int) -> list[Table]:
    """The ruled tables of a page's ink mask."""
    import cv2
    import numpy as np

    horizontal, vertical = _rules(ink, dpi)
    rules = cv2.bitwise_or(horizontal, vertical)
    tables = []
    minimum = (dpi // 2) ** 2  # a table is at least half an inch square
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rules, connectivity=8)
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if w * h < minimum or w < dpi or h < dpi // 8:
            continue
        frame = (labels[y : y + h, x : x + w] == label).astype(np.uint8) * 255
        table = _table(frame, (int(x), int(y)), dpi)
        if table is not None:
            tables.append(table)
    tables.sort(key=lambda t: t.box[1])
    return tables


def _evened(pixels, dpi: int):
    """The page on white paper: each pixel divided by the paper around it, so the shading of
    header cells and a scanner's uneven light go and the letters keep their greys."""
    import cv2
    import numpy as np

    size = max(dpi // 10, 7) | 1  # wider than a letter's stroke
    paper = cv2.morphologyEx(pixels, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    paper = cv2.GaussianBlur(paper, (size, size), 0)
    evened = pixels.astype(np.float32) / np.maximum(paper.astype(np.float32), 1) * 255
    return np.clip(evened, 0, 255).astype(np.uint8)


def _without_rules(pixels, tables: list[Table]):
    """The page with its tables' rules wiped: all of a table but its cells' insides, so no
    rule is read as a letter ('|', 'l') and no letter is taken for a rule."""
    import numpy as np

    clean = pixels.copy()
    for table in tables:
        x0, y0, x1, y1 = table.box
        keep = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        for cell in table.cells:
            cx0, cy0, cx1, cy1 = cell.box
            keep[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = True
        region = clean[y0:y1, x0:x1]
        region[~keep] = 255
    return clean


def _table(frame, origin: tuple[int, int], dpi: int) -> Table | None:
    """The cells a table's rules enclose, placed on the grid their edges make."""
    import cv2

    # A cell that a page break cut has no rule below it: the table's edge closes it.
    frame = frame.copy()
    frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = 255
    inside = cv2.bitwise_not(frame)
    count, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=4)
    height, width = frame.shape
    smallest = max(dpi // 15, 6)
    boxes = []
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if x == 0 or y == 0 or x + w >= width or y + h >= height:
            continue  # the outside of the table, around its border
        if w < smallest or h < smallest:
            continue
        boxes.append((int(x), int(y), int(x + w), int(y + h)))
    if len(boxes) < 2:
        return None
    tolerance = max(dpi // 20, 4)
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes], tolerance)
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes], tolerance)
    cells = []
    for x0, y0, x1, y1 in boxes:
        column, right = _nearest(xs, x0), _nearest(xs, x1)
        row, bottom = _nearest(ys, y0), _nearest(ys, y1)
        box = (x0 + origin[0], y0 + origin[1], x1 + origin[0], y1 + origin[1])
        cells.append(Cell(box, row, column, max(bottom - row, 1), max(right - column, 1)))
    box = (origin[0], origin[1], origin[0] + width, origin[1] + height)
    return Table(box, cells, len(ys) - 1, len(xs) - 1)


# --- words into cells and lines -------------------------------------------------------------


# What a cell's text must look like, given the cell and its table (whose first row, read
# first, names its columns), or None when anything will do.
Expectation = Callable[[Cell, Table], Callable[[str], bool] | None]


def read_page(image, dpi: int, number: int, *, expect: Expectation | None = None) -> ScanPage:
    """A scanned page read: upright, straight, its tables' cells and its other lines.

    `expect` says what a cell's text must look like, if anything (a column heading in a
    table's first row, a number in its first column): a cell read otherwise is read again on
    its own, as is every cell read with doubt.
    """
    import cv2
    import numpy as np

    image, dpi = working(image, dpi)
    image, rotation, skew = upright(image, dpi)
    pixels = np.asarray(image)
    ink = cv2.adaptiveThreshold(
        pixels, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15
    )
    tables = find_tables(ink, dpi)
    clean = _without_rules(_evened(pixels, dpi), tables)
    from PIL import Image

    # Headings printed vertically are read apart (`_read_header`); left on the page, their
    # letters throw Tesseract's layout off, and whole columns of cells go unread.
    page = clean.copy()
    for table in tables:
        for cell in table.cells:
            cell.sideways = cell.row == 0 and _runs_down(cell, clean, dpi)
            if cell.sideways:
                x0, y0, x1, y1 = cell.box
                page[y0:y1, x0:x1] = 255
    words = _words(Image.fromarray(page), dpi, psm=PAGE_PSM)
    outside: list[Word] = []
    for word in words:
        cell = _cell_at(tables, word.box)
        if cell is None:
            if not _inside_any(tables, word.box):
                outside.append(word)
        else:
            cell.words.append(word)
    for table in tables:
        _read_header(table, clean, dpi)
        down = _header_down(table)
        table.cells.sort(key=lambda cell: (cell.row, cell.column))
        for cell in table.cells:
            doubtful = not cell.words or cell.confidence < LOW_CONFIDENCE
            wanted = expect(cell, table) if expect is not None else None
            if wanted is not None and not wanted(cell_text(cell)):
                doubtful = True
            if doubtful:
                # A short heading ('No.') among vertical ones is too little ink to tell.
                sideways = cell.sideways or _tall_header(cell) or (cell.row == 0 and down)
                _read_alone(cell, clean, dpi, sideways=sideways, wanted=wanted)
            cell.text = cell_text(cell)
    return ScanPage(number, dpi, rotation, skew, _text_lines(outside, dpi), tables)


def _centre(box: tuple[int, int, int, int]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _cell_at(tables: list[Table], box) -> Cell | None:
    x, y = _centre(box)
    for table in tables:
        for cell in table.cells:
            x0, y0, x1, y1 = cell.box
            if x0 <= x <= x1 and y0 <= y <= y1:
                return cell
    return None


def _inside_any(tables: list[Table], box) -> bool:
    x, y = _centre(box)
    return any(t.box[0] <= x <= t.box[2] and t.box[1] <= y <= t.box[3] for t in tables)


def _read_header(table: Table, pixels, dpi: int) -> None:
    """Read the table's first row again on its own: its headings decide which annex the table
    is and which column is which, and Tesseract reads a band of them surer than a page.

    Headings printed vertically (a Word cell's text direction) are read with the band turned,
    in one reading for the whole row: the page's reading made noise of them. Clockwise first,
    as they read bottom to top ('btLr'); the other way when that reading is unsure, as they
    read top to bottom ('tbRl')."""
    from PIL import Image

    first = [cell for cell in table.cells if cell.row == 0]
    if not first:
        return
    down = _header_down(table)
    top = min(cell.box[1] for cell in first)
    bottom = max(cell.box[3] for cell in first)
    left, right = table.box[0], table.box[2]
    band = Image.fromarray(pixels[top:bottom, left:right])
    found: dict[int, list[Word]] = {}
    for angle in (270, 90) if down else (0,):
        read = _band_words(band, angle, dpi)
        if _score(read) > _score([w for words in found.values() for w in words]):
            found.clear()
            for word in read:
                x0, y0, x1, y1 = word.box
                word.box = (x0 + left, y0 + top, x1 + left, y1 + top)
                cell = _cell_at([table], word.box)
                if cell is not None and cell.row == 0:
                    found.setdefault(id(cell), []).append(word)
        if read and statistics.mean(w.confidence for w in read) >= LOW_CONFIDENCE:
            break
    for cell in first:
        words = found.get(id(cell), [])
        if cell.sideways:
            for word in words:  # the box of the whole cell, read in Tesseract's order
                word.box = cell.box
        if cell.sideways != down:
            words = []  # turned the other way from the band: read on its own
        if cell.sideways or _score(words) > _score(cell.words):
            cell.words = words


def _band_words(band, angle: int, dpi: int) -> list[Word]:
    """The words of a band read turned by `angle` (0, or 90 or 270 counter-clockwise), their
    boxes put back in the band's own pixels."""
    width, height = band.size
    turned = band.rotate(angle, expand=True) if angle else band
    words = _words(turned, dpi, psm=PAGE_PSM)
    for word in words:
        x0, y0, x1, y1 = word.box
        if angle == 270:  # turned clockwise: the band's x was the turned y, its y from x
            word.box = (y0, height - x1, y1, height - x0)
        elif angle == 90:
            word.box = (width - y1, x0, width - y0, x1)
    return words


def _header_down(table: Table) -> bool:
    """Whether most of a table's headings are printed vertically."""
    first = [cell for cell in table.cells if cell.row == 0]
    return sum(cell.sideways for cell in first) > len(first) / 2


def _score(words: list[Word]) -> float:
    """How much sure text a reading holds: a fuller reading and a surer one score higher."""
    return sum(word.confidence * len(word.text) for word in words)


def _tall_header(cell: Cell) -> bool:
    """A cell of a table's first row taller than wide: its heading may be printed sideways."""
    x0, y0, x1, y1 = cell.box
    return cell.row == 0 and (y1 - y0) > 1.5 * (x1 - x0)


def _runs_down(cell: Cell, pixels, dpi: int) -> bool:
    """Whether a cell's letters run down it, as a heading printed vertically does (a Word
    cell's text direction), however wide the cell: the page's reading takes such letters
    for noise, so the cell is read turned."""
    import numpy as np

    x0, y0, x1, y1 = cell.box
    ink = (pixels[y0:y1, x0:x1] < 128).astype(np.uint8) * 255
    # A few letters at least: a lone mark or 'No.' runs neither way to tell.
    if np.count_nonzero(ink) < (dpi // 10) ** 2:
        return False
    return not _runs_across(ink, dpi)


def _group_lines(words: list[Word]) -> list[list[Word]]:
    """Words in printed lines, top to bottom, each left to right: Tesseract's lines, with
    those side by side at one height (sparse reading finds a line in pieces) made one."""
    pieces: dict[tuple[int, int, int], list[Word]] = {}
    for word in words:
        pieces.setdefault(word.line, []).append(word)
    lines: list[list[Word]] = []
    for piece in sorted(
        pieces.values(), key=lambda p: statistics.median(_centre(w.box)[1] for w in p)
    ):
        middle = statistics.median(_centre(w.box)[1] for w in piece)
        if lines:
            last = lines[-1]
            top = statistics.median(w.box[1] for w in last)
            bottom = statistics.median(w.box[3] for w in last)
            if top < middle < bottom:
                last.extend(piece)
                continue
        lines.append(list(piece))
    return [sorted(line, key=lambda w: w.box[0]) for line in lines]


_NO_SPACE_AFTER = re.compile(r"[/_]$")


def cell_text(cell: Cell) -> str:
    """A cell's words as text, line after line joined with a space, except where a renderer
    broke a word too long for a line (a file name, an address): the line is that one word,
    full to the cell's edge, or it ends in '/' or '_'."""
    lines = _group_lines(cell.words)
    if not lines:
        return ""
    if all(w.box == cell.box for w in cell.words):  # read sideways: Tesseract's own order
        return " ".join(w.text for w in cell.words)
    inset = min(line[0].box[0] for line in lines) - cell.box[0]
    right = cell.box[2] - max(inset, 0)
    parts = [" ".join(w.text for w in lines[0])]
    for before, after in pairwise(lines):
        last = before[-1]
        reach = 0.6 * statistics.median(w.box[3] - w.box[1] for w in before)
        full = len(before) == 1 and last.box[2] >= right - reach
        joined = full or _NO_SPACE_AFTER.search(last.text) is not None
        parts.append("" if joined else " ")
        parts.append(" ".join(w.text for w in after))
    return "".join(parts)


def _read_alone(
    cell: Cell, pixels, dpi: int, *, sideways: bool, wanted: Callable[[str], bool] | None = None
) -> None:
    """Read a cell on its own when the page's reading found nothing in it, or doubted it, and
    it holds ink: Tesseract's page layout misses short text (an ASM number) in a narrow cell.
    A header cell taller than wide is read turned both ways too, as it may be printed so;
    a reading that is `wanted` (a column heading, a number) is taken at once."""
    import numpy as np
    from PIL import Image

    x0, y0, x1, y1 = cell.box
    crop = pixels[y0:y1, x0:x1]
    dark = np.argwhere(crop < 128) if crop.size else np.empty((0, 2))
    if not len(dark):
        return
    # Only the ink, with a margin: Tesseract finds a lone digit in a tight crop, not in a
    # tall empty cell.
    (top, left), (bottom, right) = dark.min(axis=0), dark.max(axis=0) + 1
    crop = crop[top:bottom, left:right]
    x0, y0 = x0 + int(left), y0 + int(top)
    margin = max(dpi // 10, 8)
    padded = Image.fromarray(np.pad(crop, margin, constant_values=255))
    best, score = None, sum(w.confidence * len(w.text) for w in cell.words)
    # Turned, when a header may be printed sideways (bottom to top, as Word's 'btLr' prints,
    # far more often than top to bottom: turned clockwise first); and twice as large, when
    # what the cell must hold is not read at first (a thin '1' at the end of '2011').
    tries = [(angle, 1) for angle in ((270, 90, 0) if sideways else (0,))]
    if wanted is not None:
        tries.append((0, 2))
    for angle, scale in tries:
        turned = padded.rotate(angle, expand=True, fillcolor=255) if angle else padded
        if scale > 1:
            turned = turned.resize((turned.width * scale, turned.height * scale), _lanczos())
        words = _words(turned, dpi * scale, psm=6)
        if angle and not words:
            # A short heading turned ('No.') is found as one line where a block finds none.
            words = _words(turned, dpi, psm=7)
        for word in words if scale > 1 else ():
            word.box = tuple(value // scale for value in word.box)
        found = sum(w.confidence * len(w.text) for w in words)
        if words and wanted is not None and wanted(" ".join(w.text for w in words)):
            best = (angle, words)  # what the cell must hold wins over any surer misreading
            break
        if found > score:
            best, score = (angle, words), found
    if best is None:
        return
    angle, words = best
    for word in words:
        if angle:  # the box of the whole cell: the image shown is the cell's
            word.box = cell.box
        else:
            bx0, by0, bx1, by1 = word.box
            word.box = (bx0 - margin + x0, by0 - margin + y0, bx1 - margin + x0, by1 - margin + y0)
    cell.words = words


_SHORT_WORDS = frozenset(("a", "e", "o", "u", "y", "de", "la", "el", "en", "lo", "le", "se"))


def _without_marks(line: list[Word]) -> list[Word]:
    """The line without a lone letter or two far from its words or taller than they are: a
    logo read as 'O'."""
    if len(line) < 2:
        return [] if sum(c.isalnum() for c in line[0].text) <= 2 else line
    height = statistics.median(w.box[3] - w.box[1] for w in line)
    kept = []
    for index, word in enumerate(line):
        gaps = []
        if index:
            gaps.append(word.box[0] - line[index - 1].box[2])
        if index + 1 < len(line):
            gaps.append(line[index + 1].box[0] - word.box[2])
        # Tesseract's box of a short word may take in the line's whole height: a lone mark
        # taller than the line is one only when it is no short Spanish word.
        tall = word.box[3] - word.box[1] > 1.6 * height and word.text not in _SHORT_WORDS
        if len(word.text) <= 2 and (tall or min(gaps) > 3 * height):
            continue
        kept.append(word)
    return kept


def _text_lines(words: list[Word], dpi: int) -> list[tuple[int, str]]:
    """The words outside the tables as lines of text; a line Tesseract doubts is a stamp, a
    logo or a signature, not text of the annex."""
    lines = []
    for line in map(_without_marks, _group_lines(words)):
        sure = [w for w in line if w.confidence >= 40]
        if (
            not line
            or not sure
            or statistics.mean(w.confidence for w in line) < LOW_CONFIDENCE - 10
        ):
            continue
        lines.append((min(w.box[1] for w in line), " ".join(w.text for w in line)))
    return lines
