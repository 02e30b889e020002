"""The shapes of the service's JSON requests, built on the engine's own spec model (no second copy).

:class:`RenderRequest` documents the JSON body in OpenAPI: its ``spec`` field *is*
:class:`engine.spec.models.Spec`. The body itself is read by the engine's loader
(:func:`engine.spec.loader.spec_from_mapping`), not by FastAPI's validation, so a caller gets the
same Vietnamese messages with field paths as a user of the CLI.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.spec.models import Spec

Format = Literal["docx", "pdf"]


class RenderRequest(BaseModel):
    """A spec (as JSON, or as YAML text) and what to make of it (engine.service.jobs reads it: REQUEST_FIELDS)."""

    model_config = ConfigDict(extra="forbid")

    spec: Spec | None = Field(default=None, description="Đặc tả văn bản dạng JSON (cùng các trường như tệp YAML).")
    spec_yaml: str | None = Field(default=None, description="Hoặc: đặc tả dạng văn bản YAML.")
    formats: list[Format] = Field(default=["docx"], description="docx, pdf hoặc cả hai.")
    strict: bool = Field(default=False, description="Từ chối dựng khi kiểm tra số liệu thấy lỗi (như render --strict).")


class Problem(BaseModel):
    """One problem of an error answer (the same fields as ``validate --json``)."""

    code: str
    message: str
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    part: str | None = None
    paragraph: str | None = None


class ErrorBody(BaseModel):
    error_class: str = Field(alias="class")
    title: str
    status: int
    problems: list[Problem]


class ErrorAnswer(BaseModel):
    """Every error the service answers: the engine's stable codes, Vietnamese messages, places and hints."""

    error: ErrorBody


def _audit_example() -> list[dict[str, Any]]:
    """What /v1/audit answers (as audit --json), made of the engine's own finding types: it keeps their shape."""
    from engine.audit import ERROR, INFO, Fact, Finding, Reason
    from engine.errors import Location

    online = Fact("tỷ lệ hồ sơ trực tuyến trong tổng số hồ sơ", "8,63%", "ty_le_ho_so_truc_tuyen",
                  (Fact("số hồ sơ tiếp nhận trực tuyến", "99", "ho_so_truc_tuyen"),
                   Fact("tổng số hồ sơ tiếp nhận", "1.147", "tong_ho_so")),
                  "số hồ sơ tiếp nhận trực tuyến 99 trên tổng số hồ sơ tiếp nhận 1.147")
    wrong = Finding.of(ERROR, Location(file="du_lieu.yaml", line=31, column=36, field="da_chon.9"), "1", "0",
                       "tiêu chí 9 tự chấm 1 điểm nhưng theo số liệu thì đạt mức 0 điểm",
                       (Reason(online, "<", Fact("ngưỡng của mức 1 điểm", "15%"), "mức 1 điểm cần ≥ 15%"),))
    missing = Fact("Hồ sơ đang giải quyết quá hạn", code="dang_giai_quyet_qua_han")
    unchecked = Finding.of(INFO, Location(file="du_lieu.yaml", line=11, column=7), "13.597", "13.577",
                           "20 hồ sơ của 'Tổng số hồ sơ tiếp nhận và giải quyết trong kỳ' (13.597) không có trạng thái "
                           "trong dữ liệu", missing=(missing,),
                           because="thiếu số 'Hồ sơ đang giải quyết quá hạn' (dang_giai_quyet_qua_han)")
    return [wrong.as_dict(), unchecked.as_dict()]


AUDIT_EXAMPLE = _audit_example()


# A complete spec that renders with the shipped templates: the worked example of the docs (a test renders it).
EXAMPLE_SPEC: dict[str, Any] = {
    "loai": "cong_van",
    "co_quan_ban_hanh": {"ten": ["ỦY BAN NHÂN DÂN", "TỈNH ĐIỆN BIÊN"], "viet_tat": "UBND"},
    "don_vi_soan_thao": "KSTT",
    "so": 125,
    "dia_danh": "Điện Biên",
    "ngay": {"nam": 2026, "thang": 2, "ngay": 5},
    "trich_yeu": "Thông báo kết quả Bộ chỉ số phục vụ người dân, doanh nghiệp tháng 01/2026",
    "kinh_gui": ["Ủy ban nhân dân các xã"],
    "du_lieu": {"kq": {"so_xa": 45, "diem_tb": 81.25}},
    "noi_dung": [
        {"doan": "Ủy ban nhân dân tỉnh thông báo kết quả tháng 01/2026 của {{ kq.so_xa }} xã: điểm trung bình "
                 "{{ kq.diem_tb | so(2) }} điểm."},
    ],
    "noi_nhan": {"cac_noi": ["Như trên"], "luu": "KSTT"},
    "nguoi_ky": {"quyen_han": "KT.", "thay": "Chủ tịch", "chuc_vu": "Phó Chủ tịch", "ho_ten": "Lò Văn Cường"},
}

EXAMPLE_SPEC_YAML = """\
loai: bao_cao
co_quan_ban_hanh: {ten: [ỦY BAN NHÂN DÂN, XÃ TỦA CHÙA], viet_tat: UBND}
so: 15
dia_danh: Tủa Chùa
ngay: {nam: 2026, thang: 3, ngay: 2}
trich_yeu: Kết quả giải quyết thủ tục hành chính tháng 02/2026
noi_dung:
  - doan: Trong tháng, xã tiếp nhận {{ so_lieu.tiep_nhan }} hồ sơ, đã giải quyết {{ so_lieu.da_giai_quyet }} hồ sơ.
du_lieu:
  so_lieu: so_lieu.yaml
noi_nhan: {cac_noi: [UBND tỉnh], luu: VP}
nguoi_ky: {quyen_han: TM., thay: Ủy ban nhân dân, chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn An}
"""
