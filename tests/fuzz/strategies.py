"""Hypothesis strategies that build inputs for the engine's Python API, valid-looking and mutated.

What is built (tests/fuzz/test_properties.py checks the contract on each):

- :func:`spec_cases`: spec mappings from the schema of engine/spec/models.py and docs/spec.md (every
  field, every date form, nested body blocks, phụ lục, inline data and scoring), then mutated: wrong
  types, missing and extra keys, huge or deep structures, objects that are not plain data, odd numbers
  and strings (control characters, lone surrogates, combining marks, very long, Jinja inside), with the
  files the spec names (data, signature image) when it names any.
- :data:`expressions` and :data:`templates`: Jinja expressions and template text from a small grammar
  (names of the context, attribute and item access, the engine's and Jinja's filters, arithmetic with
  big operands, ``~``, for/if/set/macro …), plus raw text with braces and known "bombs".
- :func:`yaml_texts`: spec mappings dumped with yaml.safe_dump, then mutated as text.
- :func:`score_tables`: CSV score tables for ``cham_diem`` (headers, ragged rows, odd numbers) as
  bytes in several encodings, or random bytes.
- :func:`template_recipes`: .docx templates made with python-docx from templates/bao_cao/*.docx with
  generated tags (some split across runs), optionally damaged at the XML or zip level;
  :func:`build_template` turns a recipe into bytes.

Sizes stay bounded: a million-character string or a list of 200,001 items is one small drawn piece
multiplied, so a test case stays small for hypothesis however big the value it stands for.
:func:`py_repr` writes any generated value back as Python source (repetitions folded) for reproducers.
"""

from __future__ import annotations

import copy
import csv
import datetime
import enum
import io
import math
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePath
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = {"bao_cao": ROOT / "templates" / "bao_cao" / "bao_cao.docx",
             "cong_van": ROOT / "templates" / "bao_cao" / "cong_van.docx",
             "bang": ROOT / "templates" / "phu_luc" / "bang.docx"}
SAMPLE_SCORES = ROOT / "fixtures" / "tua_chua_2023_04" / "diem_xa.csv"

KINDS = ["bao_cao", "cong_van", "to_trinh", "ke_hoach", "thong_bao"]
JUNK_KINDS = ["bao_cao_thang", "", " bao_cao", "BAO_CAO", "bao cao", "van_ban", "__class__", "../bao_cao",
              "báo_cáo", "mau"]
HEADING_LEVELS = ["muc", "khoan", "tieu_khoan", "diem"]
RESERVED = ["van_ban", "loop", "range", "true", "false", "none", "cac_phu_luc", "phu_luc"]

# ----- text ---------------------------------------------------------------------------------------

VI_WORDS = ["Ủy ban nhân dân", "huyện", "Tủa Chùa", "xã", "thị trấn", "báo cáo", "kết quả", "đánh giá",
            "thủ tục hành chính", "Điện Biên", "Lường Tuấn Anh", "Văn phòng", "Chủ tịch", "ĐẮK LẮK", "Hòa Bình",
            "tháng 4 năm 2023", "16,74", "1.147", "91,86%", "V/v", "Số: 05/BC-UBND", "-", "+", ";", ".", "./."]
CONTROL_CHARS = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + [
    "\x7f", "\x85", "\u2028", "\u2029", "\ufffe", "\uffff", "\ufeff", "\u200b", "\u202e", "\u00ad"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
COMBINING = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b", "\u0338", "\u20dd"]
ODD_CHARS = ["&", "<", ">", '"', "'", "]]>", "<w:p>", "</w:t>", "&amp;", "{", "}", "%", "#", "\\", "\t", "\n",
             "\r", "\r\n", "\x00", "𝔸", "😀", "\U0010ffff", "ǅ", "ß", "İ", "ﬃ", "\u0131"]
JINJA_FRAGMENTS = ["{{", "}}", "{%", "%}", "{#", "#}", "{{ van_ban.so }}", "{{ d.n }}", "{{ x }}", "{% if %}",
                   "{% for x in d.ds %}", "{% endfor %}", "{{ '{{' }}", "{%p if true %}", "{{r d.s }}", "{%tr %}",
                   "{{ d.n | so(2) }}", "{{ 10 ** 99 }}", "{{ van_ban }}", "{{ ''.__class__ }}", "{%- -%}"]

vi_text = st.lists(st.sampled_from(VI_WORDS), min_size=1, max_size=5).map(" ".join)
special_char = st.sampled_from(CONTROL_CHARS + SURROGATES + COMBINING + ODD_CHARS)
jinja_fragment = st.sampled_from(JINJA_FRAGMENTS)
small_text = st.text(max_size=12)
wild_text = st.lists(st.one_of(vi_text, small_text, special_char, jinja_fragment), max_size=5).map("".join)

LONG_SIZES = [257, 4_097, 65_537, 999_999, 1_000_000, 1_000_001, 2_500_000]
LONG_UNITS = ["a", "ệ", " ", "\u0301", "a\u0301", "{", "}", "𝔸", "&", "-", ";", ".", "\t", "\n", "ab ", "{{"]
long_text = st.builds(lambda unit, size: unit * (size // len(unit)), st.sampled_from(LONG_UNITS),
                      st.sampled_from(LONG_SIZES))

# Text for a field of the spec: mostly ordinary Vietnamese, sometimes odd, rarely huge.
plain_field_text = st.one_of(vi_text, vi_text, wild_text, long_text.filter(lambda s: len(s) < 70_000))

# ----- numbers ------------------------------------------------------------------------------------

SPECIAL_INTS = [0, 1, -1, 7, 9, 10, 23, 24, 3999, 4000, 999_999, 1_000_000, 2**31, 2**63, 10**40, 10**41 - 1,
                10**41, -(10**41), 10**100]
SPECIAL_DECIMALS = [Decimal("NaN"), Decimal("-NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
                    Decimal("-0"), Decimal("0E-1000"), Decimal("1E+999999"), Decimal("1E-999999"),
                    Decimal("9" * 150), Decimal("0." + "0" * 39 + "1"), Decimal("1E+40"), Decimal("1E+41"),
                    Decimal("16.74"), Decimal("2.675"), Decimal("1E-40"), Decimal("1E-41"), Decimal("1E+100"),
                    Decimal("123456789012345678901234567890.123456789"), Decimal("0.30000000000000004")]
SPECIAL_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1, 1e16, 2.675, 1e-41]

numbers = st.one_of(
    st.integers(-10_000, 10_000), st.integers(), st.sampled_from(SPECIAL_INTS),
    st.sampled_from([4299, 4300, 5000]).map(lambda digits: 10**digits),
    st.decimals(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL_DECIMALS),
    st.floats(), st.sampled_from(SPECIAL_FLOATS),
)

# ----- values that are not plain data (a program may pass anything) -----------------------------------


class OddText(str):
    """A str subclass, as a program might pass (a lazily translated string, a markup type)."""

    def __repr__(self) -> str:
        return f"OddText({str.__repr__(self)})"


class Opaque:
    """An arbitrary object with methods."""

    def __repr__(self) -> str:
        return "Opaque()"

    def secret(self) -> str:
        return "secret"


class Weekday(enum.IntEnum):
    MON = 1


NON_PLAIN_FACTORIES = [
    lambda: b"bytes", lambda: bytearray(b"x"), lambda: (1, "a"), lambda: {1, 2}, lambda: frozenset({"a"}),
    lambda: datetime.date(2023, 4, 5), lambda: datetime.datetime(2023, 4, 5, 6, 7), lambda: PurePath("x.csv"),
    Opaque, lambda: OddText("Tủa Chùa"), lambda: OrderedDict(a=1), lambda: Fraction(1, 3), lambda: complex(1, 2),
    lambda: range(3), lambda: Weekday.MON, lambda: len, lambda: Opaque, lambda: iter([1]),
]
non_plain = st.sampled_from(range(len(NON_PLAIN_FACTORIES))).map(lambda i: NON_PLAIN_FACTORIES[i]())

# ----- plain data ---------------------------------------------------------------------------------

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
data_keys = st.one_of(identifiers, vi_text, small_text, st.integers(-3, 30), st.sampled_from([None, True, "Tốt"]))
scalars = st.one_of(st.none(), st.booleans(), numbers, vi_text, wild_text)
plain_data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(data_keys, inner, max_size=4)),
    max_leaves=12,
)


class Repeated(list):
    """``[item] * count`` whose repr says so (hypothesis prints failing examples with repr: a 200,001-item
    list of a long string would be a repr of gigabytes). The engine sees a list like any other."""

    def __init__(self, item: Any, count: int) -> None:
        super().__init__([item] * count)

    def __repr__(self) -> str:
        return f"Repeated({py_repr(self[0]) if self else 'None'}, {len(self)})"

    def __deepcopy__(self, memo: dict[int, Any]) -> Repeated:
        return Repeated(copy.deepcopy(self[0], memo), len(self)) if self else Repeated(None, 0)


def nested(depth: int, leaf: Any = 1, kind: str = "list") -> Any:
    """``depth`` levels of lists (or dicts) around ``leaf``, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


def self_containing() -> dict[str, Any]:
    """A dict that holds itself (a program's data may be cyclic)."""
    value: dict[str, Any] = {"ten": "A"}
    value["chinh_no"] = value
    return value


DEPTHS = [10, 63, 64, 65, 100, 300]
HUGE_COUNTS = [24, 1_000, 30_000, 100_001, 200_001]

# The inline data every generated expression may read (``d``), with every kind of value.
SAMPLE_DATA: dict[str, Any] = {
    "n": 5, "x": Decimal("16.74"), "f": 2.675, "s": "Tủa Chùa", "ds": [1, 2, 3], "rong": [], "none": None,
    "b": True, "ngay": "2023-04-05", "big": 10**40, "neg": -3, "text_num": "16,74", "html": "<w:p>&amp; ]]>",
    "rows": [{"ten": "UBND xã A", "diem": Decimal("72.1"), "hang": 1}, {"ten": "Xã B", "diem": 65, "hang": 2},
             {"ten": "Xã C", "diem": None, "hang": 3}],
    "nested": {"a": {"b": {"c": 1}}}, "chu": ["ủy ban", "Nhân Dân", ""], "so_lon": "9" * 40,
    "khoa_so": {1: "một", 2: "hai"}, "dong_tab": "cột 1\tcột 2\nxuống dòng\rhết",
}

# ----- expressions and templates --------------------------------------------------------------------

DATA_PATHS = ["d", "d.n", "d.x", "d.f", "d.s", "d.ds", "d.rong", "d.none", "d.b", "d.ngay", "d.big", "d.neg",
              "d.text_num", "d.html", "d.rows", "d.rows[0]", "d.rows[0].ten", "d.rows[2].diem", "d.nested.a.b.c",
              "d.chu", "d.so_lon", "d.khoa_so[1]", "d.dong_tab", "d.missing", "d['n']", "d.rows[-1]", "d.ds[1:]"]
VAN_BAN_PATHS = ["van_ban", "van_ban.so", "van_ban.ky_hieu", "van_ban.so_ky_hieu", "van_ban.dia_danh", "van_ban.ngay",
                 "van_ban.ngay.year", "van_ban.ngay.month", "van_ban.ngay.day", "van_ban.trich_yeu",
                 "van_ban.noi_dung", "van_ban.loai", "van_ban.nguoi_ky", "van_ban.noi_nhan", "van_ban.can_cu",
                 "van_ban.kinh_gui_nhieu", "van_ban.dia_danh_ngay", "van_ban.co_quan_ban_hanh",
                 "van_ban.nguoi_ky.chu_ky"]
SCORE_PATHS = ["kq", "kq.so_don_vi", "kq.don_vi", "kq.xep_hang", "kq.xep_hang[0]", "kq.xep_hang[0].quy_doi",
               "kq.xep_hang[0].ten", "kq.dem_xep_loai['Tốt']", "kq.dem_xep_loai", "kq.theo_ten['UBND xã Mường Đùn']",
               "kq.bo", "kq.don_vi[0].nhom.cong_khai.diem", "kq.don_vi[0].chi_so.tien_do", "kq.don_vi[0].tang_giam",
               "kq.don_vi[0].ky_truoc", "kq.don_vi[0].xep_loai", "kq.don_vi[0].dat_duoc", "kq.don_vi[0].hang",
               "mc", "mc.tong_so.so", "mc.huy_rut.ty_le", "mc.truoc_han.ty_le.value", "mc.da_giai_quyet.so",
               "mc.truc_tuyen.ty_le.base", "tc.tong", "tc.toi_da", "tc.xep_loai", "tc.tieu_chi",
               "tc.tieu_chi[0].diem", "tc.tieu_chi[8].muc"]
LOCAL_NAMES = ["v", "loop", "loop.index", "loop.length", "loop.cycle", "loop.previtem", "dong", "dong.ten", "stt",
               "m", "caller", "varargs", "kwargs", "self", "namespace", "range", "lipsum", "dict", "joiner", "cycler",
               "undefined_x", "__builtins__", "config", "phu_luc", "cac_phu_luc"]
FIELDS = ["so", "ky_hieu", "ngay", "year", "value", "decimals", "index", "ten", "xep_hang", "quy_doi", "ty_le",
          "n", "ds", "s", "__class__", "__init__", "__globals__", "__mro__", "__dict__", "format", "items", "keys",
          "append", "mro", "real", "upper", "_fields", "gi_frame", "base", "part", "base_name", "func_globals",
          "__len__", "_items", "_Drawing__image", "_CountedIterable__items", "render", "environment"]
ENGINE_FILTERS = ["so", "phan_tram", "hai_so", "la_ma", "bang_chu", "viet_hoa_dau", "in_hoa", "ngay_thang",
                  "ngay_ngan", "nfc"]
JINJA_FILTERS = ["join", "replace", "center", "length", "count", "sum", "sort", "list", "batch", "slice", "default",
                 "d", "first", "last", "max", "min", "unique", "reverse", "string", "int", "float", "round", "abs",
                 "title", "capitalize", "upper", "lower", "trim", "truncate", "wordcount", "tojson", "indent",
                 "dictsort", "groupby", "map", "select", "reject", "selectattr", "rejectattr", "attr", "items", "e",
                 "escape", "forceescape", "striptags", "urlencode", "filesizeformat"]
REFUSED_FILTERS = ["format", "safe", "pprint", "random", "xmlattr", "wordwrap", "urlize", "_vong_lap", "khong_co"]
FILTER_ARGUMENTS = [
    "()", "(2)", "(0)", "(-1)", "(30)", "(31)", "(100000)", "(true)", "(2.5)", "('x')", "(none)", "(1000000)",
    "(999999)", "(1000001)", "(10 ** 40)", "(', ')", "(', ', attribute='ten')", "(attribute='ten')",
    "(attribute='diem')", "(attribute='ten', reverse=true)", "('ten')", "('upper')", "('so')", "('string')",
    "('odd')", "('ten', 'equalto', 'Xã B')", "('', 'ab')", "('a', 'b' * 1000)", "('a', 'b', 0)", "(2, 'floor')",
    "(5, true, '...', 0)", "(4, true, true)", "(3, 'x')", "(true, 'value')", "('__class__')", "(0, 16)",
    "(start=[])", "(case_sensitive=true)", "(d.n)", "(d.x)", "(d.rows)", "(van_ban.ngay)", "(loop)", "(*d.ds)",
    "(**d.nested)", "(x=1)", "(1, 2, 3, 4, 5)",
]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "~", "and", "or", "==", "!=", "<", ">=", "in", "not in"]
TESTS = ["defined", "undefined", "none", "number", "string", "mapping", "iterable", "sequence", "callable",
         "sameas(1)", "escaped", "divisibleby(0)", "divisibleby(3)", "odd", "even", "lower", "upper", "eq 1",
         "filter", "test", "in([1])", "integer", "float", "boolean", "true", "false", "khong_co"]

INT_LITERALS = ["0", "1", "2", "3", "-1", "10", "23", "24", "99", "100", "999999", "1000000", "1000001",
                "99999999999", "1" + "0" * 40, "1" + "0" * 41, "007", "0x10", "1_000", "0b1"]
NUMBER_LITERALS = ["0.1", "0.2", "16.74", "2.675", "1e3", "1e300", "1.5e-300", "1_000.5", "-0.0", "1E40"]
BOMBS = [
    "'a' * 1000000", "'a' * 1000001", "[0] * 1000000", "[0] * 1000001", "'ab' * 600000", "('a' * 999999) ~ 'b'",
    "('a' * 999999) ~ ('b' * 999999)", "'x' | center(1000001)", "'x' | indent(1000001)",
    "('a' * 1000) | replace('', 'bbbb')", "([1] * 1000000) | join(',')", "[1] * 1000 | batch(1000001)",
    "99 ** 99", "2 ** 100", "10 ** 40 * 10 ** 40", "(10 ** 20) ** 5", "1.1 ** 100", "0 ** -1", "1 / 0", "0 / 0",
    "[[1] * 1000] * 1000", "([1] * 1000000) | sum", "([1] * 1000000) | sort", "([1] * 1000000) | unique | list",
    "('a' * 1000000) | list", "('a' * 1000000) | wordcount", "('a b ' * 250000) | title", "('ệ' * 1000000) | in_hoa",
    "('a' * 1000000) | tojson", "('a' * 1000000) | urlencode", "([1] * 1000000) | map('string') | join",
    "12345678901234567890123456789012345678901 | bang_chu", "1e40 | bang_chu", "1e-40 | so(30)", "3999 | la_ma",
    "4000 | la_ma", "100000 | hai_so", "('a' * 500000) | escape | length", "(d.rows * 300000) | map(attribute='ten')"
    " | join", "('<' * 999999) | e", "(d.rows * 400000) | groupby('ten') | list", "'%s' % 1", "(d.ds * 400000) | max",
    "d.html * 200000", "('\u0301' * 999999) | nfc", "('ß' * 999999) | in_hoa", "('ﬃ' * 700000) | upper",
    "('a' * 999999) | capitalize", "d.rows | dictsort", "d | dictsort", "van_ban | items | list | length",
    "(10 ** 40) | filesizeformat", "d.big * d.big", "d.x ** 100", "d.x ** -100", "-d.big * 10", "d.f * 1e308",
]
LOOP_BOMBS = [
    "{% for i in [0] * 1000000 %}{% for j in [0] * 1000000 %}{% endfor %}{% endfor %}",
    "{% for i in [0] * 100000 %}{{ 'a' * 100000 }}{% endfor %}",
    "{% for i in [0] * 999999 %}{{ d.html }}{% endfor %}",
    "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "{% macro m(n) %}{{ m(n ~ n) }}{% endmacro %}{{ m('a') }}",
    "{% for i in [[0]] * 1000 recursive %}{{ loop(i) }}{% endfor %}",
    "{% set x = [0] * 1000000 %}{% for i in x %}{{ i }}{% endfor %}",
    "{% for i in d.ds * 300000 %}{{ loop.index | la_ma }}{% endfor %}",
    "{% set s = 'a' * 999999 %}{{ s }}{{ s }}",
    "{% filter upper %}{% for i in [0] * 400000 %}ệ{% endfor %}{% endfilter %}",
    "{% for i in [0] * 1000000 %}{% if loop.last %}{{ loop.length }}{% endif %}{% endfor %}",
    "{{ ([0] * 1000000) | batch(3) | list | length }}",
    "{% for a, b in d.rows | groupby('ten') %}{{ a }}{% endfor %}",
    "{% for k, v in d | dictsort %}{{ k }}{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}",
    "{% with x = d.rows %}{{ x[0].ten }}{% endwith %}",
    "{% set ns = namespace(a=1) %}{{ ns.a }}",
    "{% for x in lipsum() %}{% endfor %}",
    "{{ self }}", "{{ self.b() }}", "{% block b %}x{% endblock %}{{ self.b() }}",
    "{{ caller() }}", "{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}{{ m() }}{% endcall %}",
    "{{ m.__globals__ }}", "{% macro m() %}{% endmacro %}{{ m.__globals__ }}", "{{ loop }}",
    "{% for i in d.ds %}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for i in d.ds %}{{ loop.changed(i) }}{% endfor %}",
    "{% for i in d.ds %}{{ loop.__class__ }}{% endfor %}",
    "{% for x in d.rows | map(attribute='__class__') %}{{ x }}{% endfor %}",
    "{{ d.rows | selectattr('ten', 'callable') | list | length }}",
    "{{ (d.rows | first).items }}", "{{ d.nested | attr('a') }}",
]
LOOP_VARS = ["v", "i", "loop", "d", "van_ban", "dong", "x"]
TEMPLATE_CONSTANTS = [
    "{% include 'a' %}", "{% import 'a' as b %}", "{% extends 'a' %}", "{% from 'a' import b %}",
    "{% set x %}y{% endset %}{{ x }}", "{% do 1 %}", "{% endif %}", "{% if %}", "{% for %}", "{% macro %}",
    "{% call %}{% endcall %}", "{%- if true -%} x {%- endif -%}", "{% autoescape false %}<b>{% endautoescape %}",
    "{% trans %}x{% endtrans %}", "{% break %}", "{% continue %}", "{% raw %}{{ {% endraw %}", "{# ghi chú #}",
    "{{ }}", "{{ 'a' }", "{{ ''.join }}", "{{ ''.format }}", "{{ {}.items() }}", "{{ range(10) }}",
    "{{ x.__class__.__mro__[1].__subclasses__() }}", "{{ d.__class__ }}", "{{ van_ban.ngay.__init__ }}",
    "{{ d.rows[0].items() }}", "{{ d.ds.append(1) }}", "{{ (1).real }}", "{{ 'a'.upper() }}",
    "{{ lipsum() }}", "{{ cycler(1) }}", "{{ joiner() }}", "{{ dict(a=1) }}", "{{ d }}", "{{ d.ds }}",
    "{{ d.none }}", "{{ d.b }}", "{{ van_ban.ngay }}", "{{ van_ban.nguoi_ky }}", "{{ kq }}", "{{ kq.bo }}",
    "{{ mc.huy_rut }}", "{{ mc.huy_rut.ty_le }}", "{{ 'a' if d.b }}", "{{ d.missing | default('x') }}",
    "{{ d.none | default('x', true) }}", "{{ d.dong_tab }}", "{{ '\\x01' }}", "{{ '\\ud800' }}",
    "{{ '\\uffff' }}", "{{ '\\f' }}", "{{ '\\a' }}", "{{ '\\x85' }}", "{{ '<w:br/>' }}", "{{ ']]>' }}",
]


def jinja_string(text: str) -> str:
    """A Jinja string literal holding ``text``."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


string_literals = st.one_of(
    small_text, vi_text, st.sampled_from(["", " ", "a", "%s", "{{", "<w:p>", "&amp;", "]]>", "Tốt", "ten"]),
).map(jinja_string)
literals = st.one_of(st.sampled_from(INT_LITERALS), st.sampled_from(NUMBER_LITERALS), string_literals,
                     st.sampled_from(["none", "true", "false", "[]", "{}", "[1, 2, 3]", "(1, 2)", "{'a': 1}",
                                      "None", "True"]))
names = st.sampled_from(DATA_PATHS + VAN_BAN_PATHS + SCORE_PATHS + LOCAL_NAMES)
expression_atoms = st.one_of(names, names, literals)


def _call_filter(parts: tuple[str, str, str]) -> str:
    value, name, arguments = parts
    return f"({value} | {name}{arguments})" if arguments != "()" else f"({value} | {name})"


def _extend_expression(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(BINOPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "not ", "+"]), inner).map("".join),
        st.tuples(inner, st.sampled_from(ENGINE_FILTERS + JINJA_FILTERS + REFUSED_FILTERS),
                  st.sampled_from(FILTER_ARGUMENTS)).map(_call_filter),
        st.tuples(inner, st.sampled_from(ENGINE_FILTERS)).map(lambda t: f"({t[0]} | {t[1]})"),
        st.tuples(inner, st.sampled_from(FIELDS)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["1:", ":-1", "::-1", "::0", "0:1000000", "-1"])).map(
            lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(string_literals, inner), max_size=2).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.tuples(inner, st.lists(inner, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, st.sampled_from(TESTS)).map(lambda t: f"({t[0]} is {t[1]})"),
        st.sampled_from(BOMBS),
    )


expressions = st.recursive(expression_atoms, _extend_expression, max_leaves=6)

template_chunks = st.one_of(vi_text, small_text, st.sampled_from(
    ["{{", "}}", "{%", "%}", "{#", "#}", "{", "}", "{{-", "-}}", " ", "\n", "\t", "&", "<w:t>", "%"]))


def _extend_template(body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    loop_var = st.sampled_from(LOOP_VARS)
    return st.one_of(
        st.lists(body, min_size=2, max_size=3).map("".join),
        st.tuples(loop_var, expressions, body).map(lambda t: f"{{% for {t[0]} in {t[1]} %}}{t[2]}{{% endfor %}}"),
        st.tuples(loop_var, expressions, body, body).map(
            lambda t: f"{{% for {t[0]} in {t[1]} %}}{t[2]}{{% else %}}{t[3]}{{% endfor %}}"),
        st.tuples(expressions, body, body).map(lambda t: f"{{% if {t[0]} %}}{t[1]}{{% else %}}{t[2]}{{% endif %}}"),
        st.tuples(expressions, body, expressions, body).map(
            lambda t: f"{{% if {t[0]} %}}{t[1]}{{% elif {t[2]} %}}{t[3]}{{% endif %}}"),
        st.tuples(loop_var, expressions, body).map(lambda t: f"{{% set {t[0]} = {t[1]} %}}{t[2]}"),
        st.tuples(body, expressions).map(
            lambda t: f"{{% macro m(a, b=1) %}}{t[0]}{{% endmacro %}}{{{{ m({t[1]}) }}}}"),
        st.tuples(expressions, body).map(lambda t: f"{{% with v = {t[0]} %}}{t[1]}{{% endwith %}}"),
        body.map(lambda b: f"{{% filter upper %}}{b}{{% endfilter %}}"),
        body.map(lambda b: f"{{% raw %}}{b}{{% endraw %}}"),
        st.tuples(expressions, body).map(
            lambda t: f"{{% for v in {t[0]} recursive %}}{t[1]}{{{{ loop(v) }}}}{{% endfor %}}"),
        st.sampled_from(LOOP_BOMBS + TEMPLATE_CONSTANTS),
    )


templates = st.recursive(
    st.one_of(template_chunks, expressions.map(lambda e: "{{ " + e + " }}")), _extend_template, max_leaves=6)

# Expressions that name values that are there and use filters that fit them: most render.
NUMBER_PATHS = ["d.n", "d.x", "d.f", "d.big", "d.neg", "d.text_num", "d.rows[0].diem", "kq.so_don_vi",
                "kq.xep_hang[0].quy_doi", "kq.don_vi[1].dat_duoc", "kq.dem_xep_loai['Khá']", "mc.tong_so.so",
                "mc.huy_rut.ty_le", "mc.truoc_han.so", "tc.tong", "tc.toi_da", "tc.tieu_chi[0].diem",
                "van_ban.ngay.year", "d.ds[0]", "d.ds | length", "d.ds | sum", "(d.rows | length)", "12", "0.5",
                "1e-3", "1000000"]
NUMBER_FILTERS = ["so", "so(0)", "so(2)", "so(30)", "phan_tram", "phan_tram(1)", "bang_chu", "string", "round",
                  "abs", "int", "float"]
INTEGER_FILTERS = ["hai_so", "la_ma", "so", "bang_chu"]
TEXT_PATHS = ["d.s", "d.html", "d.dong_tab", "d.chu[0]", "d.rows[0].ten", "van_ban.ky_hieu", "van_ban.so_ky_hieu",
              "van_ban.dia_danh", "kq.xep_hang[0].ten", "kq.xep_hang[0].xep_loai", "tc.xep_loai", "d.so_lon",
              "'ủy ban nhân dân'", "d.khoa_so[2]"]
TEXT_FILTERS = ["in_hoa", "viet_hoa_dau", "nfc", "upper", "lower", "title", "capitalize", "trim", "e",
                "replace('a', 'ă')", "center(30)", "truncate(5)", "length", "wordcount", "striptags", "urlencode"]
LIST_PATHS = ["d.ds", "d.chu", "d.rows | map(attribute='ten')", "kq.xep_hang | map(attribute='ten')",
              "d.rows | map(attribute='hang')", "van_ban.noi_nhan", "tc.tieu_chi | map(attribute='ten')"]
LIST_FILTERS = ["join(', ')", "length", "first", "last", "sort | join", "reverse | join", "unique | join",
                "batch(2) | list | length", "slice(2) | list | length", "list | length", "max", "min"]
good_expressions = st.one_of(
    st.tuples(st.sampled_from(NUMBER_PATHS), st.sampled_from(NUMBER_FILTERS)).map(lambda t: f"{t[0]} | {t[1]}"),
    st.tuples(st.sampled_from(["d.n", "kq.so_don_vi", "van_ban.ngay.year", "d.ds[2]", "tc.tieu_chi | length"]),
              st.sampled_from(INTEGER_FILTERS)).map(lambda t: f"{t[0]} | {t[1]}"),
    st.tuples(st.sampled_from(NUMBER_PATHS), st.sampled_from(["+", "-", "*", "/", "//", "%"]),
              st.sampled_from(NUMBER_PATHS), st.sampled_from(NUMBER_FILTERS)).map(
        lambda t: f"({t[0]} {t[1]} {t[2]}) | {t[3]}"),
    st.tuples(st.sampled_from(TEXT_PATHS), st.sampled_from(TEXT_FILTERS)).map(lambda t: f"{t[0]} | {t[1]}"),
    st.tuples(st.sampled_from(TEXT_PATHS), st.sampled_from(TEXT_PATHS)).map(lambda t: f"{t[0]} ~ ' ' ~ {t[1]}"),
    st.tuples(st.sampled_from(LIST_PATHS), st.sampled_from(LIST_FILTERS)).map(lambda t: f"{t[0]} | {t[1]}"),
    st.sampled_from(["van_ban.ngay | ngay_thang", "van_ban.ngay | ngay_ngan", "d.ngay | ngay_thang",
                     "d.missing | default('-')", "d.none | default('không', true)", "kq.theo_ten['Xã A'] is defined",
                     "d.b and d.n > 3", "d.x ** 2 | so(2)", "2 ** 10", "mc.huy_rut.ty_le.value | so(3)"]),
)
good_templates = st.one_of(
    good_expressions.map(lambda e: "{{ " + e + " }}"),
    st.tuples(vi_text, good_expressions, vi_text).map(lambda t: f"{t[0]} {{{{ {t[1]} }}}} {t[2]}"),
    st.tuples(st.sampled_from(["d.rows", "kq.xep_hang", "d.ds", "tc.tieu_chi", "kq.don_vi"]),
              st.sampled_from(["{{ loop.index }}", "{{ v.ten }}", "{{ loop.index | la_ma }}. {{ v.ten }}",
                               "{% if loop.last %}.{% else %}, {% endif %}", "{{ v }}"])).map(
        lambda t: f"{{% for v in {t[0]} %}}{t[1]}{{% endfor %}}"),
    st.tuples(good_expressions, good_expressions, good_expressions).map(
        lambda t: f"{{% if {t[0]} %}}{{{{ {t[1]} }}}}{{% else %}}{{{{ {t[2]} }}}}{{% endif %}}"),
    st.tuples(good_expressions, good_expressions).map(lambda t: f"{{% set v = {t[0]} %}}{{{{ v }}}} {{{{ {t[1]} }}}}"),
    good_expressions.map(lambda e: f"{{% macro m(a) %}}[{{{{ a }}}}]{{% endmacro %}}{{{{ m({e}) }}}}"),
)

# Text for a field of the valid spec that expressions are placed into.
expression_text = st.one_of(
    good_templates, good_templates,
    expressions.map(lambda e: "{{ " + e + " }}"),
    templates,
    st.tuples(vi_text, expressions, vi_text).map(lambda t: f"{t[0]} {{{{ {t[1]} }}}} {t[2]}"),
    st.text(alphabet=st.sampled_from("{}%# abx|.()'\"~*-\n"), max_size=20),
)

# ----- spec mappings --------------------------------------------------------------------------------

symbols = st.one_of(st.from_regex(r"[A-Z]{1,5}(-[A-Z&]{1,4}){0,2}", fullmatch=True),
                    st.sampled_from(["UBND", "VP", "BC-UBND", "KSTT", "", " ", "UB ND", "Đ", "a--b", "-", "ỦBND",
                                     "UBND/VP", "A" * 300]),
                    small_text)
years = st.one_of(st.integers(1900, 2100), st.integers(), st.sampled_from([0, -1, 10**9, True, "2023", 2023.5,
                                                                          Decimal("2023.0"), None]))
months = st.one_of(st.integers(1, 12), st.integers(-2, 14), st.sampled_from([None, "4", 4.0, 10**30]))
days = st.one_of(st.integers(1, 31), st.integers(-2, 40), st.sampled_from([None, "5", 5.5]))
date_values = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: f"{d.day}/{d.month}/{d.year}"),
    st.fixed_dictionaries({"nam": st.integers(1900, 2100)}, optional={"thang": st.integers(1, 12)}),
    st.builds(lambda y, m, dd: {"nam": y, "thang": m, "ngay": dd}, st.integers(1900, 2100), st.integers(1, 12),
              st.integers(1, 31)),
    st.fixed_dictionaries({"nam": years}, optional={"thang": months, "ngay": days, "gio": st.just(1)}),
    st.integers(1900, 2100), st.integers(),
    st.sampled_from(["2023-02-30", "31/4/2023", "29/2/2023", "29/2/2024", "0000-01-01", "2023-13-01", "2023-1-1",
                     "1/1/10000", "2023/01/05", "05-01-2024", "", " 2024-01-05 ", "２０２３-01-01", "2023-01-05T00:00",
                     "99999-01-01", "2023-01-0" + "0" * 100 + "5", "ngày 5 tháng 1 năm 2024"]),
    st.dates(), st.sampled_from([None, [], {}, 2023.0, Decimal("2023"), True]),
)


def lines_or_text(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.one_of(text, st.lists(text, max_size=4))


@st.composite
def body_blocks(draw: st.DrawFn, text: st.SearchStrategy[str], max_leaves: int = 8) -> list[Any]:
    """The noi_dung list: doan, gach, cong and nested headings (sometimes a khoản with many điểm)."""
    leaf = st.one_of(
        st.builds(lambda t: {"doan": t}, text),
        st.builds(lambda t: {"gach": t}, lines_or_text(text)),
        st.builds(lambda t: {"cong": t}, lines_or_text(text)),
    )

    def heading(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.builds(
            lambda level, title, rest: {level: title, **rest},
            st.sampled_from(HEADING_LEVELS), text,
            st.fixed_dictionaries({}, optional={"doan": text, "noi_dung": st.lists(children, max_size=3),
                                                "so": st.one_of(st.sampled_from(["5.", "", "a)", "IV."]), text)}),
        )

    blocks = st.lists(st.recursive(leaf, heading, max_leaves=max_leaves), max_size=6)
    result = draw(blocks)
    if draw(st.integers(0, 9)) == 0:
        count = draw(st.sampled_from([5, 23, 24, 30]))
        level = draw(st.sampled_from(["diem", "diem", "muc", "tieu_khoan"]))
        result.append({"khoan": "Nhiều điểm", "noi_dung": [{level: f"Mục {i}"} for i in range(count)]})
    return result


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_size(width: int, height: int, pixels: bool = False) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) if pixels else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + body + _chunk(b"IEND", b"")


PNG_1X1 = _png_with_size(1, 1, pixels=True)


signature_files = st.one_of(
    st.just(PNG_1X1), st.builds(_png_with_size, st.sampled_from([0, 1, 5000, 2**31 - 1, 2**32 - 1]),
                                st.sampled_from([0, 1, 5000, 2**32 - 1])),
    st.binary(max_size=64), st.just(b"\x89PNG\r\n\x1a\n"), st.just(b"GIF89a" + b"\x00" * 40),
)


def yaml_file(data: Any) -> bytes:
    try:
        return yaml.safe_dump(dumpable(data), allow_unicode=True).encode("utf-8", "surrogatepass")
    except Exception:  # noqa: BLE001 - anything unrepresentable becomes a broken file, which is fine too
        return b"{broken"


data_files = st.one_of(plain_data.map(yaml_file), st.binary(max_size=40), st.just(b"a: &a [1]\nb: *a\n"),
                       st.just("khóa: giá trị\n".encode("utf-16")), st.just(b"\xef\xbb\xbf{\"a\": 1}"))
FILE_NAMES = ["du_lieu.yaml", "du_lieu.json", "du_lieu.yml", "x.csv", "../x.yaml", "/etc/hostname", "thu_muc",
              "khong_co.yaml", "a" * 300 + ".yaml", "sub/../du_lieu.yaml", "du_lieu.YAML", "lien_ket.yaml",
              "du_lieu.yaml\x00", "C:\\x.yaml", "~/.bashrc"]

score_codes = {"mot_cua_nd61": ["tong_so", "ky_truoc_chuyen_sang", "tiep_nhan_trong_ky", "truc_tuyen_trong_ky",
                                "truc_tuyen", "truc_tiep_buu_chinh", "da_giai_quyet", "truoc_han", "dung_han",
                                "qua_han", "dang_giai_quyet", "dang_giai_quyet_trong_han", "dang_giai_quyet_qua_han",
                                "tam_dung_bo_sung", "huy_rut"]}
MOT_CUA_SAMPLE = {"truc_tuyen_trong_ky": 99, "truc_tiep_buu_chinh": 1047, "ky_truoc_chuyen_sang": 1,
                  "truoc_han": 1033, "dung_han": 99, "qua_han": 0, "dang_giai_quyet_qua_han": 0}
CRITERIA_SAMPLE = {"don_vi": "UBND CẤP HUYỆN",
                   "so_ho_so": {1: [1033, 99, 0], 2: [1033, 99, 0], 3: [1132, 0, 0], 4: [1132, 0, 0],
                                5: [1033, 99, 0]},
                   "so_lieu": {"ho_so_truc_tuyen": 99, "tong_ho_so": 1147,
                               "ho_so_truc_tuyen_khong_giai_quyet_hoac_qua_han": 0},
                   "da_chon": {6: 2, 7: 2, 8: 2, 9: 1}, "ghi": {"tong_diem": 16.74}}

mot_cua_data = st.one_of(
    st.just(MOT_CUA_SAMPLE),
    st.dictionaries(st.sampled_from(score_codes["mot_cua_nd61"] + ["khac", "", "tong"]),
                    st.one_of(st.integers(-5, 20_000), numbers, small_text), max_size=8),
)
scoring_entries = st.one_of(
    st.builds(lambda data: {"bo_tieu_chi": "mot_cua_nd61", "du_lieu": data}, mot_cua_data),
    st.just({"bo_tieu_chi": "nd61_qd1187_dien_bien", "du_lieu": CRITERIA_SAMPLE}),
    st.builds(lambda data: {"bo_tieu_chi": "nd61_qd1187_dien_bien", "du_lieu": data}, plain_data),
    st.builds(lambda b, data: {"bo_tieu_chi": b, "du_lieu": data},
              st.sampled_from(["qd766", "dien_bien_459_2023", "khong_co", "../x.yaml", "bo.yaml", ""]),
              st.one_of(st.sampled_from(FILE_NAMES), plain_data)),
)

phu_luc_items = st.builds(
    lambda base, rest: {**base, **rest},
    st.fixed_dictionaries({"mau": st.sampled_from(["bang", "bang", "bang_chi_so", "bang_tieu_chi", "bang_xep_hang",
                                                   "bang_khac", ""]),
                           "tieu_de": lines_or_text(plain_field_text)}),
    st.fixed_dictionaries({}, optional={
        "nguon": st.sampled_from(["kq", "mc", "tc", "x", ""]),
        "dong": st.one_of(st.sampled_from(["d.rows", "d.ds", "d.rows * 3", "kq.xep_hang", "d", "d.s", "[]", "[1]"]),
                          expressions),
        "cot": st.lists(st.fixed_dictionaries(
            {"tieu_de": plain_field_text, "gia_tri": st.one_of(st.sampled_from(
                ["{{ stt }}", "{{ dong.ten }}", "{{ dong }}", "{{ dong.diem | so(1) }}", "x"]), expression_text)},
            optional={"rong": st.one_of(st.floats(0.1, 30), numbers), "can": st.sampled_from(["trai", "giua", "phai",
                                                                                            "x"])}), max_size=4),
        "kem_theo": st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])),
        "dau": st.lists(st.fixed_dictionaries({}, optional={"nhan": plain_field_text, "gia_tri": plain_field_text}),
                        max_size=2),
        "sau": st.lists(plain_field_text, max_size=2),
        "ngang": st.booleans(),
        "thu_tu": st.sampled_from(["xep_hang", "nhap", "x"]),
        "nhom_dong": plain_field_text,
        "ghi_chu": st.dictionaries(st.one_of(st.integers(-1, 12), small_text), plain_field_text, max_size=2),
        "cot_ten": plain_field_text, "cot_diem": plain_field_text, "cot_tang_giam": plain_field_text,
        "cot_them": st.dictionaries(small_text, small_text, max_size=2),
        "tep_mau": st.sampled_from(["pl.docx", "../pl.docx", "khong_co.docx", "du_lieu.yaml"]),
    }),
)


CLEAN_SNIPPETS = ["{{ d.n }}", "{{ van_ban.so }}", "{{ d.x | so(2) }}", "{{ d.rows | length }}", "{{ d.s | in_hoa }}",
                  "{% for r in d.rows %}{{ r.ten }}; {% endfor %}", "{{ van_ban.ngay | ngay_thang }}",
                  "{{ d.big | bang_chu }}", "{{ d.n * d.x | so(1) }}", "{{ d.f | phan_tram(1) }}", "{{ d.html }}",
                  "{{ d.dong_tab }}", "{% if d.b %}có{% else %}không{% endif %}", "{{ d.chu | join(', ') }}"]
clean_text = st.one_of(
    vi_text, vi_text, st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Co")), min_size=1, max_size=20),
    st.tuples(vi_text, st.sampled_from(CLEAN_SNIPPETS)).map(" ".join),
)
clean_dates = st.one_of(
    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)).map(lambda d: d.isoformat()),
    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)).map(lambda d: f"{d.day}/{d.month}/{d.year}"),
    st.fixed_dictionaries({"nam": st.integers(1900, 2100)}, optional={"thang": st.integers(1, 12)}),
)
clean_symbols = st.from_regex(r"[A-Z]{1,5}(-[A-Z]{1,4}){0,2}", fullmatch=True)
clean_phu_luc = st.builds(
    lambda title, value, extra: {"mau": "bang", "tieu_de": title, "dong": "d.rows",
                                 "cot": [{"tieu_de": "STT", "gia_tri": "{{ stt }}"},
                                         {"tieu_de": "Tên", "gia_tri": value}], **extra},
    lines_or_text(clean_text),
    st.sampled_from(["{{ dong.ten }}", "{{ dong.hang | la_ma }}", "{{ dong.ten | in_hoa }}"]),
    st.fixed_dictionaries({}, optional={"ngang": st.booleans(), "kem_theo": st.booleans(),
                                        "sau": st.lists(clean_text, max_size=2),
                                        "dau": st.lists(st.fixed_dictionaries({"nhan": clean_text,
                                                                               "gia_tri": clean_text}), max_size=2)}),
)


@st.composite
def valid_specs(draw: st.DrawFn, clean: bool | None = None) -> dict[str, Any]:
    """A spec mapping built from the schema: valid when ``clean``, otherwise with odd values here and there."""
    if clean is None:
        clean = draw(st.booleans())

    def either(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return good if clean else st.one_of(good, good, odd)

    def pick(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> Any:
        return draw(either(good, odd))

    text = clean_text if clean else plain_field_text
    loai = pick(st.sampled_from(KINDS), st.sampled_from(JUNK_KINDS))
    spec: dict[str, Any] = {"loai": loai}
    if draw(st.booleans()):
        spec["co_quan_chu_quan"] = draw(lines_or_text(text))
    agency: dict[str, Any] = {"ten": pick(st.one_of(st.just(["ỦY BAN NHÂN DÂN", "HUYỆN TỦA CHÙA"]),
                                                    lines_or_text(clean_text)), lines_or_text(text)),
                              "viet_tat": pick(st.one_of(st.just("UBND"), clean_symbols), symbols)}
    if draw(st.booleans()):
        agency["ten_goi"] = draw(text)
    spec["co_quan_ban_hanh"] = agency
    spec["so"] = pick(st.one_of(st.none(), st.integers(1, 999_999)),
                      st.sampled_from([0, -1, 1_000_000, "5", 5.0, True, 10**50]))
    if draw(st.integers(0, 3)) == 0:
        spec["ky_hieu"] = pick(clean_symbols, symbols)
    if loai == "cong_van" or draw(st.integers(0, 4)) == 0:
        spec["don_vi_soan_thao"] = pick(st.one_of(st.just("VP"), clean_symbols), symbols)
    spec["dia_danh"] = pick(st.one_of(st.just("Tủa Chùa"), vi_text), text)
    spec["ngay"] = pick(clean_dates, date_values)
    spec["trich_yeu"] = draw(text)
    if draw(st.booleans()):
        spec["kinh_gui"] = draw(lines_or_text(text))
    if draw(st.booleans()):
        spec["can_cu"] = draw(st.lists(text, max_size=3))
    du_lieu: dict[Any, Any] = {"d": SAMPLE_DATA}
    if not clean:
        for _ in range(draw(st.integers(0, 2))):
            name = draw(st.one_of(identifiers, st.sampled_from(RESERVED + ["1x", "tên", "a b", "", "kq", "__x"])))
            du_lieu[name] = draw(st.one_of(plain_data, st.sampled_from(FILE_NAMES)))
    spec["du_lieu"] = du_lieu
    if draw(st.integers(0, 3)) == 0:
        entries = st.sampled_from([{"bo_tieu_chi": "mot_cua_nd61", "du_lieu": MOT_CUA_SAMPLE},
                                   {"bo_tieu_chi": "nd61_qd1187_dien_bien", "du_lieu": CRITERIA_SAMPLE}])
        spec["cham_diem"] = pick(st.dictionaries(st.sampled_from(["mc", "tc"]), entries, max_size=2),
                                 st.dictionaries(st.sampled_from(["mc", "tc", "kq", "d", "van_ban", "1x"]),
                                                 scoring_entries, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        spec["so_lieu_ghi"] = draw(st.lists(st.fixed_dictionaries(
            {"noi_dung": text,
             "ghi": either(st.one_of(st.integers(0, 10**6), st.sampled_from(["16,74", "1.147", 5.5])),
                           st.one_of(numbers, small_text, st.none())),
             "tinh": either(st.sampled_from(["d.n", "d.x", "d.n * 2", "d.rows | length"]), expressions)},
            optional={"ty_le": st.booleans(), "nguon": text}), max_size=2))
    spec["noi_dung"] = draw(body_blocks(text))
    # A Nơi nhận item may be a group (a sub-heading over its items), as YAML reads "- Gửi bản điện tử:" with items.
    group = st.one_of(st.dictionaries(text, st.one_of(st.lists(text, max_size=2), text, st.none()), min_size=1,
                                      max_size=1),
                      st.fixed_dictionaries({"tieu_de": text, "cac_noi": st.lists(text, max_size=2)}))
    spec["noi_nhan"] = {"cac_noi": draw(st.lists(st.one_of(text, group) if draw(st.integers(0, 4)) == 0 else text,
                                                 max_size=3)),
                        "luu": pick(st.one_of(st.just("VP"), st.lists(clean_symbols, max_size=2)),
                                    st.one_of(lines_or_text(text), st.just("VT")))}
    authority = pick(st.sampled_from(["TM.", "KT.", "TL.", "TUQ.", "Q.", "tm", "KT", "", None, None]),
                     st.sampled_from(["khong", "XX", "T.M", 1]))
    signer: dict[str, Any] = {"ho_ten": pick(st.one_of(st.just("Lường Tuấn Anh"), vi_text),
                                             st.one_of(text, st.sampled_from(["TS. Nguyễn Văn A", "GS Lê B"])))}
    if authority not in (None, ""):
        signer["quyen_han"] = authority
        signer["thay"] = pick(st.one_of(st.just("Ủy ban nhân dân"), vi_text), text)
    if authority in (None, "") or draw(st.booleans()):
        signer["chuc_vu"] = pick(st.one_of(st.just("Chủ tịch"), vi_text), text)
    if draw(st.integers(0, 9)) == 0:
        signer["chu_ky"] = pick(st.just("chu_ky.png"), st.sampled_from(["chu_ky.PNG", "chu_ky.jpg", "../chu_ky.png",
                                                                        "khong_co.png", "thu_muc"]))
    spec["nguoi_ky"] = signer
    if draw(st.integers(0, 5)) == 0:  # several signers: the others sign for their own bodies (a joint document)
        body = st.fixed_dictionaries({"ten": st.just("HỘI NÔNG DÂN XÃ A"), "viet_tat": st.just("HND")})
        odd_body = st.one_of(text, st.dictionaries(st.sampled_from(["ten", "viet_tat", "x"]), text))
        other = {"co_quan": pick(body, odd_body),
                 "chuc_vu": pick(st.just("Chủ tịch"), text), "ho_ten": pick(st.just("Lò Thị Bình"), text)}
        if draw(st.integers(0, 3)) == 0:
            other["dau"] = pick(st.just("chu_ky.png"), st.sampled_from(["dau.jpg", "../dau.png", "thu_muc"]))
            other["chu_ky"] = "chu_ky.png"
        spec["nguoi_ky"] = pick(st.lists(st.just(other), min_size=1, max_size=2).map(lambda rest: [signer, *rest]),
                                st.one_of(st.just([]), st.lists(st.just(signer), min_size=9, max_size=12)))
    if draw(st.integers(0, 2)) == 0:
        spec["phu_luc"] = pick(st.lists(clean_phu_luc, min_size=1, max_size=2),
                               st.lists(phu_luc_items, max_size=2))
    if draw(st.integers(0, 9)) == 0:
        spec["mau"] = pick(st.just("mau.docx"), st.sampled_from(["khong_co.docx", "du_lieu.yaml", "../mau.docx",
                                                                 "/etc/hostname", "bao_cao/bao_cao.docx"]))
    return spec


# ----- mutations --------------------------------------------------------------------------------------


def _paths(value: Any, path: tuple[Any, ...] = (), limit: int = 400) -> list[tuple[Any, ...]]:
    """Paths to the containers and values inside ``value`` (breadth first, at most ``limit``)."""
    found: list[tuple[Any, ...]] = []
    queue: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    seen: set[int] = set()
    while queue and len(found) < limit:
        node, here = queue.pop(0)
        found.append(here)
        if id(node) in seen or len(here) > 12:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            queue.extend((child, (*here, key)) for key, child in list(node.items())[:20])
        elif isinstance(node, list):
            queue.extend((child, (*here, index)) for index, child in enumerate(node[:20]))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    parent = _get(root, path[:-1])
    parent[path[-1]] = new
    return root


MUTATIONS = ["replace", "replace", "delete", "add_key", "wrap_list", "unwrap", "stringify", "deep", "huge",
             "non_plain", "number", "text", "cycle", "odd_key", "duplicate", "empty"]


def mutate(draw: st.DrawFn, base: Any, max_mutations: int = 4) -> Any:
    """``base`` changed in up to ``max_mutations`` places: a wrong type, a missing or extra key, a huge value …

    A plain function called with the caller's ``draw`` (not a strategy of its own: hypothesis would keep
    the repr of ``base`` as the strategy's name, and ``base`` can be megabytes).
    """
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(value)
        path = draw(st.sampled_from(paths))
        target = _get(value, path)
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "replace":
            value = _set(value, path, draw(st.one_of(plain_data, scalars)))
        elif kind == "delete" and path:
            parent = _get(value, path[:-1])
            del parent[path[-1]]
        elif kind == "add_key" and isinstance(target, dict):
            key = draw(st.one_of(st.sampled_from(["trich_yue", "loai", "noi_dung", "muc", "khoan", "doan", "gach",
                                                  "so", "ten", "gio", "x", "__class__", "ghi", "cot"]), data_keys))
            target[key] = draw(st.one_of(scalars, plain_data))
        elif kind == "wrap_list":
            value = _set(value, path, [target])
        elif kind == "unwrap" and isinstance(target, (list, dict)) and target:
            first = target[0] if isinstance(target, list) else next(iter(target.values()))
            value = _set(value, path, first)
        elif kind == "stringify":
            try:
                shown = repr(target)[:200]
            except (RecursionError, ValueError):
                shown = "..."
            value = _set(value, path, draw(st.sampled_from([shown, shown.strip("'"), ""])))
        elif kind == "deep":
            value = _set(value, path, nested(draw(st.sampled_from(DEPTHS)), target if not isinstance(target, dict)
                                             else 1, draw(st.sampled_from(["list", "dict"]))))
        elif kind == "huge":
            count = draw(st.sampled_from(HUGE_COUNTS))
            item = target[0] if isinstance(target, list) and target else target
            value = _set(value, path, Repeated(item, count))
        elif kind == "non_plain":
            value = _set(value, path, draw(non_plain))
        elif kind == "number":
            value = _set(value, path, draw(numbers))
        elif kind == "text":
            value = _set(value, path, draw(st.one_of(wild_text, long_text, expression_text)))
        elif kind == "cycle" and isinstance(target, (dict, list)):
            if isinstance(target, dict):
                target["chinh_no"] = target
            else:
                target.append(target)
        elif kind == "odd_key" and isinstance(target, dict):
            target[draw(st.sampled_from([1, None, True, Decimal("1.5"), 2.5, (1, 2), "\ud800", "tên\x00",
                                         OddText("loai")]))] = draw(scalars)
        elif kind == "duplicate" and isinstance(target, list) and target:
            target.extend(target[: draw(st.integers(1, 3))])
        elif kind == "empty":
            value = _set(value, path, draw(st.sampled_from([None, "", [], {}, 0, False])))
    return value


@st.composite
def spec_cases(draw: st.DrawFn) -> dict[str, Any]:
    """A spec mapping (often mutated) with the files it may name: ``{"spec": …, "files": {name: bytes}}``."""
    spec = draw(valid_specs())
    if draw(st.booleans()):
        spec = mutate(draw, spec)
    files: dict[str, Any] = {}
    top = spec if isinstance(spec, dict) else {}
    items = top.get("phu_luc") if isinstance(top.get("phu_luc"), list) else []
    if top.get("mau") == "mau.docx" or any(isinstance(item, dict) and item.get("tep_mau") == "pl.docx"
                                           for item in items):
        files["mau.docx"] = files["pl.docx"] = ("template", "bao_cao")
    signer = top.get("nguoi_ky")
    if isinstance(signer, dict) and signer.get("chu_ky") == "chu_ky.png":
        files["chu_ky.png"] = PNG_1X1
    if draw(st.booleans()):
        for name in draw(st.lists(st.sampled_from(["du_lieu.yaml", "du_lieu.json", "du_lieu.yml", "chu_ky.png",
                                                    "chu_ky.PNG", "thu_muc", "bo.yaml", "lien_ket.yaml", "mau.docx",
                                                    "pl.docx"]), max_size=3, unique=True)):
            if name == "thu_muc":
                files[name] = None  # a folder
            elif name == "lien_ket.yaml":
                files[name] = ("symlink", draw(st.sampled_from(["/etc/hostname", "du_lieu.yaml", "/dev/zero"])))
            elif name.lower().endswith(".png"):
                files[name] = draw(signature_files)
            elif name.endswith(".docx"):
                files[name] = draw(st.one_of(st.just(("template", "bao_cao")), st.just(("template", "bang")),
                                             st.binary(max_size=30)))
            else:
                files[name] = draw(data_files)
    return {"spec": spec, "files": files}


def write_files(folder: Path, files: dict[str, Any]) -> None:
    """Put a case's files in ``folder``: bytes, None for a folder, ("symlink", target) for a link,
    ("template", name) for a copy of one of the engine's templates."""
    for name, content in files.items():
        path = folder / name
        if content is None:
            path.mkdir(exist_ok=True)
        elif isinstance(content, tuple) and content[0] == "template":
            path.write_bytes(TEMPLATES[content[1]].read_bytes())
        elif isinstance(content, tuple):
            target = content[1]
            path.symlink_to(target if target.startswith("/") else folder / target)
        else:
            path.write_bytes(content)


def dumpable(value: Any, _seen: frozenset[int] = frozenset()) -> Any:
    """``value`` as data yaml.safe_dump writes: Decimals as floats or text, other objects as text, cycles cut."""
    if id(value) in _seen:
        return "<vòng>"
    if isinstance(value, dict):
        seen = _seen | {id(value)}
        return {(k if isinstance(k, (str, int, float, bool)) or k is None else str(k)): dumpable(v, seen)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        seen = _seen | {id(value)}
        if len(value) > 1 and all(item is value[0] for item in value):
            return [dumpable(value[0], seen)] * len(value)  # the dumper writes one anchor and aliases
        return [dumpable(v, seen) for v in value]
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() and abs(value.adjusted()) < 300 else str(value)
    if isinstance(value, OddText):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ----- YAML text --------------------------------------------------------------------------------------

YAML_SNIPPETS = [
    "\t", "  ", ": ", "- ", "? ", "&a ", "*a", "<<: *a\n", "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]",
    "!!timestamp 2001-12-14", "!!float .nan", "!!float 1e999", "!!int 0x1F", "!!str", "!!map", "!!seq", "!!bool",
    "%YAML 1.1\n---\n", "%TAG ! tag:x,2000:\n---\n", "---\n", "...\n", "{", "[", "}", "]", "'", '"', "#", "|", ">",
    "|-\n", "@", "`", "\ufeff", "\x00", "\x85", "\u2028", "\x1b", "\ud800", "1.0e+999", ".inf", "-.inf", ".nan",
    "0o777", "0b101", "1_000", "0x" + "f" * 70, "9" * 250, "2023-02-30", "~", "null", "yes", "no", "on", "=", "<<",
    "{{ van_ban.so }}", "? [a, b]\n: 1\n", "? {a: 1}\n: 1\n", "? !!set {a}\n: 1\n", "? !!binary aGk=\n: 1\n",
    "? 1.0e+999\n: 1\n", "? !!float .nan\n: 1\n", "? !!timestamp 2001-12-14\n: 1\n", "? ~\n: 1\n",
    "? 0x" + "f" * 70 + "\n: 1\n", "[[[[[[[[[[[[[[[[[[[[", "\"\\ud800\"", "\"\\x00\"", "\"\\U0010ffff\"",
    "\"\\uFFFE\"", "'''", "\n" * 3, " " * 40, "-\n- -\n  - - -\n",
]


# Whole lines (keys of every YAML type, tags that fail to construct) put at the start of a line.
YAML_LINES = ["? !!set {a}\n: 1", "1.0e+999: x", "0x" + "f" * 70 + ": 1", "? !!timestamp x\n: 1",
              "a: !!timestamp 2001-12-14x", "? !!binary aGk=\n: 1", "? [a, b]\n: 1", "? {a: 1}\n: 1",
              "!!float .nan: 1", "? ~\n: 1", ".inf: 1", "? !!omap [a: 1]\n: 1", "b: !!binary 'x'", "c: !!int x",
              "d: !!float x", "e: !!bool x", "f: !!null x", "? !!python/tuple [1]\n: 1", "g: !!set [1]",
              "h: !!omap {a: 1}", "i: !!pairs 1", "? &k x\n: 1\n? *k\n: 2", "du_lieu: {d: !!set {a}}",
              "du_lieu: {d: !!binary aGk=}", "du_lieu: {d: {p: !!pairs [a: 1]}}", "ngay: !!timestamp 2024-01-05",
              "so: 0o17", "so: 0b101", "so: 1_0", "so: 1e3", "so: 5.0", "so: !!float 5", "so: +5", "so: 0x5"]


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """A spec dumped as YAML text, then changed as text: characters deleted or inserted, lines copied …"""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.one_of(st.text(max_size=60), st.text(alphabet=st.sampled_from(":-[]{}&*!|>'\"#\n ?ab"),
                                                            max_size=60)))
    spec = draw(valid_specs())
    if draw(st.integers(0, 2)) == 0:
        spec = mutate(draw, spec, max_mutations=2)
    try:
        text = yaml.safe_dump(dumpable(spec), allow_unicode=True, sort_keys=draw(st.booleans()),
                              width=draw(st.sampled_from([80, 20, 1_000_000])),
                              default_flow_style=draw(st.sampled_from([False, None, True])))
    except (yaml.YAMLError, RecursionError, ValueError):
        text = "loai: bao_cao\n"
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["delete", "insert", "insert", "line_start", "dup_line", "move_line", "tab",
                                   "append_key", "bomb", "deep"]))
        lines = text.split("\n")
        if op == "delete" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + text[i + draw(st.integers(1, 10)):]
        elif op == "insert":
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(st.one_of(st.sampled_from(YAML_SNIPPETS), small_text)) + text[i:]
        elif op == "line_start" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            indent = draw(st.sampled_from(["", "", "  ", "    "]))
            lines.insert(i, indent + draw(st.sampled_from(YAML_LINES)).replace("\n", "\n" + indent).rstrip(" "))
            text = "\n".join(lines)
        elif op == "dup_line" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(draw(st.integers(0, len(lines))), lines[i])
            text = "\n".join(lines)
        elif op == "move_line" and len(lines) > 1:
            line = lines.pop(draw(st.integers(0, len(lines) - 1)))
            lines.insert(draw(st.integers(0, len(lines))), line)
            text = "\n".join(lines)
        elif op == "tab" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = "\t" + lines[i].lstrip(" ")
            text = "\n".join(lines)
        elif op == "append_key":
            text += draw(st.sampled_from(["so: 5\n", "loai: cong_van\n", "ngay: 2023-02-30\n", "x: 1\n",
                                          "trich_yeu: '{{ d.n }}'\n", "du_lieu: {d: &r [1, *r]}\n"]))
        elif op == "bomb":
            text = alias_bomb(draw(st.integers(2, 9))) + text
        elif op == "deep":
            depth = draw(st.sampled_from([30, 65, 200, 5_000, 100_000]))
            text += "sau: " + "[" * depth + "]" * depth + "\n"
    return text


ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1258", "latin-1",
             "gb18030"]


def encode_text(text: str, encoding: str) -> bytes:
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


# ----- CSV score tables --------------------------------------------------------------------------------

INDEX_CODES = {
    "dien_bien_459_2023": ["cong_khai_1", "cong_khai_2", "cong_khai_3", "tien_do", "dvtt_1", "dvtt_2", "so_hoa_1",
                           "so_hoa_2", "hai_long_1", "hai_long_2", "hai_long_3"],
    "qd766": ["1.1", "1.2", "1.3", "1.4", "2.1", "3.1", "3.2a", "3.2b", "3.2c", "5.1", "5.2", "5.3", "5.4", "4.1",
              "4.2", "4.2b", "4.3", "4.4", "4.5a", "4.5b"],
}
GROUP_CODES = {"dien_bien_459_2023": ["cong_khai", "tien_do", "dvtt", "so_hoa", "hai_long"],
               "qd766": ["cong_khai", "tien_do", "dvc_truc_tuyen", "thanh_toan", "hai_long", "so_hoa"]}
STATED = ["ky_truoc", "dat_duoc_ghi", "quy_doi_ghi", "xep_loai_ghi", "xep_hang_ghi"]
ODD_NUMBERS = ["16,74", "1.234", "1.234,5", "1e999", "1E5", "-", "—", "–", "", " ", "#DIV/0!", "#N/A", "#VALUE!",
               "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "1_000", "١٢", "１２", "12 ", "+5", "--5", "5-",
               "1,2,3", "1.2.3", "9" * 45, "1e-50", "0," + "0" * 45 + "1", "−3", "100%", "5đ", "=1+1", "None",
               "true", "0", "-0", "0,0", "10", "30", "5", "2,5", "9,99", "100", "1.000.000", "16.74", "1e40",
               "1E+41", "9" * 200, "\u00a05", "5\u200b", "(5)", "5 điểm"]
UNIT_NAMES = ["UBND xã Mường Đùn", "UBND xã Tả Phìn", "UBND thị trấn", "Xã A", "xã a", "", " ", "Tổng cộng",
              "UBND xã Mường Đùn", "=HYPERLINK(\"x\")", "Xã\nxuống dòng", "Xã;phẩy", "\ud800", "Xã \x01"]

score_cells = st.one_of(st.sampled_from(ODD_NUMBERS), st.sampled_from(ODD_NUMBERS),
                        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
                            lambda d: str(d).replace(".", ",")),
                        st.integers(-5, 120).map(str), st.floats().map(repr), small_text)


def _maxima() -> dict[str, dict[str, Decimal]]:
    """The maximum score of every index, group and the total, per index framework (read from the engine)."""
    from engine.scoring.loader import load_framework

    out: dict[str, dict[str, Decimal]] = {}
    for name in INDEX_CODES:
        framework = load_framework(name)
        out[name] = {index.ma: index.toi_da for _, index in framework.indices()}
        out[name].update({group.ma: group.toi_da for group in framework.nhom})
        out[name]["tong"] = Decimal(100)
    return out


MAXIMA = _maxima()
BANDS = ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


def _vi_number(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


@st.composite
def score_tables(draw: st.DrawFn, clean: bool | None = None) -> dict[str, Any]:
    """A score table for ``cham_diem`` as bytes, with the entry that reads it: ``{"entry", "data", "name", …}``.

    A clean table is what a clerk's Excel export looks like (scores within their maxima, Vietnamese
    decimal commas, one row per unit); otherwise anything goes: odd numbers, ragged rows, damaged
    headers, other encodings, cut or random bytes.
    """
    if clean is None:
        clean = draw(st.booleans())
    framework = draw(st.sampled_from(["dien_bien_459_2023", "dien_bien_459_2023", "qd766"]))
    detail = draw(st.sampled_from(["chi_so", "chi_so", "chi_so", "nhom", "tong"] + ([] if clean else ["x"])))
    if detail == "nhom":
        codes = list(GROUP_CODES[framework])
    elif detail == "tong":
        codes = ["tong"]
    else:
        codes = list(INDEX_CODES[framework])
    entry: dict[str, Any] = {"bo_tieu_chi": framework, "du_lieu": "diem.csv"}
    if detail != "chi_so" or draw(st.booleans()):
        entry["muc_chi_tiet"] = detail
    stated = draw(st.lists(st.sampled_from(STATED), max_size=5, unique=True))
    fields = ["don_vi", *codes, *stated]
    headers = {field: field for field in fields}
    if draw(st.booleans()):
        if clean:
            renamed = {field: f"{draw(vi_text)} {i}" for i, field in enumerate(fields)}
        else:
            renamed = {field: draw(st.one_of(st.just(f"Cột {i}"), vi_text, small_text))
                       for i, field in enumerate(fields)}
        headers.update(renamed)
        entry["cot"] = dict(renamed)
    if draw(st.integers(0, 4)) == 0:
        columns = st.sampled_from([f for f in fields if f != "don_vi"] or ["don_vi"]) if clean else \
            st.sampled_from(fields + ["khong_co"])
        entry["them"] = draw(st.dictionaries(identifiers, columns.map(lambda f: headers.get(f, f)), max_size=2))
    if draw(st.integers(0, 4)) == 0:
        if clean:
            entry["xep_loai"] = [{"ten": "Tốt", "tu": 80, "bao_gom_tu": True},
                                 {"ten": "Khá", "tu": draw(st.integers(50, 79)), "bao_gom_tu": True}, {"ten": "Yếu"}]
        else:
            entry["xep_loai"] = draw(st.lists(st.fixed_dictionaries(
                {"ten": st.sampled_from(["Tốt", "Khá", "Yếu", ""])},
                optional={"tu": numbers, "bao_gom_tu": st.booleans(), "viet_tat": small_text}), max_size=3))
    if draw(st.integers(0, 4)) == 0:
        valid = ["quy_doi", "dat_duoc", *GROUP_CODES[framework]]
        entry["xep_hang_theo"] = draw(st.sampled_from(valid if clean else valid + ["x", ""]))
    header_row = [headers[field] for field in fields]
    if not clean and draw(st.integers(0, 4)) == 0:  # a damaged header: a column dropped, doubled, blanked or added
        i = draw(st.integers(0, len(header_row) - 1))
        change = draw(st.sampled_from(["drop", "double", "blank", "add"]))
        if change == "drop":
            header_row.pop(i)
        elif change == "double":
            header_row.insert(i, header_row[i])
        elif change == "blank":
            header_row[i] = ""
        else:
            header_row.insert(i, draw(small_text))
    rows: list[list[str]] = []
    maxima = MAXIMA[framework]
    for number in range(draw(st.integers(1 if clean else 0, 14))):
        if clean:
            row = [f"UBND xã {draw(st.sampled_from(VI_WORDS[:12]))} {number + 1}"]
            for field in fields[1:]:
                if field in maxima:
                    cell = "-" if draw(st.integers(0, 9)) == 0 else _vi_number(
                        (maxima[field] * draw(st.integers(0, 100)) / 100).quantize(Decimal("0.1")))
                elif field == "xep_loai_ghi":
                    cell = draw(st.sampled_from(BANDS))
                elif field == "xep_hang_ghi":
                    cell = str(draw(st.integers(1, 14)))
                else:
                    cell = _vi_number(Decimal(draw(st.integers(0, 1000))) / 10)
                row.append(cell)
        else:
            row = [draw(st.one_of(st.sampled_from(UNIT_NAMES[:4]), st.sampled_from(UNIT_NAMES), vi_text))]
            row += [draw(score_cells) for _ in header_row[1:]]
            if draw(st.integers(0, 9)) == 0:  # ragged
                row = row[: draw(st.integers(0, len(row)))] if draw(st.booleans()) else row + [draw(score_cells)]
        rows.append(row)
    if not clean and draw(st.integers(0, 6)) == 0:
        rows = rows * draw(st.sampled_from([100, 5_000]))
    table = [header_row, *rows]
    if draw(st.integers(0, 5)) == 0:
        table[0:0] = [[draw(vi_text)], []]  # title lines above the header
    delimiter = draw(st.sampled_from([";", ";", ",", "\t"] + ([] if clean else ["|"])))
    quoting = csv.QUOTE_MINIMAL if clean else draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL,
                                                                    csv.QUOTE_NONE]))
    newline = draw(st.sampled_from(["\n", "\r\n"] + ([] if clean else ["\r"])))
    out = io.StringIO()
    try:
        writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline,
                            escapechar="\\" if quoting == csv.QUOTE_NONE else None)
        writer.writerows(table)
        text = out.getvalue()
    except csv.Error:
        text = newline.join(delimiter.join(row) for row in table)
    if not clean and draw(st.integers(0, 6)) == 0:
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(['"', "\x00", "\ufeff", "\n", ";;;;", "\x1a", "\u2028"])) + text[i:]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "cp1258"] if clean else ENCODINGS))
    data = encode_text(text, encoding)
    choice = 99 if clean else draw(st.integers(0, 11))
    if choice == 0:
        data = draw(st.binary(max_size=200))
    elif choice == 1 and data:
        data = data[: draw(st.integers(0, len(data)))]  # cut, maybe inside a character
    elif choice == 2:
        data = SAMPLE_SCORES.read_bytes()
        entry["cot"] = dict(FIXTURE_COLUMNS)
        entry["bo_tieu_chi"] = "dien_bien_459_2023"
        entry.pop("muc_chi_tiet", None)
    name = "diem.csv" if clean else draw(st.sampled_from(["diem.csv"] * 8 + ["diem.CSV", "diem.txt", "diem.xlsx",
                                                                            "diem.yaml"]))
    entry["du_lieu"] = name
    return {"entry": entry, "data": data, "name": name, "encoding": encoding}


FIXTURE_COLUMNS = {
    "don_vi": "Tên cơ quan, đơn vị", "cong_khai_1": "CK 1", "cong_khai_2": "CK 2", "cong_khai_3": "CK 3",
    "tien_do": "Tiến độ", "dvtt_1": "DVTT 1", "dvtt_2": "DVTT 2", "so_hoa_1": "Số hóa 1", "so_hoa_2": "Số hóa 2",
    "hai_long_1": "Hài lòng 1", "hai_long_2": "Hài lòng 2", "hai_long_3": "Hài lòng 3",
    "dat_duoc_ghi": "Điểm đạt được", "quy_doi_ghi": "Tổng điểm quy đổi", "xep_loai_ghi": "Xếp loại",
}

# ----- .docx templates ------------------------------------------------------------------------------

PARAGRAPH_TAGS = [
    ("{%p if d.b %}", "{%p endif %}"), ("{%p for v in d.rows %}", "{%p endfor %}"),
    ("{%p for p in van_ban.noi_dung %}", "{%p endfor %}"), ("{%p if %}", "{%p endif %}"),
    ("{%p for v in d.ds %}", ""), ("", "{%p endfor %}"), ("{%p with x = d.rows %}", "{%p endwith %}"),
    ("{%p macro m() %}", "{%p endmacro %}"), ("{%p set x = 1 %}", ""),
]
RUN_TAGS = ["{{ van_ban.so_ky_hieu }}", "{{ van_ban.trich_yeu }}", "{{r d.s }}", "{%r if d.b %}x{%r endif %}",
            "{{ d.dong_tab }}", "{{ van_ban.dia_danh_ngay }}", "{{ d.html }}", "{{ van_ban.nguoi_ky.chu_ky }}",
            "{{ cac_phu_luc }}", "{{ phu_luc.nhan }}", "{{ bang }}", "{{ d.n | so(2) }}", "{{- d.s -}}",
            "{%- if true -%}", "{% endif %}", "{{ '<w:p>' }}", "{{ '</w:t></w:r></w:p><w:p>' }}", "{{ v.ten }}",
            "{% if d.b %}", "{% for v in d.rows %}{{ v.ten }}{% endfor %}", "{{ loop.index }}", "{# x #}", "{{ p }}",
            "{{ van_ban.noi_dung[0].noi_dung }}", "{{ van_ban.kinh_gui_nhieu | join(', ') }}", "{{ x }}"]
ROW_TAGS = ["{%tr for v in d.rows %}", "{%tr endfor %}", "{%tr if d.b %}", "{%tr endif %}", "{%tc for v in d.ds %}",
            "{%tc endfor %}", "{{ v.ten }}", "{{ v }}", "{{ v.diem | so(1) }}", "{%tr for v in d.ds * 100000 %}",
            "{% hm %}", "{% vm %}", "{{ loop.index }}"]

run_texts = st.one_of(
    vi_text, small_text, st.sampled_from(RUN_TAGS), expression_text, expressions.map(lambda e: "{{ " + e + " }}"),
    st.sampled_from(JINJA_FRAGMENTS),
)


@st.composite
def _paragraph(draw: st.DrawFn) -> dict[str, Any]:
    runs = draw(st.lists(run_texts, min_size=1, max_size=3))
    if draw(st.integers(0, 9)) == 0:  # a tag split by Word across two runs
        i = draw(st.integers(0, len(runs) - 1))
        text = runs[i]
        cut = draw(st.integers(0, len(text)))
        runs[i:i + 1] = [text[:cut], text[cut:]]
    return {"runs": runs, "bold": draw(st.lists(st.booleans(), min_size=len(runs), max_size=len(runs))),
            "style": draw(st.sampled_from([None, None, "Heading 1", "List Bullet"]))}


XML_DAMAGE = ["<!DOCTYPE x [<!ENTITY a \"b\">]>", "<w:p>", "</w:body>", "&bad;", "\x00", "<x:y/>", "]]>",
              "<w:fldSimple w:instr=\"INCLUDETEXT c:/x\"/>", "<w:instrText>DDEAUTO x</w:instrText>", "{{", "{%p if %}",
              "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>{%tc for x in d.ds %}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
              "<w:sectPr><w:pgSz w:w=\"abc\"/></w:sectPr>", "<w:p>" * 300 + "</w:p>" * 300]
EXTERNAL_RELATIONSHIP = ('<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         'relationships/image" Target="file:///etc/hostname" TargetMode="External"/>')


@st.composite
def template_recipes(draw: st.DrawFn) -> dict[str, Any]:
    """A recipe for a .docx template (see :func:`build_template`): a base, added paragraphs, a table, damage."""
    recipe: dict[str, Any] = {"base": draw(st.sampled_from(["bao_cao", "bao_cao", "cong_van", "blank", "bang"])),
                              "paragraphs": [], "table": None, "header": None, "damage": None}
    paragraphs = draw(st.lists(_paragraph(), max_size=4))
    if draw(st.integers(0, 3)) == 0:
        opening, closing = draw(st.sampled_from(PARAGRAPH_TAGS))
        paragraphs = [{"runs": [opening]}, *paragraphs, {"runs": [closing]}]
    recipe["paragraphs"] = paragraphs
    if draw(st.integers(0, 3)) == 0:
        columns = draw(st.integers(1, 3))
        recipe["table"] = draw(st.lists(st.lists(st.one_of(st.sampled_from(ROW_TAGS), run_texts),
                                                 min_size=columns, max_size=columns), min_size=1, max_size=4))
    if draw(st.integers(0, 5)) == 0:
        recipe["header"] = draw(st.lists(run_texts, min_size=1, max_size=2))
    if draw(st.integers(0, 5)) == 0:
        recipe["damage"] = draw(st.one_of(
            st.fixed_dictionaries({"kind": st.just("xml"), "part": st.sampled_from(
                ["word/document.xml", "word/styles.xml", "[Content_Types].xml", "word/_rels/document.xml.rels",
                 "word/header1.xml", "docProps/core.xml"]), "at": st.floats(0, 1),
                "text": st.one_of(st.sampled_from(XML_DAMAGE), small_text)}),
            st.fixed_dictionaries({"kind": st.just("external_link")}),
            st.fixed_dictionaries({"kind": st.just("drop"), "part": st.sampled_from(
                ["word/document.xml", "[Content_Types].xml", "word/styles.xml", "word/_rels/document.xml.rels",
                 "_rels/.rels", "word/settings.xml"])}),
            st.fixed_dictionaries({"kind": st.just("truncate"), "at": st.floats(0, 1)}),
            st.fixed_dictionaries({"kind": st.just("stored_bomb"), "size": st.sampled_from([1 << 20, 30 << 20])}),
            st.fixed_dictionaries({"kind": st.just("many_entries"), "count": st.sampled_from([100, 10_001])}),
        ))
    return recipe


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _XML_UNSAFE.sub("", text)


def build_template(recipe: dict[str, Any]) -> bytes:
    """The .docx bytes a recipe from :func:`template_recipes` describes (python-docx, then damage if any)."""
    from docx import Document

    base = recipe.get("base", "bao_cao")
    document = Document(str(TEMPLATES[base])) if base in TEMPLATES else Document()
    for spec in recipe.get("paragraphs", []):
        style = spec.get("style")
        try:
            paragraph = document.add_paragraph(style=style) if style else document.add_paragraph()
        except KeyError:
            paragraph = document.add_paragraph()
        bold = spec.get("bold") or []
        for i, text in enumerate(spec["runs"]):
            run = paragraph.add_run(_xml_safe(text))
            if i < len(bold) and bold[i]:
                run.bold = True
    if recipe.get("table"):
        rows = recipe["table"]
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = _xml_safe(text)
    if recipe.get("header"):
        header = document.sections[0].header
        paragraph = header.add_paragraph()
        for text in recipe["header"]:
            paragraph.add_run(_xml_safe(text))
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    damage = recipe.get("damage")
    return damage_package(data, damage) if damage else data


def damage_package(data: bytes, damage: dict[str, Any]) -> bytes:
    """A .docx package changed at the zip or XML level as ``damage`` says."""
    kind = damage["kind"]
    if kind == "truncate":
        return data[: int(len(data) * damage["at"])]
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    if kind == "xml" and damage["part"] in parts:
        xml = parts[damage["part"]].decode("utf-8")
        at = int(len(xml) * damage["at"])
        parts[damage["part"]] = (xml[:at] + damage["text"] + xml[at:]).encode("utf-8", "surrogatepass")
    elif kind == "drop":
        parts.pop(damage["part"], None)
    elif kind == "external_link":
        rels = parts["word/_rels/document.xml.rels"].decode("utf-8")
        parts["word/_rels/document.xml.rels"] = rels.replace("</Relationships>",
                                                             EXTERNAL_RELATIONSHIP + "</Relationships>").encode()
    elif kind == "stored_bomb":
        parts["word/media/bomb.bin"] = b"\x00" * damage["size"]
    elif kind == "many_entries":
        for i in range(damage["count"]):
            parts[f"customXml/item{i}.xml"] = b"<a/>"
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", method) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()


# ----- reproducers -------------------------------------------------------------------------------------

REPRO_IMPORTS = ("import datetime, io, math, tempfile\n"
                 "from collections import OrderedDict\n"
                 "from decimal import Decimal\n"
                 "from fractions import Fraction\n"
                 "from pathlib import Path, PurePosixPath\n"
                 "import docx\n")


def _fold_text(text: str) -> str:
    """``text`` as a Python expression, long repetitions written as ``'ab' * 1000``."""
    if len(text) < 200:
        return repr(text)
    pieces: list[str] = []
    literal_start = 0
    i = 0
    n = len(text)
    while i < n:
        best: tuple[str, int] | None = None
        for size in range(1, 9):
            unit = text[i:i + size]
            if len(unit) < size:
                break
            count = 1
            j = i + size
            while text.startswith(unit, j):
                count += 1
                j += size
            if count >= 32 and (best is None or count * size > best[1] * len(best[0])):
                best = (unit, count)
        if best:
            if literal_start < i:
                pieces.append(repr(text[literal_start:i]))
            pieces.append(f"{best[0]!r} * {best[1]}")
            i += len(best[0]) * best[1]
            literal_start = i
        else:
            i += 1
    if literal_start < n:
        pieces.append(repr(text[literal_start:]))
    return " + ".join(pieces) if pieces else "''"


def py_repr(value: Any, _seen: frozenset[int] = frozenset()) -> str:
    """Python source that makes ``value`` again (repetitions folded; a cycle is written as a comment)."""
    if isinstance(value, (dict, list)) and id(value) in _seen:
        return "None  # (vòng: giá trị chứa chính nó)"
    if isinstance(value, OddText):
        return f"OddText({_fold_text(str(value))})"
    if isinstance(value, str):
        return _fold_text(value)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, Weekday):
        return "Weekday.MON"
    if isinstance(value, int):
        if abs(value) >= 10**60:
            sign = "-" if value < 0 else ""
            guess = round(abs(value).bit_length() * math.log10(2))
            for exponent in (guess - 1, guess, guess + 1):
                if 10**exponent == abs(value):
                    return f"{sign}10 ** {exponent}"
            return f"{sign}int({hex(abs(value))!r}, 16)"
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "math.nan"
        if math.isinf(value):
            return "math.inf" if value > 0 else "-math.inf"
        return repr(value)
    if isinstance(value, Decimal):
        return f"Decimal({_fold_text(str(value))})"
    if isinstance(value, OrderedDict):
        return f"OrderedDict({py_repr(dict(value), _seen)})"
    if isinstance(value, dict):
        seen = _seen | {id(value)}
        depth, inner = 0, value
        while type(inner) is dict and list(inner) == ["a"] and depth < 10**6:
            inner, depth = inner["a"], depth + 1
        if depth >= 16:
            return f"_nested({depth}, {py_repr(inner, seen)}, 'dict')"
        return "{" + ", ".join(f"{py_repr(k, seen)}: {py_repr(v, seen)}" for k, v in value.items()) + "}"
    if isinstance(value, Repeated):
        return f"Repeated({py_repr(value[0], _seen) if value else 'None'}, {len(value)})"
    if isinstance(value, list):
        seen = _seen | {id(value)}
        if len(value) >= 16 and all(item is value[0] for item in value):
            return f"[{py_repr(value[0], seen)}] * {len(value)}"
        depth, inner = 0, value
        while isinstance(inner, list) and len(inner) == 1 and depth < 10**6:
            inner, depth = inner[0], depth + 1
        if depth >= 16:
            return f"_nested({depth}, {py_repr(inner, seen)})"
        return "[" + ", ".join(py_repr(v, seen) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(py_repr(v, _seen) + ", " for v in value) + ")"
    if isinstance(value, bytes):
        if len(value) > 400:
            return f"bytes.fromhex({value.hex()!r})"
        return repr(value)
    if isinstance(value, PurePath):
        return f"PurePosixPath({str(value)!r})"
    if isinstance(value, (datetime.date, Fraction, bytearray, set, frozenset, complex, range)):
        return repr(value)
    if value is len:
        return "len"
    if isinstance(value, type):
        return value.__name__
    return repr(value)


NESTED_HELPER = ("def _nested(depth, leaf, kind='list'):\n"
                 "    for _ in range(depth):\n"
                 "        leaf = [leaf] if kind == 'list' else {'a': leaf}\n"
                 "    return leaf\n")
