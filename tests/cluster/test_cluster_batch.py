"""batch --cum-may: the same batch on a Dask cluster (a LocalCluster of worker processes here).

The same files byte for byte and the same report as a local batch; a worker killed mid-run costs no
unit and renders none twice; resume works the same; an unreachable scheduler, a missing Dask and an
unfit worker are clear errors.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.batch import REPORT, run_batch
from engine.cli import main
from engine.errors import ClusterError
from tests.conftest import FIXTURES, ROOT

distributed = pytest.importorskip("distributed", reason="Dask is the [cum] extra: pip install -e '.[dev]' has it")

LO = FIXTURES / "lo_xa_2026_01"
UNITS = 300


def write_units(folder: Path, count: int, *, changed: dict[int, str] | None = None) -> Path:
    path = folder / "don_vi.csv"
    rows = ["ma,ten,kinh_gui,diem,hang,so_xa,tien_do"]
    for i in range(1, count + 1):
        diem = (changed or {}).get(i, f"{50 + i % 50},{i % 10}")
        rows.append(f'xa_{i:04d},xã Số {i},Ủy ban nhân dân xã Số {i},"{diem}",{i},{count},"9{i % 10},5"')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def local_cluster():
    # The dashboard on a free port: the default 8787 may be taken by another cluster on this machine.
    return distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0")


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def lot(tmp_path_factory: pytest.TempPathFactory):
    """The batch's folder, its units file, and the local batch's output (the reference)."""
    folder = tmp_path_factory.mktemp("lo") / "lo"
    shutil.copytree(LO, folder)
    units = write_units(folder, UNITS)
    local = folder.parent / "local"
    summary = run_batch(folder / "spec.yaml", units, local, workers=2)
    assert summary.count("ok") == UNITS
    return folder / "spec.yaml", units, local


def documents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != REPORT}


def report_units(out: Path) -> list[dict]:
    units = json.loads((out / REPORT).read_text(encoding="utf-8"))["don_vi"]
    return [{k: v for k, v in unit.items() if k != "seconds"} for unit in units]


def test_a_cluster_batch_writes_the_same_files_byte_for_byte_and_the_same_report_as_a_local_batch(
        cluster, lot, tmp_path: Path) -> None:
    from engine.cluster import run_batch_on_cluster

    spec, units, local = lot
    seen: list[int] = []
    summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, tmp_path / "out", progress=seen.append)
    assert summary.count("ok") == UNITS and sum(seen) == UNITS
    assert documents(tmp_path / "out") == documents(local)
    assert report_units(tmp_path / "out") == report_units(local)


def test_the_client_s_source_date_epoch_dates_a_draft_on_every_worker(cluster, lot, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # The workers were started without it; a draft (no day) takes its date from it, here and there.
    from engine.cluster import run_batch_on_cluster
    from engine.info import describe

    spec, _, _ = lot
    units = write_units(tmp_path, 20)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    run_batch(spec, units, tmp_path / "local", workers=1)
    run_batch_on_cluster(cluster.scheduler_address, spec, units, tmp_path / "out")
    assert documents(tmp_path / "out") == documents(tmp_path / "local")
    described = describe((tmp_path / "out" / "xa_0001.docx").read_bytes(), "xa_0001.docx")
    assert "2026-01-01" in json.dumps(described.as_dict(), default=str)


def test_a_worker_killed_mid_run_costs_no_unit_and_renders_none_twice(lot, tmp_path: Path) -> None:
    from engine.cluster import run_batch_on_cluster

    spec, units, local = lot
    killed: dict[str, object] = {}
    with local_cluster() as c, \
            distributed.Client(c, set_as_default=False) as watcher:
        pids = watcher.run(os.getpid)
        done = 0

        def progress(count: int) -> None:
            nonlocal done
            done += count
            if killed or done < 48:
                return
            busy = {worker: keys for worker, keys in watcher.processing().items() if keys}
            if busy:  # a worker holding a chunk right now
                worker = sorted(busy)[0]
                killed.update(worker=worker, holding=len(busy[worker]), done=done)
                os.kill(pids[worker], signal.SIGKILL)

        summary = run_batch_on_cluster(c.scheduler_address, spec, units, tmp_path / "out", progress=progress)
        assert killed and killed["done"] < UNITS and killed["holding"] >= 1  # killed while it held work
        assert done == UNITS
        with pytest.raises(ProcessLookupError):
            os.kill(pids[killed["worker"]], 0)
    assert summary.count("ok") == UNITS and len(summary.results) == UNITS
    assert sorted(r.ma for r in summary.results) == [f"xa_{i:04d}" for i in range(1, UNITS + 1)]  # each once
    out = tmp_path / "out"
    assert documents(out) == documents(local)  # nothing lost, nothing half-written, no temporary file left
    assert report_units(out) == report_units(local)


def test_a_resumed_cluster_batch_skips_unchanged_units_and_renders_the_changed_ones(cluster, lot,
                                                                                   tmp_path: Path) -> None:
    from engine.cluster import run_batch_on_cluster

    spec, _, _ = lot
    units = write_units(tmp_path, 40)
    out = tmp_path / "out"
    run_batch_on_cluster(cluster.scheduler_address, spec, units, out)
    write_units(tmp_path, 40, changed={7: "12,5", 30: "99,9"})
    summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, out)
    assert (summary.count("ok"), summary.count("bo_qua")) == (2, 38)
    assert [r.ma for r in summary.results if r.status == "ok"] == ["xa_0007", "xa_0030"]
    assert summary.plan_message() == "2 đơn vị dựng lại vì dữ liệu đơn vị đã đổi; 38 bỏ qua vì không đổi"
    run_batch(spec, units, tmp_path / "local", workers=1)
    assert documents(out) == documents(tmp_path / "local")


def test_the_cli_runs_a_batch_on_the_cluster_with_the_local_summary(cluster, lot, tmp_path: Path) -> None:
    spec, _, _ = lot
    units = write_units(tmp_path, 20)
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(units), "--out", str(out),
                                    "--cum-may", cluster.scheduler_address])
    assert run.exit_code == 0, run.output
    assert "Xong 20 đơn vị" in run.output and "20 đã dựng, 0 lỗi, 0 bỏ qua" in run.output
    again = CliRunner().invoke(main, ["batch", str(spec), "--data", str(units), "--out", str(out),
                                      "--cluster", cluster.scheduler_address])
    assert again.exit_code == 0 and "0 đã dựng, 0 lỗi, 20 bỏ qua" in again.output


def test_an_unreachable_scheduler_is_a_clear_error_and_nothing_is_written(lot, tmp_path: Path) -> None:
    import socket

    spec, _, _ = lot
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(LO / "don_vi.csv"), "--out", str(out),
                                    "--cum-may", f"tcp://127.0.0.1:{port}", "--cho-ket-noi", "1"])
    assert run.exit_code == 12, run.output
    assert f"không kết nối được bộ lập lịch Dask ở tcp://127.0.0.1:{port} sau 1 giây [CLUSTER_CONNECT]" in run.output
    assert "dask scheduler" in run.output and "Traceback" not in run.output
    assert not out.exists()


def test_an_empty_or_unreadable_address_is_refused_before_any_connection(lot, tmp_path: Path) -> None:
    spec, _, _ = lot
    for address, said in (("", "địa chỉ bộ lập lịch trống"), ("udp://x:1", "không đọc được")):
        run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(LO / "don_vi.csv"),
                                        "--out", str(tmp_path / "out"), "--cum-may", address])
        assert run.exit_code == 12 and said in run.output and "[CLUSTER_CONNECT]" in run.output, run.output


def test_without_dask_the_error_says_which_extra_to_install(lot, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, _ = lot
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError, as when not installed
    run = CliRunner().invoke(main, ["batch", str(spec), "--data", str(LO / "don_vi.csv"), "--out",
                                    str(tmp_path / "out"), "--cum-may", "tcp://127.0.0.1:8786"])
    assert run.exit_code == 12, run.output
    assert "chưa cài Dask distributed" in run.output and "pip install 'vanban-engine[cum]'" in run.output
    assert "[CLUSTER_UNAVAILABLE]" in run.output and "Traceback" not in run.output


def test_a_worker_with_another_engine_version_is_named_before_any_unit_is_sent(
        cluster, lot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.cluster as on_cluster

    spec, units, _ = lot
    real = on_cluster._installation()
    # The workers answer with the real installation; the client here claims another version.
    monkeypatch.setattr(on_cluster, "_installation", lambda: {**real, "version": "9.9.9"})
    with pytest.raises(ClusterError) as raised:
        on_cluster.run_batch_on_cluster(cluster.scheduler_address, spec, units, tmp_path / "out")
    problems = raised.value.problems
    assert len(problems) == 2 and all(p.code == "CLUSTER_WORKER" for p in problems)
    assert all(f"có vanban-engine {real['version']}, máy chạy lệnh có 9.9.9" in p.message for p in problems)
    assert not (tmp_path / "out").exists()


def test_a_worker_that_reads_another_spec_or_misses_the_output_folder_refuses_the_chunk(lot, tmp_path: Path) -> None:
    # What a worker checks on its first chunk of a batch (a worker that joined after the first check too).
    from engine.batch import spec_record
    from engine.cluster import _installation, _Task, render_chunk
    from engine.trust.limits import current_limits

    spec, _, _ = lot
    mine = _installation()
    job = ({"ma": "xa_0001", "ten": "xã", "kinh_gui": "UBND xã", "diem": "1", "hang": "1", "so_xa": "1",
            "tien_do": "1"}, None, "")
    out = tmp_path / "out"
    out.mkdir()
    setup = (spec.resolve(), out, (".docx",), (), "don_vi.csv")
    good = spec_record(spec)[1].sha256

    def task(**changes) -> _Task:
        fields = dict(setup=setup, spec_sha256=good, version=mine["version"], digest=mine["digest"],
                      limits=current_limits(), batch_id="b", source_date_epoch=None)
        fields.update(changes)
        return _Task(**fields)

    other_spec = render_chunk(task(spec_sha256="0" * 64), [job])
    assert other_spec.problem["code"] == "CLUSTER_WORKER" and "tệp đặc tả khác" in other_spec.problem["message"]
    no_folder = render_chunk(task(setup=(setup[0], tmp_path / "khong_co", *setup[2:])), [job])
    assert "không thấy thư mục kết quả" in no_folder.problem["message"]
    other_templates = render_chunk(task(digest="1" * 64), [job])
    assert "mẫu hoặc bộ tiêu chí có sẵn" in other_templates.problem["message"]
    assert os.listdir(out) == []  # none of them rendered anything
    fine = render_chunk(task(), [job])
    assert fine.problem is None and [r.status for r in fine.results] == ["ok"]


def test_importing_the_engine_does_not_import_dask() -> None:
    code = ("import sys, engine, engine.batch, engine.cli, engine.cluster; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


def test_ctrl_c_on_the_cluster_hands_out_no_more_chunks_and_every_file_written_is_in_the_report(
        cluster, lot, tmp_path: Path) -> None:
    from engine.cluster import run_batch_on_cluster

    spec, _, _ = lot
    units = write_units(tmp_path, 200)
    out = tmp_path / "out"
    pressed = []

    def progress(count: int) -> None:
        if not pressed:  # the first chunk back: as if the user pressed Ctrl-C now
            pressed.append(count)
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        run_batch_on_cluster(cluster.scheduler_address, spec, units, out, progress=progress)
    reported = {name for unit in report_units(out) for name in unit["files"]}
    assert 16 <= len(reported) < 200  # the chunks under way were finished, the rest never handed out
    assert set(documents(out)) == reported  # no file the report does not know, no temporary file
    summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, out)
    assert (summary.count("ok"), summary.count("bo_qua")) == (200 - len(reported), len(reported))
    run_batch(spec, units, tmp_path / "local", workers=1)
    assert documents(out) == documents(tmp_path / "local")


def test_the_readme_s_commands_run_a_batch_on_a_separate_scheduler_and_workers_started_elsewhere(
        tmp_path: Path) -> None:
    # `dask scheduler`, `dask worker ADDRESS`, `vanban batch … --cum-may ADDRESS` as separate programs;
    # the workers run in another folder, the batch is given paths relative to its own.
    import time

    bin_dir = Path(sys.executable).parent
    shutil.copytree(LO, tmp_path / "lo")
    spec = tmp_path / "lo" / "spec.yaml"
    units = write_units(spec.parent, 40)
    local = tmp_path / "local"
    run_batch(spec, units, local, workers=1)
    address_file = tmp_path / "scheduler.json"
    started: list[subprocess.Popen] = []
    log = (tmp_path / "dask.log").open("wb")
    try:
        started.append(subprocess.Popen(
            [bin_dir / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", address_file], stdout=log, stderr=log, cwd=tmp_path))
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text(encoding="utf-8"))["address"]
        (tmp_path / "elsewhere").mkdir()
        started.append(subprocess.Popen(
            [bin_dir / "dask", "worker", address, "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
             "--no-dashboard", "--local-directory", tmp_path / "elsewhere"],
            stdout=log, stderr=log, cwd=tmp_path / "elsewhere"))
        run = subprocess.run([bin_dir / "vanban", "batch", spec.name, "--data", units.name, "--out", "tu_cum",
                              "--cum-may", address, "--cho-ket-noi", "60"],
                             capture_output=True, text=True, cwd=spec.parent, timeout=300)
        assert run.returncode == 0, run.stderr
        assert "40 đã dựng, 0 lỗi, 0 bỏ qua" in run.stdout
        assert documents(spec.parent / "tu_cum") == documents(local)
        assert report_units(spec.parent / "tu_cum") == report_units(local)
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


def test_a_pdf_batch_on_the_cluster_writes_the_local_pdfs_and_leaves_no_office_running(cluster, lot,
                                                                                      tmp_path: Path) -> None:
    import psutil

    from engine.cluster import run_batch_on_cluster
    from engine.convert import pdf_available

    if not pdf_available():
        pytest.skip("needs LibreOffice with python3-uno: apt-get install libreoffice-writer-nogui python3-uno "
                    "(.ci/run installs them)")
    spec, _, _ = lot
    units = write_units(tmp_path, 6)
    summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, tmp_path / "out", pdf=True)
    assert summary.count("ok") == 6
    run_batch(spec, units, tmp_path / "local", pdf=True, workers=1)
    files = documents(tmp_path / "out")
    assert sorted(files) == sorted([f"xa_{i:04d}{s}" for i in range(1, 7) for s in (".docx", ".pdf")])
    assert files == documents(tmp_path / "local")
    with distributed.Client(cluster, set_as_default=False) as client:
        workers = client.run(os.getpid).values()
    offices = [child for pid in workers for child in psutil.Process(pid).children(recursive=True)]
    assert offices == []  # each worker thread's office was closed at the batch's end


def test_units_that_fail_on_the_cluster_are_reported_in_the_local_words(cluster, lot, tmp_path: Path) -> None:
    from engine.cluster import run_batch_on_cluster

    spec, _, _ = lot
    units = tmp_path / "don_vi.yaml"  # a YAML list: a unit may lack a column the spec's text uses
    units.write_text("- {ma: xa_a, ten: xã A, diem: '80,5', hang: 1, so_xa: 2, tien_do: '90,1'}\n"
                     "- {ma: xa_b, ten: xã B, hang: 2, so_xa: 2, tien_do: '90,1'}\n"
                     "- {ma: xa_c, ten: xã C, diem: '70', hang: 3, so_xa: 2, tien_do: '9', ngay.ngay: 31}\n",
                     encoding="utf-8")
    run_batch(spec, units, tmp_path / "local", workers=1)
    summary = run_batch_on_cluster(cluster.scheduler_address, spec, units, tmp_path / "out")
    assert [r.status for r in summary.results] == ["ok", "loi", "loi"]
    assert str(spec) in summary.results[1].reason  # the spec as the user named it, not the workers' path
    assert report_units(tmp_path / "out") == report_units(tmp_path / "local")


def test_a_chunk_whose_worker_keeps_dying_is_failed_units_that_only_failed_renders_again(lot, tmp_path: Path) -> None:
    import dask

    from engine.cluster import run_batch_on_cluster

    spec, units, local = lot
    killed: list[str] = []
    # No second chance for a chunk whose worker dies (Dask's default is 3): the kill below loses it.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), local_cluster() as c, \
            distributed.Client(c, set_as_default=False) as watcher:
        pids = watcher.run(os.getpid)

        def progress(count: int) -> None:
            busy = sorted(worker for worker, keys in watcher.processing().items() if keys)
            if not killed and busy:
                killed.append(busy[0])
                os.kill(pids[busy[0]], signal.SIGKILL)

        summary = run_batch_on_cluster(c.scheduler_address, spec, units, tmp_path / "out", progress=progress)
        lost = [r for r in summary.results if r.status == "loi"]
        assert killed and lost and len(summary.results) == UNITS
        assert all(r.codes == ("CLUSTER_WORKER",) and "KilledWorker" in r.reason for r in lost)
        again = run_batch_on_cluster(c.scheduler_address, spec, units, tmp_path / "out", only_failed=True)
    assert again.count("ok") == len(lost)
    assert documents(tmp_path / "out") == documents(local)
    rendered_again = {r.ma for r in lost}
    report = report_units(tmp_path / "out")
    assert {u["ma"] for u in report if u["reason"] == "lần trước bị lỗi"} == rendered_again
    assert [{**u, "reason": ""} for u in report] == [{**u, "reason": ""} for u in report_units(local)]


def test_a_worker_found_unfit_on_its_first_chunk_stops_the_batch_and_the_chunks_under_way_are_reported(
        cluster, lot, tmp_path: Path) -> None:
    # A worker that joined after the check (here: one whose built-in templates differ, told so after it)
    # refuses its first chunk; no more chunks are handed out, those under way finish and are reported.
    from engine.cluster import ClusterRenderer

    spec, units, _ = lot
    out = tmp_path / "out"
    with distributed.Client(cluster, set_as_default=False) as client:
        spoiled = sorted(client.nthreads())[0]
        client.run(lambda: setattr(__import__("engine.cluster").cluster, "_digest", "0" * 64), workers=[spoiled])
        try:
            with pytest.raises(ClusterError) as raised:
                run_batch(spec, units, out, renderer=ClusterRenderer(client))
        finally:
            client.run(lambda: setattr(__import__("engine.cluster").cluster, "_digest", None), workers=[spoiled])
    problem = raised.value.problems[0]
    assert problem.code == "CLUSTER_WORKER" and spoiled in problem.message and "mẫu hoặc bộ tiêu chí" in problem.message
    reported = {name for unit in report_units(out) for name in unit["files"]}
    assert len(reported) < UNITS and set(documents(out)) == reported  # every file written is in the report
