"""The blocks of an Anexo F printed to PDF: ruled tables, and the lines between them joined
into paragraphs.

A printed paragraph's lines are joined by a space; a new paragraph starts where the space
between two lines is larger than within one, or where the weight of the type changes (a bold
heading above its text). The page footer 'Página X de Y' is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mejora.annex.limits import ReadingLimits
from mejora.annex.position import Block, Paragraph, Table
from mejora.annex.signatures import Piece, SideBySide, char_pieces, column_of, columns
from mejora.annex.words import fold, squash

_TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
_PAGE_FOOTER = re.compile(r"^pagina\s+\d+\s+de\s+\d+$")
# Between lines of one paragraph the gap is a fraction of the type's size; between paragraphs
# it is a whole line or more.
_PARAGRAPH_GAP = 0.45
# A name or a post of a signature side by side; longer, a justified line's words stretched.
_LONGEST_PIECE = 80


def pdf_blocks(data: bytes, limits: ReadingLimits, *, pages: int | None = None) -> Iterator[Block]:
    """The blocks page after page (the first `pages` only, if given), read as the annex readers
    read a PDF (pdf_guard's budget)."""
    from mejora.annex.parsers import pdf_guard

    with pdf_guard.open_pdf(data, limits) as (pdf, account, _count):
        for number, page in enumerate(pdf_guard.pages(pdf, account)):
            if pages is not None and number >= pages:
                break
            with pdf_guard.page_damage(account, page.page_number):
                blocks = _page_blocks(page)
            account.check()
            yield from blocks


def _page_blocks(page) -> list[Block]:
    tables = page.find_tables(_TABLE_SETTINGS)
    placed: list[tuple[float, Block]] = []
    for table in tables:
        rows = tuple(tuple(squash(cell or "") for cell in row) for row in table.extract())
        placed.append((table.bbox[1], Table(rows)))
    boxes = [table.bbox for table in tables]

    def outside(obj: dict) -> bool:
        # By the middle of each glyph: a line printed right under a table touches its border.
        middle_x, middle_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(
            x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in boxes
        )

    paragraph: list[str] = []
    last = None
    laid: list[tuple[float, list[Piece]]] = []  # lines of a block of signatures side by side
    for line in page.filter(outside).extract_text_lines(return_chars=True):
        text = squash(line["text"])
        if not text or _PAGE_FOOTER.match(fold(text)):
            continue
        size = max(char["size"] for char in line["chars"])
        bold = "bold" in line["chars"][0]["fontname"].lower()
        pieces = char_pieces(line["chars"])
        below = last is not None and line["top"] - last["bottom"] <= _PARAGRAPH_GAP * size
        columnar = SideBySide.opens(pieces) and all(len(p.text) <= _LONGEST_PIECE for p in pieces)
        if columnar or (laid and below and last["laid"]):
            # Columns across the page: a table without borders, each column where it stands.
            if paragraph and last is not None:
                placed.append((last["top_of_paragraph"], Paragraph(" ".join(paragraph))))
                paragraph = []
            laid.append((line["top"], pieces))
            last = {"bottom": line["bottom"], "bold": bold, "top_of_paragraph": line["top"]}
            last["laid"] = True
            continue
        if laid:
            placed.append(_laid_table(laid))
            laid = []
        if last is not None and (
            line["top"] - last["bottom"] > _PARAGRAPH_GAP * size
            or bold != last["bold"]
            or any(last["bottom"] < t.bbox[1] < line["top"] for t in tables)
        ):
            placed.append((last["top_of_paragraph"], Paragraph(" ".join(paragraph))))
            paragraph = []
        top = line["top"] if not paragraph else last["top_of_paragraph"]
        paragraph.append(text)
        last = {"bottom": line["bottom"], "bold": bold, "top_of_paragraph": top, "laid": False}
    if paragraph and last is not None:
        placed.append((last["top_of_paragraph"], Paragraph(" ".join(paragraph))))
    if laid:
        placed.append(_laid_table(laid))
    placed.sort(key=lambda item: item[0])
    return [block for _, block in placed]


def _laid_table(lines: list[tuple[float, list[Piece]]]) -> tuple[float, Table]:
    """Lines laid out in columns as the rows of a table, a cell per column the pieces share."""
    starts = [start for start, _ in columns(pieces for _, pieces in lines)]
    rows = []
    for _, pieces in lines:
        cells = [""] * len(starts)
        for piece in pieces:
            index = column_of(starts, piece)
            cells[index] = squash(f"{cells[index]} {piece.text}")
        rows.append(tuple(cells))
    return lines[0][0], Table(tuple(rows))
