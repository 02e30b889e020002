"""Visual regression (second tier): every fixture's pages look like its golden page images.

The pages are drawn from the engine's PDF (LibreOffice) by pdftoppm in black and white at 50 dpi and
compared pixel by pixel with tests/golden/pages/<case>/trang-N.png. The golden manifest
records the LibreOffice and poppler versions and the fonts that stand in for Times New Roman;
on a machine where any of these differ, the pages would differ for reasons that are not ours,
so the test is skipped and says which one differs. ``pytest --regen-golden`` remakes the images
and the manifest (look at them before committing). A failing page is written beside its
golden image as trang-N.obtained.png, with trang-N.diff.png showing what moved.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest

from engine.convert.pages import page_images, pdftoppm_version
from tests.acceptance.samples import CASES
from tests.conftest import GOLDEN

Image = pytest.importorskip("PIL.Image", reason="Pillow is a dev dependency: pip install -e '.[dev]'")
ImageChops = pytest.importorskip("PIL.ImageChops")

PAGES = GOLDEN / "pages"
MANIFEST = PAGES / "manifest.json"
DPI = 50
# A pixel "differs" when its level moves by more than this (in black and white, any change does).
PIXEL_THRESHOLD = 64
# Share of differing pixels a page may have: a moved line of text is far above this.
TOLERANCE = 0.001
FONT_QUERIES = ("Times New Roman", "Times New Roman:bold", "Times New Roman:italic", "Times New Roman:bold:italic")


def _command_output(*command: str) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return (done.stdout or done.stderr).strip() or None


def environment() -> dict[str, object]:
    """What decides how pages are drawn, apart from the engine: recorded beside the golden images."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    return {
        "libreoffice": _command_output(soffice, "--version") if soffice else None,
        "poppler": pdftoppm_version(),
        "fonts": {query: _command_output("fc-match", "-f", "%{file}", query) for query in FONT_QUERIES},
        "dpi": DPI,
        "mode": "mono",
    }


@pytest.fixture(scope="module")
def machine() -> dict[str, object]:
    return environment()


def _skip_unless_same_machine(machine: dict[str, object]) -> None:
    if not MANIFEST.exists():
        pytest.fail(f"{MANIFEST} is missing: run pytest --regen-golden on a machine like CI")
    recorded = json.loads(MANIFEST.read_text(encoding="utf-8"))
    differences = [f"{key}: golden {recorded.get(key)!r}, here {value!r}" for key, value in machine.items()
                   if recorded.get(key) != value]
    if differences:
        pytest.skip("page images depend on the renderer and fonts, which differ from the golden manifest ("
                    + "; ".join(differences) + "); .ci/run installs the recorded ones")


def _share_of_changed_pixels(expected, obtained) -> float:
    diff = ImageChops.difference(expected, obtained)
    histogram = diff.histogram()
    changed = sum(histogram[PIXEL_THRESHOLD + 1:])
    return changed / (expected.width * expected.height)


@pytest.mark.parametrize("case", CASES)
def test_the_pages_look_like_the_golden_images(case: str, fixture_pdfs, machine: dict[str, object],
                                               regen_golden: bool) -> None:
    images = page_images(fixture_pdfs[case].pdf, dpi=DPI, mode="mono")
    folder = PAGES / case
    if regen_golden:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for number, image in enumerate(images, start=1):
            (folder / f"trang-{number}.png").write_bytes(image)
        MANIFEST.write_text(json.dumps(machine, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    _skip_unless_same_machine(machine)
    for stale in [*folder.glob("*.obtained.png"), *folder.glob("*.diff.png")]:
        stale.unlink()
    golden = sorted(folder.glob("trang-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    problems = []
    if len(golden) != len(images):
        problems.append(f"{len(images)} pages, golden {len(golden)}")
    for number, (path, image) in enumerate(zip(golden, images, strict=False), start=1):
        expected = Image.open(path).convert("L")
        obtained = Image.open(io.BytesIO(image)).convert("L")
        share = 1.0 if expected.size != obtained.size else _share_of_changed_pixels(expected, obtained)
        if share > TOLERANCE:
            (folder / f"trang-{number}.obtained.png").write_bytes(image)
            if expected.size == obtained.size:
                ImageChops.invert(ImageChops.difference(expected, obtained)).save(folder / f"trang-{number}.diff.png")
            problems.append(f"page {number}: {share:.2%} of pixels changed (allowed {TOLERANCE:.2%})")
    assert not problems, f"{case}: " + "; ".join(problems) + f" — see {folder}/*.obtained.png and *.diff.png"


def test_every_golden_page_folder_belongs_to_a_fixture() -> None:
    stale = sorted(p.name for p in PAGES.iterdir() if p.is_dir() and p.name not in CASES) if PAGES.exists() else []
    assert not stale, f"golden page folders that no fixture produces (delete them): {stale}"
