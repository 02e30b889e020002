"""Turn a table read off a document into the data and spec entries that print it again, from the same figures.

A phụ lục table is recognised by its shape and matched against the frameworks (the shipped ones and
any the user names):

- an index table (STT | name | the indices under their groups | earned | converted | class) becomes a
  ``cham_diem`` entry on the matching index framework and a ``bang_chi_so`` phụ lục; its data is the
  table itself written as a CSV exactly as the page shows it (title-less, merged header cells written
  the CSV way, the column-number row, the group row), read back by the export reader with ``cot:``
  naming each column by the path of its header cells — so next month's export of the same table drops
  in in its place; the earned, converted and class columns are kept as stated figures the audit checks;
- a ranking table (Stt | name | score | change | more columns) becomes an entry at the total level and
  a ``bang_xep_hang`` phụ lục; the previous period's score the change was computed from is written as a
  column of its own (score − change), so the engine computes the change again;
- a criteria table (criteria with their sub-criteria, records and points) becomes a ``tieu_chi`` entry
  with the record counts per level and the levels marked "x";
- any other table becomes a data file of its rows and a ``bang`` phụ lục that prints its columns.

Nothing is copied as a figure the engine derives: those are recomputed, and where the document's own
figure differs the audit says so.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.recover.document import Grid
from engine.scoring.models import CriteriaFramework, IndexFramework
from engine.vn.numbers import format_number

__all__ = ["RecoveredTable", "column_paths", "header_depth", "recover_table", "slug"]

PATH_SEPARATOR = " / "
_NUMBERING = re.compile(r"^\(?\s*(\d{1,3}|[A-Z])\s*\)?$")
_VI_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?%?$")


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def _key(text: str) -> str:
    return _fold(text).casefold()


def number(text: str) -> Decimal | None:
    """A number as the page writes it ("72,1", "1.147", "-0,8", "97,4%"), or None."""
    cleaned = _fold(text).replace("\u2212", "-")
    if not _VI_NUMBER.match(cleaned):
        return None
    try:
        return Decimal(cleaned.rstrip("%").replace(".", "").replace(",", "."))
    except InvalidOperation:
        return None


def _numeric(text: str) -> bool:
    return number(text) is not None or _fold(text) in ("-", "—", "–")


def is_numbering(cells: tuple[str, ...]) -> bool:
    filled = [_fold(c) for c in cells if _fold(c)]
    return len(filled) >= 3 and all(_NUMBERING.match(c) for c in filled)


def header_depth(grid: Grid) -> tuple[int, int | None]:
    """(rows of header text, the column-number row's index or None) at the top of the table."""
    for index, row in enumerate(grid.cells[:8]):
        if is_numbering(row):
            return index, index
        filled = [c for c in row if _fold(c)]
        if index and sum(_numeric(c) for c in filled) >= 2:
            return index, None
    return min(len(grid.cells), 1), None


def column_paths(grid: Grid, depth: int) -> list[tuple[str, ...]]:
    """Each grid column's header path, top to bottom, a merged cell counted once."""
    paths: list[list[str]] = [[] for _ in range(grid.width)]
    for row in range(depth):
        start = None
        for column in range(grid.width):
            if grid.spans[row][column]:
                start = column
            if start is None or grid.continued[row][start]:
                continue
            text = _fold(grid.cells[row][start])
            if text and (not paths[column] or paths[column][-1] != text):
                paths[column].append(text)
    return [tuple(p) for p in paths]


def _joined(path: tuple[str, ...]) -> str:
    return PATH_SEPARATOR.join(path)


@dataclass
class RecoveredTable:
    """What a table becomes: its kind, the scoring entry, the phụ lục fields, and the data file."""

    kind: str
    appendix: dict[str, Any]
    data_name: str
    data: bytes
    scoring: dict[str, Any] | None = None
    data_set: str | None = None  # for a ``bang``: the data name its rows are read from
    framework: str | None = None
    notes: list[str] = field(default_factory=list)


def _csv(rows: list[list[str]]) -> bytes:
    """The rows as a CSV the way Vietnamese Excel writes it: ';' between cells, UTF-8 with a BOM."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _as_printed(grid: Grid) -> list[list[str]]:
    """The table's cells row by row, a merged range's text in its first cell and blanks in the rest."""
    return [[_fold(text).replace("\n", " ") if grid.spans[r][c] and not grid.continued[r][c] else ""
             for c, text in enumerate(row)] for r, row in enumerate(grid.cells)]


def _similar(a: str, b: str) -> float:
    a, b = _key(a), _key(b)
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b).ratio()


def _find(paths: list[tuple[str, ...]], *words: str, exclude: set[int] = frozenset()) -> int | None:
    for column, path in enumerate(paths):
        if column in exclude or not path:
            continue
        key = _key(_joined(path))
        if all(word in key for word in words):
            return column
    return None


def _name_column(grid: Grid, paths: list[tuple[str, ...]], first_data: int) -> int | None:
    named = _find(paths, "tên") or _find(paths, "đơn vị")
    if named is not None:
        return named
    best, best_count = None, 0
    for column in range(grid.width):
        values = {grid.cells[r][column] for r in range(first_data, len(grid.cells)) if _fold(grid.cells[r][column])}
        if values and not all(_numeric(v) for v in values) and len(values) > best_count:
            best, best_count = column, len(values)
    return best


def _data_rows(grid: Grid, first: int, name: int) -> list[int]:
    """Rows of units: a name and at least one number (group rows and notes are not units)."""
    rows = []
    for r in range(first, len(grid.cells)):
        cells = grid.cells[r]
        if not _fold(cells[name]):
            continue
        if any(_numeric(cells[c]) for c in range(grid.width) if c != name and c > 0):
            rows.append(r)
    return rows


# ----- index tables ----------------------------------------------------------------------------------------


def _match_index_framework(framework: IndexFramework, paths: list[tuple[str, ...]]) -> dict[str, int] | None:
    """Index code → column, when every index of ``framework`` has a column of its own; else None."""
    taken: set[int] = set()
    found: dict[str, int] = {}
    for group, index in framework.indices():
        expected = [(group.ten, index.ten)]
        if len(group.chi_so) == 1:
            expected.insert(0, (group.ten,))
        best, best_score = None, 0.0
        for column, path in enumerate(paths):
            if column in taken or not path:
                continue
            for tail in expected:
                if len(path) < len(tail):
                    continue
                score = min(_similar(a, b) for a, b in zip(path[-len(tail):], tail, strict=True))
                if score > best_score:
                    best, best_score = column, score
        if best is None or best_score < 0.8:
            return None
        taken.add(best)
        found[index.ma] = best
    return found


_STATED = (("dat_duoc_ghi", ("đạt được",)), ("quy_doi_ghi", ("quy đổi",)), ("xep_loai_ghi", ("xếp loại",)),
           ("xep_hang_ghi", ("xếp hạng",)), ("xep_hang_ghi", ("thứ hạng",)))


def _index_table(grid: Grid, frameworks: list[IndexFramework], name: str) -> RecoveredTable | None:
    depth, numbering = header_depth(grid)
    paths = column_paths(grid, depth)
    matches = [(f, m) for f in frameworks if (m := _match_index_framework(f, paths))]
    if not matches or depth == 0:
        return None
    framework, columns = max(matches, key=lambda item: (len(item[1]), -len(item[0].index_codes())))
    first = depth + (1 if numbering is not None else 0)
    unit = _name_column(grid, paths, first)
    if unit is None:
        return None
    cot: dict[str, str] = {"don_vi": _joined(paths[unit])}
    used = {unit, *columns.values()}
    for code in framework.index_codes():
        cot[code] = _joined(paths[columns[code]])
    for field_name, words in _STATED:
        column = _find(paths, *words, exclude=used)
        if column is not None and field_name not in cot:
            cot[field_name] = _joined(paths[column])
            used.add(column)
    # The table's group rows ("I | UBND CÁC XÃ, THỊ TRẤN") stay in the data: the phụ lục prints them from there.
    appendix: dict[str, Any] = {"mau": "bang_chi_so"}
    data_name = f"{name}.csv"
    scoring = {"bo_tieu_chi": framework.ma, "du_lieu": data_name, "cot": cot}
    return RecoveredTable("bang_chi_so", appendix, data_name, _csv(_as_printed(grid)), scoring, framework=framework.ma)


# ----- ranking tables --------------------------------------------------------------------------------------


def _ranking_table(grid: Grid, framework: IndexFramework, name: str) -> RecoveredTable | None:
    depth, numbering = header_depth(grid)
    if depth != 1:
        return None
    paths = column_paths(grid, depth)
    first = depth + (1 if numbering is not None else 0)
    unit = _name_column(grid, paths, first)
    score = _find(paths, "điểm", exclude={unit} if unit is not None else set())
    if unit is None or score is None:
        return None
    change = _find(paths, "tăng", exclude={unit, score}) or _find(paths, "giảm", exclude={unit, score})
    rows = _data_rows(grid, first, unit)
    if not rows or any(number(grid.cells[r][score]) is None for r in rows):
        return None
    extra = [c for c in range(grid.width) if c not in (0, unit, score, change) and paths[c]
             and all(_numeric(grid.cells[r][c]) or not _fold(grid.cells[r][c]) for r in rows)]
    header = [_joined(paths[c]) for c in range(grid.width)]
    previous_header = "Điểm kỳ trước (điểm trừ mức tăng, giảm)"
    table = [[*header, *([previous_header] if change is not None else [])]]
    for r in rows:
        cells = [_fold(c) for c in grid.cells[r]]
        if change is not None:
            value, moved = number(cells[score]), number(cells[change])
            decimals = max(_decimals(cells[score]), _decimals(cells[change]))
            cells.append(format_number(value - moved, decimals) if value is not None and moved is not None else "")
        table.append(cells)
    them: dict[str, str] = {}
    for c in extra:
        key = slug(paths[c][-1])
        while key in them:
            key += "_2"
        them[key] = header[c]
    cot = {"don_vi": header[unit], "tong": header[score]}
    if change is not None:
        cot["ky_truoc"] = previous_header
    appendix: dict[str, Any] = {"mau": "bang_xep_hang", "cot_ten": header[unit], "cot_diem": header[score]}
    if change is not None:
        appendix["cot_tang_giam"] = header[change]
    if them:
        appendix["cot_them"] = {header: key for key, header in them.items()}
    data_name = f"{name}.csv"
    scoring: dict[str, Any] = {"bo_tieu_chi": framework.ma, "du_lieu": data_name, "muc_chi_tiet": "tong", "cot": cot}
    if them:
        scoring["them"] = them
    notes = ["cột 'Điểm kỳ trước' của tệp số liệu tính từ điểm và mức tăng, giảm văn bản ghi, để chương trình tính "
             "lại mức tăng, giảm"] if change is not None else []
    return RecoveredTable("bang_xep_hang", appendix, data_name, _csv(table), scoring, framework=framework.ma,
                          notes=notes)


def slug(text: str, words: int = 3) -> str:
    """A name for a column in expressions: its first words without diacritics ("Tiến độ giải quyết" → tien_do_giai).

    >>> slug("Tiến độ giải quyết hồ sơ (đo lường …)")
    'tien_do_giai'
    """
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    pieces = re.findall(r"[a-z0-9]+", plain)[:words]
    name = "_".join(pieces) or "cot"
    return name if name[0].isalpha() else f"cot_{name}"


def _decimals(text: str) -> int:
    folded = _fold(text).rstrip("%")
    return len(folded.split(",", 1)[1]) if "," in folded else 0


# ----- criteria tables -------------------------------------------------------------------------------------


def _criteria_table(grid: Grid, frameworks: list[CriteriaFramework], name: str) -> RecoveredTable | None:
    import yaml

    depth, numbering = header_depth(grid)
    paths = column_paths(grid, max(depth, 1))
    criterion_col = _find(paths, "tiêu chí")
    records = _find(paths, "hồ sơ")
    points = _find(paths, "tự đánh giá") or _find(paths, "điểm", exclude={c for c in (criterion_col, records)
                                                                         if c is not None} | {_find(paths, "tối đa")})
    note = _find(paths, "ghi chú")
    if criterion_col is None or points is None:
        return None
    first = depth + (1 if numbering is not None else 0)
    # Criteria rows: a number in the first column; the level rows under each.
    criteria: list[tuple[int, list[int]]] = []
    for r in range(first, len(grid.cells)):
        stt = _fold(grid.cells[r][0])
        if stt.isdigit():
            criteria.append((r, []))
        elif criteria and _fold(grid.cells[r][criterion_col]):
            criteria[-1][1].append(r)
    if not criteria:
        return None
    best = None
    for framework in frameworks:
        if len(framework.tieu_chi) != len(criteria):
            continue
        score = min(_similar(grid.cells[r][criterion_col], c.ten) for (r, _), c in zip(criteria, framework.tieu_chi,
                                                                                          strict=True))
        if score >= 0.8 and (best is None or score > best[1]):
            best = (framework, score)
    if best is None:
        return None
    framework = best[0]
    counts: dict[int, list[int]] = {}
    chosen: dict[int, Any] = {}
    notes: dict[int, str] = {}
    for (row, levels), criterion in zip(criteria, framework.tieu_chi, strict=True):
        marked = [i for i, r in enumerate(levels) if _fold(grid.cells[r][points]).lower() == "x"]
        if criterion.kieu == "dem_ho_so" and records is not None:
            values = [number(grid.cells[r][records]) for r in levels]
            if len(values) == len(criterion.muc) and all(v is not None for v in values):
                counts[criterion.so] = [int(v) for v in values]
        if marked and marked[0] < len(criterion.muc):
            chosen[criterion.so] = _plain_number(criterion.muc[marked[0]].diem)
        if note is not None and _fold(grid.cells[row][note]):
            notes[criterion.so] = _fold(grid.cells[row][note])
    data: dict[str, Any] = {}
    if counts:
        data["so_ho_so"] = counts
    if chosen:
        data["da_chon"] = chosen
    data_name = f"{name}.yaml"
    text = ("# Số hồ sơ từng mức và mức được đánh dấu 'x' của mỗi tiêu chí, đọc từ bảng của văn bản.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    appendix: dict[str, Any] = {"mau": "bang_tieu_chi"}
    if notes:
        appendix["ghi_chu"] = notes
    return RecoveredTable("bang_tieu_chi", appendix, data_name, text.encode("utf-8"),
                          {"bo_tieu_chi": framework.ma, "du_lieu": data_name}, framework=framework.ma)


def _plain_number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else format(value, "f")


# ----- any other table -------------------------------------------------------------------------------------


def _declared_table(grid: Grid, name: str, widths: tuple[float, ...]) -> RecoveredTable:
    import yaml

    depth, numbering = header_depth(grid)
    depth = max(depth, 1)
    paths = column_paths(grid, depth)
    headers: list[str] = []
    for column, path in enumerate(paths):
        if grid.spans[depth - 1][column] == 0 and not path:
            continue
        label = _joined(path) or f"Cột {column + 1}"
        while label in headers:
            label += " (2)"
        headers.append(label)
    columns = [c for c, path in enumerate(paths) if not (grid.spans[depth - 1][c] == 0 and not path)]
    first = depth + (1 if numbering is not None else 0)
    rows = [{header: _fold(grid.cells[r][c]).replace("\n", " ") for header, c in zip(headers, columns, strict=True)}
            for r in range(first, len(grid.cells)) if any(_fold(x) for x in grid.cells[r])]
    data_name = f"{name}.yaml"
    text = "# Các dòng của bảng, đọc từ văn bản: mỗi dòng một bảng 'tiêu đề cột: giá trị'.\n" + yaml.safe_dump(
        rows, allow_unicode=True, sort_keys=False, width=1000)
    cot = []
    for header, column in zip(headers, columns, strict=True):
        width = round(sum(widths[column:column + max(grid.spans[depth - 1][column], 1)]), 2) if widths else 2.5
        cot.append({"tieu_de": header, "gia_tri": f"{{{{ dong[{_quoted(header)}] }}}}",
                    "rong": min(max(width, 0.5), 30)})
    appendix: dict[str, Any] = {"mau": "bang", "cot": cot, "dong": name}
    notes = [f"bảng {grid.number} không khớp bộ tiêu chí nào: in lại như một bảng tự khai cột"]
    if depth > 1:
        notes.append(f"bảng {grid.number} có {depth} tầng tiêu đề: bảng tự khai in một tầng (tiêu đề nối bằng ' / ')")
    return RecoveredTable("bang", appendix, data_name, text.encode("utf-8"), data_set=name, notes=notes)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def recover_table(grid: Grid, *, name: str, index_frameworks: list[IndexFramework],
                  criteria_frameworks: list[CriteriaFramework], ranking_framework: IndexFramework | None,
                  widths: tuple[float, ...] = ()) -> RecoveredTable:
    """The most specific reading of ``grid``: index table, criteria table, ranking table, else a declared table."""
    if not grid.cells or not grid.width:
        return _declared_table(grid, name, widths)
    for attempt in (lambda: _index_table(grid, index_frameworks, name),
                    lambda: _criteria_table(grid, criteria_frameworks, name),
                    lambda: _ranking_table(grid, ranking_framework, name) if ranking_framework else None):
        found = attempt()
        if found is not None:
            return found
    return _declared_table(grid, name, widths)
