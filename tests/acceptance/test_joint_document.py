"""The joint document of fixtures/lien_tich_2026_03 as LibreOffice draws it: three signature blocks, the seal over
the left third of its signature, Nơi nhận with its sub-headings under the blocks.

The positions are read from the PDF (PDFium: each image's box on the page), as a reader of the printed page
would see them; the layout golden and check cover the .docx itself.
"""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from tests.conftest import FIXTURES

CASE = "lien_tich_2026_03"
FOLDER = FIXTURES / CASE
MM = 72 / 25.4


def test_the_images_are_the_ones_the_script_draws() -> None:
    pytest.importorskip("PIL")
    from importlib import util

    loader = util.spec_from_file_location("tao_anh", FOLDER / "tao_anh.py")
    module = util.module_from_spec(loader)
    loader.loader.exec_module(module)
    for name, data in module.files().items():
        assert (FOLDER / name).read_bytes() == data, f"rebuild it: python {FOLDER / 'tao_anh.py'}"


def _image_boxes(pdf: bytes) -> list[tuple[int, float, float, float, float]]:
    """Every image on every page: (page, left, bottom, right, top) in mm from the page's lower left corner."""
    document = pdfium.PdfDocument(pdf)
    boxes = []
    for number, page in enumerate(document, start=1):
        for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE]):
            left, bottom, right, top = image.get_bounds()
            boxes.append((number, left / MM, bottom / MM, right / MM, top / MM))
    return boxes


def test_the_seal_covers_the_left_third_of_its_signature_on_the_printed_page(fixture_pdfs) -> None:
    boxes = _image_boxes(fixture_pdfs[CASE].pdf)
    assert len(boxes) == 3  # two signatures and a seal, all on page 1
    seal = next(b for b in boxes if abs((b[3] - b[1]) - (b[4] - b[2])) < 0.5)  # the square one
    signatures = sorted((b for b in boxes if b is not seal), key=lambda b: b[1])
    assert {b[0] for b in boxes} == {1}
    assert [round(b[3] - b[1]) for b in signatures] == [40, 40] and round(seal[3] - seal[1]) == 34
    lead = signatures[1]  # the issuing body's signer stands on the right
    assert seal[3] == pytest.approx(lead[1] + (lead[3] - lead[1]) / 3, abs=0.3)
    # centred on the signature's height (LibreOffice sets the picture a little under the top of its line)
    assert (seal[2] + seal[4]) / 2 == pytest.approx((lead[2] + lead[4]) / 2, abs=1.5)


def test_the_printed_page_keeps_noi_nhan_together_with_its_sub_headings(fixture_pdfs) -> None:
    document = pdfium.PdfDocument(fixture_pdfs[CASE].pdf)
    pages = [page.get_textpage().get_text_range() for page in document]
    with_list = [i for i, text in enumerate(pages) if "Nơi nhận:" in text]
    assert len(with_list) == 1
    lines = [" ".join(line.split()) for line in pages[with_list[0]].splitlines()]
    start = lines.index("Nơi nhận:")
    assert lines[start:start + 7] == ["Nơi nhận:", "Gửi bản điện tử:", "- Văn phòng HĐND và UBND xã;",
                                      "- Thường trực Đảng ủy xã;", "- Trang thông tin điện tử xã;", "Gửi bản giấy:",
                                      "- Các thôn (14 bản);"]
    assert "Nguyễn Văn Hậu" in pages[0] and "Hoàng Thị Lan" in pages[0] and "Lý Văn Minh" in pages[0]
