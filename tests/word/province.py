"""A province's own template, made the way a maintainer makes one: our template opened, changed and saved.

The changes are those a province makes in Word: its emblem in the first page's header (an image part
and a drawing), its own body spacing and font size within Nghị định 30 (13 pt, 1.15 lines, 4 pt after),
and tags Word split while the maintainer edited around them (spell-check marks on a field name, half a
tag made italic and back). Saved by python-docx, which writes the package as Word does (parts, content
types, relationships). ``python -m tests.word.province`` rebuilds fixtures/mau_rieng_tinh/mau_tinh.docx.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.shared import Mm, Pt

from tests.word.variants import KINDS, split_tags

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "templates" / "bao_cao" / "bao_cao.docx"
TARGET = ROOT / "fixtures" / "mau_rieng_tinh" / "mau_tinh.docx"


def emblem_png() -> bytes:
    """A round red emblem with a yellow star-like centre, 240 px square (drawn, not copied from anywhere)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 240), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), fill=(200, 16, 46), outline=(160, 10, 30), width=6)
    points = [(120, 40), (141, 98), (202, 98), (153, 134), (172, 194), (120, 158), (68, 194), (87, 134), (38, 98),
              (99, 98)]
    draw.polygon(points, fill=(255, 205, 0))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def build() -> bytes:
    document = Document(str(SOURCE))
    section = document.sections[0]
    header = section.first_page_header
    paragraph = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
    paragraph.add_run().add_picture(io.BytesIO(emblem_png()), width=Mm(14))
    normal = document.styles["Normal"]
    normal.font.size = Pt(13)
    normal.paragraph_format.line_spacing = 1.15
    normal.paragraph_format.space_after = Pt(4)
    buffer = io.BytesIO()
    document.save(buffer)
    package = buffer.getvalue()
    package, _ = split_tags(package, KINDS["proof_marks"], only="{{ van_ban.trich_yeu }}")
    package, _ = split_tags(package, KINDS["italic_half"], only="{{ van_ban.so_ky_hieu }}")
    package, _ = split_tags(package, KINDS["bookmark_inside"], only="{{ van_ban.nguoi_ky.ho_ten }}")
    return _same_dates(package)


def _same_dates(package: bytes) -> bytes:
    """The package with every entry dated 1980-01-01 (zip stores the time of saving): the same bytes each build."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)), source.read(item),
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


if __name__ == "__main__":
    TARGET.write_bytes(build())
    sys.stdout.write(f"Đã ghi {TARGET}\n")
