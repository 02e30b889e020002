"""Turn a .docx template into the list of its Jinja tags, each with its part and paragraph.

Used to say where a template error is in the author's terms (the part and the paragraph's
text, never a line of docxtpl's rewritten XML), and to find tags that Word split across
runs, which docxtpl would otherwise skip or break silently.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from engine.trust.packages import safe_parser

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": W}
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_OPEN = re.compile(r"\{[{%#]")

PART_NAMES = {
    "word/document.xml": "thân văn bản",
    "word/footnotes.xml": "chú thích",
}


def part_label(name: str) -> str:
    """Vietnamese name of a package part: thân văn bản, đầu trang 1, chân trang 1 …"""
    if name in PART_NAMES:
        return PART_NAMES[name]
    m = re.match(r"word/(header|footer)(\d*)\.xml", name)
    if m:
        return ("đầu trang " if m[1] == "header" else "chân trang ") + (m[2] or "1")
    return name


@dataclass(frozen=True)
class TemplateTag:
    """One Jinja tag found in a template paragraph."""

    part: str  # e.g. "thân văn bản"
    paragraph_index: int  # 1-based, in document order within the part
    paragraph_text: str
    tag: str
    split_across_runs: bool
    unclosed: bool = False  # an opening {{, {% or {# with no end in its paragraph


def _text_parts(package: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        names = [n for n in z.namelist()
                 if re.match(r"word/(document|header\d*|footer\d*|footnotes)\.xml$", n)]
        return [(n, z.read(n)) for n in sorted(names, key=lambda n: (n != "word/document.xml", n))]


def template_tags(package: bytes) -> list[TemplateTag]:
    """Every Jinja tag in the template's body, headers and footers, in order."""
    found: list[TemplateTag] = []
    for name, xml in _text_parts(package):
        root = etree.fromstring(xml, safe_parser())
        # Keyed by the elements themselves: the dict keeps lxml's proxies alive, so a table met again is the same.
        tables = {table: number for number, table in enumerate(root.iter(f"{{{W}}}tbl"), start=1)}
        for index, paragraph in enumerate(root.iter(f"{{{W}}}p"), start=1):
            runs = [
                "".join(t.text or "" for t in run.iter(f"{{{W}}}t"))
                for run in paragraph.iter(f"{{{W}}}r")
            ]
            text = "".join(runs)
            if not _OPEN.search(text):
                continue
            # Character spans of each run, to see whether a tag lies inside one run.
            spans, start = [], 0
            for run_text in runs:
                spans.append((start, start + len(run_text)))
                start += len(run_text)
            part = part_label(name) + _cell_of(paragraph, tables)
            for m in TAG.finditer(text):
                inside_one = any(a <= m.start() and m.end() <= b for a, b in spans)
                found.append(TemplateTag(part, index, text, m.group(0), not inside_one))
            # An opening with no end in the paragraph: docxtpl would join it to a later paragraph's
            # tag and drop everything in between without a word.
            rest = TAG.sub(lambda m: " " * len(m.group(0)), text)
            if opening := _OPEN.search(rest):
                found.append(TemplateTag(part, index, text, text[opening.start():].strip(), False, True))
    return found


def _cell_of(paragraph: etree._Element, tables: dict[etree._Element, int]) -> str:
    """", bảng 2, ô 3.1" for a paragraph in a table cell (row 3, column 1), else ""."""
    cell = next(paragraph.iterancestors(f"{{{W}}}tc"), None)
    if cell is None:
        return ""
    row = cell.getparent()
    table = row.getparent() if row is not None else None
    if row is None or table is None or table not in tables:
        return ""
    row_number = [r for r in table if r.tag == f"{{{W}}}tr"].index(row) + 1
    column = [c for c in row if c.tag == f"{{{W}}}tc"].index(cell) + 1
    return f", bảng {tables[table]}, ô {row_number}.{column}"


def find_paragraphs(package: bytes, needle: str) -> list[TemplateTag]:
    """Tags whose text mentions ``needle`` (a variable name from an error message)."""
    pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)")
    return [t for t in template_tags(package) if pattern.search(t.tag)]


def paragraphs_with_text(package: bytes, text: str) -> list[TemplateTag]:
    """Tags in paragraphs whose text contains ``text`` (to place a syntax error)."""
    text = " ".join(text.split())
    return [t for t in template_tags(package) if text and text in " ".join(t.paragraph_text.split())]
