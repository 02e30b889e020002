"""The clerk's month, end to end: last month's document → next month's spec → the system's export dropped in."""

from __future__ import annotations

import shutil

import yaml
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.render.layout import read_layout
from tests.recover.test_round_trip import FIXTURES

EXPORT = FIXTURES / "xuat_he_thong" / "tua_chua_xlsx" / "diem_xa.xlsx"


def test_last_months_document_and_this_months_export_make_this_months_report(tmp_path):
    april = tmp_path / "bao_cao_thang_4.docx"
    april.write_bytes(pipeline.render(FIXTURES / "tua_chua_2023_04" / "spec.yaml"))
    folder = tmp_path / "thang_5"
    folder.mkdir()
    runner = CliRunner()
    made = runner.invoke(main, ["init", "--from", str(april), "-o", str(folder / "spec.yaml"),
                                "--ky", "tháng 5 năm 2023"])
    assert made.exit_code == 0, made.output
    assert "phu_luc_1.csv" in made.output  # the note says which file still holds April's figures

    # The clerk points the scoring at the province's export as it comes (its sheet chosen by name), and
    # edits nothing else: the export's header paths are those the recovered cot: names.
    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    scoring = spec["cham_diem"]["kq"]
    shutil.copy(EXPORT, folder / "diem_xa.xlsx")
    text = (folder / "spec.yaml").read_text(encoding="utf-8").replace(
        f"du_lieu: {scoring['du_lieu']}", "du_lieu: diem_xa.xlsx\n    trang_tinh: Tháng 4")
    (folder / "spec.yaml").write_text(text, encoding="utf-8")

    assert runner.invoke(main, ["validate", str(folder / "spec.yaml")]).exit_code == 0
    audited = runner.invoke(main, ["audit", "--json", str(folder / "spec.yaml")])
    findings = yaml.safe_load(audited.output)
    # The export's one wrong figure (its "Trung bình" of Số hóa 2 says 6,64; the units give 6,54) is found.
    assert [(f["stated"], f["computed"]) for f in findings] == [("6,64", "6,54")]
    lines = [p.text for p in read_layout(pipeline.render(folder / "spec.yaml")).paragraphs]
    assert any(line.endswith("huyện Tủa Chùa tháng 5 năm 2023") for line in lines)
    assert any("12/12 đơn vị, trong đó 01 đơn vị xếp loại Tốt, 09 đơn vị xếp loại Khá" in line for line in lines)
    assert any(line == "UBND xã Mường Đùn" for line in lines)  # the phụ lục's table, from the export
