"""Turn scores into classes, competition ranks and counts per class.

Ties share a rank and the next rank skips (1, 2, 2, 4), as in the samples' tables. Whether a
score is compared exactly or as displayed is the framework's choice
(``lam_tron_truoc_khi_so_sanh``): by default the shown figure decides, so a table never prints
80,0 next to "Khá" or two equal scores with different ranks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from engine.errors import DataError, Location, Problem
from engine.scoring.figures import Figure
from engine.scoring.models import Band

__all__ = ["classify", "compared_value", "count_by_band", "rank"]


def compared_value(figure: Figure | Decimal, *, as_displayed: bool = True) -> Decimal:
    """The value a comparison uses: the figure as displayed (rounded) or its exact value."""
    if isinstance(figure, Figure):
        return figure.rounded() if as_displayed else figure.value
    return figure


def classify(value: Figure | Decimal, bands: Sequence[Band], *, as_displayed: bool = True) -> Band:
    """The first band (from the top) whose lower bound ``value`` reaches.

    >>> from engine.scoring.models import Band
    >>> bands = [Band(ten="Tốt", tu=Decimal(80), bao_gom_tu=True), Band(ten="Khá")]
    >>> classify(Figure(Decimal("79.96"), 1), bands).ten
    'Tốt'
    >>> classify(Figure(Decimal("79.96"), 1), bands, as_displayed=False).ten
    'Khá'
    """
    number = compared_value(value, as_displayed=as_displayed)
    for band in bands:
        if band.admits(number):
            return band
    raise DataError(Problem("DATA_FORMAT", f"điểm {number} không thuộc mức xếp loại nào", Location(field="xep_loai"),
                            hint="Mức xếp loại cuối cùng phải không có ngưỡng để nhận mọi điểm còn lại."))


def rank(values: Sequence[Figure | Decimal], *, descending: bool = True, as_displayed: bool = True) -> list[int]:
    """Competition ranks in input order: equal values share a rank, the next rank skips.

    >>> rank([Decimal(9), Decimal(7), Decimal(7), Decimal(5)])
    [1, 2, 2, 4]
    >>> rank([Decimal(9), Decimal(7), Decimal(7), Decimal(5)], descending=False)
    [4, 2, 2, 1]
    """
    keys = [compared_value(v, as_displayed=as_displayed) for v in values]
    # Sorted once (n log n; counting the better ones for each unit was quadratic, minutes at 50,000 units).
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=descending)
    ranks = [0] * len(keys)
    for position, index in enumerate(order):
        before = order[position - 1] if position else None
        ranks[index] = ranks[before] if before is not None and keys[before] == keys[index] else position + 1
    return ranks


def count_by_band(classes: Iterable[Band], bands: Sequence[Band]) -> dict[str, int]:
    """How many units fall in each band, every band listed (zero included), top band first."""
    counts = {band.ten: 0 for band in bands}
    for band in classes:
        counts[band.ten] += 1
    return counts
