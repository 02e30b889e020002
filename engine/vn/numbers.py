"""Turn numbers into Vietnamese written form: 1.234.567,5 and 91,86%, 01, XIV.

Vietnamese uses a dot between thousands and a comma before decimals. All arithmetic is done
with :class:`decimal.Decimal` and ROUND_HALF_UP (the rounding taught in school and used in
official reports), so 2,675 rounds to 2,68 and never to 2,67 as binary floats would. A number
printed without a fixed number of decimals is printed as it was written: a Decimal keeps the
decimals of its source ("4,0" read from a table stays 4,0; 86,2 stays 86,2), see :func:`decimals_of`.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

__all__ = ["check_magnitude", "decimals_of", "format_number", "format_percent", "roman", "to_decimal", "two_digits"]

Number = int | float | Decimal | str

# A float carries about 15.9 significant decimal digits; rounding its shortest repr to 15
# digits removes artefacts such as 0.1 + 0.2 == 0.30000000000000004 without losing anything
# a person could have typed.
_FLOAT_DIGITS = 15

_VI_WITH_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+")
_VI_THOUSANDS_ONLY = re.compile(r"[+-]?\d{1,3}(?:\.\d{3}){2,}")

_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"),
    (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
    (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


# Bounds of any number the engine reads, computes or prints. No official figure comes near them;
# past them a number is an attack or a typo (a million digits, 1E+999999 printed in full).
MAX_DIGITS = 100  # significant digits
MAX_MAGNITUDE = 40  # powers of ten either way: below 10^41, and not below 10^-40 unless zero
MAX_DECIMALS = 30  # decimals asked of format_number


def check_magnitude(number: Decimal) -> Decimal:
    """Return ``number`` if it is within the engine's bounds; raise ValueError saying why not.

    >>> check_magnitude(Decimal("16.74"))
    Decimal('16.74')
    >>> check_magnitude(Decimal("1E+50"))
    Traceback (most recent call last):
    ...
    ValueError: số 1E+50 quá lớn hoặc quá nhỏ (chỉ dùng số dưới 10^41 và từ 10^-40)
    """
    if not number.is_finite():
        raise ValueError(f"số {number} không hữu hạn")
    sign, digits, exponent = number.as_tuple()
    shown = str(number) if len(str(number)) <= 40 else str(number)[:39] + "…"
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"số {shown} có {len(digits)} chữ số (tối đa {MAX_DIGITS})")
    if abs(int(exponent)) > MAX_DIGITS or (number != 0 and abs(number.adjusted()) > MAX_MAGNITUDE):
        raise ValueError(f"số {shown} quá lớn hoặc quá nhỏ (chỉ dùng số dưới 10^{MAX_MAGNITUDE + 1} và từ "
                         f"10^-{MAX_MAGNITUDE})")
    return number


def _parse_string(text: str) -> Decimal:
    cleaned = text.strip().replace("\u2212", "-")  # U+2212 is the minus sign Word inserts
    if "," in cleaned:
        # A comma can only be the Vietnamese decimal comma: "16,74", "1.234,5".
        if not _VI_WITH_COMMA.fullmatch(cleaned):
            raise ValueError(f"không đọc được số {text!r}: dấu phẩy chỉ dùng trước phần thập phân")
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _VI_THOUSANDS_ONLY.fullmatch(cleaned):
        # Two or more dots cannot be a Python decimal point, so they separate thousands.
        cleaned = cleaned.replace(".", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"không đọc được số {text!r}") from None
    if not number.is_finite():
        raise ValueError(f"số {text!r} không hữu hạn")
    return check_magnitude(number)


def to_decimal(value: Number) -> Decimal:
    """Turn an int, float, Decimal or numeric string into an exact Decimal.

    Strings may be in Python form ("16.74") or Vietnamese form ("16,74", "1.234,5").
    Floats go through their decimal repr, so 0.1 becomes Decimal("0.1"), not its binary value.

    >>> to_decimal(0.1) + to_decimal(0.2)
    Decimal('0.3')
    >>> to_decimal("1.234,5")
    Decimal('1234.5')
    >>> to_decimal("16.74")
    Decimal('16.74')
    """
    # bool is a subclass of int, but True printed as "1" is always a template mistake.
    if isinstance(value, bool) or value is None:
        raise TypeError(f"cần một số, nhận được {value!r}")
    if isinstance(value, Decimal):
        return check_magnitude(value)
    if isinstance(value, int):
        if abs(value) >= 10 ** (MAX_MAGNITUDE + 1):
            raise ValueError(f"số nguyên quá lớn (chỉ dùng số dưới 10^{MAX_MAGNITUDE + 1})")
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"số {value!r} không hữu hạn")
        exact = Decimal(repr(value))
        if len(exact.as_tuple().digits) > _FLOAT_DIGITS:
            exact = Decimal(format(value, f".{_FLOAT_DIGITS}g"))
        return exact
    if isinstance(value, str):
        return _parse_string(value)
    raise TypeError(
        f"cần một số (int, float, Decimal hoặc chuỗi số), nhận được {type(value).__name__}"
    )


def decimals_of(value: Number) -> int:
    """How many decimals a number was written with: "4,0" → 1, 86.2 → 1, 16,70 → 2, 47 → 0.

    A Decimal keeps the exponent of the text it was read from, so this is the precision of the
    source; a float is taken by its shortest form (4.0 → 1, 72.1 → 1).

    >>> decimals_of(Decimal("4.0")), decimals_of(Decimal("16.70")), decimals_of(47), decimals_of(Decimal("1E+2"))
    (1, 2, 0, 0)
    """
    exponent = to_decimal(value).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _group_thousands(digits: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(groups)


def format_number(value: Number, decimals: int | None = None) -> str:
    """Turn a number into Vietnamese form: dot between thousands, comma before decimals.

    With ``decimals=None`` the value is printed as it was written: a Decimal keeps its own
    decimals, trailing zeros too ("4,0", "16,70": the precision of its source); with
    ``decimals=n`` it is rounded half-up to exactly n decimals.

    >>> format_number(16397)
    '16.397'
    >>> format_number(1234567.5)
    '1.234.567,5'
    >>> format_number(2.675, 2)
    '2,68'
    >>> format_number(5, 2)
    '5,00'
    >>> format_number(-1234.5)
    '-1.234,5'
    >>> format_number(Decimal("4.0")), format_number(Decimal("86.2")), format_number(Decimal("86.20"))
    ('4,0', '86,2', '86,20')
    """
    number = to_decimal(value)
    if decimals is not None:
        if isinstance(decimals, bool) or not isinstance(decimals, int):
            raise TypeError(f"số chữ số thập phân phải là số nguyên, nhận {decimals!r}")
        if decimals < 0:
            raise ValueError(f"số chữ số thập phân không được âm, nhận {decimals}")
        if decimals > MAX_DECIMALS:
            raise ValueError(f"số chữ số thập phân tối đa là {MAX_DECIMALS}, nhận {decimals}")
        # quantize fails when the result has more digits than the context precision allows.
        with localcontext() as ctx:
            ctx.prec = max(ctx.prec, number.adjusted() + decimals + 2)
            number = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = format(number, "f")
    sign = ""
    if text.startswith("-"):
        text = text[1:]
        # "-0" or "-0,00" after rounding is still zero and must not show a minus.
        if number != 0:
            sign = "-"
    integer, _, fraction = text.partition(".")
    result = sign + _group_thousands(integer)
    if fraction:
        result += "," + fraction
    return result


def format_percent(value: Number, decimals: int | None = None) -> str:
    """Turn a number into a Vietnamese percentage string such as "91,86%".

    >>> format_percent(91.86)
    '91,86%'
    >>> format_percent("80.111", 1)
    '80,1%'
    """
    return format_number(value, decimals) + "%"


def two_digits(n: int) -> str:
    """Turn a non-negative integer into at least two digits, as Nghị định 30 numbers items.

    >>> two_digits(1)
    '01'
    >>> two_digits(12)
    '12'
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"cần một số nguyên, nhận được {n!r}")
    if n < 0:
        raise ValueError(f"không ghi được số âm {n} bằng hai chữ số")
    return f"{n:02d}"


def roman(n: int) -> str:
    """Turn an integer from 1 to 3999 into upper-case Roman numerals (for sections: I, II).

    >>> roman(14)
    'XIV'
    >>> roman(2025)
    'MMXXV'
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"cần một số nguyên, nhận được {n!r}")
    if not 1 <= n <= 3999:
        raise ValueError(f"chữ số La Mã chỉ ghi được từ 1 đến 3999, nhận {n}")
    parts: list[str] = []
    for amount, symbol in _ROMAN:
        count, n = divmod(n, amount)
        parts.append(symbol * count)
    return "".join(parts)
