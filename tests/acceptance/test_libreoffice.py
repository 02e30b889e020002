"""LibreOffice opens every rendered fixture; the Quốc hiệu, Tiêu ngữ and date stay on one line.

This is the check that the header table's grid widths are right: LibreOffice lays a table
out by its grid, so a grid that is too narrow wraps "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".
It also checks page numbering: none on page 1, "2" at the top of page 2.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import render
from tests.acceptance.samples import CASES
from tests.conftest import FIXTURES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = pytest.mark.skipif(
    not (SOFFICE and PDFTOTEXT),
    reason="needs LibreOffice and pdftotext: apt-get install libreoffice-writer-nogui poppler-utils "
    "(.ci/run installs them)",
)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdf")
    docs = []
    for case in CASES:
        path = folder / f"{case}.docx"
        path.write_bytes(render(FIXTURES / case / "spec.yaml"))
        docs.append(str(path))
    profile = (folder / "lo-profile").as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *docs], check=True, capture_output=True, timeout=300)
    return {case: folder / f"{case}.pdf" for case in CASES}


def page_text(pdf: Path, page: int) -> str:
    done = subprocess.run([PDFTOTEXT, "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


@pytest.mark.parametrize("case", CASES)
def test_quoc_hieu_tieu_ngu_and_date_each_sit_on_one_line_in_libreoffice(case: str, pdfs: dict[str, Path]) -> None:
    lines = page_text(pdfs[case], 1).splitlines()
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in lines)
    assert any("Độc lập - Tự do - Hạnh phúc" in line for line in lines)
    assert any(re.search(r", ngày\s.*\bnăm \d{4}", line) for line in lines), "the date line wrapped"


@pytest.mark.parametrize("case", CASES)
def test_page_one_has_no_number_and_page_two_starts_with_2(case: str, pdfs: dict[str, Path]) -> None:
    first = [line.strip() for line in page_text(pdfs[case], 1).splitlines() if line.strip()]
    assert first[0] != "1"
    second = [line.strip() for line in page_text(pdfs[case], 2).splitlines() if line.strip()]
    assert second and second[0] == "2"
