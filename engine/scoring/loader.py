"""Turn a framework file (shipped name or any path) into a validated framework, or a SpecError at file:line.

A province adds its own framework by writing one YAML file and passing its path; the files
shipped in ``engine/scoring/frameworks/`` are also reachable by name (:func:`shipped_frameworks`).
Files are read through engine.trust and parsed with :func:`engine.spec.yamlload.load_yaml_input`, so
decimals are exact and every problem (a wrong type, an unknown key, a group whose indices do not
add up, bands out of order, a rule naming an undeclared figure) is reported with its line, all at
once. Each file's sha256 is kept with its cached model, for the record of the documents it scores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from engine.errors import Location, Problem, SpecError
from engine.provenance import sha256
from engine.scoring.models import (
    Band,
    CriteriaFramework,
    Framework,
    IndexFramework,
    OneStopFramework,
)
from engine.spec.loader import dotted_path, resolve_loc
from engine.spec.yamlload import LoadedYaml, load_yaml_input
from engine.trust.files import read_file
from engine.vn.numbers import format_number
from engine.vn.text import nfc_tree

__all__ = [
    "FRAMEWORKS_DIR", "expect_kind", "framework_and_digest", "framework_from_mapping", "load_framework",
    "shipped_frameworks",
    "validate_bands",
]

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
_SUFFIXES = (".yaml", ".yml")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Framework)
_BANDS: TypeAdapter[list[Band]] = TypeAdapter(list[Band])

Path_ = tuple[str | int, ...]
F = TypeVar("F", IndexFramework, CriteriaFramework, OneStopFramework)
_KIND_NAMES: dict[type, str] = {
    IndexFramework: "bo_chi_so", CriteriaFramework: "tieu_chi", OneStopFramework: "thong_ke_mot_cua",
}


def shipped_frameworks() -> dict[str, Path]:
    """The frameworks shipped with the engine, by name (the file name without .yaml)."""
    return {path.stem: path for path in sorted(FRAMEWORKS_DIR.glob("*.yaml"))}


def load_framework(name_or_path: str | Path, *, shown: str | None = None
                   ) -> IndexFramework | CriteriaFramework | OneStopFramework:
    """Load a framework by shipped name ("qd766") or by path to a YAML file; raise SpecError with file:line.

    A path here is one the caller has already allowed (engine.trust.Access for a spec's ``bo_tieu_chi``).
    """
    return framework_and_digest(name_or_path, shown=shown)[0]


def framework_and_digest(name_or_path: str | Path, *, shown: str | None = None
                         ) -> tuple[IndexFramework | CriteriaFramework | OneStopFramework, str, Path]:
    """The framework, the sha256 of the file it was read from (for a document's record) and that file."""
    path = _resolve_name(name_or_path)
    try:
        stamp = path.resolve().stat().st_mtime_ns
    except (OSError, ValueError):
        stamp = None  # read_file reports the missing file with its place
    target = path.resolve() if stamp is not None else path
    framework, digest = _load_cached(target, stamp, shown or str(path))
    return framework, digest, target


@lru_cache(maxsize=256)
def _load_cached(path: Path, stamp: int | None, shown: str
                 ) -> tuple[IndexFramework | CriteriaFramework | OneStopFramework, str]:
    """Read and validate a framework file once per version: a batch of documents shares it.

    The models are frozen, so sharing them is safe; an edited file has a new mtime and is read again
    (and hashed again: the hash kept with the model is always that of the bytes it was read from).
    """
    file = read_file(path, role="dac_ta", shown=shown, limit="tep_yaml")
    return _validate(load_yaml_input(file, role="dac_ta")), sha256(file.data)


def framework_from_mapping(data: dict[str, Any], *, name: str = "<bộ tiêu chí>"
                           ) -> IndexFramework | CriteriaFramework | OneStopFramework:
    """Validate a framework held in memory (no line numbers; places are dotted fields)."""
    return _validate(LoadedYaml(data=nfc_tree(data), file=name, marks={}, key_marks={}))


def expect_kind(framework: object, kind: type[F]) -> F:
    """Return ``framework`` if it is of ``kind``; otherwise a SpecError naming both kinds."""
    if isinstance(framework, kind):
        return framework
    wanted = _KIND_NAMES[kind]
    got = getattr(framework, "kieu", type(framework).__name__)
    name = getattr(framework, "ma", "?")
    raise SpecError(Problem("SPEC_VALUE", f"bộ tiêu chí '{name}' có kiểu '{got}', ở đây cần kiểu '{wanted}'",
                            Location(field="kieu")))


def validate_bands(bands: Sequence[Band | dict[str, Any]], *, name: str = "<xếp loại>") -> list[Band]:
    """Validate classification bands given by a caller (to override a framework's own)."""
    raw = [b.model_dump(exclude_defaults=True) if isinstance(b, Band) else b for b in bands]
    source = LoadedYaml(data={"xep_loai": nfc_tree(raw)}, file=name, marks={}, key_marks={})
    try:
        result = _BANDS.validate_python(raw)
    except ValidationError as exc:
        raise SpecError([_pydantic_problem(source, ("xep_loai", *err["loc"]), err)
                         for err in exc.errors(include_url=False)]) from None
    problems = _check_bands(result, source, ("xep_loai",))
    if problems:
        raise SpecError(problems)
    return result


# ----- reading ------------------------------------------------------------------------------


def _resolve_name(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path):
        return name_or_path
    text = str(name_or_path)
    if "/" in text or "\\" in text or text.lower().endswith(_SUFFIXES):
        return Path(text)
    shipped = shipped_frameworks()
    if text in shipped:
        return shipped[text]
    raise SpecError(Problem(
        "SPEC_VALUE", f"không có bộ tiêu chí tên '{text}'", Location(field="bo_tieu_chi"),
        hint=f"Các bộ có sẵn: {', '.join(shipped) or '(không có)'}; hoặc ghi đường dẫn tới tệp .yaml.",
    ))


def _validate(source: LoadedYaml) -> IndexFramework | CriteriaFramework | OneStopFramework:
    if not isinstance(source.data, dict):
        raise SpecError(Problem("SPEC_TYPE", "tệp bộ tiêu chí phải là một bảng khóa: giá trị (kieu:, ma:, …)",
                                source.location(())))
    try:
        framework = _ADAPTER.validate_python(source.data)
    except ValidationError as exc:
        problems = [_pydantic_problem(source, tuple(err["loc"]), err) for err in exc.errors(include_url=False)]
        raise SpecError(_sorted(problems)) from None
    problems = _check(framework, source)
    if problems:
        raise SpecError(_sorted(problems))
    return framework


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.line or 0, p.location.column or 0))


def _pydantic_problem(source: LoadedYaml, loc: tuple[Any, ...], err: dict[str, Any]) -> Problem:
    kind = err["type"]
    path, missing = resolve_loc(source.data, loc)
    given = err.get("input")
    if kind == "extra_forbidden":
        return Problem("SPEC_UNKNOWN_KEY", f"khóa '{path[-1]}' không có trong bộ tiêu chí",
                       source.location(path, at_key=True, field=dotted_path(path)),
                       hint="Xóa khóa này hoặc sửa chính tả (xem các tệp trong engine/scoring/frameworks/).")
    if kind == "missing":
        field = dotted_path((*path, missing)) if missing is not None else dotted_path(path)
        return Problem("SPEC_MISSING", f"thiếu trường bắt buộc '{missing}'", source.location(path, field=field))
    where = source.location(path, field=dotted_path(path) or None)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return Problem("SPEC_VALUE", "'kieu' phải là một trong: bo_chi_so, tieu_chi, thong_ke_mot_cua",
                       source.location((*path, "kieu") if "kieu" in source.data else path, field="kieu"))
    ctx = err.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        return Problem("SPEC_TYPE", f"{_TYPE_MESSAGES[kind]}, nhận được {given!r}", where)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return Problem("SPEC_TYPE", f"giá trị sai kiểu ({err['msg']}), nhận được {given!r}", where)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = ctx.get("ge", ctx.get("gt", ctx.get("le", ctx.get("lt"))))
        word = {"greater_than_equal": "lớn hơn hoặc bằng", "greater_than": "lớn hơn",
                "less_than_equal": "nhỏ hơn hoặc bằng", "less_than": "nhỏ hơn"}[kind]
        return Problem("SPEC_VALUE", f"phải {word} {bound}, nhận được {given!r}", where)
    if kind == "string_pattern_mismatch":
        return Problem("SPEC_VALUE", f"mã {given!r} chỉ gồm chữ không dấu, số, '_' và '.'", where)
    if kind in ("too_short", "string_too_short"):
        return Problem("SPEC_VALUE", "không được để trống", where)
    if kind == "literal_error":
        return Problem("SPEC_VALUE", f"giá trị {given!r} không hợp lệ; phải là một trong: {ctx.get('expected')}", where)
    return Problem("SPEC_VALUE", f"giá trị {given!r} không hợp lệ ({err['msg']})", where)


_TYPE_MESSAGES = {
    "decimal_type": "phải là một số",
    "decimal_parsing": "phải là một số (viết dấu chấm thập phân: 3.5)",
    "finite_number": "phải là một số hữu hạn",
    "int_type": "phải là một số nguyên",
    "int_parsing": "phải là một số nguyên",
    "int_from_float": "phải là một số nguyên",
    "string_type": "phải là một chuỗi văn bản",
    "bool_type": "phải là true hoặc false",
    "list_type": "phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- ')",
    "model_type": "phải là một bảng khóa: giá trị",
    "model_attributes_type": "phải là một bảng khóa: giá trị",
    "dict_type": "phải là một bảng khóa: giá trị",
}


# ----- rules that relate fields ---------------------------------------------------------------


class _Checker:
    def __init__(self, source: LoadedYaml):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, path: Path_, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem("SPEC_VALUE", message, self.source.location(path, field=dotted_path(path)), hint))

    def noted(self, obj: Any, path: Path_) -> None:
        if getattr(obj, "chua_xac_minh", False) and not getattr(obj, "ghi_chu", None):
            self.add((*path, "chua_xac_minh"), "mục chưa xác minh phải có 'ghi_chu' nói vì sao",
                     hint="Thêm ghi_chu: nguồn nào thiếu, con số được suy ra từ đâu.")

    def unique(self, items: Iterable[tuple[Any, Path_]], what: str) -> None:
        seen: dict[Any, Path_] = {}
        for key, path in items:
            if key in seen:
                line = self.source.location(seen[key]).line
                self.add(path, f"{what} '{key}' trùng" + (f" (đã có ở dòng {line})" if line else ""))
            else:
                seen[key] = path


def _show(value: Decimal) -> str:
    return format_number(value)


def _check_bands(bands: Sequence[Band], source: LoadedYaml, base: Path_) -> list[Problem]:
    c = _Checker(source)
    c.unique(((b.ten, (*base, i, "ten")) for i, b in enumerate(bands)), "tên xếp loại")
    for i, band in enumerate(bands):
        path = (*base, i)
        c.noted(band, path)
        last = i == len(bands) - 1
        if band.tu is None and not last:
            c.add(path, f"xếp loại '{band.ten}' thiếu ngưỡng 'tu' (chỉ mục cuối cùng mới được bỏ trống)")
        if band.tu is not None and band.bao_gom_tu is None:
            c.add(path, f"xếp loại '{band.ten}' phải ghi rõ 'bao_gom_tu: true' (từ … trở lên) "
                        f"hoặc 'bao_gom_tu: false' (trên …)")
        if band.tu is None and band.bao_gom_tu is not None:
            c.add((*path, "bao_gom_tu"), "'bao_gom_tu' chỉ dùng cùng ngưỡng 'tu'")
        if last and band.tu is not None:
            c.add(path, "mục xếp loại cuối cùng không có ngưỡng 'tu' (nhận mọi điểm còn lại)",
                  hint="Bỏ 'tu' ở mục cuối (ví dụ: Yếu) để không điểm nào bị bỏ sót.")
    for i in range(1, len(bands)):
        upper, lower = bands[i - 1], bands[i]
        if upper.tu is None or lower.tu is None:
            continue
        ordered = upper.tu > lower.tu or (upper.tu == lower.tu and upper.bao_gom_tu is False and lower.bao_gom_tu)
        if not ordered:
            c.add((*base, i, "tu"), f"ngưỡng của '{lower.ten}' ({_show(lower.tu)}) phải thấp hơn ngưỡng của "
                                    f"'{upper.ten}' ({_show(upper.tu)}); xếp loại ghi từ cao xuống thấp")
    return c.problems


def _check(framework: Any, source: LoadedYaml) -> list[Problem]:
    c = _Checker(source)
    c.noted(framework, ())
    if isinstance(framework, (IndexFramework, CriteriaFramework)):
        c.problems.extend(_check_bands(framework.xep_loai, source, ("xep_loai",)))
    if isinstance(framework, IndexFramework):
        _check_index(framework, c)
    elif isinstance(framework, CriteriaFramework):
        _check_criteria(framework, c)
    else:
        _check_one_stop(framework, c)
    return c.problems


def _check_index(fw: IndexFramework, c: _Checker) -> None:
    c.unique(((g.ma, ("nhom", gi, "ma")) for gi, g in enumerate(fw.nhom)), "mã nhóm")
    c.unique(((ix.ma, ("nhom", gi, "chi_so", ii, "ma"))
              for gi, g in enumerate(fw.nhom) for ii, ix in enumerate(g.chi_so)), "mã chỉ số")
    for gi, group in enumerate(fw.nhom):
        c.noted(group, ("nhom", gi))
        for ii, index in enumerate(group.chi_so):
            c.noted(index, ("nhom", gi, "chi_so", ii))
        total = sum((ix.toi_da for ix in group.chi_so), Decimal(0))
        if total != group.toi_da:
            c.add(("nhom", gi, "toi_da"), f"nhóm '{group.ten}' ghi tối đa {_show(group.toi_da)} điểm nhưng các "
                                          f"chỉ số cộng lại {_show(total)} điểm")
    total = sum((g.toi_da for g in fw.nhom), Decimal(0))
    if total != fw.thang_diem:
        c.add(("thang_diem",), f"thang điểm {_show(fw.thang_diem)} nhưng các nhóm cộng lại {_show(total)}")


def _check_criteria(fw: CriteriaFramework, c: _Checker) -> None:
    c.unique(((t.so, ("tieu_chi", i, "so")) for i, t in enumerate(fw.tieu_chi)), "số tiêu chí")
    names = [(f.ma, ("so_lieu", i, "ma")) for i, f in enumerate(fw.so_lieu)]
    names += [(r.ma, ("ty_le", i, "ma")) for i, r in enumerate(fw.ty_le)]
    c.unique(names, "tên số liệu")
    facts = {f.ma for f in fw.so_lieu}
    known = facts | {r.ma for r in fw.ty_le}
    for i, ratio in enumerate(fw.ty_le):
        c.noted(ratio, ("ty_le", i))
        for part in ("tu_so", "mau_so"):
            if getattr(ratio, part) not in facts:
                c.add(("ty_le", i, part), f"'{getattr(ratio, part)}' chưa được khai báo trong 'so_lieu'")
    total = sum((t.toi_da for t in fw.tieu_chi), Decimal(0))
    if total != fw.thang_diem:
        c.add(("thang_diem",), f"thang điểm {_show(fw.thang_diem)} nhưng các tiêu chí cộng lại {_show(total)}")
    for ti, crit in enumerate(fw.tieu_chi):
        base: Path_ = ("tieu_chi", ti)
        c.noted(crit, base)
        c.unique(((lv.diem, (*base, "muc", li, "diem")) for li, lv in enumerate(crit.muc)), "điểm của mức")
        top = max(lv.diem for lv in crit.muc)
        if top != crit.toi_da:
            c.add((*base, "toi_da"), f"tiêu chí {crit.so} ghi tối đa {_show(crit.toi_da)} nhưng mức cao nhất là "
                                     f"{_show(top)} điểm")
        if crit.khi_khong_co_ho_so is not None:
            if crit.kieu != "dem_ho_so":
                c.add((*base, "khi_khong_co_ho_so"), "'khi_khong_co_ho_so' chỉ dùng cho tiêu chí 'dem_ho_so'")
            elif crit.khi_khong_co_ho_so > crit.toi_da:
                c.add((*base, "khi_khong_co_ho_so"), "'khi_khong_co_ho_so' vượt điểm tối đa của tiêu chí")
        for li, level in enumerate(crit.muc):
            path = (*base, "muc", li)
            c.noted(level, path)
            last = li == len(crit.muc) - 1
            if crit.kieu == "dem_ho_so":
                if level.dieu_kien or level.con_lai:
                    c.add(path, "tiêu chí 'dem_ho_so' tính theo số hồ sơ; mức không có 'dieu_kien'/'con_lai'")
                continue
            if last and (not level.con_lai or level.dieu_kien):
                c.add(path, "mức cuối của tiêu chí 'theo_dieu_kien' phải là 'con_lai: true' và không có điều kiện",
                      hint="Mức cuối nhận mọi trường hợp không đạt các mức trên.")
            if not last and (level.con_lai or not level.dieu_kien):
                c.add(path, "mỗi mức (trừ mức cuối) của tiêu chí 'theo_dieu_kien' cần ít nhất một 'dieu_kien'")
            for ci, cond in enumerate(level.dieu_kien):
                if cond.gia_tri not in known:
                    c.add((*path, "dieu_kien", ci, "gia_tri"),
                          f"'{cond.gia_tri}' chưa được khai báo trong 'so_lieu' hoặc 'ty_le'")


def _check_one_stop(fw: OneStopFramework, c: _Checker) -> None:
    c.unique(((s.ma, ("chi_tieu", i, "ma")) for i, s in enumerate(fw.chi_tieu)), "mã chỉ tiêu")
    codes = {s.ma for s in fw.chi_tieu}
    for i, status in enumerate(fw.chi_tieu):
        c.noted(status, ("chi_tieu", i))
        if status.co_so is not None and (status.co_so not in codes or status.co_so == status.ma):
            c.add(("chi_tieu", i, "co_so"), f"cơ sở '{status.co_so}' phải là mã của một chỉ tiêu khác")
        for key in ("bang_tong", "chia_thanh"):
            for pi, part in enumerate(getattr(status, key)):
                if part not in codes or part == status.ma:
                    c.add(("chi_tieu", i, key, pi), f"'{part}' phải là mã của một chỉ tiêu khác")
    parts = {s.ma: s.bang_tong for s in fw.chi_tieu}
    for i, status in enumerate(fw.chi_tieu):
        if _cycles(status.ma, parts):
            c.add(("chi_tieu", i, "bang_tong"), f"chỉ tiêu '{status.ma}' là tổng của chính nó (vòng lặp 'bang_tong')")


def _cycles(start: str, parts: dict[str, list[str]]) -> bool:
    stack = list(parts.get(start, []))
    seen: set[str] = set()
    while stack:
        code = stack.pop()
        if code == start:
            return True
        if code not in seen:
            seen.add(code)
            stack.extend(parts.get(code, []))
    return False
