"""A spec that scores its own data: a province's framework file, audits, phụ lục, bad data."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.errors import DataError
from engine.render.outline import document_lines, document_text

# A made-up province: two groups, three indices, its own bands; nothing in the engine knows it.
FRAMEWORK = """\
kieu: bo_chi_so
ma: tinh_moi_2026
ten: Bộ chỉ số thử nghiệm của tỉnh Mới
thang_diem: 50
so_thap_phan: {diem: 1, quy_doi: 1}
xep_loai:
  - {ten: Tốt, tu: 80, bao_gom_tu: true}
  - {ten: Đạt, tu: 50, bao_gom_tu: true}
  - {ten: Chưa đạt}
nhom:
  - ma: minh_bach
    ten: Minh bạch
    toi_da: 20
    chi_so:
      - {ma: mb_1, ten: Niêm yết, toi_da: 10}
      - {ma: mb_2, ten: Điện tử, toi_da: 10}
  - ma: hai_long
    ten: Hài lòng
    toi_da: 30
    chi_so:
      - {ma: hl, ten: Mức độ hài lòng, toi_da: 30}
"""

CSV = """\
Đơn vị;Niêm yết;Điện tử;Hài lòng;Điểm ghi;Loại ghi
UBND xã An Phú;9,5;8;28,5;46;Tốt
UBND xã Bình Minh;-;6,5;20;26,5;Đạt
UBND xã Cát Tiên;5;5;14;24;Chưa đạt
"""

SPEC = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, XÃ MỚI], viet_tat: UBND}
so: 7
dia_danh: Mới
ngay: 2026-11-05
trich_yeu: Kết quả chấm điểm tháng 10 năm 2026
cham_diem:
  kq:
    bo_tieu_chi: bo_tinh_moi.yaml
    du_lieu: diem.csv
    cot:
      don_vi: Đơn vị
      mb_1: Niêm yết
      mb_2: Điện tử
      hl: Hài lòng
      dat_duoc_ghi: Điểm ghi
      xep_loai_ghi: Loại ghi
so_lieu_ghi: []
noi_dung:
  - doan: >-
      Chấm {{ kq.so_don_vi }} đơn vị; đứng đầu là {{ kq.xep_hang[0].ten }} với
      {{ kq.xep_hang[0].quy_doi | so }} điểm quy đổi, xếp loại {{ kq.xep_hang[0].xep_loai }}.
noi_nhan: {cac_noi: [UBND huyện], luu: VP}
nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn A}
phu_luc:
  - mau: bang_chi_so
    nguon: kq
    tieu_de: Điểm các chỉ số
  - mau: bang
    tieu_de: Xếp hạng
    dong: kq.xep_hang
    cot:
      - {tieu_de: STT, gia_tri: "{{ stt }}", rong: 1.2}
      - {tieu_de: Đơn vị, gia_tri: "{{ dong.ten }}", rong: 6, can: trai}
      - {tieu_de: Điểm quy đổi, gia_tri: "{{ dong.quy_doi }}", rong: 3}
"""


def make_case(tmp_path: Path, *, csv: str = CSV, spec: str = SPEC) -> Path:
    (tmp_path / "bo_tinh_moi.yaml").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "diem.csv").write_text(csv, encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_a_province_adds_its_framework_as_one_file_and_a_spec_uses_it(tmp_path: Path) -> None:
    spec = make_case(tmp_path)
    out = tmp_path / "bc.docx"
    result = run("render", str(spec), "-o", str(out))
    assert result.exit_code == 0, result.output
    text = document_text(out.read_bytes())
    # An Phú: 9,5 + 8 + 28,5 = 46 of 50 → 92,0; Bình Minh: 26,5 of 40 applicable (mb_1 "-") → 66,3.
    assert "Chấm 3 đơn vị; đứng đầu là UBND xã An Phú với 92,0 điểm quy đổi, xếp loại Tốt." in text
    lines = document_lines(out.read_bytes())
    assert "Phụ lục I" in lines and "Phụ lục II" in lines
    assert "(Kèm theo Báo cáo số 07/BC-UBND ngày 05 tháng 11 năm 2026 của UBND xã Mới)" in lines
    row = lines.index("UBND xã Bình Minh")
    assert lines[row + 1:row + 7] == ["-", "6,5", "20", "26,5", "66,3", "Đạt"]
    assert "Chưa đạt" in lines  # Cát Tiên: 24 of 50 → 48,0


def test_consistent_data_gives_no_finding_and_audit_json_prints_an_empty_array(tmp_path: Path) -> None:
    spec = make_case(tmp_path)
    result = run("audit", str(spec), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


def test_a_wrong_total_and_a_wrong_class_are_each_caught_with_their_row(tmp_path: Path) -> None:
    csv = CSV.replace("UBND xã An Phú;9,5;8;28,5;46;Tốt", "UBND xã An Phú;9,5;8;28,5;45;Tốt")
    csv = csv.replace("UBND xã Cát Tiên;5;5;14;24;Chưa đạt", "UBND xã Cát Tiên;5;5;14;24;Đạt")
    spec = make_case(tmp_path, csv=csv)
    result = run("audit", str(spec), "--json")
    assert result.exit_code == 1
    findings = json.loads(result.output)
    keys = {"level", "location", "stated", "computed", "message", "reasons", "missing"}
    assert [set(f) for f in findings] == [keys] * 2
    total, band = findings
    assert (total["level"], total["stated"], total["computed"]) == ("error", "45", "46,0")
    assert "diem.csv" in total["location"] and "dòng 2" in total["location"]
    [why] = total["reasons"]
    assert (why["fact"]["value"], why["relation"], why["threshold"]["value"]) == ("46,0", "≠", "45")
    assert why["fact"]["formula"] == "cộng các chỉ số: 9,5 + 8 + 28,5"
    assert (band["stated"], band["computed"]) == ("Đạt", "Chưa đạt")
    assert "dòng 4" in band["location"]
    [why] = band["reasons"]  # 24 of 50 is 48,0 converted, under the 50 that Đạt starts from
    assert (why["fact"]["value"], why["fact"]["formula"], why["relation"], why["threshold"]["value"]) == \
        ("48,0", "24,0 ÷ 50,0 × 100", "<", "50")
    assert "48,0 (24,0 ÷ 50,0 × 100) < 50 (mức Đạt: từ 50)" in band["message"]


def test_a_percentage_on_the_wrong_base_is_caught_and_names_its_base(tmp_path: Path) -> None:
    (tmp_path / "mot_cua.yaml").write_text(
        "ky_truoc_chuyen_sang: 975\ntiep_nhan_trong_ky: 12622\ntruoc_han: 12370\ndung_han: 106\nqua_han: 14\n"
        "huy_rut: 217\n", encoding="utf-8")
    spec = SPEC.replace("so_lieu_ghi: []", textwrap.dedent("""\
        so_lieu_ghi:
          - {noi_dung: Tỷ lệ huỷ và rút, ghi: 1.72, tinh: mc.huy_rut.ty_le}
          - {noi_dung: Tỷ lệ đã giải quyết, ghi: "91,86", tinh: mc.da_giai_quyet.ty_le}
        """)).replace("cham_diem:\n", "cham_diem:\n  mc: {bo_tieu_chi: mot_cua_nd61, du_lieu: mot_cua.yaml}\n")
    findings = pipeline.audit(make_case(tmp_path, spec=spec))
    [wrong] = [f for f in findings if f.level != "info"]
    assert (wrong.level, wrong.stated, wrong.computed) == ("error", "1,72%", "1,60%")
    assert "tong_so" in wrong.message and "13.597" in wrong.message
    assert wrong.location.line == 20
    # The data gives no figure for the records still in progress or paused: 890 of them have no status.
    [unchecked] = [f for f in findings if f.level == "info"]
    assert (unchecked.stated, unchecked.computed) == ("13.597", "12.707")
    assert unchecked.message.startswith("890 hồ sơ của 'Tổng số hồ sơ tiếp nhận và giải quyết trong kỳ' (13.597) "
                                        "không có trạng thái trong dữ liệu")


def test_a_stated_total_that_is_not_the_sum_of_its_parts_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "mot_cua.yaml").write_text(
        "tong_so: 1150\nky_truoc_chuyen_sang: 1\ntiep_nhan_trong_ky: 1146\n", encoding="utf-8")
    spec = SPEC.replace("cham_diem:\n", "cham_diem:\n  mc: {bo_tieu_chi: mot_cua_nd61, du_lieu: mot_cua.yaml}\n")
    [finding] = pipeline.audit(make_case(tmp_path, spec=spec))
    assert (finding.stated, finding.computed, finding.location.line) == ("1.150", "1.147", 1)


def test_a_self_assessed_criterion_that_its_rule_contradicts_is_reported(tmp_path: Path) -> None:
    (tmp_path / "tieu_chi.yaml").write_text(textwrap.dedent("""\
        so_ho_so: {1: [1033, 99, 0], 2: [1033, 99, 0], 3: [1132, 0, 0], 4: [1132, 0, 0], 5: [1033, 99, 0]}
        so_lieu: {ho_so_truc_tuyen: 99, tong_ho_so: 1147, ho_so_truc_tuyen_khong_giai_quyet_hoac_qua_han: 0}
        da_chon: {6: 2, 7: 2, 8: 2, 9: 1}
        ghi: {tong_diem: 15.74}
        """), encoding="utf-8")
    entry = "  tc: {bo_tieu_chi: nd61_qd1187_dien_bien, du_lieu: tieu_chi.yaml}\n"
    spec = SPEC.replace("cham_diem:\n", "cham_diem:\n" + entry)
    findings = pipeline.audit(make_case(tmp_path, spec=spec))  # the stated total 15,74 agrees with the rule
    [choice] = [f for f in findings if f.level == "error"]
    assert (choice.stated, choice.computed, choice.location.line) == ("1", "0", 3)
    assert "tiêu chí 9" in choice.message
    # Why: 99 of 1.147 records online is 8,63%, under the 15% that 1 point needs.
    [why] = choice.reasons
    assert (why.fact.value, why.relation, why.threshold.value) == ("8,63%", "<", "15%")
    assert [(f.code, f.value) for f in why.fact.base] == [("ho_so_truc_tuyen", "99"), ("tong_ho_so", "1.147")]
    assert "8,63% (số hồ sơ tiếp nhận trực tuyến 99 trên tổng số hồ sơ tiếp nhận 1.147) < 15%" in choice.message
    # Criteria 6 to 8 have no figures to check their self-assessment by: each says so, and which figures.
    unchecked = [f for f in findings if f.level == "info"]
    assert [(f.location.line, f.stated, f.computed) for f in unchecked] == [(3, "2", None)] * 3
    assert [[m.code for m in f.missing] for f in unchecked] == [
        ["so_lieu.tthc_tai_bo_phan_mot_cua", "so_lieu.tong_so_tthc"], ["so_lieu.so_hinh_thuc_cong_khai_dat"],
        ["so_lieu.pakn_dung_han", "so_lieu.pakn_tong", "so_lieu.pakn_keo_dai"]]


def test_render_warns_about_wrong_figures_and_strict_refuses_without_writing(tmp_path: Path) -> None:
    spec = make_case(tmp_path, csv=CSV.replace(";46;Tốt", ";47;Tốt"))
    out = tmp_path / "bc.docx"
    refused = run("render", str(spec), "-o", str(out), "--strict")
    assert refused.exit_code == 7
    assert "AUDIT_FIGURES" in refused.output and not out.exists()
    warned = run("render", str(spec), "-o", str(out))
    assert warned.exit_code == 0 and out.exists()
    assert "Kiểm tra số liệu: 1 điểm cần xem" in warned.output


@pytest.mark.parametrize(("csv", "expected"), [
    (CSV.replace("Hài lòng;", "Hai long;", 1), "không có cột 'Hài lòng'"),
    (CSV.replace("UBND xã An Phú;9,5", "UBND xã An Phú;chín"), "cần một số nhưng ô ghi 'chín'"),
    (CSV.replace("UBND xã An Phú;9,5", "UBND xã An Phú;12"), "vượt điểm tối đa 10"),
])
def test_bad_data_is_a_clear_error_with_its_place_and_nothing_is_written(tmp_path: Path, csv: str,
                                                                       expected: str) -> None:
    spec = make_case(tmp_path, csv=csv)
    out = tmp_path / "bc.docx"
    result = run("render", str(spec), "-o", str(out))
    assert result.exit_code == 4, result.output
    assert expected in result.output and "diem.csv" in result.output
    assert "Traceback" not in result.output and not out.exists()
    assert list(tmp_path.glob("*.docx*")) == []


def test_a_negative_record_count_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "mot_cua.yaml").write_text("ky_truoc_chuyen_sang: 1\ntiep_nhan_trong_ky: -5\n", encoding="utf-8")
    spec = SPEC.replace("cham_diem:\n", "cham_diem:\n  mc: {bo_tieu_chi: mot_cua_nd61, du_lieu: mot_cua.yaml}\n")
    with pytest.raises(DataError) as caught:
        pipeline.prepare(make_case(tmp_path, spec=spec))
    [problem] = caught.value.problems
    assert "không được âm" in problem.message
    assert (Path(problem.location.file).name, problem.location.line) == ("mot_cua.yaml", 2)


def test_an_excel_export_is_read_with_its_own_headers(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Điểm"
    sheet.append(["BẢNG ĐIỂM THÁNG 10"])
    for line in CSV.splitlines():
        sheet.append([_cell(v) for v in line.split(";")])
    workbook.save(tmp_path / "diem.xlsx")
    spec = make_case(tmp_path, spec=SPEC.replace("du_lieu: diem.csv", "du_lieu: diem.xlsx\n    trang_tinh: Điểm"))
    prepared = pipeline.prepare(spec)
    assert [u["quy_doi"].display() for u in prepared.scored["kq"].view["xep_hang"]] == ["92,0", "66,3", "48,0"]
    assert prepared.findings == ()


def _cell(value: str) -> object:
    try:
        return float(value.replace(",", ".")) if value not in ("-",) else value
    except ValueError:
        return value


def test_a_phu_luc_naming_an_unknown_scoring_is_a_spec_error(tmp_path: Path) -> None:
    spec = make_case(tmp_path, spec=SPEC.replace("    nguon: kq\n", "    nguon: kq2\n"))
    result = run("validate", str(spec))
    assert result.exit_code == 3
    assert "kq2" in result.output


def test_a_spec_can_override_the_frameworks_bands(tmp_path: Path) -> None:
    bands = "    xep_loai: [{ten: Giỏi, tu: 90, bao_gom_tu: true}, {ten: Khá, tu: 60, bao_gom_tu: true}, {ten: Kém}]\n"
    spec = SPEC.replace("    du_lieu: diem.csv\n", "    du_lieu: diem.csv\n" + bands)
    spec = spec.replace("      xep_loai_ghi: Loại ghi\n", "")
    prepared = pipeline.prepare(make_case(tmp_path, spec=spec))
    view = prepared.scored["kq"].view
    assert [u["xep_loai"] for u in view["xep_hang"]] == ["Giỏi", "Khá", "Kém"]
    assert view["dem_xep_loai"] == {"Giỏi": 1, "Khá": 1, "Kém": 1}


def test_a_stated_figure_written_with_a_decimal_point_is_a_spec_error_that_says_how_to_write_it(
        tmp_path: Path) -> None:
    spec = SPEC.replace("so_lieu_ghi: []", 'so_lieu_ghi:\n  - {noi_dung: Điểm An Phú, ghi: "92.0", '
                        "tinh: \"kq.theo_ten['UBND xã An Phú'].quy_doi\"}")
    result = run("audit", str(make_case(tmp_path, spec=spec)))
    assert result.exit_code == 3
    assert "dấu chấm làm dấu thập phân" in result.output and "92,0" in result.output
    assert "spec.yaml:19:34" in result.output  # the "ghi" value


def test_a_framework_file_is_read_once_and_again_after_it_changes(tmp_path: Path) -> None:
    import os

    from engine.scoring.loader import load_framework

    path = tmp_path / "bo.yaml"
    path.write_text(FRAMEWORK, encoding="utf-8")
    first = load_framework(path)
    assert load_framework(path) is first
    path.write_text(FRAMEWORK.replace("thang_diem: 50", "thang_diem: 50.0"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert load_framework(path) is not first


def test_a_declared_table_can_ask_for_a_landscape_page_and_other_tables_cannot(tmp_path: Path) -> None:
    import io

    from docx import Document
    from docx.enum.section import WD_ORIENT

    spec = make_case(tmp_path, spec=SPEC.replace("    tieu_de: Xếp hạng\n", "    tieu_de: Xếp hạng\n    ngang: true\n"))
    sections = Document(io.BytesIO(pipeline.render(spec))).sections
    assert [s.orientation for s in sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.LANDSCAPE]
    wrong = make_case(tmp_path, spec=SPEC.replace("    tieu_de: Điểm các chỉ số\n",
                                                  "    tieu_de: Điểm các chỉ số\n    ngang: false\n"))
    result = run("validate", str(wrong))
    assert result.exit_code == 3 and "'ngang' chỉ dùng với bảng tự khai cột" in result.output
