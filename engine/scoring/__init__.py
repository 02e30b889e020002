"""Turn scoring-framework files and per-unit figures into exact, classified, ranked report figures.

Frameworks are YAML data (``engine/scoring/frameworks/*.yaml``, or any file a province adds):
QĐ 766 style index sets (``bo_chi_so``), NĐ 61 style criteria (``tieu_chi``) and one-stop
statistics (``thong_ke_mot_cua``). Every computed number is a :class:`Figure`: an exact Decimal
and its display decimals, shown half-up in Vietnamese form.
"""

from __future__ import annotations

from engine.scoring.bands import classify, count_by_band, rank
from engine.scoring.criteria import (
    ChoiceCheck,
    CriteriaResult,
    CriterionScore,
    RuleChoice,
    check_choice,
    count_weighted_score,
    score_criteria,
    select_level,
)
from engine.scoring.figures import Figure, Percentage, percentage
from engine.scoring.indices import GroupScore, IndexResult, IndexScore, UnitScore, row_to_scores, score_units
from engine.scoring.loader import (
    FRAMEWORKS_DIR,
    framework_from_mapping,
    load_framework,
    shipped_frameworks,
    validate_bands,
)
from engine.scoring.models import Band, CriteriaFramework, IndexFramework, OneStopFramework
from engine.scoring.one_stop import OneStopResult, StatusCount, one_stop_statistics

__all__ = [
    "FRAMEWORKS_DIR", "Band", "ChoiceCheck", "CriteriaFramework", "CriteriaResult", "CriterionScore", "Figure",
    "GroupScore", "IndexFramework", "IndexResult", "IndexScore", "OneStopFramework", "OneStopResult", "Percentage",
    "RuleChoice", "StatusCount", "UnitScore", "check_choice", "classify", "count_by_band", "count_weighted_score",
    "framework_from_mapping", "load_framework", "one_stop_statistics", "percentage", "rank", "row_to_scores",
    "score_criteria", "score_units", "select_level", "shipped_frameworks", "validate_bands",
]
