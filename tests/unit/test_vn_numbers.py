"""Numbers print the Vietnamese way: dot thousands, comma decimals, half-up rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.vn.numbers import (
    decimals_of,
    format_number,
    format_percent,
    roman,
    to_decimal,
    two_digits,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (16397, "16.397"),
        (Decimal("16.740"), "16,740"),
        (1234567.5, "1.234.567,5"),
        (0, "0"),
        (999, "999"),
        (1000, "1.000"),
        (-1234.5, "-1.234,5"),
        ("16.74", "16,74"),
        ("1.234,5", "1.234,5"),
        ("1.234.567", "1.234.567"),
        (Decimal("1E+3"), "1.000"),
        (Decimal("5.000"), "5,000"),
        ("4,0", "4,0"),
        (Decimal("86.2"), "86,2"),
        (4.0, "4,0"),
    ],
)
def test_a_number_without_fixed_decimals_prints_as_it_was_written_trailing_zeros_too(value: object,
                                                                                    expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(("value", "decimals"), [(Decimal("4.0"), 1), ("16,70", 2), (47, 0), (Decimal("1E+2"), 0),
                                                 (72.1, 1), (Decimal("-0.50"), 2)])
def test_decimals_of_is_the_precision_a_number_was_written_with(value: object, decimals: int) -> None:
    assert decimals_of(value) == decimals


def test_decimal_point_one_plus_point_two_prints_point_three() -> None:
    assert format_number(Decimal("0.1") + Decimal("0.2")) == "0,3"


def test_float_point_one_plus_point_two_prints_point_three_without_binary_artefacts() -> None:
    assert format_number(0.1 + 0.2) == "0,3"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (2.675, 2, "2,68"),
        (Decimal("2.675"), 2, "2,68"),
        (80.111, 1, "80,1"),
        (72.05, 1, "72,1"),
        (0.5, 0, "1"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (-2.5, 0, "-3"),
        (5, 2, "5,00"),
        (1234567.891, 2, "1.234.567,89"),
        (999.995, 2, "1.000,00"),
    ],
)
def test_fixed_decimals_round_half_up(value: object, decimals: int, expected: str) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(-0.001, 2, "0,00"), (-0.4, 0, "0"), ("-0", None, "0"), (Decimal("-0.000"), None, "0,000")],
)
def test_negative_zero_prints_without_a_minus(
    value: object, decimals: int | None, expected: str
) -> None:
    assert format_number(value, decimals) == expected


def test_very_large_number_rounds_without_running_out_of_precision() -> None:
    value = Decimal("123456789012345678901234567890.125")
    assert format_number(value, 2) == "123.456.789.012.345.678.901.234.567.890,13"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [(91.86, None, "91,86%"), (Decimal("80.111"), 1, "80,1%"), (100, None, "100%")],
)
def test_percent_is_the_number_followed_by_a_percent_sign(
    value: object, decimals: int | None, expected: str
) -> None:
    assert format_percent(value, decimals) == expected


@pytest.mark.parametrize("bad", [True, None, [1], object()])
def test_non_numbers_raise_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "abc", "1,2,3", "1.2.3", "nan", "Infinity", "1,"])
def test_unparsable_or_infinite_strings_raise_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="số"):
        to_decimal(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN")])
def test_non_finite_values_raise_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(bad)  # type: ignore[arg-type]


def test_negative_decimals_raise_value_error() -> None:
    with pytest.raises(ValueError):
        format_number(1, -1)


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "00"), (1, "01"), (9, "09"), (12, "12"), (205, "205")]
)
def test_two_digits_pads_below_ten_with_a_leading_zero(n: int, expected: str) -> None:
    assert two_digits(n) == expected


def test_two_digits_rejects_negative_numbers() -> None:
    with pytest.raises(ValueError):
        two_digits(-1)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"), (1994, "MCMXCIV"),
     (2025, "MMXXV"), (3999, "MMMCMXCIX")],
)  # fmt: skip
def test_roman_numerals_are_upper_case(n: int, expected: str) -> None:
    assert roman(n) == expected


@pytest.mark.parametrize("n", [0, -1, 4000])
def test_roman_numerals_outside_one_to_3999_raise_value_error(n: int) -> None:
    with pytest.raises(ValueError):
        roman(n)
