"""Turn data a program hands the engine (a spec or a framework as a mapping) into checked plain data.

A YAML file can only hold plain data, and its loader bounds its size and depth. A mapping given
through the Python API (or, later, JSON over HTTP) could hold anything: an object with methods,
a cycle, a million levels of nesting, a string with a lone surrogate. :func:`plain_data` makes
a copy that holds only dicts, lists, text, numbers, booleans and None, in NFC, within the same
limits as YAML, or raises a SpecError or LimitError that names the place. It walks with its own
stack, so no input can make it recurse too deep.

:func:`unprintable_text` finds text a .docx cannot hold (control characters other than tab and
line breaks, lone surrogates, U+FFFE and U+FFFF), wherever the data came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import LimitError, Location, Problem, SpecError
from engine.trust.limits import current_limits
from engine.vn.numbers import check_magnitude, format_number

__all__ = ["UNPRINTABLE", "plain_data", "unprintable_text"]

UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCALARS = (str, int, float, Decimal, bool, type(None))


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def plain_data(data: Any, *, name: str = "<dữ liệu>") -> Any:
    """A checked copy of ``data``: plain values only, NFC text, bounded like a YAML file."""
    limits = current_limits()
    count = 0
    normalised: dict[int, str] = {}  # by id: one string referred to many times is normalised once

    def where(path: tuple[Any, ...]) -> Location:
        return Location(file=name, field=_dotted(path) or None)

    def leaf(value: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(value, str):
            if id(value) in normalised:
                return normalised[id(value)]
            if len(value) > limits.do_dai_chuoi:
                raise LimitError(Problem("LIMIT_TEXT", f"chuỗi dài {format_number(len(value))} ký tự, quá giới hạn "
                                         f"{limits.describe('do_dai_chuoi')}", where(path)))
            normalised[id(value)] = unicodedata.normalize("NFC", value)  # a lone surrogate is kept: named later
            return normalised[id(value)]
        if isinstance(value, float) or (isinstance(value, Decimal)):
            # A float (a JSON number, a program's value) becomes the Decimal of its shortest form, 0.3 and not
            # 0.2999…: the engine then sees what a YAML file with the same number gives it.
            number = Decimal(repr(value)) if isinstance(value, float) else value
            try:
                check_magnitude(number)
            except (ValueError, ArithmeticError) as exc:
                raise LimitError(Problem("LIMIT_NUMBER", str(exc), where(path))) from None
            return number
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 41:
            raise LimitError(Problem("LIMIT_NUMBER", "số nguyên quá lớn để là một số liệu", where(path)))
        if isinstance(value, date):
            return value.isoformat()
        return value

    def container(value: Any) -> Any:
        if isinstance(value, dict):
            return {}
        if isinstance(value, (list, tuple)):
            return []
        return None

    root_copy = container(data)
    if root_copy is None:
        if isinstance(data, _SCALARS) or isinstance(data, date):
            return leaf(data, ())
        raise SpecError(Problem("SPEC_TYPE", f"dữ liệu truyền vào có kiểu {type(data).__name__}, không phải dữ liệu "
                                "thuần (bảng khóa, danh sách, chữ, số)", where(())))
    # Each stack entry: the source container, its copy, and the path to it.
    stack: list[tuple[Any, Any, tuple[Any, ...]]] = [(data, root_copy, ())]
    while stack:
        source, copy, path = stack.pop()
        if len(path) >= limits.do_sau:
            raise LimitError(Problem("LIMIT_DEPTH", f"dữ liệu lồng quá {limits.do_sau} mức (hoặc tự chứa chính nó)",
                                     where(path)))
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            count += 1
            if count > limits.nut_yaml:
                raise LimitError(Problem("LIMIT_YAML", f"dữ liệu quá {limits.describe('nut_yaml')} giá trị",
                                         where(path)))
            if isinstance(source, dict):
                if not isinstance(key, (str, int, Decimal, bool)) and key is not None:
                    raise SpecError(Problem("SPEC_TYPE", f"khóa có kiểu {type(key).__name__}; khóa phải là chữ hoặc số",
                                            where(path)))
                key = leaf(key, (*path, "?"))
            here = (*path, key)
            child = container(value)
            if child is not None:
                stack.append((value, child, here))
                stored = child
            elif isinstance(value, _SCALARS) or isinstance(value, date):
                stored = leaf(value, here)
            else:
                raise SpecError(Problem("SPEC_TYPE", f"giá trị có kiểu {type(value).__name__}, không phải dữ liệu "
                                        "thuần (bảng khóa, danh sách, chữ, số)", where(here),
                                        hint="Chỉ truyền dict, list, str, int, Decimal, float, bool hoặc None."))
            if isinstance(copy, dict):
                copy[key] = stored
            else:
                copy.append(stored)
    return root_copy


def unprintable_text(data: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, message) for every text (key or value) holding a character a document cannot hold.

    A text referred to many times (YAML aliases, a program's shared strings) is searched once.
    """
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    seen: set[int] = set()
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if id(value) in seen:
                continue
            seen.add(id(value))
            bad = UNPRINTABLE.search(value)
            if bad:
                yield path, f"có ký tự không in được U+{ord(bad[0]):04X} ở vị trí {bad.start() + 1}"
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and UNPRINTABLE.search(key):
                    yield path, f"tên khóa có ký tự không in được U+{ord(UNPRINTABLE.search(key)[0]):04X}"
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
