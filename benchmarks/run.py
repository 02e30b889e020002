"""Measure the engine against naive docxtpl, batch throughput and PDF conversion, in one run.

    python benchmarks/run.py            # a readable table
    python benchmarks/run.py --json     # {"render": [...], "batch": {...}, "pdf": {...}, "memory": {...}}
    python benchmarks/run.py --quick    # fewer repeats and no 10,000-row case (a smoke run)
    python benchmarks/run.py --only render [--no-peer]   # one part only; without Carbone

render: the same template (benchmarks/template.py: a phụ lục with a ``{%tr for %}`` row loop)
and context rendered and written to bytes by plain ``DocxTemplate`` and by the engine's compiled
path, alternately, for tables of 15, 200, 2,000 and 10,000 rows; medians in milliseconds. The
first engine render (its one-off compile) is left out, as a batch pays it once per process.
The peer: Carbone (benchmarks/carbone: npm, version pinned in package-lock.json; the benchmark runs
``npm ci`` there when node_modules is missing, and skips the column, saying why, without node and
npm) renders a twin of the template, its tags translated by code (benchmarks/template.py), with the
same data, in one Node process kept for the whole run (benchmarks/carbone/render.js). The three
are timed in the same rounds, the order rotated each round, and the texts of the three documents
are checked equal first; engine/Carbone is the median's ratio and the lowest and highest of the
rounds' ratios.
batch: 1,000 one-page documents (fixtures/lo_xa_2026_01) written to a temporary folder.
pdf: per-document time through the engine's warm converter (with its pypdf checks) against
LibreOffice converting the same files in one ``soffice --convert-to`` call, warm part only,
in alternating rounds.
memory: peak resident memory of a process that renders the 10,000-row table.
read: reading a score table of 2,000 and 10,000 units into exact values (engine.data.readers), as a
plain CSV (one header row) and as an export (title block, three-level header, column-number and
group rows, a "Trung bình" row, notes: a CSV, and an .xlsx with merged ranges); medians in
milliseconds, and the time of 10,000 units over that of 2,000 (linear: about 5).
Absolute times depend on the machine; the ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docxtpl import DocxTemplate  # noqa: E402

from benchmarks.template import build_carbone_twin, build_template, context  # noqa: E402
from engine.render.docx import load_template  # noqa: E402
from engine.render.outline import document_text  # noqa: E402

SIZES = {15: 41, 200: 21, 2000: 7, 10000: 5}
QUICK = {15: 11, 200: 5, 2000: 3}
TARGETS = {15: 4.0, 2000: 6.0, 10000: 12.0}
PEER_TARGETS = {2000: 0.5, 10000: 0.5}  # the engine's time over Carbone's (issue 17)


def naive(path: Path, ctx: dict) -> bytes:
    template = DocxTemplate(path)
    template.render(ctx)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


class Carbone:
    """The peer baseline: Carbone (benchmarks/carbone, npm, pinned) rendering the twin template in one Node process.

    ``npm ci`` installs the pinned version from package-lock.json when node_modules is missing.
    :meth:`render` returns each render's milliseconds as Node measured them (the pipe is not
    counted against Carbone); ``out`` keeps the last document for the equal-output check.
    """

    FOLDER = ROOT / "benchmarks" / "carbone"

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        """Why the peer cannot run here (no node, no npm, npm ci failed), or None."""
        node, npm = shutil.which("node"), shutil.which("npm")
        if not (node and npm):
            return "node and npm not found (install Node.js 18+ to add the Carbone column)"
        if not (cls.FOLDER / "node_modules" / "carbone" / "package.json").is_file():
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=cls.FOLDER,
                                  capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                return f"npm ci failed in benchmarks/carbone: {(done.stderr or done.stdout).strip()[-300:]}"
        return None

    @classmethod
    def version(cls) -> str:
        return json.loads((cls.FOLDER / "node_modules" / "carbone" / "package.json").read_text("utf-8"))["version"]

    def __enter__(self) -> Carbone:
        self.process = subprocess.Popen([shutil.which("node") or "node", str(self.FOLDER / "render.js")],
                                        cwd=self.FOLDER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)

    def render(self, template: Path, data: Path, repeat: int, out: Path | None = None) -> list[float]:
        assert self.process is not None and self.process.stdin and self.process.stdout
        request = {"template": str(template), "data": str(data), "repeat": repeat, "out": str(out) if out else None}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline() or '{"error": "node exited"}')
        if "error" in answer:
            raise SystemExit(f"carbone: {answer['error']}")
        return [ms / 1000 for ms in answer["ms"]]


def bench_render(folder: Path, sizes: dict[int, int], peer: Carbone | None = None) -> list[dict]:
    """Per size, rounds of docxtpl, the engine and (with ``peer``) Carbone, the order rotated each round.

    Every engine renders the same table: its text is compared with docxtpl's and Carbone's first.
    """
    path = build_template(folder / "bang.docx")
    twin = build_carbone_twin(path, folder / "bang_carbone.docx") if peer else None
    compiled = load_template(path)
    results = []
    for rows, repeats in sizes.items():
        ctx = context(rows)
        ours = compiled.render(ctx)  # warm-up: the compile happens here, once
        text = document_text(ours)
        if text != document_text(naive(path, ctx)):
            raise SystemExit(f"{rows} rows: the engine's text differs from docxtpl's")
        sides: dict[str, Callable[[], float]] = {"baseline": partial(_timed, naive, path, ctx),
                                                 "engine": partial(_timed, compiled.render, ctx)}
        if peer and twin:
            data = folder / f"data_{rows}.json"
            data.write_text(json.dumps(ctx, ensure_ascii=False), encoding="utf-8")
            theirs = folder / f"carbone_{rows}.docx"
            peer.render(twin, data, 1, theirs)  # warm-up (Node's JIT), and the document to compare
            if document_text(theirs.read_bytes()) != text:
                raise SystemExit(f"{rows} rows: Carbone's text differs from the engine's")
            sides["carbone"] = partial(_first, peer.render, twin, data, 1)
        times: dict[str, list[float]] = {side: [] for side in sides}
        order = list(sides)
        for round_ in range(repeats):
            for side in order[round_ % len(order):] + order[:round_ % len(order)]:
                times[side].append(sides[side]())
        b, e = statistics.median(times["baseline"]) * 1000, statistics.median(times["engine"]) * 1000
        result = {"rows": rows, "baseline_ms": round(b, 2), "engine_ms": round(e, 2), "ratio": round(b / e, 1)}
        if "carbone" in times:
            c = statistics.median(times["carbone"]) * 1000
            # Each round's engine time over the same round's Carbone time: the spread the machine's drift gives.
            rounds = sorted(ours / theirs for ours, theirs in zip(times["engine"], times["carbone"], strict=True))
            result.update({"carbone_ms": round(c, 2), "engine_over_carbone": round(e / c, 3),
                           "engine_over_carbone_rounds": [round(rounds[0], 3), round(rounds[-1], 3)]})
        results.append(result)
    return results


def _first(function: Callable, *args: object) -> float:
    return function(*args)[0]


def _timed(function: Callable, *args: object) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def bench_batch(folder: Path, units: int) -> dict:
    from engine.batch import run_batch

    spec = ROOT / "fixtures" / "lo_xa_2026_01" / "spec.yaml"
    data = folder / "don_vi.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ma", "ten", "kinh_gui", "diem", "hang", "so_xa", "tien_do"])
        for i in range(1, units + 1):
            writer.writerow([f"xa_{i:04d}", f"xã Số {i}", f"Ủy ban nhân dân xã Số {i}", f"{60 + i % 40},{i % 10}",
                             i, units, f"{80 + i % 20},5"])
    out = folder / "lo"
    summary = run_batch(spec, data, out)
    if summary.count("ok") != units:
        raise SystemExit(f"batch: {summary.count('loi')} units failed")
    return {"documents": units, "workers": os.cpu_count(), "seconds": round(summary.seconds, 2),
            "documents_per_second": round(summary.per_second, 1)}


def bench_pdf(folder: Path, documents: int, rounds: int) -> dict:
    """Per-document PDF time, the engine against LibreOffice's own warm conversion, alternating.

    LibreOffice's warm time per document is (T(n files) - T(1 file)) / (n - 1) for one
    ``soffice --convert-to`` call each: the start-up cancels out. Each round measures that and then
    the engine on the same files, so both sides see the same state of the machine; the medians of
    the rounds are reported (on a shared machine the speed drifts by a third over seconds).
    """
    from engine import render
    from engine.convert import PdfConverter, pdf_available
    from engine.pipeline import docx_to_pdf

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not (pdf_available() and soffice):
        return {"skipped": "needs LibreOffice and python3-uno"}
    docx = render(ROOT / "fixtures" / "tua_chua_2023_04" / "spec.yaml")  # 3 pages, one of them landscape
    files = []
    for i in range(documents):
        path = folder / f"pdf_{i:03d}.docx"
        path.write_bytes(docx)
        files.append(path)
    profile = (folder / "lo-profile").as_uri()

    def office(paths: list[Path]) -> float:
        start = time.perf_counter()
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(folder / "lo-out"), *map(str, paths)], check=True, capture_output=True)
        return time.perf_counter() - start

    office(files[:1])  # the profile is created on the first start
    cold, office_warm, engine = [], [], []
    with PdfConverter() as converter:
        converter.start()
        docx_to_pdf(docx, converter=converter)  # the office is up and warm from here on
        for _ in range(rounds):
            one = office(files[:1])
            many = office(files)
            cold.append(one)
            office_warm.append((many - one) / (len(files) - 1))
            times = []
            for path in files:
                start = time.perf_counter()
                docx_to_pdf(path.read_bytes(), converter=converter)
                times.append(time.perf_counter() - start)
            engine.append(statistics.median(times))
    warm, ours = statistics.median(office_warm), statistics.median(engine)
    ratios = [e / o for e, o in zip(engine, office_warm, strict=True)]
    return {"documents": documents, "rounds": rounds, "pages_each": 3,
            "libreoffice_cold_ms": round(statistics.median(cold) * 1000, 1),
            "libreoffice_warm_ms": round(warm * 1000, 1), "engine_ms": round(ours * 1000, 1),
            "ratio_to_libreoffice_warm": round(statistics.median(ratios), 2),  # median of the rounds' ratios
            "ratio_each_round": [round(r, 2) for r in ratios]}


MEMORY_PROBE = """
import resource, sys
sys.path.insert(0, {root!r})
from benchmarks.template import build_template, context
from engine.render.docx import load_template
path = build_template(__import__("pathlib").Path({folder!r}) / "mem.docx")
load_template(path).render(context({rows}))
# VmHWM: this process's own peak. ru_maxrss would also count the benchmark process that forked
# it (Linux keeps the high-water mark across exec), which held docxtpl's 10,000-row trees.
try:
    status = open("/proc/self/status").read()
    print(int(status.split("VmHWM:")[1].split()[0]))
except (OSError, IndexError):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def bench_memory(folder: Path, rows: int) -> dict:
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE.format(root=str(ROOT), folder=str(folder), rows=rows)],
                          check=True, capture_output=True, text=True)
    return {"rows": rows, "peak_rss_mb": round(int(done.stdout.strip()) / 1024, 1)}


READ_SIZES = {2000: 5, 10000: 3}
READ_QUICK = {500: 3, 2000: 3}
INDEX_NAMES = [("Nhóm công khai, minh bạch", ["Chỉ số 1", "Chỉ số 2", "Chỉ số 3"]), ("Tiến độ", [""]),
               ("Nhóm cung cấp DVTT", ["Chỉ số 1", "Chỉ số 2"]), ("Nhóm số hóa hồ sơ", ["Chỉ số 1", "Chỉ số 2"]),
               ("Nhóm mức độ hài lòng", ["Chỉ số 1", "Chỉ số 2", "Chỉ số 3"])]
UNIT_SCORES = ["-", "-", "3,7", "29", "9,7", "0", "4,9", "9,8", "5", "5", "5", "72,1", "80,1", "Tốt"]


def _read_tables(folder: Path, units: int) -> dict[str, Path]:
    """A plain CSV, an export CSV and an export .xlsx of ``units`` units, and nothing else differs."""
    from openpyxl import Workbook

    paths = [f"{group} / {index}".rstrip(" /") for group, indices in INDEX_NAMES for index in indices]
    rows = [[f"UBND xã {i}", *UNIT_SCORES] for i in range(units)]
    plain = folder / f"phang_{units}.csv"
    plain.write_text("\n".join(";".join(r) for r in [["Tên đơn vị", *paths, "Đạt được", "Quy đổi", "Xếp loại"],
                                                       *rows]) + "\n", encoding="utf-8")
    top = ["STT", "Tên đơn vị", "ĐIỂM CÁC CHỈ SỐ", *[""] * 10, "Đạt được", "Quy đổi", "Xếp loại"]
    middle = ["", "", *[g if k == 0 else "" for g, indices in INDEX_NAMES for k in range(len(indices))], "", "", ""]
    bottom = ["", "", *[index for _, indices in INDEX_NAMES for index in indices], "", "", ""]
    export = [["UBND HUYỆN", *[""] * 15], ["KẾT QUẢ ĐÁNH GIÁ THÁNG 4/2023", *[""] * 15], [""] * 16, top, middle, bottom,
              [f"({n})" for n in range(1, 17)], ["I", "UBND CÁC XÃ, THỊ TRẤN", *[""] * 14],
              *[[str(i + 1), *r] for i, r in enumerate(rows)], ["", "Trung bình", *UNIT_SCORES[:13], ""],
              [""] * 16, ["Người lập biểu", *[""] * 15]]
    csv_export = folder / f"xuat_{units}.csv"
    csv_export.write_text("\n".join(";".join(r) for r in export) + "\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    for row in export:
        sheet.append([v or None for v in row])
    for ref in ("A4:A6", "B4:B6", "C4:M4", "C5:E5", "F5:F6", "G5:H5", "I5:J5", "K5:M5", "N4:N6", "O4:O6", "P4:P6",
                "B8:P8"):
        sheet.merge_cells(ref)
    xlsx_export = folder / f"xuat_{units}.xlsx"
    book.save(xlsx_export)
    return {"csv": plain, "csv_export": csv_export, "xlsx_export": xlsx_export}


def bench_read(folder: Path, sizes: dict[int, int]) -> dict:
    """Median milliseconds to read each kind of table at each size, and the 10,000/2,000 (or 2,000/500) ratios."""
    from engine.data.readers import ColumnMap, read_unit_table

    fields = {"don_vi": "Tên đơn vị", **{f"i{k}": f"{g} / {i}".rstrip(" /") for k, (g, i) in enumerate(
        (g, i) for g, indices in INDEX_NAMES for i in indices)}, "dat": "Đạt được", "quy": "Quy đổi"}
    columns = ColumnMap(fields, frozenset(fields) - {"don_vi"})
    results: dict = {"rows": list(sizes)}
    for units, repeats in sizes.items():
        for kind, path in _read_tables(folder, units).items():
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                table = read_unit_table(path, columns)
                times.append(time.perf_counter() - start)
            assert len(table.units) == units
            results.setdefault(kind, {})[units] = round(statistics.median(times) * 1000, 1)
    low, high = min(sizes), max(sizes)
    results["ratio"] = {kind: round(results[kind][high] / results[kind][low], 2) for kind in ("csv", "csv_export",
                                                                                            "xlsx_export")}
    return results


SECTIONS = ("render", "batch", "pdf", "memory", "read")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 10,000 rows, 200 documents")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this part (repeatable)")
    parser.add_argument("--no-peer", action="store_true", help="leave Carbone out of the render part")
    args = parser.parse_args()
    sections = args.only or SECTIONS
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="vanban-bench-") as tmp:
        folder = Path(tmp)
        if "render" in sections:
            skipped = "--no-peer" if args.no_peer else Carbone.unavailable()
            if skipped:
                results["render"] = bench_render(folder, QUICK if args.quick else SIZES)
                results["carbone"] = {"skipped": skipped}
            else:
                with Carbone() as peer:
                    results["render"] = bench_render(folder, QUICK if args.quick else SIZES, peer)
                results["carbone"] = {"version": Carbone.version()}
        if "batch" in sections:
            results["batch"] = bench_batch(folder, 200 if args.quick else 1000)
        if "pdf" in sections:
            results["pdf"] = bench_pdf(folder, 5 if args.quick else 12, 1 if args.quick else 5)
        if "memory" in sections:
            results["memory"] = bench_memory(folder, 2000 if args.quick else 10000)
        if "read" in sections:
            results["read"] = bench_read(folder, READ_QUICK if args.quick else READ_SIZES)
    render = {r["rows"]: r for r in results.get("render", ())}
    if 2000 in render and 10000 in render:
        results["render_10000_over_2000"] = round(render[10000]["engine_ms"] / render[2000]["engine_ms"], 2)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    if "render" in results:
        print_render(results)
    print_others(results)


def print_render(results: dict) -> None:
    peer = "carbone_ms" in results["render"][0]
    print(f"{'rows':>7} {'docxtpl ms':>11} {'engine ms':>10} {'ratio':>6} {'target':>7}"
          + (f" {'Carbone ms':>11} {'engine/Carbone':>15} {'rounds':>13} {'target':>7}" if peer else ""))
    for r in results["render"]:
        target, peer_target = TARGETS.get(r["rows"]), PEER_TARGETS.get(r["rows"])
        line = (f"{r['rows']:>7} {r['baseline_ms']:>11} {r['engine_ms']:>10} {r['ratio']:>5}× "
                f"{(str(target) + '×') if target else '':>7}")
        if peer:
            low, high = r["engine_over_carbone_rounds"]
            line += (f" {r['carbone_ms']:>11} {r['engine_over_carbone']:>15} {f'{low}–{high}':>13} "
                     f"{('≤ ' + str(peer_target)) if peer_target else '':>7}")
        print(line)
    carbone = results["carbone"]
    print(f"Carbone {carbone['version']} (benchmarks/carbone)" if "version" in carbone
          else f"Carbone: skipped ({carbone['skipped']})")
    if "render_10000_over_2000" in results:
        print(f"10,000 rows take {results['render_10000_over_2000']}× the time of 2,000 (target ≤ 6)")


def print_others(results: dict) -> None:
    if "batch" in results:
        batch = results["batch"]
        print(f"batch: {batch['documents']} documents in {batch['seconds']} s on {batch['workers']} cores "
              f"({batch['documents_per_second']}/s; target < 10 s)")
    if "pdf" in results:
        pdf = results["pdf"]
        if "skipped" in pdf:
            print(f"pdf: skipped ({pdf['skipped']})")
        else:
            print(f"pdf: engine {pdf['engine_ms']} ms per document, LibreOffice warm {pdf['libreoffice_warm_ms']} "
                  f"ms, cold {pdf['libreoffice_cold_ms']} ms (ratio {pdf['ratio_to_libreoffice_warm']}; "
                  "target ≤ 1.3)")
    if "memory" in results:
        memory = results["memory"]
        print(f"memory: peak {memory['peak_rss_mb']} MB rendering {memory['rows']} rows (target < 500 MB)")
    if "read" in results:
        read = results["read"]
        low, high = min(read["rows"]), max(read["rows"])
        for kind in ("csv", "csv_export", "xlsx_export"):
            print(f"read {kind}: {read[kind][low]} ms for {low} units, {read[kind][high]} ms for {high} "
                  f"({read['ratio'][kind]}×)")


if __name__ == "__main__":
    main()
