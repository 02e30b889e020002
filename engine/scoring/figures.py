"""Turn exact Decimal results into figures that carry their display precision.

Every number the scoring code computes is an exact :class:`decimal.Decimal` paired with the
number of decimals it is shown with, so a report never prints a float artefact and a table and
its text round the same value the same way (half-up, as in official reports). A percentage also
names the base it was taken on, because the samples show the same count divided by different
bases ("chiếm 0,3%" of what?).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from engine.errors import DataError, Location, Problem
from engine.vn.numbers import MAX_DECIMALS, Number, decimals_of, format_number, format_percent, to_decimal

__all__ = ["PRECISION", "Figure", "Percentage", "as_written", "exact", "exact_divide", "percentage"]

# Working precision for divisions that do not terminate (72,1 ÷ 90). 50 significant digits
# cannot change a half-up rounding to 6 or fewer decimals.
PRECISION = 50


def exact_divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide two Decimals at 50 significant digits (exact when the quotient terminates).

    >>> exact_divide(Decimal("7210"), Decimal("90"))
    Decimal('80.111111111111111111111111111111111111111111111111')
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return numerator / denominator


@dataclass(frozen=True)
class Figure:
    """An exact value and the number of decimals it is displayed with.

    >>> (Figure(Decimal("0.1"), 1) + Figure(Decimal("0.2"), 1)).display()
    '0,3'
    >>> Figure(Decimal("80.1111"), 1).display()
    '80,1'
    >>> Figure(Decimal("2.675"), 2).rounded()
    Decimal('2.68')
    """

    value: Decimal
    decimals: int

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise TypeError(f"Figure needs a Decimal, got {type(self.value).__name__}")
        if not self.value.is_finite():
            raise ValueError(f"Figure needs a finite value, got {self.value!r}")
        if isinstance(self.decimals, bool) or not isinstance(self.decimals, int) or self.decimals < 0:
            raise ValueError(f"decimals must be a non-negative integer, got {self.decimals!r}")

    def rounded(self) -> Decimal:
        """The value rounded half-up to its display decimals (what a reader sees)."""
        with localcontext() as ctx:
            ctx.prec = max(PRECISION, self.value.adjusted() + self.decimals + 2)
            return self.value.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)

    def display(self) -> str:
        """The value in Vietnamese form with exactly its display decimals ("80,1", "1.234,50")."""
        return format_number(self.value, self.decimals)

    def __str__(self) -> str:
        return self.display()

    def _combine(self, other: object, sign: int) -> Figure:
        if isinstance(other, Figure):
            return Figure(self.value + sign * other.value, max(self.decimals, other.decimals))
        if isinstance(other, (int, Decimal)) and not isinstance(other, bool):
            return Figure(self.value + sign * Decimal(other), self.decimals)
        return NotImplemented

    def __add__(self, other: object) -> Figure:
        return self._combine(other, 1)

    def __radd__(self, other: object) -> Figure:
        return self._combine(other, 1)

    def __sub__(self, other: object) -> Figure:
        return self._combine(other, -1)

    def __neg__(self) -> Figure:
        return Figure(-self.value, self.decimals)


def as_written(number: Decimal, declared: int | None = None) -> Figure:
    """A figure the data gives: shown with the declared decimals, or else as the data writes it.

    >>> [as_written(Decimal(text)).display() for text in ("4.0", "86.2", "5")], as_written(Decimal("5"), 1).display()
    (['4,0', '86,2', '5'], '5,0')
    """
    return Figure(number, declared if declared is not None else min(decimals_of(number), MAX_DECIMALS))


@dataclass(frozen=True)
class Percentage:
    """A share of a named base: ``part`` of ``base`` (the count named ``base_name``), in percent."""

    value: Figure
    part: Decimal
    base: Decimal
    base_name: str

    def display(self) -> str:
        """The percentage in Vietnamese form with its sign: "91,86%"."""
        return format_percent(self.value.value, self.value.decimals)

    def __str__(self) -> str:
        return self.display()


def exact(value: object, where: Location, what: str) -> Decimal:
    """Turn a number from the caller's data into a Decimal, or raise DataError at ``where``."""
    if isinstance(value, bool) or value is None:
        raise DataError(Problem("DATA_FORMAT", f"{what}: cần một số, nhận được {value!r}", where))
    try:
        return to_decimal(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise DataError(Problem("DATA_FORMAT", f"{what}: {exc}", where)) from None


def non_negative(value: object, where: Location, what: str) -> Decimal:
    """Turn a score or fact into a Decimal that must not be negative, or raise DataError."""
    number = exact(value, where, what)
    if number < 0:
        raise DataError(Problem("DATA_FORMAT", f"{what} là {format_number(number)}, không được âm", where))
    return number


def record_count(value: object, where: Location, what: str) -> int:
    """Turn a count of records into a non-negative int, or raise DataError at ``where``."""
    number = non_negative(value, where, what)
    if number != number.to_integral_value():
        raise DataError(Problem("DATA_FORMAT", f"{what} phải là số nguyên, nhận được {value!r}", where,
                                hint="Viết số không có dấu chấm ngăn nghìn trong YAML: 1033, không phải 1.033."))
    return int(number)


def percentage(part: Number, base: Number, *, base_name: str, decimals: int = 2,
               when_base_is_zero: Number | None = None, where: Location | None = None) -> Percentage:
    """``part ÷ base × 100`` with the base named; a zero base needs an explicit value.

    >>> percentage(12490, 13597, base_name="tổng số hồ sơ").display()
    '91,86%'
    """
    where = where or Location(field=base_name)
    top = exact(part, where, "tử số")
    bottom = exact(base, where, f"cơ sở '{base_name}'")
    if bottom < 0 or top < 0:
        raise DataError(Problem("DATA_FORMAT", f"tỷ lệ trên '{base_name}': số liệu âm ({top} / {bottom})", where))
    if bottom == 0:
        if when_base_is_zero is None:
            raise DataError(Problem(
                "DATA_FORMAT", f"không tính được tỷ lệ: cơ sở '{base_name}' bằng 0", where,
                hint="Kiểm tra số liệu, hoặc cho biết tỷ lệ dùng khi cơ sở bằng 0.",
            ))
        return Percentage(Figure(to_decimal(when_base_is_zero), decimals), top, bottom, base_name)
    return Percentage(Figure(exact_divide(top * 100, bottom), decimals), top, bottom, base_name)
