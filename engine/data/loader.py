"""Turn the spec's ``du_lieu`` entries (inline tables or data files) into named data sets.

A data set is either written inline in the spec or read from a file next to it. YAML and
JSON files are read with the same loader as the spec, so numbers are exact decimals and
errors carry file:line:column.
"""

from __future__ import annotations

from typing import Any

from engine.errors import DataError, Problem, SpecError
from engine.spec.loader import LoadedSpec
from engine.spec.yamlload import load_yaml_file

READERS = (".yaml", ".yml", ".json")


def load_data(loaded: LoadedSpec) -> dict[str, Any]:
    """Every data set of the spec by name, read from inline values or files."""
    result: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, source in loaded.spec.du_lieu.items():
        if not isinstance(source, str):
            result[name] = source
            continue
        where = loaded.source.location(("du_lieu", name), field=f"du_lieu.{name}")
        path = (loaded.base_dir / source)
        if path.suffix.lower() not in READERS:
            problems.append(Problem("DATA_FORMAT", f"chưa đọc được loại tệp '{path.suffix}' ({source})", where,
                                    hint=f"Dùng tệp {', '.join(READERS)}."))
            continue
        if not path.is_file():
            problems.append(Problem("DATA_FILE", f"không tìm thấy tệp dữ liệu '{source}'", where,
                                    hint="Đường dẫn tính từ thư mục của tệp đặc tả."))
            continue
        try:
            result[name] = load_yaml_file(path, shown_as=str(path)).data
        except SpecError as exc:
            problems.extend(
                Problem("DATA_FILE" if p.code == "SPEC_FILE" else "DATA_FORMAT", p.message, p.location, p.hint)
                for p in exc.problems
            )
    if problems:
        raise DataError(problems)
    return result
