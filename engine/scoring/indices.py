"""Turn per-unit index scores into group sums, totals, converted scores, classes, ranks and changes.

For a ``bo_chi_so`` framework (QĐ 766 and provincial variants). Per unit, every index of the
framework must be given: a number between 0 and the index maximum, or ``None`` (or "-", as the
tables print it) when the index is not applicable (không phát sinh). A missing index is an
error, not "not applicable". Then:

* earned = Σ applicable index scores; applicable maximum = thang điểm − Σ max of not-applicable indices;
* converted = earned ÷ applicable maximum × 100 (72,1 ÷ 90 × 100 = 80,1);
* class from the framework's bands (or the caller's), rank by a chosen key with shared ranks,
  counts per class and, when the previous period is given, the change of the converted score.

All arithmetic is exact Decimal; every result is a :class:`Figure` with its display decimals: what
the engine computes (sums, the converted score, the change) with the framework's ``so_thap_phan``,
what the data gives (an index, a group's points, a total given alone, the previous period) with
``so_thap_phan.du_lieu`` when declared, else as the data writes it ("4,0" stays 4,0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.errors import DataError, Location, Problem, SpecError
from engine.scoring.bands import classify, count_by_band, rank
from engine.scoring.figures import Figure, as_written, exact, exact_divide, non_negative
from engine.scoring.loader import expect_kind, validate_bands
from engine.scoring.models import Band, Index, IndexFramework
from engine.vn.numbers import Number, format_number
from engine.vn.text import nfc

__all__ = [
    "GroupScore", "IndexResult", "IndexScore", "UnitScore", "points_from_ratio", "row_to_scores", "score_units",
]

NOT_APPLICABLE_MARKS = ("-", "–")  # how tables print "không phát sinh"; an empty cell is missing
CONVERTED_SCALE = Decimal(100)
DETAILS = ("chi_so", "nhom", "tong")
TOTAL = "tong"  # the key of a unit's total when only totals are given


@dataclass(frozen=True)
class IndexScore:
    """One index of one unit; ``value`` is None when the index is not applicable."""

    group: str
    code: str
    name: str
    maximum: Decimal
    value: Figure | None

    @property
    def applicable(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class GroupScore:
    """A group's earned points and its maximum over applicable indices."""

    code: str
    name: str
    maximum: Decimal
    applicable_maximum: Decimal
    earned: Figure
    indices: tuple[IndexScore, ...]


@dataclass(frozen=True)
class UnitScore:
    """Everything computed for one unit (xã, huyện, sở …)."""

    unit: str
    groups: tuple[GroupScore, ...]
    earned: Figure
    applicable_maximum: Figure
    converted: Figure
    band: Band
    rank: int
    previous: Figure | None = None
    change: Figure | None = None

    def group(self, code: str) -> GroupScore:
        for group in self.groups:
            if group.code == code:
                return group
        raise KeyError(code)

    def index(self, code: str) -> IndexScore:
        for group in self.groups:
            for index in group.indices:
                if index.code == code:
                    return index
        raise KeyError(code)


@dataclass(frozen=True)
class IndexResult:
    """The units in input order with their scores, the bands used and the count per class."""

    framework: IndexFramework
    bands: tuple[Band, ...]
    units: tuple[UnitScore, ...]
    class_counts: dict[str, int]
    rank_by: str

    def unit(self, name: str) -> UnitScore:
        name = nfc(name)
        for unit in self.units:
            if unit.unit == name:
                return unit
        raise KeyError(name)

    def ranked(self) -> list[UnitScore]:
        """The units by rank; equal ranks keep their input order."""
        return sorted(self.units, key=lambda u: u.rank)


def points_from_ratio(index: Index, ratio: Number) -> Decimal:
    """Points of an index from its ratio in percent: full points at the target, pro rata below it.

    Without a target (``muc_tieu_ty_le``) the points are ratio × maximum ÷ 100. This rule comes
    from a third-party rebuild of the portal's formulas (unverified against QĐ 766).

    >>> from engine.scoring.models import Index
    >>> points_from_ratio(Index(ma="4.2", ten="x", toi_da=Decimal(4), muc_tieu_ty_le=Decimal(80)), 60)
    Decimal('3')
    """
    value = exact(ratio, Location(field=index.ma), f"tỷ lệ của chỉ số '{index.ten}'")
    if value < 0 or value > 100:
        raise DataError(Problem("DATA_FORMAT", f"tỷ lệ của chỉ số '{index.ten}' phải từ 0 đến 100, nhận "
                                f"{format_number(value)}", Location(field=index.ma)))
    target = index.muc_tieu_ty_le or Decimal(100)
    if value >= target:
        return index.toi_da
    return exact_divide(value * index.toi_da, target)


def row_to_scores(framework: IndexFramework, values: Sequence[Any]) -> dict[str, Any]:
    """Pair a table row of index values (in the framework's column order) with the index codes."""
    codes = framework.index_codes()
    if len(values) != len(codes):
        raise DataError(Problem("DATA_FORMAT", f"hàng có {len(values)} giá trị nhưng bộ chỉ số có {len(codes)} chỉ số",
                                Location(field="chi_so")))
    return dict(zip(codes, values, strict=True))


def score_units(
    framework: IndexFramework,
    units: Mapping[str, Mapping[str, Any]],
    *,
    previous: Mapping[str, Number | Figure | None] | None = None,
    bands: Sequence[Band | dict[str, Any]] | None = None,
    rank_by: str = "quy_doi",
    descending: bool = True,
    source: str | None = None,
    detail: str = "chi_so",
) -> IndexResult:
    """Score every unit; ``rank_by`` is "quy_doi" (converted), "dat_duoc" (earned) or a group code.

    ``detail`` says what each unit gives: "chi_so" every index (the default), "nhom" each
    group's points (a portal export without index detail) or "tong" only the total points.

    Raises DataError listing every bad value with its place (unit and index): a score above the
    index maximum or below 0, a missing index, an unknown index or unit, a non-number.
    """
    framework = expect_kind(framework, IndexFramework)
    used_bands = tuple(validate_bands(bands) if bands is not None else framework.xep_loai)
    group_codes = {g.ma for g in framework.nhom}
    if rank_by not in ("quy_doi", "dat_duoc") and rank_by not in group_codes:
        raise SpecError(Problem("SPEC_VALUE", f"không xếp hạng theo '{rank_by}' được",
                                Location(field="xep_hang_theo"),
                                hint=f"Dùng quy_doi, dat_duoc hoặc mã nhóm: {', '.join(sorted(group_codes))}."))
    problems: list[Problem] = []
    all_names = {nfc(str(name)) for name in units}
    partial: list[tuple[str, tuple[GroupScore, ...], Figure, Figure, Figure]] = []
    if detail not in DETAILS:
        raise SpecError(Problem("SPEC_VALUE", f"mức chi tiết '{detail}' không có", Location(field="muc_chi_tiet"),
                                hint=f"Dùng một trong: {', '.join(DETAILS)}."))
    if detail == "tong" and rank_by not in ("quy_doi", "dat_duoc"):
        raise SpecError(Problem("SPEC_VALUE", "chỉ có tổng điểm thì không xếp hạng theo nhóm được",
                                Location(field="xep_hang_theo")))
    score_one = {"chi_so": _score_one, "nhom": _score_groups, "tong": _score_total}[detail]
    for raw_name, values in units.items():
        name = nfc(str(raw_name))
        result = score_one(framework, name, values, source, problems)
        if result is not None:
            partial.append((name, *result))
    previous_by_unit = _previous(framework, previous, all_names, source, problems)
    if problems:
        raise DataError(problems)

    as_displayed = framework.lam_tron_truoc_khi_so_sanh
    keys = [_rank_key(rank_by, groups, earned, converted) for _, groups, earned, _, converted in partial]
    ranks = rank(keys, descending=descending, as_displayed=as_displayed)
    scored: list[UnitScore] = []
    for (name, groups, earned, applicable, converted), position in zip(partial, ranks, strict=True):
        before = previous_by_unit.get(name)
        change = Figure(converted.value - before.value, framework.so_thap_phan.quy_doi) if before else None
        scored.append(UnitScore(
            unit=name, groups=groups, earned=earned, applicable_maximum=applicable, converted=converted,
            band=classify(converted, used_bands, as_displayed=as_displayed), rank=position,
            previous=before, change=change,
        ))
    return IndexResult(framework=framework, bands=used_bands, units=tuple(scored),
                       class_counts=count_by_band((u.band for u in scored), used_bands), rank_by=rank_by)


def _rank_key(rank_by: str, groups: tuple[GroupScore, ...], earned: Figure, converted: Figure) -> Figure:
    if rank_by == "quy_doi":
        return converted
    if rank_by == "dat_duoc":
        return earned
    return next(g.earned for g in groups if g.code == rank_by)


def _score_one(framework: IndexFramework, unit: str, values: Mapping[str, Any], source: str | None,
               problems: list[Problem]) -> tuple[tuple[GroupScore, ...], Figure, Figure, Figure] | None:
    decimals = framework.so_thap_phan.diem
    given = framework.so_thap_phan.du_lieu
    if not isinstance(values, Mapping):
        problems.append(Problem("DATA_FORMAT", f"điểm của '{unit}' phải là một bảng mã chỉ số: điểm",
                                Location(file=source, field=unit)))
        return None
    values = {nfc(str(k)): v for k, v in values.items()}
    known = set(framework.index_codes())
    for code in values:
        if code not in known:
            problems.append(Problem("DATA_FORMAT", f"'{unit}' có điểm cho chỉ số '{code}' không có trong bộ chỉ số "
                                    f"'{framework.ma}'", Location(file=source, field=f"{unit}.{code}"),
                                    hint=f"Các mã chỉ số: {', '.join(framework.index_codes())}."))
    count_before = len(problems)
    groups: list[GroupScore] = []
    for group in framework.nhom:
        indices: list[IndexScore] = []
        for index in group.chi_so:
            where = Location(file=source, field=f"{unit}.{index.ma}")
            label = f"chỉ số '{index.ten}' ({group.ten}) của '{unit}'"
            if index.ma not in values:
                problems.append(Problem("DATA_FORMAT", f"thiếu điểm {label}", where,
                                        hint="Ghi điểm, hoặc null (hay \"-\") nếu chỉ số không phát sinh."))
                continue
            raw = values[index.ma]
            if _not_applicable(raw):
                indices.append(IndexScore(group.ma, index.ma, index.ten, index.toi_da, None))
                continue
            try:
                number = non_negative(raw, where, f"điểm {label}")
            except DataError as exc:
                problems.extend(exc.problems)
                continue
            if number > index.toi_da:
                problems.append(Problem("DATA_FORMAT", f"điểm {label} là {format_number(number)}, vượt điểm tối đa "
                                        f"{format_number(index.toi_da)}", where))
            indices.append(IndexScore(group.ma, index.ma, index.ten, index.toi_da, as_written(number, given)))
        earned = sum((ix.value.value for ix in indices if ix.value is not None), Decimal(0))
        applicable = sum((ix.maximum for ix in indices if ix.value is not None), Decimal(0))
        groups.append(GroupScore(group.ma, group.ten, group.toi_da, applicable, Figure(earned, decimals),
                                 tuple(indices)))
    if len(problems) > count_before:
        return None
    earned = sum((g.earned.value for g in groups), Decimal(0))
    not_applicable = sum((ix.maximum for g in groups for ix in g.indices if ix.value is None), Decimal(0))
    return _finish(framework, unit, tuple(groups), earned, not_applicable, source, problems)


def _not_applicable(raw: Any) -> bool:
    """None or "-" (as tables print "không phát sinh"); an empty cell is missing, not this."""
    return raw is None or (isinstance(raw, str) and raw.strip() in NOT_APPLICABLE_MARKS)


def _given(value: Any, maximum: Decimal, where: Location, label: str, problems: list[Problem]) -> Decimal | None:
    """A given score checked against its maximum; None (with a problem) when it is bad."""
    try:
        number = non_negative(value, where, f"điểm {label}")
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    if number > maximum:
        problems.append(Problem("DATA_FORMAT", f"điểm {label} là {format_number(number)}, vượt điểm tối đa "
                                f"{format_number(maximum)}", where))
    return number


def _finish(framework: IndexFramework, unit: str, groups: tuple[GroupScore, ...], earned: Decimal | Figure,
            not_applicable: Decimal, source: str | None, problems: list[Problem]
            ) -> tuple[tuple[GroupScore, ...], Figure, Figure, Figure] | None:
    """Earned (a sum, or a Figure the data gives), the applicable maximum and the converted score."""
    decimals = framework.so_thap_phan.diem
    applicable = framework.thang_diem - not_applicable
    if applicable <= 0:
        problems.append(Problem("DATA_FORMAT", f"'{unit}' không có chỉ số nào phát sinh (có điểm tối đa > 0)",
                                Location(file=source, field=unit)))
        return None
    earned_figure = earned if isinstance(earned, Figure) else Figure(earned, decimals)
    if isinstance(earned, Figure) and applicable == CONVERTED_SCALE:
        # A total the data gives on a scale of 100 is its converted score itself: nothing is computed,
        # so it is shown as the data writes it (86,2 stays 86,2 beside 89,63).
        converted = earned
    else:
        converted = Figure(exact_divide(earned_figure.value * CONVERTED_SCALE, applicable),
                           framework.so_thap_phan.quy_doi)
    return groups, earned_figure, Figure(applicable, decimals), converted


def _score_groups(framework: IndexFramework, unit: str, values: Mapping[str, Any], source: str | None,
                  problems: list[Problem]) -> tuple[tuple[GroupScore, ...], Figure, Figure, Figure] | None:
    """Group points given directly (no index detail); a group given as "-" is not applicable."""
    if not isinstance(values, Mapping):
        problems.append(Problem("DATA_FORMAT", f"điểm của '{unit}' phải là một bảng mã nhóm: điểm",
                                Location(file=source, field=unit)))
        return None
    values = {nfc(str(k)): v for k, v in values.items()}
    count_before = len(problems)
    groups: list[GroupScore] = []
    not_applicable = Decimal(0)
    for group in framework.nhom:
        where = Location(file=source, field=f"{unit}.{group.ma}")
        label = f"nhóm '{group.ten}' của '{unit}'"
        if group.ma not in values:
            problems.append(Problem("DATA_FORMAT", f"thiếu điểm {label}", where,
                                    hint="Ghi điểm, hoặc \"-\" nếu cả nhóm không phát sinh."))
            continue
        raw = values[group.ma]
        if _not_applicable(raw):
            not_applicable += group.toi_da
            groups.append(GroupScore(group.ma, group.ten, group.toi_da, Decimal(0),
                                     Figure(Decimal(0), framework.so_thap_phan.diem), ()))
            continue
        number = _given(raw, group.toi_da, where, label, problems)
        if number is not None:
            groups.append(GroupScore(group.ma, group.ten, group.toi_da, group.toi_da,
                                     as_written(number, framework.so_thap_phan.du_lieu), ()))
    if len(problems) > count_before:
        return None
    earned = sum((g.earned.value for g in groups), Decimal(0))
    return _finish(framework, unit, tuple(groups), earned, not_applicable, source, problems)


def _score_total(framework: IndexFramework, unit: str, values: Mapping[str, Any], source: str | None,
                 problems: list[Problem]) -> tuple[tuple[GroupScore, ...], Figure, Figure, Figure] | None:
    """Only the total points given (a published ranking): converted is total ÷ scale × 100."""
    where = Location(file=source, field=f"{unit}.{TOTAL}")
    raw = values.get(TOTAL) if isinstance(values, Mapping) else values
    if raw is None:
        problems.append(Problem("DATA_FORMAT", f"thiếu tổng điểm của '{unit}'", where))
        return None
    number = _given(raw, framework.thang_diem, where, f"tổng của '{unit}'", problems)
    if number is None:
        return None
    return _finish(framework, unit, (), as_written(number, framework.so_thap_phan.du_lieu), Decimal(0), source,
                   problems)


def _previous(framework: IndexFramework, previous: Mapping[str, Any] | None, names: set[str],
              source: str | None, problems: list[Problem]) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    for raw_name, value in (previous or {}).items():
        name = nfc(str(raw_name))
        where = Location(file=source, field=f"ky_truoc.{name}")
        if value is None:
            continue
        if name not in names:
            problems.append(Problem("DATA_FORMAT", f"kỳ trước có đơn vị '{name}' không có trong kỳ này", where))
            continue
        try:
            number = value.value if isinstance(value, Figure) else exact(value, where, f"điểm kỳ trước của '{name}'")
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        out[name] = as_written(number, framework.so_thap_phan.du_lieu)
    return out
