"""Every fixture renders through the CLI; its text matches its golden file and its sample."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.render.outline import document_text
from tests.acceptance.samples import (
    CASES,
    FEATURES,
    SAMPLE_COPY,
    read_audit_table,
    read_deviations,
    sample_lines,
    unmatched_lines,
)
from tests.conftest import FIXTURES, GOLDEN, SEEDS


class _RenderedThroughCli(dict):
    """Each fixture rendered once per test session through the real CLI."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def __missing__(self, case: str) -> bytes:
        target = self.folder / f"{case}.docx"
        run = CliRunner().invoke(main, ["render", str(FIXTURES / case / "spec.yaml"), "-o", str(target)])
        assert run.exit_code == 0, f"{case}: {run.output}"
        self[case] = target.read_bytes()
        return self[case]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _RenderedThroughCli(tmp_path_factory.mktemp("rendered"))


@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_fixture_text_matches_its_golden_file(case: str, rendered: dict[str, bytes], regen_golden: bool) -> None:
    text = document_text(rendered[case])
    golden = GOLDEN / f"{case}.txt"
    if regen_golden:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden}; run pytest --regen-golden and check it by eye"
    expected = golden.read_text(encoding="utf-8")
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), text.splitlines(), "golden", "rendered", lineterm=""))
    assert text == expected, diff


@pytest.mark.parametrize("case", CASES)
def test_the_whole_fixture_text_matches_its_sample_except_listed_deviations(case: str,
                                                                         rendered: dict[str, bytes]) -> None:
    sample = sample_lines(FIXTURES / case / SAMPLE_COPY)
    deviations = read_deviations(FIXTURES / case / "README.md")
    missing, used = unmatched_lines(sample, document_text(rendered[case]), deviations)
    assert not missing, "sample lines not in the rendered text (in order):\n  " + "\n  ".join(missing)
    stale = [d.sample for i, d in enumerate(deviations) if i not in used]
    assert not stale, f"deviations listed in README.md that no sample line needs: {stale}"


@pytest.mark.parametrize("case", CASES)
def test_the_audit_reports_exactly_the_wrong_figures_the_readme_lists(case: str) -> None:
    from engine import pipeline

    findings = pipeline.audit(FIXTURES / case / "spec.yaml")
    found = sorted((f.level, f.stated or "", f.computed or "") for f in findings)
    listed = sorted((row.level, row.stated, row.computed) for row in read_audit_table(FIXTURES / case / "README.md"))
    assert found == listed, "\n".join(str(f) for f in findings)


def test_every_fixture_folder_is_an_acceptance_case() -> None:
    """A folder with a spec reproduces a sample, or shows a feature (samples.FEATURES: a layout golden of its own), or
    is a batch (its units in don_vi.csv, tested by test_batch), or a province's own template (mau_tinh.docx, tested
    by tests/word/test_province)."""
    folders = {p.name for p in FIXTURES.iterdir() if (p / "spec.yaml").exists() and not (p / "don_vi.csv").exists()
               and not (p / "mau_tinh.docx").exists()}
    assert folders == set(CASES) | set(FEATURES)


def test_rendering_twice_gives_identical_bytes(tmp_path: Path) -> None:
    from engine import render

    spec = FIXTURES / "tua_chua_2023_04" / "spec.yaml"
    assert render(spec) == render(spec)


@pytest.mark.parametrize("case", CASES)
def test_the_fixture_keeps_an_exact_copy_of_its_seed(case: str) -> None:
    seed = SEEDS / CASES[case]
    if not seed.exists():
        pytest.skip("shared/seeds is not beside this clone; the copy in the fixture is used as is")
    assert (FIXTURES / case / SAMPLE_COPY).read_bytes() == seed.read_bytes()
