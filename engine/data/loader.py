"""Turn the spec's ``du_lieu`` entries (inline tables or data files) into named data sets.

A data set is either written inline in the spec or read from a file next to it (inside the
folders the spec may read, engine.trust). YAML and JSON files are read with the same loader as
the spec, so numbers are exact decimals and errors carry file:line:column.
"""

from __future__ import annotations

from typing import Any

from engine.errors import DataError, Problem
from engine.spec.loader import LoadedSpec
from engine.spec.yamlload import load_yaml_input

READERS = (".yaml", ".yml", ".json")


def load_data(loaded: LoadedSpec, problems: list[Problem] | None = None) -> dict[str, Any]:
    """Every data set of the spec by name, read from inline values or files.

    Every data set that cannot be read is reported at once. Given a list, the problems are added to it
    and the data sets that could be read are returned (so the expressions can be checked too).
    """
    result: dict[str, Any] = {}
    collect = problems is not None
    problems = problems if problems is not None else []
    for name, source in loaded.spec.du_lieu.items():
        if not isinstance(source, str):
            result[name] = source
            continue
        where = loaded.source.location(("du_lieu", name), field=f"du_lieu.{name}")
        suffix = source.rsplit(".", 1)[-1].lower() if "." in source else ""
        if f".{suffix}" not in READERS:
            problems.append(Problem("DATA_FORMAT", f"chưa đọc được loại tệp '.{suffix}' ({source[:120]})", where,
                                    hint=f"Dùng tệp {', '.join(READERS)}."))
            continue
        try:
            file = loaded.access.read(source, where=where, role="du_lieu", limit="tep_yaml")
            result[name] = load_yaml_input(file, role="du_lieu").data
        except DataError as exc:
            problems.extend(exc.problems)
    if problems and not collect:
        raise DataError(problems)
    return result
