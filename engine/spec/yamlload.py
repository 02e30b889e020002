"""Turn YAML text into plain Python data plus the line and column of every node.

Why not ``yaml.safe_load``: it forgets where each value came from (errors must say
``spec.yaml:41:5``), silently keeps the last of two equal keys, turns ``2023-02-30`` into a
crash inside the parser, and reads ``16.74`` as a binary float. This loader composes the node
graph, builds the data itself and records a mark for every path, reads dates as text (the
spec validates them with a Vietnamese message) and decimals as :class:`decimal.Decimal`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Location, Problem, SpecError
from engine.vn.text import nfc

Path_ = tuple[str | int, ...]

# Limits against hostile input (alias bombs, absurd nesting).
MAX_NODES = 200_000
MAX_DEPTH = 64


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings until validated."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        return float(lowered.replace(".", ""))  # not a figure; validation rejects it
    return Decimal(text)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


@dataclass
class LoadedYaml:
    """Data read from a YAML file with the position of every mapping key and value."""

    data: Any
    file: str
    marks: dict[Path_, tuple[int, int]]  # path -> (line, column), both 1-based
    key_marks: dict[Path_, tuple[int, int]]  # path of a mapping entry -> where its key is

    def location(self, path: Path_, *, at_key: bool = False, field: str | None = None) -> Location:
        """The file:line:column of the deepest known node on ``path``."""
        probe = tuple(path)
        while True:
            table = self.key_marks if at_key and probe in self.key_marks else self.marks
            if probe in table:
                line, col = table[probe]
                return Location(file=self.file, line=line, column=col, field=field)
            if not probe:
                return Location(file=self.file, field=field)
            probe = probe[:-1]
            at_key = False


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_YAML_MESSAGES = [
    (re.compile(r"found character '\\t'"), "có ký tự Tab; YAML chỉ dùng dấu cách để thụt lề"),
    (re.compile(r"mapping values are not allowed"), "dấu ':' đặt sai chỗ (chuỗi có ':' cần đặt trong ngoặc kép)"),
    (re.compile(r"could not find expected ':'"), "thiếu dấu ':' sau tên khóa"),
    (re.compile(r"did not find expected key"), "thụt lề không đều hoặc thiếu dấu ':'"),
    (re.compile(r"found unexpected end of stream"), "tệp kết thúc giữa chừng (thiếu dấu ngoặc kép đóng?)"),
    (re.compile(r"found undefined alias"), "dùng bí danh '*…' chưa được định nghĩa"),
    (re.compile(r"expected <block end>"), "thụt lề không đều"),
    (re.compile(r"found character .* that cannot start any token"),
     "có ký tự không được phép đứng đầu giá trị (hãy đặt giá trị trong ngoặc kép)"),
]


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    raw = " ".join(filter(None, [exc.context, exc.problem]))
    for pattern, message in _YAML_MESSAGES:
        if pattern.search(raw):
            return message
    return f"cú pháp YAML sai ({raw})"


def load_yaml_text(text: str, file: str) -> LoadedYaml:
    """Parse YAML text into data and marks; raise SpecError with file:line:column."""
    loader = _Loader(nfc(text))
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            loc = Location(file=file, line=mark.line + 1, column=mark.column + 1) if mark else Location(file=file)
            raise SpecError(Problem(
                "SPEC_YAML", _yaml_message(exc), loc,
                hint="Kiểm tra thụt lề (dấu cách), dấu ':' và dấu ngoặc kép ở dòng này hoặc dòng trước.",
            )) from None
        except yaml.YAMLError as exc:
            raise SpecError(Problem("SPEC_YAML", f"cú pháp YAML sai ({exc})", Location(file=file))) from None
        result = LoadedYaml(data=None, file=file, marks={}, key_marks={})
        if root is None:
            return result
        builder = _Builder(loader, result)
        result.data = builder.build(root, ())
        if builder.problems:
            raise SpecError(builder.problems)
        return result
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path, *, shown_as: str | None = None) -> LoadedYaml:
    """Read and parse a YAML file; a missing or unreadable file is a SpecError."""
    path = Path(path)
    shown = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError(Problem("SPEC_FILE", "không tìm thấy tệp", Location(file=shown),
                                hint="Kiểm tra lại đường dẫn tệp đặc tả.")) from None
    except IsADirectoryError:
        raise SpecError(Problem("SPEC_FILE", "đây là thư mục, không phải tệp", Location(file=shown))) from None
    except UnicodeDecodeError as exc:
        raise SpecError(Problem("SPEC_FILE", f"tệp không phải văn bản UTF-8 (byte {exc.start})",
                                Location(file=shown), hint="Lưu tệp với bảng mã UTF-8.")) from None
    except OSError as exc:
        raise SpecError(Problem("SPEC_FILE", f"không đọc được tệp ({exc.strerror})", Location(file=shown))) from None
    return load_yaml_text(text, shown)


class _Builder:
    def __init__(self, loader: _Loader, result: LoadedYaml):
        self.loader = loader
        self.result = result
        self.count = 0
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES or len(path) > MAX_DEPTH:
            raise SpecError(Problem(
                "SPEC_TOO_LARGE", "tệp quá lớn hoặc lồng quá sâu (có thể do bí danh YAML lặp)",
                Location(file=self.result.file, line=_mark(node)[0], column=_mark(node)[1]),
            ))
        self.result.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            first_seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    key = str(key)
                child = (*path, key)
                if key in out:
                    line, col = _mark(key_node)
                    self.problems.append(Problem(
                        "SPEC_DUPLICATE_KEY",
                        f"khóa '{key}' xuất hiện lần thứ hai (lần đầu ở dòng {first_seen[key]})",
                        Location(file=self.result.file, line=line, column=col),
                        hint="Xóa hoặc gộp một trong hai khóa.",
                    ))
                    continue
                first_seen[key] = _mark(key_node)[0]
                self.result.key_marks[child] = _mark(key_node)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ArithmeticError, ValueError):
            line, col = _mark(node)
            self.problems.append(Problem(
                "SPEC_VALUE", f"không đọc được giá trị '{node.value}'",
                Location(file=self.result.file, line=line, column=col),
            ))
            return None
