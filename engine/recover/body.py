"""Turn the body's lines into the spec's blocks: numbered headings (I., 1., 1.1., a)) and what they hold, lists.

The numbering is read from the text, as clerks type it ("1. ", "2.1. ", "a) ", "- ", "+ "); Word's
automatic list numbering is not in the text and is not read. A heading's title is its emphasised lead
(bold, or italic for an điểm a)); without emphasis a short line is a title and a long one is a number
followed by its paragraph, and "Kết quả đạt được: Nhìn chung …" splits at its colon. Headings nest by
level (mục > khoản > tiểu khoản > điểm); a number the engine would not give at that place is kept as
``so:``; the closing "Trên đây là …" paragraph goes back to the top level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.context import heading_number
from engine.recover.document import Line

__all__ = ["Block", "read_blocks"]

RANKS = {"muc": 0, "khoan": 1, "tieu_khoan": 2, "diem": 3}
_HEADINGS = (
    ("muc", re.compile(r"^(?P<n>[IVXLC]{1,6})\.(?:\s+|$)")),
    ("tieu_khoan", re.compile(r"^(?P<n>\d{1,2}\.\d{1,2}(?:\.\d{1,2})*)\.?(?:\s+|$)")),
    ("khoan", re.compile(r"^(?P<n>\d{1,2})\.(?:\s+|$)")),
    ("diem", re.compile(r"^(?P<n>[a-zđ])\)(?:\s+|$)")),
)
_DASH = re.compile(r"^[-–]\s+")
_PLUS = re.compile(r"^\+\s+")
_CLOSING = re.compile(r"^(Trên đây là|Trên đây)\b")
TITLE_AT_MOST = 120  # characters: a longer unemphasised line after a number is a paragraph, not a title


@dataclass
class Block:
    """One spec block: ``kind`` is doan, gach, cong or a heading level; headings hold their children."""

    kind: str
    texts: list[str] = field(default_factory=list)  # doan: one; gach/cong: the items
    title: str = ""
    after: str = ""  # a heading's paragraph on its own line
    number: str | None = None  # the number as printed when the engine would number it otherwise
    children: list[Block] = field(default_factory=list)
    paragraph: int = 0

    def as_spec(self) -> dict[str, Any]:
        if self.kind == "doan":
            return {"doan": self.texts[0]}
        if self.kind in ("gach", "cong"):
            return {self.kind: self.texts if len(self.texts) > 1 else self.texts[0]}
        spec: dict[str, Any] = {self.kind: self.title}
        if self.number is not None:
            spec["so"] = self.number
        if self.after:
            spec["doan"] = self.after
        if self.children:
            spec["noi_dung"] = [child.as_spec() for child in self.children]
        return spec


def _heading(line: Line) -> tuple[str, str, str, str] | None:
    """(level, number as printed, title, paragraph after) of a numbered heading line, or None."""
    text = line.text
    for level, pattern in _HEADINGS:
        match = pattern.match(text)
        if not match:
            continue
        printed = match[0].strip()
        if level == "tieu_khoan" and not printed.endswith("."):
            printed += "."  # "1.1 Title" is printed "1.1." by the engine; the number is the same
        rest = text[match.end():].strip()
        head = line.bold_head if level != "diem" else (text if line.italic else "")
        if head and head.startswith(match[0].strip()):
            title = head[len(match[0].strip()):].strip()
            after = text[len(head):].strip() if text.startswith(head) else ""
            if level != "diem" and after:
                after = line.marked_after_head or after  # the looks inside the paragraph after a bold lead
            return level, printed, title, after
        if line.bold:
            return level, printed, rest, ""
        colon = rest.find(": ")
        if 0 < colon <= 80:
            return level, printed, rest[:colon + 1], rest[colon + 2:].strip()
        if len(rest) <= TITLE_AT_MOST and not rest.endswith((".", ";")):
            return level, printed, rest, ""
        return level, printed, "", rest
    return None


def _auto_number(level: str, index: int, parent: str) -> str:
    """The number the engine gives there (engine.context.heading_number), or '' past the last letter of điểm."""
    try:
        return heading_number(level, index, parent)
    except ValueError:
        return ""


def read_blocks(lines: list[Line]) -> list[Block]:
    """The body's lines as nested blocks; every line's text is kept whole, in order."""
    root: list[Block] = []
    stack: list[tuple[int, Block, str]] = []  # (rank, heading, its printed number)
    counters: dict[int, dict[str, int]] = {}  # per container (id of its children list): level → count

    def container() -> list[Block]:
        return stack[-1][1].children if stack else root

    def parent_number() -> str:
        return stack[-1][2] if stack else ""

    for line in lines:
        text = line.text
        written = line.marked or text  # with the looks inside it as markup
        if _CLOSING.match(text):
            stack.clear()
        heading = _heading(line)
        if heading is not None:
            level, printed, title, after = heading
            rank = RANKS[level]
            while stack and stack[-1][0] >= rank:
                stack.pop()
            children = container()
            counts = counters.setdefault(id(children), {})
            counts[level] = counts.get(level, 0) + 1
            expected = _auto_number(level, counts[level], parent_number())
            block = Block(level, title=title, after=after, number=None if printed == expected else printed,
                          paragraph=line.paragraph)
            children.append(block)
            stack.append((rank, block, printed))
            continue
        for kind, pattern in (("gach", _DASH), ("cong", _PLUS)):
            if pattern.match(written):
                item = pattern.sub("", written, count=1)
                children = container()
                if children and children[-1].kind == kind:
                    children[-1].texts.append(item)
                else:
                    children.append(Block(kind, [item], paragraph=line.paragraph))
                break
        else:
            container().append(Block("doan", [written], paragraph=line.paragraph))
    return root
