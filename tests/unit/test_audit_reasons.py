"""The audit says why: each finding names the facts that decided it, and a check it cannot make is a finding too."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.audit import Finding
from engine.cli import main

# A made-up framework scored out of 100 with one index worth it all: earned is the index, converted the same.
FRAMEWORK = """\
kieu: bo_chi_so
ma: thu_ly_do
ten: Bộ chỉ số thử lý do
thang_diem: 100
so_thap_phan: {diem: 2, quy_doi: 1}
xep_loai:
  - {ten: Tốt, tu: 80, bao_gom_tu: true}
  - {ten: Khá, tu: 70, bao_gom_tu: true}
  - {ten: Chưa đạt}
nhom:
  - ma: chung
    ten: Chung
    toi_da: 100
    chi_so:
      - {ma: a, ten: Chỉ số A, toi_da: 100}
"""

SPEC = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, XÃ MỚI], viet_tat: UBND}
dia_danh: Mới
ngay: 2026-11-05
trich_yeu: Kết quả chấm điểm
du_lieu:
  so: {ty_le: 1.72, phan: 96.504, tu: 217, mau: 12622}
cham_diem:
  kq:
    bo_tieu_chi: bo.yaml
    du_lieu: diem.csv
    cot: {don_vi: Đơn vị, a: A, dat_duoc_ghi: Điểm ghi, xep_loai_ghi: Loại ghi, xep_hang_ghi: Hạng ghi}
so_lieu_ghi: []
noi_nhan: {cac_noi: [UBND huyện], luu: VP}
nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn A}
"""

CSV = """\
Đơn vị;A;Điểm ghi;Loại ghi;Hạng ghi
UBND xã An Phú;81,72;81,72;Tốt;1
UBND xã Bình Minh;75,5;75,50;Khá;2
UBND xã Cát Tiên;72,25;72,25;Khá;3
"""


def make(tmp_path: Path, *, csv: str = CSV, stated: str = "[]", data: dict[str, str] | None = None,
         extra: str = "") -> Path:
    (tmp_path / "bo.yaml").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "diem.csv").write_text(csv, encoding="utf-8")
    for name, text in (data or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    spec = SPEC.replace("so_lieu_ghi: []", "so_lieu_ghi: " + stated)
    spec = spec.replace("cham_diem:\n", "cham_diem:\n" + extra)
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    return tmp_path / "spec.yaml"


def audit(path: Path) -> list[Finding]:
    return pipeline.audit(path)


def test_a_consistent_table_has_no_finding(tmp_path: Path) -> None:
    assert audit(make(tmp_path)) == []


# ----- a stated figure with fewer decimals is treated the same whichever way it comes -------------------------


@pytest.mark.parametrize(("table_value", "stated", "level", "written"), [
    ("81,72", "81,7", "warning", "81,7"),    # agrees once rounded like it: imprecise
    ("81,72", "81,8", "error", "81,8"),      # does not agree even at its own precision
    ("81,549", "81,5", "warning", "81,5"),   # 81,55 shown, 81,5 at one decimal
    ("81,55", "81,5", "error", "81,5"),      # 81,55 half-up at one decimal is 81,6
    ("81,5", "81,50", None, "81,50"),        # more decimals, same figure
])
def test_a_stated_figure_gets_the_same_answer_through_a_table_and_through_so_lieu_ghi(
        tmp_path: Path, table_value: str, stated: str, level: str | None, written: str) -> None:
    csv = CSV.replace("UBND xã An Phú;81,72;81,72;", f"UBND xã An Phú;{table_value};{stated};")
    through_table = [f for f in audit(make(tmp_path, csv=csv)) if "Điểm đạt được" in f.message]
    data = table_value.replace(",", ".")
    spec = make(tmp_path, stated=f"\n  - {{noi_dung: Tỷ lệ, ghi: '{stated}%', tinh: so.x}}\n",
                extra="") .read_text(encoding="utf-8").replace("{ty_le: 1.72,", f"{{x: {data}, ty_le: 1.72,")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    through_text = [f for f in audit(tmp_path / "spec.yaml") if f.message.startswith("Tỷ lệ")]
    assert [f.level for f in through_table] == [f.level for f in through_text] == ([level] if level else [])
    if level:
        assert through_table[0].stated == written and through_text[0].stated == written + "%"
        assert f"ghi {written}%" in through_text[0].message


def test_a_stated_percentage_shows_as_it_was_written_with_its_sign(tmp_path: Path) -> None:
    [finding] = audit(make(tmp_path, stated="\n  - {noi_dung: Tỷ lệ đúng hạn, ghi: '96,50%', tinh: so.phan}\n"))
    assert (finding.level, finding.stated, finding.computed) == ("warning", "96,50%", "96,504%")
    assert "ghi 96,50%" in finding.message


def test_a_quotient_written_in_tinh_is_compared_at_two_decimals_or_as_declared(tmp_path: Path) -> None:
    quotient = "so.tu * 100 / so.mau"  # 1,7192…
    [finding] = audit(make(tmp_path, stated=f"\n  - {{noi_dung: Tỷ lệ huỷ, ghi: 1.7, tinh: '{quotient}'}}\n"))
    assert (finding.level, finding.stated, finding.computed) == ("warning", "1,7", "1,72")
    assert finding.reasons[0].fact.code == quotient
    declared = f"\n  - {{noi_dung: Tỷ lệ huỷ, ghi: 1.7, tinh: '{quotient}', so_thap_phan: 1}}\n"
    assert audit(make(tmp_path, stated=declared)) == []


def test_a_summary_row_stated_with_fewer_decimals_than_its_column_is_a_warning(tmp_path: Path) -> None:
    csv = CSV + "Trung bình;76;;;\n"  # the mean of 81,72, 75,5 and 72,25 is 76,49
    [finding] = audit(make(tmp_path, csv=csv))
    assert (finding.level, finding.stated, finding.computed) == ("warning", "76", "76,49")
    assert "tổng 229,47 ÷ 3 đơn vị" in finding.message


# ----- the facts that decide a class, a rank --------------------------------------------------------------------


def test_a_stated_class_too_high_names_the_bound_the_score_does_not_reach(tmp_path: Path) -> None:
    [finding] = audit(make(tmp_path, csv=CSV.replace("75,50;Khá;2", "75,50;Tốt;2")))
    [why] = finding.reasons
    assert (why.fact.value, why.relation, why.threshold.value, why.rule) == ("75,5", "<", "80", "mức Tốt: từ 80")
    assert "75,5 (75,50 ÷ 100,00 × 100) < 80 (mức Tốt: từ 80)" in finding.message


def test_a_stated_class_too_low_names_the_bound_the_score_reaches(tmp_path: Path) -> None:
    [finding] = audit(make(tmp_path, csv=CSV.replace("81,72;Tốt;1", "81,72;Khá;1")))
    [why] = finding.reasons
    assert (why.fact.value, why.relation, why.threshold.value) == ("81,7", "≥", "80")


def test_a_wrong_rank_names_the_units_ranked_above(tmp_path: Path) -> None:
    [finding] = audit(make(tmp_path, csv=CSV.replace("72,25;Khá;3", "72,25;Khá;1")))
    score, above = finding.reasons
    assert (score.fact.name, score.fact.value) == ("điểm quy đổi của 'UBND xã Cát Tiên'", "72,3")
    assert above.fact.value == "2" and [(f.name, f.value) for f in above.fact.base] == [
        ("'UBND xã An Phú'", "81,7"), ("'UBND xã Bình Minh'", "75,5")]


# ----- one-stop statistics: the statuses of every record, and the checks the data cannot decide ------------------

ONE_STOP = "  mc: {bo_tieu_chi: mot_cua_nd61, du_lieu: mot_cua.yaml}\n"


def one_stop(tmp_path: Path, text: str) -> list[Finding]:
    return [f for f in audit(make(tmp_path, data={"mot_cua.yaml": text}, extra=ONE_STOP))]


def test_records_without_a_status_in_the_data_are_said_with_the_missing_figures(tmp_path: Path) -> None:
    [finding] = one_stop(tmp_path, """\
        ky_truoc_chuyen_sang: 10
        tiep_nhan_trong_ky: 90
        truoc_han: 80
        dung_han: 5
        qua_han: 0
        tam_dung_bo_sung: 3
        """)
    assert (finding.level, finding.stated, finding.computed) == ("info", "100", "88")
    assert finding.message.startswith("12 hồ sơ của 'Tổng số hồ sơ tiếp nhận và giải quyết trong kỳ' (100) không có "
                                      "trạng thái trong dữ liệu")
    assert [m.code for m in finding.missing] == ["dang_giai_quyet", "huy_rut"]  # neither part of the first is given
    [why] = finding.reasons
    assert [(f.code, f.value) for f in why.fact.base] == [("da_giai_quyet", "85"), ("tam_dung_bo_sung", "3")]


def test_statuses_given_that_already_pass_the_total_are_a_warning_whatever_is_missing(tmp_path: Path) -> None:
    [finding] = one_stop(tmp_path, """\
        ky_truoc_chuyen_sang: 10
        tiep_nhan_trong_ky: 90
        truoc_han: 80
        dung_han: 5
        qua_han: 0
        tam_dung_bo_sung: 30
        """)
    assert (finding.level, finding.stated, finding.computed) == ("warning", "100", "115")
    assert "dù còn thiếu số" in finding.message


def test_a_given_total_whose_parts_are_given_in_part_is_a_check_not_made_or_an_error_past_it(tmp_path: Path) -> None:
    [finding] = one_stop(tmp_path, "tong_so: 100\nky_truoc_chuyen_sang: 10\n")
    assert (finding.level, finding.stated, finding.computed) == ("info", "100", "10")
    assert [m.code for m in finding.missing] == ["tiep_nhan_trong_ky"]
    [finding] = one_stop(tmp_path, "tong_so: 100\nky_truoc_chuyen_sang: 120\n")
    assert (finding.level, finding.stated, finding.computed) == ("error", "100", "120")


def test_a_breakdown_the_data_gives_none_of_is_not_a_check_it_asks_for(tmp_path: Path) -> None:
    assert one_stop(tmp_path, "tong_so: 100\n") == []


# ----- what the CLI makes of them ------------------------------------------------------------------------------


def test_only_errors_fail_audit_and_strict_a_check_not_made_does_not(tmp_path: Path) -> None:
    spec = make(tmp_path, data={"mot_cua.yaml": "ky_truoc_chuyen_sang: 10\ntiep_nhan_trong_ky: 90\ntruoc_han: 80\n"
                                                "dung_han: 5\nqua_han: 0\n"}, extra=ONE_STOP)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", str(spec)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("LƯU Ý ")
    assert result.output.rstrip().endswith("0 lỗi, 0 cảnh báo, 1 lưu ý (số liệu chưa kiểm tra được); không thấy số "
                                           "liệu nào sai.")
    rendered = runner.invoke(main, ["render", str(spec), "-o", str(tmp_path / "bc.docx"), "--strict"])
    assert rendered.exit_code == 0, rendered.output
    [data] = json.loads(runner.invoke(main, ["audit", str(spec), "--json"]).output)
    assert data["level"] == "info" and data["missing"][0] == {"name": "Hồ sơ đang giải quyết", "value": None,
                                                              "code": "dang_giai_quyet", "formula": None, "base": []}


def test_a_column_of_formula_results_has_no_written_precision_and_its_mean_is_compared_at_the_rows(
        tmp_path: Path) -> None:
    csv = CSV.replace("81,72;81,72;", "81,7166666666667;81,72;") + "Trung bình;76,49;;;\n"
    assert [f for f in audit(make(tmp_path, csv=csv)) if "Trung bình" in f.message] == []


def test_a_class_compared_on_the_exact_score_shows_the_decimals_that_decide_it(tmp_path: Path) -> None:
    exact = FRAMEWORK.replace("so_thap_phan: {diem: 2, quy_doi: 1}",
                              "so_thap_phan: {diem: 2, quy_doi: 1}\nlam_tron_truoc_khi_so_sanh: false")
    spec = make(tmp_path, csv=CSV.replace("UBND xã An Phú;81,72;81,72;Tốt;1", "UBND xã An Phú;79,96;79,96;Tốt;1"))
    (tmp_path / "bo.yaml").write_text(exact, encoding="utf-8")
    [finding] = audit(spec)  # 79,96 shows as 80,0 but is under the 80 of Tốt
    [why] = finding.reasons
    assert (why.fact.value, why.relation, why.threshold.value) == ("79,96", "<", "80")


def test_a_stated_figure_whose_computed_value_the_data_does_not_have_is_a_check_not_made(tmp_path: Path) -> None:
    # A share of a zero base has no value: the stated figure cannot be checked, and the audit says so.
    stated = "\n  - {noi_dung: Tỷ lệ quá hạn, ghi: '0,5%', tinh: mc.qua_han.ty_le}\n"
    data = {"mot_cua.yaml": "ky_truoc_chuyen_sang: 0\ntiep_nhan_trong_ky: 4\ntruoc_han: 0\ndung_han: 0\nqua_han: 0\n"}
    findings = audit(make(tmp_path, stated=stated, data=data, extra=ONE_STOP))
    [finding] = [f for f in findings if "Tỷ lệ quá hạn" in f.message]
    assert (finding.level, finding.stated, finding.computed) == ("info", "0,5%", None)
    assert [m.code for m in finding.missing] == ["mc.qua_han.ty_le"]
