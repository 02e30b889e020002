"""Drive a real `vanban serve` on 127.0.0.1 with concurrent clients and compare with the engine on its own, in one run.

    python benchmarks/serve_load.py                    # 60 s mixed load, 50 clients
    python benchmarks/serve_load.py --duration 300     # the README figures (five minutes)
    python benchmarks/serve_load.py --fault            # also kill a LibreOffice and a render worker mid-run

Phases, one after the other, so that none takes CPU from another (2 cores here):
1. PDF baseline: the document converted by ``pdf_converters`` warm LibreOffice converters on their own;
2. the server started (``--workers``, ``--pdf-converters``); then ``--rounds`` rounds, each the same
   document rendered in process by ``workers`` processes in a loop (the engine's batch path; the server
   idle), then docx-only load over HTTP at ``--clients`` concurrent clients: the ratio of each round
   and their median (this machine's speed drifts by a third within minutes, so the two are alternated);
   then PDF-only load over HTTP against (1); ``--phase-seconds`` per load phase;
3. mixed load for ``--duration`` seconds (60 % docx renders, 15 % PDF renders, 25 % validations):
   requests per second by kind, p50/p95/p99 latency, errors by status, the server's memory (RSS of the
   server process and of all its processes) at each minute; with ``--fault``, a LibreOffice is killed at
   a third of the run and a render worker at two thirds.
Prints one JSON object. The document is the fixture son_la_2023_q1 (a báo cáo with its figures), its data
inline in a JSON spec. Only 127.0.0.1 is ever contacted; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402

MIX = (("docx", 0.60), ("pdf", 0.15), ("validate", 0.25))


def inline_spec(folder: Path) -> dict:
    """A fixture's spec as a program sends it as JSON: its YAML data files written inline (numbers as JSON numbers)."""
    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    for name, source in list(spec.get("du_lieu", {}).items()):
        if isinstance(source, str):
            spec["du_lieu"][name] = yaml.safe_load((folder / source).read_text(encoding="utf-8"))
    for scoring in spec.get("cham_diem", {}).values():
        if isinstance(scoring["du_lieu"], str) and scoring["du_lieu"].endswith(".yaml"):
            scoring["du_lieu"] = yaml.safe_load((folder / scoring["du_lieu"]).read_text(encoding="utf-8"))
    return spec


def document_spec() -> dict:
    """The load's document: fixture son_la_2023_q1 with its data inline, as JSON would carry it."""
    return json.loads(json.dumps(inline_spec(ROOT / "fixtures" / "son_la_2023_q1"), default=str))


# ----- phase 1: the engine on its own ---------------------------------------------------------------


def _render_for(seconds: float, spec: dict) -> int:
    from engine import pipeline

    pipeline.render(spec)  # the one-off compile, as a batch worker pays it once
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        pipeline.render(spec)
        done += 1
    return done


def batch_baseline(pool: ProcessPoolExecutor, spec: dict, workers: int, seconds: float) -> float:
    counts = list(pool.map(_render_for, [seconds] * workers, [spec] * workers))
    return sum(counts) / seconds


def converter_baseline(spec: dict, converters: int, seconds: float) -> float:
    from engine import pipeline
    from engine.convert import PdfConverter

    docx = pipeline.render(spec)
    pool = [PdfConverter() for _ in range(converters)]
    try:
        for converter in pool:
            converter.convert(docx)  # warm

        def convert_for(converter: PdfConverter) -> int:
            done, deadline = 0, time.monotonic() + seconds
            while time.monotonic() < deadline:
                converter.convert(docx)
                done += 1
            return done

        with ThreadPoolExecutor(converters) as threads:
            counts = list(threads.map(convert_for, pool))
    finally:
        for converter in pool:
            converter.close()
    return sum(counts) / seconds


# ----- the server -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workers: int, converters: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "engine", "serve", "--port", str(port), "--workers", str(workers),
                                "--pdf-converters", str(converters)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not become ready in 120 s")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))):
            parents[int(entry)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# ----- load -------------------------------------------------------------------------------------------


class RawClient:
    """A lean HTTP/1.1 keep-alive client on asyncio streams: one connection, one request at a time.

    The load generator shares the machine with the server; httpx spent 7 ms of CPU per request here (more
    than the server itself), this spends a fraction of one. It reads what our server sends: a status line,
    headers with Content-Length, the body.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("ascii")
        self.writer.write(head + body)
        await self.writer.drain()
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        pairs = (line.partition(":") for line in lines[1:] if line)
        headers = {name.lower(): value.strip() for name, _, value in pairs}
        content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def load(url: str, spec: dict, clients: int, seconds: float, mix: tuple, *, server_pid: int,
               fault: bool = False) -> dict:
    """``clients`` concurrent clients sending requests of ``mix`` for ``seconds``; the figures of the phase."""
    records: list[tuple[str, int | str, float]] = []
    rss: list[dict] = []
    faults: list[dict] = []
    deadline = time.monotonic() + seconds
    kinds, weights = zip(*mix, strict=True)
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"spec": spec}, ensure_ascii=False).encode("utf-8")
    paths = {"docx": "/v1/render", "pdf": "/v1/render?formats=pdf", "validate": "/v1/validate"}

    async def one_client(seed: int) -> None:
        chooser = random.Random(seed)
        client = RawClient(host, int(port))
        try:
            while time.monotonic() < deadline:
                kind = chooser.choices(kinds, weights)[0]
                started = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(client.post(paths[kind], body), 300)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
                    status = type(exc).__name__
                    await client.close()
                records.append((kind, status, time.perf_counter() - started))
        finally:
            await client.close()

    async def watch() -> None:
        began = time.monotonic()
        minute = 1
        fault_times = [("libreoffice", seconds / 3), ("render_worker", 2 * seconds / 3)] if fault else []
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            elapsed = time.monotonic() - began
            if elapsed >= 60 * minute or (time.monotonic() >= deadline - 0.5 and minute == 1 and seconds < 60):
                family = [server_pid, *descendants(server_pid)]
                rss.append({"minute": minute, "server_mb": round(rss_mb(server_pid), 1),
                            "all_processes_mb": round(sum(rss_mb(pid) for pid in family), 1)})
                minute += 1
            if fault_times and elapsed >= fault_times[0][1]:
                what, _ = fault_times.pop(0)
                faults.append({"killed": what, "at_s": round(elapsed, 1), "pid": kill_one(server_pid, what)})

    await asyncio.gather(watch(), *(one_client(seed) for seed in range(clients)))
    return summarise(records, seconds, rss, faults)


def kill_one(server_pid: int, what: str) -> int | None:
    for pid in descendants(server_pid):
        command = command_of(pid)
        if what == "libreoffice" and "soffice" in command:
            os.kill(pid, signal.SIGKILL)
            return pid
        if what == "render_worker" and "multiprocessing" in command and "resource_tracker" not in command:
            os.kill(pid, signal.SIGKILL)
            return pid
    return None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def summarise(records: list, seconds: float, rss: list, faults: list) -> dict:
    """Requests, throughput and latency by kind; errors by status (or by the exception a connection met)."""
    by_kind: dict[str, dict] = {}
    for kind in sorted({record[0] for record in records}):
        ok = [latency for k, status, latency in records if k == kind and status == 200]
        by_kind[kind] = {"requests": sum(1 for record in records if record[0] == kind), "ok": len(ok),
                         "per_second": round(len(ok) / seconds, 2),
                         "p50_ms": round(statistics.median(ok) * 1000, 1) if ok else None,
                         "p95_ms": round(_percentile(ok, 0.95) * 1000, 1),
                         "p99_ms": round(_percentile(ok, 0.99) * 1000, 1)}
    errors: dict[str, int] = {}
    for _, status, _ in records:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return {"seconds": seconds, "by_kind": by_kind, "errors_by_status": errors, "rss_by_minute": rss,
            "faults": faults}


def metric(url: str, name: str) -> float:
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of mixed load (300 for the README)")
    parser.add_argument("--phase-seconds", type=float, default=30, help="seconds of each single-kind phase")
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of in-process and HTTP docx")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--pdf-converters", type=int, default=1)
    parser.add_argument("--fault", action="store_true", help="kill a LibreOffice and a render worker mid-run")
    args = parser.parse_args()

    spec = document_spec()
    results: dict = {"clients": args.clients, "workers": args.workers, "pdf_converters": args.pdf_converters,
                     "cores": len(os.sched_getaffinity(0))}
    import multiprocessing

    converters_alone = converter_baseline(spec, args.pdf_converters, args.baseline_seconds)
    batch_pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
    batch_baseline(batch_pool, spec, args.workers, 1)  # start and warm the in-process workers
    server, url = start_server(args.workers, args.pdf_converters)
    rounds = []
    try:
        for _ in range(args.rounds):
            alone = batch_baseline(batch_pool, spec, args.workers, args.baseline_seconds)
            over_http = asyncio.run(load(url, spec, args.clients, args.phase_seconds / args.rounds,
                                         (("docx", 1.0),), server_pid=server.pid))
            rounds.append({"batch_docx_per_second": round(alone, 2),
                           "http_docx_per_second": over_http["by_kind"]["docx"]["per_second"],
                           "ratio": round(over_http["by_kind"]["docx"]["per_second"] / alone, 3),
                           "errors_by_status": over_http["errors_by_status"],
                           "p50_ms": over_http["by_kind"]["docx"]["p50_ms"],
                           "p99_ms": over_http["by_kind"]["docx"]["p99_ms"]})
        batch_pool.shutdown()
        pdf = asyncio.run(load(url, spec, args.clients, args.phase_seconds, (("pdf", 1.0),), server_pid=server.pid))
        mixed = asyncio.run(load(url, spec, args.clients, args.duration, MIX, server_pid=server.pid, fault=args.fault))
        mixed["worker_restarts"] = metric(url, "vanban_worker_restarts_total")
        mixed["converter_restarts"] = metric(url, "vanban_converter_restarts_total")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=90)
        except subprocess.TimeoutExpired:
            server.kill()
    results["baseline"] = {"converters_pdf_per_second": round(converters_alone, 2)}
    results["phases"] = {"docx_rounds": rounds, "pdf_only": pdf, "mixed": mixed}
    rss = mixed["rss_by_minute"]
    failed = sum(sum(item["errors_by_status"].values()) for item in (*rounds, pdf, mixed))
    results["ratios"] = {
        "http_docx_over_batch_median": statistics.median(item["ratio"] for item in rounds),
        "http_docx_over_batch_each_round": [item["ratio"] for item in rounds],
        "http_pdf_over_converters": round(pdf["by_kind"]["pdf"]["per_second"] / converters_alone, 3),
        "rss_last_over_first_minute": round(rss[-1]["server_mb"] / rss[0]["server_mb"], 3) if rss else None,
        "failed_requests": failed,
    }
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
