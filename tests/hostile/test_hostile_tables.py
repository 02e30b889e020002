"""Attack the readers of exported tables: headers that never end, huge or overlapping merged ranges, floods of rows.

Each case builds a hostile table, runs ``vanban data``, ``validate`` or ``audit`` on it in-process
under a deadline (a hang or a quadratic blow-up on the tens of thousands of rows the limits allow
fails its case instead of stalling the suite) and checks the named answer: its exit status, its
error code, no traceback and no Python repr in the output.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from engine.cli import main
from tests.conftest import FIXTURES
from tests.hostile.corpus import fifo, rewrite_zip, xlsx_bomb
from tests.hostile.test_hostile_cli import REPR_MARKS, TIMEOUT, deadline

TUA_CHUA = FIXTURES / "tua_chua_2023_04"
HEADER = "Tên cơ quan, đơn vị;CK 1;CK 2;CK 3;Tiến độ;DVTT 1;DVTT 2;Số hóa 1;Số hóa 2;Hài lòng 1;Hài lòng 2;Hài lòng 3"
UNIT = "UBND xã Mường Đùn;-;-;3,7;29;9,7;0;4,9;9,8;5;5;5"


def spec_reading(tmp: Path, table: str, content: bytes | str) -> Path:
    """The Tủa Chùa spec reading its scores from ``table`` (its other data as in the fixture)."""
    folder = tmp / "bc"
    shutil.copytree(TUA_CHUA, folder)
    spec = folder / "spec.yaml"
    text = spec.read_text(encoding="utf-8").replace("du_lieu: diem_xa.csv", f"du_lieu: {table}")
    for stated in ("      dat_duoc_ghi: Điểm đạt được\n", "      quy_doi_ghi: Tổng điểm quy đổi\n",
                   "      xep_loai_ghi: Xếp loại\n"):
        text = text.replace(stated, "")
    spec.write_text(text, encoding="utf-8")
    target = folder / table
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return spec


def sheet_with_merges(path: Path, rows: list[list[object]], merges_xml: str) -> Path:
    """An .xlsx of ``rows`` whose sheet carries ``merges_xml`` as its <mergeCells> (written past openpyxl's checks)."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:B1")
    plain = path.with_suffix(".goc.xlsx")
    book.save(plain)

    def change(xml: bytes) -> bytes:
        changed, count = re.subn(rb"<mergeCells[^>]*>.*?</mergeCells>", merges_xml.encode(), xml, flags=re.S)
        assert count == 1
        return changed

    rewrite_zip(plain, path, {"xl/worksheets/sheet1.xml": change})
    plain.unlink()
    return path


TABLE = [["BẢNG ĐIỂM THÁNG 4"], ["Tên", "Điểm"], ["Xã A", 5], ["Xã B", 6]]


def _header_never_ends(tmp: Path) -> list[str]:
    row = ";".join(f"Tiêu đề {i}" for i in range(20))
    return ["validate", str(spec_reading(tmp, "diem.csv", "\n".join([row] * 50_000) + "\n")), "--json"]


def _header_never_ends_data(tmp: Path) -> list[str]:
    row = ";".join(f"chữ {i}" for i in range(20))
    path = tmp / "chu.csv"
    path.write_text("\n".join([row] * 50_000) + "\n", encoding="utf-8")
    return ["data", str(path), "--json", "--so-don-vi", "2"]


def _wide(tmp: Path) -> list[str]:
    path = tmp / "rong.csv"
    path.write_text(";".join(["x"] * 1_500) + "\n" + ";".join(["1"] * 1_500) + "\n", encoding="utf-8")
    return ["data", str(path), "--json"]


def _long(tmp: Path) -> list[str]:
    path = tmp / "dai.csv"
    path.write_text(HEADER + "\n" + (UNIT + "\n") * 60_000, encoding="utf-8")
    return ["data", str(path), "--json", "--so-don-vi", "1"]


def _only_groups(tmp: Path) -> list[str]:
    groups = "I UBND CÁC XÃ, THỊ TRẤN;;;;;;;;;;;\n" * 50_000
    return ["validate", str(spec_reading(tmp, "diem.csv", HEADER + "\n" + groups)), "--json"]


def _summary_flood(tmp: Path) -> list[str]:
    body = HEADER + "\n" + UNIT + "\n" + "Tổng cộng;-;-;3,7;29;9,7;0;4,9;9,8;5;5;6\n" * 20_000
    return ["audit", str(spec_reading(tmp, "diem.csv", body)), "--json"]


def _group_flood(tmp: Path) -> list[str]:
    lines = [HEADER]
    for i in range(8_000):
        lines += [f"I;Khối {i};;;;;;;;;;", f"UBND xã {i};-;-;3,7;29;9,7;0;4,9;9,8;5;5;5",
                  "Cộng;-;-;3,7;29;9,7;0;4,9;9,8;5;5;5"]
    return ["audit", str(spec_reading(tmp, "diem.csv", "\n".join(lines) + "\n")), "--json"]


def _overlap(tmp: Path) -> list[str]:
    path = sheet_with_merges(tmp / "chong.xlsx", TABLE,
                             '<mergeCells count="2"><mergeCell ref="A2:B2"/><mergeCell ref="B1:B3"/></mergeCells>')
    return ["data", str(path), "--json"]


def _past_the_sheet(tmp: Path) -> list[str]:
    path = sheet_with_merges(tmp / "qua.xlsx", TABLE, '<mergeCells count="1"><mergeCell ref="A1:XFE1"/></mergeCells>')
    return ["data", str(path), "--json"]


def _past_the_last_row(tmp: Path) -> list[str]:
    path = sheet_with_merges(tmp / "qua.xlsx", TABLE,
                             '<mergeCells count="1"><mergeCell ref="A1:B1048577"/></mergeCells>')
    return ["data", str(path), "--json"]


def _whole_sheet(tmp: Path) -> list[str]:
    path = sheet_with_merges(tmp / "ca_trang.xlsx", TABLE,
                             '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>')
    return ["data", str(path), "--json"]


def _many_merges(tmp: Path) -> list[str]:
    merges = "".join(f'<mergeCell ref="C{r}:D{r}"/>' for r in range(10, 3_010))
    path = sheet_with_merges(tmp / "nhieu.xlsx", TABLE, f'<mergeCells count="3000">{merges}</mergeCells>')
    return ["data", str(path), "--json", "--gioi-han", "so_o=1000"]


def _endless_merge_tag(tmp: Path) -> list[str]:
    filler = "".join(random.Random(14).choices(" \t\r\n", k=3_000_000))  # white space XML allows, not a zip bomb
    path = sheet_with_merges(tmp / "the_dai.xlsx", TABLE,
                             f'<mergeCells count="1"><mergeCell{filler}ref="A1:B1"/></mergeCells>')
    return ["data", str(path), "--json"]


def _yaml(tmp: Path) -> list[str]:
    path = tmp / "bang.yaml"
    path.write_text("- {Tên: Xã A, Điểm: 5}\n", encoding="utf-8")
    return ["data", str(path), "--json"]


def _fifo(tmp: Path) -> list[str]:
    return ["data", str(fifo(tmp / "ong.csv")), "--json"]


def _bomb(tmp: Path) -> list[str]:
    return ["data", str(xlsx_bomb(tmp / "bom.xlsx")), "--json"]


def _no_sheet(tmp: Path) -> list[str]:
    book = Workbook()
    book.active.title = "Tháng 4"
    book.save(tmp / "bang.xlsx")
    return ["data", str(tmp / "bang.xlsx"), "--sheet", "Thang 5", "--json"]


def _number_format_flood(tmp: Path) -> list[str]:
    """Score cells whose number format asks for 200.000 decimals, and a format of a million characters (the zip
    ratio limit is lifted: the formats compress a thousandfold, the reader is what is attacked)."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    for row in range(2, 502):
        sheet.append(UNIT.split(";")[:1] + [None] * 2 + [3.7, 29, 9.7, 0, 4.9, 9.8, 5, 5, 5])
        sheet.cell(row=row, column=1).value = f"UBND xã {row}"
        sheet.cell(row=row, column=4).number_format = "0." + "0" * 200_000
        sheet.cell(row=row, column=5).number_format = '"' + "x" * 1_000_000 + '"0.0'
    book.save(tmp / "diem.xlsx")
    spec = spec_reading(tmp, "diem.xlsx", (tmp / "diem.xlsx").read_bytes())
    return ["audit", str(spec), "--json", "--gioi-han", "ty_le_nen=100000"]


# name, builder, exit status, the code it must report (None: success)
CASES: list[tuple[str, Callable[[Path], list[str]], int, str | None]] = [
    ("a_header_that_never_ends_is_read_as_units_and_their_cells_refused", _header_never_ends, 4, "DATA_FORMAT"),
    ("a_text_table_of_fifty_thousand_rows_is_shown", _header_never_ends_data, 0, None),
    ("fifteen_hundred_columns_are_a_row_limit", _wide, 10, "LIMIT_ROWS"),
    ("sixty_thousand_rows_are_a_row_limit", _long, 10, "LIMIT_ROWS"),
    ("a_csv_whose_every_row_is_a_group_row_has_no_unit", _only_groups, 4, "DATA_FORMAT"),
    ("twenty_thousand_summary_rows_are_audited_in_one_pass", _summary_flood, 1, None),
    ("eight_thousand_groups_with_a_subtotal_each_are_audited_in_one_pass", _group_flood, 0, None),
    ("overlapping_merged_ranges_in_the_header_are_a_data_error", _overlap, 4, "DATA_FORMAT"),
    ("a_merged_range_past_the_last_column_is_a_data_error", _past_the_sheet, 4, "DATA_FORMAT"),
    ("a_merged_range_past_the_last_row_is_a_broken_sheet", _past_the_last_row, 4, "FILE_XML"),  # openpyxl says so
    ("a_merged_range_over_the_whole_sheet_is_clipped_to_the_table", _whole_sheet, 0, None),
    ("more_merged_ranges_than_so_o_are_a_row_limit", _many_merges, 10, "LIMIT_ROWS"),
    ("a_merge_tag_of_three_megabytes_is_skipped_in_bounded_memory", _endless_merge_tag, 0, None),
    ("vanban_data_on_a_yaml_table_says_it_has_no_header_to_find", _yaml, 4, "DATA_FORMAT"),
    ("vanban_data_on_a_fifo_is_refused_before_reading", _fifo, 9, "ACCESS_NOT_FILE"),
    ("vanban_data_on_a_zip_bomb_is_a_zip_limit", _bomb, 10, "LIMIT_ZIP"),
    ("vanban_data_on_a_missing_sheet_suggests_the_close_one", _no_sheet, 4, "DATA_FORMAT"),
    ("number_formats_of_huge_precision_or_length_read_as_showing_at_most_30_decimals", _number_format_flood, 0,
     None),
]


@pytest.mark.parametrize(("name", "build", "status", "code"), CASES, ids=[case[0] for case in CASES])
def test_a_hostile_table_gets_its_named_answer_within_the_deadline(
        name: str, build: Callable[[Path], list[str]], status: int, code: str | None, tmp_path: Path) -> None:
    argv = build(tmp_path)
    with deadline(TIMEOUT):
        result = CliRunner().invoke(main, argv, catch_exceptions=True)
    shown = f"{name}: exit {result.exit_code}\n{result.output[-3000:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    for mark in REPR_MARKS:
        assert mark not in result.output, shown
    assert result.exit_code == status, shown
    if code is not None:
        problems = json.loads(result.stdout)
        assert code in [p["code"] for p in problems], shown


def test_merged_ranges_past_the_header_do_not_change_how_the_header_reads(tmp_path: Path) -> None:
    from engine.data.readers import read_layout

    path = sheet_with_merges(tmp_path / "ca_trang.xlsx", TABLE,
                             '<mergeCells count="2"><mergeCell ref="A1:XFD1"/><mergeCell ref="A3:A4"/></mergeCells>')
    layout = read_layout(path)
    assert layout.header_rows == (2,) and [c.name for c in layout.columns] == ["Tên", "Điểm"]
    assert len(layout.units) == 2


def test_the_word_mergecell_inside_a_cell_is_not_a_merged_range(tmp_path: Path) -> None:
    from engine.data.readers import read_layout

    rows = [["<mergeCell ref=\"A2:B3\"/> mergeCell"], *TABLE[1:]]
    path = sheet_with_merges(tmp_path / "chu.xlsx", rows, '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')
    layout = read_layout(path)
    assert [c.name for c in layout.columns] == ["Tên", "Điểm"] and len(layout.units) == 2


def test_the_many_groups_case_audits_every_subtotal_against_its_own_group(tmp_path: Path) -> None:
    argv = _group_flood(tmp_path)
    text = (Path(argv[1]).parent / "diem.csv").read_text(encoding="utf-8").replace(
        "Cộng;-;-;3,7;29;9,7;0;4,9;9,8;5;5;5", "Cộng;-;-;3,7;29;9,7;0;4,9;9,8;5;5;6", 1)
    (Path(argv[1]).parent / "diem.csv").write_text(text, encoding="utf-8")
    with deadline(TIMEOUT):
        result = CliRunner().invoke(main, argv)
    findings = json.loads(result.stdout)
    assert result.exit_code == 1 and len(findings) == 1 and findings[0]["stated"] == "6"
