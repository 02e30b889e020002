"""How soon the web page shows the pages after a change, for a three-page report, against the 1.5 s target.

    python benchmarks/web_preview.py               # 20 rounds
    python benchmarks/web_preview.py --rounds 40

A real `vanban serve` on 127.0.0.1 (2 render workers, 1 warm LibreOffice) and Debian's Chromium on the
page (tests/web/browser.py). The document is fixtures/tua_chua_2023_04 (3 pages: two of báo cáo, one
landscape phụ lục), opened in the page as a saved spec with its data. Each round, interleaved:

1. browser: a field is changed in the page (an input event on the place name, alternating two values);
   the time until the new page images are decoded and in the page (the page's own 400 ms wait after the
   last keystroke included: what a clerk sees);
2. http: POST /v1/pages of the same spec and files (no wait: the service's own time);
3. baseline, in process: the preview path of ``vanban preview`` on a warm converter of its own, one step
   after another (render, PDF, pdftoppm images), with no HTTP and no browser; the service's /v1/pages
   runs the Nghị định 30 check beside the conversion and draws the pages with PDFium instead;
4. baseline, command line: ``vanban preview spec.yaml -o DIR`` (a clerk without the page: LibreOffice
   started cold each time), every ``--cli-every`` rounds.

Prints one JSON object: median, p95, min and max per measure, in seconds, and the target's verdict. The
first preview after the page opens (its converter and workers just warmed) is reported on its own.
Only 127.0.0.1 is contacted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.service.conftest import fixture_upload  # noqa: E402
from tests.web.browser import chromium, served  # noqa: E402

FIXTURE = ROOT / "fixtures" / "tua_chua_2023_04"
TARGET_SECONDS = 1.5

# Change one field the way a keystroke does, then resolve when the page shows the images of that change.
_CHANGE = """
const [text, done] = arguments;
const box = document.querySelector('[data-pointer="/dia_danh"] input');
const pages = document.getElementById('cac-trang');
const started = performance.now();
box.value = text;
box.dispatchEvent(new Event('input'));
const wanted = String(state.version);
const watcher = new MutationObserver(() => {
  if (pages.dataset.phienBan === wanted) { watcher.disconnect(); done((performance.now() - started) / 1000); }
  else if (pages.dataset.loi === wanted) { watcher.disconnect(); done(-1); }
});
watcher.observe(pages, {attributes: true});
"""


def summary(values: list[float]) -> dict[str, float | int]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(values), "median": round(statistics.median(ordered), 3), "p95": round(p95, 3),
            "min": round(ordered[0], 3), "max": round(ordered[-1], 3)}


def in_process_preview(converter) -> float:
    from engine import pipeline
    from engine.convert.pages import page_images

    started = time.perf_counter()
    docx = pipeline.render(FIXTURE / "spec.yaml")
    pdf = pipeline.docx_to_pdf(docx, converter=converter, source="bench").pdf
    images = page_images(pdf, dpi=60)
    assert len(images) == 3
    return time.perf_counter() - started


def cli_preview(folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine", "preview", str(FIXTURE / "spec.yaml"), "-o", str(folder),
                    "--dpi", "60", "--force"], cwd=ROOT, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cli-every", type=int, default=4, help="a command-line baseline every N rounds")
    arguments = parser.parse_args()
    from engine.convert import PdfConverter

    measures: dict[str, list[float]] = {"browser": [], "http": [], "in_process": [], "cli": []}
    failed = 0
    with tempfile.TemporaryDirectory() as folder, served(workers=2, pdf_converters=1) as server, \
            chromium() as driver, PdfConverter(timeout=60) as converter, httpx.Client(timeout=120) as client:
        converter.start()
        driver.set_script_timeout(60)
        driver.get(server.url + "/")
        deadline = time.monotonic() + 30
        while not driver.execute_script("return document.body.dataset.sanSang === '1'"):
            if time.monotonic() > deadline:
                raise SystemExit("the page did not start")
            time.sleep(0.05)
        started = time.perf_counter()
        driver.find_element("id", "mo-dac-ta").send_keys("\n".join(
            str(FIXTURE / name) for name in ("spec.yaml", "diem_xa.csv", "du_lieu.yaml")))
        while driver.execute_script("return document.getElementById('cac-trang').querySelectorAll('img').length") < 3:
            if time.perf_counter() - started > 60:
                raise SystemExit("the first preview did not come")
            time.sleep(0.02)
        first = time.perf_counter() - started
        upload = fixture_upload(FIXTURE)
        for round_ in range(arguments.rounds):
            seconds = driver.execute_async_script(_CHANGE, "Tủa Chùa" if round_ % 2 else "Huyện Tủa Chùa")
            if seconds < 0:
                failed += 1
            else:
                measures["browser"].append(seconds)
            began = time.perf_counter()
            answer = client.post(server.url + "/v1/pages", files=upload)
            measures["http"].append(time.perf_counter() - began)
            if answer.status_code != 200 or answer.json()["so_trang"] != 3:
                raise SystemExit(f"/v1/pages answered {answer.status_code}: {answer.text[:300]}")
            measures["in_process"].append(in_process_preview(converter))
            if round_ % max(arguments.cli_every, 1) == 0:
                measures["cli"].append(cli_preview(Path(folder) / "anh"))
    browser = summary(measures["browser"])
    result = {
        "document": "fixtures/tua_chua_2023_04 (3 trang)",
        "target_seconds": TARGET_SECONDS,
        "first_preview_after_opening_seconds": round(first, 3),
        "change_to_pages_in_browser": browser,
        "http_v1_pages": summary(measures["http"]),
        "baseline_in_process_render_pdf_images": summary(measures["in_process"]),
        "baseline_cli_vanban_preview": summary(measures["cli"]),
        "failed_previews": failed,
        "median_within_target": browser["median"] <= TARGET_SECONDS,
        "p95_within_target": browser["p95"] <= TARGET_SECONDS,
        "load_average_1min": round(os.getloadavg()[0], 2),  # the machine is shared: how busy it was
        "browser_over_in_process_median": round(browser["median"] / statistics.median(measures["in_process"]), 2),
        "cli_over_browser_median": round(statistics.median(measures["cli"]) / browser["median"], 2),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
