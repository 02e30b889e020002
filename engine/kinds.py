"""Turn templates/kinds.yaml into the registry of document kinds (báo cáo, công văn, …).

A kind names its template and how its ký hiệu is formed. Adding a kind is adding an entry to
the YAML file: no code changes.

Where the templates are: ``$VANBAN_TEMPLATES`` if set; else inside the installed package
(``engine/templates``, where a wheel puts them); else the repository's top-level ``templates/``
(an editable install or a clone). The registry is read on first use, not at import, so a broken
``kinds.yaml`` is a TemplateError with its file:line that every command reports like any other
error, instead of a traceback while Python imports the engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from engine.errors import Problem, TemplateError


def _templates_dir() -> Path:
    configured = os.environ.get("VANBAN_TEMPLATES")
    if configured:
        return Path(configured)
    packaged = Path(__file__).resolve().parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


TEMPLATES_DIR = _templates_dir()
KINDS_FILE = TEMPLATES_DIR / "kinds.yaml"
_ENTRY_KEYS = ("ten_loai", "viet_tat", "mau")


@dataclass(frozen=True)
class Kind:
    """A document kind: its printed tên loại, type abbreviation and template file."""

    key: str
    ten_loai: str | None  # None for a công văn: it has no tên loại
    viet_tat: str | None  # None: ký hiệu is "<agency>-<drafting unit>"
    template: Path


def load_kinds(path: Path = KINDS_FILE) -> dict[str, Kind]:
    """Read the kinds registry; each entry gives ten_loai, viet_tat and mau (a template inside its folder).

    Every problem of the file is reported at once, each at its line.
    """
    from engine.spec.yamlload import load_yaml_file

    source = load_yaml_file(path, role="mau")
    folder = Path(os.path.realpath(path.parent))
    problems: list[Problem] = []

    def problem(where: tuple, message: str, hint: str) -> None:
        problems.append(Problem("TEMPLATE_KINDS", message, source.location(where, field=".".join(map(str, where))),
                                hint=hint))

    if not isinstance(source.data, dict):
        problem((), "kinds.yaml phải là một bảng: tên loại → ten_loai, viet_tat, mau",
                "Xem các mục có sẵn trong templates/kinds.yaml làm mẫu.")
        raise TemplateError(problems)
    kinds: dict[str, Kind] = {}
    for key, entry in source.data.items():
        if not isinstance(key, str) or not key.isidentifier():
            problem((key,), f"tên loại '{key}' phải là một từ không dấu, không dấu cách (ví dụ bao_cao)",
                    "Đổi tên loại, ví dụ bao_cao_thang.")
            continue
        if not isinstance(entry, dict):
            problem((key,), f"loại '{key}' phải là một bảng có ten_loai, viet_tat và mau",
                    "Viết như các mục khác: ten_loai: BÁO CÁO / viet_tat: BC / mau: bao_cao/bao_cao.docx.")
            continue
        for extra in sorted(set(entry) - set(_ENTRY_KEYS), key=str):
            problem((key, extra), f"loại '{key}' có khóa '{extra}' không dùng được",
                    "Chỉ có ten_loai, viet_tat và mau.")
        for name in ("ten_loai", "viet_tat"):
            if entry.get(name) is not None and not isinstance(entry[name], str):
                problem((key, name), f"'{name}' của loại '{key}' phải là chữ hoặc để trống (null)",
                        "Ví dụ ten_loai: BÁO CÁO, viet_tat: BC.")
        template = entry.get("mau")
        if not isinstance(template, str) or not template.strip():
            problem((key, "mau") if "mau" in entry else (key,), f"loại '{key}' thiếu 'mau' (tệp mẫu .docx)",
                    "Thêm mau: đường dẫn tệp mẫu tính từ thư mục templates/, ví dụ bao_cao/bao_cao.docx.")
            continue
        target = Path(os.path.realpath(folder / template))
        if folder not in target.parents or not target.is_file():
            problem((key, "mau"), f"mẫu '{template}' của loại '{key}' không có trong thư mục {path.parent}",
                    "Đường dẫn tính từ thư mục templates/ và phải ở trong thư mục đó.")
            continue
        kinds[key] = Kind(key=key, ten_loai=entry.get("ten_loai"), viet_tat=entry.get("viet_tat"), template=target)
    if problems:
        raise TemplateError(problems)
    return kinds


class _Registry(Mapping[str, Kind]):
    """The kinds of ``templates/kinds.yaml``, read and checked on first use (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._kinds: dict[str, Kind] | None = None
        self._lock = Lock()

    def _loaded(self) -> dict[str, Kind]:
        if self._kinds is None:
            with self._lock:
                if self._kinds is None:
                    self._kinds = load_kinds(self._path)
        return self._kinds

    def __getitem__(self, key: str) -> Kind:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __contains__(self, key: object) -> bool:
        return key in self._loaded()


KINDS: Mapping[str, Kind] = _Registry(KINDS_FILE)

