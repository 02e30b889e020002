"""Turn record counts by status into checked totals and percentages, each on its named base.

For a ``thong_ke_mot_cua`` framework (NĐ 61/2018 one-stop statistics). A status listed with
``bang_tong`` is the sum of its parts: it is computed when not given, and a given figure that
differs from its parts is replaced by their sum and kept in ``stated_totals`` for the audit. A
status with ``chia_thanh`` should be accounted for by those statuses (every record has one);
when they do not add up, ``unaccounted`` says so (the audit warns; nothing is invented). When
some of those parts have no figure (a status the data does not give, or one of its own parts),
the check cannot be made: ``partial`` keeps what adds up and what is missing, for the audit to
say so. A status with ``co_so`` gets a percentage of that base (đã giải quyết on tổng số, trước
hạn on đã giải quyết …); a count above its base is an error, and a zero base gives no percentage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import DataError, Location, Problem
from engine.scoring.figures import Percentage, percentage, record_count
from engine.scoring.loader import expect_kind
from engine.scoring.models import OneStopFramework
from engine.vn.numbers import format_number

__all__ = ["OneStopResult", "PartialCheck", "StatusCount", "one_stop_statistics"]


@dataclass(frozen=True)
class StatusCount:
    """A status's record count, whether it was computed from its parts, and its percentage."""

    code: str
    name: str
    count: int
    derived: bool
    percent: Percentage | None


@dataclass(frozen=True)
class PartialCheck:
    """A status checked against its parts that the data cannot decide: some parts have no figure.

    ``kind`` is "chia_thanh" (every record of the status has one of the parts) or "bang_tong" (a
    given status is the sum of its parts). ``known`` are the parts with a figure (a part without one
    is replaced by its own parts when it has them), ``missing`` the codes of those without.
    """

    code: str
    kind: str
    known: tuple[tuple[str, int], ...]
    missing: tuple[str, ...]

    @property
    def accounted(self) -> int:
        return sum(count for _, count in self.known)


@dataclass(frozen=True)
class OneStopResult:
    """The statuses known for one unit, in the framework's order."""

    framework: OneStopFramework
    unit: str | None
    statuses: tuple[StatusCount, ...]
    stated_totals: dict[str, int] = field(default_factory=dict)  # given total ≠ its parts: code → as given
    unaccounted: tuple[tuple[str, int], ...] = ()  # (code, sum of its chia_thanh parts) when that sum differs
    partial: tuple[PartialCheck, ...] = ()  # checks some parts have no figure for

    def __getitem__(self, code: str) -> StatusCount:
        for status in self.statuses:
            if status.code == code:
                return status
        raise KeyError(code)

    def __contains__(self, code: object) -> bool:
        return any(status.code == code for status in self.statuses)


def one_stop_statistics(framework: OneStopFramework, counts: Mapping[str, Any], *, unit: str | None = None,
                        source: str | None = None) -> OneStopResult:
    """Check and complete ``counts`` (status code → records) and take each percentage on its base."""
    framework = expect_kind(framework, OneStopFramework)
    prefix = f"{unit}." if unit else ""
    statuses = {s.ma: s for s in framework.chi_tieu}
    problems: list[Problem] = []
    known: dict[str, int] = {}

    def where(code: str) -> Location:
        return Location(file=source, field=f"{prefix}{code}")

    for code, value in counts.items():
        if code not in statuses:
            problems.append(Problem("DATA_FORMAT", f"chỉ tiêu '{code}' không có trong bộ '{framework.ma}'", where(code),
                                    hint=f"Các chỉ tiêu: {', '.join(statuses)}."))
            continue
        if value is None:
            continue
        try:
            known[code] = record_count(value, where(code), f"số hồ sơ '{statuses[code].ten}'")
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)

    given = set(known)
    stated_totals: dict[str, int] = {}  # given totals that differ from their parts
    derived: set[str] = set()  # computed from parts
    checked: set[str] = set()  # given and compared with parts
    changed = True
    while changed:
        changed = False
        for status in framework.chi_tieu:
            if not status.bang_tong or status.ma in derived | checked or not all(p in known for p in status.bang_tong):
                continue
            total = sum(known[p] for p in status.bang_tong)
            if status.ma not in known:
                known[status.ma] = total
                derived.add(status.ma)
                changed = True
            else:
                checked.add(status.ma)
            if known[status.ma] != total:
                # A stated total that is not the sum of its parts: the parts are the data, the
                # total is derived; the stated one is kept for the audit.
                stated_totals[status.ma] = known[status.ma]
                known[status.ma] = total

    decimals = framework.so_thap_phan.ty_le
    result: list[StatusCount] = []
    for status in framework.chi_tieu:
        if status.ma not in known:
            continue
        share = None
        if status.co_so is not None:
            base = statuses[status.co_so]
            if status.co_so not in known:
                problems.append(Problem("DATA_FORMAT", f"thiếu số hồ sơ '{base.ten}', cơ sở để tính tỷ lệ "
                                        f"'{status.ten}'", where(status.co_so)))
            elif known[status.ma] > known[status.co_so]:
                problems.append(Problem("DATA_FORMAT", f"'{status.ten}' ({format_number(known[status.ma])}) lớn hơn "
                                        f"cơ sở '{base.ten}' ({format_number(known[status.co_so])})", where(status.ma)))
            elif known[status.co_so] > 0:
                share = percentage(Decimal(known[status.ma]), Decimal(known[status.co_so]), base_name=status.co_so,
                                   decimals=decimals, where=where(status.ma))
        result.append(StatusCount(status.ma, status.ten, known[status.ma], status.ma in derived, share))
    if problems:
        raise DataError(problems)
    unaccounted = []
    partial: list[PartialCheck] = []
    for status in framework.chi_tieu:
        if status.chia_thanh and status.ma in known and all(p in known for p in status.chia_thanh):
            accounted = sum(known[p] for p in status.chia_thanh)
            if accounted != known[status.ma]:
                unaccounted.append((status.ma, accounted))
        for kind, parts in (("chia_thanh", status.chia_thanh), ("bang_tong", status.bang_tong)):
            if not parts or status.ma not in known or all(p in known for p in parts):
                continue
            if kind == "bang_tong" and status.ma not in given:
                continue  # not given: a total that could not be computed, not a check
            counted, missing = _parts(parts, known, statuses)
            if counted:  # a breakdown the data gives none of is not one it asks to check
                partial.append(PartialCheck(status.ma, kind, tuple(counted), tuple(missing)))
    return OneStopResult(framework, unit, tuple(result), stated_totals, tuple(unaccounted), tuple(partial))


def _parts(parts: list[str], known: dict[str, int], statuses: dict[str, Any],
           seen: frozenset[str] = frozenset()) -> tuple[list[tuple[str, int]], list[str]]:
    """The parts with a figure, and those without; a part without one counts by its own parts when some have one."""
    counted: list[tuple[str, int]] = []
    missing: list[str] = []
    for part in parts:
        if part in known:
            counted.append((part, known[part]))
            continue
        more, lacking = (_parts(statuses[part].bang_tong, known, statuses, seen | {part})
                         if statuses[part].bang_tong and part not in seen else ([], []))
        if more:
            counted += more
            missing += lacking
        else:
            missing.append(part)
    return counted, missing
