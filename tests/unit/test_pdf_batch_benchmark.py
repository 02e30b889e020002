"""The PDF batch benchmark runs and reports in the documented shape (speed itself is not tested here)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def benchmark_round(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One small round of the benchmark with two workers (one run serves every test here)."""
    from benchmarks.pdf_batch import run
    from engine.convert import pdf_available

    if not pdf_available():
        pytest.skip("needs LibreOffice with python3-uno (.ci/run installs them)")
    folder: Path = tmp_path_factory.mktemp("pdf-batch")
    return run(documents=4, baseline_documents=2, rounds=1, workers=2, folder=folder)


def test_the_pdf_batch_benchmark_holds_the_batch_to_workers_times_one_lone_converter(benchmark_round: dict) -> None:
    [round_] = benchmark_round["each_round"]
    assert round_["batch"]["documents"] == 4 and round_["baseline"]["documents"] == 2
    rate = round_["batch"]["documents_per_second"] / (2 * round_["baseline"]["documents_per_second"])
    assert round_["ratio"] == pytest.approx(rate, abs=0.001)
    assert benchmark_round["ratio"][0] <= benchmark_round["ratio"][1] <= benchmark_round["ratio"][2]


def test_the_pdf_batch_benchmark_also_shows_what_the_machine_gives_for_converters_side_by_side(
        benchmark_round: dict) -> None:
    [round_] = benchmark_round["each_round"]
    together, alone, whole = round_["at_once"], round_["baseline"], round_["batch"]
    assert together["converters"] == 2 and together["documents"] == 4
    assert round_["machine_scaling"] == pytest.approx(
        together["documents_per_second"] / (2 * alone["documents_per_second"]), abs=0.001)
    assert round_["ratio_to_at_once"] == pytest.approx(
        whole["documents_per_second"] / together["documents_per_second"], abs=0.001)
    for phase in ("baseline", "at_once", "batch"):
        assert 0 <= round_[phase]["steal"] <= 1


def test_the_pdf_batch_benchmark_times_its_lone_converter_half_before_and_half_after_the_batch(
        benchmark_round: dict) -> None:
    [round_] = benchmark_round["each_round"]
    alone = round_["baseline"]
    assert len(alone["parts_per_second"]) == 2  # one document before the batch, one after
    # The rate is every part's documents over every part's seconds, not the mean of the two rates.
    assert alone["documents_per_second"] == pytest.approx(alone["documents"] / alone["seconds"], rel=0.01)
    slowest, fastest = min(alone["parts_per_second"]), max(alone["parts_per_second"])
    assert slowest * 0.99 <= alone["documents_per_second"] <= fastest * 1.01


def test_the_pdf_batch_benchmark_gives_the_batch_rate_between_ten_and_ninety_percent_done() -> None:
    from benchmarks.pdf_batch import steady_rate

    # 100 units reported in chunks: 10 done at 3 s (the start was slow), 90 at 7 s, 100 at 9 s.
    marks = [(2.0, 5), (3.0, 10), (5.0, 50), (7.0, 90), (9.0, 100)]
    assert steady_rate(marks, 100) == pytest.approx(80 / 4)
    assert steady_rate([(1.0, 100)], 100) is None  # one report: no span to time
    assert steady_rate([], 100) is None


def test_the_pdf_batch_benchmark_reports_its_batch_without_the_start_and_end(benchmark_round: dict) -> None:
    [round_] = benchmark_round["each_round"]
    whole = round_["batch"]
    assert 0 < whole["first_results_seconds"] <= whole["seconds"]
    assert whole["steady_per_second"] is not None and whole["steady_per_second"] > 0
    assert round_["steady_ratio"] == pytest.approx(
        whole["steady_per_second"] / (2 * round_["baseline"]["documents_per_second"]), abs=0.001)
