"""Turn a PDF into PNG images of its pages, for people to look at and for visual regression.

Drawn by poppler's ``pdftoppm`` (Debian's poppler-utils), the same renderer as ``pdftotext``
that the PDF tests use. Each page comes back as PNG bytes; nothing is written here, the caller
writes the files (atomically).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from engine.errors import Location, OutputError, Problem

DEFAULT_DPI = 80
TIMEOUT = 120.0


def find_pdftoppm() -> str | None:
    return shutil.which("pdftoppm")


def pdftoppm_version() -> str | None:
    """The poppler version string (recorded in the visual golden manifest), or None."""
    tool = find_pdftoppm()
    if tool is None:
        return None
    done = subprocess.run([tool, "-v"], capture_output=True, text=True, timeout=30)
    first = (done.stderr or done.stdout).strip().splitlines()
    return first[0] if first else None


def page_images(pdf: bytes, *, dpi: int = DEFAULT_DPI, mode: Literal["colour", "gray", "mono"] = "colour",
                source: str | None = None, first_pages: int | None = None) -> list[bytes]:
    """PNG bytes of the pages of ``pdf`` at ``dpi`` dots per inch, in order: every page, or the first ones.

    ``mono`` (black and white) makes files about five times smaller than ``gray``: the golden
    images of the visual tests use it. ``first_pages`` draws only that many (a PDF from outside
    may claim thousands of pages).
    """
    tool = find_pdftoppm()
    if tool is None:
        raise OutputError(Problem(
            "PREVIEW_UNAVAILABLE", "máy không có pdftoppm để vẽ ảnh trang", Location(file=source),
            hint="Cài poppler-utils: apt-get install poppler-utils.",
        ))
    with tempfile.TemporaryDirectory(prefix="vanban-pages-") as folder:
        pdf_path = Path(folder) / "in.pdf"
        pdf_path.write_bytes(pdf)
        colours = {"gray": ["-gray"], "mono": ["-mono"]}.get(mode, [])
        last = ["-l", str(first_pages)] if first_pages is not None else []
        command = [tool, "-png", "-r", str(dpi), *colours, *last, str(pdf_path), str(Path(folder) / "p")]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            done = None
        if done is None or done.returncode != 0:
            reason = "quá thời gian" if done is None else done.stderr.decode("utf-8", "replace").strip()[:200]
            raise OutputError(Problem("PREVIEW_UNAVAILABLE", f"không vẽ được ảnh trang ({reason})",
                                      Location(file=source), hint="Kiểm tra tệp PDF mở được."))
        # pdftoppm names pages p-1.png … p-10.png, zero-padded to the page count's width.
        pages = sorted(Path(folder).glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
        return [page.read_bytes() for page in pages]


def quick_page_images(pdf: bytes, *, dpi: int = 60, first_pages: int | None = None,
                      source: str | None = None) -> tuple[list[bytes], int]:
    """PNG bytes of the first pages of ``pdf`` drawn by PDFium, and the PDF's page count: the web page's preview.

    A quarter of pdftoppm's time for a three-page report at 60 dpi (no process to start, no files), which
    is what keeps a preview within the 1.5 s of a change (benchmarks/web_preview.py). The visual golden
    images keep pdftoppm (:func:`page_images`): the PDF tests read text with the same renderer. Pillow writes
    the PNG.
    """
    import io

    import pypdfium2 as pdfium

    from engine.trust.limits import current_limits

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise OutputError(Problem("PREVIEW_UNAVAILABLE", f"không vẽ được ảnh trang ({exc})", Location(file=source),
                                  hint="Kiểm tra tệp PDF mở được.")) from None
    most_pixels = current_limits().anh_diem_anh
    images: list[bytes] = []
    try:
        count = len(document)
        for index in range(count if first_pages is None else min(count, first_pages)):
            page = document[index]
            width, height = page.get_size()  # points
            scale = dpi / 72
            if width * height * scale * scale > most_pixels:  # a page of absurd size is drawn smaller, not refused
                scale = (most_pixels / (width * height)) ** 0.5
            bitmap = page.render(scale=scale, rev_byteorder=True)  # RGB, not PDFium's BGR
            picture = io.BytesIO()
            bitmap.to_pil().save(picture, format="PNG", compress_level=6)
            images.append(picture.getvalue())
            bitmap.close()
            page.close()
    finally:
        document.close()
    return images, count
