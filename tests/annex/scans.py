"""Scans made by the tests from our own annexes: printed by the project's renderer, rasterised,
and spoiled as a copier and an office spoil paper (turned, skewed, noisy, JPEG-compressed, a
logo and a signature stamped on), then packed as an image file or a PDF of images."""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy
from PIL import Image, ImageDraw, ImageFilter

from mejora.annex.document import AnnexDocument
from mejora.annex.renderers.pdf import render_pdf


@dataclass(frozen=True)
class Spoil:
    dpi: int = 150
    turn: int = 0  # degrees counter-clockwise: 90 and 270 are a landscape page fed sideways
    skew: float = 0.0
    noise: float = 0.0  # standard deviation of the grey noise added, in levels
    jpeg: int | None = None  # JPEG quality the page went through
    stamps: bool = False  # a logo and a signature


def pages_of(pdf: bytes, dpi: int) -> list[Image.Image]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def spoil(page: Image.Image, how: Spoil, seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    page = page.copy()
    if how.stamps:
        _stamp(page, how.dpi, rng)
    if how.skew:
        page = page.rotate(how.skew, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    if how.turn:
        page = page.rotate(how.turn, expand=True, fillcolor=255)
    if how.noise:
        grain = numpy.random.default_rng(seed).normal(128, how.noise, (page.height, page.width))
        noise = Image.fromarray(numpy.clip(grain, 0, 255).astype(numpy.uint8))
        page = Image.blend(page, noise, 0.25).filter(ImageFilter.SMOOTH)
        page = Image.eval(page, lambda v: min(255, int(v * 1.18)))  # the blend greyed the paper
    if how.jpeg:
        out = io.BytesIO()
        page.save(out, format="JPEG", quality=how.jpeg)
        page = Image.open(io.BytesIO(out.getvalue())).convert("L")
    return page


def _stamp(page: Image.Image, dpi: int, rng: random.Random) -> None:
    """A logo in the top corner and a handwritten signature in the bottom margin."""
    draw = ImageDraw.Draw(page)
    unit = dpi / 20  # the logo fits the top margin, beside the title
    x, y = int(unit * 2), int(unit * 0.5)
    draw.ellipse((x, y, x + 6 * unit, y + 6 * unit), fill=90)
    draw.polygon(
        [(x + 3 * unit, y + unit), (x + 5 * unit, y + 5 * unit), (x + unit, y + 5 * unit)], fill=220
    )
    width, height = page.size
    start_x, start_y = width - 30 * unit, height - 5 * unit
    points = []
    for step in range(120):
        t = step / 119
        points.append(
            (
                start_x + t * 20 * unit + math.sin(t * 25) * unit,
                start_y + math.sin(t * 13 + rng.random()) * 1.5 * unit,
            )
        )
    draw.line(points, fill=30, width=max(2, dpi // 75))


def scan_file(doc: AnnexDocument, how: Spoil, *, kind: str = "pdf") -> bytes:
    """The annex printed and scanned: a PDF of page images, or a PNG, JPEG or TIFF."""
    pages = [spoil(page, how, seed) for seed, page in enumerate(pages_of(render_pdf(doc), how.dpi))]
    out = io.BytesIO()
    first, rest = pages[0], pages[1:]
    match kind:
        case "pdf":
            first.save(out, format="PDF", save_all=True, append_images=rest, resolution=how.dpi)
        case "tiff":
            first.save(
                out,
                format="TIFF",
                save_all=True,
                append_images=rest,
                dpi=(how.dpi, how.dpi),
                compression="tiff_deflate",
            )
        case "png" | "jpeg":
            assert not rest, "one page per PNG or JPEG"
            first.save(out, format=kind.upper(), dpi=(how.dpi, how.dpi))
    return out.getvalue()


def scan_of_pdf(pdf: bytes, how: Spoil, *, seed: int = 0) -> bytes:
    """A PDF printed elsewhere (by LibreOffice from an agency's Word file) scanned as
    `scan_file` scans ours: each page rasterised, spoiled, and packed as a PDF of images."""
    pages = [spoil(page, how, seed + n) for n, page in enumerate(pages_of(pdf, how.dpi))]
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=how.dpi)
    return out.getvalue()
