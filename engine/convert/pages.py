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
