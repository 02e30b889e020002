"""Render one document per unit (xã, agency …) from one spec, in parallel, keeping going on failures.

A units file (YAML list, CSV or Excel sheet) has one row per unit. Its ``ma`` column names the
unit and its output file; a column named like a spec field (``dia_danh``, or a dotted path such
as ``co_quan_ban_hanh.ten`` or ``nguoi_ky.ho_ten``) replaces that field for the unit; and the
whole row is the data set ``don_vi``, so spec text can say ``{{ don_vi.diem }}``. An empty cell
leaves the spec's value as it is.

Each worker process reads the spec and compiles the templates once, then renders its share of
the units; one unit's failure is recorded with its reason and the others go on. Every file is
written atomically, so the output folder never holds a half-written document. Ctrl-C or SIGTERM
stops a batch between units (worker processes finish their chunk first) and still writes the
report; temporary files that a run killed outright left behind are removed at the start.
A run writes ``ket_qua_lo.json`` (each unit's status) to the output folder: a second run skips
units whose files exist (resume), and ``only_failed`` renders just the units that failed last time.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import signal
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine import pipeline
from engine.data.readers import read_records
from engine.errors import DataError, EngineError, LimitError, Location, OutputError, Problem
from engine.output import write_atomic
from engine.spec import models
from engine.spec.loader import LoadedSpec, validate_source
from engine.spec.yamlload import LoadedYaml, load_yaml_file
from engine.trust.files import decode_text, read_file
from engine.trust.limits import Limits, current_limits, set_process_limits
from engine.trust.plain import plain_data
from engine.vn.numbers import format_number

REPORT = "ket_qua_lo.json"
UNIT_ID = "ma"
UNIT_DATA = "don_vi"
_SAFE_NAME = re.compile(r"^[\w.-]+$")
CHUNK = 16  # units per task: enough to make the inter-process traffic negligible


@dataclass(frozen=True)
class UnitResult:
    ma: str
    status: str  # "ok" | "loi" (failed) | "bo_qua" (output exists, skipped)
    files: tuple[str, ...] = ()
    reason: str = ""
    warnings: int = 0  # audit findings (stated figures that disagree)
    seconds: float = 0.0
    codes: tuple[str, ...] = ()  # the error codes of a failed unit (docs/errors.md)


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[UnitResult, ...]
    seconds: float

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def per_second(self) -> float:
        done = self.count("ok")
        return done / self.seconds if self.seconds else 0.0


# ----- reading the units file ------------------------------------------------------------------


def read_units(path: Path) -> list[dict[str, Any]]:
    """The rows of a units file, each a mapping with a unique, file-name-safe ``ma``.

    The file is read through engine.trust (a regular file within its size limit, UTF-8, UTF-16 or
    Windows-1258) and the same table reader as score tables (engine.data.readers): a ragged row, a
    duplicated or unnamed column, an empty list and more rows than ``so_dong`` are refused by name.
    """
    suffix = path.suffix.lower()
    where = Location(file=str(path))
    if suffix in (".yaml", ".yml", ".json"):
        data = load_yaml_file(path, role="du_lieu").data
        rows = data.get(UNIT_DATA) if isinstance(data, dict) else data
        places = [where] * len(rows) if isinstance(rows, list) else []
    elif suffix in (".csv", ".xlsx"):
        _, records, sheet = read_records(path)
        rows = [{k: ("" if v is None else v) for k, v in record.items()} for _, record in records]
        places = [Location(file=str(path), line=number,
                           field=f"dòng {number}" if sheet is None else f"{sheet}!{number}") for number, _ in records]
    else:
        raise DataError(Problem("DATA_FORMAT", f"chưa đọc được loại tệp '{suffix}'", where,
                                hint="Dùng .yaml, .csv hoặc .xlsx: mỗi dòng một đơn vị, có cột 'ma'."))
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise DataError(Problem("DATA_FORMAT", "danh sách đơn vị phải là một danh sách các bảng khóa: giá trị",
                                where, hint="Mỗi mục một đơn vị, ví dụ '- {ma: xa_a, dia_danh: …}'."))
    if not rows:
        raise DataError(Problem("DATA_FORMAT", "danh sách đơn vị trống: không có đơn vị nào để dựng", where,
                                hint="Thêm mỗi đơn vị một dòng (có cột 'ma')."))
    limits = current_limits()
    if len(rows) > limits.so_dong:
        raise LimitError(Problem("LIMIT_ROWS", f"danh sách có {format_number(len(rows))} đơn vị, quá giới hạn "
                                 f"{limits.describe('so_dong')}", where,
                                 hint="Chia thành nhiều lô, hoặc nâng giới hạn so_dong."))
    problems, seen = [], set()
    for number, (row, place) in enumerate(zip(rows, places, strict=True), start=1):
        raw = row.get(UNIT_ID, "")
        ma = unicodedata.normalize("NFC", str(raw if raw is not None else "").strip())
        if not ma or not _SAFE_NAME.match(ma) or ma.startswith(".") or len(ma.encode("utf-8")) > 200:
            problems.append(Problem("DATA_FORMAT", f"đơn vị thứ {number}: mã '{ma[:60]}' trống, quá dài hoặc có ký tự "
                                    "không dùng được trong tên tệp", place,
                                    hint="Cột 'ma' chỉ gồm chữ, số, '_', '-', '.', không quá 200 byte."))
        elif ma in seen:
            problems.append(Problem("DATA_FORMAT", f"đơn vị thứ {number}: mã '{ma}' trùng với một đơn vị trước",
                                    place, hint="Mỗi đơn vị một mã riêng (đó là tên tệp kết quả)."))
        seen.add(ma)
        row[UNIT_ID] = ma
    if problems:
        raise DataError(problems[:50])
    return [plain_data(row, name=str(path)) for row in rows]


# ----- one unit --------------------------------------------------------------------------------

_FIELDS = set(models.Spec.model_fields)


def unit_spec(base: LoadedYaml, base_dir: Path, unit: dict[str, Any], *, allowed: tuple[Path, ...] = ()
              ) -> LoadedSpec:
    """The spec for one unit: the base spec with the unit's fields replaced and its row as ``don_vi``.

    A column may replace a path (``mau``, ``du_lieu.x``): the unit's spec is confined like any
    spec, so the path must still lead inside the spec's folder or a folder the user allowed.
    """
    data = copy.deepcopy(base.data)
    for key, value in unit.items():
        path = key.split(".")
        if path[0] not in _FIELDS or key == UNIT_DATA or value in ("", None):
            continue  # an empty cell leaves the spec's own value
        target = data
        for step in path[:-1]:
            if not isinstance(target.get(step), dict):
                target[step] = {}  # a unit column may fill a block the base spec leaves out
            target = target[step]
        target[path[-1]] = value
    data.setdefault("du_lieu", {})[UNIT_DATA] = unit
    source = LoadedYaml(data=data, file=f"{base.file} (đơn vị {unit[UNIT_ID]})", marks=base.marks,
                        key_marks=base.key_marks)
    return validate_source(source, base_dir, allowed=allowed)


class _Worker:
    """What a worker process keeps between units: the parsed spec and, for PDF, a warm converter."""

    state: _Worker | None = None

    def __init__(self, spec_path: Path, out: Path, suffixes: tuple[str, ...], force: bool,
                 allowed: tuple[Path, ...] = (), units_name: str = ""):
        self.units_name = units_name
        self.base = load_yaml_file(spec_path)
        self.base_dir = spec_path.parent
        self.allowed = allowed
        self.out = out
        self.suffixes = suffixes
        self.force = force
        self.converter = None

    def run(self, unit: dict[str, Any]) -> UnitResult:
        started = time.perf_counter()
        ma = unit[UNIT_ID]
        targets = [self.out / f"{ma}{suffix}" for suffix in self.suffixes]
        if not self.force and all(t.exists() for t in targets):
            return UnitResult(ma, "bo_qua", tuple(t.name for t in targets), "đã có tệp kết quả")
        try:
            prepared = pipeline.prepare(unit_spec(self.base, self.base_dir, unit, allowed=self.allowed))
            docx = pipeline.render_prepared(prepared)
            outputs = {".docx": docx}
            if ".pdf" in self.suffixes:
                if self.converter is None:
                    from engine.convert import PdfConverter

                    self.converter = PdfConverter()
                outputs[".pdf"] = pipeline.docx_to_pdf(docx, converter=self.converter, source=ma).pdf
            for target in targets:
                write_atomic(target, outputs[target.suffix], force=True)
        except EngineError as error:
            problems = [self._in_units_file(p, unit) for p in error.problems]
            reason = "; ".join(f"{p.message} [{p.code}] ({p.location})" for p in problems[:3])
            return UnitResult(ma, "loi", (), reason, 0, time.perf_counter() - started,
                              tuple(dict.fromkeys(p.code for p in problems)))
        except Exception as exc:  # noqa: BLE001 - one unit's bug must not stop the batch
            return UnitResult(ma, "loi", (), f"lỗi nội bộ: {type(exc).__name__}: {exc}", 0,
                              time.perf_counter() - started)
        return UnitResult(ma, "ok", tuple(t.name for t in targets), "", len(prepared.findings),
                          time.perf_counter() - started)


    def _in_units_file(self, problem: Problem, unit: dict[str, Any]) -> Problem:
        """A problem in a field the unit's own column set is placed in the units file, not in the base spec."""
        field = problem.location.field or ""
        for key, value in unit.items():
            if key in (UNIT_ID, UNIT_DATA) or value in ("", None) or key.split(".")[0] not in _FIELDS:
                continue
            if field == key or field.startswith((key + ".", key + "[")):
                where = Location(file=self.units_name, field=f"đơn vị '{unit[UNIT_ID]}', cột '{key}'")
                return Problem(problem.code, problem.message, where, problem.hint)
        return problem


def _init_worker(*setup: Any) -> None:
    _Worker.state = _Worker(*setup)


def _init_pool_worker(limits: Limits, *setup: Any) -> None:
    # Ctrl-C and SIGTERM reach the whole process group. A worker process ignores them and finishes
    # its chunk (16 units): the main process stops handing out work and waits, so a stop never
    # cuts a file in half. (A worker killed outright leaves a temporary file, removed on the next run.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    set_process_limits(limits)  # the limits in force where the batch was started
    _init_worker(*setup)


def _run_chunk(units: list[dict[str, Any]]) -> list[UnitResult]:
    assert _Worker.state is not None
    return [_Worker.state.run(unit) for unit in units]


# ----- the batch -------------------------------------------------------------------------------


def _chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class _Stop:
    """Ctrl-C or SIGTERM during a batch (a service manager stops a batch the way Ctrl-C does).

    While units are rendered in this process, the signal is only noted and the batch stops
    between two units, so the unit being written is finished and in the report. While this
    process only waits for worker processes, it stops at once (they finish their chunks).
    """

    def __init__(self) -> None:
        self.requested = False
        self.deferred = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.requested:  # a second signal: the user will not wait for the running chunks
            os.write(2, "\nĐã dừng ngay; chạy lại cùng lệnh để dựng tiếp.\n".encode())
            os._exit(130)
        self.requested = True
        if not self.deferred:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt


@contextmanager
def _stop_on_signals() -> Iterator[_Stop]:
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signal handlers belong to the main thread; a caller's thread keeps its own
        return
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a run that was killed (write_atomic names them '.<name>.<random>.tmp')."""
    for stale in out.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def read_report(out: Path) -> list[dict[str, Any]]:
    """The units of the last run's ``ket_qua_lo.json``; a broken or foreign file is BATCH_REPORT, said plainly."""
    report = out / REPORT
    file = read_file(report, role="ket_qua")
    where = Location(file=str(report))
    hint = f"Xóa {REPORT} rồi chạy lại cả lô (không dùng --only-failed)."
    try:
        data = json.loads(decode_text(file, role="ket_qua").text)
    except OutputError as exc:  # not text at all
        raise OutputError(Problem("BATCH_REPORT", f"{REPORT} không phải tệp văn bản JSON ({exc.problems[0].message})",
                                  where, hint=hint)) from None
    except (ValueError, RecursionError) as exc:
        raise OutputError(Problem("BATCH_REPORT", f"{REPORT} không phải JSON hợp lệ ({str(exc)[:120]})", where,
                                  hint=hint)) from None
    units = data.get("don_vi") if isinstance(data, dict) else None
    if not isinstance(units, list) or not all(isinstance(item, dict) and isinstance(item.get("ma"), str)
                                              and isinstance(item.get("status"), str) for item in units):
        raise OutputError(Problem("BATCH_REPORT", f"{REPORT} không đúng dạng báo cáo lô (thiếu danh sách 'don_vi' với "
                                  "'ma' và 'status' của từng đơn vị)", where, hint=hint))
    return units


def previous_failures(out: Path) -> set[str]:
    report = out / REPORT
    if not report.exists():
        raise OutputError(Problem("OUTPUT_PATH", f"chưa có {REPORT} của lần chạy trước trong thư mục kết quả",
                                  Location(file=str(report)), hint="Chạy lô một lần trước khi dùng --only-failed."))
    return {item["ma"] for item in read_report(out) if item["status"] == "loi"}


def run_batch(spec_path: Path, units_path: Path, out: Path, *, pdf: bool = False, force: bool = False,
              only_failed: bool = False, workers: int | None = None,
              progress: Callable[[int], None] | None = None,
              units: list[dict[str, Any]] | None = None, allowed: tuple[Path, ...] = ()) -> BatchSummary:
    """Render every unit of ``units_path`` with ``spec_path`` into ``out``; never stops on one unit.

    ``units``: the rows of ``units_path`` when the caller has read them already (to size a progress bar).
    ``allowed``: folders besides the spec's own that its paths (and the units' columns) may lead to.
    """
    started = time.perf_counter()
    load_yaml_file(spec_path)  # a broken spec is one error now, not the same error for every unit
    units = read_units(units_path) if units is None else units
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    if only_failed:
        wanted = previous_failures(out)
        units = [u for u in units if u[UNIT_ID] in wanted]
        force = True  # a failed unit has no file, or a stale one from before: write it
    suffixes = (".docx", ".pdf") if pdf else (".docx",)
    workers = max(1, min(workers or os.cpu_count() or 1, math.ceil(len(units) / CHUNK)))
    results: list[UnitResult] = []
    with _stop_on_signals() as stop:
        try:
            setup = (spec_path, out, suffixes, force, tuple(allowed), str(units_path))
            _render_units(units, workers, setup, results, progress, stop)
        except KeyboardInterrupt:
            # Every file written so far is whole; say what was done so far, then stop.
            _remove_stale_temporaries(out)
            _finish(out, spec_path, units_path, units, results, started, only_failed)
            raise
    return _finish(out, spec_path, units_path, units, results, started, only_failed)


def _render_units(units: list[dict[str, Any]], workers: int, setup: tuple, results: list[UnitResult],
                  progress: Callable[[int], None] | None, stop: _Stop) -> None:
    if workers == 1:
        _init_worker(*setup)
        stop.deferred = True
        for unit in units:
            stop.check()
            results.append(_run_chunk([unit])[0])
            if progress:
                progress(1)
        return
    pool = ProcessPoolExecutor(workers, initializer=_init_pool_worker, initargs=(current_limits(), *setup))
    waiting = set()
    try:
        waiting = {pool.submit(_run_chunk, chunk) for chunk in _chunks(units, CHUNK)}
        for future in as_completed(list(waiting)):
            waiting.discard(future)
            done = future.result()
            results.extend(done)
            if progress:
                progress(len(done))
    finally:
        # On an interrupt: no new chunks, and wait for the running ones to end their files; the
        # units they did go into the report like the others.
        pool.shutdown(wait=True, cancel_futures=True)
        for future in waiting:
            if future.done() and not future.cancelled() and future.exception() is None:
                results.extend(future.result())


def _finish(out: Path, spec_path: Path, units_path: Path, units: list[dict[str, Any]], results: list[UnitResult],
            started: float, only_failed: bool) -> BatchSummary:
    order = {u[UNIT_ID]: i for i, u in enumerate(units)}
    results.sort(key=lambda r: order[r.ma])
    summary = BatchSummary(tuple(results), time.perf_counter() - started)
    _write_report(out, spec_path, units_path, summary, only_failed)
    return summary


def _write_report(out: Path, spec_path: Path, units_path: Path, summary: BatchSummary, only_failed: bool) -> None:
    previous: dict[str, dict[str, Any]] = {}
    report = out / REPORT
    if only_failed and report.exists():  # keep the other units' entries from the full run
        previous = {item["ma"]: item for item in read_report(out)}
    for result in summary.results:
        previous[result.ma] = asdict(result)
    data = {"dac_ta": str(spec_path), "danh_sach": str(units_path), "giay": round(summary.seconds, 3),
            "don_vi": list(previous.values())}
    write_atomic(report, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), force=True)
