"""Round trips through LibreOffice: a document (and a template) opened and saved by LibreOffice still passes check."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from engine import pipeline
from engine.conformance import check_document
from engine.convert.converter import find_soffice
from engine.service.models import EXAMPLE_SPEC
from tests.conftest import FIXTURES, ROOT

SOFFICE = find_soffice()
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
CASES = ["tua_chua_2023_04", "son_la_2023_q1", "tien_lu_2024_08", "luc_binh_2023_10", "dien_bien_2021_q2"]


def _saved_by_libreoffice(files: list[Path], folder: Path) -> list[Path]:
    """Each file opened and saved again as Word 2007 XML by LibreOffice, in ``folder``."""
    out = folder / "libreoffice"
    subprocess.run([SOFFICE, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=240)
    return [out / file.name for file in files]


def test_rendered_documents_saved_by_libreoffice_pass_check(tmp_path):
    rendered = []
    for case in CASES:
        path = tmp_path / f"{case}.docx"
        path.write_bytes(pipeline.render(FIXTURES / case / "spec.yaml"))
        rendered.append(path)
    for original, saved in zip(rendered, _saved_by_libreoffice(rendered, tmp_path), strict=True):
        assert check_document(original.read_bytes()) == []
        # LibreOffice writes a table's borders on each of its cells: still a table with lines, still landscape
        # only where there is a table.
        assert [str(finding) for finding in check_document(saved.read_bytes(), name=saved.name)] == [], saved.name


def test_a_template_saved_by_libreoffice_renders_a_document_that_passes_check(tmp_path):
    template = tmp_path / "bao_cao.docx"
    template.write_bytes((ROOT / "templates" / "bao_cao" / "bao_cao.docx").read_bytes())
    [saved] = _saved_by_libreoffice([template], tmp_path)
    spec = {**EXAMPLE_SPEC, "loai": "bao_cao",
            "mau": f"libreoffice/{saved.name}"}
    document = pipeline.render(spec, base_dir=tmp_path)
    assert check_document(document) == []
