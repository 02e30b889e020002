"""Dates follow Nghị định 30: zero-pad days below 10 and months 1 and 2 only."""

from __future__ import annotations

import datetime

import pytest

from engine.vn.dates import (
    BLANK,
    PartialDate,
    format_date,
    format_day,
    format_month,
    place_and_date,
    short_date,
)


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime.date(2024, 1, 5), "ngày 05 tháng 01 năm 2024"),
        (datetime.date(2019, 6, 29), "ngày 29 tháng 6 năm 2019"),
        (datetime.date(2021, 2, 22), "ngày 22 tháng 02 năm 2021"),
        (datetime.date(2020, 12, 10), "ngày 10 tháng 12 năm 2020"),
        (PartialDate(2024, 1, 5), "ngày 05 tháng 01 năm 2024"),
    ],
)
def test_full_dates_follow_the_nghi_dinh_30_form(date: object, expected: str) -> None:
    assert format_date(date) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("day", "expected"), [(1, "01"), (9, "09"), (10, "10"), (31, "31")])
def test_day_below_ten_has_a_leading_zero(day: int, expected: str) -> None:
    assert format_day(day) == expected


@pytest.mark.parametrize(("month", "expected"), [(1, "01"), (2, "02")])
def test_month_one_and_two_have_a_leading_zero(month: int, expected: str) -> None:
    assert format_month(month) == expected


@pytest.mark.parametrize("month", range(3, 13))
def test_month_three_to_twelve_has_no_leading_zero(month: int) -> None:
    assert format_month(month) == str(month)


@pytest.mark.parametrize("month", [0, 13])
def test_month_outside_one_to_twelve_raises_value_error(month: int) -> None:
    with pytest.raises(ValueError):
        format_month(month)


def test_blank_is_six_no_break_spaces() -> None:
    assert BLANK == "\u00a0" * 6


def test_missing_day_and_month_leave_blanks_for_the_clerk() -> None:
    assert format_date(PartialDate(2023)) == f"ngày {BLANK} tháng {BLANK} năm 2023"


def test_missing_day_leaves_a_blank_before_the_month() -> None:
    assert format_date(PartialDate(2023, 4)) == f"ngày {BLANK} tháng 4 năm 2023"


def test_thirtieth_of_february_is_rejected_with_a_vietnamese_message() -> None:
    message = "ngày 30/02/2023 không có thật: tháng 2 năm 2023 chỉ có 28 ngày"
    with pytest.raises(ValueError, match=message):
        PartialDate(2023, 2, 30)


def test_twenty_ninth_of_february_is_accepted_in_a_leap_year() -> None:
    assert format_date(PartialDate(2024, 2, 29)) == "ngày 29 tháng 02 năm 2024"


def test_day_without_month_is_rejected() -> None:
    with pytest.raises(ValueError, match="thiếu tháng"):
        PartialDate(2023, None, 5)


@pytest.mark.parametrize("year", [1899, 2201])
def test_year_outside_1900_to_2200_is_rejected(year: int) -> None:
    with pytest.raises(ValueError, match="năm"):
        PartialDate(year)


@pytest.mark.parametrize(("month", "day"), [(13, None), (0, None), (4, 31), (4, 0)])
def test_impossible_month_or_day_is_rejected(month: int, day: int | None) -> None:
    with pytest.raises(ValueError):
        PartialDate(2023, month, day)


def test_partial_date_is_frozen() -> None:
    date = PartialDate(2023, 4)
    with pytest.raises(AttributeError):
        date.day = 5  # type: ignore[misc]


def test_place_and_date_joins_with_a_comma() -> None:
    expected = "Điện Biên, ngày 22 tháng 6 năm 2021"
    assert place_and_date("Điện Biên", datetime.date(2021, 6, 22)) == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (datetime.date(2021, 6, 22), "22/6/2021"),
        (datetime.date(2023, 3, 24), "24/3/2023"),
        (PartialDate(2024, 1, 5), "5/1/2024"),
    ],
)
def test_short_date_has_no_leading_zeros(date: object, expected: str) -> None:
    assert short_date(date) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("date", [PartialDate(2023), PartialDate(2023, 4)])
def test_short_date_of_a_partial_date_raises_value_error(date: PartialDate) -> None:
    with pytest.raises(ValueError):
        short_date(date)


def test_format_date_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        format_date("2024-01-05")  # type: ignore[arg-type]
