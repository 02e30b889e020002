"""The exports of fixtures/xuat_he_thong load and score as they come, and `vanban data` explains each one."""

from __future__ import annotations

import csv
import difflib
import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.data.layout import BLANK, GROUP, NOTE, NUMBERING, SUMMARY, TITLE
from engine.data.readers import read_layout
from engine.render.outline import table_rows
from tests.conftest import FIXTURES, GOLDEN

EXPORTS = FIXTURES / "xuat_he_thong"
CASES = {  # folder: (table, sheet)
    "tua_chua_xlsx": ("diem_xa.xlsx", "Tháng 4"),
    "tua_chua_csv": ("diem_xa.csv", None),
    "tien_lu_xlsx": ("xep_hang.xlsx", "Tháng 8 năm 2024"),
    "tien_lu_csv": ("xep_hang.csv", None),
}
# What each table is read as: header rows, column-number row, blank spacer columns, the kind of every
# skipped row, group rows, unit rows.
LAYOUTS = {
    "tua_chua_xlsx": ((7, 8, 9), 10, ("A", "D"),
                      {1: TITLE, 2: TITLE, 3: BLANK, 4: TITLE, 5: TITLE, 6: BLANK, 10: NUMBERING, 11: GROUP,
                       24: SUMMARY, 25: BLANK, 26: NOTE, 27: BLANK, 28: NOTE, 29: NOTE, 30: BLANK, 31: BLANK, 32: NOTE},
                      [("I", "UBND CÁC XÃ, THỊ TRẤN")], range(12, 24)),
    "tua_chua_csv": ((7, 8, 9), 10, ("16",),
                     {1: TITLE, 2: TITLE, 3: BLANK, 4: TITLE, 5: TITLE, 6: BLANK, 10: NUMBERING, 11: GROUP,
                      24: SUMMARY, 25: BLANK, 26: NOTE},
                     [("I", "UBND CÁC XÃ, THỊ TRẤN")], range(12, 24)),
    "tien_lu_xlsx": ((7, 8), 9, (),
                     {1: TITLE, 2: TITLE, 3: BLANK, 4: TITLE, 5: TITLE, 6: BLANK, 9: NUMBERING, 25: SUMMARY,
                      26: BLANK, 27: NOTE},
                     [], range(10, 25)),
    "tien_lu_csv": ((3,), None, ("3",),
                    {1: TITLE, 2: BLANK, 4: GROUP, 6: GROUP, 21: SUMMARY, 22: BLANK, 23: NOTE},
                    [("I", "THỊ TRẤN"), ("II", "CÁC XÃ")], [5, *range(7, 21)]),
}
ORIGINAL = {"tua_chua_xlsx": "tua_chua_2023_04", "tua_chua_csv": "tua_chua_2023_04",
            "tien_lu_xlsx": "tien_lu_2024_08", "tien_lu_csv": "tien_lu_2024_08"}


def spec(case: str) -> Path:
    return EXPORTS / case / "spec.yaml"


def table(case: str) -> Path:
    return EXPORTS / case / CASES[case][0]


@pytest.fixture(scope="module")
def prepared() -> dict[str, pipeline.Prepared]:
    done = {case: pipeline.prepare(spec(case)) for case in CASES}
    return done | {name: pipeline.prepare(FIXTURES / name / "spec.yaml") for name in set(ORIGINAL.values())}


def test_the_exports_are_the_files_tao_tep_builds_from_the_samples_data() -> None:
    loader = importlib.util.spec_from_file_location("tao_tep", EXPORTS / "tao_tep.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    built = module.build()
    assert sorted(built) == sorted(f"{case}/{name}" for case, (name, _) in CASES.items())
    for name, data in built.items():
        assert (EXPORTS / name).read_bytes() == data, f"{name} differs: run fixtures/xuat_he_thong/tao_tep.py"


@pytest.mark.parametrize("case", CASES)
def test_each_export_is_read_with_its_header_numbering_spacers_skipped_rows_and_units(case: str) -> None:
    header, numbering, spacers, skipped, groups, units = LAYOUTS[case]
    layout = read_layout(table(case), sheet=CASES[case][1])
    assert layout.header_rows == header and layout.numbering_row == numbering
    assert layout.spacers == spacers
    kinds = {}
    for row in layout.skipped:
        for number in range(row.row, (row.until or row.row) + 1):
            kinds[number] = row.kind
    assert kinds == skipped
    assert [(g.label, g.name) for g in layout.groups] == groups
    assert [u.row for u in layout.units] == list(units)


@pytest.mark.parametrize("case", CASES)
def test_each_export_scores_exactly_like_the_samples_own_fixture(case: str, prepared) -> None:
    mine, theirs = prepared[case].scored, prepared[ORIGINAL[case]].scored
    [(_, scored)] = mine.items()
    [(_, original)] = theirs.items()

    def figures(result):
        return {u.unit: (u.earned.value, u.converted.value, u.band.ten, u.rank, u.change and u.change.value)
                for u in result.units}

    assert figures(scored.result) == figures(original.result)
    assert scored.view["theo_ten"].keys() == original.view["theo_ten"].keys()


def test_the_audit_finds_the_one_wrong_mean_and_no_other_figure(prepared) -> None:
    assert [case for case in CASES if prepared[case].findings] == ["tua_chua_xlsx"]
    [finding] = prepared["tua_chua_xlsx"].findings
    assert (finding.level, finding.stated, finding.computed) == ("error", "6,64", "6,54")
    assert finding.location.line == 24 and finding.location.field.startswith("'Tháng 4'!L24")


def test_the_phu_luc_of_the_tua_chua_exports_prints_the_datas_group_row(prepared) -> None:
    for case in ("tua_chua_xlsx", "tua_chua_csv"):
        rows = table_rows(pipeline.render_prepared(prepared[case]))[-1]
        assert rows[4][:2] == ["I", "UBND CÁC XÃ, THỊ TRẤN"]
        assert [row[1] for row in rows[5:]] == [u.unit for u in prepared[case].scored["kq"].result.ranked()]


def test_the_group_rows_of_the_tien_lu_csv_give_each_unit_its_group(prepared) -> None:
    view = prepared["tien_lu_csv"].scored["xh"].view
    assert [(g["so"], g["ten"], len(g["don_vi"])) for g in view["nhom_dong"]] == [("I", "THỊ TRẤN", 1),
                                                                                 ("II", "CÁC XÃ", 14)]
    assert view["theo_ten"]["UBND TT Vương"]["nhom_dong"] == "THỊ TRẤN"


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("case", CASES)
def test_vanban_data_explains_each_export_as_its_golden_file(case: str, regen_golden: bool) -> None:
    sheet = CASES[case][1]
    result = run("data", table(case).relative_to(FIXTURES.parent), *(["--sheet", sheet] if sheet else []))
    assert result.exit_code == 0, result.output
    golden = GOLDEN / "xuat_he_thong" / f"{case}.txt"
    if regen_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(result.output, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run pytest --regen-golden and check it by eye"
    expected = golden.read_text(encoding="utf-8")
    assert result.output == expected, "\n".join(difflib.unified_diff(expected.splitlines(), result.output.splitlines(),
                                                                     "golden", "vanban data", lineterm=""))


def test_vanban_data_json_is_the_layout_as_plain_data() -> None:
    result = run("data", table("tua_chua_xlsx"), "--sheet", "Tháng 4", "--json", "--so-don-vi", "2")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown == json.loads(json.dumps(read_layout(table("tua_chua_xlsx"), sheet="Tháng 4").as_dict(2)))
    assert shown["so_don_vi"] == 12 and len(shown["don_vi"]) == 2
    assert shown["cot"][2]["duong_dan"] == ["ĐIỂM CÁC CHỈ SỐ", "Nhóm công khai, minh bạch", "Chỉ số 1"]
    assert shown["cot"][2]["nhan"] == "(3)" and shown["cot"][2]["cot"] == "E"


@pytest.mark.parametrize("case", CASES)
def test_validate_audit_and_render_run_on_each_export_with_no_hand_editing(case: str, tmp_path: Path) -> None:
    assert run("validate", spec(case)).exit_code == 0
    audit = run("audit", spec(case))
    assert audit.exit_code == (1 if case == "tua_chua_xlsx" else 0), audit.output
    out = tmp_path / "van_ban.docx"
    result = run("render", spec(case), "-o", out)
    assert result.exit_code == 0 and out.exists(), result.output


def test_without_trang_tinh_the_first_sheet_is_read_and_the_error_names_it(tmp_path: Path) -> None:
    text = spec("tua_chua_xlsx").read_text(encoding="utf-8").replace("    trang_tinh: Tháng 4\n", "")
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "diem_xa.xlsx").write_bytes(table("tua_chua_xlsx").read_bytes())
    result = run("validate", tmp_path / "spec.yaml", "--json")
    assert result.exit_code == 4
    problems = json.loads(result.output)
    missing = [p for p in problems if "không có cột" in p["message"]]
    assert missing and all("trang tính 'Hướng dẫn'" in p["message"] for p in missing)


def test_the_proposed_cot_of_vanban_data_scores_the_export_like_its_own_spec(tmp_path: Path) -> None:
    result = run("data", table("tua_chua_xlsx"), "--sheet", "Tháng 4", "--bo-tieu-chi", "dien_bien_459_2023", "--json")
    assert result.exit_code == 0, result.output
    proposal = json.loads(result.output)["goi_y_cot"]
    assert proposal["cong_khai_1"] == "Nhóm công khai, minh bạch / Chỉ số 1"
    assert proposal["quy_doi_ghi"] == "TỔNG ĐIỂM QUY ĐỔI" and proposal["tong"] is None
    data = yaml.safe_load(spec("tua_chua_xlsx").read_text(encoding="utf-8"))
    data["cham_diem"]["kq"]["cot"] = {field: name for field, name in proposal.items() if name is not None}
    (tmp_path / "diem_xa.xlsx").write_bytes(table("tua_chua_xlsx").read_bytes())
    proposed = pipeline.prepare(data, base_dir=tmp_path).scored["kq"].result
    own = pipeline.prepare(spec("tua_chua_xlsx")).scored["kq"].result
    assert [(u.unit, u.converted, u.band.ten) for u in proposed.units] == [
        (u.unit, u.converted, u.band.ten) for u in own.units]


def test_the_proposal_is_printed_as_yaml_a_spec_can_take_and_refused_for_a_framework_without_indices() -> None:
    text = run("data", table("tien_lu_csv"), "--bo-tieu-chi", "qd766").output
    assert 'cot:\n  don_vi: "Tên cơ quan, đơn vị"\n  tong: "Điểm tổng hợp"\n  ky_truoc: "Điểm tháng trước"' in text
    assert '  "2.1": "Tiến độ giải quyết hồ sơ"' in text  # quoted: a YAML key 2.1 would be a number
    refused = run("data", table("tien_lu_csv"), "--bo-tieu-chi", "mot_cua_nd61")
    assert refused.exit_code == 3 and "không phải bộ chỉ số" in refused.output


def test_a_rendered_phu_luc_written_out_as_csv_as_the_document_shows_it_reads_back_with_the_same_scores(
        tmp_path: Path, prepared) -> None:
    docx = pipeline.render_prepared(prepared["tua_chua_2023_04"])
    grid = table_rows(docx)[-1]  # merged cells come out empty, as a CSV of the table would have them
    with (tmp_path / "phu_luc.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(grid)
    data = yaml.safe_load(spec("tua_chua_csv").read_text(encoding="utf-8"))
    data["cham_diem"]["kq"]["du_lieu"] = "phu_luc.csv"
    read_back = pipeline.prepare(data, base_dir=tmp_path)
    assert read_back.findings == ()  # the stated earned, converted and class columns agree with the scores
    assert [(g.label, g.name, len(g.units)) for g in read_back.scored["kq"].groups] == [
        ("I", "UBND CÁC XÃ, THỊ TRẤN", 12)]
    original = prepared["tua_chua_2023_04"].scored["kq"].result
    assert {u.unit: (u.converted, u.rank) for u in read_back.scored["kq"].result.units} == {
        u.unit: (u.converted, u.rank) for u in original.units}
