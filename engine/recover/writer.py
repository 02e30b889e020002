"""Turn a recovered spec (plain data) and notes on its fields into YAML text a clerk reads and edits.

PyYAML writes no comments and folds text where it likes; a spec that a clerk finishes by hand should
read like the fixtures: block style, one key a line, long text folded at spaces under ``>-``, a comment
above a field the engine could not fill or a number it left as text. Every string is written in the
plainest style that reads back as the same string (each choice is checked by loading it), and the
whole text is loaded back with the engine's own YAML reader and compared with the data before it is
given out: what is written is exactly what was recovered.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import yaml

from engine.errors import Location, OutputError, Problem

__all__ = ["dump_spec"]

WIDTH = 100  # columns for folded text
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Path = tuple[str | int, ...]


def _reads_back(snippet: str, value: Any) -> bool:
    try:
        return yaml.safe_load(snippet) == {"k": value}
    except yaml.YAMLError:
        return False


# What YAML lets stand as itself in a file (YAML 1.1 § 5.1), less the characters it reads as line breaks
# (NEL, LS, PS): anything else is written as an escape.
_NOT_AS_IS = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _quoted(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar (the same escapes); what YAML would not read as itself is escaped.
    return _NOT_AS_IS.sub(_escape, json.dumps(text, ensure_ascii=False))


def _folded(text: str, indent: int) -> list[str] | None:
    """``text`` folded at single spaces into lines of at most WIDTH columns, or None if folding would change it."""
    if "\n" in text or text != text.strip() or "  " in text or "\t" in text or len(text) <= WIDTH - indent - 10:
        return None
    # Fold at single spaces, never inside an expression {{ … }}.
    inside = [False] * len(text)
    for match in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text):
        for position in range(match.start(), match.end()):
            inside[position] = True
    breaks = [i for i, c in enumerate(text) if c == " " and not inside[i]]
    lines: list[str] = []
    begin = 0
    last = None
    for position in breaks:
        if indent + position - begin > WIDTH and last is not None:
            lines.append(text[begin:last])
            begin = last + 1
        last = position
    if indent + len(text) - begin > WIDTH and last is not None and last >= begin:
        lines.append(text[begin:last])
        begin = last + 1
    lines.append(text[begin:])
    if len(lines) < 2 or any(line.startswith((" ", "#")) for line in lines[1:]):
        return None
    return lines


def _scalar(value: Any, indent: int) -> list[str]:
    """A scalar as the text after "key: " (first line) and, for folded text, the lines under it."""
    if value is None:
        return ["null"]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (int, float, Decimal)):
        return [str(value)]
    text = str(value)
    if _NOT_AS_IS.search(text):
        return [_quoted(text)]
    folded = _folded(text, indent + 2)
    if folded is not None:
        block = ">-\n" + "\n".join(" " * (indent + 2) + line for line in folded)
        if _reads_back("k: " + block.replace("\n" + " " * (indent + 2), "\n  "), text):
            return [">-", *(" " * (indent + 2) + line for line in folded)]
    if text and _reads_back(f"k: {text}", text) and not text.startswith(("{", "[", "*", "&", "!", "|", ">", "'",
                                                                          '"', "%", "@", "`", "#", "-", "?")):
        return [text]
    return [_quoted(text)]


def _key(key: str | int) -> str:
    text = str(key)
    return text if isinstance(key, int) or _PLAIN_KEY.match(text) else _quoted(text)


def _flow(value: Any) -> str | None:
    """A short mapping or list of plain scalars on one line ("{nam: 2023}"), or None."""
    if isinstance(value, dict) and value and all(
            (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and len(v) <= 24 and " " not in v)
            for v in value.values()):
        items = []
        for key, item in value.items():
            shown = _scalar(item, 0)
            if len(shown) != 1 or shown[0].startswith((">", '"')) or any(c in shown[0] for c in ",{}[]:#"):
                return None
            items.append(f"{_key(key)}: {shown[0]}")
        text = "{" + ", ".join(items) + "}"
        return text if len(text) <= 60 else None
    return None


def _emit(value: Any, path: Path, indent: int, comments: dict[Path, str], out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, key)
            for line in comments.get(here, "").splitlines():
                out.append(f"{pad}# {line}")
            _emit_entry(f"{pad}{_key(key)}:", item, here, indent, comments, out)
        return
    for index, item in enumerate(value):
        here = (*path, index)
        for line in comments.get(here, "").splitlines():
            out.append(f"{pad}# {line}")
        if isinstance(item, dict) and item and _flow(item) is None:
            first = len(out)
            _emit(item, here, indent + 2, comments, out)
            # The first line of the mapping takes the dash ("- key: …").
            for position in range(first, len(out)):
                if not out[position].lstrip().startswith("#"):
                    out[position] = pad + "- " + out[position][indent + 2:]
                    break
        else:
            _emit_entry(f"{pad}-", item, here, indent, comments, out)


def _emit_entry(lead: str, item: Any, here: Path, indent: int, comments: dict[Path, str], out: list[str]) -> None:
    if isinstance(item, (dict, list)):
        if not item:
            out.append(f"{lead} {'{}' if isinstance(item, dict) else '[]'}")
            return
        flow = _flow(item)
        if flow is not None:
            out.append(f"{lead} {flow}")
            return
        out.append(lead)
        _emit(item, here, indent + 2, comments, out)
        return
    shown = _scalar(item, indent)
    out.append(f"{lead} {shown[0]}")
    out.extend(shown[1:])


def dump_spec(spec: dict[str, Any], *, comments: dict[Path, str] | None = None, header: str = "") -> str:
    """The YAML text of ``spec`` with ``comments`` above the fields they name, checked by reading it back."""
    from engine.spec.yamlload import load_yaml_text

    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    _emit(spec, (), 0, comments or {}, out)
    text = "\n".join(out) + "\n"
    again = load_yaml_text(text, "<dac_ta>").data
    if _plain(again) != _plain(spec):
        raise OutputError(Problem("OUTPUT_PATH", "đặc tả khôi phục không ghi lại được thành YAML đúng như đã đọc",
                                  Location(file="<dac_ta>"), hint="Báo nhóm phát triển kèm văn bản gốc."))
    return text


def _plain(value: Any) -> Any:
    """Data as YAML gives it back (exact numbers as ints where whole), for the comparison."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, int) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        value = Decimal(repr(value))  # as YAML reads it back: the decimal the float prints as
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else value
    return value
