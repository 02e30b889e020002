"""A batch on a Dask LocalCluster (``batch --cum-may``) against the same batch on local processes, in one run.

    python benchmarks/cluster_batch.py            # 2,000 units, 3 rounds, a killed-worker run; a summary
    python benchmarks/cluster_batch.py --json     # the same as one JSON object
    python benchmarks/cluster_batch.py --quick    # 300 units, 1 round (for development)
    python benchmarks/cluster_batch.py --units 2000 --rounds 5 --workers 2 --no-kill

The target (issue 17): a Dask ``LocalCluster`` batch of 2,000 units gives the same files as the local
batch, and a killed worker costs no unit. Each round runs, one after the other on the same machine
(its speed drifts by a third within minutes, so the two alternate, the order swapped every round):

- local: :func:`engine.batch.run_batch` with ``--workers`` processes into an empty folder;
- cluster: :func:`engine.cluster.run_batch_on_cluster` into another empty folder, on a LocalCluster of
  ``--workers`` worker processes with one thread each, started once before the rounds (its start-up is
  printed, not counted: a cluster is started once and serves many batches).

Both wall times include everything the user waits for (planning, rendering, writes, the report). Every
round checks the two folders hold the same files, byte for byte, and the same ket_qua_lo.json (but the
seconds). The killed-worker run (not with ``--no-kill``) renders the units once more on the cluster and
SIGKILLs a worker process that holds a chunk once a quarter of the units are done; it reports how many
units came back, whether any was counted twice, and whether the files are again the same. The documents
are fixtures/lo_xa_2026_01's one-page công văn, each unit with its own figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOT = ROOT / "fixtures" / "lo_xa_2026_01"


def write_units(path: Path, count: int) -> Path:
    rows = ["ma,ten,kinh_gui,diem,hang,so_xa,tien_do"]
    for i in range(1, count + 1):
        rows.append(f'xa_{i:05d},xã Số {i},Ủy ban nhân dân xã Số {i},"{50 + i % 50},{i % 10}",{i},{count},'
                    f'"9{i % 10},5"')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def folder_state(out: Path) -> tuple[dict[str, bytes], list[dict]]:
    """Every file of a batch's folder, and its report's units without their seconds."""
    from engine.batch import REPORT

    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != REPORT}
    units = json.loads((out / REPORT).read_text(encoding="utf-8"))["don_vi"]
    return files, [{k: v for k, v in unit.items() if k != "seconds"} for unit in units]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-kill", action="store_true", help="skip the killed-worker run")
    parser.add_argument("--quick", action="store_true", help="300 units, 1 round")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.units, args.rounds = 300, 1

    import distributed

    from engine.batch import run_batch
    from engine.cluster import quiet_dask_logging, run_batch_on_cluster

    quiet_dask_logging()
    work = Path(tempfile.mkdtemp(prefix="vanban-cluster-bench-"))
    try:
        shutil.copytree(LOT, work / "lo")
        spec = work / "lo" / "spec.yaml"
        units = write_units(work / "lo" / "don_vi.csv", args.units)
        started = time.perf_counter()
        cluster = distributed.LocalCluster(processes=True, n_workers=args.workers, threads_per_worker=1,
                                           dashboard_address="127.0.0.1:0")
        startup = time.perf_counter() - started
        rounds = []
        with cluster:
            for number in range(args.rounds):
                order = ("local", "cluster") if number % 2 == 0 else ("cluster", "local")
                seconds, outs = {}, {}
                for side in order:
                    out = work / f"{side}_{number}"
                    begin = time.perf_counter()
                    if side == "local":
                        summary = run_batch(spec, units, out, workers=args.workers)
                    else:
                        summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, out)
                    seconds[side] = time.perf_counter() - begin
                    assert summary.count("ok") == args.units, (side, summary.count("ok"))
                    outs[side] = out
                same = folder_state(outs["local"]) == folder_state(outs["cluster"])
                rounds.append({"order": list(order), "local_seconds": round(seconds["local"], 3),
                               "cluster_seconds": round(seconds["cluster"], 3),
                               "local_docs_per_s": round(args.units / seconds["local"], 1),
                               "cluster_docs_per_s": round(args.units / seconds["cluster"], 1),
                               "cluster_over_local": round(seconds["local"] / seconds["cluster"], 3),
                               "same_files_and_report": same})
                reference = outs["local"]
                shutil.rmtree(outs["cluster"])
                if number < args.rounds - 1:
                    shutil.rmtree(reference)
            killed_run = None if args.no_kill else kill_run(distributed, cluster, spec, units, work, reference,
                                                            args.units, run_batch_on_cluster)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ratios = [r["cluster_over_local"] for r in rounds]
    result = {
        "units": args.units, "workers": args.workers, "threads_per_worker": 1,
        "cluster_startup_seconds": round(startup, 2),
        "rounds": rounds,
        "local_docs_per_s": [min(r["local_docs_per_s"] for r in rounds), max(r["local_docs_per_s"] for r in rounds)],
        "cluster_docs_per_s": [min(r["cluster_docs_per_s"] for r in rounds),
                               max(r["cluster_docs_per_s"] for r in rounds)],
        "cluster_rate_over_local": {"median": statistics.median(ratios), "lowest": min(ratios),
                                    "highest": max(ratios)},
        "all_rounds_same_files": all(r["same_files_and_report"] for r in rounds),
        "killed_worker": killed_run,
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(f"{args.units} units, {args.workers} workers (LocalCluster: processes, 1 thread each; "
          f"start-up {startup:.1f} s, not counted)")
    for r in rounds:
        print(f"  round {'/'.join(r['order'])}: local {r['local_docs_per_s']} docs/s, cluster "
              f"{r['cluster_docs_per_s']} docs/s (cluster/local {r['cluster_over_local']}), "
              f"same files and report: {r['same_files_and_report']}")
    print(f"cluster/local rate: median {statistics.median(ratios):.2f}, {min(ratios):.2f}–{max(ratios):.2f}")
    if killed_run:
        print(f"killed worker: {json.dumps(killed_run, ensure_ascii=False)}")


def kill_run(distributed, cluster, spec: Path, units: Path, work: Path, reference: Path, count: int,
             run_batch_on_cluster) -> dict:
    """The batch on the cluster again, SIGKILLing a worker that holds a chunk a quarter of the way in."""
    killed: dict = {}
    with distributed.Client(cluster, set_as_default=False) as watcher:
        pids = watcher.run(os.getpid)
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if killed or done < count // 4:
                return
            busy = sorted(worker for worker, keys in watcher.processing().items() if keys)
            if busy:
                killed.update(worker=busy[0], after_units=done)
                os.kill(pids[busy[0]], signal.SIGKILL)

        out = work / "killed"
        begin = time.perf_counter()
        summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, out, progress=progress)
        seconds = time.perf_counter() - begin
    names = [r.ma for r in summary.results]
    return {"killed_after_units": killed.get("after_units"), "units_back": len(names),
            "units_ok": summary.count("ok"), "counted_twice": len(names) - len(set(names)),
            "same_files_and_report_as_local": folder_state(out) == folder_state(reference),
            "seconds": round(seconds, 2), "docs_per_s": round(count / seconds, 1)}


if __name__ == "__main__":
    main()
