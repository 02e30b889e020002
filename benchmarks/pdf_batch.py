"""A PDF batch (``batch --pdf``) against the rate of its warm converters alone, in one run.

    python benchmarks/pdf_batch.py             # 1,000 documents, 3 rounds, a readable summary
    python benchmarks/pdf_batch.py --json      # the same as one JSON object
    python benchmarks/pdf_batch.py --quick     # 100 documents, 2 rounds (for development)
    python benchmarks/pdf_batch.py -j 2 --documents 500 --rounds 4

The target (issue 17): a 1,000-document PDF batch runs at ≥ 90 % of *workers × one warm converter's
own rate, measured in the same run*. So each round measures, on the same machine:

- baseline: one :class:`engine.convert.PdfConverter` (one LibreOffice, started and warmed on three
  documents before the clock starts) converting one worker's share of the batch's own documents
  (``--documents`` / ``-j``, unless ``--baseline-documents`` says otherwise), pre-rendered as .docx, one
  after another, with nothing else: no render, no check of the PDF, no stamping, no file written. Its
  rate (documents per second) times the number of workers is the baseline the batch is held to. A
  worker's share, because a LibreOffice slows down as it converts more documents in one run (measured
  on this machine: 125 ms of CPU per document fresh, 145 ms after 400, the same document alternating
  between the two offices), so a lone converter timed on fewer documents than each of the batch's
  converts would be held to a younger office than the batch's. Half of them are timed just before the
  batch and half just after it, by the same office (left open and idle while the batch runs): the
  speed of a shared machine drifts within minutes, and timing the baseline on both sides of the batch
  puts a steady drift on both sides of the ratio instead of on one (each half's rate is printed too).
- converters at once: ``-j`` such converters, each warm, converting one worker's share of the documents
  all at the same time, nothing else. Not the target's baseline but what the machine gives: on a virtual
  machine whose host is shared, two busy vCPUs may not give twice one (the host takes CPU back, shown as
  *steal*), so the batch is also shown against this, which is what the batch's own work costs.
- batch: :func:`engine.batch.run_batch` with ``pdf=True`` and ``-j`` workers on all ``--documents``
  units into an empty folder, everything included that the user waits for: worker and office start-up,
  render, conversion, the PDF checks and provenance, atomic writes, the report. Its rate is the units
  written (each a .docx and a PDF) over the batch's own wall time.

A round runs the converters at once, then the baseline's first half, the batch and the baseline's second
half, so all three see the same state of a shared machine (its speed drifts by a third within minutes);
each round's ratio is batch rate / (workers × baseline rate), and the summary gives the range and median
of the rounds. The batch's rate between 10 % and 90 % of its units done is held to the same baseline too
(its start-up and its end left out), with the time of its first results, which shows whether a gap lies
in the batch's ends or in its steady work. CPU per document is printed too, by kind of process (office,
uno_worker, the batch's python workers, this process as parent; for the baseline: the converter's
process group and this process while timing; for the batch: this process and every child it waited for),
which shows where the two differ; and the load average, since on a machine shared with other work the
scheduler gives the lone converter and the batch different shares of the cores. The ratio of CPU per
document (alone over batch) is what the code decides: an estimate of the ratio on an idle machine with
one worker per core, printed beside, never in place of, the measured ratio. The documents are
fixtures/lo_xa_2026_01's one-page công văn, one per unit with the unit's own figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEC = ROOT / "fixtures" / "lo_xa_2026_01" / "spec.yaml"
_TICKS = os.sysconf("SC_CLK_TCK")


def write_units(path: Path, count: int) -> Path:
    """A units file of ``count`` xã, each with its own figures (so every document differs)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ma", "ten", "kinh_gui", "diem", "hang", "so_xa", "tien_do"])
        for i in range(1, count + 1):
            writer.writerow([f"xa_{i:04d}", f"xã Số {i}", f"Ủy ban nhân dân xã Số {i}", f"{60 + i % 40},{i % 10}",
                             i, count, f"{80 + i % 20},5"])
    return path


def _processes() -> dict[int, tuple[int, int, str, float]]:
    """Every live process: pid -> (parent pid, process group, kind, CPU seconds so far)."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        kind = "office" if b"soffice" in command else "uno_worker" if b"uno_worker" in command else "python"
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), kind, (int(fields[11]) + int(fields[12])) / _TICKS)
    return found


class TreeCpu:
    """CPU seconds of this process's descendants by kind (office, uno_worker, python), sampled from /proc.

    Each process's last sample counts, so a process that ended between two samples misses at most one
    interval (a quarter of a second) of its CPU.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.seen: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        table = _processes()
        ours = {os.getpid()}
        grew = True
        while grew:  # children of ours are ours, until no new one is found
            grew = False
            for pid, (parent, _, _, _) in table.items():
                if pid not in ours and parent in ours:
                    ours.add(pid)
                    grew = True
        for pid in ours - {os.getpid()}:
            _, _, kind, cpu = table[pid]
            if pid in self.seen and self.seen[pid][0] != "python":
                kind = self.seen[pid][0]  # an office exiting (a zombie) has no command line any more
            self.seen[pid] = (kind, cpu)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()
        self.own = time.thread_time()  # the sampling's own CPU, not the batch's

    own = 0.0

    def __enter__(self) -> TreeCpu:
        self._sample()
        self.before = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, (kind, cpu) in self.seen.items():
            totals[kind] = totals.get(kind, 0.0) + cpu - self.before.get(pid, (kind, 0.0))[1]
        return totals


def own_cpu(children: bool = True) -> float:
    times = os.times()
    return times.user + times.system + ((times.children_user + times.children_system) if children else 0.0)


class LoneConverter:
    """One warm converter alone converting pre-rendered .docx files: its own rate, nothing else.

    Started and warmed on three documents before any clock starts, then timed in parts (:meth:`timed`)
    that :meth:`rate` adds up: a round times half its documents before the batch and half after, with
    the same office kept open (idle) in between, so that a drift of a shared machine's speed during the
    round falls on the baseline and the batch alike instead of on one side. (The idle office is a child of
    this process while the batch runs, so whatever CPU it takes then is counted against the batch.)
    """

    def __init__(self, warm_with: list[bytes]) -> None:
        from engine.convert import PdfConverter

        self.converter = PdfConverter()
        self.converter.start()
        for docx in warm_with[:3]:
            self.converter.convert(docx)
        self.parts: list[dict] = []

    def __enter__(self) -> LoneConverter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.converter.close()

    def timed(self, documents: list[bytes]) -> dict:
        """Convert ``documents`` one after another and record the time, CPU and steal it took."""
        group = self.converter.worker_pid
        assert group is not None
        own_before, kinds_before = own_cpu(children=False), _kinds_in_group(group)
        start, ticks = time.perf_counter(), machine_ticks()
        for docx in documents:
            if not self.converter.convert(docx).startswith(b"%PDF"):
                raise SystemExit("baseline: the converter gave something that is not a PDF")
        seconds = time.perf_counter() - start
        after = machine_ticks()
        kinds = {"parent": own_cpu(children=False) - own_before,
                 **{kind: value - kinds_before.get(kind, 0.0) for kind, value in _kinds_in_group(group).items()}}
        part = {"documents": len(documents), "seconds": seconds, "ticks": [ticks, after], "kinds": kinds,
                "documents_per_second": round(len(documents) / seconds, 3)}
        self.parts.append(part)
        return part

    def rate(self) -> dict:
        """Every timed part together: documents over seconds, CPU per document, steal while timed."""
        documents = sum(part["documents"] for part in self.parts)
        seconds = sum(part["seconds"] for part in self.parts)
        # The machine's ticks over the timed parts only (not the batch between them), by state.
        ticks = [sum(states) for states in zip(*([b - a for a, b in zip(*part["ticks"], strict=True)]
                                                  for part in self.parts), strict=True)]
        kinds: dict[str, float] = {}
        for part in self.parts:
            for kind, value in part["kinds"].items():
                kinds[kind] = kinds.get(kind, 0.0) + value
        # Seconds to the millisecond: a test's round of two documents takes a fifth of a second.
        return {"documents": documents, "seconds": round(seconds, 3),
                "documents_per_second": round(documents / seconds, 3), "steal": stolen_share([0] * len(ticks), ticks),
                "parts_per_second": [part["documents_per_second"] for part in self.parts],
                "cpu_ms_per_document": round(sum(kinds.values()) / documents * 1000, 1),
                "cpu_ms_per_document_by_kind": {kind: round(value / documents * 1000, 1)
                                                for kind, value in kinds.items()}}


def baseline(docx_files: list[Path]) -> dict:
    """One warm converter alone converting ``docx_files`` in one timed part (:class:`LoneConverter`)."""
    documents = [path.read_bytes() for path in docx_files]
    with LoneConverter(documents) as lone:
        lone.timed(documents)
        return lone.rate()


def _kinds_in_group(group: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for _, pgid, kind, cpu in _processes().values():
        if pgid == group:
            totals[kind] = totals.get(kind, 0.0) + cpu
    return totals


def steady_rate(marks: list[tuple[float, int]], total: int) -> float | None:
    """Units per second between the first report of 10 % of ``total`` done and the first of 90 %.

    ``marks``: (seconds since the batch started, units done so far), one per progress report. The
    batch's rate without its start (offices starting, the first chunk) and its end (the last chunks,
    offices closing): it shows whether a gap to the converters lies in the batch's steady work or in
    its ends. None when too few reports fall between the two.
    """
    first = next(((t, done) for t, done in marks if done >= 0.1 * total), None)
    last = next(((t, done) for t, done in marks if done >= 0.9 * total), None)
    if first is None or last is None or last[0] <= first[0]:
        return None
    return round((last[1] - first[1]) / (last[0] - first[0]), 3)


def batch(units: Path, out: Path, workers: int) -> dict:
    """``batch --pdf`` on every unit into an empty folder, start-up included."""
    from engine.batch import run_batch

    marks: list[tuple[float, int]] = []  # (seconds, units done so far) at each progress report

    def reported(count: int) -> None:
        marks.append((time.perf_counter() - started, (marks[-1][1] if marks else 0) + count))

    cpu_before, own_before = own_cpu(), own_cpu(children=False)
    ticks = machine_ticks()
    with TreeCpu() as tree:
        started = time.perf_counter()
        summary = run_batch(SPEC, units, out, pdf=True, workers=workers, force=True, progress=reported)
    stolen = stolen_share(ticks, machine_ticks())
    cpu = own_cpu() - cpu_before
    cpu -= tree.own
    kinds = {"parent": own_cpu(children=False) - own_before - tree.own, **tree.by_kind()}
    written = summary.count("ok")
    failed = [f"{r.ma}: {r.reason}" for r in summary.results if r.status != "ok"]
    if failed:
        raise SystemExit(f"batch: {len(failed)} units not written, e.g. {failed[0]}")
    pdfs = sorted(out.glob("*.pdf"))
    if len(pdfs) != written or not all(p.read_bytes()[:4] == b"%PDF" for p in pdfs):
        raise SystemExit("batch: a unit reported written has no whole PDF")
    return {"documents": written, "seconds": round(summary.seconds, 2),
            "documents_per_second": round(summary.per_second, 3), "steal": stolen,
            "steady_per_second": steady_rate(marks, written),
            "first_results_seconds": round(marks[0][0], 2) if marks else None,
            "cpu_ms_per_document": round(cpu / written * 1000, 1),
            "cpu_ms_per_document_by_kind": {kind: round(value / written * 1000, 1) for kind, value in kinds.items()}}


def machine_ticks() -> list[int]:
    """The machine's CPU time so far by state, from /proc/stat: user … steal (the first eight columns)."""
    with open("/proc/stat", encoding="ascii") as handle:
        return [int(value) for value in handle.readline().split()[1:9]]


def stolen_share(before: list[int], after: list[int]) -> float:
    """The share of the machine's CPU time the hypervisor gave to other machines (steal) between two readings."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return round(spent[7] / max(1, sum(spent)), 3)


def converters_at_once(shares: list[list[Path]]) -> dict:
    """One warm converter per share, all converting at once (threads of this process), nothing else.

    What the machine itself gives for that many LibreOffices side by side: on a virtual machine whose
    host is shared, two vCPUs busy at once may not give twice one (the host takes some back as steal
    time). The batch's ratio to this is what the batch's own code loses; the target is held to the lone
    converter times workers all the same.
    """
    from engine.convert import PdfConverter

    documents = [[path.read_bytes() for path in share] for share in shares]
    converters = [PdfConverter() for _ in shares]
    ready = threading.Barrier(len(shares) + 1)
    finished: list[float] = []
    failures: list[str] = []

    def convert_share(converter, share: list[bytes]) -> None:
        try:
            converter.start()
            for docx in share[:3]:  # warm before the clock starts, like the lone converter
                converter.convert(docx)
        except Exception as exc:  # noqa: BLE001 - reported after the barrier
            failures.append(str(exc))
        ready.wait()
        try:
            for docx in share:
                if not converter.convert(docx).startswith(b"%PDF"):
                    failures.append("not a PDF")
        except Exception as exc:  # noqa: BLE001 - reported when all have ended
            failures.append(str(exc))
        finished.append(time.perf_counter())

    threads = [threading.Thread(target=convert_share, args=pair) for pair in zip(converters, documents, strict=True)]
    try:
        for thread in threads:
            thread.start()
        ready.wait()
        start, ticks = time.perf_counter(), machine_ticks()
        for thread in threads:
            thread.join()
        stolen = stolen_share(ticks, machine_ticks())
    finally:
        for converter in converters:
            converter.close()
    if failures:
        raise SystemExit(f"converters at once: {failures[0]}")
    count = sum(len(share) for share in documents)
    seconds = max(finished) - start
    return {"converters": len(shares), "documents": count, "seconds": round(seconds, 2),
            "documents_per_second": round(count / seconds, 3), "steal": stolen}


def prerender(units: Path, folder: Path, workers: int) -> list[Path]:
    """The batch's own documents as .docx (what the baseline converts)."""
    from engine.batch import run_batch

    summary = run_batch(SPEC, units, folder, workers=workers)
    if summary.count("ok") != len(summary.results):
        raise SystemExit("pre-render: some units failed")
    return sorted(folder.glob("*.docx"))


def run(documents: int, baseline_documents: int, rounds: int, workers: int, folder: Path,
        progress=None) -> dict:
    from engine.convert import pdf_available

    if not pdf_available():
        return {"skipped": "needs LibreOffice and python3-uno"}
    units = write_units(folder / "don_vi.csv", documents)
    docx_files = prerender(units, folder / "docx", workers)
    # Spread over the batch (every workers-th document for a worker's share), like a worker's own documents.
    sample = docx_files[:: max(1, len(docx_files) // baseline_documents)][:baseline_documents]
    each = []
    for number in range(1, rounds + 1):
        together = converters_at_once([docx_files[i::workers] for i in range(workers)])
        if progress:
            progress(f"round {number}: {workers} converters at once {together['documents_per_second']}/s")
        lone_documents = [path.read_bytes() for path in sample]
        half = (len(lone_documents) + 1) // 2
        out = folder / f"lo-{number}"
        with LoneConverter(lone_documents) as lone:
            lone.timed(lone_documents[:half])  # before the batch ...
            whole = batch(units, out, workers)
            if lone_documents[half:]:
                lone.timed(lone_documents[half:])  # ... and after it, the same office
            alone = lone.rate()
        if progress:
            progress(f"round {number}: one converter alone {alone['documents_per_second']}/s "
                     f"(before the batch {alone['parts_per_second'][0]}/s, after {alone['parts_per_second'][-1]}/s)")
        ratio = whole["documents_per_second"] / (workers * alone["documents_per_second"])
        each.append({"round": number, "baseline": alone, "at_once": together, "batch": whole, "ratio": round(ratio, 3),
                     # What the machine gives for workers converters side by side, and the batch against that.
                     "machine_scaling": round(together["documents_per_second"]
                                              / (workers * alone["documents_per_second"]), 3),
                     "ratio_to_at_once": round(whole["documents_per_second"] / together["documents_per_second"], 3),
                     # The batch between 10 % and 90 % done, against the same baseline: its ends left out.
                     "steady_ratio": None if whole["steady_per_second"] is None else
                     round(whole["steady_per_second"] / (workers * alone["documents_per_second"]), 3),
                     # On a machine shared with other work the scheduler, not the code, sets each side's share
                     # of the cores; CPU per document is what the code decides (an estimate of the ratio on an
                     # idle machine with as many workers as cores, not the measured one).
                     "cpu_ratio": round(alone["cpu_ms_per_document"] / whole["cpu_ms_per_document"], 3),
                     "load_average": round(os.getloadavg()[0], 2)})
        if progress:
            progress(f"round {number}: batch {whole['documents_per_second']}/s, ratio {ratio:.3f}")
        for path in out.iterdir():  # keep the disk use to one batch
            path.unlink()
        out.rmdir()

    def span(values: list[float]) -> list[float]:
        return [min(values), statistics.median(values), max(values)]

    # Rounds whose batch gave too few progress reports for these have none (a batch of a few units).
    steady = [r["steady_ratio"] for r in each if r["steady_ratio"] is not None]
    firsts = [r["batch"]["first_results_seconds"] for r in each if r["batch"]["first_results_seconds"] is not None]

    return {
        "documents": documents, "baseline_documents": len(sample), "workers": workers, "rounds": rounds,
        "cores": os.cpu_count(),
        "baseline_per_second": span([r["baseline"]["documents_per_second"] for r in each]),
        "workers_times_baseline_per_second": span([workers * r["baseline"]["documents_per_second"] for r in each]),
        "batch_per_second": span([r["batch"]["documents_per_second"] for r in each]),
        "ratio": span([r["ratio"] for r in each]),  # min, median, max over the rounds
        "at_once_per_second": span([r["at_once"]["documents_per_second"] for r in each]),
        "machine_scaling": span([r["machine_scaling"] for r in each]),
        "ratio_to_at_once": span([r["ratio_to_at_once"] for r in each]),
        "steady_ratio": span(steady) if steady else None,
        "first_results_seconds": span(firsts) if firsts else None,
        "steal": {phase: span([r[phase]["steal"] for r in each]) for phase in ("baseline", "at_once", "batch")},
        "cpu_ratio": span([r["cpu_ratio"] for r in each]),
        "load_average": span([r["load_average"] for r in each]),
        "target": 0.9,
        "each_round": each,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="100 documents, 2 rounds")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="batch workers (default: cores)")
    parser.add_argument("--documents", type=int, default=None, help="units in the batch (default 1,000)")
    parser.add_argument("--baseline-documents", type=int, default=None,
                        help="documents the lone converter converts each round (default: a worker's share)")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 3)")
    args = parser.parse_args()
    documents = args.documents or (100 if args.quick else 1000)
    alone = min(documents, args.baseline_documents or max(1, documents // args.jobs))
    rounds = args.rounds or (2 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="vanban-pdf-batch-") as tmp:
        result = run(documents, alone, rounds, args.jobs, Path(tmp),
                     progress=None if args.json else (lambda line: print(line, flush=True)))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if "skipped" in result:
        print(f"pdf batch: skipped ({result['skipped']})")
        return

    def show(values: list[float]) -> str:
        return f"{values[0]:.2f}–{values[2]:.2f} (median {values[1]:.2f})"

    print(f"{result['documents']} documents, {result['workers']} workers on {result['cores']} cores, "
          f"{result['rounds']} rounds; the lone converter converts {result['baseline_documents']} "
          f"of the same documents each round")
    print(f"one warm converter alone: {show(result['baseline_per_second'])} documents/s")
    print(f"workers × that:           {show(result['workers_times_baseline_per_second'])} documents/s")
    print(f"batch --pdf:              {show(result['batch_per_second'])} documents/s")
    print(f"ratio per round:          {show(result['ratio'])} (target ≥ {result['target']})")
    print(f"{result['workers']} converters at once:    {show(result['at_once_per_second'])} documents/s, "
          f"{show(result['machine_scaling'])} × workers × one alone (what the machine gives)")
    print(f"batch / converters at once: {show(result['ratio_to_at_once'])} (what the batch's own work costs)")
    if result["steady_ratio"] is not None:
        print(f"batch from 10 % to 90 % done: {show(result['steady_ratio'])} × workers × one alone (its start and "
              "end left out)")
    if result["first_results_seconds"] is not None:
        print(f"first results of the batch after: {show(result['first_results_seconds'])} s (offices starting, "
              "the first chunk)")
    print("steal (CPU the host gave to other machines): "
          + ", ".join(f"{phase} {show(values)}" for phase, values in result["steal"].items()))
    print(f"CPU per document, alone over batch: {show(result['cpu_ratio'])}; load average after each round: "
          f"{show(result['load_average'])}")
    for r in result["each_round"]:
        print(f"  round {r['round']}: CPU ms per document: converter alone {r['baseline']['cpu_ms_per_document']} "
              f"{r['baseline']['cpu_ms_per_document_by_kind']}, batch {r['batch']['cpu_ms_per_document']} "
              f"{r['batch']['cpu_ms_per_document_by_kind']}")


if __name__ == "__main__":
    main()
