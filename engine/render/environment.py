"""Build the two Jinja environments once per process: one for spec text, one for .docx XML.

Specs and templates may come from people we do not know, so both environments are a sandbox
that holds (Jinja's immutable sandbox is the anchor, and this one is stricter):

- The globals are empty: no ``range``, ``dict``, ``lipsum``, ``cycler``, ``joiner`` or
  ``namespace``. The filters are the engine's own (engine.vn) and a short list of Jinja's,
  each bounded (:data:`JINJA_FILTERS`); ``safe``, ``format``, ``pprint``, ``random``,
  ``urlize``, ``wordwrap`` and ``xmlattr`` are not there.
- Only plain data is read: the keys of a dict, the items of a list, tuple or string, and the
  fields the engine's own value types declare (:data:`READABLE_FIELDS`: a Figure's ``value``,
  a loop's ``index`` …). Any other attribute (``''.format``, ``{}.items``, a method, a
  field of an unknown object) is an error with code SANDBOX_ACCESS, and so is calling
  anything but a macro of the template itself.
- Printing anything that is not text, a number, a figure or the engine's own markup (a
  function, a class, a dict, a list, None, True) is an error with code SANDBOX_PRINT, never
  its Python repr.
- Every string or list an operation makes (``*``, ``+``, ``~``, a filter) is bounded by
  ``do_dai_chuoi`` and ``do_dai_danh_sach``, checked before the work when the size can be
  known in advance; every loop counts against ``so_vong_lap``; the whole work of one document
  against ``thoi_gian_dung`` seconds; numbers against the bounds of engine.vn.numbers. Each
  limit is its own LimitError code. Deep recursion (a macro that calls itself) is LIMIT_DEPTH.

Both use StrictUndefined (a missing value is an error, never a silent blank) and exact decimal
arithmetic. The .docx environment autoescapes, so ``&``, ``<`` and ``>`` in data render
literally instead of corrupting the XML; the text environment does not, because its output is
plain text that the .docx environment escapes once when it is placed in the document.
"""

from __future__ import annotations

import operator
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, localcontext
from functools import cache, lru_cache
from itertools import islice
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_BUILTIN_FILTERS
from jinja2.runtime import LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from engine.inline import strip_markers
from engine.render.markup import EngineMarkup
from engine.render.runs import Styled
from engine.scoring.figures import Figure, Percentage
from engine.trust.limits import Limits, current_limits
from engine.vn.dates import PartialDate
from engine.vn.filters import FILTERS
from engine.vn.numbers import check_magnitude, format_number, format_percent
from engine.vn.periods import PERIOD_FIELDS, Period

__all__ = ["JINJA_FILTERS", "READABLE_FIELDS", "SandboxLimit", "SandboxViolation", "bounded_value", "compile_text",
           "compile_value", "python_message",
           "docx_environment", "printable", "sandbox_budget", "text_environment", "watching_values"]


class SandboxViolation(SecurityError):
    """A template or an expression reached for something the sandbox does not give (code SANDBOX_*)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)  # Jinja's errors give it back as ``message``
        self.code = code
        self.hint = hint


class SandboxLimit(jinja2.TemplateRuntimeError):
    """A template or an expression went past a limit (code LIMIT_*)."""

    def __init__(self, code: str, message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.limit = limit


# ----- the budget of one document ---------------------------------------------------------------

_CLOCK_EVERY = 256  # loop iterations between two looks at the clock


class Budget:
    """What the templates and expressions of one document may still spend: loop iterations and time."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.iterations = 0
        self.deadline = time.monotonic() + limits.thoi_gian_dung

    def tick(self, count: int = 1) -> None:
        before = self.iterations
        self.iterations += count
        if self.iterations > self.limits.so_vong_lap:
            raise SandboxLimit("LIMIT_LOOP", f"vòng lặp chạy quá {self.limits.describe('so_vong_lap')} lần",
                               "so_vong_lap")
        if before // _CLOCK_EVERY != self.iterations // _CLOCK_EVERY:
            self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise SandboxLimit("LIMIT_TIME", f"điền mẫu và tính biểu thức quá {self.limits.describe('thoi_gian_dung')}",
                               "thoi_gian_dung")


_budget: ContextVar[Budget | None] = ContextVar("vanban_budget", default=None)


@contextmanager
def sandbox_budget() -> Iterator[Budget]:
    """One document's budget for the block (the one already open, if any: a render inside a prepare)."""
    active = _budget.get()
    if active is not None:
        yield active
        return
    budget = Budget(current_limits())
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def _spend(count: int = 1) -> Limits:
    budget = _budget.get()
    if budget is None:  # a template rendered outside any document (a test, a tool): a budget of its own
        return current_limits()
    budget.tick(count)
    return budget.limits


# ----- sizes --------------------------------------------------------------------------------------


def _text_limit(length: int, limits: Limits) -> None:
    if length > limits.do_dai_chuoi:
        raise SandboxLimit("LIMIT_TEXT", f"một chuỗi dài {format_number(length)} ký tự, quá giới hạn "
                           f"{limits.describe('do_dai_chuoi')}", "do_dai_chuoi")


def _list_limit(length: int, limits: Limits) -> None:
    if length > limits.do_dai_danh_sach:
        raise SandboxLimit("LIMIT_LIST", f"một danh sách dài {format_number(length)} phần tử, quá giới hạn "
                           f"{limits.describe('do_dai_danh_sach')}", "do_dai_danh_sach")


def _bounded(value: Any, limits: Limits) -> Any:
    if isinstance(value, str):
        _text_limit(len(value), limits)
    elif isinstance(value, (list, tuple)):
        _list_limit(len(value), limits)
    elif isinstance(value, Decimal):
        _number(value)
    return value


def bounded_value(value: Any) -> Any:
    """A value an expression gives (a literal can be any size: ``tinh: 1000…0``) within the number and size bounds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= 10 ** 41:
            raise SandboxLimit("LIMIT_NUMBER", "số nguyên quá lớn (chỉ dùng số dưới 10^41)")
        return value
    return _bounded(value, current_limits())


def _number(value: Decimal) -> Decimal:
    try:
        return check_magnitude(value)
    except ValueError as exc:
        raise SandboxLimit("LIMIT_NUMBER", str(exc)) from None


# ----- arithmetic ---------------------------------------------------------------------------------

_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}
MAX_EXPONENT = 100  # ``x ** n``: no official figure needs more


def _exact(value: Any) -> Any:
    if isinstance(value, Percentage):
        return value.value.value
    if isinstance(value, Figure):
        return value.value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _plain(value: Decimal) -> Decimal:
    """The same value without trailing zeros, a whole number without an exponent (1,20 → 1,2; 1E+2 → 100)."""
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(value.as_tuple().digits) + abs(value.adjusted()) + 2)
        if value == value.to_integral_value():
            return value.quantize(Decimal(1))
        return value.normalize()


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple)) else None


# ----- what a template may read -------------------------------------------------------------------

# The engine's value types and Jinja's own loop object, with the fields a template may read.
READABLE_FIELDS: dict[type, frozenset[str]] = {
    Figure: frozenset({"value", "decimals"}),
    Percentage: frozenset({"value", "part", "base", "base_name"}),
    PartialDate: frozenset({"year", "month", "day"}),
    Period: PERIOD_FIELDS,  # a period prints as its text; its other forms and neighbours are fields
    LoopContext: frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth",
                            "depth0", "previtem", "nextitem"}),
}
_PLAIN_SEQUENCES = (list, tuple, str)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "một chuỗi"
    if isinstance(value, dict):
        return "một bảng khóa: giá trị"
    if isinstance(value, (list, tuple)):
        return "một danh sách"
    if isinstance(value, bool):
        return "giá trị đúng/sai"
    if isinstance(value, (int, float, Decimal)):
        return "một số"
    if value is None:
        return "giá trị rỗng (None)"
    if callable(value):
        return "một hàm"
    return "một đối tượng"


def _refused_attribute(obj: Any, attribute: str) -> SandboxViolation:
    return SandboxViolation(
        "SANDBOX_ACCESS", f"không được dùng '{attribute}' của {_kind(obj)}: mẫu và biểu thức chỉ đọc được các "
        "trường của dữ liệu", "Đọc trường bằng dấu chấm (dong.ten) hoặc ngoặc vuông (dong['Tên']); đổi dạng "
        "giá trị bằng bộ lọc (| so, | in_hoa, | ngay_thang …), không bằng phương thức của Python.")


def printable(value: Any) -> Any:
    """What ``{{ … }}`` may print: text, numbers, figures and the engine's markup; anything else is an error."""
    if type(value) is str or isinstance(value, str):  # the exact type first: most values printed are text
        _text_limit(len(value), current_limits())
        return value
    if isinstance(value, (Figure, Percentage, _ENGINE_MARKUP)):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, Undefined):
        return value  # StrictUndefined raises its own error when printed
    if isinstance(value, PartialDate):
        hint = "In ngày bằng bộ lọc: {{ van_ban.ngay | ngay_thang }}."
    elif isinstance(value, (dict, list, tuple)):
        hint = "In từng trường (dong.ten), hoặc nối danh sách: {{ danh_sach | join(', ') }}."
    elif isinstance(value, bool):
        hint = "Dùng {% if … %} để chọn chữ in ra."
    elif value is None:
        hint = "Giá trị này trống trong dữ liệu; kiểm tra dữ liệu, hoặc dùng {% if … %} hay | default('…')."
    else:
        hint = "Mẫu chỉ in được chữ, số và giá trị tính được."
    raise SandboxViolation("SANDBOX_PRINT", f"không in được {_kind(value)}", hint)


_ENGINE_MARKUP: tuple[type, ...] = (EngineMarkup, Markup)


# ----- filters ------------------------------------------------------------------------------------


def _pre_checked(name: str, check: Callable[..., int | None]) -> Callable[..., Any]:
    """Jinja's filter ``name`` with the size of its result checked before it is made."""
    function = JINJA_BUILTIN_FILTERS[name]

    marker = getattr(function, "jinja_pass_arg", None)  # Jinja passes the same first argument to the wrapper

    def filter_(*args: Any, **kwargs: Any) -> Any:
        limits = _spend()
        expected = check(*(args[1:] if marker is not None else args), **kwargs)  # the check sees the filter's own
        if expected is not None:
            _text_limit(expected, limits)
        return function(*args, **kwargs)

    if marker is not None:
        filter_.jinja_pass_arg = marker  # type: ignore[attr-defined]
    filter_.__doc__ = function.__doc__
    return filter_


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _center_size(value: Any, width: int = 80) -> int:
    return max(len(_text_of(value)), int(width))


def _indent_size(value: Any, width: int | str = 4, *args: Any, **kwargs: Any) -> int:
    text = _text_of(value)
    pad = len(width) if isinstance(width, str) else int(width)
    return len(text) + (text.count("\n") + 1) * pad


def _replace_size(value: Any, old: Any, new: Any, count: int | None = None) -> int:
    text, old, new = _text_of(value), _text_of(old), _text_of(new)
    found = len(text) + 1 if not old else text.count(old)
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _join_size(value: Any, d: Any = "", attribute: Any = None) -> int | None:
    if attribute is not None or not isinstance(value, (list, tuple)):
        return None  # checked after: a generator cannot be measured without running it
    return sum(len(_text_of(item)) for item in value) + len(_text_of(d)) * max(len(value) - 1, 0)


def _count_size(value: Any, count: Any, *args: Any, **kwargs: Any) -> None:
    """batch and slice make lists of ``count`` items: the count is bounded like a list."""
    _list_limit(int(count), current_limits())
    return None


@jinja2.pass_environment
def _numbers_only_sum(environment: jinja2.Environment, iterable: Any, attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's ``sum``, for numbers only and in exact decimals (adding lists would be quadratic)."""
    total = _exact(start)
    getter = jinja2.filters.make_attrgetter(environment, attribute) if attribute is not None else None
    for item in iterable:
        value = _exact(getter(item) if getter else item)
        if not isinstance(value, Decimal):
            raise SandboxViolation("SANDBOX_ACCESS", f"| sum chỉ cộng các số, gặp {_kind(value)}",
                                   "Dùng | join(', ') để nối chữ.")
        total = total + value
    return _number(total) if isinstance(total, Decimal) else total


def _string(value: Any) -> str:
    return str(printable(value))


# Jinja's filters that a template or expression may use; each result is bounded after it is made,
# and those that could make a huge string from small arguments are checked before.
_SAFE_AS_IS = ("abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "filesizeformat",
               "first", "float", "forceescape", "groupby", "int", "items", "last", "length", "list", "lower", "map",
               "max", "min", "reject", "rejectattr", "reverse", "round", "select", "selectattr", "sort", "striptags",
               "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "wordcount")
JINJA_FILTERS: dict[str, Callable[..., Any]] = {name: JINJA_BUILTIN_FILTERS[name] for name in _SAFE_AS_IS}
JINJA_FILTERS.update({
    "center": _pre_checked("center", _center_size),
    "indent": _pre_checked("indent", _indent_size),
    "replace": _pre_checked("replace", _replace_size),
    "join": _pre_checked("join", _join_size),
    "batch": _pre_checked("batch", _count_size),
    "slice": _pre_checked("slice", _count_size),
    "sum": _numbers_only_sum,
    "string": _string,
})

LOOP_FILTER = "_vong_lap"  # put around every {% for %} iterable by the compiler below


class _CountedIterable:
    """An iterable whose iterations count against the document's budget (its length stays known)."""

    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        budget = _budget.get()
        for item in self._items:
            if budget is not None:
                budget.tick()
            yield item

    def __len__(self) -> int:
        return len(self._items)


def _counted(items: Any) -> Any:
    if isinstance(items, Undefined):
        return items  # iterating it raises StrictUndefined's own error
    return _CountedIterable(items)


# Filters that turn their value into text with str(): given a dict or a list they would print its Python
# repr, so their value must be something printable, like {{ … }}'s (and join's items likewise).
TEXT_FILTERS = frozenset({"capitalize", "center", "e", "escape", "forceescape", "indent", "lower", "replace",
                          "striptags", "title", "trim", "truncate", "upper", "urlencode", "wordcount"})


def _wrap_result(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Every filter spends from the budget and has its result bounded; text filters take printable values only."""
    marker = getattr(function, "jinja_pass_arg", None)
    value_at = 1 if marker is not None else 0

    def filter_(*args: Any, **kwargs: Any) -> Any:
        limits = _spend()
        if name in TEXT_FILTERS and len(args) > value_at:
            printable(args[value_at])
        elif name == "join" and len(args) > value_at and "attribute" not in kwargs:
            items = list(islice(iter(args[value_at]), limits.do_dai_danh_sach + 1))
            _list_limit(len(items), limits)
            for item in items:
                printable(item)
            args = (*args[:value_at], items, *args[value_at + 1:])
        return _bounded(function(*args, **kwargs), limits)

    filter_.__doc__ = function.__doc__
    if marker is not None:
        filter_.jinja_pass_arg = marker  # type: ignore[attr-defined]
    filter_.__name__ = name
    return filter_


def _keeping_precision(format_: Any) -> Any:
    """Wrap a number filter so a computed figure keeps its own decimals unless told otherwise."""

    def filter_(value: Any, decimals: int | None = None) -> str:
        if isinstance(value, Percentage):
            value = value.value
        if isinstance(value, Figure):
            return format_(value.value, value.decimals if decimals is None else decimals)
        return format_(value, decimals)

    filter_.__doc__ = format_.__doc__
    return filter_


# "so" and "phan_tram" on a Figure or Percentage: "16,74", "91,86%" at the figure's precision.
FIGURE_FILTERS = {"so": _keeping_precision(format_number), "phan_tram": _keeping_precision(format_percent)}


# ----- Python's own messages, in Vietnamese ----------------------------------------------------------

_TYPE_NAMES = {"str": "chuỗi", "int": "số nguyên", "Decimal": "số", "decimal.Decimal": "số", "float": "số",
               "list": "danh sách", "tuple": "danh sách", "dict": "bảng khóa: giá trị", "NoneType": "giá trị rỗng",
               "bool": "giá trị đúng/sai", "Figure": "số tính được", "Percentage": "tỷ lệ", "Markup": "chuỗi",
               "PartialDate": "ngày tháng", "Period": "kỳ báo cáo", "Undefined": "giá trị không có",
               "StrictUndefined": "giá trị không có"}
_PYTHON_MESSAGES = [
    (re.compile(r"unsupported operand type\(s\) for ([^:]+): '(\w+)' and '(\w+)'"),
     lambda m: f"phép {m[1]} không dùng được giữa {_TYPE_NAMES.get(m[2], m[2])} và {_TYPE_NAMES.get(m[3], m[3])}"),
    (re.compile(r"can't multiply sequence by non-int of type '([\w.]+)'"),
     lambda m: f"chỉ nhân chuỗi hay danh sách với số nguyên, không với {_TYPE_NAMES.get(m[1], m[1])}"),
    (re.compile(r'can only concatenate (\w+) \(not "(\w+)"\) to \w+'),
     lambda m: f"chỉ cộng {_TYPE_NAMES.get(m[1], m[1])} với {_TYPE_NAMES.get(m[1], m[1])}, không với "
               f"{_TYPE_NAMES.get(m[2], m[2])} (nối chữ với số bằng dấu ~)"),
    (re.compile(r"'(\w+)' object is not iterable"),
     lambda m: f"không lặp được trên {_TYPE_NAMES.get(m[1], m[1])}"),
    (re.compile(r"object of type '(\w+)' has no len\(\)"),
     lambda m: f"{_TYPE_NAMES.get(m[1], m[1])} không có độ dài"),
    (re.compile(r"'(<|>|<=|>=)' not supported between instances of '(\w+)' and '(\w+)'"),
     lambda m: f"không so sánh {m[1]} được giữa {_TYPE_NAMES.get(m[2], m[2])} và {_TYPE_NAMES.get(m[3], m[3])}"),
    (re.compile(r"invalid literal for int\(\) with base \d+: (.*)"),
     lambda m: f"không đổi được {m[1][:40]} thành số nguyên"),
    (re.compile(r"could not convert string to float: (.*)"),
     lambda m: f"không đổi được {m[1][:40]} thành số"),
    (re.compile(r"'(\w+)' object has no attribute '(\w+)'"),
     lambda m: f"{_TYPE_NAMES.get(m[1], m[1])} không dùng được ở đây (bộ lọc cần một giá trị có '{m[2]}')"),
    (re.compile(r"division by zero|DivisionByZero|DivisionUndefined"), lambda m: "chia cho 0"),
    (re.compile(r"InvalidOperation"), lambda m: "phép tính số không hợp lệ"),
]


def python_message(exc: BaseException) -> str:
    """An error Python raised while evaluating a template or an expression, said in Vietnamese where known.

    >>> python_message(TypeError("unsupported operand type(s) for +: 'int' and 'str'"))
    'phép + không dùng được giữa số nguyên và chuỗi'
    """
    text = str(exc) or type(exc).__name__
    for pattern, say in _PYTHON_MESSAGES:
        match = pattern.search(text) or pattern.search(type(exc).__name__)
        if match:
            return say(match)
    return text[:200]


# ----- the environment ----------------------------------------------------------------------------


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator with every ``~`` concatenation bounded by the text limit.

    In an autoescaping template, each ``{{ … }}`` is compiled to one call of the environment's
    :meth:`ExactEnvironment.printed` instead of ``escape(environment.finalize(…))``: the same
    check and the same escaped text, without a Markup object made and dropped for every value
    (on a 10,000-row table those were a third of the render).
    """

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.bounded_text(")
        super().visit_Concat(node, frame)
        self.write(")")

    def _fused(self, frame: Any, finalize: Any) -> bool:
        return (frame.eval_ctx.autoescape and not frame.eval_ctx.volatile
                and finalize.src == "environment.finalize(" and self.environment.finalize is printable)

    _printed_field: nodes.Getattr | None = None  # the ``{{ row.field }}`` being written as one printed_field call

    def _output_child_pre(self, node: nodes.Expr, frame: Any, finalize: Any) -> None:
        if not self._fused(frame, finalize):
            super()._output_child_pre(node, frame, finalize)
        elif isinstance(node, nodes.Getattr) and not self.environment.is_async:
            self._printed_field = node  # visit_Getattr writes the whole call
        else:
            self.write("environment.printed(")

    def _output_child_post(self, node: nodes.Expr, frame: Any, finalize: Any) -> None:
        if not self._fused(frame, finalize):
            super()._output_child_post(node, frame, finalize)
        elif not (isinstance(node, nodes.Getattr) and not self.environment.is_async):
            self.write(")")

    def visit_Getattr(self, node: nodes.Getattr, frame: Any) -> None:
        if node is not self._printed_field:
            super().visit_Getattr(node, frame)
            return
        self._printed_field = None
        self.write("environment.printed_field(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r})")


def _bounded_concat(pieces: Any) -> str:
    """Jinja's join of a template's output (the whole part, a macro, a {% set %} block), bounded as it grows.

    One value printed many times (a data string referred to from every row) costs nothing until it is
    joined: the total is counted first, so a join that would be too big is refused before it is made.
    A template's own output comes as it is produced and is counted in runs of 64 pieces (each printed
    value is at most ``do_dai_chuoi``), which costs next to nothing against counting piece by piece.
    """
    limit = current_limits().phan_van_ban
    if isinstance(pieces, list):
        collected = pieces
        total = sum(map(len, collected))
    else:
        collected, total, stream = [], 0, iter(pieces)
        while run := list(islice(stream, _CONCAT_RUN)):
            total += sum(map(len, run))
            if total > limit:
                break
            collected += run
    if total > limit:
        raise _output_too_long(total)
    return "".join(collected)


_CONCAT_RUN = 64
_ABSENT = object()
# What a printed value may hold that the template's proof of structure (engine.render.proof) does not cover:
# a character XML 1.0 does not allow. _SPECIAL adds the characters escaping changes, for one search of each value.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPECIAL = re.compile("[&<>'\"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_unproven: ContextVar[list[bool] | None] = ContextVar("vanban_unproven", default=None)


def _note_unproven() -> None:
    watch = _unproven.get()
    if watch is not None:
        watch[0] = True


@contextmanager
def watching_values() -> Iterator[list[bool]]:
    """Watch one render: ``watch[0]`` is True afterwards when a value was printed that a structure proof
    does not cover (markup printed as it is, a character XML does not allow): the parts get the full check."""
    watch = [False]
    token = _unproven.set(watch)
    try:
        yield watch
    finally:
        _unproven.reset(token)


def _output_too_long(total: int) -> SandboxLimit:
    return SandboxLimit("LIMIT_OUTPUT", f"mẫu tạo ra hơn {format_number(total)} ký tự, quá giới hạn "
                        f"{current_limits().describe('phan_van_ban')} của một phần văn bản", "phan_van_ban")


class ExactEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox: exact arithmetic, plain data only, every size, loop and second counted.

    Data numbers are Decimals and whole numbers are ints; plain Python would make ``12 / 18``
    a binary float and ``Decimal + 0.5`` a TypeError. Here every arithmetic operator on two
    numbers works in Decimal, so ``0.1 + 0.2`` is exactly 0.3 and mixing is always allowed.
    """

    intercepted_binops = frozenset(_OPERATORS)
    code_generator_class = _BoundedCodeGenerator
    concat = staticmethod(_bounded_concat)  # every output buffer of a template is joined through it

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        # Every loop's iterable goes through the counting filter (the hook Jinja documents for this).
        for loop in source.find_all(nodes.For):
            if not (isinstance(loop.iter, nodes.Filter) and loop.iter.name == LOOP_FILTER):
                loop.iter = nodes.Filter(loop.iter, LOOP_FILTER, [], [], None, None, lineno=loop.lineno)
        return super()._generate(source, name, filename, defer_init)

    def printed(self, value: Any) -> Any:
        """``escape(printable(value))`` of an autoescaping template: plain text is escaped without a Markup made.

        The text is escaped exactly as markupsafe does (``&<>'"``; a test compares the two); any
        other value (a number, a figure, the engine's markup, Undefined) takes the general path.
        """
        if type(value) is str:
            if len(value) > current_limits().do_dai_chuoi:
                _text_limit(len(value), current_limits())
            if _SPECIAL.search(value) is None:  # the common case: nothing to escape, nothing to watch
                return value
            if _NOT_XML.search(value):
                _note_unproven()
            return (value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;")
                    .replace('"', "&#34;"))
        if type(value) is int:  # a count, a rank: digits and a sign, nothing to escape (bool is not int here)
            return str(value)
        result = escape(printable(value))
        if hasattr(value, "__html__") or _NOT_XML.search(result):  # printed as it is: no longer plain text
            _note_unproven()
        return result

    def printed_field(self, obj: Any, attribute: str) -> Any:
        """``printed(getattr(obj, attribute))`` in one call: ``{{ row.ten }}``, the commonest tag of a table."""
        value = obj.get(attribute, _ABSENT) if type(obj) is dict else self.getattr(obj, attribute)
        if type(value) is str:  # printed()'s common case, inline: a table prints tens of thousands of these
            if _SPECIAL.search(value) is None and len(value) <= current_limits().do_dai_chuoi:
                return value
        elif type(value) is int:
            return str(value)
        elif value is _ABSENT:
            value = self.undefined(obj=obj, name=attribute)
        return self.printed(value)

    def bounded_text(self, value: Any) -> Any:
        limits = _spend()
        _text_limit(len(value), limits)
        return value

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``row.ten``: a key of a dict, or a declared field of the engine's value types; nothing else."""
        if type(obj) is dict or isinstance(obj, dict):  # the exact type first: the common case, and quickest
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        return self._field(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """``row['Tên']``, ``rows[0]``, ``text[:3]``: items of plain data, or a value type's declared fields."""
        if isinstance(obj, dict):
            try:
                return obj[argument]
            except (KeyError, TypeError):
                return self.undefined(obj=obj, name=argument)
        if isinstance(obj, _PLAIN_SEQUENCES) and isinstance(argument, (int, slice)) and not isinstance(argument, bool):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=argument)
        if isinstance(argument, str):
            return self._field(obj, argument)
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        raise _refused_attribute(obj, str(argument))

    def _field(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        fields = READABLE_FIELDS.get(type(obj))
        if fields is not None and attribute in fields:
            return getattr(obj, attribute)
        if isinstance(obj, tuple) and attribute in getattr(type(obj), "_fields", ()):
            return getattr(obj, attribute)  # a named tuple Jinja makes (groupby's grouper and list)
        raise _refused_attribute(obj, attribute)

    def call(__self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Only the template's own macros (and a recursive loop) can be called."""
        if isinstance(__obj, (Macro, LoopContext)):
            _spend()
            return __context.call(__obj, *args, **kwargs)
        if isinstance(__obj, Undefined):
            __obj._fail_with_undefined_error()
        raise SandboxViolation("SANDBOX_ACCESS", f"không được gọi {_kind(__obj)} trong mẫu hay biểu thức",
                               "Mẫu chỉ đọc dữ liệu và dùng bộ lọc (| so, | in_hoa …); chỉ macro của chính mẫu "
                               "mới gọi được.")

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        limits = _spend()
        a, b = _exact(left), _exact(right)
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            if op == "**" and (b != b.to_integral_value() or abs(b) > MAX_EXPONENT):
                raise SandboxLimit("LIMIT_NUMBER", f"lũy thừa bậc {b} không được phép (chỉ số mũ nguyên đến "
                                   f"{MAX_EXPONENT})")
            result = _number(_OPERATORS[op](a, b))
            if op not in ("+", "-"):
                # A sum keeps the decimals its terms were written with (3,5 + 1,5 = 5,0); a product or a
                # quotient has no written precision of its own (16,74 × 0,5 is 8,37, not 8,370).
                result = _plain(result)
            # Keep whole-number results of whole-number operands as ints (counts stay counts).
            if isinstance(left, int) and isinstance(right, int) and (op in ("+", "-", "*") or op == "**" and b >= 0):
                return int(result)
            return result
        if op == "%" and isinstance(left, str):
            raise SandboxViolation("SANDBOX_ACCESS", "không dùng phép % của Python để định dạng chuỗi",
                                   "Dùng bộ lọc | so, | phan_tram, | hai_so để viết số.")
        if op == "*":
            sized, times = (_sized(left), right) if _sized(left) is not None else (_sized(right), left)
            if sized is not None and isinstance(times, int) and not isinstance(times, bool):
                (_text_limit if isinstance(left, str) or isinstance(right, str) else _list_limit)(
                    sized * max(times, 0), limits)
        if op == "+" and _sized(left) is not None and _sized(right) is not None:
            (_text_limit if isinstance(left, str) else _list_limit)(len(left) + len(right), limits)
        return _bounded(super().call_binop(context, op, left, right), limits)


def printable_text(value: Any) -> Any:
    """What ``{{ … }}`` in spec text prints: as :func:`printable`, with any marker of inline markup taken out of data.

    An expression's value is data: a ``**`` in it is text already (markup is read in the spec's own
    text, engine.inline), and a marker character that came with the data is dropped, so data never
    formats. The engine's own marked text (a :class:`~engine.render.runs.Styled` field such as
    ``van_ban.trich_yeu``) keeps its looks.
    """
    if isinstance(value, Styled):
        return value.marked
    value = printable(value)
    return strip_markers(value) if isinstance(value, str) else value


def _make(autoescape: bool) -> ExactEnvironment:
    env = ExactEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=2000,
        finalize=printable if autoescape else printable_text,
    )
    env.globals.clear()  # no range, dict, lipsum, cycler, joiner, namespace
    env.filters.clear()
    for name, function in {**JINJA_FILTERS, **FILTERS, **FIGURE_FILTERS}.items():
        env.filters[name] = _wrap_result(name, function)
    env.filters[LOOP_FILTER] = _counted
    return env


@cache
def text_environment() -> ExactEnvironment:
    """Environment for ``{{ … }}`` expressions written in the spec's text fields."""
    return _make(autoescape=False)


@cache
def docx_environment() -> ExactEnvironment:
    """Environment docxtpl renders the template XML with (autoescape on)."""
    return _make(autoescape=True)


CACHED_SOURCE = 4096  # characters: longer texts are compiled each time (a cache of huge texts costs memory)


def compile_text(source: str) -> jinja2.Template:
    """Compile a spec text expression once; batches render the same strings many times."""
    return _compile_text(source) if len(source) <= CACHED_SOURCE else text_environment().from_string(source)


def compile_value(expression: str) -> jinja2.environment.TemplateExpression:
    """Compile a spec expression whose value (not text) is wanted; an undefined result is kept, to be reported."""
    if len(expression) > CACHED_SOURCE:
        return text_environment().compile_expression(expression, undefined_to_none=False)
    return _compile_value(expression)


@lru_cache(maxsize=4096)
def _compile_text(source: str) -> jinja2.Template:
    return text_environment().from_string(source)


@lru_cache(maxsize=4096)
def _compile_value(expression: str) -> jinja2.environment.TemplateExpression:
    return text_environment().compile_expression(expression, undefined_to_none=False)
