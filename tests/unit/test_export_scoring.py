"""An export with group rows and summary rows scores as it comes: groups reach the phụ lục, summaries are audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import pipeline
from engine.errors import DataError
from engine.render.outline import document_lines, table_rows
from tests.unit.test_scored_specs import FRAMEWORK

# Two groups with a subtotal each ("Cộng"), then a grand mean: as a provincial system writes it.
EXPORT = """\
KẾT QUẢ CHẤM ĐIỂM THÁNG 10/2026;;;;;;
;;;;;;
STT;Tên đơn vị;Điểm các chỉ số;;;Điểm đạt được;Điểm quy đổi
;;Minh bạch;;Hài lòng;;
;;Niêm yết;Điện tử;;;
(1);(2);(3);(4);(5);(6);(7)
I;KHỐI XÃ;;;;;
1;UBND xã An Phú;9,5;8;28,5;46;92
2;UBND xã Bình Minh;-;6,5;20;26,5;66,3
;Cộng;9,5;14,5;48,5;72,5;158,3
II;KHỐI THỊ TRẤN;;;;;
1;UBND thị trấn Cát Tiên;5;5;14;24;48
;Cộng;5;5;14;24;48
;Trung bình chung;7,25;6,5;20,8;32,2;68,8
;;;;;;
Người lập biểu;;;;;;
"""

SPEC = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, HUYỆN MỚI], viet_tat: UBND}
so: 7
dia_danh: Mới
ngay: 2026-11-05
trich_yeu: Kết quả chấm điểm tháng 10 năm 2026
cham_diem:
  kq:
    bo_tieu_chi: bo_tinh_moi.yaml
    du_lieu: diem.csv
    cot:
      don_vi: (2)
      mb_1: Minh bạch / Niêm yết
      mb_2: Điện tử
      hl: Điểm các chỉ số / Hài lòng
      dat_duoc_ghi: Điểm đạt được
      quy_doi_ghi: (7)
noi_dung:
  - doan: >-
      {{ kq.nhom_dong[0].ten }}: {{ kq.nhom_dong[0].don_vi | length }} đơn vị;
      {{ kq.theo_ten['UBND thị trấn Cát Tiên'].nhom_dong }}.
noi_nhan: {cac_noi: [UBND tỉnh], luu: VP}
nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn A}
phu_luc:
  - {mau: bang_chi_so, nguon: kq, tieu_de: Điểm các chỉ số}
"""


def make(tmp_path: Path, export: str = EXPORT, spec: str = SPEC) -> Path:
    (tmp_path / "bo_tinh_moi.yaml").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "diem.csv").write_text(export, encoding="utf-8-sig")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    return tmp_path / "spec.yaml"


def test_a_consistent_export_scores_with_no_finding_and_its_groups_reach_the_text(tmp_path: Path) -> None:
    prepared = pipeline.prepare(make(tmp_path))
    assert prepared.findings == ()
    scored = prepared.scored["kq"]
    assert [(g.label, g.name, g.units) for g in scored.groups] == [
        ("I", "KHỐI XÃ", ("UBND xã An Phú", "UBND xã Bình Minh")), ("II", "KHỐI THỊ TRẤN", ("UBND thị trấn Cát Tiên",))]
    lines = document_lines(pipeline.render_prepared(prepared))
    assert "KHỐI XÃ: 2 đơn vị; KHỐI THỊ TRẤN." in lines


def test_the_phu_luc_prints_the_datas_group_rows_with_their_units_when_it_has_no_nhom_dong(tmp_path: Path) -> None:
    rows = table_rows(pipeline.render(make(tmp_path)))[-1]
    body = [row for row in rows[4:]]
    assert [row[:2] for row in body] == [
        ["I", "KHỐI XÃ"], ["1", "UBND xã An Phú"], ["2", "UBND xã Bình Minh"],
        ["II", "KHỐI THỊ TRẤN"], ["1", "UBND thị trấn Cát Tiên"]]


def test_nhom_dong_still_heads_every_unit_with_one_group_row(tmp_path: Path) -> None:
    spec = SPEC.replace("tieu_de: Điểm các chỉ số}", "tieu_de: Điểm các chỉ số, nhom_dong: CÁC ĐƠN VỊ}")
    rows = table_rows(pipeline.render(make(tmp_path, spec=spec)))[-1]
    assert [row[:2] for row in rows[4:]] == [
        ["I", "CÁC ĐƠN VỊ"], ["1", "UBND xã An Phú"], ["2", "UBND xã Bình Minh"], ["3", "UBND thị trấn Cát Tiên"]]


def test_a_wrong_figure_of_a_summary_row_is_a_finding_at_its_cell(tmp_path: Path) -> None:
    # The grand mean of Hài lòng is (28,5 + 20 + 14) / 3 = 20,8(3): "20,9" is wrong at one decimal.
    export = EXPORT.replace(";Trung bình chung;7,25;6,5;20,8;", ";Trung bình chung;7,25;6,5;20,9;")
    # The first subtotal of điểm quy đổi: 92,0 + 66,25 → 158,3 as shown; "158,4" is wrong.
    export = export.replace(";Cộng;9,5;14,5;48,5;72,5;158,3", ";Cộng;9,5;14,5;48,5;72,5;158,4")
    findings = pipeline.prepare(make(tmp_path, export)).findings
    assert [(f.level, f.stated, f.computed) for f in findings] == [("error", "158,4", "158,3"),
                                                                   ("error", "20,9", "20,8")]
    subtotal, mean = findings
    assert subtotal.location.line == 10 and "cột '(7)'" in subtotal.location.field
    assert "Dòng 'Cộng': tổng cột '(7)' của 2 đơn vị nhóm I KHỐI XÃ ghi 158,4" in subtotal.message
    assert mean.location.line == 14 and "trung bình cột 'Điểm các chỉ số / Hài lòng' của 3 đơn vị" in mean.message


def test_a_mean_skips_not_applicable_cells_and_is_compared_at_the_stated_precision(tmp_path: Path) -> None:
    # Niêm yết: An Phú 9,5, Bình Minh "-", Cát Tiên 5 → the mean of the two that apply is 7,25; "7,3" agrees.
    export = EXPORT.replace(";Trung bình chung;7,25;", ";Trung bình chung;7,3;")
    assert pipeline.prepare(make(tmp_path, export)).findings == ()


def test_a_summary_cell_that_is_not_a_number_is_a_data_error_at_its_cell(tmp_path: Path) -> None:
    export = EXPORT.replace(";Trung bình chung;7,25;", ";Trung bình chung;7.25;")
    with pytest.raises(DataError) as caught:
        pipeline.prepare(make(tmp_path, export))
    [problem] = caught.value.problems
    assert "dấu chấm làm dấu thập phân" in problem.message and problem.location.line == 14
