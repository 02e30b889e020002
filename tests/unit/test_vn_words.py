"""Numbers read out in Vietnamese words the way an accountant writes "Bằng chữ:"."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.vn.words import capitalize_first, number_to_words


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (1005, "một nghìn không trăm linh năm"),
        (2025, "hai nghìn không trăm hai mươi lăm"),
        (15250, "mười lăm nghìn hai trăm năm mươi"),
        (1050000, "một triệu không trăm năm mươi nghìn"),
        (1000205, "một triệu hai trăm linh năm"),
        (1000005, "một triệu không trăm linh năm"),
        (1000000000, "một tỷ"),
        (2000000000000, "hai nghìn tỷ"),
    ],
)
def test_required_readings_are_exact(value: int, expected: str) -> None:
    assert number_to_words(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (11, "mười một"),
        (14, "mười bốn"),
        (20, "hai mươi"),
        (25, "hai mươi lăm"),
        (31, "ba mươi mốt"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (104, "một trăm linh bốn"),
        (1001000, "một triệu không trăm linh một nghìn"),
        (1000000005, "một tỷ không trăm linh năm"),
        (10**18, "một tỷ tỷ"),
        (10**15, "một triệu tỷ"),
    ],
)
def test_tens_units_and_large_groups_follow_the_reading_rules(value: int, expected: str) -> None:
    assert number_to_words(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16,74", "mười sáu phẩy bảy mươi tư"),
        (Decimal("16.74"), "mười sáu phẩy bảy mươi tư"),
        (16.74, "mười sáu phẩy bảy mươi tư"),
        ("0,05", "không phẩy không năm"),
        (Decimal("2.50"), "hai phẩy năm"),
        (Decimal("5.00"), "năm"),
    ],
)
def test_fraction_is_read_after_phay_with_leading_zeros_digit_by_digit(
    value: object, expected: str
) -> None:
    assert number_to_words(value) == expected


def test_negative_numbers_start_with_am() -> None:
    assert number_to_words(-21) == "âm hai mươi mốt"


def test_negative_zero_reads_as_plain_zero() -> None:
    assert number_to_words(Decimal("-0")) == "không"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("một triệu đồng", "Một triệu đồng"),
        ("đúng", "Đúng"),
        ("(đã ký)", "(Đã ký)"),
        ("", ""),
    ],
)
def test_capitalize_first_only_upper_cases_the_first_letter(text: str, expected: str) -> None:
    assert capitalize_first(text) == expected
