"""Documents typed in Word (not made by us) give specs a clerk can render: what each one gives back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import pipeline
from engine.conformance import check_layout
from engine.recover import recover
from engine.render.layout import read_layout
from tests.recover.clerk import DOCUMENTS, MUONG_PHANG_UNITS
from tests.recover.test_round_trip import texts, write


@pytest.fixture(scope="module")
def documents() -> dict[str, bytes]:
    return {name: build() for name, build in DOCUMENTS.items()}


def _rendered(documents, name: str, folder: Path, **options):
    recovery = recover(documents[name], name=f"{name}.docx", **options)
    spec = write(recovery, folder, f"{name}.docx")
    return recovery, pipeline.render(spec)


def _body_lines(docx: bytes) -> list[str]:
    return [" ".join(p.text.split()) for p in read_layout(docx).paragraphs if p.table is None and p.text.strip()]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_word_document_gives_a_spec_that_renders_and_keeps_every_body_paragraph(name, documents, tmp_path):
    recovery, again = _rendered(documents, name, tmp_path)
    rendered = set(texts(again))
    original = _body_lines(documents[name])
    start = next(i for i, line in enumerate(original) if line.startswith(("Thực hiện", "Căn cứ kết quả", "I.")))
    end = next(i for i, line in enumerate(original) if line.startswith("Trên đây"))
    for line in original[start:end + 1]:
        assert line in rendered, line
    assert check_layout(read_layout(again)) == []  # and the result is laid out as Nghị định 30 says


def test_the_tua_chua_word_file_gives_its_header_signature_and_scored_table(documents, tmp_path):
    recovery, again = _rendered(documents, "tua_chua_word", tmp_path)
    spec = recovery.spec
    assert spec["co_quan_ban_hanh"] == {"ten": ["ỦY BAN NHÂN DÂN", "HUYỆN TỦA CHÙA"], "viet_tat": "UBND"}
    assert (spec["loai"], spec["so"], spec["dia_danh"], spec["ngay"], spec["ky"]) == (
        "bao_cao", None, "Tủa Chùa", {"nam": 2023}, "tháng 4 năm 2023")
    assert spec["nguoi_ky"] == {"quyen_han": "TM.", "thay": "ỦY BAN NHÂN DÂN", "chuc_vu": "CHỦ TỊCH",
                                "ho_ten": "Lường Tuấn Anh"}
    assert spec["noi_nhan"]["luu"] == ["VP"]  # "Lưu VT, VP" without its colon
    assert spec["cham_diem"]["kq"]["bo_tieu_chi"] == "dien_bien_459_2023"
    assert spec["phu_luc"][0]["mau"] == "bang_chi_so"
    headings = [block for block in spec["noi_dung"] if "khoan" in block]
    assert [h["khoan"] for h in headings] == ["Kết quả đánh giá, xếp loại", "Đánh giá chung", "Kiến nghị, đề xuất:"]
    scored = pipeline.prepare(tmp_path / "spec.yaml").scored["kq"].view
    counts = scored["dem_xep_loai"]
    assert scored["so_don_vi"] == 12 and (counts["Tốt"], counts["Khá"], counts["Trung bình"]) == (1, 9, 2)


def test_the_tien_lu_file_laid_out_with_tabs_gives_its_header_and_its_ranking(documents, tmp_path):
    recovery, again = _rendered(documents, "tien_lu_tabs", tmp_path)
    spec = recovery.spec
    assert (spec["loai"], spec["co_quan_ban_hanh"]["viet_tat"], spec["don_vi_soan_thao"]) == ("cong_van", "UBND", "VP")
    assert spec["trich_yeu"].startswith("Công bố kết quả đánh giá Bộ chỉ số phục vụ người dân, doanh nghiệp trong")
    assert spec["kinh_gui"] == ["Các phòng, ngành thuộc UBND huyện", "UBND các xã, thị trấn"]
    assert len(spec["can_cu"]) == 2
    assert spec["nguoi_ky"] == {"quyen_han": "TL.", "thay": "CHỦ TỊCH", "chuc_vu": "CHÁNH VĂN PHÒNG",
                                "ho_ten": "Nguyễn Thị Tố Uyên"}
    assert spec["noi_nhan"] == {"cac_noi": ["Như trên", "Chủ tịch, Các Phó Chủ tịch UBND huyện",
                                            "Chi nhánh Văn phòng Đăng ký đất đai", "Cổng thông tin điện tử huyện"],
                                "luu": []}
    assert spec["phu_luc"][0]["mau"] == "bang_xep_hang"
    ranks = pipeline.prepare(tmp_path / "spec.yaml").scored["kq"].view["xep_hang"]
    assert [unit["ten"] for unit in ranks][:3] == ["UBND xã Thủ Sỹ", "UBND xã Hải Triều", "UBND xã Nhật Tân"]
    # The change against last month is computed again from the recovered previous scores.
    assert str(ranks[0]["tang_giam"].display()) == "6,96"


def test_the_commune_report_gives_its_bases_numbering_signer_and_the_body_table_as_data(documents, tmp_path):
    recovery, again = _rendered(documents, "muong_phang_plain", tmp_path)
    spec = recovery.spec
    assert spec["co_quan_chu_quan"] == "UBND XÃ MƯỜNG PHĂNG"
    assert spec["co_quan_ban_hanh"]["ten"] == ["VĂN PHÒNG HĐND VÀ UBND"]
    assert (spec["so"], spec["ngay"], spec["ky"]) == (47, {"nam": 2025, "thang": 10, "ngay": 3}, "quý III năm 2025")
    assert spec["can_cu"][0].startswith("Căn cứ Nghị định số 61/2018/NĐ-CP")
    assert spec["nguoi_ky"] == {"quyen_han": "KT.", "thay": "CHÁNH VĂN PHÒNG", "chuc_vu": "PHÓ CHÁNH VĂN PHÒNG",
                                "ho_ten": "Quàng Thị Dung"}
    first = spec["noi_dung"][0]
    assert first["muc"] == "KẾT QUẢ THỰC HIỆN"
    assert [block.get("diem") for block in first["noi_dung"][0]["noi_dung"] if "diem" in block] == [
        "Hồ sơ trực tuyến", "Hồ sơ trực tiếp"]
    assert spec["noi_dung"][1]["muc"] == "PHƯƠNG HƯỚNG {{ ky.sau | in_hoa }}"
    rows = pipeline.prepare(tmp_path / "spec.yaml").data["bang_1"]
    assert [row["Thôn"] for row in rows] == [unit[0] for unit in MUONG_PHANG_UNITS]
    assert any("bảng 1 trong thân văn bản" in note for note in recovery.notes)


def test_a_blank_the_document_left_is_a_comment_and_a_field_to_fill(tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("BÁO CÁO").runs[0].bold = True
    document.add_paragraph("Tình hình tháng 3 năm 2025").runs[0].bold = True
    document.add_paragraph("Trong tháng 3 năm 2025, xã tiếp nhận nhiều hồ sơ.")
    path = tmp_path / "trong.docx"
    document.save(path)
    recovery = recover(path.read_bytes(), name="trong.docx")
    text = recovery.yaml()
    assert recovery.spec["dia_danh"] == "" and "# văn bản không ghi địa danh" in text
    assert recovery.spec["ky"] == "tháng 3 năm 2025"
    assert re.search(r"# không thấy khối chữ ký", text)
