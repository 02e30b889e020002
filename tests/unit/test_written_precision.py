"""Numbers print as the document means them: a declared number of decimals, else as the source wrote them."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest

from engine import pipeline
from engine.data.readers import ColumnMap, read_unit_table
from engine.errors import SpecError
from engine.render.outline import document_lines, table_rows

# A made-up framework: one group of two indices, scored out of 20; it computes sums at one decimal.
FRAMEWORK = """\
kieu: bo_chi_so
ma: thu_thap_phan
ten: Bộ chỉ số thử số chữ số thập phân
thang_diem: 20
so_thap_phan: {diem: 1, quy_doi: 2}
xep_loai:
  - {ten: Đạt, tu: 50, bao_gom_tu: true}
  - {ten: Chưa đạt}
nhom:
  - ma: chung
    ten: Chung
    toi_da: 20
    chi_so:
      - {ma: a, ten: Chỉ số A, toi_da: 10}
      - {ma: b, ten: Chỉ số B, toi_da: 10}
"""

CSV = """\
Đơn vị;A;B;Tiến độ
UBND xã An Phú;4,0;6;99,50
UBND xã Bình Minh;5;2,25;100
"""

SPEC = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, XÃ MỚI], viet_tat: UBND}
so: 3
dia_danh: Mới
ngay: 2026-11-05
trich_yeu: Kết quả chấm điểm
du_lieu:
  so_lieu: {tong_diem: 16.70, ty_le: 4.0}
cham_diem:
  kq:
    bo_tieu_chi: bo.yaml
    du_lieu: diem.csv
    cot: {don_vi: Đơn vị, a: A, b: B}
    them: {tien_do: Tiến độ}
noi_dung:
  - doan: >-
      Tổng điểm {{ so_lieu.tong_diem | so }}, làm tròn {{ so_lieu.tong_diem | so(1) }}; tỷ lệ
      {{ so_lieu.ty_le | phan_tram }}.
  - doan: >-
      {%- set u = kq.theo_ten['UBND xã An Phú'] -%}
      An Phú: chỉ số A {{ u.chi_so.a | so }}, đạt {{ u.dat_duoc | so }}.
noi_nhan: {cac_noi: [UBND huyện], luu: VP}
nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn A}
phu_luc:
  - {mau: bang_chi_so, nguon: kq, tieu_de: Điểm các chỉ số, thu_tu: nhap}
  - mau: bang_xep_hang
    nguon: kq
    tieu_de: Xếp hạng
    cot_them: {Tiến độ: tien_do}
"""


def make(tmp_path: Path, spec: str = SPEC, csv: str = CSV, framework: str = FRAMEWORK) -> Path:
    (tmp_path / "bo.yaml").write_text(framework, encoding="utf-8")
    (tmp_path / "diem.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    return tmp_path / "spec.yaml"


def unit_rows(package: bytes, table: int) -> list[list[str]]:
    return [row for row in table_rows(package)[table] if row and row[0].isdigit()]


def test_an_index_score_prints_as_the_table_wrote_it_and_a_computed_sum_at_the_frameworks_decimals(
        tmp_path: Path) -> None:
    rows = unit_rows(pipeline.render(make(tmp_path)), -2)
    # STT | name | A | B | earned (computed, 1 decimal) | converted (2 decimals) | class
    assert rows == [["1", "UBND xã An Phú", "4,0", "6", "10,0", "50,00", "Đạt"],
                    ["2", "UBND xã Bình Minh", "5", "2,25", "7,3", "36,25", "Chưa đạt"]]


def test_an_extra_column_of_the_ranking_prints_as_the_table_wrote_it(tmp_path: Path) -> None:
    rows = unit_rows(pipeline.render(make(tmp_path)), -1)
    assert [row[-1] for row in rows] == ["99,50", "100"]


def test_body_text_prints_a_data_value_as_written_unless_told_how_many_decimals(tmp_path: Path) -> None:
    lines = document_lines(pipeline.render(make(tmp_path)))
    assert "Tổng điểm 16,70, làm tròn 16,7; tỷ lệ 4,0%." in lines
    assert "An Phú: chỉ số A 4,0, đạt 10,0." in lines


def test_the_spec_declares_the_decimals_of_the_datas_scores_and_of_what_is_computed(tmp_path: Path) -> None:
    spec = SPEC.replace("    them: {tien_do: Tiến độ}\n",
                        "    them: {tien_do: Tiến độ}\n    so_thap_phan: {du_lieu: 2, diem: 2, quy_doi: 1}\n")
    package = pipeline.render(make(tmp_path, spec=spec))
    assert unit_rows(package, -2)[0][2:6] == ["4,00", "6,00", "10,00", "50,0"]
    assert [row[-1] for row in unit_rows(package, -1)] == ["99,50", "100,00"]


def test_a_framework_declares_the_decimals_of_the_datas_scores(tmp_path: Path) -> None:
    framework = FRAMEWORK.replace("{diem: 1, quy_doi: 2}", "{diem: 1, quy_doi: 2, du_lieu: 1}")
    rows = unit_rows(pipeline.render(make(tmp_path, framework=framework)), -2)
    assert [row[2:4] for row in rows] == [["4,0", "6,0"], ["5,0", "2,3"]]


def test_a_declared_precision_out_of_range_is_a_spec_error_at_its_line(tmp_path: Path) -> None:
    them = "    them: {tien_do: Tiến độ}\n"
    spec = SPEC.replace(them, them + "    so_thap_phan: {du_lieu: 9}\n")
    line = SPEC[:SPEC.index("    them:")].count("\n") + 2
    with pytest.raises(SpecError) as caught:
        pipeline.prepare(make(tmp_path, spec=spec))
    [problem] = caught.value.problems
    assert problem.location.line == line and "du_lieu" in (problem.location.field or "")


RANKING = """\
don_vi:
  - {don_vi: UBND xã Thủ Sỹ, tong: 89.63, ky_truoc: 82.67}
  - {don_vi: UBND xã Minh Phượng, tong: 86.2, ky_truoc: 82.9}
  - {don_vi: UBND xã Lệ Xá, tong: 87.00, ky_truoc: 87.10}
"""

RANKING_SPEC = """\
loai: cong_van
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, HUYỆN MỚI], viet_tat: UBND}
don_vi_soan_thao: VP
dia_danh: Mới
ngay: {nam: 2024}
trich_yeu: Kết quả Bộ chỉ số
kinh_gui: UBND các xã
cham_diem:
  xh: {bo_tieu_chi: qd766, du_lieu: xep_hang.yaml, muc_chi_tiet: tong}
noi_dung:
  - doan: "Minh Phượng {{ xh.theo_ten['UBND xã Minh Phượng'].quy_doi | so }} điểm."
noi_nhan: {cac_noi: [Như trên], luu: VP}
nguoi_ky: {quyen_han: TL., thay: Chủ tịch, chuc_vu: Chánh Văn phòng, ho_ten: Nguyễn Thị B}
phu_luc:
  - {mau: bang_xep_hang, nguon: xh, tieu_de: Xếp hạng}
"""


def test_a_total_given_alone_on_a_scale_of_100_is_printed_as_given_and_its_change_at_the_frameworks_decimals(
        tmp_path: Path) -> None:
    (tmp_path / "xep_hang.yaml").write_text(RANKING, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(RANKING_SPEC, encoding="utf-8")
    package = pipeline.render(tmp_path / "spec.yaml")
    assert [row[2:4] for row in unit_rows(package, -1)] == [["89,63", "6,96"], ["87,00", "-0,10"], ["86,2", "3,30"]]
    assert "Minh Phượng 86,2 điểm." in document_lines(package)


def test_a_total_given_alone_on_another_scale_is_converted_at_the_frameworks_decimals(tmp_path: Path) -> None:
    framework = FRAMEWORK.replace("ma: thu_thap_phan", "ma: thu_tong")
    spec = SPEC.replace("    cot: {don_vi: Đơn vị, a: A, b: B}\n    them: {tien_do: Tiến độ}\n",
                        "    cot: {don_vi: Đơn vị, tong: A}\n    muc_chi_tiet: tong\n")
    spec = spec[:spec.index("noi_dung:")] + "noi_nhan: {cac_noi: [UBND huyện], luu: VP}\n" + \
        "nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn A}\n"
    prepared = pipeline.prepare(make(tmp_path, spec=spec, framework=framework))
    unit = prepared.scored["kq"].result.units[0]
    assert (unit.earned.display(), unit.converted.display()) == ("4,0", "20,00")  # 4,0 of 20 is 20,00 of 100


# ----- a declared column of a phụ lục 'bang' ----------------------------------------------------------

DECLARED = """\
  - mau: bang
    tieu_de: Bảng tự khai
    dong: kq.xep_hang
    cot:
      - {tieu_de: Đơn vị, gia_tri: "{{ dong.ten }}", rong: 6, can: trai}
      - {tieu_de: Chỉ số A, gia_tri: "{{ dong.chi_so.a }}"}
      - {tieu_de: Quy đổi, gia_tri: "{{ dong.quy_doi }}", so_thap_phan: 1}
      - {tieu_de: A gọn, gia_tri: " {{ dong.chi_so.a }} ", so_thap_phan: 0}
"""


def declared_spec(columns: str = DECLARED) -> str:
    return SPEC + columns


def test_a_declared_column_with_so_thap_phan_prints_every_number_with_exactly_that_many_decimals(
        tmp_path: Path) -> None:
    rows = table_rows(pipeline.render(make(tmp_path, spec=declared_spec())))[-1]
    assert rows[1:] == [["UBND xã An Phú", "4,0", "50,0", "4"], ["UBND xã Bình Minh", "5", "36,3", "5"]]


def test_a_declared_column_prints_a_value_the_data_does_not_have_as_a_dash(tmp_path: Path) -> None:
    csv = CSV.replace("UBND xã Bình Minh;5;", "UBND xã Bình Minh;-;")  # chỉ số A không phát sinh
    columns = DECLARED.replace('gia_tri: "{{ dong.chi_so.a }}"}', 'gia_tri: "{{ dong.chi_so.b }}"}')
    rows = table_rows(pipeline.render(make(tmp_path, spec=declared_spec(columns), csv=csv)))[-1]
    assert rows[2][0] == "UBND xã Bình Minh" and rows[2][3] == "-"


@pytest.mark.parametrize("value", ['"{{ dong.quy_doi }} điểm"', '"{{ dong.ten }}{{ dong.hang }}"',
                                   '"{% if dong.hang %}{{ dong.hang }}{% endif %}"'])
def test_a_declared_column_whose_value_is_not_one_expression_is_a_spec_error_at_its_line(tmp_path: Path,
                                                                                         value: str) -> None:
    columns = DECLARED.replace('gia_tri: "{{ dong.quy_doi }}", so_thap_phan: 1', f"gia_tri: {value}, so_thap_phan: 1")
    with pytest.raises(SpecError) as caught:
        pipeline.prepare(make(tmp_path, spec=declared_spec(columns)))
    [problem] = caught.value.problems
    assert problem.code == "SPEC_VALUE" and "đúng một biểu thức ra số" in problem.message
    assert problem.location.line == SPEC.count("\n") + 7


def test_a_declared_column_whose_value_is_text_says_which_row(tmp_path: Path) -> None:
    columns = DECLARED.replace('gia_tri: "{{ dong.quy_doi }}", so_thap_phan: 1',
                               'gia_tri: "{{ dong.quy_doi | so }}", so_thap_phan: 1')
    with pytest.raises(SpecError) as caught:
        pipeline.prepare(make(tmp_path, spec=declared_spec(columns)))
    [problem] = caught.value.problems
    assert problem.code == "SPEC_VALUE" and "dòng 1 của bảng" in problem.message and "chữ '50,00'" in problem.message


# ----- .xlsx: a number cell has no written form; its number format gives it one -------------------------


def xlsx(tmp_path: Path, cells: list[tuple[object, str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Đơn vị", *(f"C{k}" for k in range(len(cells)))])
    sheet.append(["UBND xã An Phú", *(value for value, _ in cells)])
    for k, (_, number_format) in enumerate(cells):
        sheet.cell(row=2, column=k + 2).number_format = number_format
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "diem.xlsx"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(("stored", "number_format", "read"), [
    (4, "0.0", Decimal("4.0")),             # typed "4,0" under one decimal: Excel stores 4
    (86.2, "0.00", Decimal("86.20")),
    (9.6667, "0.0", Decimal("9.7")),        # a formula's result as Excel shows it
    (72.1, "General", Decimal("72.1")),     # General: as stored
    (87, "General", Decimal("87")),
    (1234.5, "#,##0.00", Decimal("1234.50")),
    (0.91856, "0.00%", Decimal("0.9186")),  # a fraction shown as 91,86%
    (7.25, "0.0#", Decimal("7.25")),        # one or two decimals: as stored within them
    (7, "0.0#", Decimal("7.0")),
    (3.7, "0", Decimal("4")),
])
def test_an_xlsx_number_is_read_with_the_decimals_its_number_format_shows(tmp_path: Path, stored: object,
                                                                          number_format: str, read: Decimal) -> None:
    path = xlsx(tmp_path, [(stored, number_format)])
    table = read_unit_table(path, ColumnMap({"don_vi": "Đơn vị", "x": "C0"}, frozenset({"x"})))
    value = table.units[0].values["x"]
    assert value == read and str(value) == str(read)


def test_an_xlsx_score_typed_4_0_prints_4_0_in_the_phu_luc(tmp_path: Path) -> None:
    xlsx(tmp_path, [(4, "0.0"), (6, "General")])
    spec = SPEC.replace("du_lieu: diem.csv", "du_lieu: diem.xlsx").replace("cot: {don_vi: Đơn vị, a: A, b: B}",
                                                                          "cot: {don_vi: Đơn vị, a: C0, b: C1}")
    spec = spec.replace("    them: {tien_do: Tiến độ}\n", "").replace("    cot_them: {Tiến độ: tien_do}\n", "")
    (tmp_path / "bo.yaml").write_text(FRAMEWORK, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    rows = unit_rows(pipeline.render(tmp_path / "spec.yaml"), -2)
    assert rows[0][2:5] == ["4,0", "6", "10,0"]


def test_a_number_format_asking_for_more_than_30_decimals_shows_30_as_excel_does() -> None:
    from engine.data.readers import cell_number, format_decimals

    assert format_decimals("0." + "0" * 200_000) == (30, 30)
    assert cell_number(3.7, "0." + "0" * 200_000) == Decimal("3.7" + "0" * 29)
