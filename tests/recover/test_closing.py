"""The recovery reads the closing back: Nơi nhận sub-headings, several signature blocks, a joint header.

Our own joint document (fixtures/lien_tich_2026_03) comes back as a spec that renders the same text; documents
typed in Word (built here with python-docx) with a sub-headed Nơi nhận beside one signer, or two blocks without
quyền hạn above Nơi nhận, come back with their groups and their signers.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from engine import pipeline
from engine.recover import recover
from tests.recover.test_round_trip import FIXTURES, texts, write

CENTER, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT


def test_the_joint_document_comes_back_with_its_three_signers_bodies_and_groups(tmp_path: Path) -> None:
    original = pipeline.render(FIXTURES / "lien_tich_2026_03" / "spec.yaml")
    recovery = recover(original, name="lien_tich.docx")
    spec = recovery.spec
    assert spec["co_quan_ban_hanh"] == {"ten": ["ỦY BAN NHÂN DÂN", "XÃ PHÚ THỊNH"], "viet_tat": "UBND"}
    assert [s["ho_ten"] for s in spec["nguoi_ky"]] == ["Nguyễn Văn Hậu", "Hoàng Thị Lan", "Lý Văn Minh"]
    assert spec["nguoi_ky"][1]["co_quan"] == {"ten": ["ỦY BAN MẶT TRẬN", "TỔ QUỐC VIỆT NAM", "XÃ PHÚ THỊNH"],
                                              "viet_tat": "MTTQ"}
    assert spec["nguoi_ky"][2]["co_quan"]["viet_tat"] == "HND" and "quyen_han" not in spec["nguoi_ky"][2]
    assert spec["noi_nhan"]["cac_noi"] == [
        {"tieu_de": "Gửi bản điện tử", "cac_noi": ["Văn phòng HĐND và UBND xã", "Thường trực Đảng ủy xã",
                                                   "Trang thông tin điện tử xã"]},
        {"tieu_de": "Gửi bản giấy", "cac_noi": ["Các thôn (14 bản)"]}]
    assert spec["noi_nhan"]["luu"] == ["VP", "MTTQ", "HND"]
    assert any("3 ảnh (chữ ký, dấu)" in note for note in recovery.notes)
    again = pipeline.render(write(recovery, tmp_path, "lien_tich.docx"))
    assert texts(again) == texts(original)


def _paragraph(container, text: str = "", *, bold: bool = False, italic: bool = False, size: float = 14,
               align=LEFT):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)
    return paragraph


def _word_document(closing) -> bytes:
    """A short report typed in Word: the header as a table, a title, one paragraph, then ``closing(document)``."""
    document = Document()
    header = document.add_table(rows=2, cols=2)
    _paragraph(header.cell(0, 0), "ỦY BAN NHÂN DÂN", bold=True, size=12, align=CENTER)
    _paragraph(header.cell(0, 0), "XÃ HÒA AN", bold=True, size=12, align=CENTER)
    _paragraph(header.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12, align=CENTER)
    _paragraph(header.cell(0, 1), "Độc lập - Tự do - Hạnh phúc", bold=True, size=13, align=CENTER)
    _paragraph(header.cell(1, 0), "Số: 14/BC-UBND", size=13, align=CENTER)
    _paragraph(header.cell(1, 1), "Hòa An, ngày 02 tháng 3 năm 2026", italic=True, size=13, align=CENTER)
    _paragraph(document, "BÁO CÁO", bold=True, align=CENTER)
    _paragraph(document, "Kết quả tiếp nhận hồ sơ tháng 02 năm 2026", bold=True, align=CENTER)
    _paragraph(document, "Trong tháng, xã tiếp nhận hồ sơ đúng quy định.")
    closing(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_sub_headed_noi_nhan_typed_beside_its_signer_comes_back_in_groups() -> None:
    def closing(document) -> None:
        table = document.add_table(rows=1, cols=2)
        left, right = table.rows[0].cells
        _paragraph(left, "Nơi nhận:", bold=True, italic=True, size=12)
        for line in ("- Như trên;", "Gửi bản điện tử:", "- Văn phòng UBND tỉnh;", "- Sở Nội vụ;",
                     "Gửi bản giấy:", "- Các thôn;", "- Lưu: VT, VP."):
            _paragraph(left, line, size=11)
        for line in ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"):
            _paragraph(right, line, bold=True, align=CENTER)
        _paragraph(right)
        _paragraph(right, "Đinh Văn Khải", bold=True, align=CENTER)

    spec = recover(_word_document(closing), name="bc.docx").spec
    electronic = {"tieu_de": "Gửi bản điện tử", "cac_noi": ["Văn phòng UBND tỉnh", "Sở Nội vụ"]}
    paper = {"tieu_de": "Gửi bản giấy", "cac_noi": ["Các thôn"]}
    assert spec["noi_nhan"] == {"cac_noi": ["Như trên", electronic, paper], "luu": ["VP"]}
    assert spec["nguoi_ky"] == {"quyen_han": "TM.", "thay": "ỦY BAN NHÂN DÂN", "chuc_vu": "CHỦ TỊCH",
                                "ho_ten": "Đinh Văn Khải"}


def test_two_blocks_without_quyen_han_above_noi_nhan_are_two_signers(tmp_path: Path) -> None:
    def closing(document) -> None:
        table = document.add_table(rows=1, cols=2)
        for cell, (title, name) in zip(table.rows[0].cells, (("THƯ KÝ", "Hà Thị Mai"), ("CHỦ TỊCH", "Đinh Văn Khải")),
                                       strict=True):
            _paragraph(cell, title, bold=True, align=CENTER)
            _paragraph(cell)
            _paragraph(cell, name, bold=True, align=CENTER)
        _paragraph(document, "Nơi nhận:", bold=True, italic=True, size=12)
        for line in ("- UBND tỉnh;", "- Lưu: VT, VP."):
            _paragraph(document, line, size=11)

    recovery = recover(_word_document(closing), name="bb.docx")
    assert recovery.spec["nguoi_ky"] == [{"chuc_vu": "CHỦ TỊCH", "ho_ten": "Đinh Văn Khải"},
                                         {"chuc_vu": "THƯ KÝ", "ho_ten": "Hà Thị Mai"}]
    assert recovery.spec["noi_nhan"] == {"cac_noi": ["UBND tỉnh"], "luu": ["VP"]}
    assert recovery.spec["noi_dung"] == [{"doan": "Trong tháng, xã tiếp nhận hồ sơ đúng quy định."}]
    rendered = pipeline.render(write(recovery, tmp_path, "bb.docx"))
    lines = texts(rendered)
    assert lines.index("CHỦ TỊCH") < lines.index("Đinh Văn Khải") and "Hà Thị Mai" in lines
