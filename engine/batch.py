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
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from engine import pipeline, provenance
from engine.audit import INFO
from engine.data.readers import read_records
from engine.errors import DataError, EngineError, LimitError, Location, OutputError, Problem, SpecError
from engine.output import write_atomic
from engine.provenance import DocumentProperties, Input
from engine.spec import models
from engine.spec.loader import LoadedSpec, validate_source
from engine.spec.yamlload import LoadedYaml, load_yaml_file, load_yaml_input
from engine.trust.files import Access, decode_text, read_file
from engine.trust.limits import Limits, current_limits, set_process_limits
from engine.trust.plain import plain_data
from engine.vn.numbers import format_number

REPORT = "ket_qua_lo.json"
REPORT_VERSION = 2  # 2: each unit records its inputs' hashes and its files' (1, or none: before that)
UNIT_ID = "ma"
UNIT_DATA = "don_vi"
_SAFE_NAME = re.compile(r"^[\w.-]+$")
CHUNK = 16  # units per task: enough to make the inter-process traffic negligible
AHEAD = 2  # documents a PDF worker renders ahead of its office: one converting, one queued behind it


@dataclass(frozen=True)
class UnitResult:
    ma: str
    status: str  # "ok" | "loi" (failed) | "bo_qua" (skipped: unchanged, or a file the batch must not overwrite)
    files: tuple[str, ...] = ()
    reason: str = ""  # why it failed, was skipped, or was rendered again
    warnings: int = 0  # audit findings of a stated figure that disagrees (errors and warnings, not infos)
    seconds: float = 0.0
    codes: tuple[str, ...] = ()  # the error codes of a failed unit (docs/errors.md)
    engine_version: str = ""  # of the engine that rendered the unit's files
    inputs: tuple[dict[str, Any], ...] = ()  # what they were rendered from: engine.provenance.Input.as_dict()
    outputs: dict[str, str] = field(default_factory=dict)  # file name -> sha256 of the bytes written


# Why a resumed batch renders a unit again, or skips it (ket_qua_lo.json records each unit's inputs).
RENDER_REASONS = {
    "phien_ban": "phiên bản chương trình đã đổi",
    "dac_ta": "đặc tả đã đổi",
    "mau": "mẫu đã đổi",
    "tep_du_lieu": "tệp dữ liệu đã đổi",
    "don_vi": "dữ liệu đơn vị đã đổi",
    "bao_cao_cu": f"{REPORT} của phiên bản trước không ghi mã băm đầu vào",
    "thieu_tep": "thiếu tệp kết quả",
    "loi_truoc": "lần trước bị lỗi",
}
SKIP_REASONS = {
    "khong_doi": "không đổi",
    "da_sua": "tệp kết quả đã bị sửa sau khi dựng (không ghi đè; dùng --force để dựng lại)",
    "khong_ro": f"đã có tệp kết quả mà {REPORT} không ghi (không ghi đè)",
}


@dataclass(frozen=True)
class BatchSummary:
    results: tuple[UnitResult, ...]
    seconds: float
    plan: tuple[tuple[str, int], ...] = ()  # how many units each reason of RENDER_REASONS/SKIP_REASONS decided

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    def plan_message(self) -> str:
        """E.g. '15 đơn vị dựng lại vì đặc tả đã đổi; 2 vì dữ liệu đơn vị đã đổi; 40 bỏ qua vì không đổi'."""
        again = [(RENDER_REASONS[key], n) for key, n in self.plan if key in RENDER_REASONS]
        skipped = [(SKIP_REASONS[key], n) for key, n in self.plan if key in SKIP_REASONS]
        pieces = [f"{n} {'đơn vị dựng lại' if i == 0 else ''} vì {why}".replace("  ", " ")
                  for i, (why, n) in enumerate(again)]
        pieces += [f"{n} bỏ qua vì {why}" for why, n in skipped]
        return "; ".join(pieces)

    @property
    def per_second(self) -> float:
        done = self.count("ok")
        return done / self.seconds if self.seconds else 0.0


# ----- reading the units file ------------------------------------------------------------------


@dataclass(frozen=True)
class UnitPlace:
    """Where a unit's row is in the units file, and each of its cells: a bad value it gave is blamed there."""

    row: Location
    cells: dict[str, Location] = field(default_factory=dict)


def read_units(path: Path) -> list[dict[str, Any]]:
    """The rows of a units file, each a mapping with a unique, file-name-safe ``ma``."""
    return read_units_placed(path)[0]


def _sheet_name(title: str) -> str:
    return title if re.fullmatch(r"[^\W\d]\w*", title) else "'" + title.replace("'", "''") + "'"


def read_units_placed(path: Path) -> tuple[list[dict[str, Any]], list[UnitPlace]]:
    """The rows of a units file, each a mapping with a unique, file-name-safe ``ma``, and where each is.

    The file is read through engine.trust (a regular file within its size limit, UTF-8, UTF-16 or
    Windows-1258) and the same table reader as score tables (engine.data.readers): a ragged row, a
    duplicated or unnamed column, an empty list and more rows than ``so_dong`` are refused by name.
    A cell's place is its row and column: the CSV column's number, the Excel column's letter, a
    YAML value's line and column.
    """
    from openpyxl.utils.cell import get_column_letter

    suffix = path.suffix.lower()
    where = Location(file=str(path))
    if suffix in (".yaml", ".yml", ".json"):
        source = load_yaml_file(path, role="du_lieu")
        data = source.data
        rows = data.get(UNIT_DATA) if isinstance(data, dict) else data
        prefix: tuple[str, ...] = (UNIT_DATA,) if isinstance(data, dict) else ()
        places = [UnitPlace(source.location((*prefix, i), field=f"đơn vị thứ {i + 1}"),
                            {str(key): source.location((*prefix, i, key), field=f"đơn vị thứ {i + 1}, {key}")
                             for key in row} if isinstance(row, dict) else {})
                  for i, row in enumerate(rows)] if isinstance(rows, list) else []
    elif suffix in (".csv", ".xlsx"):
        header, records, sheet = read_records(path)
        rows = [{k: ("" if v is None else v) for k, v in record.items()} for _, record in records]
        column = {name: index for index, name in enumerate(header) if name}
        if sheet is None:
            places = [UnitPlace(Location(file=str(path), line=number, field=f"dòng {number}"),
                                {name: Location(file=str(path), line=number, column=column[name] + 1,
                                                field=f"dòng {number}, cột thứ {column[name] + 1} ({name})")
                                 for name in record}) for number, record in records]
        else:
            ref = _sheet_name(sheet)
            places = [UnitPlace(Location(file=str(path), line=number, field=f"{ref}!{number}"),
                                {name: Location(file=str(path), line=number,
                                                field=f"{ref}!{get_column_letter(column[name] + 1)}{number} "
                                                      f"({name})") for name in record})
                      for number, record in records]
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
    for number, (row, placed) in enumerate(zip(rows, places, strict=True), start=1):
        place = placed.row
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
    return [plain_data(row, name=str(path)) for row in rows], places


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
        target: Any = data
        for depth, step in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(target, list):  # several signers: nguoi_ky.1.ho_ten names the second
                if not (step.isdigit() and int(step) < len(target)):
                    raise SpecError(Problem(
                        "SPEC_VALUE", f"cột '{key[:120]}': '{'.'.join(path[:depth])}' là một danh sách "
                        f"({len(target)} mục), cần số thứ tự của mục (từ 0) thay cho '{step[:40]}'",
                        Location(file=base.file, field=key[:120]),
                        hint="Ví dụ nguoi_ky.0.ho_ten cho người ký thứ nhất, nguoi_ky.1.ho_ten cho người thứ hai."))
                if last:
                    target[int(step)] = value
                else:
                    target = target[int(step)]
                continue
            if last:
                target[step] = value
            else:
                if not isinstance(target.get(step), (dict, list)):
                    target[step] = {}  # a unit column may fill a block the base spec leaves out
                target = target[step]
    data.setdefault("du_lieu", {})[UNIT_DATA] = unit
    source = LoadedYaml(data=data, file=f"{base.file} (đơn vị {unit[UNIT_ID]})", marks=base.marks,
                        key_marks=base.key_marks)
    return validate_source(source, base_dir, allowed=allowed)


def row_input(unit: dict[str, Any], units_name: str, place: UnitPlace | None) -> Input:
    """A unit's row as an input of its document: the units file and row, and the sha256 of the row's values."""
    where = f", {place.row.field}" if place is not None and place.row.field else ""
    return Input(UNIT_DATA, f"{Path(units_name).name}{where}", provenance.canonical_digest(unit))


def spec_record(spec_path: Path) -> tuple[LoadedYaml, Input]:
    """The base spec, parsed, and its record (its file's name and the sha256 of its bytes)."""
    file = read_file(spec_path, role="dac_ta", shown=str(spec_path), limit="tep_yaml")
    return load_yaml_input(file, role="dac_ta"), Input("dac_ta", spec_path.name, provenance.sha256(file.data),
                                                        role="dac_ta")


@dataclass
class _Rendered:
    """A unit whose .docx is rendered (in memory) and whose PDF, if any, is being converted."""

    unit: dict[str, Any]
    place: UnitPlace | None
    reason: str
    started: float
    targets: list[Path]
    docx: bytes
    properties: DocumentProperties
    findings: int
    conversion: Future[bytes] | None = None


class _Worker:
    """What a worker process keeps between units: the parsed spec and, for PDF, a warm converter.

    With PDF the worker is a two-stage pipeline: a conversion thread keeps the office busy with the
    documents the worker rendered ahead (up to :data:`AHEAD`), while the worker renders the next ones
    and checks, stamps and writes those converted. The office waits for the renderer only at the start
    of a chunk; the thread waits on the office's pipe (no CPU, no GIL held).
    """

    state: _Worker | None = None

    def __init__(self, spec_path: Path, out: Path, suffixes: tuple[str, ...], allowed: tuple[Path, ...] = (),
                 units_name: str = ""):
        self.units_name = units_name
        self.base, self.origin = spec_record(spec_path)
        self.base_dir = spec_path.parent
        self.allowed = allowed
        self.out = out
        self.suffixes = suffixes
        self.converter = None
        self._converting: ThreadPoolExecutor | None = None

    def warm(self) -> None:
        """Start the office now (it boots while the first units render), not at the first document."""
        if ".pdf" not in self.suffixes:
            return
        try:
            self._pdf_converter().start()
        except EngineError:
            pass  # no LibreOffice: each unit's conversion says so, as without warming

    def close(self) -> None:
        """End the conversion thread and the office (the batch's end; safe to call twice)."""
        if self._converting is not None:
            self._converting.shutdown(wait=True)
            self._converting = None
        if self.converter is not None:
            self.converter.close()

    def _pdf_converter(self):
        if self.converter is None:
            from engine.convert import PdfConverter

            self.converter = PdfConverter()
        return self.converter

    def run(self, unit: dict[str, Any], place: UnitPlace | None = None, reason: str = "") -> UnitResult:
        """Render one unit's files (the batch decided it must be rendered) and record what they came from."""
        return next(self.run_many([(unit, place, reason)]))

    def run_many(self, jobs: list[Job], stopping: Callable[[], bool] = lambda: False) -> Iterator[UnitResult]:
        """Each job's result, in the jobs' order, rendering ahead while the office converts.

        ``stopping``: asked before each new unit; once true no unit is started, the units already under
        way are finished (their files whole, their results given), and the iteration ends.
        """
        if ".pdf" not in self.suffixes:
            for unit, place, reason in jobs:
                if stopping():
                    return
                rendered = self._render(unit, place, reason)
                yield rendered if isinstance(rendered, UnitResult) else self._complete(rendered)
            return
        if self._converting is None:
            self._converting = ThreadPoolExecutor(1, thread_name_prefix="vanban-pdf")
        converter = self._pdf_converter()
        pending: deque[UnitResult | _Rendered] = deque()
        for unit, place, reason in jobs:
            if stopping():
                break
            rendered = self._render(unit, place, reason)
            if isinstance(rendered, _Rendered):
                rendered.conversion = self._converting.submit(converter.convert, rendered.docx,
                                                              source=unit[UNIT_ID])
            pending.append(rendered)
            # Finish what the office has done; wait for it only when AHEAD documents are queued for it.
            while pending and (len(pending) > AHEAD or _settled(pending[0])):
                yield self._complete(pending.popleft())
        while pending:
            yield self._complete(pending.popleft())

    def _render(self, unit: dict[str, Any], place: UnitPlace | None, reason: str) -> _Rendered | UnitResult:
        started = time.perf_counter()
        ma = unit[UNIT_ID]
        try:
            loaded = replace(unit_spec(self.base, self.base_dir, unit, allowed=self.allowed), origin=self.origin)
            prepared = pipeline.prepare(loaded)
            docx, properties = pipeline.render_recorded(prepared, (row_input(unit, self.units_name, place),))
        except Exception as exc:  # noqa: BLE001 - one unit's bug must not stop the batch
            return self._failed(unit, place, exc, started)
        # A check the data could not decide (info) is not a stated figure that disagrees.
        disagreeing = sum(finding.level != INFO for finding in prepared.findings)
        return _Rendered(unit, place, reason, started, [self.out / f"{ma}{suffix}" for suffix in self.suffixes],
                         docx, properties, disagreeing)

    def _complete(self, rendered: _Rendered | UnitResult) -> UnitResult:
        """Check and stamp the unit's PDF, then write its files; a failure is the unit's, not the batch's."""
        if isinstance(rendered, UnitResult):
            return rendered
        ma = rendered.unit[UNIT_ID]
        outputs = {".docx": rendered.docx}
        try:
            if ".pdf" in self.suffixes:
                if rendered.conversion is None:
                    pdf = self._pdf_converter().convert(rendered.docx, source=ma)
                else:
                    pdf = rendered.conversion.result()
                outputs[".pdf"] = pipeline.checked_pdf(rendered.docx, pdf, source=ma, font_notice=False).pdf
            for target in rendered.targets:
                write_atomic(target, outputs[target.suffix], force=True)
        except Exception as exc:  # noqa: BLE001 - one unit's bug must not stop the batch
            return self._failed(rendered.unit, rendered.place, exc, rendered.started)
        properties, targets = rendered.properties, rendered.targets
        return UnitResult(ma, "ok", tuple(t.name for t in targets), rendered.reason, rendered.findings,
                          time.perf_counter() - rendered.started, (), properties.provenance.engine,
                          tuple(item.as_dict() for item in properties.provenance.inputs),
                          {t.name: provenance.sha256(outputs[t.suffix]) for t in targets})

    def _failed(self, unit: dict[str, Any], place: UnitPlace | None, exc: Exception, started: float) -> UnitResult:
        ma = unit[UNIT_ID]
        if isinstance(exc, EngineError):
            problems = [self._in_units_file(p, unit, place) for p in exc.problems]
            failure = "; ".join(f"{p.message} [{p.code}] ({p.location})" for p in problems[:3])
            return UnitResult(ma, "loi", (), failure, 0, time.perf_counter() - started,
                              tuple(dict.fromkeys(p.code for p in problems)))
        return UnitResult(ma, "loi", (), f"lỗi nội bộ: {type(exc).__name__}: {exc}", 0, time.perf_counter() - started)

    def _in_units_file(self, problem: Problem, unit: dict[str, Any], place: UnitPlace | None) -> Problem:
        """A problem in a field the unit's own column set is placed in the units file's cell, not in the base spec.

        The field may be the column's (``ngay.ngay``), inside it, or the block that holds it: a day that the
        unit's ``ngay.ngay`` made impossible is reported by the spec's rules on ``ngay``.
        """
        field_name = problem.location.field or ""
        for key, value in unit.items():
            if key in (UNIT_ID, UNIT_DATA) or value in ("", None) or key.split(".")[0] not in _FIELDS:
                continue
            if field_name and (field_name == key or field_name.startswith((key + ".", key + "["))
                               or key.startswith(field_name + ".")):
                cell = place.cells.get(key) if place is not None else None
                where = cell or Location(file=self.units_name, field=f"đơn vị '{unit[UNIT_ID]}', cột '{key}'")
                return Problem(problem.code, problem.message, where, problem.hint)
        return problem


def _settled(item: UnitResult | _Rendered) -> bool:
    return not isinstance(item, _Rendered) or item.conversion is None or item.conversion.done()


def _init_worker(*setup: Any) -> None:
    _Worker.state = _Worker(*setup)
    _Worker.state.warm()


def _init_pool_worker(limits: Limits, *setup: Any) -> None:
    # Ctrl-C and SIGTERM reach the whole process group. A worker process ignores them and finishes
    # its chunk (16 units): the main process stops handing out work and waits, so a stop never
    # cuts a file in half. (A worker killed outright leaves a temporary file, removed on the next run.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    set_process_limits(limits)  # the limits in force where the batch was started
    _init_worker(*setup)
    # The pool ends its workers at the batch's end; multiprocessing runs this as a worker exits, so
    # the office is closed (and its temporary profile removed) rather than left to notice its pipe closed.
    from multiprocessing.util import Finalize

    Finalize(None, _close_worker, exitpriority=10)


def _close_worker() -> None:
    if _Worker.state is not None:
        _Worker.state.close()


Job = tuple[dict[str, Any], "UnitPlace | None", str]  # a unit to render, its place, why it is rendered (again)
# Renders the jobs: (jobs, the workers' setup, the list to add each unit's result to, progress, the stop flag).
Renderer = Callable[[list[Job], tuple, list[UnitResult], "Callable[[int], None] | None", "_Stop"], None]


def _run_chunk(jobs: list[Job]) -> list[UnitResult]:
    assert _Worker.state is not None
    return list(_Worker.state.run_many(jobs))


# ----- the batch -------------------------------------------------------------------------------


def _chunks(items: list[Job], size: int, workers: int = 1) -> Iterator[list[Job]]:
    """Chunks of ``size`` units, smaller towards the end so that the workers finish together.

    Each chunk is at most the remaining units' share of one worker over two, down to one unit: the last
    chunks are short, so no worker is left with a long one while the others wait (with PDF a chunk of 16
    is seconds of work).
    """
    start = 0
    while start < len(items):
        step = max(1, min(size, (len(items) - start) // (2 * workers)))
        yield items[start:start + step]
        start += step


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
              units: list[dict[str, Any]] | None = None, allowed: tuple[Path, ...] = (),
              places: list[UnitPlace] | None = None, renderer: Renderer | None = None) -> BatchSummary:
    """Render every unit of ``units_path`` with ``spec_path`` into ``out``; never stops on one unit.

    A unit whose files exist is rendered again when what it was rendered from changed (ket_qua_lo.json
    records, per unit, the sha256 of the spec, of its row, of every file read and every template, and the
    engine's version); otherwise it is skipped. ``units``/``places``: the rows of ``units_path`` and
    where they are, when the caller has read them already (to size a progress bar). ``allowed``: folders
    besides the spec's own that its paths (and the units' columns) may lead to. ``renderer``: renders the
    units that must be rendered somewhere else than this machine's processes (engine.cluster: on a Dask
    cluster); planning, resume and the report stay here, so they are the same wherever the units run.
    """
    started = time.perf_counter()
    spec_record(spec_path)  # a broken spec is one error now, not the same error for every unit
    if units is None:
        units, places = read_units_placed(units_path)
    placed = list(places) if places is not None and len(places) == len(units) else [None] * len(units)
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    if only_failed:
        wanted = previous_failures(out)
        placed = [place for unit, place in zip(units, placed, strict=True) if unit[UNIT_ID] in wanted]
        units = [u for u in units if u[UNIT_ID] in wanted]
    suffixes = (".docx", ".pdf") if pdf else (".docx",)
    planner = _Planner(spec_path, out, suffixes, tuple(allowed), str(units_path))
    jobs: list[Job] = []
    results: list[UnitResult] = []
    for unit, place in zip(units, placed, strict=True):
        decision = planner.decide(unit, place, force=force or only_failed, failed=only_failed)
        if decision.skipped is not None:
            results.append(decision.skipped)
        else:
            jobs.append((unit, place, decision.reason))
    if progress and results:
        progress(len(results))
    workers = max(1, min(workers or os.cpu_count() or 1, math.ceil(len(jobs) / CHUNK) or 1))
    plan = tuple(planner.counts.items())
    with _stop_on_signals() as stop:
        try:
            setup = (spec_path, out, suffixes, tuple(allowed), str(units_path))
            if jobs:
                (renderer or partial(_render_units, workers=workers))(jobs, setup, results, progress, stop)
        except (KeyboardInterrupt, EngineError):
            # Every file written so far is whole; say what was done so far, then stop (a renderer
            # elsewhere may fail as a whole, e.g. a cluster that went away: its finished units count).
            _remove_stale_temporaries(out)
            _finish(out, spec_path, units_path, units, results, started, only_failed, plan)
            raise
    return _finish(out, spec_path, units_path, units, results, started, only_failed, plan)


@dataclass(frozen=True)
class _Decision:
    reason: str = ""  # why the unit is rendered ("" for a unit with no files yet)
    skipped: UnitResult | None = None  # the result of a unit not rendered (its previous record kept)


class _Planner:
    """Decides, unit by unit, whether a resumed batch renders it again, from what ket_qua_lo.json recorded.

    Rendered: a unit with no files (or only some), one that failed last time (--only-failed), one whose
    inputs changed (the engine's version, the spec, its row, a file it read, a template), and one recorded
    by an older engine that kept no hashes (safe: it cannot be shown to be current). Skipped: a unit whose
    inputs are all the same, a unit whose files were changed on disk since they were written (a clerk's
    edit is not overwritten unasked), and files the report does not know (never written by this batch).
    """

    def __init__(self, spec_path: Path, out: Path, suffixes: tuple[str, ...], allowed: tuple[Path, ...],
                 units_name: str) -> None:
        self.out = out
        self.suffixes = suffixes
        self.units_name = units_name
        self.spec_dir = spec_path.parent
        self.spec = spec_record(spec_path)[1]
        self.engine = provenance.engine_version()
        self.access = Access.for_spec(spec_path.parent, allowed)
        self._previous: dict[str, dict[str, Any]] | None = None
        self._hashes: dict[tuple[bool, str, str, str], str | None] = {}
        self.counts: dict[str, int] = {}

    def previous(self) -> dict[str, dict[str, Any]]:
        if self._previous is None:
            self._previous = {item["ma"]: item for item in read_report(self.out)} if (self.out / REPORT).exists() \
                else {}
        return self._previous

    def _count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def decide(self, unit: dict[str, Any], place: UnitPlace | None, *, force: bool, failed: bool) -> _Decision:
        ma = unit[UNIT_ID]
        targets = [self.out / f"{ma}{suffix}" for suffix in self.suffixes]
        if failed:
            self._count("loi_truoc")
            return _Decision(RENDER_REASONS["loi_truoc"])
        if force:
            return _Decision()
        present = [t.exists() for t in targets]
        if not any(present):
            return _Decision()
        if not all(present):
            self._count("thieu_tep")
            return _Decision(RENDER_REASONS["thieu_tep"])
        entry = self.previous().get(ma)
        names = tuple(t.name for t in targets)
        if entry is None:
            return self._skip(ma, names, "khong_ro", None)
        if entry.get("status") == "loi":
            self._count("loi_truoc")
            return _Decision(RENDER_REASONS["loi_truoc"])
        recorded = _recorded_inputs(entry)
        outputs = entry.get("outputs")
        if recorded is None or not isinstance(outputs, dict):
            self._count("bao_cao_cu")
            return _Decision(RENDER_REASONS["bao_cao_cu"])
        if any(outputs.get(t.name) != self._file_hash(t) for t in targets):
            return self._skip(ma, names, "da_sua", entry)
        reasons = self._changes(unit, place, recorded, str(entry.get("engine_version") or ""))
        if not reasons:
            return self._skip(ma, names, "khong_doi", entry)
        self._count(reasons[0])
        return _Decision("dựng lại: " + ", ".join(RENDER_REASONS[key] for key in reasons))

    def _skip(self, ma: str, names: tuple[str, ...], key: str, entry: dict[str, Any] | None) -> _Decision:
        self._count(key)
        kept = _result_from_entry(entry) if entry is not None else None
        result = UnitResult(ma, "bo_qua", names, SKIP_REASONS[key])
        if kept is not None:
            result = replace(kept, status="bo_qua", files=names, reason=SKIP_REASONS[key], seconds=0.0)
        return _Decision(skipped=result)

    def _changes(self, unit: dict[str, Any], place: UnitPlace | None, recorded: list[Input], engine: str) -> list[str]:
        """The reasons (keys of RENDER_REASONS) the unit's inputs differ from those recorded, most general first."""
        found: set[str] = set()
        if engine != self.engine:
            found.add("phien_ban")
        for item in recorded:
            if item.field == "dac_ta":
                if item.sha256 != self.spec.sha256:
                    found.add("dac_ta")
            elif item.field == UNIT_DATA:
                if item.sha256 != row_input(unit, self.units_name, place).sha256:
                    found.add("don_vi")
            elif self._input_hash(item) != item.sha256:
                found.add("mau" if item.role == "mau" else "tep_du_lieu")
        if not any(item.field == "dac_ta" for item in recorded):
            found.add("dac_ta")
        return [key for key in RENDER_REASONS if key in found]

    def _input_hash(self, item: Input) -> str | None:
        """The sha256 of a recorded input as it is now (None: it cannot be read any more), once per batch."""
        key = (item.builtin, item.field.rsplit(".", 1)[-1], item.name, item.role)
        if key not in self._hashes:
            self._hashes[key] = self._read_hash(item)
        return self._hashes[key]

    def _read_hash(self, item: Input) -> str | None:
        from engine.kinds import TEMPLATES_DIR
        from engine.scoring.loader import FRAMEWORKS_DIR

        role = item.role or "du_lieu"
        try:
            if item.builtin:
                folder = FRAMEWORKS_DIR if item.field.endswith("bo_tieu_chi") else TEMPLATES_DIR
                path = Path(os.path.realpath(folder / item.name))
                if not path.is_relative_to(Path(os.path.realpath(folder))):
                    return None
                return provenance.sha256(read_file(path, role=role).data)
            return provenance.sha256(self.access.read(item.name, where=Location(field=item.field), role=role).data)
        except EngineError:
            return None  # gone or refused: changed (the render will say why)

    def _file_hash(self, path: Path) -> str | None:
        try:
            return provenance.sha256(read_file(path, role="ket_qua", limit="tep_van_ban").data)
        except EngineError:
            return None


def _recorded_inputs(entry: dict[str, Any]) -> list[Input] | None:
    """The inputs a report entry recorded, or None when it recorded none (an older engine) or they are malformed."""
    items = entry.get("inputs")
    if not isinstance(items, list) or not items:
        return None
    try:
        return [Input.from_dict(item) for item in items]
    except (KeyError, TypeError, AttributeError):
        return None


def _result_from_entry(entry: dict[str, Any]) -> UnitResult | None:
    """A previous run's record of a unit, to keep when it is skipped (its hashes carry over to the next run)."""
    try:
        return UnitResult(str(entry["ma"]), str(entry["status"]), tuple(entry.get("files") or ()),
                          str(entry.get("reason") or ""), int(entry.get("warnings") or 0), 0.0,
                          tuple(entry.get("codes") or ()), str(entry.get("engine_version") or ""),
                          tuple(entry.get("inputs") or ()), dict(entry.get("outputs") or {}))
    except (KeyError, TypeError, ValueError):
        return None


def _render_units(jobs: list[Job], setup: tuple, results: list[UnitResult],
                  progress: Callable[[int], None] | None, stop: _Stop, *, workers: int) -> None:
    if workers == 1:
        _init_worker(*setup)
        stop.deferred = True
        worker = _Worker.state
        assert worker is not None
        done = 0
        try:
            # A stop is noted by the signal handler; the units under way are finished, then it is raised.
            for result in worker.run_many(jobs, stopping=lambda: stop.requested):
                results.append(result)
                done += 1
                if progress:
                    progress(1)
        finally:
            worker.close()
        if done < len(jobs):
            stop.check()
        return
    pool = ProcessPoolExecutor(workers, initializer=_init_pool_worker, initargs=(current_limits(), *setup))
    waiting = set()
    try:
        waiting = {pool.submit(_run_chunk, chunk) for chunk in _chunks(jobs, CHUNK, workers)}
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
            started: float, only_failed: bool, plan: tuple[tuple[str, int], ...] = ()) -> BatchSummary:
    order = {u[UNIT_ID]: i for i, u in enumerate(units)}
    results.sort(key=lambda r: order[r.ma])
    summary = BatchSummary(tuple(results), time.perf_counter() - started, plan)
    _write_report(out, spec_path, units_path, summary, only_failed)
    return summary


def _write_report(out: Path, spec_path: Path, units_path: Path, summary: BatchSummary, only_failed: bool) -> None:
    previous: dict[str, dict[str, Any]] = {}
    report = out / REPORT
    if only_failed and report.exists():  # keep the other units' entries from the full run
        previous = {item["ma"]: item for item in read_report(out)}
    for result in summary.results:
        previous[result.ma] = asdict(result)
    data = {"phien_ban_bao_cao": REPORT_VERSION, "dac_ta": str(spec_path), "danh_sach": str(units_path),
            "giay": round(summary.seconds, 3), "don_vi": list(previous.values())}
    write_atomic(report, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"), force=True)
