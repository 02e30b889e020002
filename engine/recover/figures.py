"""Turn recovered text into spec text: the period as ``{{ ky }}``, table figures as expressions, the rest literal.

Recovered text is kept as segments, literal or expression (:class:`Text`), so that a later pass never
rewrites the inside of an expression an earlier pass put in, and literal text that happens to hold
Jinja's delimiters is written so that it prints as it was. Two passes:

- the reporting period: the one the trích yếu (else the body) names, and each place that names it, the
  period before or after it, or the same period a year before, in the forms the engine prints
  (``{{ ky }}``, ``{{ ky.ngan }}``, upper case, a capital first letter); a date ("ngày 24 tháng 4 năm
  2023") is never a period;
- numbers that are a figure of a recovered table (a unit's score, a count of units per class, a
  criterion's points): each becomes the expression that prints exactly the same text, if exactly one
  figure does; a number two or more figures could be stays text, with a comment naming them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.scoring.figures import Figure, Percentage
from engine.vn.periods import Period, parse_period
from engine.vn.text import upper_vi
from engine.vn.words import capitalize_first

__all__ = ["Candidate", "Figures", "Text", "figure_candidates", "find_period", "index_candidates", "period_forms",
           "replace_figures", "replace_period"]

_DELIMITERS = re.compile(r"(\{\{|\{%|\{#|%\}|\}\}|#\})")


class Text:
    """A text as literal and expression segments; ``str()`` gives the spec text that prints it."""

    def __init__(self, literal: str) -> None:
        self.segments: list[tuple[bool, str]] = [(False, literal)] if literal else []

    @property
    def literal(self) -> str:
        """What the text prints, with each expression shown as {{ … }} (for messages)."""
        return "".join(value if not expr else f"{{{{ {value} }}}}" for expr, value in self.segments)

    def replace(self, pattern: re.Pattern[str], expression: Callable[[re.Match[str]], str | None]) -> int:
        """Replace each match in the literal segments by the expression ``expression`` gives (None: keep)."""
        out: list[tuple[bool, str]] = []
        count = 0
        for is_expr, value in self.segments:
            if is_expr:
                out.append((is_expr, value))
                continue
            position = 0
            for match in pattern.finditer(value):
                made = expression(match)
                if made is None:
                    continue
                if match.start() > position:
                    out.append((False, value[position:match.start()]))
                out.append((True, made))
                position = match.end()
                count += 1
            if position < len(value):
                out.append((False, value[position:]))
        self.segments = out
        return count

    def literals(self) -> Iterator[str]:
        return (value for is_expr, value in self.segments if not is_expr)

    def __str__(self) -> str:
        pieces = []
        for is_expr, value in self.segments:
            if is_expr:
                pieces.append(f"{{{{ {value} }}}}")
            else:
                # Jinja's own delimiters in plain text print as themselves: {{ '{{' }}.
                pieces.append(_DELIMITERS.sub(lambda m: "{{ '" + m[0] + "' }}", value))
        return "".join(pieces)


# ----- the period ----------------------------------------------------------------------------------------

_PERIOD_PHRASES = re.compile(
    r"(?<![\w/])(?:"
    r"từ\s+(?:ngày\s+)?\d{1,2}/\d{1,2}/\d{4}\s+đến\s+(?:hết\s+)?(?:ngày\s+)?\d{1,2}/\d{1,2}/\d{4}"
    r"|(?:6|9)\s+tháng(?:\s+(?:đầu|cuối))?\s+năm\s+\d{4}"
    r"|tháng\s+\d{1,2}(?:\s+năm\s+|/)\d{4}"
    r"|qu[ýí]\s+(?:[1-4]|IV|I{1,3})(?:\s+năm\s+|/)\d{4}"
    r")(?![\w/])", re.IGNORECASE)
_DATE_BEFORE = re.compile(r"ngày\s+\d{1,2}\s+$", re.IGNORECASE)


def _phrases(text: str) -> Iterator[tuple[re.Match[str], Period]]:
    for match in _PERIOD_PHRASES.finditer(text):
        if _DATE_BEFORE.search(text[:match.start()]):
            continue
        try:
            yield match, parse_period(match[0])
        except ValueError:
            continue


def find_period(subject: str | None, texts: list[str]) -> Period | None:
    """The period the document reports on: the first the trích yếu names, else the one the body names most.

    A date range in the text that falls on the named period (Sơn La's quarter "từ 15/12/2022 đến hết
    14/03/2023") becomes its bounds.
    """
    found: Period | None = None
    for _, period in _phrases(subject or ""):
        if period.kind != "khoang":
            found = period
            break
    if found is None:
        counts: dict[str, tuple[int, Period]] = {}
        for text in texts:
            for _, period in _phrases(text):
                if period.kind == "khoang":
                    continue
                count, _ = counts.get(str(period), (0, period))
                counts[str(period)] = (count + 1, period)
        if not counts:
            return None
        found = max(counts.values(), key=lambda item: item[0])[1]
    for text in [subject or "", *texts]:
        for _, period in _phrases(text):
            if period.kind == "khoang" and found.start <= period.end <= found.end and period.start < found.start + \
                    (found.end - found.start) and period != found:
                return Period(found.kind, found.year, found.number, start=period.start, end=period.end,
                              arabic=found.arabic)
    return found


def period_forms(period: Period) -> list[tuple[str, str]]:
    """(text as printed, expression) for every form of the period and its neighbours, longest first."""
    forms: list[tuple[str, str]] = []
    for name, value in (("ky", period), ("ky.truoc", period.truoc), ("ky.sau", period.sau),
                        ("ky.cung_ky", period.cung_ky)):
        plain = [(str(value), name)]
        if value.ngan != str(value):
            plain.append((value.ngan, f"{name}.ngan"))
        if value.bounded or value.kind == "khoang":
            plain.append((value.khoang, f"{name}.khoang"))
        for text, expression in plain:
            forms.append((text, expression))
            forms.append((upper_vi(text), f"{expression} | in_hoa"))
            forms.append((capitalize_first(text), f"{expression} | viet_hoa_dau"))
    seen: set[str] = set()
    unique = []
    for text, expression in sorted(forms, key=lambda form: -len(form[0])):
        if text not in seen:
            seen.add(text)
            unique.append((text, expression))
    return unique


def replace_period(text: Text, forms: list[tuple[str, str]]) -> int:
    count = 0
    for shown, expression in forms:
        pattern = re.compile(r"(?<![\w/])" + r"\s+".join(re.escape(word) for word in shown.split(" ")) + r"(?![\w/])")

        def made(match: re.Match[str], expression: str = expression) -> str | None:
            return None if _DATE_BEFORE.search(match.string[:match.start()]) else expression

        count += text.replace(pattern, made)
    return count


# ----- figures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A figure of a recovered table, the expression that reads it, its value, and the words that name it.

    A unit's figure counts only where the text names the unit just before it ("Cương Chính: 82,71%"), a
    count of units per class only where the class follows ("01 đơn vị xếp loại Tốt"), the number of
    units only before a word for units ("12/12 đơn vị"): a number that merely equals one is not it.
    """

    expression: str
    value: Decimal
    identity: int  # the figure object itself: two paths to one figure are one candidate
    named_before: str | None = None  # a unit's own name, found in the text shortly before the number
    named_after: str | None = None  # words found shortly after it (a regular expression)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, Percentage):
        value = value.value
    if isinstance(value, Figure):
        return value.value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    return None


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


_UNIT_WORDS = r"(?:đơn vị|xã|phường|thị trấn|cơ quan|huyện|tỉnh|sở|ban|ngành)"
_UNIT_PREFIX = re.compile(r"^(?:UBND|Ủy ban nhân dân)\s+(?:xã|phường|thị trấn|huyện|tỉnh|thành phố|TT|TP)?\s*",
                          re.IGNORECASE)


def _short_name(unit: str) -> str:
    """How a text names a unit: "UBND xã Cương Chính" → "Cương Chính"."""
    return _UNIT_PREFIX.sub("", unit).strip() or unit


def _named(candidate: Candidate, source: str, start: int, end: int, nearest: str | None) -> bool:
    if candidate.named_before is not None and candidate.named_before.casefold() != (nearest or "").casefold():
        return False
    if candidate.named_after is not None:
        window = source[end:end + 40]
        if not re.search(candidate.named_after, window, re.IGNORECASE):
            return False
    return True


def figure_candidates(views: dict[str, dict[str, Any]]) -> list[Candidate]:
    """The figures of each scored table by the expression that reads them (index and criteria views)."""
    found: list[Candidate] = []

    def add(expression: str, value: Any, before: str | None = None, after: str | None = None) -> None:
        number = _number(value)
        if number is not None:
            found.append(Candidate(expression, number, id(value), before, after))

    for name, view in views.items():
        if "theo_ten" in view:
            add(f"{name}.so_don_vi", view["so_don_vi"], after=_UNIT_WORDS)
            for band, count in view["dem_xep_loai"].items():
                add(f"{name}.dem_xep_loai[{_literal(band)}]", count, after=re.escape(band))
            for unit, fields in view["theo_ten"].items():
                base = f"{name}.theo_ten[{_literal(unit)}]"
                short = _short_name(unit)
                for key in ("dat_duoc", "quy_doi", "hang", "ky_truoc", "tang_giam"):
                    add(f"{base}.{key}", fields.get(key), short)
                for code, value in fields["chi_so"].items():
                    add(f"{base}.chi_so.{code}", value, short)
                for code, group in fields["nhom"].items():
                    add(f"{base}.nhom.{code}.diem", group["diem"], short)
                for key, value in fields["them"].items():
                    add(f"{base}.them.{key}", value, short)
        elif "tieu_chi" in view:
            add(f"{name}.tong", view["tong"])
            add(f"{name}.toi_da", view["toi_da"])
            for index, criterion in enumerate(view["tieu_chi"]):
                add(f"{name}.tieu_chi[{index}].diem", criterion["diem"])
                add(f"{name}.tieu_chi[{index}].so_ho_so", criterion["so_ho_so"])
    return found


_TOKEN = re.compile(r"(?<![\w.,/])(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(%?)(?![\w]|[.,]\d|/[^\d\s]|/\d{4})")
# Numbers that are names, not figures: "Quyết định 459", "tiêu chí 9", "Điều 5", a year.
_REFERENCE_BEFORE = re.compile(
    r"(?:số|điều|khoản|mục|chương|phần|tiêu chí|chỉ số|nhóm|phụ lục|quyết định|nghị định|thông tư|"
    r"công văn|văn bản|kế hoạch|chỉ thị|năm|tháng|quý|ngày|lần thứ|thứ)\s+$", re.IGNORECASE)
_SPANS_TO_SKIP = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|\d+/[A-Za-zĐđ]|https?://\S+")

Render = Callable[[str], str | None]


def _renderings(expression: str, shown: str, decimals: int, percent: bool) -> list[str]:
    if percent:
        return [expression, f"{expression} | phan_tram", f"{expression} | phan_tram({decimals})"]
    options = [expression, f"{expression} | so", f"{expression} | so({decimals})"]
    if len(shown) == 2 and shown.startswith("0"):
        options.append(f"{expression} | hai_so")
    return options


@dataclass(frozen=True)
class Figures:
    """The candidates by (decimals, rounded value), and the unit names that may stand before a unit's figure."""

    table: dict[tuple[int, Decimal], list[Candidate]]
    units: re.Pattern[str] | None

    def nearest_unit(self, source: str, start: int) -> str | None:
        """The unit the text names last in the 50 characters before ``start``, if any."""
        if self.units is None:
            return None
        found = None
        for match in self.units.finditer(source[max(0, start - 50):start]):
            found = match[0]
        return found


def replace_figures(text: Text, figures: Figures, render: Render, ambiguous: list[str]) -> int:
    """Replace each number of ``text`` that exactly one candidate prints as it stands; note the others."""
    skip: list[tuple[int, int]] = []

    def made(match: re.Match[str]) -> str | None:
        source = match.string
        start = match.start()
        if any(a <= start < b for a, b in skip) or _REFERENCE_BEFORE.search(source[max(0, start - 20):start]):
            return None
        whole, decimals_text, percent = match[1], match[2], match[3]
        if whole.isdigit() and len(whole) == 4 and 1900 <= int(whole) <= 2200 and not decimals_text:
            return None  # a year
        if len(whole) == 1 and not decimals_text and not percent:
            return None  # a lone digit is too often a count of anything
        value = Decimal(whole.replace(".", "") + ("." + decimals_text if decimals_text else ""))
        decimals = len(decimals_text or "")
        shown = match[0]
        hits: dict[int, str] = {}
        names: list[str] = []
        nearest = figures.nearest_unit(source, start)
        for candidate in figures.table.get((decimals, value), []):
            if not _named(candidate, source, start, match.end(), nearest):
                continue
            for expression in _renderings(candidate.expression, shown, decimals, bool(percent)):
                if render(expression) == shown:
                    if candidate.identity not in hits:
                        hits[candidate.identity] = expression
                        names.append(candidate.expression)
                    break
        if len(hits) == 1:
            return next(iter(hits.values()))
        if len(hits) > 1:
            listed = ", ".join(names[:4]) + (f" và {len(names) - 4} số khác" if len(names) > 4 else "")
            ambiguous.append(f"'{shown}' có thể là {listed}")
        return None

    count = 0
    # Dates, document numbers and addresses are skipped: their spans are per literal segment.
    out: list[tuple[bool, str]] = []
    for is_expr, value in text.segments:
        if is_expr:
            out.append((is_expr, value))
            continue
        skip[:] = [m.span() for m in _SPANS_TO_SKIP.finditer(value)]
        piece = Text(value)
        count += piece.replace(_TOKEN, made)
        out.extend(piece.segments)
    text.segments = out
    return count


def index_candidates(candidates: list[Candidate]) -> Figures:
    """Candidates by (decimals, value rounded to them), for the numbers a text prints at 0 to 4 decimals."""
    table: dict[tuple[int, Decimal], list[Candidate]] = {}
    for candidate in candidates:
        for decimals in range(5):
            try:
                key = candidate.value.quantize(Decimal(1).scaleb(-decimals))
            except ArithmeticError:
                continue
            table.setdefault((decimals, key), []).append(candidate)
    names = sorted({c.named_before for c in candidates if c.named_before}, key=len, reverse=True)
    units = re.compile("|".join(re.escape(n) for n in names), re.IGNORECASE) if names else None
    return Figures(table, units)
