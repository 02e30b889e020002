"""Measure the engine against naive docxtpl, batch throughput and PDF conversion, in one run.

    python benchmarks/run.py            # a readable table
    python benchmarks/run.py --json     # {"render": [...], "batch": {...}, "pdf": {...}, "memory": {...}}
    python benchmarks/run.py --quick    # fewer repeats and no 10,000-row case (a smoke run)

render: the same template (benchmarks/template.py: a phụ lục with a ``{%tr for %}`` row loop)
and context rendered and written to bytes by plain ``DocxTemplate`` and by the engine's compiled
path, alternately, for tables of 15, 200, 2,000 and 10,000 rows; medians in milliseconds. The
first engine render (its one-off compile) is left out, as a batch pays it once per process.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docxtpl import DocxTemplate  # noqa: E402

from benchmarks.template import build_template, context  # noqa: E402
from engine.render.docx import load_template  # noqa: E402
from engine.render.outline import document_text  # noqa: E402

SIZES = {15: 41, 200: 21, 2000: 7, 10000: 3}
QUICK = {15: 11, 200: 5, 2000: 3}
TARGETS = {15: 4.0, 2000: 6.0, 10000: 12.0}


def naive(path: Path, ctx: dict) -> bytes:
    template = DocxTemplate(path)
    template.render(ctx)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def bench_render(folder: Path, sizes: dict[int, int]) -> list[dict]:
    path = build_template(folder / "bang.docx")
    compiled = load_template(path)
    results = []
    for rows, repeats in sizes.items():
        ctx = context(rows)
        ours = compiled.render(ctx)  # warm-up: the compile happens here, once
        if document_text(ours) != document_text(naive(path, ctx)):
            raise SystemExit(f"{rows} rows: the engine's text differs from docxtpl's")
        baseline, engine = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            naive(path, ctx)
            baseline.append(time.perf_counter() - start)
            start = time.perf_counter()
            compiled.render(ctx)
            engine.append(time.perf_counter() - start)
        b, e = statistics.median(baseline) * 1000, statistics.median(engine) * 1000
        results.append({"rows": rows, "baseline_ms": round(b, 2), "engine_ms": round(e, 2), "ratio": round(b / e, 1)})
    return results


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 10,000 rows, 200 documents")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vanban-bench-") as tmp:
        folder = Path(tmp)
        results = {
            "render": bench_render(folder, QUICK if args.quick else SIZES),
            "batch": bench_batch(folder, 200 if args.quick else 1000),
            "pdf": bench_pdf(folder, 5 if args.quick else 12, 1 if args.quick else 5),
            "memory": bench_memory(folder, 2000 if args.quick else 10000),
            "read": bench_read(folder, READ_QUICK if args.quick else READ_SIZES),
        }
    render = {r["rows"]: r for r in results["render"]}
    if 2000 in render and 10000 in render:
        results["render_10000_over_2000"] = round(render[10000]["engine_ms"] / render[2000]["engine_ms"], 2)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"{'rows':>7} {'docxtpl ms':>11} {'engine ms':>10} {'ratio':>6} {'target':>7}")
    for r in results["render"]:
        target = TARGETS.get(r["rows"])
        print(f"{r['rows']:>7} {r['baseline_ms']:>11} {r['engine_ms']:>10} {r['ratio']:>5}× "
              f"{(str(target) + '×') if target else '':>7}")
    if "render_10000_over_2000" in results:
        print(f"10,000 rows take {results['render_10000_over_2000']}× the time of 2,000 (target ≤ 6)")
    batch = results["batch"]
    print(f"batch: {batch['documents']} documents in {batch['seconds']} s on {batch['workers']} cores "
          f"({batch['documents_per_second']}/s; target < 10 s)")
    pdf = results["pdf"]
    if "skipped" in pdf:
        print(f"pdf: skipped ({pdf['skipped']})")
    else:
        print(f"pdf: engine {pdf['engine_ms']} ms per document, LibreOffice warm {pdf['libreoffice_warm_ms']} ms, "
              f"cold {pdf['libreoffice_cold_ms']} ms (ratio {pdf['ratio_to_libreoffice_warm']}; target ≤ 1.3)")
    memory = results["memory"]
    print(f"memory: peak {memory['peak_rss_mb']} MB rendering {memory['rows']} rows (target < 500 MB)")
    read = results["read"]
    low, high = min(read["rows"]), max(read["rows"])
    for kind in ("csv", "csv_export", "xlsx_export"):
        print(f"read {kind}: {read[kind][low]} ms for {low} units, {read[kind][high]} ms for {high} "
              f"({read['ratio'][kind]}×)")


if __name__ == "__main__":
    main()
