"""Every fixture renders to PDF through the engine; the PDF keeps the Nghị định 30 page layout.

This is where the header table's grid widths are proved right: LibreOffice lays a table out by
its grid, so a grid that is too narrow wraps "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM". It also
checks page numbering (none on page 1, "2" at the top of page 2) with pdftotext, as a reader
outside the project would, and each page's size and orientation with pypdf.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.convert import read_pdf
from engine.render.layout import read_layout
from tests.acceptance.samples import CASES, FEATURES
from tests.conftest import FIXTURES

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(not PDFTOTEXT, reason="needs pdftotext: apt-get install poppler-utils "
                                     "(.ci/run installs it)")


def page_text(pdf: bytes, page: int, folder: Path) -> str:
    path = folder / "doc.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([PDFTOTEXT, "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


@needs_pdftotext
@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_quoc_hieu_tieu_ngu_and_date_each_sit_on_one_line(case: str, fixture_pdfs, tmp_path: Path) -> None:
    lines = page_text(fixture_pdfs[case].pdf, 1, tmp_path).splitlines()
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in lines)
    assert any("Độc lập - Tự do - Hạnh phúc" in line for line in lines)
    assert any(re.search(r", ngày\s.*\bnăm \d{4}", line) for line in lines), "the date line wrapped"


@needs_pdftotext
@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_page_one_has_no_number_and_page_two_starts_with_2(case: str, fixture_pdfs, tmp_path: Path) -> None:
    pdf = fixture_pdfs[case].pdf
    first = [line.strip() for line in page_text(pdf, 1, tmp_path).splitlines() if line.strip()]
    assert first[0] != "1" and not first[0].isdigit()
    second = [line.strip() for line in page_text(pdf, 2, tmp_path).splitlines() if line.strip()]
    # After a one-page text, page 2 is a phụ lục's first page: numbered on its own, its number not shown, so
    # the page begins with the label.
    assert second and (second[0] == "2" or second[0].startswith("Phụ lục"))


@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_every_page_is_a4_and_turned_like_its_section(case: str, fixture_pdfs,
                                                      rendered_fixtures: dict[str, bytes]) -> None:
    info = read_pdf(fixture_pdfs[case].pdf)
    sections = read_layout(rendered_fixtures[case]).sections
    assert all(page.is_a4 for page in info.pages)
    assert not info.pages[0].landscape
    # The main text is portrait; each phụ lục section after it is landscape exactly when its template is.
    assert any(p.landscape for p in info.pages) == any(s.orientation == "ngang" for s in sections)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in " ".join(info.text.split())


def test_the_font_that_stands_in_for_times_new_roman_is_named(fixture_pdfs) -> None:
    result = fixture_pdfs["tua_chua_2023_04"]
    fonts = read_pdf(result.pdf).fonts
    if any("TimesNewRoman" in f.replace(" ", "") for f in fonts):
        assert result.notices == ()
    else:
        assert any("Times New Roman" in n and "Liberation Serif" in n for n in result.notices), result.notices


def test_render_writes_the_docx_and_the_pdf_at_once(fixture_pdfs, tmp_path: Path) -> None:
    docx, pdf = tmp_path / "bc.docx", tmp_path / "bc.pdf"
    run = CliRunner().invoke(main, ["render", str(FIXTURES / "son_la_2023_q1" / "spec.yaml"),
                                    "-o", str(docx), "-o", str(pdf)])
    assert run.exit_code == 0, run.output
    assert docx.read_bytes()[:2] == b"PK" and pdf.read_bytes()[:5] == b"%PDF-"
    assert read_pdf(pdf.read_bytes()).page_count >= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc.docx", "bc.pdf"]  # no temporary file left


def test_preview_writes_one_png_per_page_and_does_not_overwrite(fixture_pdfs, tmp_path: Path) -> None:
    if not shutil.which("pdftoppm"):
        pytest.skip("needs pdftoppm: apt-get install poppler-utils")
    pdf = tmp_path / "bc.pdf"
    pdf.write_bytes(fixture_pdfs["tua_chua_2023_04"].pdf)
    folder = tmp_path / "anh"
    run = CliRunner().invoke(main, ["preview", str(pdf), "-o", str(folder), "--dpi", "30"])
    assert run.exit_code == 0, run.output
    pages = sorted(p.name for p in folder.iterdir())
    assert pages == [f"trang-{n}.png" for n in range(1, read_pdf(pdf.read_bytes()).page_count + 1)]
    assert all((folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pages)
    again = CliRunner().invoke(main, ["preview", str(pdf), "-o", str(folder)])
    assert again.exit_code == 6 and "OUTPUT_EXISTS" in again.output


def test_libreoffice_keeps_the_looks_the_footnote_the_tables_and_the_pictures(fixture_pdfs) -> None:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(fixture_pdfs["khoi_noi_dung"].pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    fonts = {str(font.get("/BaseFont")) for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()
             for font in [font.get_object()]}
    images = sum(len(page.images) for page in reader.pages)
    assert "Công văn số 4975/VPCP-KSTT ngày 12/7/2023" in text  # the footnote, at the foot of its page
    assert "Bảng 2. Hồ sơ tiếp nhận và trả kết quả" in text and "2.267" in text  # a table with its total
    assert any("Bold" in font for font in fonts) and any("Italic" in font for font in fonts)
    assert images >= 2  # the picture and the chart (pypdf also counts their soft masks)
