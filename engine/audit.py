"""Compare every figure someone stated with the figure the engine computes, and say where they differ.

Hand-typed reports get figures wrong: a total that is not the sum of its parts, a percentage
on the wrong base, a class that does not match its band. The scoring stage and the spec's
``so_lieu_ghi`` list produce :class:`Finding` items; ``python -m engine audit`` prints them,
``render`` warns with them and refuses with ``--strict``. A stated figure is compared at its
own precision: "0,3%" against a computed 0,27% agrees in value to one decimal but is less
precise than the report's other figures, which is a warning; "1,72%" against 1,60% is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from engine.context import Expressions
from engine.data.readers import parse_number
from engine.errors import Location, Problem, SpecError
from engine.scoring.figures import Figure, Percentage
from engine.spec.loader import LoadedSpec
from engine.vn.numbers import format_number

__all__ = ["ERROR", "WARNING", "Finding", "compare_number", "shown_decimals", "stated_figures"]

ERROR = "error"
WARNING = "warning"
Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One stated figure that disagrees with its computed value (or its rule, band or parts)."""

    level: Level
    location: Location
    stated: str | None
    computed: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: level, location, stated, computed, message (the keys the CLI prints)."""
        return {"level": self.level, "location": str(self.location), "stated": self.stated,
                "computed": self.computed, "message": self.message}

    def __str__(self) -> str:
        label = "LỖI" if self.level == ERROR else "CẢNH BÁO"
        figures = ""
        if self.stated is not None or self.computed is not None:
            figures = f" (ghi: {self.stated if self.stated is not None else '—'}; "
            figures += f"tính: {self.computed if self.computed is not None else '—'})"
        return f"{label} {self.location}: {self.message}{figures}"


def shown_decimals(value: Decimal) -> int:
    """How many decimals a stated number was written with (16,70 → 2; 47 → 0).

    >>> shown_decimals(Decimal("0.3")), shown_decimals(Decimal("115213"))
    (1, 0)
    """
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _round(value: Decimal, decimals: int) -> Decimal:
    with localcontext() as ctx:  # enough digits for the whole number: quantize refuses to round past them
        ctx.prec = max(ctx.prec, value.adjusted() + decimals + 2)
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def compare_number(stated: Decimal, computed: Decimal, decimals: int, *, where: Location, what: str,
                   percent: bool = False) -> Finding | None:
    """A finding when ``stated`` is not ``computed`` as shown with ``decimals`` decimals, else None.

    A stated figure with fewer decimals that agrees once the computed one is rounded the same
    way is a warning (imprecise, not wrong).

    >>> compare_number(Decimal("1.72"), Decimal("1.5959"), 2, where=Location(), what="tỷ lệ").level
    'error'
    >>> compare_number(Decimal("0.3"), Decimal("0.2721"), 2, where=Location(), what="tỷ lệ").level
    'warning'
    >>> compare_number(Decimal("16.74"), Decimal("16.7376"), 2, where=Location(), what="tổng") is None
    True
    """
    sign = "%" if percent else ""
    shown = format_number(computed, decimals) + sign
    written = format_number(stated) + sign
    stated_places = shown_decimals(stated)
    if _round(computed, decimals) == _round(stated, decimals):
        return None
    if stated_places < decimals and _round(computed, stated_places) == stated:
        return Finding(WARNING, where, written, shown,
                       f"{what} ghi {written}, ít chữ số thập phân hơn giá trị tính được {shown}")
    return Finding(ERROR, where, written, shown, f"{what} ghi {written} nhưng tính từ số liệu được {shown}")


def stated_figures(loaded: LoadedSpec, names: dict[str, Any]) -> list[Finding]:
    """Check the spec's ``so_lieu_ghi``: each stated figure against its ``tinh`` expression.

    ``names`` is what expressions see (data sets, scored views, ``van_ban``). A ``tinh`` that
    does not evaluate, or a ``ghi`` that is not a number where a number is computed, is a
    SpecError at its line.
    """
    expressions = Expressions(loaded, names)
    findings: list[Finding] = []
    problems: list[Problem] = []
    for index, item in enumerate(loaded.spec.so_lieu_ghi):
        path = ("so_lieu_ghi", index)
        where = loaded.source.location((*path, "ghi"), field=f"so_lieu_ghi[{index}] ({item.noi_dung})")
        try:
            computed = expressions.value(item.tinh, (*path, "tinh"))
            if isinstance(computed, bool) or not isinstance(computed, (Figure, Percentage, int, Decimal)):
                raise SpecError(Problem(
                    "SPEC_EXPRESSION", f"biểu thức 'tinh' của '{item.noi_dung[:80]}' cho ra {_what(computed)}, "
                    "không phải một số", expressions.where((*path, "tinh")),
                    hint="'tinh' là biểu thức ra số, ví dụ mc.huy_rut.ty_le hoặc kq.cap_xa.bpmc.so_duoc_danh_gia.",
                ))
            found = _compare_stated(item.noi_dung, item.ghi, computed, where, percent=item.ty_le)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if found is not None:
            findings.append(found)
    if problems:
        raise SpecError(problems)
    return findings


def _what(value: Any) -> str:
    if isinstance(value, str):
        return f"chữ '{value[:40]}'"
    if isinstance(value, dict):
        return "một bảng khóa: giá trị"
    if isinstance(value, (list, tuple)):
        return "một danh sách"
    if value is None:
        return "giá trị rỗng"
    if isinstance(value, bool):
        return "giá trị đúng/sai"
    return "một giá trị không phải số"


def _compare_stated(what: str, stated: Any, computed: Any, where: Location, *, percent: bool) -> Finding | None:
    base = ""
    if isinstance(computed, Percentage):
        # Name the base: a percentage taken on the wrong base is the usual mistake.
        base = f" ({format_number(computed.part)} trên cơ sở '{computed.base_name}' {format_number(computed.base)})"
        computed, percent = computed.value, True
    number = _stated_number(stated, where, what)
    value = computed.value if isinstance(computed, Figure) else Decimal(computed)
    decimals = computed.decimals if isinstance(computed, Figure) else shown_decimals(number)
    found = compare_number(number, value, decimals, where=where, what=what, percent=percent)
    if found is not None and base:
        found = Finding(found.level, found.location, found.stated, found.computed, found.message + base)
    return found


def _stated_number(stated: Any, where: Location, what: str) -> Decimal:
    """A stated number: exact from YAML, or text in Vietnamese form ("16,74", "115.213", "1,72%")."""
    if isinstance(stated, (int, Decimal)) and not isinstance(stated, bool):
        return Decimal(stated)
    try:
        return parse_number(str(stated).strip().removesuffix("%").strip())
    except ValueError as exc:
        raise SpecError(Problem("SPEC_TYPE", f"'ghi' của '{what}' phải là một số: {exc}", where)) from None
