"""Turn numbers into Vietnamese words for "Bằng chữ:" lines.

num2words is deliberately not used: its Vietnamese output says "lẻ" instead of "linh" and
drops "không trăm" inside groups, which an accountant would send back.
"""

from __future__ import annotations

from .numbers import Number, to_decimal

__all__ = ["capitalize_first", "number_to_words"]

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_GROUP_UNITS = ("", "nghìn", "triệu")
_BILLION = 10**9


def _read_group(number: int, full: bool) -> list[str]:
    """Turn 0..999 into words; ``full`` reads "không trăm" as every non-leading group must."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            # "linh" only joins a units digit to a hundreds that was actually said.
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _read_below_billion(number: int, full: bool) -> list[str]:
    groups: list[int] = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _read_group(group, full or bool(words))
        if _GROUP_UNITS[index]:
            words.append(_GROUP_UNITS[index])
    return words


def _read_integer(number: int, full: bool = False) -> list[str]:
    # Above a billion Vietnamese counts in billions again: "hai nghìn tỷ", "một tỷ tỷ".
    if number >= _BILLION:
        high, low = divmod(number, _BILLION)
        words = _read_integer(high, full) + ["tỷ"]
        if low:
            words += _read_integer(low, full=True)
        return words
    return _read_below_billion(number, full)


def _read_fraction(digits: str) -> list[str]:
    # Leading zeros after the comma carry meaning (0,05 is not 0,5), so each is read aloud.
    stripped = digits.lstrip("0")
    words = [_DIGITS[0]] * (len(digits) - len(stripped))
    if stripped:
        words += _read_integer(int(stripped))
    return words


def number_to_words(value: Number) -> str:
    """Turn a number into its Vietnamese reading in lower case.

    Decimals are read after "phẩy"; trailing zeros of the fraction are not read.

    >>> number_to_words(1005)
    'một nghìn không trăm linh năm'
    >>> number_to_words(2025)
    'hai nghìn không trăm hai mươi lăm'
    >>> number_to_words("16,74")
    'mười sáu phẩy bảy mươi tư'
    >>> number_to_words(-21)
    'âm hai mươi mốt'
    """
    number = to_decimal(value)
    sign, _, _ = number.as_tuple()
    text = format(abs(number), "f")
    integer, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    words = _read_integer(int(integer)) or [_DIGITS[0]]
    if fraction:
        words += ["phẩy"] + _read_fraction(fraction)
    # "âm không" would read a rounding artefact (-0) as a negative number.
    if sign and number != 0:
        words.insert(0, "âm")
    return " ".join(words)


def capitalize_first(s: str) -> str:
    """Turn the first letter of a string into upper case and leave the rest as it is.

    >>> capitalize_first("một triệu đồng")
    'Một triệu đồng'
    >>> capitalize_first("(đã ký)")
    '(Đã ký)'
    """
    for index, char in enumerate(s):
        if char.isalpha():
            return s[:index] + char.upper() + s[index + 1 :]
    return s
