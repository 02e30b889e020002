"""Turn the documented resource limits (and a user's changes to them) into the values every reader checks.

Specs, data, templates and documents may come from people we do not know, so every size and
count the engine reads or produces is bounded, and each bound has a Vietnamese name a user can
set: on the command line (``--gioi-han so_dong=100000``), in the environment
(``VANBAN_GIOI_HAN="so_dong=100000,thoi_gian_dung=60"``) or from Python (:func:`using_limits`).
README.md and docs/errors.md list the names; a test keeps that list equal to :data:`LIMIT_DOCS`.

The limits in force are a context variable, so a service can give each request its own and the
render path reads them without being handed them through every call.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields, replace

from engine.errors import Location, Problem, SpecError

__all__ = ["LIMIT_DOCS", "Limits", "current_limits", "parse_limit_settings", "set_process_limits", "using_limits"]

KB = 1024
MB = 1024 * KB


@dataclass(frozen=True)
class Limits:
    """Every bound the engine enforces. Sizes are in bytes, times in seconds, the rest are counts."""

    tep_yaml: int = 2 * MB  # a YAML or JSON file: the spec, its data, a framework, a units list
    tep_du_lieu: int = 50 * MB  # a table file: CSV or .xlsx (scores, a units list)
    tep_mau: int = 20 * MB  # a .docx template
    tep_van_ban: int = 100 * MB  # a .docx or PDF given to check, snapshot or preview
    tep_anh: int = 5 * MB  # an image: a signature, a seal, a picture in the body
    anh_diem_anh: int = 25_000_000  # pixels of an image (width × height)
    giai_nen: int = 200 * MB  # what a .docx or .xlsx may unpack to, all entries together (its XML is parsed whole)
    so_muc_nen: int = 10_000  # entries of a .docx or .xlsx
    ty_le_nen: int = 200  # how many times an entry over 1 MB may grow when unpacked
    nut_yaml: int = 200_000  # values in one YAML file (keys, items, scalars)
    do_sau: int = 64  # nesting of YAML and of the data a program passes in
    so_dong: int = 50_000  # rows of a data table, a units file or an appendix table
    so_cot: int = 1_000  # columns of a data table
    so_o: int = 250_000  # cells of one appendix table (about 1 GB of memory to render at this size); merged ranges
    # of one sheet
    so_doan: int = 100_000  # paragraphs of a document's body, or of a document read by check
    do_dai_chuoi: int = 1_000_000  # characters of one value, or of a string made by one operation
    do_dai_danh_sach: int = 1_000_000  # items of a list made by one operation in a template or expression
    so_vong_lap: int = 5_000_000  # loop iterations of one render (template and expressions)
    thoi_gian_dung: float = 60.0  # seconds of template work for one document
    phan_van_ban: int = 256 * MB  # one rendered part of the .docx (the body, a header), and any template output
    so_trang_anh: int = 500  # pages drawn by preview
    diem_bieu_do: int = 2_000  # points (bars, points of a line) of one chart

    def describe(self, name: str) -> str:
        """The limit as a person reads it: "50 MB", "50.000", "60 giây"."""
        value = getattr(self, name)
        unit = LIMIT_DOCS[name][1]
        if unit == "byte":
            return f"{value / MB:g} MB" if value >= MB else f"{value / KB:g} KB"
        if unit == "giây":
            return f"{value:g} giây"
        return f"{value:,}".replace(",", ".")


# name → (what it bounds, its unit): README.md and docs/errors.md list these (tested).
LIMIT_DOCS: dict[str, tuple[str, str]] = {
    "tep_yaml": ("cỡ một tệp YAML/JSON: đặc tả, dữ liệu, bộ tiêu chí, danh sách đơn vị", "byte"),
    "tep_du_lieu": ("cỡ một tệp bảng CSV hoặc .xlsx (bảng điểm, danh sách đơn vị)", "byte"),
    "tep_mau": ("cỡ tệp mẫu .docx", "byte"),
    "tep_van_ban": ("cỡ tệp .docx/PDF đưa cho check, snapshot, preview", "byte"),
    "tep_anh": ("cỡ một ảnh: ảnh chữ ký, ảnh dấu, ảnh trong thân văn bản", "byte"),
    "anh_diem_anh": ("số điểm ảnh (rộng × cao) của một ảnh", "điểm ảnh"),
    "giai_nen": ("tổng cỡ sau giải nén của một tệp .docx/.xlsx", "byte"),
    "so_muc_nen": ("số mục trong một tệp .docx/.xlsx", "mục"),
    "ty_le_nen": ("số lần một mục trên 1 MB được phép nở ra khi giải nén", "lần"),
    "nut_yaml": ("số giá trị trong một tệp YAML", "giá trị"),
    "do_sau": ("độ lồng nhau của YAML và dữ liệu truyền vào", "mức"),
    "so_dong": ("số dòng của một bảng dữ liệu, danh sách đơn vị hay bảng phụ lục", "dòng"),
    "so_cot": ("số cột của một bảng dữ liệu", "cột"),
    "so_o": ("số ô của một bảng phụ lục; số vùng gộp ô của một trang tính", "ô"),
    "so_doan": ("số đoạn của thân văn bản, hoặc của văn bản đưa cho check/snapshot", "đoạn"),
    "do_dai_chuoi": ("số ký tự của một giá trị, hoặc của một chuỗi do một phép tính tạo ra", "ký tự"),
    "do_dai_danh_sach": ("số phần tử của một danh sách do một phép tính trong mẫu/biểu thức tạo ra", "phần tử"),
    "so_vong_lap": ("số vòng lặp của mẫu và biểu thức khi dựng một văn bản", "vòng"),
    "thoi_gian_dung": ("thời gian điền mẫu và tính biểu thức cho một văn bản", "giây"),
    "phan_van_ban": ("cỡ một phần XML của văn bản dựng ra (thân, đầu trang)", "byte"),
    "so_trang_anh": ("số trang preview vẽ thành ảnh", "trang"),
    "diem_bieu_do": ("số điểm (cột, điểm của đường) của một biểu đồ", "điểm"),
}

ENVIRONMENT_VARIABLE = "VANBAN_GIOI_HAN"
_SIZE = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(kb|mb|gb|b)?\s*$", re.IGNORECASE)
_FACTORS = {"b": 1, "kb": KB, "mb": MB, "gb": 1024 * MB}


def _value(name: str, text: str) -> int | float:
    unit = LIMIT_DOCS[name][1]
    match = _SIZE.match(text)
    if not match or (match[2] and unit != "byte"):
        raise ValueError(text)
    number = float(match[1].replace(",", "."))
    if unit == "byte":
        number *= _FACTORS[(match[2] or "b").lower()]
    if number <= 0:
        raise ValueError(text)
    return number if unit == "giây" else int(number)


def parse_limit_settings(settings: list[str] | tuple[str, ...], *, base: Limits | None = None,
                         source: str = "--gioi-han") -> Limits:
    """``["so_dong=100000", "tep_du_lieu=200MB"]`` → Limits; a bad name or value is a SpecError naming it."""
    changes: dict[str, int | float] = {}
    problems: list[Problem] = []
    for setting in settings:
        name, sep, text = setting.partition("=")
        name = name.strip()
        where = Location(file=source, field=name or setting)
        if not sep or name not in LIMIT_DOCS:
            problems.append(Problem("SPEC_VALUE", f"không có giới hạn tên '{name or setting}'", where,
                                    hint="Viết ten=giá_trị; các tên: " + ", ".join(LIMIT_DOCS) + "."))
            continue
        try:
            changes[name] = _value(name, text)
        except ValueError:
            unit = LIMIT_DOCS[name][1]
            example = "50MB" if unit == "byte" else "60" if unit == "giây" else "100000"
            problems.append(Problem("SPEC_VALUE", f"giá trị '{text.strip()}' của giới hạn '{name}' không phải số dương",
                                    where, hint=f"Ví dụ: {name}={example}."))
    if problems:
        raise SpecError(problems)
    return replace(base or Limits(), **changes)


def _from_environment() -> Limits:
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return Limits()
    return parse_limit_settings([part for part in text.split(",") if part.strip()], source=ENVIRONMENT_VARIABLE)


_process_limits: Limits | None = None
_active: ContextVar[Limits | None] = ContextVar("vanban_limits", default=None)


def current_limits() -> Limits:
    """The limits in force here: set by :func:`using_limits`, else the process's (environment or defaults)."""
    active = _active.get()
    if active is not None:
        return active
    global _process_limits
    if _process_limits is None:
        _process_limits = _from_environment()
    return _process_limits


def set_process_limits(limits: Limits) -> None:
    """Make ``limits`` the default of this process (a batch worker, a service worker)."""
    global _process_limits
    _process_limits = limits


@contextmanager
def using_limits(limits: Limits | None) -> Iterator[Limits]:
    """Apply ``limits`` (None: keep those in force) to everything run inside the block."""
    if limits is None:
        yield current_limits()
        return
    token = _active.set(limits)
    try:
        yield limits
    finally:
        _active.reset(token)


assert set(LIMIT_DOCS) == {f.name for f in fields(Limits)}, "every limit is documented"
