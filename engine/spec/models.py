"""Turn raw spec data into validated document models (pydantic, unknown keys forbidden).

The field names are the domain's own words without diacritics (co_quan_ban_hanh, trich_yeu,
noi_nhan, nguoi_ky …) so that spec keys, template variables and docs/spec.md say the same
thing. Validators raise :class:`pydantic_core.PydanticCustomError` with a Vietnamese message;
``engine.spec.loader`` turns each error into a Problem with its file:line:column.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.kinds import KINDS
from engine.vn.dates import PartialDate
from engine.vn.periods import Period, period_from_parts

QuyenHan = Literal["TM.", "KT.", "TL.", "TUQ.", "Q."]

# Academic titles that Nghị định 30 (Phụ lục I, II.7.c) forbids before the signer's name.
_ACADEMIC_TITLES = re.compile(r"^(GS|PGS|TS|ThS|KS|BS|CN|TSKH|Tiến sĩ|Thạc sĩ|Giáo sư)\.?\s", re.IGNORECASE)
_SYMBOL = re.compile(r"^[0-9A-Za-zĐđ&.]+(-[0-9A-Za-zĐđ&.]+)*$")


def _err(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, ctx or None)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _lines(value: Any) -> Any:
    """Accept a name written on several lines either as a YAML list or with line breaks."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(v.strip() for v in value)
    return value


class CoQuan(_Model):
    """Cơ quan ban hành: its name as printed (line breaks allowed) and its abbreviation."""

    ten: str = Field(min_length=1)
    viet_tat: str | None = None
    ten_goi: str | None = Field(default=None, description="tên trong câu văn, ví dụ 'UBND huyện Tủa Chùa'")

    _ten_lines = field_validator("ten", mode="before")(_lines)

    @field_validator("viet_tat")
    @classmethod
    def _abbreviation_has_no_spaces(cls, v: str | None) -> str | None:
        if v is not None and not _SYMBOL.match(v):
            raise _err("spec_value", "chữ viết tắt '{v}' chỉ gồm chữ, số và dấu '-' liền nhau", v=v)
        return v


class Ngay(_Model):
    """Ngày ban hành; the day, or the day and month, may be left blank in a draft."""

    nam: int
    thang: int | None = None
    ngay: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, int):
            return {"nam": value}
        if isinstance(value, str):
            m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
            if m:
                return {"nam": int(m[1]), "thang": int(m[2]), "ngay": int(m[3])}
            m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value.strip())
            if m:
                return {"nam": int(m[3]), "thang": int(m[2]), "ngay": int(m[1])}
            raise _err(
                "spec_date",
                "ngày '{v}' sai dạng; viết 2023-06-22 hoặc 22/6/2023, hoặc ghi riêng nam:, thang:, "
                "ngay: khi còn để trống ngày hoặc tháng",
                v=value,
            )
        return value

    @model_validator(mode="after")
    def _is_a_real_date(self) -> Ngay:
        try:
            self.as_partial()
        except ValueError as exc:
            raise _err("spec_date", "{msg}", msg=str(exc)) from None
        return self

    def as_partial(self) -> PartialDate:
        return PartialDate(self.nam, self.thang, self.ngay)


class Ky(_Model):
    """Kỳ báo cáo, named once: a text as documents write it, or its parts (engine.vn.periods).

    ``ky: tháng 4 năm 2023``, ``ky: quý II/2021``, ``ky: {thang: 4, nam: 2023}``, or a named period with its
    own bounds ``ky: {ten: quý 1 năm 2023, tu: 15/12/2022, den: 14/03/2023}``.
    """

    ten: str | None = Field(default=None, description="kỳ viết như văn bản: 'tháng 4 năm 2023', 'quý II/2021' …")
    thang: int | None = None
    quy: int | None = None
    nam: int | None = None
    tu: Ngay | None = None
    den: Ngay | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)):
            return {"ten": str(value)}
        return value

    @model_validator(mode="after")
    def _is_a_period(self) -> Ky:
        try:
            self.as_period()
        except ValueError as exc:
            raise _err("spec_period", "{msg}", msg=str(exc)) from None
        return self

    def as_period(self) -> Period:
        return period_from_parts(ten=self.ten, thang=self.thang, quy=self.quy, nam=self.nam,
                                 tu=self.tu.as_partial() if self.tu else None,
                                 den=self.den.as_partial() if self.den else None)


class NguoiKy(_Model):
    """Người ký: quyền hạn (TM., KT., TL., TUQ., Q. or none), chức vụ, họ tên, chữ ký."""

    quyen_han: QuyenHan | None = None
    thay: str | None = Field(default=None, description="tập thể (TM.) hoặc chức vụ người đứng đầu")
    chuc_vu: str | None = None
    ho_ten: str = Field(min_length=1)
    chu_ky: str | None = Field(default=None, description="ảnh chữ ký PNG, đường dẫn tính từ tệp đặc tả")

    @field_validator("quyen_han", mode="before")
    @classmethod
    def _normalise_authority(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().upper()
            if v in ("", "KHONG", "KHÔNG"):
                return None
            return v if v.endswith(".") else v + "."
        return v

    @field_validator("ho_ten")
    @classmethod
    def _no_academic_title(cls, v: str) -> str:
        if _ACADEMIC_TITLES.match(v):
            raise _err(
                "spec_value",
                "không ghi học hàm, học vị trước họ tên người ký ('{v}'); Nghị định 30 chỉ ghi họ và tên",
                v=v,
            )
        return v

    @model_validator(mode="after")
    def _authority_needs_whom(self) -> NguoiKy:
        if self.quyen_han and not self.thay:
            raise _err(
                "spec_missing_thay",
                "quyền hạn '{q}' cần 'thay': tên tập thể (TM. ỦY BAN NHÂN DÂN) hoặc chức vụ "
                "người đứng đầu (KT. CHỦ TỊCH)",
                q=self.quyen_han,
            )
        if not self.quyen_han and self.thay:
            raise _err("spec_value", "'thay' chỉ dùng khi có 'quyen_han' (TM., KT., TL., TUQ., Q.)")
        if not self.quyen_han and not self.chuc_vu:
            raise _err("spec_missing_chuc_vu", "người ký không có quyền hạn thì phải có 'chuc_vu'")
        return self


class NoiNhan(_Model):
    """Nơi nhận: the recipients, then the "Lưu: VT, …" line (VT is always first)."""

    cac_noi: list[str] = Field(default_factory=list)
    luu: list[str] = Field(default_factory=list)

    @field_validator("luu", mode="before")
    @classmethod
    def _one_unit_is_a_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("luu")
    @classmethod
    def _vt_is_added_by_the_engine(cls, v: list[str]) -> list[str]:
        return [unit for unit in v if unit.upper() != "VT"]


# ----- body blocks ----------------------------------------------------------------------

HEADING_LEVELS = ("muc", "khoan", "tieu_khoan", "diem")


def _items(v: Any) -> Any:
    return [v] if isinstance(v, str) else v


class Doan(_Model):
    """A body paragraph."""

    doan: str


class Gach(_Model):
    """One or more "- …" list paragraphs."""

    gach: list[str] = Field(min_length=1)
    _as_list = field_validator("gach", mode="before")(_items)


class Cong(_Model):
    """One or more "+ …" list paragraphs."""

    cong: list[str] = Field(min_length=1)
    _as_list = field_validator("cong", mode="before")(_items)


class TieuDe(_Model):
    """A numbered heading (mục I., khoản 1., tiểu khoản 1.1., điểm a)) with its children."""

    muc: str | None = None
    khoan: str | None = None
    tieu_khoan: str | None = None
    diem: str | None = None
    so: str | None = Field(default=None, description="số đề mục viết tay, thay số tự động")
    doan: str | None = Field(default=None, description="đoạn văn viết tiếp trên cùng dòng đề mục")
    noi_dung: list[Block] = Field(default_factory=list)

    @model_validator(mode="after")
    def _exactly_one_level(self) -> TieuDe:
        given = [level for level in HEADING_LEVELS if getattr(self, level) is not None]
        if len(given) != 1:
            raise _err("spec_value", "một đề mục có đúng một trong các khóa: muc, khoan, tieu_khoan, diem")
        return self

    @property
    def level(self) -> str:
        return next(level for level in HEADING_LEVELS if getattr(self, level) is not None)

    @property
    def title(self) -> str:
        return getattr(self, self.level)


def _block_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if any(k in value for k in HEADING_LEVELS):
            return "tieu_de"
        for key in ("gach", "cong", "doan"):
            if key in value:
                return key
    if isinstance(value, BaseModel):
        return {Doan: "doan", Gach: "gach", Cong: "cong", TieuDe: "tieu_de"}.get(type(value))
    return None


Block = Annotated[
    Annotated[TieuDe, Tag("tieu_de")]
    | Annotated[Doan, Tag("doan")]
    | Annotated[Gach, Tag("gach")]
    | Annotated[Cong, Tag("cong")],
    Discriminator(
        _block_tag,
        custom_error_type="spec_block",
        custom_error_message=(
            "mỗi khối nội dung là một trong: doan, gach, cong, muc, khoan, tieu_khoan, diem"
        ),
    ),
]
TieuDe.model_rebuild()


# ----- scored data, stated figures and phụ lục -------------------------------------------

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


Decimals = Annotated[int, Field(ge=0, le=6)]


class SoThapPhan(_Model):
    """How many decimals a scoring's figures are shown with, over the framework's own ``so_thap_phan``.

    ``diem``, ``quy_doi``, ``ty_le``: what the engine computes (sums of points, converted scores,
    percentages). ``du_lieu``: the scores the data table gives (indices, groups, a total given
    alone, the previous period, extra columns); undeclared, each is printed as the table writes it.
    """

    du_lieu: Decimals | None = None
    diem: Decimals | None = None
    quy_doi: Decimals | None = None
    ty_le: Decimals | None = None


class ChamDiem(_Model):
    """A named scoring of data under a framework: the figures body text and phụ lục share.

    ``bo_tieu_chi`` is a shipped framework's name (qd766, …) or the path of a province's own
    framework file. ``du_lieu`` is a per-unit table (.yaml/.csv/.xlsx) for an index framework,
    or a mapping (inline, or a .yaml/.json file, optionally under ``khoa``) for criteria and
    one-stop statistics.
    """

    bo_tieu_chi: str = Field(min_length=1)
    du_lieu: str | dict[str, Any] = Field(description="tệp dữ liệu hoặc bảng ghi ngay trong đặc tả")
    khoa: str | None = Field(default=None, description="đường dẫn chấm trong tệp, ví dụ huyen.cham_diem")
    trang_tinh: str | None = None
    cot: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict,
                                                                 description="trường → tên cột trong tệp")
    them: dict[str, Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="cột số thêm để in trong bảng: tên → cột")
    muc_chi_tiet: Literal["chi_so", "nhom", "tong"] = "chi_so"
    xep_loai: list[dict[str, Any]] | None = None
    xep_hang_theo: str = "quy_doi"
    don_vi: str | None = None
    so_thap_phan: SoThapPhan | None = None


class SoLieuGhi(_Model):
    """A figure as a source states it (``ghi``) and the expression of what it should be (``tinh``).

    ``so_thap_phan`` is the precision the computed figure is compared at when ``tinh`` gives a plain
    number that has none of its own (a quotient); a figure the engine computes keeps its own.
    """

    noi_dung: str = Field(min_length=1)
    ghi: Any
    tinh: str = Field(min_length=1)
    ty_le: bool = False
    nguon: str | None = None
    so_thap_phan: Decimals | None = None

    @field_validator("ghi")
    @classmethod
    def _stated_is_a_figure(cls, v: Any) -> Any:
        if v is None or isinstance(v, (bool, dict, list)):
            raise _err("spec_type", "'ghi' là con số (hoặc chữ) như văn bản ghi")
        return v


class DongDau(_Model):
    """A lead line above a phụ lục table: a label and a value in bold ("Kỳ đánh giá: Quý II")."""

    nhan: str = ""
    gia_tri: str = ""


class CotBang(_Model):
    """A column of a declared table: header, the value per row (an expression over ``dong``), width.

    ``so_thap_phan`` gives the column one number of decimals: its value must then be one number
    (``{{ dong.quy_doi }}``), printed with exactly that many; without it a number prints as written.
    """

    tieu_de: str = Field(min_length=1)
    gia_tri: str = Field(min_length=1)
    rong: float = Field(default=2.5, gt=0, le=30)
    can: Literal["trai", "giua", "phai"] = "giua"
    so_thap_phan: Decimals | None = None


class PhuLuc(_Model):
    """One phụ lục: which table (``mau``), from which scored data (``nguon``), and its title."""

    mau: str = Field(min_length=1, description="bang_chi_so, bang_tieu_chi, bang_xep_hang hoặc bang")
    tep_mau: str | None = Field(default=None, description="mẫu .docx riêng cho phụ lục này")
    nguon: str | None = None
    tieu_de: list[str] = Field(min_length=1)
    kem_theo: bool = True
    dau: list[DongDau] = Field(default_factory=list)
    sau: list[str] = Field(default_factory=list)
    ngang: bool | None = None
    thu_tu: Literal["xep_hang", "nhap"] = "xep_hang"
    nhom_dong: str | None = None
    ghi_chu: dict[int, str] = Field(default_factory=dict)
    cot: list[CotBang] = Field(default_factory=list)
    dong: str | None = None
    cot_ten: str | None = None
    cot_diem: str | None = None
    cot_tang_giam: str | None = None
    cot_them: dict[str, str] = Field(default_factory=dict)

    @field_validator("tieu_de", mode="before")
    @classmethod
    def _one_line_is_a_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


# ----- the document ---------------------------------------------------------------------


class Spec(_Model):
    """One document: its kind, header, body, Nơi nhận and signatory."""

    loai: str
    mau: str | None = Field(default=None, description="mẫu .docx riêng, thay mẫu của loại văn bản")
    co_quan_chu_quan: str | None = None
    co_quan_ban_hanh: CoQuan | None = None
    so: int | None = Field(default=None, ge=1, le=999_999)
    ky_hieu: str | None = None
    don_vi_soan_thao: str | None = None
    dia_danh: str = Field(min_length=1)
    ngay: Ngay
    ky: Ky | None = Field(default=None, description="kỳ báo cáo; văn bản đọc {{ ky }}, {{ ky.truoc }}, {{ ky.sau }}")
    trich_yeu: str | None = None
    kinh_gui: list[str] = Field(default_factory=list)
    can_cu: list[str] = Field(default_factory=list)
    du_lieu: dict[str, Any] = Field(default_factory=dict)
    cham_diem: dict[str, ChamDiem] = Field(default_factory=dict)
    so_lieu_ghi: list[SoLieuGhi] = Field(default_factory=list)
    noi_dung: list[Block] = Field(default_factory=list)
    noi_nhan: NoiNhan
    nguoi_ky: NguoiKy
    phu_luc: list[PhuLuc] = Field(default_factory=list)

    _chu_quan_lines = field_validator("co_quan_chu_quan", mode="before")(_lines)
    _kinh_gui_list = field_validator("kinh_gui", mode="before")(_items)

    @field_validator("loai")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in KINDS:
            raise _err("spec_kind", "loại văn bản '{v}' chưa có; các loại có: {known}",
                       v=v, known=", ".join(sorted(KINDS)))
        return v

    @field_validator("ky_hieu", "don_vi_soan_thao")
    @classmethod
    def _symbol_shape(cls, v: str | None) -> str | None:
        if v is not None and not _SYMBOL.match(v):
            raise _err("spec_value", "ký hiệu '{v}' chỉ gồm chữ, số, '&' và dấu '-' liền nhau, "
                       "không có dấu cách (ví dụ BC-UBND)", v=v)
        return v

    @field_validator("du_lieu")
    @classmethod
    def _data_names_are_identifiers(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name, source in v.items():
            if not (isinstance(name, str) and name.isidentifier()) or name in RESERVED_NAMES:
                raise _err("spec_value", "tên dữ liệu '{n}' phải là một từ không dấu, không dấu cách "
                           "và khác {r}", n=name, r=", ".join(sorted(RESERVED_NAMES)))
            if not isinstance(source, (str, dict, list)):
                raise _err("spec_type", "dữ liệu '{n}' phải là đường dẫn tệp hoặc một bảng khóa-giá trị",
                           n=name)
        return v

    @field_validator("cham_diem")
    @classmethod
    def _scoring_names_are_identifiers(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not _NAME.match(str(name)) or name in RESERVED_NAMES:
                raise _err("spec_value", "tên '{n}' phải là một từ không dấu, không dấu cách và khác {r}",
                           n=name, r=", ".join(sorted(RESERVED_NAMES)))
        return v

    @model_validator(mode="after")
    def _names_are_distinct_and_known(self) -> Spec:
        both = sorted(set(self.du_lieu) & set(self.cham_diem))
        if both:
            raise _err("spec_value", "tên '{n}' vừa là dữ liệu vừa là kết quả chấm điểm", n=both[0])
        for item in self.phu_luc:
            if item.nguon is not None and item.nguon not in self.cham_diem:
                raise _err("spec_value", "phụ lục lấy nguồn '{n}' nhưng 'cham_diem' không có tên này; có: {k}",
                           n=item.nguon, k=", ".join(self.cham_diem) or "(chưa có)")
        return self

    @model_validator(mode="after")
    def _symbol_can_be_built(self) -> Spec:
        kind = KINDS[self.loai]
        if self.ky_hieu is None:
            if self.co_quan_ban_hanh is None or not self.co_quan_ban_hanh.viet_tat:
                raise _err("spec_missing_symbol", "cần 'co_quan_ban_hanh.viet_tat' (ví dụ UBND) để lập "
                           "ký hiệu, hoặc ghi thẳng 'ky_hieu'")
            if kind.viet_tat is None and not self.don_vi_soan_thao:
                raise _err("spec_missing_symbol", "công văn cần 'don_vi_soan_thao' (ví dụ VP) để lập ký hiệu "
                           "dạng UBND-VP, hoặc ghi thẳng 'ky_hieu'")
        if kind.ten_loai and not self.trich_yeu:
            raise _err("spec_missing_trich_yeu", "văn bản '{k}' cần 'trich_yeu' (dòng tên văn bản dưới tên loại)",
                       k=self.loai)
        return self

    @property
    def date(self) -> PartialDate:
        return self.ngay.as_partial()

    @property
    def period(self) -> Period | None:
        return self.ky.as_period() if self.ky is not None else None

    def symbol(self) -> str:
        """Ký hiệu per Nghị định 30: "BC-UBND" for a named type, "UBND-VP" for a công văn."""
        if self.ky_hieu:
            return self.ky_hieu
        kind = KINDS[self.loai]
        agency = self.co_quan_ban_hanh.viet_tat if self.co_quan_ban_hanh else ""
        if kind.viet_tat:
            return f"{kind.viet_tat}-{agency}"
        return f"{agency}-{self.don_vi_soan_thao}"


# Names the templates give a meaning of their own: the document's fields and its period, Jinja's words, and
# the phụ lục contexts (engine.render.docx.APPENDIX_CONTEXT and the name each appendix sees).
RESERVED_NAMES = frozenset({"van_ban", "ky", "loop", "range", "true", "false", "none", "cac_phu_luc", "phu_luc"})

__all__ = ["Spec", "ChamDiem", "SoThapPhan", "SoLieuGhi", "PhuLuc", "CotBang", "DongDau",
           "Block", "TieuDe", "Doan", "Gach", "Cong", "NguoiKy", "NoiNhan", "CoQuan", "Ngay", "Ky",
           "HEADING_LEVELS", "RESERVED_NAMES"]
