"""One in-process service per test module (one render worker, one converter when LibreOffice is here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.convert import pdf_available
from engine.service.config import ServiceConfig
from tests.service.harness import InProcessService, running

PDF = pdf_available()
needs_pdf = pytest.mark.skipif(not PDF, reason="LibreOffice with python3-uno is not installed")


@pytest.fixture(scope="module")
def service() -> Iterator[InProcessService]:
    with running(ServiceConfig(workers=1, pdf_converters=1 if PDF else 0)) as started:
        yield started


def fixture_upload(folder: Path) -> list[tuple[str, tuple[str, bytes]]]:
    """A fixture folder as a multipart upload: its spec as 'spec', every data file it has as 'files'."""
    files = [("spec", ("spec.yaml", (folder / "spec.yaml").read_bytes()))]
    for path in sorted(folder.iterdir()):
        if path.suffix in (".yaml", ".csv", ".xlsx", ".png") and path.name != "spec.yaml":
            files.append(("files", (path.name, path.read_bytes())))
    return files

