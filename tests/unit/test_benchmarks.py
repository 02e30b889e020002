"""The benchmark script runs and reports in the documented shape (speed itself is not tested here)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from docx import Document

from benchmarks.run import bench_batch, bench_memory, bench_read, bench_render
from benchmarks.template import COLUMNS, build_carbone_twin, build_template


def test_the_render_benchmark_compares_both_paths_on_the_same_template(tmp_path: Path) -> None:
    [result] = bench_render(tmp_path, {15: 1})
    assert set(result) == {"rows", "baseline_ms", "engine_ms", "ratio"} and result["rows"] == 15
    assert result["baseline_ms"] > 0 and result["engine_ms"] > 0


def test_the_batch_and_memory_benchmarks_report_their_figures(tmp_path: Path) -> None:
    batch = bench_batch(tmp_path, 8)
    assert batch["documents"] == 8 and batch["documents_per_second"] > 0
    assert bench_memory(tmp_path, 10)["peak_rss_mb"] > 0


def test_the_read_benchmark_reads_a_plain_table_and_two_exports_of_the_same_units(tmp_path: Path) -> None:
    result = bench_read(tmp_path, {20: 1, 40: 1})
    assert result["rows"] == [20, 40] and set(result["ratio"]) == {"csv", "csv_export", "xlsx_export"}
    assert all(result[kind][40] > 0 for kind in ("csv", "csv_export", "xlsx_export"))


def _texts(path: Path) -> list[str]:
    xml = zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")
    return re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)


def test_the_carbone_twin_is_the_same_document_with_the_tags_translated(tmp_path: Path) -> None:
    ours = build_template(tmp_path / "bang.docx")
    twin = build_carbone_twin(ours, tmp_path / "bang_carbone.docx")
    texts = _texts(twin)
    assert texts[:3] == ["Phụ lục", "{d.tieu_de}", "(Kèm theo {d.kem_theo})"]
    # The loop row, then the row Carbone reads as the step (i+1); the for/endfor rows are gone.
    assert texts[12:30] == [f"{{d.rows[i].{c}}}" for c in COLUMNS] + [f"{{d.rows[i+1].{c}}}" for c in COLUMNS]
    assert texts[-1] == "Tổng số đơn vị: {d.rows:len()}."
    assert not any("{{" in t or "{%" in t for t in texts)
    assert len(Document(twin).tables[0].rows) == len(Document(ours).tables[0].rows) - 1


def test_the_carbone_twin_refuses_a_tag_it_does_not_know(tmp_path: Path) -> None:
    path = build_template(tmp_path / "bang.docx")
    document = Document(path)
    document.add_paragraph("{{ tieu_de | upper }}")
    document.save(path)
    with pytest.raises(ValueError, match="does not know the tag"):
        build_carbone_twin(path, tmp_path / "bang_carbone.docx")
