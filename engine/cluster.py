"""Run a batch on a Dask distributed cluster: ``vanban batch … --cum-may tcp://host:8786``.

The batch itself does not change: :func:`engine.batch.run_batch` reads the units, decides from
``ket_qua_lo.json`` which must be rendered (resume, change detection), shows progress and writes the
report, here on the client. Only the rendering moves: the units to render go to the cluster in chunks
(``engine.batch.CHUNK`` units a task), and each Dask worker renders a chunk with the same per-unit code
as a local worker process (``engine.batch._Worker``): it reads the spec once per batch, compiles each
template once per process (engine.render.docx caches them), writes each file atomically into the
output folder and returns each unit's result. So the files are the same, byte for byte, as a local
batch's, and the report is the same.

What the cluster needs (README, "Chạy trên nhiều máy"): every worker has the same engine version
installed, and sees the spec's folder, the folders given with ``--cho-phep`` and the output folder at
the same absolute paths as the client (a shared filesystem). A worker reads only what a local worker
would: the files the spec and the units' columns lead to, inside the spec's folder, the engine's own
templates and frameworks, and the allowed folders (engine.trust); the limits in force on the client
apply on the workers. Before the first task, and again on each worker's first task (a worker may join
later), the engine's version and a digest of its built-in templates and frameworks are compared with
the client's, and the worker checks that it reads the same spec bytes and sees the output folder;
any difference stops the batch with a CLUSTER_WORKER error naming the worker.

A worker that dies (killed, out of memory, its machine gone) loses only the chunks it held: the
scheduler runs them again on another worker. Nothing is lost or counted twice: a unit's files are
written atomically with the same bytes whichever attempt writes them, and each chunk's results come
back once, from the attempt that finished. A chunk whose workers died too often (Dask's
``distributed.scheduler.allowed-failures``) is reported as failed units, to render with --only-failed.

Dask is an optional extra (``pip install 'vanban-engine[cum]'``): this module imports it only when a
batch is run on a cluster, so ``import engine`` never imports dask.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine import batch, provenance
from engine.errors import ClusterError, EngineError, Location, Problem
from engine.trust.limits import Limits, current_limits, using_limits

EXTRA = "cum"
INSTALL_HINT = f"cài thêm: pip install 'vanban-engine[{EXTRA}]' (Dask distributed), trên máy này và trên mọi máy worker"
CONNECT_SECONDS = 10.0
IN_FLIGHT_PER_THREAD = 2  # chunks handed to the cluster per worker thread: none idles, a stop waits for few


# ----- what the client and every worker must agree on -------------------------------------------


def installation_digest() -> str:
    """The engine's version and a sha256 of its built-in templates and frameworks: what a worker must share.

    Two installations with the same digest render the same bytes from the same inputs.
    """
    from engine.kinds import TEMPLATES_DIR
    from engine.scoring.loader import FRAMEWORKS_DIR

    digest = hashlib.sha256(provenance.engine_version().encode())
    for folder in (TEMPLATES_DIR, FRAMEWORKS_DIR):
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


_digest_lock = threading.Lock()
_digest: str | None = None


def _installation() -> dict[str, str]:
    """This process's engine version and installation digest (computed once), for the client's comparison."""
    global _digest
    with _digest_lock:
        if _digest is None:
            _digest = installation_digest()
    return {"version": provenance.engine_version(), "digest": _digest}


def worker_installation() -> dict[str, str]:
    """What a worker answers the client's check with (run there by ``client.run``)."""
    return _installation()


@dataclass(frozen=True)
class _Task:
    """What every chunk of one batch carries besides its units: the setup and what the client has."""

    setup: tuple  # engine.batch's worker setup: spec path, output folder, suffixes, allowed folders, units name
    spec_sha256: str  # the spec's bytes as the client read them
    version: str
    digest: str
    limits: Limits
    batch_id: str
    source_date_epoch: str | None  # the client's SOURCE_DATE_EPOCH: a draft's date is the same on every machine
    spec_shown: str = ""  # the spec's path as the user gave it: messages name it as a local batch does

    @property
    def key(self) -> tuple:
        """The batch a worker state serves: one per batch run, its spec's bytes and the installation."""
        return (self.batch_id, self.setup, self.spec_sha256, self.digest)


@dataclass(frozen=True)
class _Outcome:
    """A chunk's results, or why this worker cannot render for this batch (a Problem, sent back as data)."""

    results: tuple[batch.UnitResult, ...] = ()
    problem: dict[str, Any] | None = None
    worker: str = ""


def _mismatch(worker: str, message: str, hint: str, where: str | None = None) -> dict[str, Any]:
    return Problem("CLUSTER_WORKER", f"máy worker {worker}: {message}", Location(file=where), hint=hint).as_dict()


_SHARED_HINT = ("Gắn thư mục dùng chung (đặc tả, dữ liệu, thư mục kết quả) trên mọi máy worker ở cùng đường dẫn "
                "tuyệt đối như trên máy chạy lệnh (README, mục Chạy trên nhiều máy).")
_VERSION_HINT = ("Cài cùng một phiên bản vanban-engine trên mọi máy worker như trên máy chạy lệnh, rồi khởi động lại "
                 "các worker.")


# ----- on a worker ------------------------------------------------------------------------------

# Each worker thread its own state for the batch it renders now (a PDF converter is not shared between
# threads), kept in one registry so that the batch's end can close them all (their offices, for PDF).
_states: dict[int, tuple[tuple, batch._Worker]] = {}
_states_lock = threading.Lock()


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _state_for(task: _Task) -> tuple[batch._Worker | None, dict[str, Any] | None]:
    """This thread's worker state for the batch ``task`` belongs to, made and checked on its first chunk."""
    key = task.key
    with _states_lock:
        cached = _states.get(threading.get_ident())
    if cached is not None and cached[0] == key:
        return cached[1], None
    if cached is not None:  # this thread rendered another batch before: end its office, if any
        _close(cached[1])
    worker = _worker_address()
    mine = _installation()
    if mine["version"] != task.version:
        return None, _mismatch(worker, f"có vanban-engine {mine['version']}, máy chạy lệnh có {task.version}",
                               _VERSION_HINT)
    if mine["digest"] != task.digest:
        return None, _mismatch(worker, "mẫu hoặc bộ tiêu chí có sẵn của chương trình khác với máy chạy lệnh "
                               "(cùng phiên bản nhưng cài khác, hoặc VANBAN_TEMPLATES khác)", _VERSION_HINT)
    spec_path, out = Path(task.setup[0]), Path(task.setup[1])
    if not out.is_dir():
        return None, _mismatch(worker, f"không thấy thư mục kết quả {out}", _SHARED_HINT, str(out))
    try:
        state = batch._Worker(*task.setup)
    except EngineError as error:
        return None, _mismatch(worker, f"không đọc được tệp đặc tả ({error.problems[0].message})", _SHARED_HINT,
                               str(spec_path))
    if state.origin.sha256 != task.spec_sha256:
        return None, _mismatch(worker, "tệp đặc tả khác với tệp máy chạy lệnh đọc (không cùng thư mục dùng chung?)",
                               _SHARED_HINT, str(spec_path))
    if task.spec_shown:  # the worker reads the absolute path; a unit's error names the spec as the user did
        state.base = replace(state.base, file=task.spec_shown)
    with _states_lock:
        _states[threading.get_ident()] = (key, state)
    state.warm()
    return state, None


def _close(state: batch._Worker) -> None:
    try:
        state.close()
    except Exception:  # noqa: BLE001 - an office that will not close must not fail the batch
        logging.getLogger(__name__).exception("đóng LibreOffice của worker không được")


def close_batch(key: tuple) -> int:
    """Run on each worker at the batch's end: close the states (and offices) its threads kept for it."""
    with _states_lock:
        mine = [thread for thread, (held, _) in _states.items() if held == key]
        states = [_states.pop(thread)[1] for thread in mine]
    for state in states:
        _close(state)
    return len(states)


def render_chunk(task: _Task, jobs: list[batch.Job]) -> _Outcome:
    """A Dask task: render a chunk of units with the batch's per-unit code, as a local worker process does."""
    state, problem = _state_for(task)
    if state is None:
        return _Outcome(problem=problem, worker=_worker_address())
    if task.source_date_epoch is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = task.source_date_epoch
    with using_limits(task.limits):
        return _Outcome(tuple(state.run_many(jobs)))


# ----- on the client ----------------------------------------------------------------------------


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(Problem("CLUSTER_UNAVAILABLE", "máy này chưa cài Dask distributed để chạy lô trên cụm máy",
                                   hint=INSTALL_HINT)) from None
    return distributed


@contextmanager
def connect(address: str, *, seconds: float = CONNECT_SECONDS) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address`` with at least one worker; errors said in Vietnamese."""
    where = Location(field=f"--cum-may {address}")
    if not address.strip():  # Dask would start a cluster of its own on this machine for an empty address
        raise ClusterError(Problem("CLUSTER_CONNECT", "địa chỉ bộ lập lịch trống", where,
                                   hint="Viết tcp://máy:8786 (địa chỉ 'dask scheduler' in ra khi chạy)."))
    distributed = _import_distributed()
    try:
        client = distributed.Client(address, timeout=seconds, set_as_default=False)
    except ValueError as exc:  # an address Dask cannot read ("udp://…", "host:port:x")
        raise ClusterError(Problem("CLUSTER_CONNECT", f"địa chỉ bộ lập lịch '{address}' không đọc được ({exc})",
                                   where, hint="Viết tcp://máy:8786 (địa chỉ 'dask scheduler' in ra khi chạy).")) \
            from None
    except (OSError, TimeoutError):
        raise ClusterError(Problem(
            "CLUSTER_CONNECT", f"không kết nối được bộ lập lịch Dask ở {address} sau {seconds:g} giây", where,
            hint="Kiểm tra 'dask scheduler' đang chạy trên máy đó, địa chỉ và cổng (mặc định 8786), tường lửa; "
                 "hoặc chờ lâu hơn với --cho-ket-noi.")) from None
    try:
        try:
            client.wait_for_workers(1, timeout=seconds)
        except (OSError, TimeoutError):
            raise ClusterError(Problem(
                "CLUSTER_CONNECT", f"bộ lập lịch ở {address} chưa có máy worker nào sau {seconds:g} giây", where,
                hint=f"Chạy 'dask worker {address}' trên các máy dựng (cùng phiên bản vanban-engine).")) from None
        yield client
    finally:
        client.close()


def check_workers(client: Any) -> None:
    """Every worker now connected has the client's engine version and built-in templates (CLUSTER_WORKER if not)."""
    mine = _installation()
    answers = client.run(worker_installation, on_error="return")
    problems = []
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            problems.append(Problem("CLUSTER_WORKER", f"máy worker {worker} không chạy được vanban-engine "
                                    f"({type(answer).__name__}: {str(answer)[:160]})", hint=_VERSION_HINT))
        elif answer["version"] != mine["version"]:
            problems.append(Problem("CLUSTER_WORKER", f"máy worker {worker} có vanban-engine {answer['version']}, "
                                    f"máy chạy lệnh có {mine['version']}", hint=_VERSION_HINT))
        elif answer["digest"] != mine["digest"]:
            problems.append(Problem("CLUSTER_WORKER", f"máy worker {worker}: mẫu hoặc bộ tiêu chí có sẵn của chương "
                                    "trình khác với máy chạy lệnh", hint=_VERSION_HINT))
    if problems:
        raise ClusterError(problems)


def _chunk_failed(jobs: list[batch.Job], error: BaseException) -> list[batch.UnitResult]:
    """The units of a chunk the cluster gave up on (its workers kept dying): failed, to render with --only-failed."""
    name = type(error).__name__
    if isinstance(error, ImportError):  # the task could not be unpacked there: a worker without the engine
        why = (f"một máy worker không chạy được vanban-engine ({name}: {str(error)[:160]}); cài cùng phiên bản "
               "trên mọi máy worker rồi chạy lại với --only-failed")
        codes: tuple[str, ...] = ("CLUSTER_WORKER",)
    elif name == "KilledWorker":
        why = ("máy worker chạy phần việc này bị mất nhiều lần liền (KilledWorker: hết bộ nhớ, bị giết?); "
               "chạy lại với --only-failed")
        codes = ("CLUSTER_WORKER",)
    else:  # a bug in the task itself: say it like a local unit's internal error
        why, codes = f"lỗi nội bộ: {name}: {str(error)[:200]}", ()
    return [batch.UnitResult(unit[batch.UNIT_ID], "loi", (), why, codes=codes) for unit, _, _ in jobs]


class ClusterRenderer:
    """An ``engine.batch.Renderer`` that renders the planned units on a Dask cluster through ``client``."""

    def __init__(self, client: Any, *, chunk: int = batch.CHUNK) -> None:
        self.client = client
        self.chunk = chunk

    def __call__(self, jobs: list[batch.Job], setup: tuple, results: list[batch.UnitResult],
                 progress: Callable[[int], None] | None, stop: batch._Stop) -> None:
        distributed = _import_distributed()
        mine = _installation()
        spec_path, out, suffixes, allowed, units_name = setup
        # Workers run elsewhere, in another folder: every path they are given is absolute.
        setup = (Path(spec_path).resolve(), Path(out).resolve(), suffixes,
                 tuple(Path(a).resolve() for a in allowed), units_name)
        batch_id = uuid.uuid4().hex[:12]
        task = _Task(setup, batch.spec_record(Path(spec_path))[1].sha256, mine["version"], mine["digest"],
                     current_limits(), batch_id, os.environ.get("SOURCE_DATE_EPOCH"), str(spec_path))
        chunks = [jobs[start:start + self.chunk] for start in range(0, len(jobs), self.chunk)]
        threads = sum(self.client.nthreads().values()) or 1
        in_flight_most = max(2, IN_FLIGHT_PER_THREAD * threads)
        # While chunks run here, a Ctrl-C or SIGTERM only asks to stop: no new chunks are handed out and
        # those on the cluster finish, so every file they write is in the report (like local workers).
        stop.deferred = True
        waiting: dict[Any, list[batch.Job]] = {}
        finished = distributed.as_completed([], loop=self.client.loop)
        handed = 0

        def hand_out() -> None:
            nonlocal handed
            while not stop.requested and handed < len(chunks) and len(waiting) < in_flight_most:
                future = self.client.submit(render_chunk, task, chunks[handed], pure=False,
                                            key=f"vanban-lo-{batch_id}-{handed}")
                waiting[future] = chunks[handed]
                finished.add(future)
                handed += 1

        unfit: ClusterError | None = None  # a worker that cannot render this batch: stop, once the others finish
        try:
            hand_out()
            for future in finished:
                try:
                    self._collect(future, waiting.pop(future), results, progress)
                except ClusterError as error:
                    if error.problems[0].code != "CLUSTER_WORKER":
                        raise  # the scheduler went away: nothing more will come back
                    unfit = unfit or error
                if unfit is None:
                    hand_out()
            # A worker killed while writing left its temporary file; every chunk is done now, so no
            # attempt is still writing one.
            batch._remove_stale_temporaries(setup[1])
            if unfit is not None:  # the chunks under way are in the report, like those of a stopped batch
                raise unfit
        finally:
            stop.deferred = False
            for future in waiting:
                future.cancel()
            try:
                self.client.run(close_batch, task.key, on_error="return")
            except Exception:  # noqa: BLE001 - the scheduler is gone: the workers' offices end with them
                logging.getLogger(__name__).warning("không báo được các worker đóng LibreOffice của lô")
        if stop.requested:
            raise KeyboardInterrupt

    @staticmethod
    def _collect(future: Any, chunk: list[batch.Job], results: list[batch.UnitResult],
                 progress: Callable[[int], None] | None) -> None:
        if future.status == "error":
            done = _chunk_failed(chunk, future.exception())
        elif future.status != "finished":  # cancelled or lost: the scheduler went away
            raise ClusterError(Problem("CLUSTER_CONNECT", "mất kết nối với bộ lập lịch Dask giữa chừng (phần việc bị "
                                       "hủy)", hint="Chạy lại cùng lệnh khi cụm máy đã chạy lại: các đơn vị đã dựng "
                                       "được bỏ qua."))
        else:
            outcome: _Outcome = future.result()
            if outcome.problem is not None:
                raise ClusterError(Problem(**_problem_fields(outcome.problem)))
            done = list(outcome.results)
        results.extend(done)
        if progress:
            progress(len(done))


def _problem_fields(data: dict[str, Any]) -> dict[str, Any]:
    location = Location(**{k: data.get(k) for k in ("file", "line", "column", "field", "part", "paragraph")})
    return {"code": data["code"], "message": data["message"], "location": location, "hint": data.get("hint")}


def run_batch_on_cluster(address: str, spec_path: Path, units_path: Path, out: Path, *,
                         connect_seconds: float = CONNECT_SECONDS, **options: Any) -> batch.BatchSummary:
    """``engine.batch.run_batch`` with the units rendered on the Dask cluster whose scheduler is at ``address``."""
    with connect(address, seconds=connect_seconds) as client:
        check_workers(client)
        return batch.run_batch(spec_path, units_path, out, renderer=ClusterRenderer(client), **options)


def quiet_dask_logging() -> None:
    """The client's own Dask log lines (a worker lost, a task re-run) are not the user's business on the CLI."""
    for name in ("distributed", "distributed.client", "distributed.batched"):
        logging.getLogger(name).setLevel(logging.ERROR)
