"""Turn a document's layout into a readable outline, for people and for golden-file tests.

One line per paragraph, each naming the paragraph (its number, place and text), so a diff of
two snapshots says which paragraph moved: ``¶12 thân | căn đều …`` changed from 14 to 13 pt.
The text form is what the golden tests compare; ``as_yaml`` gives the same facts as data for
other programs. Both come from :func:`engine.render.layout.read_layout` and touch no XML.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict

import yaml

from engine.render.layout import Layout, Paragraph, Run, Section, Table

ALIGNMENT = {"left": "trái", "center": "giữa", "right": "phải", "both": "đều", "distribute": "dàn đều"}


def _num(value: float) -> str:
    return f"{value:g}"


def _look(run: Run) -> str:
    parts = [run.font or "(phông mặc định)", _num(run.size) if run.size else "?pt"]
    for flag, word in ((run.bold, "đậm"), (run.italic, "nghiêng"), (run.underline, "gạch chân"), (run.caps, "hoa"),
                       (run.position == "superscript", "chỉ số trên"), (run.position == "subscript", "chỉ số dưới")):
        if flag:
            parts.append(word)
    return " ".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def paragraph_line(p: Paragraph) -> str:
    """``¶12 thân | đều, đầu dòng 1.27cm, trước 6 sau 0pt, dòng 1.15 | Times New Roman 14: "…"``."""
    shape = [ALIGNMENT.get(p.alignment, p.alignment)]
    if p.first_line_cm:
        shape.append(f"đầu dòng {_num(p.first_line_cm)}cm")
    if p.left_cm or p.right_cm:
        shape.append(f"lề {_num(p.left_cm)}/{_num(p.right_cm)}cm")
    shape.append(f"trước {_num(p.before_pt)} sau {_num(p.after_pt)}pt")
    shape.append(f"dòng {p.line}")
    if p.borders:
        shape.append("kẻ " + "+".join(p.borders))
    if p.page_break_before:
        shape.append("sang trang")
    if p.shapes:
        shape.append(f"{p.shapes} hình vẽ")
    if p.notes:
        shape.append(f"{p.notes} chú thích")
    if p.style not in ("Normal", ""):
        shape.insert(0, f"[{p.style}]")
    head = f"¶{p.number} {p.place} | {', '.join(shape)}"
    fields = f" | trường {' '.join(p.fields)}" if p.fields else ""
    if not p.runs:
        return f"{head}{fields} | (trống, {_look(p.mark)})"
    looks = {_look(r) for r in p.runs}
    if len(looks) == 1:
        return f"{head}{fields} | {looks.pop()}: {_quote(p.text)}"
    return f"{head}{fields} | " + " + ".join(f"{_look(r)}: {_quote(r.text)}" for r in p.runs)


def table_lines(t: Table) -> list[str]:
    grid = " + ".join(_num(c) for c in t.grid_cm)
    lines = [f"bảng {t.number}{f' (trong bảng {t.nested_in})' if t.nested_in else ''} | lưới {grid} cm"
             f"{f', rộng {_num(t.width_cm)}cm' if t.width_cm else ''}, căn {ALIGNMENT.get(t.alignment, t.alignment)}"
             f", viền {t.borders}, {len(t.rows)} hàng, lặp tiêu đề {t.header_rows}"]
    for number, row in enumerate(t.rows, start=1):
        cells = []
        for cell in row:
            mark = f"c{cell.column}"
            if cell.span > 1:
                mark += f"-{cell.column + cell.span - 1}"
            if cell.merge == "restart":
                mark += " gộp↓"
            elif cell.merge == "continue":
                mark += " ↑"
            if cell.width_cm is not None:
                mark += f" {_num(cell.width_cm)}"
            cells.append(mark)
        lines.append(f"  hàng {number}: " + " | ".join(cells))
    return lines


def section_lines(s: Section) -> list[str]:
    page = "A4" if (round(min(s.width_mm, s.height_mm)), round(max(s.width_mm, s.height_mm))) == (210, 297) else ""
    numbering = []
    if s.title_page:
        numbering.append("trang đầu khác")
    if s.page_start is not None:
        numbering.append(f"số trang bắt đầu {s.page_start}")
    if s.page_format:
        numbering.append(f"kiểu số {s.page_format}")
    lines = [
        f"section {s.number} | {page} {s.orientation} {_num(s.width_mm)}×{_num(s.height_mm)}mm"
        f" | lề trên {_num(s.top_mm)} dưới {_num(s.bottom_mm)} trái {_num(s.left_mm)} phải {_num(s.right_mm)}mm"
        f" | đầu trang {_num(s.header_mm)} chân trang {_num(s.footer_mm)}mm"
        + (f" | {', '.join(numbering)}" if numbering else "")
    ]
    for parts in (s.headers, s.footers):
        for kind in sorted(parts):
            for p in parts[kind]:
                lines.append("  " + paragraph_line(p))
    return lines


def as_text(layout: Layout) -> str:
    """The outline: sections with their headers, then every table and paragraph in order."""
    lines: list[str] = []
    for section in layout.sections:
        lines.extend(section_lines(section))
    current = 0
    for block in layout.blocks:
        if block.section != current:
            current = block.section
            lines.append(f"== section {current}")
        if isinstance(block, Table):
            lines.extend(table_lines(block))
        else:
            lines.append(paragraph_line(block))
    if layout.footnotes:
        lines.append("== chú thích cuối trang")
        lines.extend(paragraph_line(p) for p in layout.footnotes)
    return "\n".join(lines) + "\n"


def as_yaml(layout: Layout) -> str:
    """The same facts as YAML data (sections, then blocks with a ``kind`` of paragraph or table)."""
    blocks = []
    for block in layout.blocks:
        item = asdict(block)
        item["kind"] = "table" if isinstance(block, Table) else "paragraph"
        if isinstance(block, Paragraph):
            item["text"] = block.text
        blocks.append(item)
    data = {"sections": [asdict(s) for s in layout.sections], "blocks": blocks}
    return yaml.safe_dump(_plain(data), allow_unicode=True, sort_keys=False, width=1000)


def _plain(value):
    """Tuples to lists, so that safe_dump writes plain YAML sequences."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot_diff(expected: str, obtained: str, *, expected_name: str = "mong đợi",
                  obtained_name: str = "nhận được") -> str:
    """A unified diff of two snapshots ("" when equal); each changed line names its paragraph."""
    if expected == obtained:
        return ""
    return "".join(difflib.unified_diff(expected.splitlines(keepends=True), obtained.splitlines(keepends=True),
                                        fromfile=expected_name, tofile=obtained_name, n=1))
