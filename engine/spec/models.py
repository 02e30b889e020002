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
from engine.vn.text import upper_vi

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


# A joint document (văn bản liên tịch) has a signature block per agency; past a handful the closing no longer fits
# a page (two blocks a row, about 5 cm a row) and the document is not one a clerk signs.
MAX_SIGNERS = 8


class AnhKy(_Model):
    """An image of the signature block (a signature, a seal): its file and its printed width."""

    tep: str = Field(min_length=1, description="tệp ảnh, đường dẫn tính từ tệp đặc tả")
    rong: float | None = Field(default=None, ge=5, le=100, description="độ rộng khi in (mm)")

    @model_validator(mode="before")
    @classmethod
    def _a_path_alone(cls, value: Any) -> Any:
        return {"tep": value} if isinstance(value, str) else value


class NguoiKy(_Model):
    """Người ký: quyền hạn (TM., KT., TL., TUQ., Q. or none), chức vụ, họ tên, chữ ký, dấu; in a joint
    document, the agency the signer signs for."""

    co_quan: CoQuan | None = Field(default=None, description="cơ quan người này ký thay (văn bản liên tịch)")
    quyen_han: QuyenHan | None = None
    thay: str | None = Field(default=None, description="tập thể (TM.) hoặc chức vụ người đứng đầu")
    chuc_vu: str | None = None
    ho_ten: str = Field(min_length=1)
    chu_ky: AnhKy | None = Field(default=None, description="ảnh chữ ký PNG hoặc JPEG, đường dẫn tính từ tệp đặc tả")
    dau: AnhKy | None = Field(default=None, description="ảnh dấu PNG nền trong suốt, trùm 1/3 ảnh chữ ký bên trái")

    @field_validator("co_quan", mode="before")
    @classmethod
    def _agency_by_name(cls, v: Any) -> Any:
        return {"ten": v} if isinstance(v, (str, list)) else v

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
        if self.dau and not self.chu_ky:
            raise _err("spec_value", "ảnh dấu trùm lên 1/3 ảnh chữ ký bên trái (Nghị định 30, Phụ lục I, II.8.a): "
                       "có 'dau' thì cần 'chu_ky'")
        return self


class NhomNoiNhan(_Model):
    """A sub-heading of Nơi nhận ("Gửi bản điện tử:") and the recipients under it."""

    tieu_de: str = Field(min_length=1, description="dòng tiêu đề nhóm, không gạch đầu dòng, kết thúc ':'")
    cac_noi: list[str] = Field(min_length=1, description="các nơi nhận của nhóm, mỗi nơi một dòng '- …;'")

    @model_validator(mode="before")
    @classmethod
    def _heading_as_key(cls, value: Any) -> Any:
        """``{Gửi bản điện tử: [A, B]}`` (how YAML reads "- Gửi bản điện tử:" with items under it) as the model."""
        if isinstance(value, dict) and len(value) == 1 and not set(value) & {"tieu_de", "cac_noi"}:
            (heading, items), = value.items()
            if items is None:
                raise _err("spec_value", "nhóm nơi nhận '{h}' chưa có nơi nào: ghi các nơi dưới dòng tiêu đề, "
                           "mỗi nơi một dòng '- …'", h=str(heading)[:80])
            return {"tieu_de": heading, "cac_noi": [items] if isinstance(items, str) else items}
        return value

    @field_validator("tieu_de")
    @classmethod
    def _heading_is_text(cls, v: str) -> str:
        v = v.strip().rstrip(":;.,").strip()
        if not v:
            raise _err("spec_value", "dòng tiêu đề nhóm nơi nhận không được để trống")
        return v


def _recipient_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "noi"
    if isinstance(value, (dict, NhomNoiNhan)):
        return "nhom"
    return None


NoiNhanMuc = Annotated[
    Annotated[str, Tag("noi")] | Annotated[NhomNoiNhan, Tag("nhom")],
    Discriminator(
        _recipient_tag,
        custom_error_type="spec_type",
        custom_error_message=("mỗi nơi nhận là một dòng chữ, hoặc một nhóm có dòng tiêu đề: "
                              "'- Gửi bản điện tử:' rồi các nơi của nhóm thụt vào dưới nó"),
    ),
]


class NoiNhan(_Model):
    """Nơi nhận: the recipients (some under sub-headings), then the "Lưu: VT, …" line (VT is always first)."""

    cac_noi: list[NoiNhanMuc] = Field(default_factory=list)
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


class CotNoiDung(_Model):
    """A column of a table in the body: its header, where its values come from, its look."""

    tieu_de: str = Field(min_length=1)
    nhom: str | None = Field(default=None, description="tiêu đề tầng trên, chung cho các cột liền nhau cùng nhóm")
    ma: str | None = Field(default=None, description="khóa của cột trong các dòng ghi ngay trong đặc tả")
    gia_tri: str | None = Field(default=None, description="biểu thức giá trị mỗi dòng (theo 'dong', 'stt')")
    rong: float = Field(default=2.5, gt=0, le=30)
    can: Literal["trai", "giua", "phai"] = "giua"
    so_le: int | None = Field(default=None, ge=0, le=6, description="số chữ số thập phân của các số trong cột")
    tong: bool = Field(default=False, description="cộng cột này ở dòng tổng")


class BangNoiDung(_Model):
    """A table in the body: declared columns, rows inline or from data, an optional totals row."""

    tieu_de: str | None = Field(default=None, description="tên bảng in phía trên, ví dụ 'Bảng 1. …'")
    cot: list[CotNoiDung] = Field(min_length=1)
    dong: str | list[list[Any] | dict[str, Any]] = Field(
        description="biểu thức cho ra danh sách dòng, hoặc các dòng ghi ngay (danh sách hoặc bảng theo 'ma')")
    dong_tong: str | None = Field(default=None, description="nhãn của dòng tổng, ví dụ 'Tổng cộng'")
    lap_tieu_de: bool = Field(default=True, description="lặp hàng tiêu đề ở đầu mỗi trang")
    co_chu: float = Field(default=13, ge=10, le=14)

    @field_validator("cot")
    @classmethod
    def _keys_are_distinct(cls, v: list[CotNoiDung]) -> list[CotNoiDung]:
        keys = [c.ma for c in v if c.ma is not None]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise _err("spec_value", "hai cột cùng 'ma' '{k}'", k=twice[0])
        return v

    @model_validator(mode="after")
    def _totals_have_a_label(self) -> BangNoiDung:
        summed = any(c.tong for c in self.cot)
        if summed and not self.dong_tong:
            raise _err("spec_value", "có cột 'tong: true' nhưng bảng chưa có 'dong_tong' (nhãn dòng tổng)")
        if self.dong_tong and not summed:
            raise _err("spec_value", "bảng có 'dong_tong' nhưng không cột nào 'tong: true'")
        if self.dong_tong and self.cot[0].tong:
            raise _err("spec_value", "cột đầu tiên in nhãn dòng tổng, không cộng được ('tong: true' ở cột sau)")
        return self


class Bang(_Model):
    """A table block."""

    bang: BangNoiDung


class AnhNoiDung(_Model):
    """A picture: a PNG or JPEG file, its printed width, its caption."""

    tep: str = Field(min_length=1, description="tệp ảnh PNG hoặc JPEG, đường dẫn tính từ tệp đặc tả")
    rong: float = Field(default=12, gt=0, le=16.5, description="độ rộng in ra, cm (chiều cao theo tỷ lệ ảnh)")
    chu_thich: str | None = Field(default=None, description="dòng chú thích dưới ảnh, ví dụ 'Hình 1. …'")


class Anh(_Model):
    """A picture block."""

    anh: AnhNoiDung


class BieuDoNoiDung(_Model):
    """A chart of scored figures: a scoring's result by name, or a series given by expressions."""

    kieu: Literal["cot", "duong"] = Field(default="cot", description="cot: biểu đồ cột; duong: biểu đồ đường")
    nguon: str | None = Field(default=None, description="tên một mục 'cham_diem': điểm từng đơn vị hoặc tiêu chí")
    dong: str | None = Field(default=None, description="biểu thức cho ra danh sách điểm (thay cho 'nguon')")
    nhan: str | None = Field(default=None, description="biểu thức nhãn của mỗi điểm (theo 'dong')")
    gia_tri: str | None = Field(default=None, description="biểu thức giá trị của mỗi điểm (theo 'dong')")
    chu_thich: str | None = Field(default=None, description="dòng chú thích dưới biểu đồ, ví dụ 'Biểu đồ 1. …'")
    truc_x: str | None = Field(default=None, description="nhãn trục ngang")
    truc_y: str | None = Field(default=None, description="nhãn trục đứng")
    so_le: int | None = Field(default=None, ge=0, le=6, description="số chữ số thập phân của nhãn giá trị")
    rong: float = Field(default=16, gt=2, le=16.5, description="độ rộng in ra, cm")
    cao: float = Field(default=9, gt=2, le=24, description="chiều cao in ra, cm")

    @model_validator(mode="after")
    def _one_source(self) -> BieuDoNoiDung:
        if (self.nguon is None) == (self.dong is None):
            raise _err("spec_value", "biểu đồ cần đúng một trong hai: 'nguon' (tên một mục cham_diem) hoặc 'dong' "
                       "(biểu thức danh sách điểm, kèm 'nhan' và 'gia_tri')")
        if self.dong is not None and (self.nhan is None or self.gia_tri is None):
            raise _err("spec_value", "biểu đồ theo 'dong' cần cả 'nhan' và 'gia_tri' (biểu thức theo 'dong')")
        if self.nguon is not None and (self.nhan is not None or self.gia_tri is not None):
            raise _err("spec_value", "'nhan' và 'gia_tri' chỉ dùng với 'dong'; biểu đồ theo 'nguon' tự lấy điểm")
        return self


class BieuDo(_Model):
    """A chart block."""

    bieu_do: BieuDoNoiDung


class ChuThich(_Model):
    """Footnotes: each name a text refers to with [^ten], and the footnote's text."""

    chu_thich: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]{1,64}$")], Annotated[str, Field(min_length=1)]] = (
        Field(min_length=1))


BLOCK_KEYS = ("gach", "cong", "doan", "bang", "anh", "bieu_do", "chu_thich")
_BLOCK_MODELS: dict[type, str] = {Doan: "doan", Gach: "gach", Cong: "cong", TieuDe: "tieu_de", Bang: "bang",
                                  Anh: "anh", BieuDo: "bieu_do", ChuThich: "chu_thich"}


def _block_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if any(k in value for k in HEADING_LEVELS):
            return "tieu_de"
        for key in BLOCK_KEYS:
            if key in value:
                return key
    if isinstance(value, BaseModel):
        return _BLOCK_MODELS.get(type(value))
    return None


Block = Annotated[
    Annotated[TieuDe, Tag("tieu_de")]
    | Annotated[Doan, Tag("doan")]
    | Annotated[Gach, Tag("gach")]
    | Annotated[Cong, Tag("cong")]
    | Annotated[Bang, Tag("bang")]
    | Annotated[Anh, Tag("anh")]
    | Annotated[BieuDo, Tag("bieu_do")]
    | Annotated[ChuThich, Tag("chu_thich")],
    Discriminator(
        _block_tag,
        custom_error_type="spec_block",
        custom_error_message=(
            "mỗi khối nội dung là một trong: doan, gach, cong, muc, khoan, tieu_khoan, diem, bang, anh, bieu_do, "
            "chu_thich"
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


def _signers_tag(value: Any) -> str | None:
    if isinstance(value, (dict, NguoiKy)):
        return "mot"
    if isinstance(value, list):
        return "nhieu"
    return None


def _as_signers(value: Any) -> list[NguoiKy]:
    if isinstance(value, NguoiKy):
        return [value]
    return [s for s in value if isinstance(s, NguoiKy)] if isinstance(value, list) else []


def _name_key(agency: Any) -> str:
    """An agency's name for comparing: its lines as one, upper case, single spaces."""
    return " ".join(upper_vi(str(getattr(agency, "ten", "") or "")).split())


def _co_agencies(lead: CoQuan | None, signers: list[NguoiKy]) -> list[CoQuan]:
    """The co-issuing bodies the signers name (each once, in order), other than the issuing body."""
    seen = {_name_key(lead)} if lead is not None else set()
    agencies = []
    for signer in signers:
        if signer.co_quan is not None and _name_key(signer.co_quan) not in seen:
            seen.add(_name_key(signer.co_quan))
            agencies.append(signer.co_quan)
    return agencies



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
    nguoi_ky: Annotated[
        Annotated[NguoiKy, Tag("mot")] | Annotated[list[NguoiKy], Tag("nhieu")],
        Discriminator(
            _signers_tag,
            custom_error_type="spec_type",
            custom_error_message="người ký là một bảng (quyen_han, chuc_vu, ho_ten …) hoặc một danh sách các bảng "
                                 "như thế (văn bản nhiều người ký, liên tịch)",
        ),
    ]
    phu_luc: list[PhuLuc] = Field(default_factory=list)

    _chu_quan_lines = field_validator("co_quan_chu_quan", mode="before")(_lines)
    _kinh_gui_list = field_validator("kinh_gui", mode="before")(_items)

    @field_validator("nguoi_ky", mode="before")
    @classmethod
    def _signers_fit_a_page(cls, v: Any) -> Any:
        if isinstance(v, list):
            if not v:
                raise _err("spec_value", "danh sách người ký trống: cần ít nhất một người ký")
            if len(v) > MAX_SIGNERS:
                raise _err("spec_value", "văn bản có {n} người ký; nhiều nhất {m} khối chữ ký (hai khối một hàng, "
                           "phần ký không còn vừa một trang)", n=len(v), m=MAX_SIGNERS)
        return v

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
    def _agencies_of_the_signers(self) -> Spec:
        signers = _as_signers(self.nguoi_ky)
        first = signers[0].co_quan if signers else None
        lead = self.co_quan_ban_hanh
        if first is not None and (lead is None or _name_key(first) != _name_key(lead)):
            raise _err("spec_value", "người ký đầu tiên ký cho cơ quan ban hành (co_quan_ban_hanh, cơ quan chủ trì): "
                       "bỏ 'co_quan' của người này, hoặc ghi đúng tên cơ quan ban hành; các cơ quan phối hợp ghi "
                       "'co_quan' ở người ký của mình, từ người thứ hai")
        if any(s.co_quan is not None for s in signers[1:]) and self.co_quan_ban_hanh is None:
            raise _err("spec_missing_agency", "văn bản liên tịch cần 'co_quan_ban_hanh' (cơ quan chủ trì, người ký "
                       "đầu tiên) bên cạnh 'co_quan' của các cơ quan phối hợp")
        return self

    @model_validator(mode="after")
    def _symbol_can_be_built(self) -> Spec:
        kind = KINDS[self.loai]
        if self.ky_hieu is None:
            if self.co_quan_ban_hanh is None or not self.co_quan_ban_hanh.viet_tat:
                raise _err("spec_missing_symbol", "cần 'co_quan_ban_hanh.viet_tat' (ví dụ UBND) để lập "
                           "ký hiệu, hoặc ghi thẳng 'ky_hieu'")
            unnamed = [a.ten.replace("\n", " ") for a in _co_agencies(self.co_quan_ban_hanh, _as_signers(self.nguoi_ky))
                       if not a.viet_tat]
            if unnamed:
                raise _err("spec_missing_symbol", "cần 'viet_tat' của cơ quan phối hợp '{a}' (ở 'co_quan' của "
                           "người ký) để lập ký hiệu liên tịch, hoặc ghi thẳng 'ky_hieu'", a=unnamed[0][:80])
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

    @property
    def signers(self) -> list[NguoiKy]:
        """Every signer in the order of the spec (one for most documents); the first signs for the issuing body."""
        return _as_signers(self.nguoi_ky)

    @property
    def agencies(self) -> list[CoQuan]:
        """The issuing body, then each co-issuing body of a joint document (văn bản liên tịch), in signer order."""
        lead = [self.co_quan_ban_hanh] if self.co_quan_ban_hanh else []
        return lead + _co_agencies(self.co_quan_ban_hanh, self.signers)

    def symbol(self) -> str:
        """Ký hiệu per Nghị định 30: "BC-UBND" for a named type, "UBND-VP" for a công văn.

        A joint document names every issuing body, the lead first: "KH-UBND-MTTQ", "UBND-MTTQ-VP".
        """
        if self.ky_hieu:
            return self.ky_hieu
        kind = KINDS[self.loai]
        agency = "-".join(a.viet_tat or "" for a in self.agencies)
        if kind.viet_tat:
            return f"{kind.viet_tat}-{agency}"
        return f"{agency}-{self.don_vi_soan_thao}"


# Names the templates give a meaning of their own: the document's fields and its period, Jinja's words, and
# the phụ lục contexts (engine.render.docx.APPENDIX_CONTEXT and the name each appendix sees).
RESERVED_NAMES = frozenset({"van_ban", "ky", "loop", "range", "true", "false", "none", "cac_phu_luc", "phu_luc"})

__all__ = ["Spec", "ChamDiem", "SoThapPhan", "SoLieuGhi", "PhuLuc", "CotBang", "DongDau",
           "Block", "TieuDe", "Doan", "Gach", "Cong", "Bang", "BangNoiDung", "CotNoiDung", "Anh", "AnhNoiDung",
           "BieuDo", "BieuDoNoiDung", "ChuThich", "NguoiKy", "NoiNhan", "NhomNoiNhan", "AnhKy", "CoQuan", "Ngay", "Ky",
           "HEADING_LEVELS", "RESERVED_NAMES", "MAX_SIGNERS"]
