"""Turn scored figures into the facts an audit finding gives as its reasons (engine.audit Fact and Reason).

A finding says what decided it: the computed figure with what it is made of (a share's part and
base, a sum's terms, a converted score's earned points and applicable maximum), and the rule's
threshold it was compared with (a criterion level's condition, a band's lower bound). Values are
shown as the document shows them: a figure at its precision, a share with the framework's
decimals for percentages (more when rounding would hide on which side of a threshold it falls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.audit import Fact, Reason
from engine.scoring.criteria import ConditionCheck, CriteriaResult, CriterionScore
from engine.scoring.figures import Figure
from engine.scoring.indices import IndexResult, UnitScore
from engine.scoring.models import Band, CriteriaFramework, Level
from engine.vn.numbers import format_number
from engine.vn.text import nfc

__all__ = ["band_reasons", "choice_reasons", "converted_fact", "counted_fact", "criteria_total_reasons",
           "earned_fact", "lower_first", "rank_reasons"]

# How a condition reads when it holds, and when it fails (its negation).
_HOLDS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
_FAILS = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠"}
MOST_DECIMALS = 6  # a share shown with more decimals so that its rounding does not hide the comparison


def lower_first(text: str) -> str:
    """A name inside a sentence: "Tỷ lệ hồ sơ …" → "tỷ lệ hồ sơ …" (an all-capital abbreviation is kept)."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


# ----- criteria: which level a rule selects, and why ------------------------------------------------------


def _fact_name(framework: CriteriaFramework, code: str) -> str:
    for fact in framework.so_lieu:
        if fact.ma == code:
            return fact.ten
    for ratio in framework.ty_le:
        if ratio.ma == code:
            return ratio.ten
    return code


def _shown(check: ConditionCheck, framework: CriteriaFramework) -> tuple[str, str]:
    """The condition's value and threshold as a reader compares them ("8,63%" against "15%")."""
    assert check.value is not None
    threshold = check.condition.voi
    if check.ratio is None:
        return format_number(check.value), format_number(threshold)
    decimals = framework.so_thap_phan.ty_le
    hidden = check.value != threshold
    while hidden and decimals < MOST_DECIMALS and Figure(check.value, decimals).rounded() == threshold:
        decimals += 1
    return format_number(check.value, decimals) + "%", format_number(threshold) + "%"


def condition_reason(check: ConditionCheck, framework: CriteriaFramework) -> Reason:
    """A condition of a level on the figures: "tỷ lệ … 8,63% (… 99 trên … 1.147) < 15% (mức 1 điểm cần … ≥ 15%)"."""
    condition = check.condition
    name = lower_first(_fact_name(framework, condition.gia_tri))
    value, threshold = _shown(check, framework)
    base: tuple[Fact, ...] = ()
    formula = None
    if check.ratio is not None and check.top is not None and check.bottom is not None:
        ratio = check.ratio
        base = (Fact(lower_first(_fact_name(framework, ratio.tu_so)), format_number(check.top), ratio.tu_so),
                Fact(lower_first(_fact_name(framework, ratio.mau_so)), format_number(check.bottom), ratio.mau_so))
        formula = " trên ".join(fact.text() for fact in base)
    relation = (_HOLDS if check.holds else _FAILS)[condition.phep]
    level = _level_name(check.level)
    rule = f"{level} cần {_HOLDS[condition.phep]} {threshold}"
    return Reason(Fact(name, value, condition.gia_tri, base, formula), relation,
                  Fact(f"ngưỡng của {level}", threshold), rule)


def _level_name(level: Level) -> str:
    return f"mức {format_number(level.diem)} điểm"


def choice_reasons(score: CriterionScore, checks: Sequence[ConditionCheck], framework: CriteriaFramework
                   ) -> tuple[Reason, ...]:
    """Why the rule's level is not the stated one.

    A stated level above the rule's: each level from the stated one down to the rule's fails on a
    condition (every failing one is given). A stated level below it: the rule's level holds on all of
    its conditions.
    """
    if score.chosen is None or score.rule is None:
        return ()
    if score.chosen.diem > score.rule.diem:
        passed = [level.diem for level in framework.criterion(score.number).muc
                  if score.rule.diem < level.diem <= score.chosen.diem]
        return tuple(condition_reason(c, framework) for c in checks
                     if c.level.diem in passed and c.holds is False)
    return tuple(condition_reason(c, framework) for c in checks if c.level.diem == score.rule.diem and c.holds)


def counted_fact(score: CriterionScore) -> Fact:
    """A criterion scored from record counts: "(2 × 1.033 + 1 × 99 + 0 × 0) ÷ 1.132"."""
    if not score.counts or not score.record_count:
        return Fact(f"điểm tiêu chí {score.number}")
    terms = " + ".join(f"{format_number(level.diem)} × {format_number(count)}" for level, count in score.counts)
    base = tuple(Fact(f"số hồ sơ mức {format_number(level.diem)} điểm", format_number(count))
                 for level, count in score.counts)
    return Fact(f"điểm tiêu chí {score.number}", base=base,
                formula=f"({terms}) ÷ {format_number(score.record_count)} hồ sơ")


def criteria_total_reasons(result: CriteriaResult) -> tuple[Fact, tuple[Reason, ...]]:
    """The total as the sum of the criteria's points, and each criterion whose rule overrode its self-assessment."""
    base = tuple(Fact(f"tiêu chí {s.number}", s.points.display()) for s in result.criteria)
    fact = Fact(f"tổng {len(result.criteria)} tiêu chí", base=base,
                formula=f"tổng {len(result.criteria)} tiêu chí " + " + ".join(f.value or "" for f in base) +
                " (cộng điểm chưa làm tròn)")
    overridden = tuple(
        Reason(Fact(f"điểm tiêu chí {s.number} theo số liệu", s.points.display()), "≠",
               Fact("điểm tự chấm", format_number(s.chosen.diem)), "điểm tự chấm không được cộng")
        for s in result.criteria if s.agrees_with_rule is False and s.rule is not None and s.chosen is not None)
    return fact, overridden


# ----- index frameworks: a unit's earned and converted points, its class and its rank -----------------------


def earned_fact(unit: UnitScore) -> Fact:
    """Earned points as the sum of the unit's applicable indices (or groups) as given."""
    values = [ix.value for group in unit.groups for ix in group.indices if ix.value is not None]
    if values:
        return Fact("điểm đạt được", formula="cộng các chỉ số: " + " + ".join(v.display() for v in values))
    if unit.groups:
        return Fact("điểm đạt được", formula="cộng các nhóm: " + " + ".join(g.earned.display() for g in unit.groups))
    return Fact("điểm đạt được", formula="tổng điểm bảng ghi")


def converted_fact(unit: UnitScore) -> Fact:
    """The converted score as earned points on the applicable maximum × 100."""
    maximum = unit.applicable_maximum.display()
    base = (Fact("điểm đạt được", unit.earned.display()), Fact("điểm tối đa áp dụng", maximum))
    return Fact("điểm quy đổi", unit.converted.display(), base=base,
                formula=f"{unit.earned.display()} ÷ {maximum} × 100")


def _bound(band: Band) -> str:
    return f"{'từ' if band.bao_gom_tu else 'trên'} {format_number(band.tu)}" if band.tu is not None else "còn lại"


def band_reasons(unit: UnitScore, bands: Sequence[Band], stated: str, *, as_displayed: bool = True
                 ) -> tuple[Reason, ...]:
    """Why the unit's converted score is in its band, not in the band stated.

    The score is shown as it was compared: as displayed when the framework rounds before comparing,
    else with the decimals it takes to see on which side of the bound it is (79,96 is under 80).
    """
    key = nfc(stated).casefold()
    named = next((b for b in bands if key in (b.ten.casefold(), b.short.casefold())), None)
    order = list(bands)
    higher = named is not None and order.index(named) < order.index(unit.band) and named.tu is not None
    band = named if higher and named is not None else unit.band
    fact = converted_fact(unit)
    if band.tu is not None and not as_displayed:
        decimals = unit.converted.decimals
        while decimals < MOST_DECIMALS and unit.converted.value != band.tu and \
                Figure(unit.converted.value, decimals).rounded() == band.tu:
            decimals += 1
        fact = replace(fact, value=format_number(unit.converted.value, decimals))
    if higher:  # stated higher: the score does not reach the stated band's bound
        relation = "<" if band.bao_gom_tu else "≤"
    elif band.tu is not None:
        relation = "≥" if band.bao_gom_tu else ">"
    else:
        return (Reason(fact, rule=f"mức {band.ten}: dưới mọi ngưỡng"),)
    return (Reason(fact, relation, Fact(f"ngưỡng mức {band.ten}", format_number(band.tu)),
                   f"mức {band.ten}: {_bound(band)}"),)


_RANK_KEYS = {"quy_doi": "điểm quy đổi", "dat_duoc": "điểm đạt được"}
MOST_NAMED = 5  # units named by a rank finding; the others are counted


def rank_reasons(result: IndexResult, unit: UnitScore) -> tuple[Reason, ...]:
    """Why the unit's rank is what it is: its score, and the units ranked above it (a few of them named)."""

    def key(u: UnitScore) -> str:
        if result.rank_by == "quy_doi":
            return u.converted.display()
        if result.rank_by == "dat_duoc":
            return u.earned.display()
        return u.group(result.rank_by).earned.display()

    name = _RANK_KEYS.get(result.rank_by, f"điểm nhóm {result.rank_by}")
    above = [u for u in result.ranked() if u.rank < unit.rank]
    named = tuple(Fact(f"'{u.unit}'", key(u)) for u in above[:MOST_NAMED])
    more = f" và {len(above) - MOST_NAMED} đơn vị khác" if len(above) > MOST_NAMED else ""
    formula = ("; ".join(f.text() for f in named) + more) if named else None
    return (Reason(Fact(f"{name} của '{unit.unit}'", key(unit))),
            Reason(Fact(f"số đơn vị có {name} cao hơn", format_number(len(above)), base=named, formula=formula)))
