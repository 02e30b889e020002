"""Turn YAML text into plain Python data plus the line and column of every node.

Why not ``yaml.safe_load``: it forgets where each value came from (errors must say
``spec.yaml:41:5``), silently keeps the last of two equal keys, turns ``2023-02-30`` into a
crash inside the parser, and reads ``16.74`` as a binary float. This loader composes the node
graph, builds the data itself and records a mark for every path, reads dates as text (the
spec validates them with a Vietnamese message) and decimals as :class:`decimal.Decimal`.

Files are read through :mod:`engine.trust` (a regular file, within its size limit, in any of the
encodings it recognises). The parser is libyaml's when PyYAML has it (three times quicker: a
spec's time goes into making a node with its marks for every value); values, depth and numbers
are bounded, each with a LimitError at its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from engine.errors import LimitError, Location, Problem
from engine.trust.files import InputFile, decode_text, read_file, role_error
from engine.trust.limits import current_limits
from engine.vn.numbers import check_magnitude, format_number
from engine.vn.text import nfc

Path_ = tuple[str | int, ...]

class _PythonLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates stay strings until validated."""


class _Loader(getattr(yaml, "CSafeLoader", _PythonLoader)):  # type: ignore[misc]
    """The same with libyaml's parser, when PyYAML has it (three times quicker)."""


# libyaml's composer recurses in C, unchecked: nesting some tens of thousands deep overflows the stack
# and kills the process. A block collection nests only under more indentation or after a "- " (or "? ",
# ": ") at the start of a line, and a flow one only inside "[" or "{": text that could nest deeper than
# this bound goes to the Python parser, which stops at its recursion limit with an error.
_C_PARSER_DEPTH = 1_000
_LINE_START = re.compile(r"^( *)((?:[-?:][ \t]+)*)", re.MULTILINE)


def _loader_for(text: str) -> type:
    if _Loader is _PythonLoader:
        return _PythonLoader
    flow = text.count("[") + text.count("{")
    if flow > _C_PARSER_DEPTH:
        return _PythonLoader
    block = max((len(m[1]) + len(m[2]) for m in _LINE_START.finditer(text)), default=0)
    return _Loader if flow + block + 2 <= _C_PARSER_DEPTH else _PythonLoader


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SURROGATE = re.compile("[\ud800-\udfff]")
_PythonLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = _PythonLoader.yaml_implicit_resolvers


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        return float(lowered.replace(".", ""))  # not a figure; validation rejects it
    if len(text) > 200:
        raise _NumberTooLarge(f"số dài {len(text)} ký tự")
    try:
        return check_magnitude(Decimal(text))
    except ValueError as exc:
        raise _NumberTooLarge(str(exc)) from None


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(node.value).replace("_", "")
    if len(text) > 60:  # hex and octal have no digit limit in Python; a figure never needs this many
        raise _NumberTooLarge(f"số nguyên dài {len(text)} ký tự")
    return yaml.SafeLoader.construct_yaml_int(loader, node)


class _NumberTooLarge(ValueError):
    pass


for _class in {_PythonLoader, _Loader}:
    _class.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
    _class.add_constructor("tag:yaml.org,2002:int", _construct_int)


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


def _reader_message(exc: yaml.YAMLError) -> str:
    """A reader error (a character YAML does not allow) in Vietnamese."""
    m = re.search(r"#x([0-9a-fA-F]+)", str(exc))
    position = re.search(r"position (\d+)", str(exc))
    if m:
        where = f" ở ký tự thứ {int(position[1]) + 1}" if position else ""
        return f"có ký tự điều khiển U+{int(m[1], 16):04X} không được phép trong YAML{where}"
    return f"cú pháp YAML sai ({exc})"


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    raw = " ".join(filter(None, [exc.context, exc.problem]))
    for pattern, message in _YAML_MESSAGES:
        if pattern.search(raw):
            return message
    return f"cú pháp YAML sai ({raw})"


def load_yaml_text(text: str, file: str, *, role: str = "dac_ta") -> LoadedYaml:
    """Parse YAML text into data and marks; raise the role's error (SpecError for a spec) with file:line:column."""
    error = role_error(role)
    limits = current_limits()
    if len(text) > limits.tep_yaml:
        raise LimitError(Problem("LIMIT_FILE_SIZE", f"văn bản YAML dài {format_number(len(text))} ký tự, quá giới hạn "
                                 f"{limits.describe('tep_yaml')}", Location(file=file),
                                 hint="Để bảng lớn trong tệp .csv hoặc .xlsx thay cho YAML."))
    text = nfc(text)
    surrogate = _SURROGATE.search(text)
    if surrogate:  # only a program can hand these in (no file decodes to one); libyaml cannot even take them
        line = text.count("\n", 0, surrogate.start()) + 1
        raise error(Problem("SPEC_YAML" if role == "dac_ta" else "DATA_FORMAT",
                            f"có ký tự thay thế lẻ U+{ord(surrogate[0]):04X} (không phải chữ)",
                            Location(file=file, line=line),
                            hint="Văn bản đưa vào phải là Unicode hợp lệ; kiểm tra cách chương trình gọi đọc tệp."))
    loader: yaml.SafeLoader | None = None
    try:
        try:
            loader = _loader_for(text)(text)  # the Python reader checks the characters here already
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            loc = Location(file=file, line=mark.line + 1, column=mark.column + 1) if mark else Location(file=file)
            raise error(Problem(
                "SPEC_YAML" if role == "dac_ta" else "DATA_FORMAT", _yaml_message(exc), loc,
                hint="Kiểm tra thụt lề (dấu cách), dấu ':' và dấu ngoặc kép ở dòng này hoặc dòng trước.",
            )) from None
        except yaml.YAMLError as exc:
            raise error(Problem("SPEC_YAML" if role == "dac_ta" else "DATA_FORMAT", _reader_message(exc),
                                Location(file=file))) from None
        except RecursionError:
            raise LimitError(Problem("LIMIT_YAML", f"YAML lồng quá sâu (quá {limits.do_sau} mức)",
                                     Location(file=file))) from None
        result = LoadedYaml(data=None, file=file, marks={}, key_marks={})
        if root is None:
            return result
        builder = _Builder(loader, result, limits.nut_yaml, limits.do_sau, role)
        result.data = builder.build(root, ())
        if builder.problems:
            raise error(builder.problems)
        return result
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_input(file: InputFile, *, role: str = "dac_ta") -> LoadedYaml:
    """Parse a YAML (or JSON) file already read and checked by engine.trust."""
    return load_yaml_text(decode_text(file, role=role).text, file.name, role=role)


def load_yaml_file(path: str | Path, *, shown_as: str | None = None, role: str = "dac_ta") -> LoadedYaml:
    """Read and parse a YAML file a user named; a missing, unreadable or oversized file is a named error."""
    path = Path(path)
    shown = shown_as or str(path)
    return load_yaml_input(read_file(path, role=role, shown=shown, limit="tep_yaml"), role=role)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, result: LoadedYaml, max_nodes: int, max_depth: int, role: str):
        self.loader = loader
        self.result = result
        self.count = 0
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.code = "SPEC_VALUE" if role == "dac_ta" else "DATA_FORMAT"
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > self.max_nodes or len(path) > self.max_depth:
            what = (f"quá {format_number(self.max_nodes)} giá trị" if self.count > self.max_nodes
                    else f"lồng quá {self.max_depth} mức")
            raise LimitError(Problem(
                "LIMIT_YAML", f"tệp YAML {what} (có thể do bí danh YAML lặp)",
                Location(file=self.result.file, line=_mark(node)[0], column=_mark(node)[1]),
                hint="Để bảng lớn trong tệp .csv hoặc .xlsx; nếu tệp đúng là lớn, nâng giới hạn nut_yaml hoặc do_sau.",
            ))
        self.result.marks[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            try:
                self.loader.flatten_mapping(node)  # merge keys (<<: *base)
            except yaml.constructor.ConstructorError:
                self._cannot_read(node, "không gộp được khóa '<<': nó phải trỏ tới một bảng khóa: giá trị "
                                        "(hoặc một danh sách các bảng)")
                return {}
            out: dict[Any, Any] = {}
            first_seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):  # a list or a table as a key ("? [a, b]")
                    self._cannot_read(key_node, "khóa phải là chữ hoặc số, không phải danh sách hay bảng")
                    continue
                key = self._scalar(key_node)
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
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except _NumberTooLarge as exc:
            line, col = _mark(node)
            raise LimitError(Problem("LIMIT_NUMBER", f"{exc}: quá lớn để là một số liệu",
                                     Location(file=self.result.file, line=line, column=col),
                                     hint="Kiểm tra lại số này; nếu đó là mã, đặt trong ngoặc kép.")) from None
        except (yaml.constructor.ConstructorError, ArithmeticError, ValueError, TypeError, AttributeError,
                LookupError):
            # An explicit tag on a value it cannot read (!!timestamp abc, !!binary é …) fails inside PyYAML.
            shown = str(node.value)
            self._cannot_read(node, f"không đọc được giá trị '{shown if len(shown) <= 60 else shown[:59] + '…'}'")
            return None

    def _cannot_read(self, node: yaml.Node, message: str) -> None:
        line, col = _mark(node)
        self.problems.append(Problem(self.code, message, Location(file=self.result.file, line=line, column=col)))
