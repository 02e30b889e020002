"""Property tests: whatever the input, the Python API gives a .docx python-docx opens, or an EngineError.

Each test builds inputs with tests/fuzz/strategies.py and runs one entry point of the API under
:func:`check_contract`, which fails the example when

- anything but an :class:`~engine.errors.EngineError` comes out (a TypeError, a RecursionError, a
  MemoryError …), or an EngineError carries no problem;
- the bytes that come back are not a .docx python-docx opens (``docx.Document(io.BytesIO(data))``);
- a call takes longer than :data:`HANG_SECONDS` (the engine's own time limit is set to 5 s here;
  SIGALRM interrupts a call that runs past the bound, so a hang fails instead of blocking);
- ``render_to_file`` leaves a file behind when it raised;
- the process dies (a C extension overflowing its stack) or must be killed (stuck inside C code).

Every call runs in a forked child process (``VANBAN_FUZZ_IN_PROCESS=1`` runs them in the test process
instead), so a crash, a hang or a memory bomb (the child's address space is capped) fails one example
with its reproducer rather than the whole run. A failure carries a short Python reproducer (in its
message, and in ``ContractViolation.reproducer`` for tests/fuzz/long_run.py). Problems fuzzing found
are kept as explicit ``@example`` inputs, run first on every run. The profiles (fast and deterministic
"ci", endless "long") are in tests/fuzz/conftest.py. Nothing is written outside temporary folders.
"""

from __future__ import annotations

import faulthandler
import io
import json
import os
import re
import select
import shutil
import signal
import tempfile
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import tests.fuzz.strategies as gen
from engine import load_spec_text, prepare, render, render_to_file, spec_from_mapping
from engine.errors import EngineError
from engine.trust.limits import Limits, using_limits

# pytest.ini_options turns warnings into errors; hypothesis warns when it prints a failing example of a
# megabyte-long string, which would then hide the failure itself.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning")

ROOT = Path(__file__).resolve().parents[2]
ENGINE_DIR = str(ROOT / "engine")
HANG_SECONDS = 20.0
FUZZ_LIMITS = replace(Limits(), thoi_gian_dung=5)

# Filled while tests run: calls per property, and (for long_run) failures already known, to count, not raise.
CALLS: Counter[str] = Counter()
OUTCOMES: Counter[tuple[str, str]] = Counter()  # (test, "docx" or the first problem's code)
KNOWN: set[tuple[str, ...]] = set()
SUPPRESSED: Counter[tuple[str, ...]] = Counter()
SUPPRESS_KNOWN = False


class Hang(BaseException):  # noqa: N818 - not an error of the engine: the alarm that interrupts a call
    """Raised by SIGALRM inside a call that ran past HANG_SECONDS (BaseException: no ``except Exception`` eats it)."""


class ContractViolation(AssertionError):
    """The API broke its contract; ``key`` tells distinct problems apart, ``reproducer`` is Python to paste.

    Raise it through :func:`violation_class`: one subclass per distinct problem, so that hypothesis (which
    tells failures apart by exception type and place) shrinks and reports each problem on its own.
    """

    def __init__(self, report: dict[str, str], test: str, reproducer: str) -> None:
        self.kind = report["kind"]
        self.test = test
        self.error_type = report.get("error_type", "")
        self.detail = report.get("detail", "")
        self.where = report.get("where", "")
        self.innermost = report.get("innermost", "")
        self.reproducer = reproducer
        self.key = violation_key(report, test)
        super().__init__(f"[{self.kind}] {self.error_type}: {self.detail}\n  at {self.where or '?'} "
                         f"(innermost {self.innermost or '?'})\n--- reproducer ---\n{reproducer}")


def violation_key(report: dict[str, str], test: str) -> tuple[str, ...]:
    kind = report["kind"]
    if kind in ("hang", "slow", "crash", "killed"):  # where a long call stops varies: per test and engine module
        return (kind, test, report.get("where", "").split(":")[0])
    return (kind, report.get("error_type", ""), report.get("where") or report.get("innermost", ""))


_VIOLATION_CLASSES: dict[tuple[str, ...], type[ContractViolation]] = {}


def violation_class(key: tuple[str, ...]) -> type[ContractViolation]:
    if key not in _VIOLATION_CLASSES:
        _VIOLATION_CLASSES[key] = type(f"ContractViolation[{' '.join(part for part in key if part)}]",
                                       (ContractViolation,), {})
    return _VIOLATION_CLASSES[key]


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(error.__traceback__))


def _origin(error: BaseException) -> str:
    """The innermost frame in engine/ (where the engine let the exception through)."""
    engine_frames = [f for f in _frames(error) if f.filename.startswith(ENGINE_DIR)]
    if not engine_frames:
        return ""
    frame = engine_frames[-1]
    return f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno} ({frame.name})"


def _innermost(error: BaseException) -> str:
    frames = _frames(error)
    if not frames:
        return ""
    frame = frames[-1]
    name = frame.filename
    for marker in ("site-packages/", "lib/python3"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    else:
        name = str(Path(name).relative_to(ROOT)) if name.startswith(str(ROOT)) else name
    return f"{name}:{frame.lineno} ({frame.name})"


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in this (main) thread after ``seconds``; elsewhere only the elapsed time is checked."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _shorten(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(kind: str, error: BaseException | None, detail: str) -> dict[str, Any]:
    return {"outcome": "violation", "kind": kind, "error_type": type(error).__name__ if error is not None else "",
            "detail": _shorten(detail), "where": _origin(error) if error is not None else "",
            "innermost": _innermost(error) if error is not None else ""}


def evaluate(call: Callable[[], bytes | None], must_not_exist: Path | None = None) -> dict[str, Any]:
    """Run ``call`` under the fuzz limits and say what came of it: a .docx, an error code, or a violation."""
    start = time.monotonic()
    data: bytes | None = None
    try:
        with using_limits(FUZZ_LIMITS), warnings.catch_warnings(), _alarm(HANG_SECONDS):
            warnings.simplefilter("ignore")
            data = call()
    except EngineError as error:
        if not error.problems:
            return _report("error without problem", error, str(error))
        if must_not_exist is not None and must_not_exist.exists():
            return _report("file written on error", error, f"{must_not_exist.name} exists after {type(error).__name__}")
        return {"outcome": error.problems[0].code}
    except Hang as hang:
        return _report("hang", hang, f"no answer after {HANG_SECONDS:g} s")
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - the contract: nothing but EngineError may come out
        return _report("exception", error, f"{type(error).__name__}: {error}")
    elapsed = time.monotonic() - start
    if elapsed > HANG_SECONDS:
        return _report("slow", None, f"answered after {elapsed:.1f} s (bound {HANG_SECONDS:g} s)")
    if data is None:
        return {"outcome": "none"}
    if not isinstance(data, bytes):
        return _report("not bytes", None, f"returned {type(data).__name__}")
    try:
        with warnings.catch_warnings(), _alarm(HANG_SECONDS):
            warnings.simplefilter("ignore")
            docx.Document(io.BytesIO(data))
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - python-docx refusing the output is the failure
        return _report("unopenable", error, f"python-docx refuses the output ({len(data)} bytes): "
                                            f"{type(error).__name__}: {error}")
    return {"outcome": "docx"}


# Each call runs in a forked child: a crash (a C extension overflowing its stack), a hang inside C code
# (which SIGALRM cannot interrupt) or a memory bomb then fails the example instead of the whole run.
# The child inherits the parent's warm caches (compiled default templates), so it costs ~15 ms a call.
ISOLATED = hasattr(os, "fork") and os.environ.get("VANBAN_FUZZ_IN_PROCESS", "") != "1"
CHILD_MEMORY = 6 << 30  # bytes of address space a child may use
KILL_AFTER = HANG_SECONDS + 15  # a child that has not answered by then is killed


_warm = False


def warm_up() -> None:
    """Render each shipped template and table kind once here, so that every child starts with them compiled."""
    global _warm
    if _warm:
        return
    _warm = True
    with workdir() as folder, using_limits(FUZZ_LIMITS), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shutil.copy(gen.SAMPLE_SCORES, folder / "diem_xa.csv")
        for kind, extra in (("bao_cao", "bang_chi_so"), ("cong_van", "bang_xep_hang"), ("to_trinh", "bang_tieu_chi")):
            spec = scored_spec([], extra)
            spec["loai"] = kind
            spec["don_vi_soan_thao"] = "VP"
            try:
                render(spec, base_dir=folder)
                spec["phu_luc"][0]["ngang"] = True
                spec["phu_luc"] = spec["phu_luc"][:1]
                render(spec, base_dir=folder)
            except EngineError:
                pass


def _in_child(call: Callable[[], bytes | None], must_not_exist: Path | None, folder: Path) -> dict[str, Any]:
    warm_up()
    crash_log = folder / ".faulthandler"
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, write the report, leave without running any cleanup
        status = 0
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            with open(crash_log, "w") as log:
                faulthandler.enable(file=log)
                try:
                    import resource

                    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, resource.getrlimit(resource.RLIMIT_AS)[1]))
                except (ImportError, ValueError, OSError):
                    pass
                try:
                    report = evaluate(call, must_not_exist)
                except BaseException as error:  # noqa: BLE001 - reported to the parent
                    report = _report("exception", error, f"{type(error).__name__}: {error}")
                payload = json.dumps(report).encode("ascii")
                view = memoryview(payload)
                while view:
                    view = view[os.write(write_end, view):]
        except BaseException:  # noqa: BLE001 - the parent sees an empty report
            status = 70
        finally:
            os._exit(status)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + KILL_AFTER
    killed = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            ready, _, _ = select.select([read_end], [], [], remaining)
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if killed:
        return {"outcome": "violation", "kind": "killed", "error_type": "", "where": "", "innermost": "",
                "detail": f"no answer after {KILL_AFTER:g} s, not even to SIGALRM (stuck in C code?): killed"}
    if chunks:
        return json.loads(b"".join(chunks))
    signal_number = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    name = signal.Signals(-signal_number).name if signal_number < 0 else f"exit status {signal_number}"
    log = crash_log.read_text(errors="replace") if crash_log.exists() else ""
    frames = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', log)
    engine = [f for f in frames if f[0].startswith(ENGINE_DIR)]
    where = f"{Path(engine[0][0]).relative_to(ROOT)}:{engine[0][1]} ({engine[0][2]})" if engine else ""
    innermost = f"{frames[0][0]}:{frames[0][1]} ({frames[0][2]})" if frames else ""
    return {"outcome": "violation", "kind": "crash", "error_type": name, "where": where, "innermost": innermost,
            "detail": f"the process died ({name}); faulthandler: " + " | ".join(log.strip().splitlines()[:8])}


def check_contract(test: str, call: Callable[[], bytes | None], reproducer: Callable[[], str], *, folder: Path,
                   must_not_exist: Path | None = None) -> None:
    """Run ``call`` (in a child process when possible); fail with a ContractViolation if it breaks the contract."""
    CALLS[test] += 1
    report = _in_child(call, must_not_exist, folder) if ISOLATED else evaluate(call, must_not_exist)
    OUTCOMES[test, report.get("kind", report["outcome"])] += 1
    if report["outcome"] != "violation":
        return
    key = violation_key(report, test)
    if SUPPRESS_KNOWN and key in KNOWN:
        SUPPRESSED[key] += 1
        return
    raise violation_class(key)(report, test, reproducer())


# ----- registry: long_run.py re-wraps these with its own settings and seeds ----------------------------

PROPERTIES: dict[str, tuple[Callable[..., None], dict[str, st.SearchStrategy[Any]]]] = {}


def fuzz_property(**strategies: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Any]:
    """@given(**strategies), and remembered in PROPERTIES for long_run.py."""

    def decorate(function: Callable[..., None]) -> Any:
        PROPERTIES[function.__name__] = (function, strategies)
        return given(**strategies)(function)

    return decorate


@contextmanager
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="vanban_fuzz_"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        _forget_templates(folder)


def _forget_templates(folder: Path) -> None:
    """Drop the engine's cached templates of a deleted folder (each example has its own folder)."""
    from engine.render import docx as docx_render

    prefix = str(folder.resolve())
    with docx_render._lock:
        for path in [p for p in docx_render._cache if str(p).startswith(prefix)]:
            del docx_render._cache[path]
        for key in [k for k in docx_render._joined if any(str(t.path).startswith(prefix) for t in k)]:
            del docx_render._joined[key]


REPRO_HEAD = (gen.REPRO_IMPORTS + "from dataclasses import replace\n"
              "from engine import load_spec_text, prepare, render, render_to_file, spec_from_mapping\n"
              "from engine.trust.limits import Limits, using_limits\n"
              "from tests.fuzz.strategies import OddText, Opaque, Repeated, Weekday, build_template, write_files\n"
              + gen.NESTED_HELPER +
              "with tempfile.TemporaryDirectory() as tmp, using_limits(replace(Limits(), thoi_gian_dung=5)):\n"
              "    tmp = Path(tmp)\n")


def _repro(*lines: str) -> str:
    return REPRO_HEAD + "".join(f"    {line}\n" for line in lines)


# ----- 1. spec mappings through every entry point -------------------------------------------------------

API_CALLS = ["render", "render", "render_no_base_dir", "prepare_then_render", "spec_from_mapping", "render_to_file"]


def _call_for(api: str, spec: Any, folder: Path) -> tuple[Callable[[], bytes | None], str, Path | None]:
    output = folder / "ket_qua.docx"
    if api == "render":
        return lambda: render(spec, base_dir=folder), "data = render(spec, base_dir=tmp)", None
    if api == "render_no_base_dir":
        return lambda: render(spec), "data = render(spec)", None
    if api == "prepare_then_render":
        return (lambda: render(prepare(spec, base_dir=folder).loaded),
                "data = render(prepare(spec, base_dir=tmp).loaded)", None)
    if api == "spec_from_mapping":
        return (lambda: render(spec_from_mapping(spec, base_dir=folder, name="spec.yaml")),
                "data = render(spec_from_mapping(spec, base_dir=tmp, name='spec.yaml'))", None)

    def to_file() -> bytes:
        return render_to_file(spec, output, base_dir=folder).read_bytes()

    return to_file, "data = render_to_file(spec, tmp / 'ket_qua.docx', base_dir=tmp).read_bytes()", output


# Problems fuzzing found, kept as explicit examples (run first, every time): a 200 KB mapping whose one
# decomposed string is shared 20,000 times made the engine normalise 4 billion characters (minutes, GBs);
# criteria data whose so_ho_so or so_lieu is a list, not a mapping, raised AttributeError.
CRITERIA_AS_LISTS = {
    "loai": "bao_cao", "co_quan_ban_hanh": {"ten": "ỦY BAN NHÂN DÂN XÃ A", "viet_tat": "UBND"}, "dia_danh": "A",
    "ngay": "2024-01-05", "trich_yeu": "Thử", "noi_nhan": {"cac_noi": ["B"]},
    "nguoi_ky": {"chuc_vu": "Chủ tịch", "ho_ten": "Nguyễn Văn An"},
    "cham_diem": {"tc": {"bo_tieu_chi": "nd61_qd1187_dien_bien",
                         "du_lieu": {"so_ho_so": [{1: [1033, 99, 0]}], "so_lieu": [99, 1147]}}},
}


@fuzz_property(case=gen.spec_cases(), api=st.sampled_from(API_CALLS))
@example(case={"spec": {"loai": "bao_cao", "du_lieu": {"d": gen.Repeated("a\u0301" * 100_000, 20_000)}}, "files": {}},
         api="spec_from_mapping")
@example(case={"spec": CRITERIA_AS_LISTS, "files": {}}, api="render")
def test_spec_mapping_renders_or_raises_engine_error(case: dict[str, Any], api: str) -> None:
    with workdir() as folder:
        gen.write_files(folder, case["files"])
        call, line, output = _call_for(api, case["spec"], folder)
        check_contract("test_spec_mapping_renders_or_raises_engine_error", call, lambda: _repro(
            f"spec = {gen.py_repr(case['spec'])}",
            f"write_files(tmp, {gen.py_repr(case['files'])})",
            line, "docx.Document(io.BytesIO(data))"), folder=folder, must_not_exist=output)


# ----- 2. YAML text -----------------------------------------------------------------------------------

YAML_WAYS = ["load_spec_text", "load_spec_text", "file"] + [f"file:{e}" for e in gen.ENCODINGS]


# Found by fuzzing: a C stack overflow (SIGSEGV) in libyaml, exceptions from PyYAML's constructors (a set
# as a key, a timestamp or bool tag on other text, a number too large as a key), a lone surrogate, and a
# control character in text deep enough for the pure-Python parser (ReaderError).
@fuzz_property(text=gen.yaml_texts(), way=st.sampled_from(YAML_WAYS))
@example(text="a: " + "[" * 100_000 + "]" * 100_000, way="load_spec_text")
@example(text="? !!set {a}\n: 1\n", way="load_spec_text")
@example(text="1.0e+999: x\n", way="load_spec_text")
@example(text="0x" + "f" * 70 + ": x\n", way="load_spec_text")
@example(text="a: !!timestamp 2001-12-14x\n", way="load_spec_text")
@example(text="? !!timestamp x\n: 1\n", way="load_spec_text")
@example(text="e: !!bool x\n", way="load_spec_text")
@example(text="loai: bao_cao\ndia_danh: \ud800\n", way="load_spec_text")
@example(text="\x08a: " + "[" * 200 + "]" * 200, way="load_spec_text")
def test_yaml_text_renders_or_raises_engine_error(text: str, way: str) -> None:
    with workdir() as folder:
        (folder / "du_lieu.yaml").write_bytes(gen.yaml_file(gen.SAMPLE_DATA))
        if way == "load_spec_text":
            def call() -> bytes:
                return render(load_spec_text(text, name="spec.yaml", base_dir=folder))
            line = "data = render(load_spec_text(text, name='spec.yaml', base_dir=tmp))"
            setup = []
        else:
            encoding = way.partition(":")[2] or "utf-8"
            path = folder / "spec.yaml"
            path.write_bytes(gen.encode_text(text, encoding))

            def call() -> bytes:
                return render(path)
            line = "data = render(tmp / 'spec.yaml')"
            setup = [f"(tmp / 'spec.yaml').write_bytes({gen.py_repr(gen.encode_text(text, encoding))})"]
        check_contract("test_yaml_text_renders_or_raises_engine_error", call, lambda: _repro(
            f"text = {gen.py_repr(text)}",
            f"(tmp / 'du_lieu.yaml').write_bytes({gen.py_repr(gen.yaml_file(gen.SAMPLE_DATA))})",
            *setup, line, "docx.Document(io.BytesIO(data))"), folder=folder)


# ----- 3. expressions placed in a valid spec ------------------------------------------------------------

TEXT_SLOTS = ["doan", "gach", "muc", "trich_yeu", "kinh_gui", "can_cu", "noi_nhan", "gia_tri", "tieu_de_phu_luc",
              "dau", "sau", "doan_sau_khoan", "dia_danh", "ho_ten"]
VALUE_SLOTS = ["tinh", "dong"]


def base_spec() -> dict[str, Any]:
    """A valid report that reads every kind of value: inline data, a score table, one-stop and criteria scores."""
    return {
        "loai": "bao_cao",
        "co_quan_ban_hanh": {"ten": ["ỦY BAN NHÂN DÂN", "HUYỆN TỦA CHÙA"], "viet_tat": "UBND"},
        "so": 5, "dia_danh": "Tủa Chùa", "ngay": "2023-04-05", "trich_yeu": "Kết quả tháng 4",
        "du_lieu": {"d": gen.SAMPLE_DATA},
        "cham_diem": {
            "kq": {"bo_tieu_chi": "dien_bien_459_2023", "du_lieu": "diem_xa.csv", "cot": dict(gen.FIXTURE_COLUMNS)},
            "mc": {"bo_tieu_chi": "mot_cua_nd61", "du_lieu": dict(gen.MOT_CUA_SAMPLE)},
            "tc": {"bo_tieu_chi": "nd61_qd1187_dien_bien", "du_lieu": gen.CRITERIA_SAMPLE},
        },
        "so_lieu_ghi": [{"noi_dung": "Số đơn vị", "ghi": 12, "tinh": "kq.so_don_vi"}],
        "noi_dung": [{"doan": "Mở đầu."}, {"khoan": "Kết quả", "doan": "Tốt.", "noi_dung": [{"gach": ["Một."]}]}],
        "noi_nhan": {"cac_noi": ["UBND tỉnh"], "luu": "VP"},
        "nguoi_ky": {"quyen_han": "TM.", "thay": "Ủy ban nhân dân", "chuc_vu": "Chủ tịch", "ho_ten": "Lường Tuấn Anh"},
        "phu_luc": [{"mau": "bang", "tieu_de": "Danh sách", "dong": "d.rows",
                     "cot": [{"tieu_de": "STT", "gia_tri": "{{ stt }}", "rong": 1.2},
                             {"tieu_de": "Tên", "gia_tri": "{{ dong.ten }}", "rong": 6, "can": "trai"}]}],
    }


def place(spec: dict[str, Any], slot: str, text: str) -> None:
    """Put ``text`` into the field ``slot`` of :func:`base_spec`."""
    if slot == "doan":
        spec["noi_dung"].append({"doan": text})
    elif slot == "gach":
        spec["noi_dung"].append({"gach": [text, "Hai."]})
    elif slot == "muc":
        spec["noi_dung"].append({"muc": text, "noi_dung": [{"diem": text}]})
    elif slot == "doan_sau_khoan":
        spec["noi_dung"][1]["doan"] = text
    elif slot == "kinh_gui":
        spec["kinh_gui"] = [text, "Sở Nội vụ"]
    elif slot == "can_cu":
        spec["can_cu"] = [text]
    elif slot == "noi_nhan":
        spec["noi_nhan"]["cac_noi"].append(text)
    elif slot == "gia_tri":
        spec["phu_luc"][0]["cot"][1]["gia_tri"] = text
    elif slot == "tieu_de_phu_luc":
        spec["phu_luc"][0]["tieu_de"] = [text]
    elif slot == "dau":
        spec["phu_luc"][0]["dau"] = [{"nhan": "Kỳ:", "gia_tri": text}]
    elif slot == "sau":
        spec["phu_luc"][0]["sau"] = [text]
    elif slot == "tinh":
        spec["so_lieu_ghi"].append({"noi_dung": "Số thử", "ghi": "16,74", "tinh": text})
    elif slot == "dong":
        spec["phu_luc"][0]["dong"] = text
    elif slot == "ho_ten":
        spec["nguoi_ky"]["ho_ten"] = text
    else:
        spec[slot] = text


placements = st.lists(st.one_of(st.tuples(st.sampled_from(TEXT_SLOTS), gen.expression_text),
                                st.tuples(st.sampled_from(VALUE_SLOTS), st.one_of(gen.good_expressions,
                                                                                  gen.expressions))),
                      min_size=1, max_size=3)
extra_phu_luc = st.sampled_from([None, None, "bang_chi_so", "bang_xep_hang", "bang_tieu_chi"])


def scored_spec(placed: list[tuple[str, str]], extra: str | None = None) -> dict[str, Any]:
    """:func:`base_spec` with texts placed in it, and maybe one more phụ lục of a scored table."""
    spec = base_spec()
    for slot, text in placed:
        place(spec, slot, text)
    if extra:
        spec["phu_luc"].append({"mau": extra, "nguon": "tc" if extra == "bang_tieu_chi" else "kq",
                                "tieu_de": "Phụ lục {{ van_ban.so }}"})
    return spec


# Found by fuzzing: a Jinja filter raising AttributeError, a stated figure whose rounding overflowed the
# decimal context, a literal past the number bounds.
@fuzz_property(placed=placements, extra=extra_phu_luc)
@example(placed=[("doan", "{{ 1 | dictsort }}")], extra=None)
@example(placed=[("tinh", "10 ** 30")], extra=None)
@example(placed=[("tinh", "1" + "0" * 41)], extra=None)
def test_expressions_render_or_raise_engine_error(placed: list[tuple[str, str]], extra: str | None) -> None:
    spec = scored_spec(placed, extra)
    with workdir() as folder:
        shutil.copy(gen.SAMPLE_SCORES, folder / "diem_xa.csv")
        check_contract("test_expressions_render_or_raise_engine_error", lambda: render(spec, base_dir=folder),
                       lambda: _repro(
                           "from tests.fuzz.test_properties import scored_spec",
                           f"(tmp / 'diem_xa.csv').write_bytes(Path({str(gen.SAMPLE_SCORES)!r}).read_bytes())",
                           f"spec = scored_spec({gen.py_repr(placed)}, {extra!r})",
                           "data = render(spec, base_dir=tmp)", "docx.Document(io.BytesIO(data))"), folder=folder)


# ----- 4. CSV score tables ---------------------------------------------------------------------------

SCORE_TEXT = ["{{ kq.so_don_vi }}", "{{ kq.dem_xep_loai['Tốt'] | hai_so }}", "{{ kq.xep_hang[0].ten }}",
              "{{ kq.xep_hang[0].quy_doi | so(2) }}",
              "{% for u in kq.xep_hang %}{{ u.ten }} {{ u.hang }}; {% endfor %}",
              "{% for u in kq.don_vi %}{{ u.tang_giam }}{% endfor %}", "{{ kq.don_vi[0].nhom.cong_khai.diem }}",
              "{{ kq.don_vi | map(attribute='quy_doi') | sum }}", "{{ kq.theo_ten['Xã A'].xep_loai }}"]
score_extras = st.fixed_dictionaries({
    "text": st.lists(st.one_of(st.sampled_from(SCORE_TEXT), gen.expression_text), max_size=2),
    "phu_luc": st.lists(st.sampled_from(["bang_chi_so", "bang_xep_hang", "bang"]), max_size=2),
    "tinh": st.one_of(st.none(), st.sampled_from(["kq.so_don_vi", "kq.xep_hang[0].quy_doi", "kq.dem_xep_loai['Khá']"])),
})


def score_spec(entry: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """:func:`base_spec` scoring a table with ``entry``, printing its figures as ``extras`` says."""
    spec = base_spec()
    spec["cham_diem"] = {"kq": entry}
    spec["so_lieu_ghi"] = [{"noi_dung": "Số", "ghi": 3, "tinh": extras["tinh"]}] if extras["tinh"] else []
    spec["noi_dung"] += [{"doan": text} for text in extras["text"]]
    items = []
    for kind in extras["phu_luc"]:
        if kind == "bang":
            items.append({"mau": "bang", "tieu_de": "Xếp hạng", "dong": "kq.xep_hang",
                          "cot": [{"tieu_de": "Tên", "gia_tri": "{{ dong.ten }}"},
                                  {"tieu_de": "Điểm", "gia_tri": "{{ dong.quy_doi }}"}]})
        else:
            items.append({"mau": kind, "nguon": "kq", "tieu_de": "Kết quả", "nhom_dong": "UBND CÁC XÃ"})
    spec["phu_luc"] = items
    return spec


# Found by fuzzing: a blank column name in 'cot' (ValueError), a bảng chỉ số from group-level scores (KeyError).
@fuzz_property(table=gen.score_tables(), extras=score_extras)
@example(table={"entry": {"bo_tieu_chi": "dien_bien_459_2023", "du_lieu": "diem_xa.csv", "cot": {"don_vi": " "}},
                "data": gen.SAMPLE_SCORES.read_bytes(), "name": "diem_xa.csv", "encoding": "utf-8"},
         extras={"text": [], "phu_luc": [], "tinh": None})
@example(table={"entry": {"bo_tieu_chi": "dien_bien_459_2023", "du_lieu": "nhom.csv", "muc_chi_tiet": "nhom"},
                "data": "don_vi;cong_khai;tien_do;dvtt;so_hoa;hai_long\nXã A;10;20;10;10;10\n".encode(),
                "name": "nhom.csv", "encoding": "utf-8"},
         extras={"text": [], "phu_luc": ["bang_chi_so"], "tinh": None})
def test_score_tables_render_or_raise_engine_error(table: dict[str, Any], extras: dict[str, Any]) -> None:
    spec = score_spec(table["entry"], extras)
    with workdir() as folder:
        (folder / table["name"]).write_bytes(table["data"])
        check_contract("test_score_tables_render_or_raise_engine_error", lambda: render(spec, base_dir=folder),
                       lambda: _repro("from tests.fuzz.test_properties import score_spec",
                                      f"(tmp / {table['name']!r}).write_bytes({gen.py_repr(table['data'])})",
                                      f"spec = score_spec({gen.py_repr(table['entry'])}, {gen.py_repr(extras)})",
                                      "data = render(spec, base_dir=tmp)", "docx.Document(io.BytesIO(data))"),
                       folder=folder)


# ----- 5. generated .docx templates -------------------------------------------------------------------

TEMPLATE_USES = ["mau", "mau", "tep_mau", "both"]


def template_spec(placed: list[tuple[str, str]], extra: str | None, use: str) -> dict[str, Any]:
    """:func:`scored_spec` using mau.docx as its template ("mau"), pl.docx for its first phụ lục, or both."""
    spec = scored_spec(placed, extra)
    if use in ("mau", "both"):
        spec["mau"] = "mau.docx"
    if use in ("tep_mau", "both"):
        spec["phu_luc"][0]["tep_mau"] = "pl.docx" if use == "tep_mau" else "mau.docx"
    return spec


# Half the examples of the profile: each builds a .docx and compiles it (about 0.2 s), the others are quicker.
@settings(max_examples=max(10, settings.default.max_examples // 2))
@fuzz_property(recipe=gen.template_recipes(), use=st.sampled_from(TEMPLATE_USES), extra=extra_phu_luc,
               placed=st.lists(st.tuples(st.sampled_from(TEXT_SLOTS), gen.expression_text), max_size=1))
@example(recipe={"base": "bao_cao", "paragraphs": [{"runs": ["{{ 1 | dictsort }}"]}], "table": None, "header": None,
                 "damage": None}, use="mau", extra=None, placed=[])
def test_templates_render_or_raise_engine_error(recipe: dict[str, Any], use: str, extra: str | None,
                                                placed: list[tuple[str, str]]) -> None:
    spec = template_spec(placed, extra, use)
    name = "pl.docx" if use == "tep_mau" else "mau.docx"
    with workdir() as folder:
        shutil.copy(gen.SAMPLE_SCORES, folder / "diem_xa.csv")
        template = gen.build_template(recipe)
        (folder / name).write_bytes(template)
        check_contract("test_templates_render_or_raise_engine_error", lambda: render(spec, base_dir=folder),
                       lambda: _repro(
                           "from tests.fuzz.test_properties import template_spec",
                           f"(tmp / 'diem_xa.csv').write_bytes(Path({str(gen.SAMPLE_SCORES)!r}).read_bytes())",
                           f"recipe = {gen.py_repr(recipe)}",
                           f"(tmp / {name!r}).write_bytes(build_template(recipe))",
                           f"spec = template_spec({gen.py_repr(placed)}, {extra!r}, {use!r})",
                           "data = render(spec, base_dir=tmp)", "docx.Document(io.BytesIO(data))"), folder=folder)

        def lint_then_validate() -> None:
            # The same template through lint and validate (which lints the spec's templates): a report or an
            # engine error, never anything else.
            from engine.pipeline import lint_prepared
            from engine.render.lint import lint_template

            lint_template(folder / name)
            lint_prepared(prepare(spec, base_dir=folder))

        check_contract("test_templates_render_or_raise_engine_error", lint_then_validate,
                       lambda: _repro(
                           "from tests.fuzz.test_properties import template_spec",
                           "from engine.render.lint import lint_template",
                           "from engine.pipeline import lint_prepared",
                           f"(tmp / 'diem_xa.csv').write_bytes(Path({str(gen.SAMPLE_SCORES)!r}).read_bytes())",
                           f"recipe = {gen.py_repr(recipe)}",
                           f"(tmp / {name!r}).write_bytes(build_template(recipe))",
                           f"spec = template_spec({gen.py_repr(placed)}, {extra!r}, {use!r})",
                           f"lint_template(tmp / {name!r})", "lint_prepared(prepare(spec, base_dir=tmp))"),
                       folder=folder)


# ----- 6. documents read back into specs (vanban init --from) ------------------------------------------

# Lines of official documents, whole and cut, so the reader meets its patterns in every order and mix.
DOCUMENT_LINES = [
    "ỦY BAN NHÂN DÂN", "HUYỆN TỦA CHÙA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
    "Số: 12/BC-UBND", "Số:      /UBND-VP", "Số: /BC- UBND", "Tủa Chùa, ngày 05 tháng 01 năm 2024",
    "Hà Nội, ngày      tháng      năm 2025", "BÁO CÁO", "TỜ TRÌNH", "V/v công bố kết quả tháng 8/2024",
    "Kết quả giải quyết thủ tục hành chính quý II năm 2021", "Kính gửi:", "Kính gửi: UBND tỉnh", "- Như trên;",
    "- UBND các xã, thị trấn.", "Căn cứ Nghị định số 61/2018/NĐ-CP;", "I. KẾT QUẢ", "II.", "1. Tiếp nhận",
    "2.1. Kết quả đạt được: Nhìn chung tốt.", "a) Hồ sơ trực tuyến", "+ Đúng hạn: 12 hồ sơ;", "- Lưu: VT, VP.",
    "Lưu VT", "Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn An", "PHỤ LỤC",
    "Phụ lục II", "(Kèm theo Báo cáo số 12/BC-UBND)", "Kỳ đánh giá: Quý II", "Trên đây là báo cáo tháng 4 năm 2023./.",
    "từ 15/12/2022 đến hết 14/03/2023", "12/12 đơn vị, trong đó 01 đơn vị xếp loại Tốt", "{{ ky }} {% if %}",
    "Nơi nhận:\t\tTL. CHỦ TỊCH", "UBND HUYỆN A\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Số: 3/BC-VP\tA, ngày 1 tháng 2 năm 2026",
]
CELLS = ["STT", "Tên cơ quan, đơn vị", "TÊN CƠ QUAN, ĐƠN VỊ", "Điểm tổng hợp", "Tăng, giảm", "Chỉ số 1", "(1)", "(2)",
         "I", "UBND CÁC XÃ", "UBND xã A", "UBND xã B", "72,1", "-", "0,80", "-1,5", "100", "x", "Trung bình", "",
         "Tiêu chí/Tiêu chí thành phần", "Điểm tối đa", "Số lượng hồ sơ", "Điểm tự đánh giá", "1.147"]


@st.composite
def official_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A recipe for :func:`tests.fuzz.strategies.build_template`: lines of official documents, cut and mixed."""
    line = st.one_of(st.sampled_from(DOCUMENT_LINES), gen.small_text,
                     st.builds(lambda text, at: text[:at], st.sampled_from(DOCUMENT_LINES), st.integers(0, 40)))
    paragraphs = [{"runs": draw(st.lists(line, min_size=1, max_size=3)),
                   "bold": draw(st.lists(st.booleans(), max_size=3))}
                  for _ in range(draw(st.integers(0, 30)))]
    table = None
    if draw(st.booleans()):
        columns = draw(st.integers(1, 6))
        cell = st.one_of(st.sampled_from(CELLS), gen.small_text)
        table = draw(st.lists(st.lists(cell, min_size=columns, max_size=columns), min_size=1, max_size=8))
    if draw(st.booleans()):  # a whole document around the mixed lines, so that many examples render
        head = ["ỦY BAN NHÂN DÂN\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "XÃ A\tĐộc lập - Tự do - Hạnh phúc",
                "Số: 7/BC-UBND\tA, ngày 05 tháng 01 năm 2024", "BÁO CÁO", "Kết quả tháng 12 năm 2023"]
        tail = ["Nơi nhận:\t\tTM. ỦY BAN NHÂN DÂN", "- Như trên;\t\tCHỦ TỊCH", "- Lưu: VT, VP.", "\t\tNguyễn Văn An"]
        paragraphs = ([{"runs": [text], "bold": [index >= 3]} for index, text in enumerate(head)] + paragraphs
                      + [{"runs": [text], "bold": [True]} for text in tail])
    recipe = {"base": "blank", "paragraphs": paragraphs, "table": table, "header": None, "damage": None}
    if draw(st.integers(0, 7)) == 0:
        recipe["base"] = draw(st.sampled_from(["bao_cao", "cong_van"]))
    return recipe


def recover_then_render(document: bytes, folder: Path, moved: str | None) -> bytes:
    """What a clerk does: init --from (and --ky), then render the spec it wrote."""
    from engine.recover import recover
    from engine.vn.periods import parse_period

    recovery = recover(document, name="van_ban.docx", period=parse_period(moved) if moved else None)
    for name, data in recovery.files.items():
        (folder / name).write_bytes(data)
    (folder / "spec.yaml").write_text(recovery.yaml(source="van_ban.docx"), encoding="utf-8")
    return render(folder / "spec.yaml")


# A quarter of the profile's examples: each renders a recovered spec (about 0.5 s with its checks).
@settings(max_examples=max(10, settings.default.max_examples // 4))
@fuzz_property(recipe=official_documents(), moved=st.sampled_from([None, None, "tháng 5 năm 2023", "quý II/2021"]))
def test_documents_recover_into_specs_that_render_or_raise_engine_error(recipe: dict[str, Any],
                                                                         moved: str | None) -> None:
    document = gen.build_template(recipe)
    with workdir() as folder:
        check_contract("test_documents_recover_into_specs_that_render_or_raise_engine_error",
                       lambda: recover_then_render(document, folder, moved),
                       lambda: _repro("from tests.fuzz.test_properties import recover_then_render",
                                      f"recipe = {gen.py_repr(recipe)}",
                                      f"data = recover_then_render(build_template(recipe), tmp, {moved!r})",
                                      "docx.Document(io.BytesIO(data))"), folder=folder)
