"""Last month's document as the start: each fixture's document → recovered spec → rendered again gives the same text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine import pipeline
from engine.audit import ERROR
from engine.recover import recover
from engine.render.layout import read_layout
from engine.vn.periods import parse_period

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SAMPLES = ["tua_chua_2023_04", "dien_bien_2021_q2", "luc_binh_2023_10", "son_la_2023_q1", "tien_lu_2024_08"]


def texts(docx: bytes) -> list[str]:
    """Every paragraph's text in reading order: header, body, table cells, headers and footers of each section."""
    layout = read_layout(docx)
    out = [p.text for p in layout.paragraphs]
    for section in layout.sections:
        for paragraphs in (*section.headers.values(), *section.footers.values()):
            out.extend(p.text for p in paragraphs)
    return [" ".join(text.split()) for text in out if text.strip()]


def write(recovery, folder: Path, source: str) -> Path:
    for name, data in recovery.files.items():
        (folder / name).write_bytes(data)
    spec = folder / "spec.yaml"
    spec.write_text(recovery.yaml(source=source), encoding="utf-8")
    return spec


@pytest.fixture(scope="module")
def originals() -> dict[str, bytes]:
    return {name: pipeline.render(FIXTURES / name / "spec.yaml") for name in SAMPLES}


@pytest.mark.parametrize("name", SAMPLES)
def test_a_fixture_document_comes_back_as_a_spec_that_renders_the_same_text(name, originals, tmp_path):
    recovery = recover(originals[name], name=f"{name}.docx")
    spec = write(recovery, tmp_path, f"{name}.docx")
    again = pipeline.render(spec)
    assert texts(again) == texts(originals[name])


@pytest.mark.parametrize("name", SAMPLES)
def test_the_recovered_spec_names_the_period_of_the_fixture_once(name, originals):
    recovery = recover(originals[name], name=name)
    original = yaml.safe_load((FIXTURES / name / "spec.yaml").read_text(encoding="utf-8"))["ky"]
    expected = original if isinstance(original, str) else original["ten"]
    assert str(recovery.period) == str(parse_period(expected))
    assert recovery.spec["ky"] == original


@pytest.mark.parametrize("name", SAMPLES)
def test_the_recovered_figures_agree_with_themselves(name, originals, tmp_path):
    """Our own document states only figures the engine computed: its recovered spec audits clean."""
    recovery = recover(originals[name], name=name)
    findings = pipeline.audit(write(recovery, tmp_path, name))
    assert [f for f in findings if f.level == ERROR] == []


def test_numbers_of_the_body_that_are_table_figures_become_their_expressions(originals):
    spec = recover(originals["tua_chua_2023_04"], name="tc").yaml()
    # "12/12 đơn vị": the units scored are the table's; the units due (after "/") are not a table figure.
    assert "{{ kq.so_don_vi }}/12 đơn vị" in spec
    assert '{{ kq.dem_xep_loai["Tốt"] | hai_so }} đơn vị xếp loại Tốt' in spec
    assert '{{ kq.dem_xep_loai["Trung bình"] | hai_so }} đơn vị xếp loại' in spec


def test_a_unit_figure_is_taken_only_where_the_text_names_that_unit(originals):
    spec = recover(originals["tien_lu_2024_08"], name="tl").yaml()
    assert '{{ kq.theo_ten["UBND xã Cương Chính"].them.tien_do_giai | phan_tram }}' in " ".join(spec.split())
    # "Đức Thắng: 13" equals Thiện Phiến's rank, but names Đức Thắng: it stays text.
    assert "Thắng: 13;" in " ".join(spec.split())


def test_a_recovered_spec_moved_to_the_next_month_renders_the_next_month(originals, tmp_path):
    recovery = recover(originals["tua_chua_2023_04"], name="tc", period=parse_period("tháng 5 năm 2023"))
    assert recovery.spec["ky"] == "tháng 5 năm 2023" and recovery.spec["so"] is None
    assert any("phu_luc_1.csv" in note and "tháng 4 năm 2023" in note for note in recovery.notes)
    lines = texts(pipeline.render(write(recovery, tmp_path, "tc")))
    assert any(line.endswith("huyện Tủa Chùa tháng 5 năm 2023") for line in lines)  # the trích yếu
    assert any(line.endswith("THÁNG 5 NĂM 2023") for line in lines)  # the phụ lục title
    assert not any("tháng 4 năm 2023" in line.lower() for line in lines)
