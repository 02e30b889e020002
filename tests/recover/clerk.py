"""Documents made the way a clerk's Word makes them, for the recovery of a spec from a document we did not make.

Three documents, each built by code with python-docx (nothing here comes from our templates):

- ``tua_chua_word()``: seed 000 (Tủa Chùa, tháng 4/2023) as its clerk typed it: the header in a borderless
  two-column table, headings in Word's "Heading 2" style with their numbers typed as text ("2.1."), bold
  lead-ins inside paragraphs, Nơi nhận beside the signature in a borderless table, "Lưu VT, VP" without its
  colon, and the phụ lục on a landscape page with the score table typed by hand: a three-level header with
  merged cells, the numbering row with the sample's own typo "(3)" for "(5)", a group row in one merged cell;
- ``tien_lu_tabs()``: seed 004 (Tiên Lữ công văn, tháng 8/2024) laid out with tabs instead of tables: the
  agency and the Quốc hiệu on one line, "Số: …\\tĐộc lập …", the V/v over four lines, Kính gửi with dashes,
  "Nơi nhận:\\t\\tTL. CHỦ TỊCH" and the signature lines sharing their lines with the list, the ranking table;
- ``muong_phang_plain()``: a commune's quarterly report of 2025 (two-level government: a commune under the
  province, the office of the commune's council and committee as the issuer), with italic "Căn cứ" lines,
  manual numbering I., 1., a), "+" items, a table in the body, the signature block as centred paragraphs and
  Nơi nhận under it, a KT. signer.

The body text of the first two is read from the fixture's own copy of the sample (``mau_goc.txt``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.shared import Cm, Mm, Pt

ROOT = Path(__file__).resolve().parents[2]
CENTER, RIGHT, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY


def _document() -> Document:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    return document


def _paragraph(container, text: str = "", *, bold: bool = False, italic: bool = False, align=None, style=None,
               size: float | None = None):
    paragraph = container.add_paragraph(style=style)
    if text:
        _runs(paragraph, text, bold=bold, italic=italic, size=size)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _runs(paragraph, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None) -> None:
    """Text with **bold** and *italic* marks as the sample writes them, in runs of their own."""
    for piece in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not piece:
            continue
        strong = piece.startswith("**")
        slanted = piece.startswith("*") and not strong
        run = paragraph.add_run(piece.strip("*"))
        run.bold = bold or strong
        run.italic = italic or slanted
        if size:
            run.font.size = Pt(size)


def _cell(cell, lines: list[tuple[str, dict]]) -> None:
    cell.paragraphs[0].text = ""
    first = True
    for text, look in lines:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        _runs(paragraph, text, bold=look.get("bold", False), italic=look.get("italic", False),
              size=look.get("size"))
        paragraph.alignment = look.get("align", CENTER)


def _sample(name: str) -> list[str]:
    return (ROOT / "fixtures" / name / "mau_goc.txt").read_text(encoding="utf-8").splitlines()


def _between(lines: list[str], start: str, end: str) -> list[str]:
    begin = next(i for i, line in enumerate(lines) if line.startswith(start))
    stop = next(i for i, line in enumerate(lines) if i > begin and line.startswith(end))
    return lines[begin:stop]


def _body(document, lines: list[str]) -> None:
    """The sample's body paragraphs: "#### 1. …" as Heading 2, "- …" as list paragraphs, the rest as text."""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
        if line.startswith("#### "):
            paragraph = _paragraph(document, line[5:], style="Heading 2")
            for run in paragraph.runs:
                run.font.size = Pt(14)
            continue
        paragraph = _paragraph(document, line, align=JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Cm(1.27)


def _table(document, rows: list[list[str]], *, merges: list[tuple[int, int, int, int]] = (), bold_rows: int = 0,
           style: str = "Table Grid"):
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    table.style = style
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                cell = table.cell(r, c)
                cell.paragraphs[0].text = ""
                _runs(cell.paragraphs[0], text.replace("<b>", "").replace("</b>", ""),
                      bold=r < bold_rows or "<b>" in text, size=11)
    for top, left, bottom, right in merges:
        table.cell(top, left).merge(table.cell(bottom, right))
    return table


def _landscape(document) -> None:
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)


def _save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _signature_table(document, recipients: list[str], signer: list[str], name: str) -> None:
    table = document.add_table(rows=1, cols=2)
    left = [("**Nơi nhận:**", {"italic": True, "align": WD_ALIGN_PARAGRAPH.LEFT, "size": 12})]
    left += [(item, {"align": WD_ALIGN_PARAGRAPH.LEFT, "size": 11}) for item in recipients]
    right = [(line, {"bold": True}) for line in signer] + [("", {})] * 3 + [(name, {"bold": True})]
    _cell(table.cell(0, 0), left)
    _cell(table.cell(0, 1), right)


# ----- 000: Tủa Chùa, as its clerk typed it ---------------------------------------------------------------

def tua_chua_word() -> bytes:
    lines = _sample("tua_chua_2023_04")
    document = _document()
    header = document.add_table(rows=2, cols=2)
    _cell(header.cell(0, 0), [("ỦY BAN NHÂN DÂN", {"bold": True, "size": 13}),
                              ("HUYỆN TỦA CHÙA", {"bold": True, "size": 13}), ("_______", {})])
    _cell(header.cell(0, 1), [("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"bold": True, "size": 13}),
                              ("Độc lập - Tự do - Hạnh phúc", {"bold": True}), ("______________________", {})])
    _cell(header.cell(1, 0), [("Số: /BC- UBND", {"size": 13})])
    _cell(header.cell(1, 1), [("Tủa Chùa, ngày      tháng      năm 2023", {"italic": True, "size": 13})])
    _paragraph(document)
    _paragraph(document, "BÁO CÁO", bold=True, align=CENTER)
    subject = next(line for line in lines if line.startswith("### "))[4:]
    _paragraph(document, subject, bold=True, align=CENTER)
    _paragraph(document, "__________", align=CENTER)
    body = _between(lines, "Thực hiện Quyết định", "**Nơi nhận:**")
    _body(document, body)
    closing = _between(lines, "**Nơi nhận:**", "**TM.")
    recipients = [line for line in closing if line.startswith("- ")]
    _signature_table(document, recipients, ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "Lường Tuấn Anh")
    _landscape(document)
    _paragraph(document, "PHỤ LỤC", bold=True, align=CENTER)
    titles = [line.strip().strip("*").strip() for line in _between(lines, "**KẾT QUẢ", "*(Kèm theo")]
    for title in titles:
        _paragraph(document, title, bold=True, align=CENTER)
    attached = next(line for line in lines if line.startswith("*(Kèm theo"))
    _paragraph(document, attached.strip("*"), italic=True, align=CENTER)
    rows = [line.split("\t") for line in lines if "\t" in line]
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    rows[0][0] = "STT"  # the sample's "ST T" is the cell's text wrapped in a narrow column
    merges = [(0, 0, 2, 0), (0, 1, 2, 1), (0, 2, 0, 12), (0, 13, 2, 13), (0, 14, 2, 14), (0, 15, 2, 15),
              (1, 2, 1, 4), (1, 5, 2, 5), (1, 6, 1, 7), (1, 8, 1, 9), (1, 10, 1, 12), (4, 0, 4, 15)]
    _table(document, rows, merges=merges, bold_rows=3)
    return _save(document)


# ----- 004: Tiên Lữ, with tabs -----------------------------------------------------------------------------


def _tabbed(document, left: str, right: str, *, bold_left=False, bold_right=False, italic_right=False,
            size: float | None = None):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(11), WD_TAB_ALIGNMENT.CENTER)
    if left:
        _runs(paragraph, left, bold=bold_left, size=size)
    paragraph.add_run("\t")
    if right:
        _runs(paragraph, right, bold=bold_right, italic=italic_right, size=size)
    return paragraph


def tien_lu_tabs() -> bytes:
    lines = _sample("tien_lu_2024_08")
    document = _document()
    _tabbed(document, "ỦY BAN NHÂN DÂN", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold_left=True, bold_right=True,
            size=13)
    _tabbed(document, "HUYỆN TIÊN LŨ", "Độc lập - Tự do - Hạnh phúc", bold_left=True, bold_right=True, size=13)
    _tabbed(document, "Số:      /UBND-VP", "", size=13)
    for part in ("V/v Công bố kết quả đánh giá Bộ chỉ", "số phục vụ người dân, doanh nghiệp",
                 "trong thực hiện TTHC, cung cấp", "dịch vụ công tháng 8/2024"):
        _paragraph(document, part, size=12)
    _tabbed(document, "", "Tiên Lũ, ngày      tháng      năm 2024", italic_right=True, size=13)
    _paragraph(document)
    kinh_gui = document.add_paragraph()
    kinh_gui.add_run("Kính gửi:")
    for item in ("- Các phòng, ngành thuộc UBND huyện;", "- UBND các xã, thị trấn."):
        paragraph = _paragraph(document, item)
        paragraph.paragraph_format.left_indent = Cm(4)
    body = _between(lines, "Căn cứ Quyết định", "Nơi nhận:")
    bases = [line for line in body[:4] if line.strip()][:2]
    for base in bases:
        paragraph = _paragraph(document, base.strip(), italic=True, align=JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    rest = body[body.index(bases[-1]) + 1:]
    # The sample broke item 1 over two paragraphs (a page break in the original): the clerk's file has one.
    joined: list[str] = []
    for line in rest:
        if joined and line.startswith("cũng như"):
            joined[-1] = joined[-1].rstrip() + " " + line
        elif line.strip():
            joined.append(line)
    _body(document, [line.replace("*", "") for line in joined])
    closing = _between(lines, "Nơi nhận:", "**TL.")
    recipients = [line for line in closing if line.startswith("- ")]
    _tabbed(document, "Nơi nhận:", "TL. CHỦ TỊCH", bold_left=True, bold_right=True, size=12)
    signer = ["CHÁNH VĂN PHÒNG", "", "", "", "Nguyễn Thị Tố Uyên"]
    for index in range(max(len(recipients), len(signer))):
        left = recipients[index] if index < len(recipients) else ""
        right = signer[index] if index < len(signer) else ""
        _tabbed(document, left, right, bold_right=True, size=11)
    document.add_page_break()
    _paragraph(document, "Phụ lục", bold=True, align=CENTER)
    for title in ("MỘT SỐ TIÊU CHÍ THÀNH PHẦN TRONG BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN",
                  "DOANH NGHIỆP ĐO LƯỜNG TRÊN CÔNG DỊCH VỤ CÔNG QUỐC GIA", "THÁNG 8/2024"):
        _paragraph(document, title, bold=True, align=CENTER)
    rows = [line.split("\t") for line in lines if "\t" in line]
    _table(document, rows, bold_rows=1)
    return _save(document)


# ----- a commune's quarterly report of 2025, in plain paragraphs -----------------------------------------

MUONG_PHANG_UNITS = [("Thôn Bản Phăng", "312", "298", "95,51"), ("Thôn Co Củ", "204", "190", "93,14"),
                     ("Thôn Nà Nhạn", "187", "181", "96,79")]


def muong_phang_plain() -> bytes:
    document = _document()
    _tabbed(document, "UBND XÃ MƯỜNG PHĂNG", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold_right=True, size=13)
    _tabbed(document, "VĂN PHÒNG HĐND VÀ UBND", "Độc lập - Tự do - Hạnh phúc", bold_left=True, bold_right=True,
            size=13)
    _paragraph(document)
    _tabbed(document, "Số: 47/BC-VP", "Mường Phăng, ngày 03 tháng 10 năm 2025", italic_right=True, size=13)
    _paragraph(document)
    _paragraph(document, "BÁO CÁO", bold=True, align=CENTER)
    _paragraph(document, "Kết quả giải quyết thủ tục hành chính quý III năm 2025", bold=True, align=CENTER)
    _paragraph(document, "Kính gửi: Ủy ban nhân dân xã Mường Phăng", align=CENTER)
    for base in ("Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ;",
                 "Căn cứ Kế hoạch số 12/KH-UBND ngày 15/01/2025 của Ủy ban nhân dân xã."):
        paragraph = _paragraph(document, base, italic=True, align=JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    body = [
        "I. KẾT QUẢ THỰC HIỆN",
        "1. Tiếp nhận và giải quyết hồ sơ",
        "Trong quý III năm 2025, Bộ phận Một cửa xã tiếp nhận 703 hồ sơ, đã giải quyết 669 hồ sơ.",
        "a) Hồ sơ trực tuyến",
        "+ Tiếp nhận trực tuyến: 512 hồ sơ;",
        "+ Thanh toán trực tuyến: 388 hồ sơ.",
        "b) Hồ sơ trực tiếp",
        "Kết quả theo từng thôn như sau:",
    ]
    for line in body:
        bold = bool(re.match(r"^(I\.|1\.)\s", line))
        paragraph = _paragraph(document, line, bold=bold, italic=line.startswith(("a)", "b)")), align=JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    _table(document, [["Thôn", "Tiếp nhận", "Đã giải quyết", "Tỷ lệ (%)"],
                      *[list(unit) for unit in MUONG_PHANG_UNITS]], bold_rows=1)
    for line in ("2. Tồn tại, hạn chế",
                 "- Một số hồ sơ còn chậm do thiếu thành phần.",
                 "II. PHƯƠNG HƯỚNG QUÝ IV NĂM 2025",
                 "Tiếp tục nâng cao tỷ lệ hồ sơ trực tuyến trong quý IV năm 2025.",
                 "Trên đây là báo cáo kết quả giải quyết thủ tục hành chính quý III năm 2025./."):
        bold = bool(re.match(r"^(I{1,3}\.|\d\.)\s", line))
        paragraph = _paragraph(document, line, bold=bold, align=JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Cm(1.27)
    _paragraph(document)
    for line in ("KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"):
        paragraph = _paragraph(document, line, bold=True, align=CENTER)
        paragraph.paragraph_format.left_indent = Cm(8)
    for _ in range(3):
        _paragraph(document)
    paragraph = _paragraph(document, "Quàng Thị Dung", bold=True, align=CENTER)
    paragraph.paragraph_format.left_indent = Cm(8)
    _paragraph(document, "Nơi nhận:", bold=True, italic=True, size=12)
    for item in ("- Như trên;", "- Chủ tịch UBND xã (b/c);", "- Lưu: VT, VP."):
        _paragraph(document, item, size=11)
    return _save(document)


DOCUMENTS = {"tua_chua_word": tua_chua_word, "tien_lu_tabs": tien_lu_tabs, "muong_phang_plain": muong_phang_plain}
