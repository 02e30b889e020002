"""Golden layout snapshots: a change to the code or a template that moves the layout fails here.

Each fixture's snapshot (engine.snapshot.as_text) is compared with tests/golden/layout/<case>.txt.
A difference writes the obtained snapshot beside the golden one (<case>.obtained.txt) and fails
with a diff whose lines name the paragraph. ``pytest --regen-golden`` rewrites the golden files
from the code; read the diff (git diff) by eye before committing them.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt

from engine import prepare
from engine.pipeline import render_prepared
from engine.render.layout import read_layout
from engine.snapshot import as_text, as_yaml, snapshot_diff
from tests.acceptance.samples import CASES, FEATURES
from tests.conftest import FIXTURES, GOLDEN

LAYOUT_GOLDEN = GOLDEN / "layout"
OBTAINED = ".obtained.txt"


def compare_with_golden(case: str, obtained: str, regen: bool) -> str:
    """"" when the snapshot matches its golden file, else the diff (the obtained file is written)."""
    golden = LAYOUT_GOLDEN / f"{case}.txt"
    beside = LAYOUT_GOLDEN / f"{case}{OBTAINED}"
    if regen:
        golden.write_text(obtained, encoding="utf-8")
        beside.unlink(missing_ok=True)
        return ""
    expected = golden.read_text(encoding="utf-8") if golden.exists() else ""
    diff = snapshot_diff(expected, obtained, expected_name=str(golden.relative_to(GOLDEN.parent.parent)),
                         obtained_name=str(beside.relative_to(GOLDEN.parent.parent)))
    if diff:
        beside.write_text(obtained, encoding="utf-8")
    else:
        beside.unlink(missing_ok=True)
    return diff


@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_the_layout_snapshot_matches_its_golden_file(case: str, rendered_fixtures: dict[str, bytes],
                                                     regen_golden: bool) -> None:
    diff = compare_with_golden(case, as_text(read_layout(rendered_fixtures[case])), regen_golden)
    if diff:
        pytest.fail(f"the layout of {case} changed (pytest --regen-golden accepts it):\n{diff}", pytrace=False)


def test_every_golden_snapshot_belongs_to_a_fixture() -> None:
    stale = sorted(p.name for p in LAYOUT_GOLDEN.glob("*.txt")
                   if not p.name.endswith(OBTAINED) and p.stem not in CASES and p.stem not in FEATURES)
    assert not stale, f"golden snapshots that no fixture produces (delete them): {stale}"


def test_a_font_size_changed_in_a_template_fails_with_a_diff_naming_the_paragraph(tmp_path: Path) -> None:
    prepared = prepare(FIXTURES / "tua_chua_2023_04" / "spec.yaml")
    template = Document(str(prepared.template_path))
    quoc_hieu = next(p for t in template.tables for c in t._cells for p in c.paragraphs
                     if p.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    quoc_hieu.runs[0].font.size = Pt(13)
    edited = tmp_path / "bao_cao.docx"
    template.save(str(edited))
    obtained = as_text(read_layout(render_prepared(dataclasses.replace(prepared, template_path=edited))))

    golden = (LAYOUT_GOLDEN / "tua_chua_2023_04.txt").read_text(encoding="utf-8")
    diff = snapshot_diff(golden, obtained)
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 2, diff
    assert all("¶3 bảng 1, ô 1.2" in line and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in changed)
    assert "Times New Roman 12 đậm" in changed[0] and "Times New Roman 13 đậm" in changed[1]


def test_styles_are_resolved_so_a_size_set_in_a_style_is_read_like_a_direct_one(tmp_path: Path) -> None:
    doc = Document()
    doc.styles["Normal"].font.size = Pt(13)
    doc.styles["Normal"].font.name = "Times New Roman"
    styled = doc.add_paragraph("cỡ chữ từ kiểu Normal")
    direct = doc.add_paragraph()
    direct.add_run("cỡ chữ đặt thẳng").font.size = Pt(11)
    heading = doc.add_heading("Tiêu đề", level=1)  # Heading 1 is based on Normal
    buffer = io.BytesIO()
    doc.save(buffer)
    layout = read_layout(buffer.getvalue())
    by_text = {p.text: p for p in layout.paragraphs}
    assert by_text[styled.text].runs[0].size == 13 and by_text[styled.text].runs[0].font == "Times New Roman"
    assert by_text["cỡ chữ đặt thẳng"].runs[0].size == 11
    assert by_text[heading.text].style.lower() == "heading 1" and by_text[heading.text].runs[0].bold


def test_the_yaml_snapshot_carries_the_same_paragraphs(rendered_fixtures: dict[str, bytes]) -> None:
    import yaml

    layout = read_layout(rendered_fixtures["tien_lu_2024_08"])
    data = yaml.safe_load(as_yaml(layout))
    texts = [b["text"] for b in data["blocks"] if b["kind"] == "paragraph"]
    assert texts == [p.text for p in layout.paragraphs]
    assert data["sections"][0]["orientation"] == "dọc"


def test_a_file_that_is_not_a_docx_is_a_clear_error(tmp_path: Path) -> None:
    from engine.errors import DocumentError

    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("word/other.xml", "<x/>")
    with pytest.raises(DocumentError) as caught:
        read_layout(broken.getvalue(), name="hỏng.docx")
    assert caught.value.problems[0].code == "DOCX_UNREADABLE"
    assert "hỏng.docx" in str(caught.value)


def test_the_snapshot_command_prints_the_outline_and_compares_with_a_saved_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    spec = str(FIXTURES / "luc_binh_2023_10" / "spec.yaml")
    printed = CliRunner().invoke(main, ["snapshot", spec])
    assert printed.exit_code == 0
    assert printed.output == (LAYOUT_GOLDEN / "luc_binh_2023_10.txt").read_text(encoding="utf-8")

    same = CliRunner().invoke(main, ["snapshot", spec, "--so-voi", str(LAYOUT_GOLDEN / "luc_binh_2023_10.txt")])
    assert same.exit_code == 0 and "giống hệt" in same.output
    other = CliRunner().invoke(main, ["snapshot", spec, "--so-voi", str(LAYOUT_GOLDEN / "son_la_2023_q1.txt")])
    assert other.exit_code == 1 and other.output.startswith("---")
    missing = CliRunner().invoke(main, ["snapshot", str(tmp_path / "khong_co.docx")])
    assert missing.exit_code == 8 and "DOCX_UNREADABLE" in missing.output
