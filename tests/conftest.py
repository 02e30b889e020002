"""Shared pytest options: ``--regen-golden`` rewrites golden files from the code's output."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
GOLDEN = ROOT / "tests" / "golden"
SEEDS = ROOT.parent / "shared" / "seeds"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite tests/golden/* from the current output (check them by eye after)")


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


class _Rendered(dict):
    """Each fixture's .docx, rendered once per test session on first use."""

    def __missing__(self, case: str) -> bytes:
        from engine import render

        self[case] = render(FIXTURES / case / "spec.yaml")
        return self[case]


@pytest.fixture(scope="session")
def rendered_fixtures() -> dict[str, bytes]:
    return _Rendered()


@pytest.fixture(scope="session")
def fixture_pdfs(rendered_fixtures: dict[str, bytes]):
    """Each fixture converted to PDF by the engine (one warm LibreOffice for the session)."""
    from engine.convert import PdfConverter, pdf_available
    from engine.pipeline import docx_to_pdf

    if not pdf_available():
        pytest.skip("needs LibreOffice with python3-uno: apt-get install libreoffice-writer-nogui python3-uno "
                    "poppler-utils (.ci/run installs them)")
    converter = PdfConverter()

    class Pdfs(dict):
        def __missing__(self, case: str):
            self[case] = docx_to_pdf(rendered_fixtures[case], converter=converter, source=case)
            return self[case]

    yield Pdfs()
    converter.close()
