"""Scoring frameworks are data files, and every figure they yield is exact and shown half-up."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import DataError, SpecError
from engine.scoring import (
    Band,
    Figure,
    check_choice,
    classify,
    count_weighted_score,
    load_framework,
    one_stop_statistics,
    percentage,
    rank,
    row_to_scores,
    score_criteria,
    score_units,
    select_level,
    shipped_frameworks,
)
from engine.scoring.indices import points_from_ratio

# Sample 000 (Tủa Chùa, tháng 4/2023): the appendix rows, "-" = not applicable.
SAMPLE_000 = [
    ("UBND xã Mường Đùn", "- - 3,7 29 9,7 0 4,9 9,8 5 5 5", "72,1", "80,1", "Tốt"),
    ("UBND xã Tả Phìn", "- - 1,5 30 10 0 5 10 5 5 5", "71,5", "79,4", "Khá"),
    ("UBND xã Tủa Thàng", "- - 1,9 30 8,6 0 5 9,7 5 5 5", "70,2", "78,0", "Khá"),
    ("UBND thị trấn", "- - 3,5 30 10 0 5 6,7 5 5 5", "70,2", "78,0", "Khá"),
    ("UBND xã Sính Phình", "- - 0,1 30 10 0 5 10 5 5 5", "70,1", "77,9", "Khá"),
    ("UBND xã Trung Thu", "- - 3,9 30 9,7 0 4,8 6,7 5 5 5", "70,1", "77,9", "Khá"),
    ("UBND xã Xá Nhè", "- - 3,5 30 8,2 0 4,0 9,1 5 5 5", "69,8", "77,6", "Khá"),
    ("UBND xã Mường Báng", "- - 3,3 30 10 0 5 4,1 5 5 5", "67,4", "74,9", "Khá"),
    ("UBND xã Huổi Sớ", "- - 0,8 30 10 0 5 6,2 5 5 5", "67,0", "74,4", "Khá"),
    ("UBND xã Lao Xả Phình", "- - 1,5 30 10 0 5 5,4 5 5 5", "66,9", "74,3", "Khá"),
    ("UBND xã Tả Sìn Thàng", "- - 2,5 30 8,9 0 4,3 0,8 5 5 5", "61,5", "68,3", "TB"),
    ("UBND xã Sín Chải", "- - 1,7 30 10 0 2,3 0 5 5 5", "59,0", "65,6", "TB"),
]

# Sample 001 (huyện Điện Biên, quý II/2021), cấp huyện: records per sub-criterion (2, 1, 0 points).
COUNTS_001 = {1: [1033, 99, 0], 2: [1033, 99, 0], 3: [1132, 0, 0], 4: [1132, 0, 0], 5: [1033, 99, 0]}
STATED_001 = {6: 2, 7: 2, 8: 2, 9: 1}
FACTS_001 = {"ho_so_truc_tuyen": 99, "tong_ho_so": 1147, "ho_so_truc_tuyen_khong_giai_quyet_hoac_qua_han": 0}


@pytest.fixture(scope="module")
def dien_bien():
    return load_framework("dien_bien_459_2023")


@pytest.fixture(scope="module")
def sample_000(dien_bien):
    units = {name: row_to_scores(dien_bien, row.split()) for name, row, *_ in SAMPLE_000}
    return score_units(dien_bien, units)


@pytest.fixture(scope="module")
def nd61():
    return load_framework("nd61_qd1187_dien_bien")


# ----- framework files ------------------------------------------------------------------------


def test_the_registry_lists_the_four_shipped_frameworks_each_named_as_its_file() -> None:
    shipped = shipped_frameworks()
    assert set(shipped) == {"qd766", "dien_bien_459_2023", "nd61_qd1187_dien_bien", "mot_cua_nd61"}
    for name in shipped:
        assert load_framework(name).ma == name


def test_qd766_has_six_groups_adding_up_to_100() -> None:
    fw = load_framework("qd766")
    assert [(g.ten, g.toi_da) for g in fw.nhom] == [
        ("Công khai, minh bạch", 18), ("Tiến độ giải quyết", 20), ("Dịch vụ công trực tuyến", 12),
        ("Thanh toán trực tuyến", 10), ("Mức độ hài lòng", 18), ("Số hóa hồ sơ", 22),
    ]
    assert sum(ix.toi_da for _, ix in fw.indices()) == 100


def test_every_unverified_item_of_the_shipped_files_says_why() -> None:
    for name in shipped_frameworks():
        fw = load_framework(name)
        stack: list[object] = [fw]
        while stack:
            node = stack.pop()
            if getattr(node, "chua_xac_minh", False):
                assert getattr(node, "ghi_chu", None), node
            for value in getattr(node, "__dict__", {}).values():
                stack.extend(value if isinstance(value, list) else [value])


def test_dien_bien_groups_follow_the_sample_appendix_header(dien_bien) -> None:
    assert [(g.ten, [ix.ten for ix in g.chi_so]) for g in dien_bien.nhom] == [
        ("Nhóm công khai, minh bạch", ["Chỉ số 1", "Chỉ số 2", "Chỉ số 3"]),
        ("Tiến độ, KQ giải quyết", ["Tiến độ, kết quả giải quyết"]),
        ("Nhóm cung cấp DVTT", ["Chỉ số 1", "Chỉ số 2"]),
        ("Nhóm số hóa hồ sơ", ["Chỉ số 1", "Chỉ số 2"]),
        ("Nhóm mức độ hài lòng", ["Chỉ số 1", "Chỉ số 2", "Chỉ số 3"]),
    ]
    assert dien_bien.thang_diem == sum(g.toi_da for g in dien_bien.nhom) == 100


def test_dien_bien_maxima_are_at_least_every_value_of_the_sample_and_the_two_absent_indices_are_worth_10(
    dien_bien,
) -> None:
    for column, (_, index) in enumerate(dien_bien.indices()):
        values = [row.split()[column] for _, row, *_ in SAMPLE_000]
        numbers = [Decimal(v.replace(",", ".")) for v in values if v != "-"]
        assert all(n <= index.toi_da for n in numbers), index.ma
    assert dien_bien.nhom[0].chi_so[0].toi_da + dien_bien.nhom[0].chi_so[1].toi_da == 10


# ----- sample 000: index sets -----------------------------------------------------------------


def test_muong_dun_earns_72_1_of_an_applicable_90_and_converts_to_80_1_tot(sample_000) -> None:
    unit = sample_000.unit("UBND xã Mường Đùn")
    assert unit.earned.display() == "72,1"
    assert unit.applicable_maximum.value == 90
    assert unit.converted.display() == "80,1"
    assert unit.band.ten == "Tốt"


@pytest.mark.parametrize(("name", "earned", "converted", "band"), [
    ("UBND xã Tả Phìn", "71,5", "79,4", "Khá"),
    ("UBND xã Sín Chải", "59,0", "65,6", "TB"),
])
def test_a_sample_row_converts_and_classifies_like_the_appendix(sample_000, name, earned, converted, band) -> None:
    unit = sample_000.unit(name)
    assert (unit.earned.display(), unit.converted.display(), unit.band.short) == (earned, converted, band)


def test_every_row_of_the_sample_appendix_is_reproduced_from_its_index_scores(sample_000) -> None:
    got = [(u.unit, u.earned.display(), u.converted.display(), u.band.short) for u in sample_000.units]
    assert got == [(name, earned, converted, band) for name, _, earned, converted, band in SAMPLE_000]


def test_the_two_rows_at_70_2_share_rank_3_and_the_next_rank_is_5(sample_000) -> None:
    assert [u.rank for u in sample_000.units] == [1, 2, 3, 3, 5, 5, 7, 8, 9, 10, 11, 12]


def test_class_counts_match_the_report_text_one_tot_nine_kha_two_trung_binh(sample_000) -> None:
    assert sample_000.class_counts == {"Xuất sắc": 0, "Tốt": 1, "Khá": 9, "Trung bình": 2, "Yếu": 0}


def test_group_sums_leave_not_applicable_indices_out_of_the_group_maximum(sample_000) -> None:
    group = sample_000.unit("UBND xã Mường Đùn").group("cong_khai")
    assert (group.earned.display(), group.applicable_maximum, group.maximum) == ("3,7", 10, 20)
    assert group.indices[0].value is None and not group.indices[0].applicable


def test_the_change_against_the_previous_period_is_the_exact_difference_shown_with_its_decimals(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    result = score_units(dien_bien, {"A": row, "B": row}, previous={"A": "78,0", "B": None})
    assert result.unit("A").change.display() == "2,1"
    assert result.unit("B").change is None


def test_units_can_be_ranked_by_a_group_in_ascending_order(dien_bien, sample_000) -> None:
    units = {name: row_to_scores(dien_bien, row.split()) for name, row, *_ in SAMPLE_000[:3]}
    result = score_units(dien_bien, units, rank_by="cong_khai", descending=False)
    assert [u.rank for u in result.units] == [3, 1, 2]


def test_the_caller_can_override_the_classification_bands(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    bands = [{"ten": "Đạt", "tu": 85, "bao_gom_tu": True}, {"ten": "Chưa đạt"}]
    result = score_units(dien_bien, {"A": row}, bands=bands)
    assert result.unit("A").band.ten == "Chưa đạt"
    assert result.class_counts == {"Đạt": 0, "Chưa đạt": 1}


def test_bands_without_an_explicit_inclusive_or_exclusive_bound_are_refused(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    with pytest.raises(SpecError, match="bao_gom_tu"):
        score_units(dien_bien, {"A": row}, bands=[{"ten": "Đạt", "tu": 85}, {"ten": "Chưa đạt"}])


def test_classification_and_rank_use_the_displayed_figure_by_default() -> None:
    bands = [Band(ten="Tốt", tu=Decimal(80), bao_gom_tu=True), Band(ten="Khá")]
    assert classify(Figure(Decimal("79.96"), 1), bands).ten == "Tốt"
    assert rank([Figure(Decimal("78.04"), 1), Figure(Decimal("77.96"), 1)]) == [1, 1]
    assert rank([Figure(Decimal("78.04"), 1), Figure(Decimal("77.96"), 1)], as_displayed=False) == [1, 2]


def test_a_score_above_its_index_maximum_is_an_error_naming_the_unit_and_index(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    row["cong_khai_3"] = "10,5"
    with pytest.raises(DataError) as caught:
        score_units(dien_bien, {"UBND xã Mường Đùn": row}, source="diem.yaml")
    problem = caught.value.problems[0]
    assert problem.code == "DATA_FORMAT"
    assert (problem.location.file, problem.location.field) == ("diem.yaml", "UBND xã Mường Đùn.cong_khai_3")
    assert "vượt điểm tối đa 10" in problem.message


def test_a_missing_index_is_an_error_while_none_means_not_applicable(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    row["cong_khai_1"] = None
    score_units(dien_bien, {"A": row})
    del row["cong_khai_1"]
    with pytest.raises(DataError, match="thiếu điểm") as caught:
        score_units(dien_bien, {"A": row})
    assert caught.value.problems[0].location.field == "A.cong_khai_1"


def test_a_negative_score_and_an_unknown_index_are_each_reported(dien_bien) -> None:
    row = row_to_scores(dien_bien, SAMPLE_000[0][1].split())
    row["tien_do"] = -1
    row["tien_do_x"] = 3
    with pytest.raises(DataError) as caught:
        score_units(dien_bien, {"A": row})
    assert {p.location.field for p in caught.value.problems} == {"A.tien_do", "A.tien_do_x"}


def test_ratio_points_reach_the_maximum_at_the_target_and_are_pro_rata_below() -> None:
    index = load_framework("qd766").nhom[5].chi_so[1]
    assert (index.ma, index.muc_tieu_ty_le) == ("4.2", 80)
    assert points_from_ratio(index, 90) == 4
    assert points_from_ratio(index, 40) == 2


# ----- sample 001: NĐ 61 criteria -------------------------------------------------------------


def test_criterion_1_with_1033_ahead_99_on_time_and_none_late_scores_1_91(nd61) -> None:
    result = score_criteria(nd61, counts=COUNTS_001, chosen=STATED_001)
    criterion = result.criterion(1)
    assert criterion.points.display() == "1,91"
    assert criterion.record_count == 1132
    assert round(count_weighted_score([(2, 1033), (1, 99), (0, 0)]), 6) == Decimal("1.912544")  # 2.165 ÷ 1.132


def test_the_total_adds_exact_points_to_16_74_of_18_not_the_rounded_16_73(nd61) -> None:
    result = score_criteria(nd61, counts=COUNTS_001, chosen=STATED_001)
    assert (result.total.display(), result.maximum) == ("16,74", 18)
    assert [result.criterion(n).points.display() for n in (3, 4)] == ["2,00", "2,00"]
    assert [result.criterion(n).points.display() for n in (6, 7, 8, 9)] == ["2", "2", "2", "1"]
    assert sum(c.points.rounded() for c in result.criteria) == Decimal("16.73")
    assert result.band.ten == "Xuất sắc"


def test_criterion_9_rule_gives_0_for_an_online_share_of_8_6_percent_and_wins_over_the_stated_1(nd61) -> None:
    choice = select_level(nd61, 9, FACTS_001)
    assert choice.level.diem == 0
    assert Figure(choice.values["ty_le_ho_so_truc_tuyen"], 1).display() == "8,6"
    check = check_choice(nd61, 9, FACTS_001, stated=1)
    assert (check.stated.diem, check.rule.diem, check.agrees) == (1, 0, False)
    result = score_criteria(nd61, counts=COUNTS_001, chosen=STATED_001, facts=FACTS_001)
    assert [c.number for c in result.disagreements()] == [9]
    assert (result.criterion(9).points.value, result.criterion(9).chosen.diem) == (0, 1)
    assert result.total.display() == "15,74"


def test_without_a_stated_choice_the_rule_decides_the_points(nd61) -> None:
    facts = {**FACTS_001, "tthc_tai_bo_phan_mot_cua": 95, "tong_so_tthc": 100, "so_hinh_thuc_cong_khai_dat": 2,
             "pakn_tong": 0, "pakn_dung_han": 0, "pakn_keo_dai": 0}
    result = score_criteria(nd61, counts=COUNTS_001, facts=facts)
    assert [result.criterion(n).points.value for n in (6, 7, 8, 9)] == [1, 2, 2, 0]
    assert result.total.display() == "14,74"


@pytest.mark.parametrize(("online", "tthc", "late", "points"), [
    (350, 25, 0, 2),
    (350, 10, 0, 1),
    (200, 25, 0, 1),
    (350, 25, 1, 0),
    (100, 25, 0, 0),
])
def test_criterion_9_rule_reads_the_thresholds_from_the_framework_file(nd61, online, tthc, late, points) -> None:
    facts = {"ho_so_truc_tuyen": online, "tong_ho_so": 1000, "tthc_dvctt_muc_3_4": tthc,
             "tthc_dap_ung_yeu_cau_dvctt": 100, "ho_so_truc_tuyen_khong_giai_quyet_hoac_qua_han": late}
    assert select_level(nd61, 9, facts).level.diem == points


def test_a_rule_that_needs_an_undeclared_figure_names_it(nd61) -> None:
    facts = {"ho_so_truc_tuyen": 350, "tong_ho_so": 1000, "ho_so_truc_tuyen_khong_giai_quyet_hoac_qua_han": 0}
    with pytest.raises(DataError, match="tthc_dvctt_muc_3_4"):
        select_level(nd61, 9, facts)


def test_exactly_15_of_18_points_is_tot_because_the_vendor_bands_left_it_out(nd61) -> None:
    assert classify(Decimal(15), nd61.xep_loai).ten == "Tốt"
    assert classify(Decimal("15.01"), nd61.xep_loai).ten == "Xuất sắc"
    assert nd61.xep_loai[0].chua_xac_minh


def test_a_negative_record_count_is_an_error_naming_the_criterion_and_level(nd61) -> None:
    counts = {**COUNTS_001, 2: [1033, -99, 0]}
    with pytest.raises(DataError, match="không được âm") as caught:
        score_criteria(nd61, counts=counts, chosen=STATED_001, source="ho_so.yaml")
    assert (caught.value.problems[0].location.file, caught.value.problems[0].location.field) == (
        "ho_so.yaml", "so_ho_so.2[1]")


def test_a_record_count_written_with_a_thousands_dot_is_refused(nd61) -> None:
    counts = {**COUNTS_001, 1: {2: Decimal("1.033"), 1: 99, 0: 0}}
    with pytest.raises(DataError, match="số nguyên"):
        score_criteria(nd61, counts=counts, chosen=STATED_001)


# ----- figures and one-stop statistics --------------------------------------------------------


def test_point_one_plus_point_two_displays_point_three() -> None:
    assert (Figure(Decimal("0.1"), 1) + Figure(Decimal("0.2"), 1)).display() == "0,3"


def test_figures_round_half_up_in_vietnamese_form() -> None:
    assert Figure(Decimal("2.675"), 2).display() == "2,68"
    assert Figure(Decimal("1234.5"), 2).display() == "1.234,50"


def test_a_percentage_names_its_base_and_refuses_a_zero_base() -> None:
    share = percentage(99, 1147, base_name="tong_ho_so", decimals=1)
    assert (share.display(), share.base_name) == ("8,6%", "tong_ho_so")
    with pytest.raises(DataError, match="bằng 0"):
        percentage(0, 0, base_name="pakn_tong")


def test_one_stop_percentages_of_sample_003_use_their_named_bases() -> None:
    fw = load_framework("mot_cua_nd61")
    stats = one_stop_statistics(fw, {
        "ky_truoc_chuyen_sang": 975, "tiep_nhan_trong_ky": 12622, "truc_tuyen": 7123, "truoc_han": 12370,
        "dung_han": 106, "qua_han": 14, "dang_giai_quyet_trong_han": 833, "tam_dung_bo_sung": 37, "huy_rut": 217,
    })
    assert stats["tong_so"].count == 13597 and stats["tong_so"].derived
    shown = {code: (stats[code].percent.display(), stats[code].percent.base_name)
             for code in ("da_giai_quyet", "truoc_han", "dung_han", "qua_han", "dang_giai_quyet_trong_han",
                          "truc_tuyen", "tam_dung_bo_sung", "huy_rut")}
    assert shown == {
        "da_giai_quyet": ("91,86%", "tong_so"), "truoc_han": ("99,04%", "da_giai_quyet"),
        "dung_han": ("0,85%", "da_giai_quyet"), "qua_han": ("0,11%", "da_giai_quyet"),
        "dang_giai_quyet_trong_han": ("6,13%", "tong_so"), "truc_tuyen": ("52,39%", "tong_so"),
        "tam_dung_bo_sung": ("0,27%", "tong_so"), "huy_rut": ("1,60%", "tong_so"),
    }


def test_a_stated_total_that_differs_from_its_parts_is_replaced_by_their_sum_and_kept_for_the_audit() -> None:
    fw = load_framework("mot_cua_nd61")
    result = one_stop_statistics(fw, {"tong_so": 1147, "da_giai_quyet": 1132, "truoc_han": 1033, "dung_han": 99,
                                      "qua_han": 1}, unit="huyện")
    assert result["da_giai_quyet"].count == 1133
    assert result.stated_totals == {"da_giai_quyet": 1132}


def test_statuses_that_do_not_account_for_every_record_are_reported_not_invented() -> None:
    fw = load_framework("mot_cua_nd61")
    counts = {"ky_truoc_chuyen_sang": 975, "tiep_nhan_trong_ky": 12622, "truoc_han": 12370, "dung_han": 106,
              "qua_han": 14, "dang_giai_quyet_trong_han": 833, "tam_dung_bo_sung": 37, "huy_rut": 217}
    assert one_stop_statistics(fw, counts).unaccounted == ()  # 20 may be overdue records in progress
    result = one_stop_statistics(fw, {**counts, "dang_giai_quyet_qua_han": 0})
    assert result.unaccounted == (("tong_so", 13577),)
    assert result["tong_so"].count == 13597


# ----- a province adds its own file -----------------------------------------------------------

PROVINCE = """\
kieu: bo_chi_so
ma: tinh_thu_nghiem
ten: Bộ chỉ số thử nghiệm của một tỉnh
thang_diem: 100
so_thap_phan: {diem: 1, quy_doi: 1}
xep_loai:
  - {ten: Đạt, tu: 60, bao_gom_tu: true}
  - {ten: Chưa đạt}
nhom:
  - ma: a
    ten: Nhóm A
    toi_da: 40
    chi_so:
      - {ma: a1, ten: Chỉ số A1, toi_da: 40}
  - ma: b
    ten: Nhóm B
    toi_da: 60
    chi_so:
      - {ma: b1, ten: Chỉ số B1, toi_da: 25}
      - {ma: b2, ten: Chỉ số B2, toi_da: 35}
"""


def test_a_province_framework_file_given_by_path_is_used_with_no_code_change(tmp_path: Path) -> None:
    path = tmp_path / "tinh.yaml"
    path.write_text(PROVINCE, encoding="utf-8")
    fw = load_framework(path)
    result = score_units(fw, {"Xã Một": {"a1": 30, "b1": None, "b2": "20,5"}, "Xã Hai": {"a1": 40, "b1": 25, "b2": 0}})
    one, two = result.units
    assert (one.earned.display(), one.applicable_maximum.value, one.converted.display(), one.band.ten) == (
        "50,5", 75, "67,3", "Đạt")
    assert (two.converted.display(), two.rank, one.rank) == ("65,0", 2, 1)
    assert load_framework(str(path)).ma == "tinh_thu_nghiem"


def test_a_group_whose_indices_do_not_add_up_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tinh.yaml"
    path.write_text(PROVINCE.replace("toi_da: 40\n    chi_so", "toi_da: 45\n    chi_so"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_framework(path)
    messages = {(p.code, p.location.file, p.location.line) for p in caught.value.problems}
    assert ("SPEC_VALUE", str(path), 12) in messages
    assert any("cộng lại 40" in p.message for p in caught.value.problems)


def test_an_unknown_key_in_a_framework_file_is_reported_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tinh.yaml"
    path.write_text(PROVINCE.replace("thang_diem: 100", "thang_diem: 100\nthang_diemm: 100"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_framework(path)
    problem = caught.value.problems[0]
    assert (problem.code, problem.location.line) == ("SPEC_UNKNOWN_KEY", 5)


def test_an_unverified_item_without_a_note_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tinh.yaml"
    path.write_text(PROVINCE.replace("toi_da: 40}", "toi_da: 40, chua_xac_minh: true}"), encoding="utf-8")
    with pytest.raises(SpecError, match="ghi_chu") as caught:
        load_framework(path)
    assert caught.value.problems[0].location.line == 14


def test_an_unknown_framework_name_lists_the_shipped_ones() -> None:
    with pytest.raises(SpecError) as caught:
        load_framework("qd999")
    assert "qd766" in (caught.value.problems[0].hint or "")
