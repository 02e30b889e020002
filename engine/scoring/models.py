"""Turn framework YAML data into validated scoring-framework models (pydantic, unknown keys forbidden).

Three kinds of framework, told apart by ``kieu``:

* ``bo_chi_so``: groups of indices with maximum points, a total, a converted score on the
  applicable maximum and classification bands (QĐ 766/QĐ-TTg and provincial variants);
* ``tieu_chi``: criteria with sub-criteria worth fixed points, scored from record counts
  (``dem_ho_so``) or chosen by a rule on declared figures (``theo_dieu_kien``) (NĐ 61/2018);
* ``thong_ke_mot_cua``: record counts by status, each percentage on a named base.

The shapes are checked here; the rules that relate fields (sums, references, band order) are
checked in :mod:`engine.scoring.loader` so that each problem points at its own line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, Tag

__all__ = [
    "Band", "Condition", "Criterion", "CriteriaFramework", "Fact", "Framework", "Group", "Index",
    "IndexFramework", "Level", "OneStopFramework", "Precision", "Ratio", "Status",
]

Code = Annotated[str, Field(min_length=1, pattern=r"^[0-9A-Za-z_.]+$")]
Text = Annotated[str, Field(min_length=1)]
Points = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class _Noted(_Model):
    """Anything a source did not confirm says so (``chua_xac_minh``) and why (``ghi_chu``)."""

    chua_xac_minh: StrictBool = False
    ghi_chu: str | None = None
    nguon: str | None = None


class Band(_Noted):
    """One classification band: its name and lower bound (inclusive or not); no bound = the rest."""

    ten: Text
    viet_tat: str | None = None
    tu: Annotated[Decimal, Field(allow_inf_nan=False)] | None = None
    bao_gom_tu: StrictBool | None = None

    def admits(self, value: Decimal) -> bool:
        """Whether ``value`` reaches this band's lower bound."""
        if self.tu is None:
            return True
        return value >= self.tu if self.bao_gom_tu else value > self.tu

    @property
    def short(self) -> str:
        """The name as written in a table ("TB" for Trung bình when the file gives one)."""
        return self.viet_tat or self.ten


class Precision(_Model):
    """How many decimals each kind of figure is shown with.

    ``diem``, ``quy_doi`` and ``ty_le`` are the precision of what the engine computes (a sum of
    points, a converted score, a percentage). ``du_lieu`` is that of the scores a data table gives
    (an index, a group's points, a total when only totals are given, the previous period, extra
    columns): when it is not declared, each is shown as the table writes it ("4,0" stays 4,0).
    """

    diem: Annotated[int, Field(ge=0, le=6)] = 2
    quy_doi: Annotated[int, Field(ge=0, le=6)] = 2
    ty_le: Annotated[int, Field(ge=0, le=6)] = 2
    du_lieu: Annotated[int, Field(ge=0, le=6)] | None = None


class _Framework(_Noted):
    ma: Code
    ten: Text
    can_cu: list[Text] = Field(default_factory=list)


class _ScoredFramework(_Framework):
    """A framework that adds points up to a scale and classifies the total in bands."""

    thang_diem: Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
    so_thap_phan: Precision = Field(default_factory=Precision)
    lam_tron_truoc_khi_so_sanh: StrictBool = True
    xep_loai: Annotated[list[Band], Field(min_length=1)]


# ----- bo_chi_so ------------------------------------------------------------------------------


class Index(_Noted):
    """One index: a globally unique code, its name as printed and its maximum points."""

    ma: Code
    ten: Text
    toi_da: Points
    muc_tieu_ty_le: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)] | None = None


class Group(_Noted):
    """A group of indices; its maximum is the sum of its indices' maxima."""

    ma: Code
    ten: Text
    toi_da: Points
    chi_so: Annotated[list[Index], Field(min_length=1)]


class IndexFramework(_ScoredFramework):
    """Groups of indices scored per unit, converted on the applicable maximum, classified, ranked."""

    kieu: Literal["bo_chi_so"]
    nhom: Annotated[list[Group], Field(min_length=1)]

    def indices(self) -> list[tuple[Group, Index]]:
        """Every index with its group, in table order."""
        return [(group, index) for group in self.nhom for index in group.chi_so]

    def index_codes(self) -> list[str]:
        """The index codes in table (column) order."""
        return [index.ma for _, index in self.indices()]


# ----- tieu_chi -------------------------------------------------------------------------------


class Fact(_Model):
    """A figure a rule may use (a count), declared so that a misspelt name is caught."""

    ma: Code
    ten: Text


class Ratio(_Noted):
    """A percentage a rule may use: ``tu_so ÷ mau_so × 100``; a zero base needs an explicit value."""

    ma: Code
    ten: Text
    tu_so: Code
    mau_so: Code
    khi_mau_so_bang_0: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None


class Condition(_Model):
    """``gia_tri phep voi``, e.g. ty_le_ho_so_truc_tuyen >= 30."""

    gia_tri: Code
    phep: Literal[">=", ">", "<=", "<", "=="]
    voi: Annotated[Decimal, Field(allow_inf_nan=False)]


class Level(_Noted):
    """A sub-criterion (tiêu chí thành phần): its text, its points and, for a rule, its conditions."""

    ten: Text
    diem: Points
    dieu_kien: list[Condition] = Field(default_factory=list)
    con_lai: StrictBool = False


class Criterion(_Noted):
    """A criterion worth ``toi_da`` points, scored from record counts or chosen by rule."""

    so: Annotated[int, Field(ge=1)]
    ten: Text
    toi_da: Points
    kieu: Literal["dem_ho_so", "theo_dieu_kien"]
    muc: Annotated[list[Level], Field(min_length=2)]
    khi_khong_co_ho_so: Points | None = None


class CriteriaFramework(_ScoredFramework):
    """Criteria with sub-criteria, a total on ``thang_diem`` and classification bands."""

    kieu: Literal["tieu_chi"]
    so_lieu: list[Fact] = Field(default_factory=list)
    ty_le: list[Ratio] = Field(default_factory=list)
    tieu_chi: Annotated[list[Criterion], Field(min_length=1)]

    def criterion(self, number: int) -> Criterion:
        """The criterion numbered ``number`` (KeyError when there is none)."""
        for criterion in self.tieu_chi:
            if criterion.so == number:
                return criterion
        raise KeyError(number)


# ----- thong_ke_mot_cua -----------------------------------------------------------------------


class Status(_Noted):
    """A record status; ``co_so`` names the status its percentage is taken on, ``bang_tong`` its parts."""

    ma: Code
    ten: Text
    co_so: Code | None = None
    bang_tong: list[Code] = Field(default_factory=list)
    chia_thanh: list[Code] = Field(default_factory=list)


class OneStopFramework(_Framework):
    """Record counts by status and which base each percentage uses."""

    kieu: Literal["thong_ke_mot_cua"]
    so_thap_phan: Precision = Field(default_factory=Precision)
    chi_tieu: Annotated[list[Status], Field(min_length=1)]


Framework = Annotated[
    Annotated[IndexFramework, Tag("bo_chi_so")]
    | Annotated[CriteriaFramework, Tag("tieu_chi")]
    | Annotated[OneStopFramework, Tag("thong_ke_mot_cua")],
    Discriminator("kieu"),
]
