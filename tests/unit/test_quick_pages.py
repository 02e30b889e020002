"""The web page's page images (PDFium): every page, the count, the size asked for, the colours as drawn."""

from __future__ import annotations

import io

import pytest

from engine.convert.pages import quick_page_images
from engine.errors import OutputError

Image = pytest.importorskip("PIL.Image", reason="Pillow is a dev dependency: pip install -e '.[dev]'")


def _pdf(pages: list[tuple[float, float]], colour: tuple[float, float, float] = (1, 0, 0)) -> bytes:
    """A PDF of blank pages of the given sizes (points), each with one filled square in ``colour`` at its top left."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument.new()
    for width, height in pages:
        page = document.new_page(width, height)
        square = raw.FPDFPageObj_CreateNewRect(0, height - 72, 72, 72)
        raw.FPDFPageObj_SetFillColor(square, *(int(c * 255) for c in colour), 255)
        raw.FPDFPath_SetDrawMode(square, raw.FPDF_FILLMODE_ALTERNATE, False)
        raw.FPDFPage_InsertObject(page.raw, square)
        raw.FPDFPage_GenerateContent(page.raw)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_every_page_is_a_png_of_the_size_the_dpi_makes_with_the_page_count():
    a4, landscape = (595.3, 841.9), (841.9, 595.3)
    images, count = quick_page_images(_pdf([a4, a4, landscape]), dpi=72)
    assert count == 3 and len(images) == 3
    sizes = [Image.open(io.BytesIO(image)).size for image in images]
    assert sizes[0] == pytest.approx((595, 842), abs=1) and sizes[2] == pytest.approx((842, 595), abs=1)
    half = Image.open(io.BytesIO(quick_page_images(_pdf([a4]), dpi=36)[0][0])).size
    assert half == pytest.approx((298, 421), abs=1)


def test_the_colours_are_red_green_blue_as_drawn_not_pdfiums_byte_order():
    [image], _ = quick_page_images(_pdf([(200, 200)], colour=(1, 0, 0)), dpi=72)
    picture = Image.open(io.BytesIO(image)).convert("RGB")
    assert picture.getpixel((10, 10)) == (255, 0, 0) and picture.getpixel((150, 150)) == (255, 255, 255)


def test_only_the_first_pages_asked_for_are_drawn_and_the_count_says_how_many_there_are():
    images, count = quick_page_images(_pdf([(200, 200)] * 5), dpi=20, first_pages=2)
    assert len(images) == 2 and count == 5


def test_a_file_that_is_not_a_pdf_is_the_engines_preview_error():
    with pytest.raises(OutputError) as raised:
        quick_page_images(b"not a pdf")
    assert raised.value.problems[0].code == "PREVIEW_UNAVAILABLE"
