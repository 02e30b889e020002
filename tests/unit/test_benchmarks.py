"""The benchmark script runs and reports in the documented shape (speed itself is not tested here)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import bench_batch, bench_memory, bench_read, bench_render


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
