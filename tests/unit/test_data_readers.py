"""Per-unit score tables are read from Excel, CSV or YAML into exact values, with every bad cell reported."""

from __future__ import annotations

import textwrap
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.data.readers import ColumnMap, read_unit_table, read_units
from engine.errors import DataError, Problem

COLUMNS = ColumnMap(
    fields={"ten": "Tên cơ quan, đơn vị", "diem": "Điểm đạt được", "ho_so": "Số hồ sơ"},
    numeric=frozenset({"diem", "ho_so"}),
)


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Bảng điểm", extra_first: bool = False) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    if extra_first:
        sheet.title = "Hướng dẫn"
        sheet.append(["Trang này không có số liệu"])
        sheet = workbook.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(textwrap.dedent(text).encode(encoding))
    return path


def problems_of(path: Path, columns: ColumnMap = COLUMNS, **kwargs: object) -> list[Problem]:
    with pytest.raises(DataError) as caught:
        read_units(path, columns, **kwargs)
    return caught.value.problems


def test_an_excel_file_with_a_title_row_above_vietnamese_headers_is_read(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [
        ["KẾT QUẢ ĐÁNH GIÁ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP QUÝ I/2024"],
        [],
        ["STT", "TÊN CƠ QUAN,  ĐƠN VỊ", "Điểm\nđạt được", "Số hồ sơ"],
        [1, "UBND xã An Bình", 72.1, 1147],
        [2, "UBND xã Tân Lập", 16.74, "1.147"],
        [None, None, None, None],
        [None, "Tổng cộng", "88,84", 2294],
    ])
    rows = read_units(path, COLUMNS)
    assert [row.values for row in rows] == [
        {"ten": "UBND xã An Bình", "diem": Decimal("72.1"), "ho_so": Decimal(1147)},
        {"ten": "UBND xã Tân Lập", "diem": Decimal("16.74"), "ho_so": Decimal(1147)},
    ]
    assert rows[0].source.line == 4
    assert rows[0].source.field == "'Bảng điểm'!B4"
    # The "Tổng cộng" row is not a unit: it is a summary row, kept for the audit.
    [total] = read_unit_table(path, COLUMNS).summaries
    assert (total.kind, total.text, total.units, total.source.line) == ("tong", "Tổng cộng", (0, 1), 7)
    assert total.values == {"ten": "Tổng cộng", "diem": Decimal("88.84"), "ho_so": Decimal(2294)}


def test_an_excel_sheet_is_chosen_by_name_or_the_first_one_is_taken(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                               ["Xã A", 1, 2]], title="Quý1", extra_first=True)
    assert read_units(path, COLUMNS, sheet="quý1")[0].values["ten"] == "Xã A"
    problems = problems_of(path)  # the first sheet has none of the headers
    assert len(problems) == 3 and all("trang tính 'Hướng dẫn'" in p.message for p in problems)
    [problem] = problems_of(path, sheet="Quy1")
    assert "không có trang tính 'Quy1'" in problem.message and "'Quý1'" in problem.message


def test_a_csv_with_vietnamese_decimals_and_semicolons_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.csv", """\
        Tên cơ quan, đơn vị;Điểm đạt được;Số hồ sơ
        UBND xã An Bình;16,74;1.147
        UBND xã Tân Lập;0,3;15.250
        UBND xã Mới;-1,5;1.234.567
    """)
    rows = read_units(path, COLUMNS)
    assert [(r.values["diem"], r.values["ho_so"]) for r in rows] == [
        (Decimal("16.74"), Decimal(1147)), (Decimal("0.3"), Decimal(15250)), (Decimal("-1.5"), Decimal(1234567)),
    ]
    assert rows[0].source.field == "dòng 2"
    assert rows[0].values["ten"] == "UBND xã An Bình"


def test_a_csv_with_a_utf8_bom_and_commas_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.csv", """\
        "Tên cơ quan, đơn vị",Điểm đạt được,Số hồ sơ
        UBND xã An Bình,"16,74",12
    """, encoding="utf-8-sig")
    [row] = read_units(path, COLUMNS)
    assert row.values == {"ten": "UBND xã An Bình", "diem": Decimal("16.74"), "ho_so": Decimal(12)}


def test_a_tab_separated_csv_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.csv", "Tên cơ quan, đơn vị\tĐiểm đạt được\tSố hồ sơ\nXã A\t5\t6\n")
    assert read_units(path, COLUMNS)[0].values["diem"] == Decimal(5)


def test_a_yaml_list_is_read_and_so_is_a_don_vi_key(tmp_path: Path) -> None:
    listing = write_text(tmp_path / "a.yaml", """\
        - Tên cơ quan, đơn vị: UBND xã An Bình
          Điểm đạt được: 16.74
          Số hồ sơ: "1.147"
        - Tên cơ quan, đơn vị: UBND xã Tân Lập
          Điểm đạt được: "16,5"
          Số hồ sơ: 3
    """)
    under_key = write_text(tmp_path / "b.yml", """\
        don_vi:
          - Tên cơ quan, đơn vị: UBND xã An Bình
            Điểm đạt được: 16.74
            Số hồ sơ: "1.147"
          - Tên cơ quan, đơn vị: UBND xã Tân Lập
            Điểm đạt được: "16,5"
            Số hồ sơ: 3
    """)
    for path in (listing, under_key):
        rows = read_units(path, COLUMNS)
        assert [r.values for r in rows] == [
            {"ten": "UBND xã An Bình", "diem": Decimal("16.74"), "ho_so": Decimal(1147)},
            {"ten": "UBND xã Tân Lập", "diem": Decimal("16.5"), "ho_so": Decimal(3)},
        ]
    assert read_units(under_key, COLUMNS)[1].source.line == 5


@pytest.mark.parametrize("mark", ["-", "—", "–", "", "  "])
def test_a_dash_or_a_blank_cell_reads_as_not_applicable(tmp_path: Path, mark: str) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                               ["Xã A", mark, None]])
    [row] = read_units(path, COLUMNS)
    assert row.values == {"ten": "Xã A", "diem": None, "ho_so": None}


def test_a_missing_column_error_names_the_header_and_suggests_the_close_one(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Báo cáo"], ["Tên cơ quan, đơn vị", "Điểm đạt đươc", "Số hồ sơ"]])
    [problem] = problems_of(path)
    assert problem.code == "DATA_FORMAT"
    assert "không có cột 'Điểm đạt được'" in problem.message
    assert "có phải là cột 'Điểm đạt đươc'?" in problem.message
    assert "trang tính 'Bảng điểm'" in problem.message
    assert "'Tên cơ quan, đơn vị', 'Điểm đạt đươc', 'Số hồ sơ'" in (problem.hint or "")
    assert problem.location.file == str(path)


def test_an_optional_column_may_be_missing_and_reads_as_none(tmp_path: Path) -> None:
    columns = ColumnMap(fields={**COLUMNS.fields, "ghi_chu": "Ghi chú"}, numeric=COLUMNS.numeric,
                        optional=frozenset({"ghi_chu"}))
    path = write_text(tmp_path / "diem.csv", "Tên cơ quan, đơn vị;Điểm đạt được;Số hồ sơ\nXã A;1;2\n")
    assert read_units(path, columns)[0].values["ghi_chu"] is None


def test_a_text_in_a_number_cell_gives_an_error_with_file_sheet_row_and_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                               ["Xã A", "abc", 1]])
    [problem] = problems_of(path)
    assert problem.code == "DATA_FORMAT"
    assert problem.location.line == 2
    assert problem.location.field == "'Bảng điểm'!B2 (cột 'Điểm đạt được')"
    text = str(problem)
    for piece in (str(path), "Bảng điểm", "B2", "Điểm đạt được", "'abc'"):
        assert piece in text
    assert "16,74" in (problem.hint or "")


def test_several_bad_cells_are_all_reported_at_once(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.csv", """\
        Tên cơ quan, đơn vị;Điểm đạt được;Số hồ sơ
        Xã A;12a;1
        Xã B;5;nhiều
        Xã C;16.74;2
    """)
    problems = problems_of(path)
    assert [(p.location.line, p.location.column) for p in problems] == [(2, 2), (3, 3), (4, 2)]
    assert "'12a'" in problems[0].message and "'nhiều'" in problems[1].message
    assert "16,74" in (problems[2].hint or "")


def test_more_than_fifty_bad_cells_are_capped_with_a_count(tmp_path: Path) -> None:
    lines = ["Tên cơ quan, đơn vị;Điểm đạt được;Số hồ sơ", *(f"Xã {i};x;y" for i in range(30))]
    path = write_text(tmp_path / "diem.csv", "\n".join(lines) + "\n")
    problems = problems_of(path)
    assert len(problems) == 51
    assert "còn 10 lỗi nữa" in problems[-1].message


def test_read_values_are_exact_decimals(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.csv", "Tên cơ quan, đơn vị;Điểm đạt được;Số hồ sơ\nA;0,1;1\nB;0,2;2\n")
    rows = read_units(path, COLUMNS)
    assert sum(r.values["diem"] for r in rows) == Decimal("0.3")  # type: ignore[misc]
    excel = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                                ["A", 0.1, 1], ["B", 0.2, 2]])
    rows = read_units(excel, COLUMNS)
    assert sum(r.values["diem"] for r in rows) == Decimal("0.3")  # type: ignore[misc]


def test_an_unknown_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.xls", "x")
    [problem] = problems_of(path)
    assert problem.code == "DATA_FORMAT"
    assert ".yaml .yml .csv .xlsx" in (problem.hint or "")


def test_a_corrupt_or_missing_workbook_is_a_file_error(tmp_path: Path) -> None:
    corrupt = write_text(tmp_path / "hong.xlsx", "đây không phải tệp zip")
    [problem] = problems_of(corrupt)
    assert problem.code == "FILE_ZIP" and "Excel" in problem.message
    [problem] = problems_of(tmp_path / "khong_co.csv")
    assert problem.code == "DATA_FILE"


def test_a_formula_without_a_saved_result_is_reported_not_read_as_blank(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                               ["Xã A", "=1+2", 1]])
    [problem] = problems_of(path)
    assert "công thức" in problem.message and problem.location.field == "'Bảng điểm'!B2 (cột 'Điểm đạt được')"


def test_a_negative_number_is_read_as_it_is(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "diem.xlsx", [["Tên cơ quan, đơn vị", "Điểm đạt được", "Số hồ sơ"],
                                               ["Xã A", -2.5, "-3"]])
    assert read_units(path, COLUMNS)[0].values == {"ten": "Xã A", "diem": Decimal("-2.5"), "ho_so": Decimal(-3)}


def test_headers_typed_in_decomposed_unicode_and_other_case_still_match(tmp_path: Path) -> None:
    header = unicodedata.normalize("NFD", "điểm  ĐẠT được")
    path = write_text(tmp_path / "diem.csv", f"Tên cơ quan, đơn vị;{header};SỐ HỒ SƠ\nXã A;1;2\n")
    assert read_units(path, COLUMNS)[0].values["diem"] == Decimal(1)


def test_a_misspelt_key_in_one_yaml_unit_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    path = write_text(tmp_path / "diem.yaml", """\
        - Tên cơ quan, đơn vị: A
          Điểm đạt được: 1
          Số hồ sơ: 2
        - Tên cơ quan, đơn vị: B
          Điem đạt được: 1
          Số hồ sơ: 2
    """)
    [problem] = problems_of(path)
    assert problem.location.line == 5
    assert "'Điem đạt được'" in problem.message and "'Điểm đạt được'" in problem.message
