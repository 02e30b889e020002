"""Build the two Jinja environments once per process: one for spec text, one for .docx XML.

Both are sandboxed (specs and templates may come from outside), use StrictUndefined (a
missing value is an error, never a silent blank) and share the filter table of engine.vn.
The .docx environment autoescapes, so ``&``, ``<`` and ``>`` in data render literally
instead of corrupting the XML; the text environment does not, because its output is plain
text that the .docx environment escapes once when it is placed in the document.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from engine.scoring.figures import Figure, Percentage
from engine.vn.filters import FILTERS
from engine.vn.numbers import format_number, format_percent

_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}


def _exact(value: Any) -> Any:
    if isinstance(value, Percentage):
        return value.value.value
    if isinstance(value, Figure):
        return value.value
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


_DICT_ATTRIBUTES = frozenset(dir(dict))  # a set lookup: hasattr() on a missing name raises inside, ten times slower


class ExactEnvironment(SandboxedEnvironment):
    """A sandbox whose arithmetic on numbers is exact decimal arithmetic.

    Data numbers are Decimals and whole numbers are ints; plain Python would make ``12 / 18``
    a binary float and ``Decimal + 0.5`` a TypeError. Here every arithmetic operator on two
    numbers works in Decimal, so ``0.1 + 0.2`` is exactly 0.3 and mixing is always allowed.
    """

    intercepted_binops = frozenset(_OPERATORS)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``row.ten`` on a plain dict straight from its items: the sandbox's answer, without its detour.

        Jinja tries the attribute first and the item second; for a key that is not also a dict
        method the result is the item either way, and items of a dict are always allowed. A
        10,000-row appendix looks up some 100,000 such keys.
        """
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        a, b = _exact(left), _exact(right)
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            result = _OPERATORS[op](a, b)
            # Keep whole-number results of whole-number operands as ints (counts stay counts).
            if isinstance(left, int) and isinstance(right, int) and op in ("+", "-", "*"):
                return int(result)
            return result
        return super().call_binop(context, op, left, right)


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


def _make(autoescape: bool) -> SandboxedEnvironment:
    env = ExactEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=2000,
    )
    env.filters.update(FILTERS)
    env.filters.update(FIGURE_FILTERS)
    return env


@cache
def text_environment() -> SandboxedEnvironment:
    """Environment for ``{{ … }}`` expressions written in the spec's text fields."""
    return _make(autoescape=False)


@cache
def docx_environment() -> SandboxedEnvironment:
    """Environment docxtpl renders the template XML with (autoescape on)."""
    return _make(autoescape=True)


@lru_cache(maxsize=4096)
def compile_text(source: str) -> jinja2.Template:
    """Compile a spec text expression once; batches render the same strings many times."""
    return text_environment().from_string(source)
