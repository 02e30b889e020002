"""Turn a spec file into a validated :class:`LoadedSpec`, reporting every problem at once.

Each pydantic error becomes a :class:`Problem` with the file:line:column of the offending
YAML node, a Vietnamese message and, for a misspelt key, the closest valid key.

A spec carries its :class:`~engine.trust.files.Access`: the folders its paths may lead to (its
own folder, the engine's, and those the user allowed). A spec given as text or as a mapping with
no folder may name only the engine's own templates and frameworks.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.errors import Problem, SpecError, shorten
from engine.provenance import Input, sha256
from engine.spec import models
from engine.spec.yamlload import LoadedYaml, load_yaml_input, load_yaml_text
from engine.trust.files import Access, read_file
from engine.trust.plain import plain_data, unprintable_text
from engine.vn.periods import FORMS_HINT

Folders = tuple[str | Path, ...] | list[str | Path]


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with where it came from (for error places) and which folders it may read."""

    spec: models.Spec
    source: LoadedYaml
    access: Access
    # The spec's own record (its file's name and the sha256 of its bytes); None for a spec given as a mapping
    # or text, which engine.provenance hashes in a canonical form when a document records it.
    origin: Input | None = None

    @property
    def file(self) -> str:
        return self.source.file

    @property
    def base_dir(self) -> Path | None:
        """The spec's own folder (where its relative paths start), or None for a spec with no folder."""
        return self.access.base


def load_spec(path: str | Path, *, allowed: Folders = ()) -> LoadedSpec:
    """Read, parse and validate a spec file; raise SpecError listing every problem.

    ``allowed``: folders besides the spec's own that its paths may lead to (``--cho-phep``).
    """
    path = Path(path)
    file = read_file(path, role="dac_ta", shown=str(path), limit="tep_yaml")
    loaded = validate_source(load_yaml_input(file, role="dac_ta"), path.parent, allowed=allowed)
    return replace(loaded, origin=Input("dac_ta", path.name, sha256(file.data), role="dac_ta"))


def load_spec_text(text: str, *, name: str = "<spec>", base_dir: str | Path | None = None,
                   allowed: Folders = (), template_folders: Folders | None = None) -> LoadedSpec:
    """Validate a spec given as YAML text; with no ``base_dir`` it may name only the engine's own files.

    ``template_folders``: a service's template folders; templates are then names in them, not paths.
    """
    return validate_source(load_yaml_text(text, name), base_dir, allowed=allowed, template_folders=template_folders)


def spec_from_mapping(data: dict[str, Any], *, name: str = "<spec>", base_dir: str | Path | None = None,
                      allowed: Folders = (), template_folders: Folders | None = None) -> LoadedSpec:
    """Validate a spec given as a Python mapping (the API for other programs).

    The mapping is checked like a YAML file is: plain data only (dicts, lists, text, numbers),
    bounded in size and depth, text without control characters or lone surrogates.
    """
    source = LoadedYaml(data=plain_data(data, name=name), file=name, marks={}, key_marks={})
    return validate_source(source, base_dir, allowed=allowed, template_folders=template_folders)


def validate_source(source: LoadedYaml, base_dir: str | Path | None, *, allowed: Folders = (),
                    template_folders: Folders | None = None) -> LoadedSpec:
    """Validate parsed YAML (with its line marks) as a spec; relative paths start at ``base_dir``."""
    access = Access.for_spec(base_dir, tuple(allowed), template_folders)
    problems = text_problems(source)
    if problems:
        raise SpecError(problems)
    if not isinstance(source.data, dict):
        raise SpecError(Problem(
            "SPEC_TYPE", "tệp đặc tả phải là một bảng khóa: giá trị (loai:, dia_danh:, …)",
            source.location(()), hint="Xem ví dụ trong docs/spec.md.",
        ))
    try:
        spec = models.Spec.model_validate(source.data)
    except ValidationError as exc:
        problems = [_problem(source, err) for err in exc.errors(include_url=False)]
        problems += [problem for problem in _rules_despite_errors(source) if problem not in problems]
        problems.sort(key=lambda p: (p.location.line or 0, p.location.column or 0))
        raise SpecError(problems) from None
    return LoadedSpec(spec=spec, source=source, access=access)


class _Raw:
    """Raw spec data read like the model it failed to become: missing keys are None (for the rules below)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        return _raw(self._data.get(name))

    def __iter__(self) -> Any:
        return iter(self._data)


def _raw(value: Any) -> Any:
    if isinstance(value, dict):
        return _Raw(value)
    if isinstance(value, list):
        return [_raw(item) for item in value]
    return value


# The whole-document rules (a ký hiệu that cannot be built, a phụ lục without its source, a signer's
# authority without whom) run only when every field is valid; a spec with field errors would then show
# them in a second round. They are run here on the raw data too, so that one run reports everything.
_RULES_OF = {(): models.Spec, ("nguoi_ky",): models.NguoiKy}


def _rules_despite_errors(source: LoadedYaml) -> list[Problem]:
    from pydantic_core import PydanticCustomError

    found: list[Problem] = []
    if not isinstance(source.data, dict):
        return found
    for path, model in _RULES_OF.items():
        data = source.data
        for key in path:
            data = data.get(key) if isinstance(data, dict) else None
        # Several signers (a list) are each judged by the signer's rules, at their own place.
        items = [((*path, i), item) for i, item in enumerate(data)] if isinstance(data, list) else [(path, data)]
        for place, item in items:
            if not isinstance(item, dict):
                continue
            for decorator in model.__pydantic_decorators__.model_validators.values():
                if decorator.info.mode != "after":
                    continue
                try:
                    decorator.func(_Raw(item))
                except PydanticCustomError as err:
                    found.append(_problem(source, {"type": err.type, "loc": place, "msg": err.message(),
                                                   "ctx": err.context or {}, "input": item}))
                except Exception:  # noqa: BLE001, S112 - a rule that cannot be judged on invalid data is left for later
                    continue
    return found


def text_problems(source: LoadedYaml) -> list[Problem]:
    """Text a document cannot hold: control characters (other than tab and line breaks) and lone surrogates."""
    return [Problem("SPEC_VALUE", message, source.location(path, field=dotted_path(path) or None),
                    hint="Xóa ký tự này (thường do dán từ một chương trình khác); xuống dòng bằng Enter.")
            for path, message in unprintable_text(source.data)]


# ----- error translation ----------------------------------------------------------------

_TYPE_MESSAGES = {
    "string_type": "phải là một chuỗi văn bản",
    "int_type": "phải là một số nguyên",
    "int_parsing": "phải là một số nguyên",
    "int_from_float": "phải là một số nguyên",
    "list_type": "phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- ')",
    "dict_type": "phải là một bảng khóa: giá trị",
    "model_type": "phải là một bảng khóa: giá trị",
    "model_attributes_type": "phải là một bảng khóa: giá trị",
    "bool_type": "phải là true hoặc false",
}


def _code_for(kind: str) -> str:
    if kind == "missing" or kind.startswith("spec_missing"):
        return "SPEC_MISSING"
    if kind == "extra_forbidden":
        return "SPEC_UNKNOWN_KEY"
    if kind == "spec_date":
        return "SPEC_DATE"
    if kind == "spec_period":
        return "SPEC_PERIOD"
    if kind == "spec_kind":
        return "SPEC_KIND"
    if kind in _TYPE_MESSAGES or kind in ("spec_type", "spec_block"):
        return "SPEC_TYPE"
    return "SPEC_VALUE"


def resolve_loc(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """Follow a pydantic loc through the raw data, skipping union tags that are not keys."""
    path: list[Any] = []
    node = data
    last = None
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif i == len(loc) - 1:
            last = part  # a key that is missing from the data
    return tuple(path), last


def dotted_path(path: tuple[Any, ...]) -> str:
    """A YAML path as people write it: ``noi_dung[2].doan``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for obj in vars(models).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            names.update(obj.model_fields)
    return names



def _show(value: Any) -> str:
    if isinstance(value, str):
        text = f"'{value[:80]}'"
    elif isinstance(value, (dict, list)):
        text = "một bảng khóa: giá trị" if isinstance(value, dict) else "một danh sách"
    else:
        text = repr(value)[:80]
    return text if len(text) <= 60 else text[:59] + "…"


def _problem(source: LoadedYaml, err: dict[str, Any]) -> Problem:
    kind = err["type"]
    path, missing_key = resolve_loc(source.data, tuple(err["loc"]))
    code = _code_for(kind)
    hint = None
    if kind == "extra_forbidden":
        key = str(path[-1])
        location = source.location(path, at_key=True, field=shorten(dotted_path(path)))
        message = f"khóa '{shorten(key)}' không có trong đặc tả"
        guess = difflib.get_close_matches(key, sorted(_all_field_names()), n=1, cutoff=0.6) if len(key) <= 64 else []
        hint = (f"Có phải ý bạn là '{guess[0]}'?" if guess
                else "Xóa khóa này hoặc xem các khóa hợp lệ trong docs/spec.md.")
    elif kind == "missing":
        field = dotted_path((*path, missing_key)) if missing_key is not None else dotted_path(path)
        location = source.location(path, field=field)
        message = f"thiếu trường bắt buộc '{missing_key}'"
        hint = f"Thêm '{missing_key}: …' (xem docs/spec.md)."
    else:
        location = source.location(path, field=dotted_path(path) or None)
        if kind in _TYPE_MESSAGES:
            message = f"{_TYPE_MESSAGES[kind]}, nhận được {_show(err.get('input'))}"
        elif kind == "literal_error":
            expected = str(err.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
            message = f"giá trị {_show(err.get('input'))} không hợp lệ; phải là một trong: {expected}"
        elif kind in ("string_too_short", "too_short"):
            message = "không được để trống"
        elif kind in ("greater_than_equal", "greater_than"):
            message = f"phải lớn hơn hoặc bằng {err.get('ctx', {}).get('ge', err.get('ctx', {}).get('gt'))}"
        elif kind in ("less_than_equal", "less_than"):
            message = f"phải nhỏ hơn hoặc bằng {err.get('ctx', {}).get('le', err.get('ctx', {}).get('lt'))}"
        elif kind.startswith("spec_"):
            message = err["msg"]
            if kind == "spec_period":
                hint = FORMS_HINT
        elif kind == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = f"giá trị không hợp lệ ({err['msg']})"
    return Problem(code, message, location, hint=hint)
