"""Turn record counts and declared figures into criterion points, rule choices and a classified total.

For a ``tieu_chi`` framework (NĐ 61/2018, TT 01/2018 and a province's scoring decision):

* a ``dem_ho_so`` criterion is the count-weighted average of its sub-criteria's points,
  Σ(points × records) ÷ Σ records: (2 × 1.033 + 1 × 99 + 0 × 0) ÷ 1.132 = 1,91;
* a ``theo_dieu_kien`` criterion takes the points of one sub-criterion: the first, from the top,
  whose conditions all hold on the figures given (the last one takes the rest). A stated choice
  (the self-assessment's "x") is used only when the figures cannot decide; otherwise the rule's
  level counts and the stated one is kept for the audit.

The total adds exact points (16,7376 → 16,74), not the rounded ones (which would give 16,73).
A rule that needs a figure nobody gave is an error naming the figure, unless an earlier
condition of the same sub-criterion already fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import DataError, Location, Problem
from engine.scoring.bands import classify
from engine.scoring.figures import Figure, exact, exact_divide, non_negative, record_count
from engine.scoring.loader import expect_kind, validate_bands
from engine.scoring.models import Band, Condition, CriteriaFramework, Criterion, Level, Ratio
from engine.vn.numbers import Number, format_number

__all__ = [
    "ChoiceCheck", "ConditionCheck", "CriteriaResult", "CriterionScore", "RuleChoice", "check_choice",
    "condition_checks", "count_weighted_score", "score_criteria", "select_level",
]

_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


@dataclass(frozen=True)
class RuleChoice:
    """The sub-criterion a rule selects and the figures (facts and ratios) it looked at."""

    criterion: int
    level: Level
    values: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ChoiceCheck:
    """A stated choice next to the rule's: ``agrees`` is False when the self-assessment is wrong."""

    criterion: int
    stated: Level
    rule: Level
    agrees: bool


@dataclass(frozen=True)
class CriterionScore:
    """One criterion's points; for a rule criterion, the level used and what the rule says."""

    number: int
    name: str
    maximum: Decimal
    kind: str
    points: Figure
    counts: tuple[tuple[Level, int], ...] = ()
    record_count: int | None = None
    chosen: Level | None = None
    rule: Level | None = None
    agrees_with_rule: bool | None = None
    # The figures the rule needed and the data does not give, when the stated choice had to be used.
    undecided_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class CriteriaResult:
    """Every criterion's points, the total on the framework's scale and its class."""

    framework: CriteriaFramework
    unit: str | None
    criteria: tuple[CriterionScore, ...]
    total: Figure
    maximum: Decimal
    band: Band

    def criterion(self, number: int) -> CriterionScore:
        for score in self.criteria:
            if score.number == number:
                return score
        raise KeyError(number)

    def disagreements(self) -> list[CriterionScore]:
        """Criteria whose stated choice differs from what the rule selects."""
        return [c for c in self.criteria if c.agrees_with_rule is False]


def count_weighted_score(counts: Sequence[tuple[Number, int]]) -> Decimal:
    """Σ(points × records) ÷ Σ records, exact; ValueError when there are no records.

    >>> round(count_weighted_score([(2, 1033), (1, 99), (0, 0)]), 4)
    Decimal('1.9125')
    """
    total = sum(count for _, count in counts)
    if total <= 0:
        raise ValueError("không có hồ sơ nào để tính điểm")
    weighted = sum((exact(points, Location(), "điểm") * count for points, count in counts), Decimal(0))
    return exact_divide(weighted, Decimal(total))


def select_level(framework: CriteriaFramework, number: int, facts: Mapping[str, Any],
                 *, source: str | None = None) -> RuleChoice:
    """The sub-criterion the rule of criterion ``number`` selects on ``facts``; DataError if a figure is missing."""
    framework = expect_kind(framework, CriteriaFramework)
    criterion = _criterion(framework, number, source)
    values = _facts(framework, facts, source)
    result = _select(framework, criterion, values, source)
    if isinstance(result, list):
        raise DataError(Problem(
            "DATA_FORMAT", f"thiếu số liệu {', '.join(repr(n) for n in result)} để xác định mức của tiêu chí "
            f"{criterion.so} ({criterion.ten})", Location(file=source, field=f"tieu_chi.{criterion.so}"),
            hint="Khai báo các số liệu này (xem 'so_lieu' của bộ tiêu chí).",
        ))
    return result


def check_choice(framework: CriteriaFramework, number: int, facts: Mapping[str, Any], stated: Number,
                 *, source: str | None = None) -> ChoiceCheck:
    """Compare a stated choice (its points) with the sub-criterion the rule selects."""
    framework = expect_kind(framework, CriteriaFramework)
    criterion = _criterion(framework, number, source)
    stated_level = _level_by_points(criterion, stated, Location(file=source, field=f"da_chon.{number}"))
    rule = select_level(framework, number, facts, source=source)
    return ChoiceCheck(criterion.so, stated_level, rule.level, stated_level.diem == rule.level.diem)


def score_criteria(
    framework: CriteriaFramework,
    *,
    counts: Mapping[Any, Mapping[Any, Any] | Sequence[Any]],
    facts: Mapping[str, Any] | None = None,
    chosen: Mapping[Any, Number] | None = None,
    bands: Sequence[Band | dict[str, Any]] | None = None,
    unit: str | None = None,
    source: str | None = None,
) -> CriteriaResult:
    """Score every criterion and the total.

    ``counts`` gives, per ``dem_ho_so`` criterion number, the records per sub-criterion: a mapping
    points → records or a list in the framework's order. ``chosen`` gives, per ``theo_dieu_kien``
    criterion, the points of the stated sub-criterion; without it the rule decides on ``facts``.
    """
    framework = expect_kind(framework, CriteriaFramework)
    used_bands = validate_bands(bands) if bands is not None else framework.xep_loai
    problems: list[Problem] = []
    counts = _by_number(framework, counts, "so_ho_so", source, problems)
    chosen = _by_number(framework, chosen or {}, "da_chon", source, problems)
    try:
        values = _facts(framework, facts or {}, source)
    except DataError as exc:
        problems.extend(exc.problems)
        values = {}
    scores: list[CriterionScore] = []
    for criterion in framework.tieu_chi:
        try:
            if criterion.kieu == "dem_ho_so":
                if criterion.so in chosen:
                    raise DataError(Problem("DATA_FORMAT", f"tiêu chí {criterion.so} tính từ số hồ sơ, không chọn mức",
                                            Location(file=source, field=f"da_chon.{criterion.so}")))
                scores.append(_counted(framework, criterion, counts.get(criterion.so), source))
            else:
                scores.append(_ruled(framework, criterion, chosen.get(criterion.so), values, source))
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    total = Figure(sum((s.points.value for s in scores), Decimal(0)), framework.so_thap_phan.diem)
    band = classify(total, used_bands, as_displayed=framework.lam_tron_truoc_khi_so_sanh)
    return CriteriaResult(framework, unit, tuple(scores), total, framework.thang_diem, band)


# ----- helpers --------------------------------------------------------------------------------


def _criterion(framework: CriteriaFramework, number: int, source: str | None) -> Criterion:
    try:
        return framework.criterion(int(number))
    except (KeyError, ValueError, TypeError):
        raise DataError(Problem("DATA_FORMAT", f"bộ tiêu chí '{framework.ma}' không có tiêu chí {number!r}",
                                Location(file=source, field=f"tieu_chi.{number}"))) from None


def _by_number(framework: CriteriaFramework, data: Mapping[Any, Any], what: str, source: str | None,
               problems: list[Problem]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for key, value in data.items():
        try:
            number = int(key) if not isinstance(key, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or all(c.so != number for c in framework.tieu_chi):
            problems.append(Problem("DATA_FORMAT", f"không có tiêu chí {key!r} trong bộ '{framework.ma}'",
                                    Location(file=source, field=f"{what}.{key}")))
            continue
        out[number] = value
    return out


def _counted(framework: CriteriaFramework, criterion: Criterion, given: Any, source: str | None) -> CriterionScore:
    base = f"so_ho_so.{criterion.so}"
    where = Location(file=source, field=base)
    if given is None:
        raise DataError(Problem("DATA_FORMAT", f"thiếu số hồ sơ của tiêu chí {criterion.so} ({criterion.ten})", where))
    pairs: list[tuple[Level, Any, Location]] = []
    if isinstance(given, Mapping):
        by_points: dict[Decimal, Any] = {}
        for key, value in given.items():
            points = exact(key, Location(file=source, field=f"{base}.{key}"), "điểm của mức")
            if all(level.diem != points for level in criterion.muc):
                raise DataError(Problem("DATA_FORMAT", f"tiêu chí {criterion.so} không có mức {format_number(points)} "
                                        "điểm", Location(file=source, field=f"{base}.{key}")))
            by_points[points] = value
        for level in criterion.muc:
            if level.diem not in by_points:
                raise DataError(Problem("DATA_FORMAT", f"thiếu số hồ sơ của mức {format_number(level.diem)} điểm "
                                        f"(tiêu chí {criterion.so})", where, hint="Ghi 0 nếu không có hồ sơ nào."))
            pairs.append((level, by_points[level.diem], Location(file=source, field=f"{base}.{level.diem}")))
    elif isinstance(given, Sequence) and not isinstance(given, str):
        if len(given) != len(criterion.muc):
            raise DataError(Problem("DATA_FORMAT", f"tiêu chí {criterion.so} có {len(criterion.muc)} mức nhưng "
                                    f"nhận {len(given)} số hồ sơ", where))
        pairs = [(level, value, Location(file=source, field=f"{base}[{i}]"))
                 for i, (level, value) in enumerate(zip(criterion.muc, given, strict=True))]
    else:
        raise DataError(Problem("DATA_FORMAT", f"số hồ sơ của tiêu chí {criterion.so} phải là bảng điểm: số hồ sơ "
                                "hoặc danh sách theo thứ tự các mức", where))
    counts = tuple((level, record_count(value, loc, f"số hồ sơ mức {format_number(level.diem)} điểm của tiêu chí "
                                         f"{criterion.so}")) for level, value, loc in pairs)
    total = sum(count for _, count in counts)
    if total == 0:
        if criterion.khi_khong_co_ho_so is None:
            raise DataError(Problem("DATA_FORMAT", f"tiêu chí {criterion.so} không có hồ sơ nào để tính điểm", where,
                                    hint="Bộ tiêu chí chưa quy định điểm khi không có hồ sơ ('khi_khong_co_ho_so')."))
        points = criterion.khi_khong_co_ho_so
    else:
        points = count_weighted_score([(level.diem, count) for level, count in counts])
    return CriterionScore(criterion.so, criterion.ten, criterion.toi_da, criterion.kieu,
                          Figure(points, framework.so_thap_phan.diem), counts, total)


def _level_by_points(criterion: Criterion, stated: Any, where: Location) -> Level:
    points = exact(stated, where, f"mức đã chọn của tiêu chí {criterion.so}")
    for level in criterion.muc:
        if level.diem == points:
            return level
    raise DataError(Problem("DATA_FORMAT", f"tiêu chí {criterion.so} không có mức {format_number(points)} điểm", where,
                            hint="Các mức: " + ", ".join(format_number(lv.diem) for lv in criterion.muc) + "."))


def _shown_decimals(points: Decimal) -> int:
    exponent = points.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _ruled(framework: CriteriaFramework, criterion: Criterion, stated: Any, values: dict[str, Decimal],
           source: str | None) -> CriterionScore:
    rule = _select(framework, criterion, values, source)
    rule_level = rule.level if isinstance(rule, RuleChoice) else None
    if stated is None:
        if rule_level is None:
            raise DataError(Problem(
                "DATA_FORMAT", f"tiêu chí {criterion.so} ({criterion.ten}): chưa chọn mức và thiếu số liệu "
                f"{', '.join(repr(n) for n in rule)} để tính theo điều kiện",  # type: ignore[union-attr]
                Location(file=source, field=f"da_chon.{criterion.so}"),
                hint="Ghi mức đã chọn (điểm) hoặc khai báo các số liệu còn thiếu.",
            ))
        chosen = None
    else:
        chosen = _level_by_points(criterion, stated, Location(file=source, field=f"da_chon.{criterion.so}"))
    # The rule wins when the figures decide it: a self-assessment is a stated figure, checked, not copied.
    level = rule_level or chosen
    agrees = None if rule_level is None or chosen is None else rule_level.diem == chosen.diem
    return CriterionScore(criterion.so, criterion.ten, criterion.toi_da, criterion.kieu,
                          Figure(level.diem, _shown_decimals(level.diem)),
                          chosen=chosen, rule=rule_level, agrees_with_rule=agrees,
                          undecided_by=tuple(rule) if isinstance(rule, list) else ())


def _facts(framework: CriteriaFramework, facts: Mapping[str, Any], source: str | None) -> dict[str, Decimal]:
    declared = {f.ma for f in framework.so_lieu}
    problems: list[Problem] = []
    out: dict[str, Decimal] = {}
    for name, value in facts.items():
        where = Location(file=source, field=f"so_lieu.{name}")
        if name not in declared:
            problems.append(Problem("DATA_FORMAT", f"số liệu '{name}' không có trong bộ tiêu chí '{framework.ma}'",
                                    where, hint=f"Các số liệu: {', '.join(sorted(declared))}."))
            continue
        if value is None:
            continue
        try:
            out[name] = non_negative(value, where, f"số liệu '{name}'")
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return out


def _value(framework: CriteriaFramework, name: str, values: dict[str, Decimal], source: str | None,
           seen: dict[str, Decimal]) -> Decimal | None:
    if name in values:
        seen[name] = values[name]
        return values[name]
    for ratio in framework.ty_le:
        if ratio.ma != name:
            continue
        top, bottom = values.get(ratio.tu_so), values.get(ratio.mau_so)
        if top is None or bottom is None:
            return None
        if bottom == 0:
            if ratio.khi_mau_so_bang_0 is None:
                raise DataError(Problem("DATA_FORMAT", f"không tính được '{ratio.ten}': '{ratio.mau_so}' bằng 0",
                                        Location(file=source, field=f"so_lieu.{ratio.mau_so}")))
            result = ratio.khi_mau_so_bang_0
        else:
            if top > bottom:
                raise DataError(Problem("DATA_FORMAT", f"'{ratio.tu_so}' ({format_number(top)}) lớn hơn cơ sở "
                                        f"'{ratio.mau_so}' ({format_number(bottom)}) của '{ratio.ten}'",
                                        Location(file=source, field=f"so_lieu.{ratio.tu_so}")))
            result = exact_divide(top * 100, bottom)
        seen[ratio.tu_so], seen[ratio.mau_so], seen[name] = top, bottom, result
        return result
    return None


def _holds(framework: CriteriaFramework, condition: Condition, values: dict[str, Decimal], source: str | None,
           seen: dict[str, Decimal]) -> bool | None:
    value = _value(framework, condition.gia_tri, values, source, seen)
    return None if value is None else _COMPARE[condition.phep](value, condition.voi)


def _select(framework: CriteriaFramework, criterion: Criterion, values: dict[str, Decimal],
            source: str | None) -> RuleChoice | list[str]:
    """The first level whose conditions all hold; or the names of the figures that would decide."""
    seen: dict[str, Decimal] = {}
    for level in criterion.muc:
        if level.con_lai:
            return RuleChoice(criterion.so, level, seen)
        outcomes = [(c, _holds(framework, c, values, source, seen)) for c in level.dieu_kien]
        if any(result is False for _, result in outcomes):
            continue
        unknown = [c.gia_tri for c, result in outcomes if result is None]
        if unknown:
            return _missing(framework, unknown, values)
        return RuleChoice(criterion.so, level, seen)
    raise AssertionError("a validated rule criterion ends with 'con_lai'")  # pragma: no cover


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a level on the figures given: its value (None: a figure is missing) and whether it holds.

    For a ratio, ``top`` and ``bottom`` are its part and base as given (the facts it is computed from).
    """

    level: Level
    condition: Condition
    value: Decimal | None
    holds: bool | None
    ratio: Ratio | None = None
    top: Decimal | None = None
    bottom: Decimal | None = None


def condition_checks(framework: CriteriaFramework, number: int, facts: Mapping[str, Any],
                     *, source: str | None = None) -> list[ConditionCheck]:
    """Every condition of every level of a rule criterion, checked on ``facts`` (what decided its level)."""
    framework = expect_kind(framework, CriteriaFramework)
    criterion = _criterion(framework, number, source)
    values = _facts(framework, facts, source)
    ratios = {ratio.ma: ratio for ratio in framework.ty_le}
    checks: list[ConditionCheck] = []
    for level in criterion.muc:
        for condition in level.dieu_kien:
            try:
                value = _value(framework, condition.gia_tri, values, source, {})
            except DataError:  # a zero base with no value for it: the condition cannot be checked
                value = None
            ratio = ratios.get(condition.gia_tri)
            checks.append(ConditionCheck(
                level, condition, value, None if value is None else _COMPARE[condition.phep](value, condition.voi),
                ratio, values.get(ratio.tu_so) if ratio else None, values.get(ratio.mau_so) if ratio else None))
    return checks


def _missing(framework: CriteriaFramework, names: list[str], values: dict[str, Decimal]) -> list[str]:
    out: list[str] = []
    for name in names:
        ratio = next((r for r in framework.ty_le if r.ma == name), None)
        parts = [ratio.tu_so, ratio.mau_so] if ratio else [name]
        out.extend(p for p in parts if p not in values and p not in out)
    return out
