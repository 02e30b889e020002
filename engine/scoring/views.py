"""Turn scoring results into the plain, Vietnamese-keyed values that spec text and tables read.

A spec writes ``{{ kq.theo_ten['UBND xã A'].quy_doi | so }}`` or ``{{ mc.da_giai_quyet.ty_le }}``;
these views give every result the same names in every framework: ``diem``, ``toi_da``,
``quy_doi``, ``xep_loai``, ``hang``, ``so`` (a count), ``ty_le`` (a percentage on its base).
Numbers stay :class:`Figure`/:class:`Percentage`, so the ``so`` and ``phan_tram`` filters show
them with their own precision and arithmetic stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.scoring.criteria import CriteriaResult, CriterionScore
from engine.scoring.indices import IndexResult, UnitScore
from engine.scoring.models import CriteriaFramework, IndexFramework
from engine.scoring.one_stop import OneStopResult

__all__ = ["criteria_view", "index_view", "one_stop_view"]


def _framework(framework: IndexFramework | CriteriaFramework) -> dict[str, Any]:
    return {"ma": framework.ma, "ten": framework.ten, "thang_diem": framework.thang_diem,
            "chua_xac_minh": framework.chua_xac_minh}


def _unit(unit: UnitScore, extras: dict[str, Any]) -> dict[str, Any]:
    return {
        "ten": unit.unit,
        "dat_duoc": unit.earned,
        "toi_da_ap_dung": unit.applicable_maximum,
        "quy_doi": unit.converted,
        "xep_loai": unit.band.ten,
        "xep_loai_tat": unit.band.short,
        "hang": unit.rank,
        "ky_truoc": unit.previous,
        "tang_giam": unit.change,
        "nhom": {g.code: {"ma": g.code, "ten": g.name, "diem": g.earned, "toi_da": g.maximum,
                          "toi_da_ap_dung": g.applicable_maximum} for g in unit.groups},
        "chi_so": {ix.code: ix.value for g in unit.groups for ix in g.indices},
        "them": extras,
    }


def index_view(result: IndexResult, extras: dict[str, dict[str, Any]] | None = None,
               groups: Sequence[Any] = ()) -> dict[str, Any]:
    """An index result: ``don_vi`` (input order), ``xep_hang`` (by rank), ``theo_ten``, class counts.

    ``groups`` are the table's group rows (each with ``label``, ``name``, ``units``): ``nhom_dong``
    lists them with their units, and each unit's ``nhom_dong`` is its group's name (or None).
    """
    extras = extras or {}
    units = [_unit(u, extras.get(u.unit, {})) for u in result.units]
    by_name = {u["ten"]: u for u in units}
    for unit in units:
        unit["nhom_dong"] = None
    for group in groups:
        for name in group.units:
            by_name[name]["nhom_dong"] = group.name
    ranked = [by_name[u.unit] for u in result.ranked()]
    framework = result.framework
    return {
        "nhom_dong": [{"so": g.label, "ten": g.name, "don_vi": [by_name[n] for n in g.units]} for g in groups],
        "bo": {**_framework(framework), "nhom": [
            {"ma": g.ma, "ten": g.ten, "toi_da": g.toi_da,
             "chi_so": [{"ma": ix.ma, "ten": ix.ten, "toi_da": ix.toi_da} for ix in g.chi_so]}
            for g in framework.nhom]},
        "don_vi": units,
        "xep_hang": ranked,
        "theo_ten": by_name,
        "so_don_vi": len(units),
        "dem_xep_loai": dict(result.class_counts),
        "xep_loai": [{"ten": b.ten, "so": result.class_counts.get(b.ten, 0)} for b in result.bands],
    }


def _criterion(score: CriterionScore, framework: CriteriaFramework) -> dict[str, Any]:
    used = score.rule or score.chosen  # the level that counts (marked "x" in a table)
    counts = {level.diem: n for level, n in score.counts}
    levels = [{"ten": lv.ten, "diem": lv.diem, "so_ho_so": counts.get(lv.diem),
               "chon": used is not None and lv.diem == used.diem}
              for lv in framework.criterion(score.number).muc]
    return {
        "so": score.number, "ten": score.name, "toi_da": score.maximum, "kieu": score.kind,
        "diem": score.points, "so_ho_so": score.record_count, "muc": levels,
        "tu_cham": score.chosen.diem if score.chosen else None,
        "theo_quy_tac": score.rule.diem if score.rule else None,
    }


def criteria_view(result: CriteriaResult) -> dict[str, Any]:
    """A criteria result: ``tieu_chi`` (each with its ``muc``), ``tong``, ``toi_da``, ``xep_loai``."""
    return {
        "bo": _framework(result.framework),
        "don_vi": result.unit,
        "tieu_chi": [_criterion(score, result.framework) for score in result.criteria],
        "tong": result.total,
        "toi_da": result.maximum,
        "xep_loai": result.band.ten,
    }


def one_stop_view(result: OneStopResult) -> dict[str, Any]:
    """One-stop statistics: each status code → ``so`` (records), ``ty_le`` (on ``co_so``), ``ten``."""
    view: dict[str, Any] = {"don_vi": result.unit}
    for status in result.statuses:
        view[status.code] = {"ma": status.code, "ten": status.name, "so": status.count,
                             "ty_le": status.percent, "co_so": status.percent.base_name if status.percent else None}
    return view
