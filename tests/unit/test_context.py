"""The context turns a spec into the exact strings Nghị định 30 prescribes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from docx import Document

from engine import prepare, render
from engine.render.outline import document_text
from engine.spec.loader import load_spec_text
from tests.unit.test_spec_errors import GOOD


def context_of(text: str) -> dict:
    return prepare(load_spec_text(text)).context["van_ban"]


def test_number_below_ten_gets_a_leading_zero_and_a_blank_number_leaves_room() -> None:
    assert context_of(GOOD)["so_ky_hieu"] == "Số: 07/BC-UBND"
    blank = context_of(GOOD.replace("so: 7", "so: null"))["so_ky_hieu"]
    assert blank.startswith("Số: ") and blank.endswith("/BC-UBND") and blank[4:-8].strip() == ""


def test_the_date_line_follows_nghi_dinh_30() -> None:
    assert context_of(GOOD)["dia_danh_ngay"] == "An Bình, ngày 05 tháng 01 năm 2024"
    assert context_of(GOOD.replace("2024-01-05", "2021-06-22"))["dia_danh_ngay"].endswith("ngày 22 tháng 6 năm 2021")


def test_one_addressee_is_on_the_kinh_gui_line_and_several_form_a_dash_list() -> None:
    one = context_of(GOOD + "kinh_gui: Văn phòng Chính phủ\n")
    assert (one["kinh_gui_mot"], one["kinh_gui_nhieu"]) == ("Văn phòng Chính phủ", [])
    many = context_of(GOOD + "kinh_gui: [Các phòng, ngành, 'UBND các xã, thị trấn.']\n")
    assert many["kinh_gui_nhieu"] == ["- Các phòng;", "- ngành;", "- UBND các xã, thị trấn."]


def test_noi_nhan_ends_with_the_storage_line_and_vt_comes_first() -> None:
    van_ban = context_of(GOOD.replace("luu: VP", "luu: [VT, VP, TCCB]"))
    assert van_ban["noi_nhan"] == ["- UBND huyện;", "- Lưu: VT, VP, TCCB."]


def test_headings_are_numbered_per_level_and_restart_under_each_parent() -> None:
    body = """noi_dung:
  - muc: KẾT QUẢ
    noi_dung:
      - khoan: Một
        noi_dung:
          - tieu_khoan: Một một
          - tieu_khoan: Một hai
            noi_dung:
              - diem: a
              - diem: b
      - khoan: Hai
  - muc: NHIỆM VỤ
    noi_dung:
      - khoan: ""
        doan: Chỉ có số.
"""
    blocks = context_of(GOOD.replace("noi_dung:\n  - doan: Nội dung.\n", body))["noi_dung"]
    assert [b["tieu_de"] for b in blocks] == [
        "I. KẾT QUẢ", "1. Một", "1.1. Một một", "1.2. Một hai", "a) a", "b) b", "2. Hai", "II. NHIỆM VỤ", "1.",
    ]
    assert blocks[-1]["noi_dung"] == " Chỉ có số."


def test_the_signer_line_is_upper_case_with_its_authority() -> None:
    signer = context_of(GOOD.replace("quyen_han: TM.", "quyen_han: kt").replace("Ủy ban nhân dân", "Chủ tịch")
                        .replace("chuc_vu: Chủ tịch", "chuc_vu: Phó Chủ tịch"))["nguoi_ky"]
    assert (signer["quyen_han"], signer["chuc_vu"]) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")


def test_a_signer_without_authority_has_only_a_title() -> None:
    text = GOOD.replace("  quyen_han: TM.\n  thay: Ủy ban nhân dân\n", "")
    signer = context_of(text)["nguoi_ky"]
    assert signer["quyen_han"] == "" and signer["chuc_vu"] == "CHỦ TỊCH"
    assert "\nCHỦ TỊCH\nNguyễn Văn An\n" in document_text(render(load_spec_text(text)))


def test_a_cong_van_prints_its_trich_yeu_as_the_vv_line_and_no_ten_loai() -> None:
    text = GOOD.replace("loai: bao_cao", "loai: cong_van") + "don_vi_soan_thao: VP\n"
    lines = document_text(render(load_spec_text(text))).splitlines()
    assert "V/v Kết quả thử nghiệm" in lines
    assert "BÁO CÁO" not in lines
    assert "Số: 07/UBND-VP" in lines


def test_a_new_kind_from_kinds_yaml_prints_its_ten_loai_and_symbol() -> None:
    text = GOOD.replace("loai: bao_cao", "loai: to_trinh")
    lines = document_text(render(load_spec_text(text))).splitlines()
    assert "TỜ TRÌNH" in lines and "Số: 07/TTr-UBND" in lines


def _png(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x00\x00\xff\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_a_signature_image_is_placed_between_the_title_and_the_name(tmp_path: Path) -> None:
    (tmp_path / "chu_ky.png").write_bytes(_png())
    text = GOOD.replace("  ho_ten: Nguyễn Văn An\n", "  ho_ten: Nguyễn Văn An\n  chu_ky: chu_ky.png\n")
    package = render(load_spec_text(text, base_dir=tmp_path))
    doc = Document(io.BytesIO(package))
    assert len(doc.inline_shapes) == 1
    signer = [p for p in doc.tables[-1].rows[0].cells[1].paragraphs]
    texts = [p.text for p in signer]
    with_image = next(i for i, p in enumerate(signer) if p._p.xpath(".//pic:pic"))
    assert texts.index("CHỦ TỊCH") < with_image < texts.index("Nguyễn Văn An")


def test_a_missing_signature_image_is_a_spec_error_at_its_field(tmp_path: Path) -> None:
    import pytest

    from engine.errors import SpecError

    text = GOOD.replace("  ho_ten: Nguyễn Văn An\n", "  ho_ten: Nguyễn Văn An\n  chu_ky: khong_co.png\n")
    with pytest.raises(SpecError) as caught:
        prepare(load_spec_text(text, base_dir=tmp_path))
    assert caught.value.problems[0].location.field == "nguoi_ky.chu_ky"
