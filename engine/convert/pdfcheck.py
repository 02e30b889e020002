"""Look inside a produced PDF: page sizes and orientation, text and fonts; join PDFs.

Why: a PDF that LibreOffice made from our .docx can still be wrong in ways a user notices only on
paper: a page that is not A4, a landscape appendix that came out portrait, a lost page, text that
did not make it, or Times New Roman silently replaced because the machine does not have it. These
checks read the PDF back and say so in Vietnamese: pypdf for the page boxes and fonts, PDFium
(pypdfium2) for the text, which it extracts ten times faster than pypdf (1.5 ms against 16 ms for
a page here), so a PDF can be checked whole on every conversion.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pypdfium2
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject

A4_MM = (210.0, 297.0)
A4_TOLERANCE_MM = 2.0
_PT_TO_MM = 25.4 / 72

# Serif families LibreOffice may put in place of Times New Roman. The first group has the same
# character widths, so lines and pages break exactly as with Times New Roman.
_METRIC_COMPATIBLE = {"liberationserif": "Liberation Serif", "tinos": "Tinos", "nimbusroman": "Nimbus Roman",
                      "nimbusromno9l": "Nimbus Roman"}
_OTHER_SERIFS = {"texgyretermes": "TeX Gyre Termes", "freeserif": "FreeSerif", "dejavuserif": "DejaVu Serif",
                 "notoserif": "Noto Serif", "georgia": "Georgia", "cambria": "Cambria", "garamond": "Garamond",
                 "palatino": "Palatino", "bookantiqua": "Book Antiqua"}
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


@dataclass(frozen=True)
class PageInfo:
    """One page as printed: size in millimetres after /Rotate, and its text."""

    width_mm: float
    height_mm: float
    landscape: bool
    text: str

    @property
    def is_a4(self) -> bool:
        size = sorted((self.width_mm, self.height_mm))
        return all(abs(got - want) <= A4_TOLERANCE_MM for got, want in zip(size, A4_MM, strict=True))


@dataclass(frozen=True)
class PdfInfo:
    """Pages of a PDF and the base names of the fonts it uses (without subset prefix)."""

    pages: tuple[PageInfo, ...]
    fonts: frozenset[str]

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def text(self) -> str:
        return "\n".join(page.text for page in self.pages)


def read_pdf(data: bytes, *, fonts: bool = True) -> PdfInfo:
    """Read sizes, orientation, text (NFC) and fonts of every page of a PDF.

    ``fonts=False``: everything but the fonts (``PdfInfo.fonts`` empty), read by PDFium alone in the
    same pass as the text. That skips pypdf's parse of the whole file and its walk of every page's
    resources, half the time of reading a one-page PDF; a batch uses it, as it shows no font notice.
    """
    if not fonts:
        return PdfInfo(tuple(_pdfium_pages(data)), frozenset())
    reader = PdfReader(io.BytesIO(data))
    texts = _page_texts(data, len(reader.pages))
    pages: list[PageInfo] = []
    fonts: set[str] = set()
    for number, page in enumerate(reader.pages):
        width = float(page.mediabox.width) * _PT_TO_MM
        height = float(page.mediabox.height) * _PT_TO_MM
        if page.rotation % 180 == 90:  # /Rotate turns the sheet: a portrait box shown sideways is landscape
            width, height = height, width
        pages.append(PageInfo(round(width, 1), round(height, 1), width > height, texts[number]))
        fonts.update(_fonts_of(page.get("/Resources"), set()))
    return PdfInfo(tuple(pages), frozenset(fonts))


_pdfium_lock = threading.Lock()  # PDFium is not thread-safe; pypdfium2 leaves that to its callers


def _pdfium_pages(data: bytes) -> list[PageInfo]:
    """Size after /Rotate, orientation and text (NFC) of every page, as :func:`read_pdf` gives them, by PDFium."""
    pages = []
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(data)
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    left, bottom, right, top = page.get_mediabox()
                    rotation = page.get_rotation()
                    textpage = page.get_textpage()
                    try:
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
                width, height = (right - left) * _PT_TO_MM, (top - bottom) * _PT_TO_MM
                if rotation % 180 == 90:
                    width, height = height, width
                pages.append(PageInfo(round(width, 1), round(height, 1), width > height,
                                      unicodedata.normalize("NFC", text.replace("\r\n", "\n"))))
        finally:
            document.close()
    return pages


def _page_texts(data: bytes, count: int) -> list[str]:
    """The text of the first ``count`` pages, in NFC, with plain newlines.

    Extracted Vietnamese may come out decomposed (base letter + combining marks); compare in NFC.
    """
    texts = []
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(data)
        try:
            for index in range(count):
                page = document[index]
                textpage = page.get_textpage()
                try:
                    texts.append(textpage.get_text_range())
                finally:
                    textpage.close()
                    page.close()
        finally:
            document.close()
    return [unicodedata.normalize("NFC", text.replace("\r\n", "\n")) for text in texts]


def _fonts_of(resources: object, seen: set[int]) -> Iterable[str]:
    """Base font names in a resource dictionary, including those of form XObjects drawn on the page."""
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject) or id(resources) in seen:
        return
    seen.add(id(resources))
    font_dict = _resolve(resources.get("/Font"))
    if isinstance(font_dict, DictionaryObject):
        for font in font_dict.values():
            font = _resolve(font)
            if isinstance(font, DictionaryObject) and "/BaseFont" in font:
                yield _SUBSET_PREFIX.sub("", str(font["/BaseFont"]).lstrip("/"))
    xobjects = _resolve(resources.get("/XObject"))
    if isinstance(xobjects, DictionaryObject):
        for xobject in xobjects.values():
            xobject = _resolve(xobject)
            if isinstance(xobject, DictionaryObject) and xobject.get("/Subtype") == "/Form":
                yield from _fonts_of(xobject.get("/Resources"), seen)


def _resolve(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def check_pdf(info: PdfInfo, *, expect_pages_at_least: int = 1, expected_text: Iterable[str] = ()) -> list[str]:
    """What is wrong with the PDF, in Vietnamese; empty when all is well.

    Checks: every page is A4 (either way round, within 2 mm), there are at least
    ``expect_pages_at_least`` pages, and each of ``expected_text`` appears (spaces and line breaks
    do not matter, since the PDF breaks lines where the page does).
    """
    problems: list[str] = []
    if info.page_count < expect_pages_at_least:
        problems.append(f"PDF chỉ có {info.page_count} trang, cần ít nhất {expect_pages_at_least} trang.")
    for number, page in enumerate(info.pages, 1):
        if not page.is_a4:
            problems.append(f"Trang {number} có khổ {page.width_mm:.0f} × {page.height_mm:.0f} mm, "
                            f"không phải khổ A4 (210 × 297 mm).")
    expected = tuple(expected_text)
    text = _squash(info.text) if expected else ""  # a batch's check asks for no passage: not read for nothing
    for wanted in expected:
        if _squash(wanted) not in text:
            problems.append(f'Không thấy đoạn chữ "{wanted}" trong PDF.')
    return problems


def _family_key(font: str) -> str:
    """'LiberationSerif-BoldItalic' or 'Times New Roman,Bold' → 'liberationserif' / 'timesnewroman'."""
    family = re.split(r"[-,]", font, maxsplit=1)[0]
    return re.sub(r"[^a-z0-9]", "", family.lower())


def font_notice(info: PdfInfo) -> str | None:
    """A notice when Times New Roman was replaced by another serif font; None otherwise.

    None as well when the PDF has Times New Roman, or no serif font we know (then it is not a
    question of a missing font). When the replacement lacks some Vietnamese letters and LibreOffice
    drew those from yet another font (Liberation Serif 1.x has no "Ộ" or "Ệ"), the notice says so:
    those letters look different on paper.
    """
    families = {_family_key(font) for font in info.fonts}
    if any(family.startswith("timesnewroman") or family == "times" for family in families):
        return None
    compatible = [name for key, name in _METRIC_COMPATIBLE.items() if key in families]
    others = [name for key, name in _OTHER_SERIFS.items() if key in families]
    if compatible:
        notice = ("Máy không có phông Times New Roman; LibreOffice đã dùng phông tương thích kích thước "
                  f"{compatible[0]}.")
        if others:
            notice += (f" Một số chữ tiếng Việt không có trong phông này nên được in bằng phông {', '.join(others)}; "
                       "cài gói fonts-liberation2 (Liberation Serif 2 có đủ chữ tiếng Việt) hoặc phông "
                       "Times New Roman để cả văn bản dùng một phông.")
        return notice
    if others:
        return (f"Máy không có phông Times New Roman; LibreOffice đã dùng phông {others[0]} thay thế, "
                "dòng và trang có thể ngắt khác bản in trên máy có Times New Roman.")
    return None


def merge_pdfs(parts: list[bytes]) -> bytes:
    """One PDF with the pages of every part, in order."""
    if not parts:
        raise ValueError("merge_pdfs needs at least one PDF")
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    writer.close()
    return out.getvalue()
