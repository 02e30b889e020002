"""Score tables are read as portals export them: title block, header of several levels, numbering, groups, summaries."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.data.layout import BLANK, GROUP, NOTE, NUMBERING, SUMMARY, TITLE, Group, analyse
from engine.data.readers import ColumnMap, read_layout, read_unit_table, read_units
from engine.errors import DataError, Problem

# Seed 000's table as the document shows it, saved from Excel as CSV: a merged cell leaves its other
# cells empty; the numbering row has the sample's own typo "(3)" where "(5)" belongs.
SEED_CSV = """\
UBND HUYỆN TỦA CHÙA;;;;;;;;CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM;;;;;;;
;;;;;;;;Độc lập - Tự do - Hạnh phúc;;;;;;;
;;;;;;;;;;;;;;;
KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CHẤT LƯỢNG PHỤC VỤ;;;;;;;;;;;;;;;
Kỳ: tháng 4/2023;;;;;;;;;;;;;;;
;;;;;;;;;;;;;;;
STT;TÊN CƠ QUAN, ĐƠN VỊ;ĐIỂM CÁC CHỈ SỐ;;;;;;;;;;;ĐIỂM ĐẠT ĐƯỢC;TỔNG ĐIỂM QUY ĐỔI;XẾP LOẠI
;;Nhóm công khai, minh bạch;;;Tiến độ, KQ giải quyết;Nhóm cung cấp DVTT;;Nhóm số hóa hồ sơ;;Nhóm mức độ hài lòng;;;;;
;;Chỉ số 1;Chỉ số 2;Chỉ số 3;;Chỉ số 1;Chỉ số 2;Chỉ số 1;Chỉ số 2;Chỉ số 1;Chỉ số 2;Chỉ số 3;;;
(1);(2);(3);(4);(3);(6);(7);(8);(9);(10);(11);(12);(13);(14);(15);(16)
I UBND CÁC XÃ, THỊ TRẤN;;;;;;;;;;;;;;;
1;UBND xã Mường Đùn;-;-;3,7;29;9,7;0;4,9;9,8;5;5;5;72,1;80,1;Tốt
2;UBND xã Tả Phìn;-;-;1,5;30;10;0;5;10;5;5;5;71,5;79,4;Khá
;Trung bình;-;-;2,6;29,5;9,85;0;4,95;9,9;5;5;5;71,8;79,75;
;;;;;;;;;;;;;;;
Ghi chú: số liệu lấy từ Hệ thống thông tin giải quyết TTHC;;;;;;;;;;;;;;;
;;;;;;;;;;NGƯỜI LẬP BIỂU;;;;;
;;;;;;;;;;Nguyễn Văn A;;;;;
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def workbook(path: Path, rows: list[list[object]], merges: tuple[str, ...] = (), title: str = "Bảng") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    book.save(path)
    return path


def problems(call) -> list[Problem]:
    with pytest.raises(DataError) as caught:
        call()
    return caught.value.problems


# ----- the layout, whatever a spec maps ----------------------------------------------------


def test_the_seed_table_as_a_csv_has_its_three_header_rows_numbering_group_mean_and_notes_found(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path / "bang.csv", SEED_CSV, "utf-8-sig"))
    assert layout.delimiter == ";"
    assert layout.header_rows == (7, 8, 9) and layout.numbering_row == 10
    names = [c.name for c in layout.columns]
    assert names[:6] == [
        "STT", "TÊN CƠ QUAN, ĐƠN VỊ", "ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 1",
        "ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 2",
        "ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 3", "ĐIỂM CÁC CHỈ SỐ / Tiến độ, KQ giải quyết",
    ]
    assert names[-3:] == ["ĐIỂM ĐẠT ĐƯỢC", "TỔNG ĐIỂM QUY ĐỔI", "XẾP LOẠI"]
    assert [c.label for c in layout.columns][:6] == ["(1)", "(2)", "(3)", "(4)", "(3)", "(6)"]
    assert [c.kind for c in layout.columns][:4] == ["so_thu_tu", "chu", "so", "so"]
    assert layout.columns[6].short == "Nhóm cung cấp DVTT / Chỉ số 1"
    kinds = {row.row: row.kind for row in layout.skipped}
    assert kinds == {1: TITLE, 2: TITLE, 3: BLANK, 4: TITLE, 5: TITLE, 6: BLANK, 10: NUMBERING, 11: GROUP,
                     14: SUMMARY, 15: BLANK, 16: NOTE, 17: NOTE, 18: NOTE}
    assert layout.groups == (Group("I", "UBND CÁC XÃ, THỊ TRẤN", 11),)
    [mean] = [row for row in layout.skipped if row.kind == SUMMARY]
    assert (mean.summary, mean.covers) == ("trung_binh", 2)
    assert mean.reason == "dòng tổng hợp, kiểm tra với trung bình của 2 đơn vị nhóm I"
    assert [(u.row, u.cells[1], u.group.label) for u in layout.units] == [
        (12, "UBND xã Mường Đùn", "I"), (13, "UBND xã Tả Phìn", "I")]
    json.dumps(layout.as_dict(first_units=1), ensure_ascii=False)  # plain data for JSON


def test_an_xlsx_header_path_comes_from_the_sheets_real_merged_ranges(tmp_path: Path) -> None:
    # "CS 3" sits under "Điểm" but under no group: its level-2 cell is empty and not merged. The fill
    # rules of a CSV would put it in "Nhóm A"; the merged ranges say it is not.
    path = workbook(tmp_path / "bang.xlsx", [
        ["UBND HUYỆN TỦA CHÙA", None, None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        [],
        ["KẾT QUẢ ĐÁNH GIÁ THÁNG 4/2023"],
        [],
        ["STT", "Tên đơn vị", None, "Điểm", None, None, "Tổng"],
        [None, None, None, "Nhóm A", None, None, None],
        [None, None, None, "CS 1", "CS 2", "CS 3", None],
        [1, "Xã A", None, 1, 2, 3, 6],
        [2, "Xã B", None, "1,5", 2, 3, "6,5"],
    ], merges=("A1:D1", "F1:I1", "A3:I3", "A5:A7", "B5:B7", "D5:F5", "D6:E6", "G5:G7"))
    layout = read_layout(path)
    assert layout.header_rows == (5, 6, 7)
    assert [(c.ref, c.name) for c in layout.columns] == [
        ("A", "STT"), ("B", "Tên đơn vị"), ("D", "Điểm / Nhóm A / CS 1"), ("E", "Điểm / Nhóm A / CS 2"),
        ("F", "Điểm / CS 3"), ("G", "Tổng")]
    assert layout.spacers == ("C",)
    assert [(r.row, r.kind) for r in layout.skipped] == [(1, TITLE), (2, BLANK), (3, TITLE), (4, BLANK)]
    assert layout.sheets == ("Bảng",) and layout.sheet == "Bảng"


def test_without_merged_ranges_an_empty_header_cell_continues_its_left_neighbour_only_within_its_parent(
        tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path / "bang.csv", """\
        Tên;Điểm;;;Khác;
        ;Nhóm A;;Nhóm B;Kỳ này;Kỳ trước
        ;CS 1;CS 2;CS 1;;
        Xã A;1;2;3;4;5
    """))
    assert [c.name for c in layout.columns] == [
        "Tên", "Điểm / Nhóm A / CS 1", "Điểm / Nhóm A / CS 2", "Điểm / Nhóm B / CS 1", "Khác / Kỳ này",
        "Khác / Kỳ trước"]
    assert [c.short for c in layout.columns][1:4] == ["Nhóm A / CS 1", "CS 2", "Nhóm B / CS 1"]


def test_title_rows_right_above_the_header_are_not_header_levels(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path / "bang.csv", """\
        BẢNG TỔNG HỢP KẾT QUẢ;;
        Đơn vị: UBND huyện;;Đơn vị tính: điểm
        Tên đơn vị;Điểm;Xếp loại
        Xã A;5;Khá
    """))
    assert layout.header_rows == (3,)
    assert [c.name for c in layout.columns] == ["Tên đơn vị", "Điểm", "Xếp loại"]


def test_group_rows_in_their_three_forms_are_skipped_and_each_unit_knows_its_group(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bang.xlsx", [
        ["STT", "Tên đơn vị", "Điểm"],
        ["I", "KHỐI CƠ QUAN HUYỆN"],
        [1, "Văn phòng HĐND và UBND", "90,5"],
        ["II. Các xã, thị trấn"],
        [1, "UBND xã A", 80],
        [2, "UBND xã B", 70],
        ["Khu vực miền núi"],
        [1, "UBND xã C", "60,25"],
    ], merges=("A7:C7",))
    table = read_unit_table(path, ColumnMap({"ten": "Tên đơn vị", "diem": "Điểm"}, frozenset({"diem"})))
    assert [(g.label, g.name, g.row) for g in table.groups] == [
        ("I", "KHỐI CƠ QUAN HUYỆN", 2), ("II", "Các xã, thị trấn", 4), (None, "Khu vực miền núi", 7)]
    assert [(u.values["ten"], u.group.name if u.group else None) for u in table.units] == [
        ("Văn phòng HĐND và UBND", "KHỐI CƠ QUAN HUYỆN"), ("UBND xã A", "Các xã, thị trấn"),
        ("UBND xã B", "Các xã, thị trấn"), ("UBND xã C", "Khu vực miền núi")]
    assert read_layout(path).columns[0].kind == "so_thu_tu"  # 1, 1, 2, 1: from 1 again in each group


def test_summary_rows_are_told_apart_from_units_whose_names_or_classes_look_alike(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", """\
        STT;Tên đơn vị;Điểm;Xếp loại
        1;UBND xã Tổng Cọt;50;Trung bình
        2;Tổng Cọt;51;Trung bình
        3;Cộng Hòa;52;Trung bình
        ;Trung bình;51;
        ;Tổng cộng:;153;
    """)
    table = read_unit_table(path, ColumnMap({"ten": "Tên đơn vị", "diem": "Điểm"}, frozenset({"diem"})))
    assert [u.values["ten"] for u in table.units] == ["UBND xã Tổng Cọt", "Tổng Cọt", "Cộng Hòa"]
    assert [(s.kind, s.text, s.values["diem"], s.units) for s in table.summaries] == [
        ("trung_binh", "Trung bình", Decimal(51), (0, 1, 2)), ("tong", "Tổng cộng:", Decimal(153), (0, 1, 2))]


def test_a_group_subtotal_covers_its_group_and_a_grand_total_every_unit(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", """\
        STT;Tên đơn vị;Điểm
        I;KHỐI HUYỆN;
        1;Phòng A;10
        2;Phòng B;20
        ;Cộng;30
        II;KHỐI XÃ;
        1;Xã C;5
        ;Trung bình;5
        ;Tổng cộng;35
    """)
    table = read_unit_table(path, ColumnMap({"ten": "Tên đơn vị", "diem": "Điểm"}, frozenset({"diem"})))
    assert [(s.text, s.units, s.group.name if s.group else None) for s in table.summaries] == [
        ("Cộng", (0, 1), "KHỐI HUYỆN"), ("Trung bình", (2,), "KHỐI XÃ"), ("Tổng cộng", (0, 1, 2), None)]


def test_notes_and_signatures_below_the_table_are_not_units(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", """\
        Tên đơn vị;Điểm
        Xã A;5
        Xã B;6
        ;
        Tủa Chùa, ngày 05 tháng 5 năm 2023;
        NGƯỜI LẬP BIỂU;THỦ TRƯỞNG ĐƠN VỊ
        Lò Văn B;Lường Tuấn Anh
    """)
    units = read_units(path, ColumnMap({"ten": "Tên đơn vị"}, frozenset()))
    assert [u.values["ten"] for u in units] == ["Xã A", "Xã B"]
    assert [(r.row, r.kind) for r in read_layout(path).skipped] == [(4, BLANK), (5, NOTE), (6, NOTE), (7, NOTE)]


@pytest.mark.parametrize("labels", [["1", "2", "3", "4"], ["A", "B", "1", "2=1x0,5"], ["(A)", "(B)", "(1)", "(2)"]])
def test_a_numbering_row_of_numbers_letters_or_formulas_is_recognised(tmp_path: Path, labels: list[str]) -> None:
    labels = [label.replace("x0,5", "x3") for label in labels]
    path = write(tmp_path / "bang.csv", "STT;Tên;Điểm;Quy đổi\n" + ";".join(labels) + "\n1;Xã A;5;6\n")
    layout = read_layout(path)
    assert layout.numbering_row == 2 and [c.label for c in layout.columns] == labels
    assert [u.row for u in layout.units] == [3]


def test_a_header_of_years_is_a_header_not_the_first_unit(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path / "bang.csv", "Tên;Điểm;\n;2023;2024\nXã A;5;6\n"))
    assert layout.header_rows == (1, 2)
    assert [c.name for c in layout.columns] == ["Tên", "Điểm / 2023", "Điểm / 2024"]  # "Điểm" merged over both


def test_the_delimiter_is_the_one_that_splits_the_rows_alike_even_under_titles_with_commas(tmp_path: Path) -> None:
    layout = read_layout(write(tmp_path / "bang.csv", """\
        "KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI THÁNG 8/2024",,
        ,,
        Tên cơ quan,Điểm tổng hợp,Tiến độ
        "UBND xã Thủ Sỹ, huyện Tiên Lữ","89,63",100
        UBND xã Hải Triều,"88,82","99,64"
    """))
    assert layout.delimiter == ","
    assert [u.cells for u in layout.units] == [("UBND xã Thủ Sỹ, huyện Tiên Lữ", "89,63", "100"),
                                               ("UBND xã Hải Triều", "88,82", "99,64")]


# ----- cot: by path, by a trailing part, by label ------------------------------------------

SEED_FIELDS = {
    "ten": "Tên cơ quan, đơn vị",  # the header is in capitals: case does not matter
    "ck1": "ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 1",  # the full path
    "ck3": "nhóm công khai,  minh bạch/Chỉ số 3",  # a trailing part, spacing of its own
    "tien_do": "Tiến độ, KQ\ngiải quyết",  # a line break inside the cell text
    "dvtt1": "(7)",  # the column-number label
    "dvtt2": "8",  # the label without its brackets
    "quy_doi": "(15)",
}


def test_cot_matches_a_column_by_its_full_path_a_trailing_part_or_its_number_label(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", SEED_CSV)
    columns = ColumnMap(SEED_FIELDS, frozenset(SEED_FIELDS) - {"ten"})
    first = read_units(path, columns)[0]
    assert first.values == {"ten": "UBND xã Mường Đùn", "ck1": None, "ck3": Decimal("3.7"), "tien_do": Decimal(29),
                            "dvtt1": Decimal("9.7"), "dvtt2": Decimal(0), "quy_doi": Decimal("80.1")}
    assert first.source.line == 12 and first.group == Group("I", "UBND CÁC XÃ, THỊ TRẤN", 11)


def test_an_ambiguous_name_is_an_error_that_lists_the_full_paths_of_the_candidates(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", SEED_CSV)
    [problem] = problems(lambda: read_units(path, ColumnMap({"ten": "Tên cơ quan, đơn vị", "x": "Chỉ số 1"},
                                                             frozenset({"x"}))))
    assert problem.code == "DATA_FORMAT" and "khớp 4 cột" in problem.message
    assert "'ĐIỂM CÁC CHỈ SỐ / Nhóm mức độ hài lòng / Chỉ số 1' (cột thứ 11)" in problem.message
    assert "Nhóm công khai, minh bạch / Chỉ số 1" in problem.hint and problem.location.line == 7


def test_the_samples_duplicate_label_3_is_ambiguous_and_says_to_choose_by_name(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", SEED_CSV)
    [problem] = problems(lambda: read_units(path, ColumnMap({"ten": "(2)", "x": "(3)"}, frozenset({"x"}))))
    assert "khớp 2 cột" in problem.message and "theo tên tiêu đề" in problem.hint


def test_a_missing_column_suggests_the_closest_and_lists_those_there_are(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", SEED_CSV)
    [problem] = problems(lambda: read_units(path, ColumnMap({"ten": "Tên cơ quan, đơn vị",
                                                             "x": "Nhóm số hoá hồ sơ / Chỉ sô 2"}, frozenset({"x"}))))
    assert "không có cột 'Nhóm số hoá hồ sơ / Chỉ sô 2'" in problem.message
    assert "có phải là cột 'Nhóm số hóa hồ sơ / Chỉ số 2'?" in problem.message
    assert "'ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 1'" in problem.hint
    assert "dòng 7–9 (3 tầng)" in problem.hint


def test_header_matching_never_ignores_diacritics(tmp_path: Path) -> None:
    path = write(tmp_path / "bang.csv", "Tủa;Tùa\nXã A;5\n")
    assert read_units(path, ColumnMap({"x": "TÙA"}, frozenset()))[0].values == {"x": "5"}
    [problem] = problems(lambda: read_units(path, ColumnMap({"x": "Tua"}, frozenset())))
    assert "không có cột 'Tua'" in problem.message


# ----- analysis bounds ------------------------------------------------------------------------


def test_overlapping_merged_ranges_in_the_header_are_a_named_error_at_their_cell() -> None:
    from engine.data.layout import Merge

    rows = [(1, ["A", "B", "C"]), (2, ["x", 1, 2])]
    with pytest.raises(DataError) as caught:
        analyse(rows, [Merge(1, 1, 1, 2), Merge(1, 2, 2, 3)], file="a.xlsx", sheet="Bảng")
    [problem] = caught.value.problems
    assert "chồng lên nhau (A1:B1 và B1:C2)" in problem.message and problem.location.field == "Bảng!B1"


def test_a_merged_range_over_the_whole_sheet_is_clipped_to_the_table() -> None:
    from engine.data.layout import Merge

    rows = [(1, ["BẢNG ĐIỂM"]), (2, ["Tên", "Điểm"]), (3, ["Xã A", 5])]
    analysis = analyse(rows, [Merge(1, 1, 1_048_576, 16_384)], file="a.xlsx", sheet="Bảng")
    assert len(analysis.units) == 1
