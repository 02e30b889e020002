"""Compare every figure someone stated with the figure the engine computes, and say where they differ and why.

Hand-typed reports get figures wrong: a total that is not the sum of its parts, a percentage
on the wrong base, a class that does not match its band. The scoring stage and the spec's
``so_lieu_ghi`` list produce :class:`Finding` items; ``python -m engine audit`` prints them,
``render`` warns with them and refuses with ``--strict``. A stated figure is compared at the
precision of the computed one, whichever way it comes (a data table or ``so_lieu_ghi``): "0,3%"
against a computed 0,27% agrees in value to one decimal but is less precise than the figure it
states, which is a warning; "1,72%" against 1,60% is an error.

Every finding says why (:class:`Reason`: the figure that decided it, with its base, and the rule's
threshold or the figure it was compared with), as data and in its message. A check that cannot be
made because a figure is missing is a finding of its own, at level ``info``, naming the figure
(``missing``); it never fails ``audit`` or ``--strict``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from engine.context import Expressions
from engine.data.readers import parse_number
from engine.errors import Location, Problem, SpecError
from engine.scoring.figures import Figure, Percentage
from engine.spec.loader import LoadedSpec
from engine.spec.models import SoLieuGhi
from engine.vn.numbers import decimals_of, format_number

__all__ = ["ERROR", "INFO", "LEVELS", "WARNING", "Fact", "Finding", "Reason", "compare_number", "shown_decimals",
           "stated_figures"]

ERROR = "error"
WARNING = "warning"
INFO = "info"
Level = Literal["error", "warning", "info"]
# Each level as the CLI prints it: a wrong figure, an imprecise one, a check the data cannot decide.
LEVELS = {ERROR: "LỖI", WARNING: "CẢNH BÁO", INFO: "LƯU Ý"}

# A plain number an expression computes with more decimals than this (a quotient that does not end) has
# no precision of its own: it is compared at DEFAULT_DECIMALS, or at the so_lieu_ghi's so_thap_phan.
MOST_OWN_DECIMALS = 6
DEFAULT_DECIMALS = 2


@dataclass(frozen=True)
class Fact:
    """A figure a finding rests on: what it is, its value as shown, what it is made of.

    ``value`` is None for a figure the data does not give (a missing one); ``code`` is its key in the
    data or the framework (``ty_le_ho_so_truc_tuyen``), or the expression that computes it; ``base``
    the figures it is computed from (a share's part and base, a sum's terms) and ``formula`` how,
    in words ("số hồ sơ tiếp nhận trực tuyến 99 trên tổng số hồ sơ tiếp nhận 1.147").
    """

    name: str
    value: str | None = None
    code: str | None = None
    base: tuple[Fact, ...] = ()
    formula: str | None = None

    def text(self) -> str:
        shown = f"{self.name} {self.value}" if self.value is not None else self.name
        return f"{shown} ({self.formula})" if self.formula else shown

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "code": self.code, "formula": self.formula,
                "base": [fact.as_dict() for fact in self.base]}


@dataclass(frozen=True)
class Reason:
    """A fact that decided a finding: a figure, how it compares (``relation``), and with what.

    ``threshold`` is a rule's threshold (15% for a criterion's level) or the figure the computed one
    was compared with (the stated figure); ``rule`` says whose threshold it is, or at what precision
    the two were compared.
    """

    fact: Fact
    relation: str | None = None
    threshold: Fact | None = None
    rule: str | None = None

    def text(self) -> str:
        out = self.fact.text()
        if self.relation and self.threshold is not None:
            other = self.threshold.value if self.threshold.value is not None else self.threshold.name
            out += f" {self.relation} {other}"
        return f"{out} ({self.rule})" if self.rule else out

    def as_dict(self) -> dict[str, Any]:
        return {"fact": self.fact.as_dict(), "relation": self.relation,
                "threshold": self.threshold.as_dict() if self.threshold is not None else None, "rule": self.rule}


@dataclass(frozen=True)
class Finding:
    """One stated figure that disagrees with its computed value (or its rule, band or parts), or a check not made.

    ``message`` says it all in Vietnamese; ``reasons`` are the facts that decided it and ``missing``
    the figures a check could not be made without, as data.
    """

    level: Level
    location: Location
    stated: str | None
    computed: str | None
    message: str
    reasons: tuple[Reason, ...] = ()
    missing: tuple[Fact, ...] = ()

    @classmethod
    def of(cls, level: Level, location: Location, stated: str | None, computed: str | None, head: str,
           reasons: tuple[Reason, ...] = (), missing: tuple[Fact, ...] = (), because: str | None = None) -> Finding:
        """A finding whose message is ``head``, then why: ``because``, or else the reasons' own words."""
        why = because if because is not None else "; ".join(reason.text() for reason in reasons)
        return cls(level, location, stated, computed, f"{head}: {why}" if why else head, reasons, missing)

    def with_reasons(self, reasons: tuple[Reason, ...]) -> Finding:
        """The same finding with more reasons, told in its message too."""
        if not reasons:
            return self
        told = "; ".join(reason.text() for reason in reasons)
        return replace(self, message=f"{self.message}; {told}", reasons=self.reasons + reasons)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: level, location, stated, computed, message, reasons, missing (the keys the CLI prints)."""
        return {"level": self.level, "location": str(self.location), "stated": self.stated,
                "computed": self.computed, "message": self.message,
                "reasons": [reason.as_dict() for reason in self.reasons],
                "missing": [fact.as_dict() for fact in self.missing]}

    def __str__(self) -> str:
        figures = ""
        if self.stated is not None or self.computed is not None:
            figures = f" (ghi: {self.stated if self.stated is not None else '—'}; "
            figures += f"tính: {self.computed if self.computed is not None else '—'})"
        return f"{LEVELS[self.level]} {self.location}: {self.message}{figures}"


def shown_decimals(value: Decimal) -> int:
    """How many decimals a stated number was written with (16,70 → 2; 47 → 0).

    >>> shown_decimals(Decimal("0.3")), shown_decimals(Decimal("115213"))
    (1, 0)
    """
    return decimals_of(value)


def _round(value: Decimal, decimals: int) -> Decimal:
    with localcontext() as ctx:  # enough digits for the whole number: quantize refuses to round past them
        ctx.prec = max(ctx.prec, value.adjusted() + decimals + 2)
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def compare_number(stated: Decimal, computed: Decimal, decimals: int, *, where: Location, what: str,
                   percent: bool = False, fact: Fact | None = None) -> Finding | None:
    """A finding when ``stated`` is not ``computed`` as shown with ``decimals`` decimals, else None.

    ``decimals`` is the precision of the computed figure (its framework's, its data's, the spec's).
    A stated figure with fewer decimals that agrees once the computed one is rounded the same way
    is a warning (imprecise, not wrong). ``fact`` says what the computed figure is made of (its
    value is filled in); the finding gives it as its reason, with the stated figure as written.

    >>> compare_number(Decimal("1.72"), Decimal("1.5959"), 2, where=Location(), what="tỷ lệ").level
    'error'
    >>> compare_number(Decimal("0.3"), Decimal("0.2721"), 2, where=Location(), what="tỷ lệ").level
    'warning'
    >>> compare_number(Decimal("16.74"), Decimal("16.7376"), 2, where=Location(), what="tổng") is None
    True
    >>> compare_number(Decimal("96.50"), Decimal("96.55"), 2, where=Location(), what="tỷ lệ", percent=True).stated
    '96,50%'
    """
    sign = "%" if percent else ""
    shown = format_number(computed, decimals) + sign
    written = format_number(stated) + sign
    stated_places = shown_decimals(stated)
    if _round(computed, decimals) == _round(stated, decimals):
        return None
    computed_fact = replace(fact, value=shown) if fact is not None else Fact("số tính được", shown)
    why = computed_fact.formula
    if stated_places < decimals and _round(computed, stated_places) == stated:
        rule = (f"bằng nhau khi làm tròn {stated_places} chữ số thập phân, nhưng số tính được có {decimals} chữ "
                f"số thập phân")
        reason = Reason(computed_fact, "≈", Fact("số ghi", written), rule)
        return Finding.of(WARNING, where, written, shown,
                          f"{what} ghi {written}, ít chữ số thập phân hơn giá trị tính được {shown}", (reason,),
                          because=f"{why}; {rule}" if why else rule)
    rule = f"so ở {decimals} chữ số thập phân" if decimals else "so ở hàng đơn vị"
    reason = Reason(computed_fact, "≠", Fact("số ghi", written), rule)
    return Finding.of(ERROR, where, written, shown, f"{what} ghi {written} nhưng tính từ số liệu được {shown}",
                      (reason,), because=why or "")


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
            if computed is None:  # the data has no such figure (a share of a zero base, no previous period)
                missing = Fact(item.noi_dung, code=item.tinh)
                findings.append(Finding.of(
                    INFO, where, _written(item), None, f"không kiểm tra được '{item.noi_dung}' ghi {_written(item)}",
                    missing=(missing,), because=f"'tinh' ({item.tinh}) không có giá trị trong số liệu"))
                continue
            if isinstance(computed, bool) or not isinstance(computed, (Figure, Percentage, int, Decimal)):
                raise SpecError(Problem(
                    "SPEC_EXPRESSION", f"biểu thức 'tinh' của '{item.noi_dung[:80]}' cho ra {_what(computed)}, "
                    "không phải một số", expressions.where((*path, "tinh")),
                    hint="'tinh' là biểu thức ra số, ví dụ mc.huy_rut.ty_le hoặc kq.cap_xa.bpmc.so_duoc_danh_gia.",
                ))
            found = _compare_stated(item, computed, where)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        if found is not None:
            findings.append(found)
    if problems:
        raise SpecError(problems)
    return findings


def _written(item: SoLieuGhi) -> str:
    """A stated figure as the source wrote it, for a finding that cannot compare it."""
    stated = item.ghi
    if isinstance(stated, str):
        return stated.strip()
    text = format_number(Decimal(repr(stated)) if isinstance(stated, float) else stated)
    return text + "%" if item.ty_le else text


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


def _compare_stated(item: SoLieuGhi, computed: Any, where: Location) -> Finding | None:
    """A stated figure of ``so_lieu_ghi`` against its computed value, at the computed value's own precision.

    A figure the engine computes (a Figure, a Percentage) keeps its decimals; a plain number keeps
    the decimals it has when they end within MOST_OWN_DECIMALS (a data value, 1,72; a sum), else it
    is compared at the item's ``so_thap_phan`` or DEFAULT_DECIMALS (a quotient written in ``tinh``).
    The same rule as a data table's stated figure: "1,7" against 1,72 is a warning either way.
    """
    stated = item.ghi
    percent = item.ty_le or (isinstance(stated, str) and stated.strip().endswith("%"))
    fact = Fact(item.noi_dung, code=item.tinh, formula=f"tính bằng {item.tinh}")
    if isinstance(computed, Percentage):
        # Name the base: a percentage taken on the wrong base is the usual mistake.
        part = Fact("tử số", format_number(computed.part))
        base = Fact(f"cơ sở '{computed.base_name}'", format_number(computed.base), code=computed.base_name)
        fact = Fact(item.noi_dung, code=item.tinh, base=(part, base),
                    formula=f"{format_number(computed.part)} trên cơ sở '{computed.base_name}' "
                            f"{format_number(computed.base)}")
        computed, percent = computed.value, True
    number = _stated_number(stated, where, item.noi_dung)
    if isinstance(computed, Figure):
        value, decimals = computed.value, computed.decimals
    else:
        value = Decimal(computed)
        own = decimals_of(value)
        decimals = item.so_thap_phan if item.so_thap_phan is not None else (
            own if own <= MOST_OWN_DECIMALS else DEFAULT_DECIMALS)
    return compare_number(number, value, decimals, where=where, what=item.noi_dung, percent=percent, fact=fact)


def _stated_number(stated: Any, where: Location, what: str) -> Decimal:
    """A stated number: exact from YAML, or text in Vietnamese form ("16,74", "115.213", "1,72%")."""
    if isinstance(stated, (int, Decimal)) and not isinstance(stated, bool):
        return Decimal(stated)
    if isinstance(stated, float):  # a float from a caller's dict: its shortest form, as it was written
        return Decimal(repr(stated))
    try:
        return parse_number(str(stated).strip().removesuffix("%").strip())
    except ValueError as exc:
        raise SpecError(Problem("SPEC_TYPE", f"'ghi' của '{what}' phải là một số: {exc}", where)) from None
