"""Turn dates into the forms Nghị định 30/2020/NĐ-CP prescribes for official documents.

The rule: a day below 10 and the months 1 and 2 get a leading zero ("ngày 05 tháng 01"), the
months 3 to 12 do not ("tháng 6"). Zero-padding January and February stops anyone turning
"tháng 1" into "tháng 11" or "tháng 2" into "tháng 12" by adding a stroke.

A draft is often printed before it is signed, with the day (or day and month) left for the
clerk to write by hand; :class:`PartialDate` models that and prints a gap of no-break spaces.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

__all__ = [
    "BLANK",
    "PartialDate",
    "format_date",
    "format_day",
    "format_month",
    "place_and_date",
    "short_date",
]

# No-break spaces, because Word collapses nothing here and never wraps inside the gap.
BLANK = "\u00a0" * 6

MIN_YEAR = 1900
MAX_YEAR = 2200


def _check_int(name: str, value: object) -> None:
    # bool is an int subclass; "ngày True" is always a data mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} phải là số nguyên, nhận được {value!r}")


@dataclass(frozen=True)
class PartialDate:
    """A date whose day, or day and month, may be left blank in a draft.

    >>> PartialDate(2023, 4)
    PartialDate(year=2023, month=4, day=None)
    >>> PartialDate(2023, 2, 30)
    Traceback (most recent call last):
    ...
    ValueError: ngày 30/02/2023 không có thật: tháng 2 năm 2023 chỉ có 28 ngày
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        _check_int("năm", self.year)
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise ValueError(
                f"năm {self.year} không hợp lệ: năm phải từ {MIN_YEAR} đến {MAX_YEAR}"
            )
        if self.month is None:
            if self.day is not None:
                raise ValueError(
                    f"ngày {self.day} thiếu tháng: đã ghi ngày thì phải ghi cả tháng"
                )
            return
        _check_int("tháng", self.month)
        if not 1 <= self.month <= 12:
            raise ValueError(f"tháng {self.month} không có thật: tháng phải từ 1 đến 12")
        if self.day is None:
            return
        _check_int("ngày", self.day)
        try:
            datetime.date(self.year, self.month, self.day)
        except ValueError:
            last = calendar.monthrange(self.year, self.month)[1]
            raise ValueError(
                f"ngày {self.day:02d}/{self.month:02d}/{self.year} không có thật: "
                f"tháng {self.month} năm {self.year} chỉ có {last} ngày"
            ) from None

    @property
    def is_complete(self) -> bool:
        """Turn the date into True when day, month and year are all given.

        >>> PartialDate(2024, 1, 5).is_complete
        True
        """
        return self.day is not None

    def to_date(self) -> datetime.date:
        """Turn a complete partial date into a datetime.date.

        >>> PartialDate(2024, 1, 5).to_date()
        datetime.date(2024, 1, 5)
        """
        if self.month is None or self.day is None:
            raise ValueError(f"ngày chưa đủ (thiếu ngày hoặc tháng): {self!r}")
        return datetime.date(self.year, self.month, self.day)

    @classmethod
    def from_date(cls, d: datetime.date) -> PartialDate:
        """Turn a datetime.date into a complete PartialDate.

        >>> PartialDate.from_date(datetime.date(2021, 6, 22))
        PartialDate(year=2021, month=6, day=22)
        """
        return cls(d.year, d.month, d.day)


DateLike = datetime.date | PartialDate


def _as_partial(d: DateLike) -> PartialDate:
    if isinstance(d, PartialDate):
        return d
    if isinstance(d, datetime.date):
        return PartialDate.from_date(d)
    raise TypeError(f"cần datetime.date hoặc PartialDate, nhận được {type(d).__name__}")


def format_day(d: int) -> str:
    """Turn a day of the month into its Nghị định 30 form: a leading zero below 10.

    >>> format_day(5)
    '05'
    >>> format_day(29)
    '29'
    """
    _check_int("ngày", d)
    if not 1 <= d <= 31:
        raise ValueError(f"ngày {d} không có thật: ngày phải từ 1 đến 31")
    return f"{d:02d}"


def format_month(m: int) -> str:
    """Turn a month into its Nghị định 30 form: "01", "02", then "3" to "12" unpadded.

    >>> format_month(1)
    '01'
    >>> format_month(6)
    '6'
    """
    _check_int("tháng", m)
    if not 1 <= m <= 12:
        raise ValueError(f"tháng {m} không có thật: tháng phải từ 1 đến 12")
    return f"{m:02d}" if m <= 2 else str(m)


def format_date(d: DateLike) -> str:
    """Turn a date into "ngày 05 tháng 01 năm 2024", with BLANK where a part is missing.

    >>> format_date(datetime.date(2024, 1, 5))
    'ngày 05 tháng 01 năm 2024'
    >>> format_date(PartialDate(2019, 6, 29))
    'ngày 29 tháng 6 năm 2019'
    >>> format_date(PartialDate(2023, 4)) == f"ngày {BLANK} tháng 4 năm 2023"
    True
    """
    date = _as_partial(d)
    day = BLANK if date.day is None else format_day(date.day)
    month = BLANK if date.month is None else format_month(date.month)
    return f"ngày {day} tháng {month} năm {date.year}"


def place_and_date(place: str, d: DateLike) -> str:
    """Turn a place and a date into the line under the national motto.

    >>> place_and_date("Điện Biên", datetime.date(2021, 6, 22))
    'Điện Biên, ngày 22 tháng 6 năm 2021'
    """
    return f"{place}, {format_date(d)}"


def short_date(d: DateLike) -> str:
    """Turn a complete date into d/m/yyyy without leading zeros, as in "ngày 24/3/2023".

    >>> short_date(datetime.date(2023, 3, 24))
    '24/3/2023'
    """
    date = _as_partial(d)
    if date.month is None or date.day is None:
        raise ValueError("không viết được ngày dạng ngắn khi còn để trống ngày hoặc tháng")
    return f"{date.day}/{date.month}/{date.year}"
