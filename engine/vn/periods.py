"""Turn a reporting period (month, quarter, six or nine months, year, date range) into the forms documents print.

A report names its period many times: in the trích yếu, in the body ("tháng 4 năm 2023"), in a
phụ lục title ("THÁNG 4 NĂM 2023"), in a lead line ("Kỳ đánh giá: Quý II, Năm 2021"), and the next
period in its tasks ("Nhiệm vụ tháng 11 năm 2023"). A :class:`Period` is written once in the spec
(``ky:``) and printed in every form:

==============  =============================  ===================  ==================
kind            ``{{ ky }}``                   ``{{ ky.ngan }}``    ``{{ ky.ten }}``
==============  =============================  ===================  ==================
month           tháng 4 năm 2023               tháng 4/2023         tháng 4
quarter         quý II năm 2021                quý II/2021          quý II
six months      6 tháng đầu năm 2024           6 tháng đầu năm 2024 6 tháng đầu năm
nine months     9 tháng đầu năm 2024           9 tháng đầu năm 2024 9 tháng đầu năm
year            năm 2024                       năm 2024             năm 2024
date range      từ 15/12/2022 đến hết 14/03/2023 (every form)
==============  =============================  ===================  ==================

Months 1 and 2 are written "01" and "02", as Nghị định 30 writes them in dates ("tháng 01/2026"). A
quarter keeps the numerals its writer chose ("quý 1 năm 2023" stays arabic, "quý II" roman). A named
period may have its own bounds (Sơn La counts its first quarter from 15/12/2022 to 14/03/2023):
``ky.khoang`` prints them, and ``ky.truoc`` / ``ky.sau`` move them with the period.

A Period *is* its full text (a ``str``), so every text filter and ``~`` work on it; the sandbox lets a
template read only the fields listed in :data:`PERIOD_FIELDS`, never a method.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from engine.vn.dates import MAX_YEAR, MIN_YEAR, PartialDate, format_month
from engine.vn.numbers import roman

__all__ = ["FORMS_HINT", "PERIOD_FIELDS", "Period", "parse_period", "period_from_parts"]

MONTH, QUARTER, FIRST_HALF, SECOND_HALF, NINE_MONTHS, YEAR, RANGE = (
    "thang", "quy", "6_thang_dau", "6_thang_cuoi", "9_thang", "nam", "khoang")

# What a template may read of a period (engine.render.environment's READABLE_FIELDS).
PERIOD_FIELDS = frozenset({"loai", "ten", "ngan", "day_du", "khoang", "nam", "thang", "quy", "tu", "den",
                           "truoc", "sau", "cung_ky"})

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _last_day(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier); the last day of a shorter month when the day does not exist."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _whole_months(start: dt.date, end: dt.date) -> int | None:
    """How many months from ``start`` to the day before the same day ``n`` months later, if the range is that."""
    for months in range(1, 13 * 5):
        if _add_months(start, months) - dt.timedelta(days=1) == end:
            return months
        if _add_months(start, months) > end:
            return None
    return None


def _short(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


class Period(str):
    """A reporting period, printed as its full text; its other forms and neighbours are read as fields.

    >>> ky = parse_period("tháng 4 năm 2023")
    >>> str(ky), ky.ngan, ky.ten, str(ky.truoc), str(ky.sau), str(ky.cung_ky)
    ('tháng 4 năm 2023', 'tháng 4/2023', 'tháng 4', 'tháng 3 năm 2023', 'tháng 5 năm 2023', 'tháng 4 năm 2022')
    >>> str(parse_period("quý II năm 2021").sau), parse_period("tháng 01/2026").ngan
    ('quý III năm 2021', 'tháng 01/2026')
    """

    kind: str
    year: int
    number: int | None
    start: dt.date
    end: dt.date
    arabic: bool
    bounded: bool

    def __new__(cls, kind: str, year: int, number: int | None = None, *, start: dt.date | None = None,
                end: dt.date | None = None, arabic: bool = False) -> Period:
        natural_start, natural_end = _natural_bounds(kind, year, number, start, end)
        start = start or natural_start
        end = end or natural_end
        if end < start:
            raise ValueError(f"kỳ kết thúc ngày {_short(end)} trước khi bắt đầu ngày {_short(start)}")
        text = _full(kind, year, number, start, end, arabic)
        self = super().__new__(cls, text)
        for name, value in (("kind", kind), ("year", year), ("number", number), ("start", start), ("end", end),
                            ("arabic", arabic), ("bounded", (start, end) != (natural_start, natural_end))):
            object.__setattr__(self, name, value)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Period is immutable")

    def __reduce__(self) -> tuple[Any, ...]:  # pickled for worker processes: rebuilt from its parts
        return (_rebuild, (self.kind, self.year, self.number, self.start, self.end, self.arabic))

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"

    # ----- what a template reads ------------------------------------------------------------------

    @property
    def loai(self) -> str:
        """The kind: thang, quy, 6_thang_dau, 6_thang_cuoi, 9_thang, nam, khoang."""
        return self.kind

    @property
    def day_du(self) -> str:
        return str(self)

    @property
    def ten(self) -> str:
        """The period without its year ("tháng 4", "quý II"); a year or a range is its full text."""
        if self.kind == MONTH:
            return f"tháng {format_month(self.number or 1)}"
        if self.kind == QUARTER:
            return f"quý {self._quarter_numeral()}"
        if self.kind in (FIRST_HALF, SECOND_HALF, NINE_MONTHS):
            return _HALF_WORDS[self.kind]
        return str(self)

    @property
    def ngan(self) -> str:
        """The short form: "tháng 4/2023", "quý II/2021"; the others as in full."""
        if self.kind in (MONTH, QUARTER):
            return f"{self.ten}/{self.year}"
        return str(self)

    @property
    def khoang(self) -> str:
        """The period's bounds: "từ 15/12/2022 đến hết 14/03/2023"."""
        return f"từ {_short(self.start)} đến hết {_short(self.end)}"

    @property
    def nam(self) -> int:
        return self.year

    @property
    def thang(self) -> int | None:
        return self.number if self.kind == MONTH else None

    @property
    def quy(self) -> int | None:
        return self.number if self.kind == QUARTER else None

    @property
    def tu(self) -> PartialDate:
        return PartialDate.from_date(self.start)

    @property
    def den(self) -> PartialDate:
        return PartialDate.from_date(self.end)

    @property
    def truoc(self) -> Period:
        """The period before: the month, quarter, half or range before; the same nine months or year a year before."""
        return self.shifted(-1)

    @property
    def sau(self) -> Period:
        return self.shifted(1)

    @property
    def cung_ky(self) -> Period:
        """The same period a year before ("cùng kỳ năm trước")."""
        return self._moved(-12)

    # ----- moving -----------------------------------------------------------------------------------

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` periods later (earlier when negative)."""
        if self.kind == MONTH:
            return self._moved(steps)
        if self.kind == QUARTER:
            return self._moved(3 * steps)
        if self.kind in (FIRST_HALF, SECOND_HALF):
            return self._moved(6 * steps)
        if self.kind in (NINE_MONTHS, YEAR):
            return self._moved(12 * steps)
        months = _whole_months(self.start, self.end)
        if months is not None:
            return self._moved(months * steps)
        length = (self.end - self.start).days + 1
        delta = dt.timedelta(days=length * steps)
        return _checked(lambda: Period(RANGE, (self.end + delta).year, start=self.start + delta,
                                       end=self.end + delta))

    def _moved(self, months: int) -> Period:
        def build() -> Period:
            if self.kind == RANGE:
                end = _add_months(self.end + dt.timedelta(days=1), months) - dt.timedelta(days=1)
                return Period(RANGE, end.year, start=_add_months(self.start, months), end=end)
            index = self.year * 12 + (self._first_month() - 1) + months
            year, first = divmod(index, 12)
            number = _number_for(self.kind, first + 1)
            kind = self.kind
            if kind in (FIRST_HALF, SECOND_HALF):
                kind = FIRST_HALF if first + 1 == 1 else SECOND_HALF
            if not self.bounded:
                return Period(kind, year, number, arabic=self.arabic)
            end = _add_months(self.end + dt.timedelta(days=1), months) - dt.timedelta(days=1)
            return Period(kind, year, number, start=_add_months(self.start, months), end=end, arabic=self.arabic)

        return _checked(build)

    def _first_month(self) -> int:
        if self.kind == MONTH:
            return self.number or 1
        if self.kind == QUARTER:
            return 3 * ((self.number or 1) - 1) + 1
        if self.kind == SECOND_HALF:
            return 7
        return 1

    def _quarter_numeral(self) -> str:
        return str(self.number) if self.arabic else roman(self.number or 1)


_HALF_WORDS = {FIRST_HALF: "6 tháng đầu năm", SECOND_HALF: "6 tháng cuối năm", NINE_MONTHS: "9 tháng đầu năm"}


def _rebuild(kind: str, year: int, number: int | None, start: dt.date, end: dt.date, arabic: bool) -> Period:
    return Period(kind, year, number, start=start, end=end, arabic=arabic)


def _checked(build: Any) -> Period:
    """A neighbour of a period; one past the years a date may have is an error in words."""
    try:
        return build()
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"kỳ liền kề ra ngoài các năm {MIN_YEAR}–{MAX_YEAR} ({exc})") from None


def _number_for(kind: str, first_month: int) -> int | None:
    if kind == MONTH:
        return first_month
    if kind == QUARTER:
        return (first_month - 1) // 3 + 1
    return None


def _natural_bounds(kind: str, year: int, number: int | None, start: dt.date | None,
                    end: dt.date | None) -> tuple[dt.date, dt.date]:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"năm {year} không hợp lệ: năm phải từ {MIN_YEAR} đến {MAX_YEAR}")
    if kind == MONTH:
        if not isinstance(number, int) or not 1 <= number <= 12:
            raise ValueError(f"tháng {number} không có thật: tháng phải từ 1 đến 12")
        return dt.date(year, number, 1), _last_day(year, number)
    if kind == QUARTER:
        if not isinstance(number, int) or not 1 <= number <= 4:
            raise ValueError(f"quý {number} không có thật: quý phải từ 1 đến 4 (I đến IV)")
        return dt.date(year, 3 * number - 2, 1), _last_day(year, 3 * number)
    if kind == FIRST_HALF:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    if kind == SECOND_HALF:
        return dt.date(year, 7, 1), dt.date(year, 12, 31)
    if kind == NINE_MONTHS:
        return dt.date(year, 1, 1), dt.date(year, 9, 30)
    if kind == YEAR:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if kind == RANGE:
        if start is None or end is None:
            raise ValueError("kỳ là một khoảng ngày thì cần cả ngày bắt đầu và ngày kết thúc")
        return start, end
    raise ValueError(f"không có loại kỳ '{kind}'")


def _full(kind: str, year: int, number: int | None, start: dt.date, end: dt.date, arabic: bool) -> str:
    if kind == MONTH:
        return f"tháng {format_month(number or 1)} năm {year}"
    if kind == QUARTER:
        return f"quý {number if arabic else roman(number or 1)} năm {year}"
    if kind in _HALF_WORDS:
        return f"{_HALF_WORDS[kind]} {year}"
    if kind == YEAR:
        return f"năm {year}"
    return f"từ {_short(start)} đến hết {_short(end)}"


# ----- reading a period as people write it ------------------------------------------------------------

_YEAR = r"(?P<year>\d{4})"
_SEP = r"\s*(?:năm|/|-)\s*"
_FORMS = [
    (MONTH, re.compile(rf"tháng\s+(?P<n>\d{{1,2}}){_SEP}{_YEAR}")),
    (MONTH, re.compile(rf"(?P<n>\d{{1,2}})\s*/\s*{_YEAR}")),
    (MONTH, re.compile(rf"{_YEAR}-(?P<n>\d{{1,2}})")),
    (QUARTER, re.compile(rf"qu[ýí]\s+(?P<n>[1-4]|I{{1,3}}|IV){_SEP}{_YEAR}", re.IGNORECASE)),
    (QUARTER, re.compile(rf"q(?P<n>[1-4])\s*/\s*{_YEAR}", re.IGNORECASE)),
    (FIRST_HALF, re.compile(rf"(?:6|sáu)\s+tháng\s+đầu\s+năm\s+{_YEAR}")),
    (SECOND_HALF, re.compile(rf"(?:6|sáu)\s+tháng\s+cuối\s+năm\s+{_YEAR}")),
    (NINE_MONTHS, re.compile(rf"(?:9|chín)\s+tháng(?:\s+đầu)?\s+năm\s+{_YEAR}")),
    (YEAR, re.compile(rf"(?:năm\s+)?{_YEAR}")),
]
_DAY = r"(?:ngày\s+)?(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})"
_RANGE = re.compile(rf"(?:từ\s+)?{_DAY}\s*(?:đến\s+(?:hết\s+)?|-|–)\s*{_DAY}")

FORMS_HINT = ("Viết kỳ như văn bản vẫn viết: 'tháng 4 năm 2023' (hoặc 'tháng 4/2023'), 'quý II năm 2021', "
              "'6 tháng đầu năm 2024', '6 tháng cuối năm 2024', '9 tháng đầu năm 2024', 'năm 2024', "
              "'từ 15/12/2022 đến hết 14/03/2023'; hoặc một bảng {thang: 4, nam: 2023}, {quy: 2, nam: 2021}, "
              "{nam: 2024}, {tu: 15/12/2022, den: 14/03/2023}.")


def _date(day: str, month: str, year: str) -> dt.date:
    try:
        return PartialDate(int(year), int(month), int(day)).to_date()
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None


def parse_period(text: str) -> Period:
    """A period written as documents write it; ValueError (in Vietnamese) for anything else.

    >>> parse_period("từ 15/12/2022 đến hết 14/03/2023").truoc
    Period('từ 15/09/2022 đến hết 14/12/2022')
    >>> parse_period("Quý 1/2023"), parse_period("6 tháng đầu năm 2024").truoc
    (Period('quý 1 năm 2023'), Period('6 tháng cuối năm 2023'))
    """
    cleaned = " ".join(str(text).split())
    lowered = cleaned.lower()
    if len(cleaned) > 120:
        raise ValueError("kỳ báo cáo viết quá dài")
    match = _RANGE.fullmatch(lowered)
    if match:
        start, end = _date(*match.groups()[:3]), _date(*match.groups()[3:])
        return Period(RANGE, end.year, start=start, end=end)
    for kind, pattern in _FORMS:
        match = pattern.fullmatch(cleaned) or pattern.fullmatch(lowered)
        if match is None:
            continue
        year = int(match["year"])
        if kind in (MONTH, QUARTER):
            raw = match["n"].upper()
            number = _ROMAN[raw] if raw in _ROMAN else int(raw)
            return Period(kind, year, number, arabic=kind == QUARTER and raw.isdigit())
        return Period(kind, year)
    raise ValueError(f"không hiểu kỳ báo cáo '{cleaned[:60]}'")


def period_from_parts(*, ten: str | None = None, thang: int | None = None, quy: int | None = None,
                      nam: int | None = None, tu: PartialDate | None = None, den: PartialDate | None = None) -> Period:
    """A period from the keys of a spec's ``ky:`` mapping; ValueError in words when they do not make one.

    >>> str(period_from_parts(ten="quý 1 năm 2023", tu=PartialDate(2022, 12, 15), den=PartialDate(2023, 3, 14)).sau)
    'quý 2 năm 2023'
    """
    bounds: dict[str, dt.date] = {}
    for key, value in (("start", tu), ("end", den)):
        if value is not None:
            if not value.is_complete:
                raise ValueError("ngày bắt đầu và kết thúc của kỳ phải ghi đủ ngày, tháng, năm")
            bounds[key] = value.to_date()
    if ten is not None:
        if thang is not None or quy is not None or nam is not None:
            raise ValueError("đã ghi 'ten' của kỳ thì không ghi thêm thang, quy, nam")
        base = parse_period(ten)
        if not bounds:
            return base
        if len(bounds) == 1:
            raise ValueError("kỳ có khoảng ngày riêng thì ghi cả 'tu' và 'den'")
        if base.kind == RANGE:
            raise ValueError("'ten' đã là một khoảng ngày; bỏ 'tu' và 'den'")
        return Period(base.kind, base.year, base.number, arabic=base.arabic, **bounds)
    if thang is not None and quy is not None:
        raise ValueError("một kỳ là tháng hoặc quý, không cả hai")
    if thang is not None or quy is not None:
        if nam is None:
            raise ValueError("kỳ cần 'nam'")
        kind, number = (MONTH, thang) if thang is not None else (QUARTER, quy)
        if len(bounds) == 1:
            raise ValueError("kỳ có khoảng ngày riêng thì ghi cả 'tu' và 'den'")
        return Period(kind, nam, number, **bounds)
    if len(bounds) == 2:
        if nam is not None:
            raise ValueError("kỳ là khoảng ngày thì không ghi 'nam'")
        return Period(RANGE, bounds["end"].year, **bounds)
    if bounds:
        raise ValueError("kỳ là khoảng ngày thì ghi cả 'tu' và 'den'")
    if nam is not None:
        return Period(YEAR, nam)
    raise ValueError("kỳ trống: ghi ít nhất 'nam'")
