"""Turn the rows of a table (a CSV, or an Excel sheet with its merged ranges) into its layout: header, columns, rows.

Portals and provincial systems export score tables for people to read: a title block above the
table (the agency, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", a centred title, "Kỳ: tháng 4/2023"), a
header of two or three levels with merged cells, a row numbering the columns "(1) … (16)", group
rows ("I | UBND CÁC XÃ, THỊ TRẤN"), a "Trung bình" or "Tổng cộng" row, notes and signatures below.
:func:`analyse` finds each of them without knowing which columns anyone wants:

* **the header block**: the body starts at the first row that numbers the columns, names a group
  or holds a number; the header is the rows right above it, up to a blank row, a title row (a row
  of one cell, or a row naming the Quốc hiệu, "Đơn vị tính", "Kèm theo" …) or six rows;
* **each column's header path**, top to bottom ("ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ
  số 1"): from the sheet's merged ranges when the header has any; otherwise (a CSV, where a merged
  cell leaves its other cells empty) an empty header cell continues the cell on its left when both
  have header cells below them and the same cell above them, so it stays inside its parent's span;
* **the column-number row**: each column keeps its label ("(5)", "5", "A", "(3)=(1)+(2)");
* **every row below**: a unit, a group row (its label and name), a summary row (a total or a mean,
  and which units it covers), a note or signature line below the table, or blank; the rows above
  the header are the title.

Everything is bounded by the table's own size: the header is looked for in the first rows only,
merged ranges are read for those rows only, and every row is looked at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine.errors import DataError, Location, Problem
from engine.vn.numbers import format_number, to_decimal
from engine.vn.text import nfc, upper_vi

__all__ = [
    "BLANK", "GROUP", "MEAN", "NOTE", "NUMBERING", "SUM", "SUMMARY", "TITLE", "UNIT",
    "Analysis", "Column", "Group", "Merge", "Summary", "TableLayout", "TableRow", "analyse", "cell_text",
    "header_key", "is_blank", "layout_of",
]

HEADER_SEARCH_ROWS = 20  # the header block starts within this many first rows
MAX_HEADER_LEVELS = 6  # rows of one header block (above the column-number row)

# Kinds of rows (the names `vanban data --json` prints).
TITLE, HEADER, NUMBERING, GROUP, SUMMARY, NOTE, BLANK, UNIT = (
    "tieu_de", "tieu_de_cot", "so_cot", "nhom", "tong_hop", "ghi_chu", "trong", "don_vi")
# Kinds of summary rows.
SUM, MEAN = "tong", "trung_binh"
# Kinds of columns, from their unit cells.
NUMBER, TEXT, SERIAL, EMPTY = "so", "chu", "so_thu_tu", "trong"

DASHES = frozenset({"-", "—", "–"})
# Vietnamese number: dots between groups of three digits, a comma before the decimals.
VI_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
# A dot that cannot separate thousands ("16.74"): the English decimal point.
DOT_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
_PERCENT = re.compile(r"\s*%$")

# A column-number label: "(1)", "1", "A", "(A)", "(3)=(1)+(2)", "5=3+4", "(4)x(5)".
_LABEL_ATOM = r"\(?(?:\d{1,3}|[A-Z]{1,2})\)?"
_NUMBER_LABEL = re.compile(rf"{_LABEL_ATOM}(?:\s*[=+\-x×*/:]\s*{_LABEL_ATOM})*")
# A group row's label: a Roman numeral up to LXXXIX, or one capital letter; with a dot or a bracket.
_ROMAN = r"(?=[IVXL])(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
_GROUP_LABEL = re.compile(rf"(?P<label>{_ROMAN}|[A-ZĐ])[.)]?")
_GROUP_IN_ONE_CELL = re.compile(rf"(?P<label>{_ROMAN}|[A-ZĐ])(?:[.)]\s*|\s+)(?P<name>\S.*)")
# Words that begin a group's name when it has no label ("Khối xã", "Các cơ quan chuyên môn").
_GROUP_WORDS = re.compile(r"(khối|nhóm|cấp|các|ubnd các|ủy ban nhân dân các|đơn vị|cơ quan|sở|phòng)\b")
# Summary rows: the whole cell is one of these, with an optional scope ("Tổng cộng toàn huyện", "Cộng I").
_SUMMARY = re.compile(
    r"(?P<what>tổng cộng|tổng số|tổng|cộng|cộng chung|trung bình cộng|trung bình chung|trung bình|bình quân|"
    r"điểm trung bình|điểm bình quân)"
    rf"(?P<scope>\s+(?:chung|toàn\s+\w+(?:\s+\w+)?|cả\s+\w+|(?:các\s+)?(?:xã|đơn vị|nhóm)(?:\s+{_ROMAN.lower()})?|"
    rf"{_ROMAN.lower()}|\({_ROMAN.lower()}\)))?\s*[:.]?")
_GRAND = re.compile(r"tổng|chung|toàn|cả\b")
_NOTE = re.compile(r"(ghi chú|chú thích|lưu ý|nguồn\b|người lập|người tổng hợp|người kiểm tra|thủ trưởng|kế toán|"
                   r"xác nhận|tm\.|kt\.|tl\.|tuq\.|\*)")
_PLACE_DATE = re.compile(r"ngày\s+\S{0,12}\s*tháng\s+\S{0,8}\s*năm")
_TITLE = re.compile(r"cộng hòa xã hội chủ nghĩa|cộng hoà xã hội chủ nghĩa|độc lập\s*[-–—]\s*tự do|đơn vị tính|"
                    r"kèm theo|^biểu\s*(?:số|mẫu)\b|^mẫu số|^kỳ(?: báo cáo| đánh giá)?\s*:")


@dataclass(frozen=True)
class Merge:
    """A merged range of a sheet, 1-based and inclusive: rows ``top``…``bottom``, columns ``left``…``right``."""

    top: int
    left: int
    bottom: int
    right: int


@dataclass(frozen=True)
class Column:
    """One column of the table: where it is, its header path top to bottom, its column-number label, its kind."""

    index: int  # 0-based position in the file
    ref: str  # how a person finds it: the Excel letter ("C"), or its number in a CSV ("3")
    path: tuple[str, ...]
    label: str | None = None  # from the column-number row: "(5)"
    kind: str = ""  # so, chu, so_thu_tu, trong (from its unit cells; only read_layout fills it)
    short: str = ""  # the shortest trailing part of the path that names only this column

    @property
    def name(self) -> str:
        """The full path as one text: "ĐIỂM CÁC CHỈ SỐ / Nhóm công khai, minh bạch / Chỉ số 1"."""
        return " / ".join(self.path)

    def as_dict(self) -> dict[str, Any]:
        return {"cot": self.ref, "vi_tri": self.index + 1, "nhan": self.label, "duong_dan": list(self.path),
                "ten": self.name, "ten_ngan": self.short, "kieu": self.kind}


@dataclass(frozen=True)
class Group:
    """A group row of the table ("I | UBND CÁC XÃ, THỊ TRẤN"): its label (or None) and name, at its row."""

    label: str | None
    name: str
    row: int

    @property
    def title(self) -> str:
        return f"{self.label} {self.name}".strip() if self.label else self.name

    def as_dict(self) -> dict[str, Any]:
        return {"so": self.label, "ten": self.name, "dong": self.row}


@dataclass(frozen=True)
class Summary:
    """A summary row: a total or a mean (``kind``), its text, and the units it covers (positions in ``units``)."""

    index: int  # position in the analysed rows
    row: int
    kind: str  # SUM or MEAN
    text: str
    units: tuple[int, ...]  # positions in Analysis.units
    group: Group | None  # the group it covers; None: every unit of the table


@dataclass(frozen=True)
class Analysis:
    """How a table is laid out; positions are indexes into the rows it was made from."""

    rows: Sequence[tuple[int, Sequence[object]]] = field(repr=False)
    header: tuple[int, ...]  # positions of the header rows, top to bottom
    numbering: int | None  # position of the column-number row
    columns: tuple[Column, ...]  # every column with a header, a label or data (spacers included)
    kinds: tuple[str, ...]  # the kind of every row, by position
    units: tuple[int, ...]  # positions of unit rows
    unit_groups: tuple[Group | None, ...]  # the group of each unit row
    groups: tuple[Group, ...]
    summaries: tuple[Summary, ...]
    notes: dict[int, str] = field(default_factory=dict)  # why a row is a note, title …, by position

    @property
    def header_rows(self) -> tuple[int, ...]:
        """The header's row numbers in the file."""
        return tuple(self.rows[i][0] for i in self.header)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """A cell as a person reads it, on one line: NFC, runs of spaces and line breaks as one space; '' when blank."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(nfc(value).split())
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    return " ".join(str(value).split())


def shown(value: object) -> str:
    """A cell as ``vanban data`` shows it to a clerk: a stored number the Vietnamese way ("89,63"), text as typed."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return format_number(to_decimal(value))
        except ValueError:
            return cell_text(value)
    return cell_text(value)


def header_key(text: str) -> str:
    """How header texts and paths compare: NFC, case-folded, whitespace runs as one space, no space around '/'.

    Diacritics stay: "Tủa" and "Tùa" are different names.

    >>> header_key("ĐIỂM CÁC CHỈ SỐ  /Nhóm công khai,\\nminh bạch")
    'điểm các chỉ số/nhóm công khai, minh bạch'
    >>> header_key("Tủa") == header_key("Tùa")
    False
    """
    return re.sub(r"\s*/\s*", "/", " ".join(nfc(text).casefold().split()))


def number_like(value: object) -> bool:
    """A cell that holds a number, or a number written as text (Vietnamese or not), or "-" (not applicable)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    if not isinstance(value, str):
        return False
    text = _PERCENT.sub("", value.strip()).replace("\u2212", "-")
    return text in DASHES or bool(VI_NUMBER.fullmatch(text) or DOT_DECIMAL.fullmatch(text))


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        return int(value.strip())
    return None


def letter(col: int) -> str:
    """The Excel letter of a 0-based column: 0 → A, 27 → AB."""
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col + 1)


def sheet_ref(title: str) -> str:
    """Sheet title as Excel writes it in a reference: quoted when it has spaces or symbols."""
    if re.fullmatch(r"[^\W\d]\w*", title):
        return title
    return "'" + title.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Rows: their non-blank cells


class _Cells:
    """The non-blank cells of a row (column, value), found once and only as far as asked."""

    __slots__ = ("cells", "found", "done", "_next")

    def __init__(self, cells: Sequence[object]):
        self.cells = cells
        self.found: list[tuple[int, object]] = []
        self.done = False
        self._next = 0

    def first(self, count: int) -> list[tuple[int, object]]:
        cells = self.cells
        while len(self.found) < count and not self.done:
            i = self._next
            if i >= len(cells):
                self.done = True
                break
            self._next = i + 1
            if not is_blank(cells[i]):
                self.found.append((i, cells[i]))
        return self.found[:count]

    def all(self) -> list[tuple[int, object]]:
        return self.first(len(self.cells) + 1)


def _texts(anchors: list[tuple[int, object]]) -> list[str]:
    return [cell_text(v) for _, v in anchors]


def _is_title(texts: list[str]) -> bool:
    return any(_TITLE.search(t.casefold()) for t in texts)


def _numbering_labels(anchors: list[tuple[int, object]]) -> bool:
    """A row that numbers the columns: two or more labels and nothing else; plain numbers count up."""
    if len(anchors) < 2:
        return False
    texts = _texts(anchors)
    if not all(_NUMBER_LABEL.fullmatch(t) for t in texts):
        return False
    numbers = [_integer(v) for _, v in anchors]
    if all(n is not None for n in numbers) and not any("(" in t for t in texts):
        steps = sum(1 for a, b in zip(numbers, numbers[1:], strict=False) if b == a + 1)  # type: ignore[operator]
        return steps * 10 >= (len(numbers) - 1) * 7
    return True


def _data_like(anchors: list[tuple[int, object]]) -> bool:
    """A row of the body: it holds a number (not only years, as a header of years would)."""
    numbers = [v for _, v in anchors if number_like(v)]
    if not numbers:
        return False
    if len(numbers) == len(anchors):
        years = [_integer(v) for v in numbers]
        if all(y is not None and 1900 <= y <= 2100 for y in years):
            return False
    return not _is_title(_texts(anchors))


def _group_of(anchors: list[tuple[int, object]], count: int, spans: int, number: int) -> Group | None:
    """The group a row names, or None: "I | name", "I. name" in one cell, or a lone name in capitals."""
    if not anchors or any(number_like(v) for _, v in anchors):
        return None
    texts = _texts(anchors)
    first = texts[0]
    label = _GROUP_LABEL.fullmatch(first)
    if label and count <= 3:
        return Group(label["label"], texts[1] if count > 1 else "", number)
    if count != 1:
        return None
    inline = _GROUP_IN_ONE_CELL.fullmatch(first)
    if inline:
        return Group(inline["label"], inline["name"], number)
    key = first.casefold()
    if _NOTE.match(key) or _SUMMARY.fullmatch(key):
        return None
    capitals = upper_vi(first) == first and any(ch.isalpha() for ch in first)
    if capitals or _GROUP_WORDS.match(key) or spans >= 2:
        return Group(None, first, number)
    return None


def _summary_of(anchors: list[tuple[int, object]]) -> tuple[str, str] | None:
    """(kind, text) when one of the row's first two cells says it sums or averages the rows above."""
    for _, value in anchors[:2]:
        if not isinstance(value, str):
            continue
        text = cell_text(value)
        match = _SUMMARY.fullmatch(text.casefold())
        if match:
            kind = MEAN if ("trung bình" in match["what"] or "bình quân" in match["what"]) else SUM
            return kind, text
    return None


# ---------------------------------------------------------------------------------------------
# The analysis


def analyse(rows: Sequence[tuple[int, Sequence[object]]], merges: Sequence[Merge] = (), *, file: str,
            sheet: str | None = None) -> Analysis:
    """The layout of a table given as (row number, cells) with its merged ranges (an .xlsx sheet's; none for a CSV).

    Raises DataError when merged ranges in the first rows overlap (a sheet Excel itself refuses to open).
    """
    cells = [_Cells(c) for _, c in rows]
    numbers = [number for number, _ in rows]
    width = max((len(c) for _, c in rows), default=0)
    window = min(len(rows), HEADER_SEARCH_ROWS + MAX_HEADER_LEVELS + 1)
    cover = _Cover(rows, numbers, merges, window, width, file, sheet)

    start, numbering = _body_start(cells, window)
    header = _header_above(cells, start, cover) if start is not None else []
    if not header:
        start, numbering = None, None
        header = _fallback_header(cells, min(len(rows), HEADER_SEARCH_ROWS))
    paths = _paths(rows, header, cover, width) if header else {}
    labels = {col: cell_text(value) for col, value in cells[numbering].all()} if numbering is not None else {}

    kinds = [TITLE] * len(rows)
    notes: dict[int, str] = {}
    top = header[0] if header else len(rows)
    for i in range(top):
        kinds[i] = TITLE if cells[i].first(1) else BLANK
    for i in header:
        kinds[i] = HEADER
    body = (header[-1] + 1) if header else len(rows)
    found_summaries: list[tuple[int, str, str]] = []
    group_rows: dict[int, Group] = {}
    noted = False  # a note or signature line came: from here a row without a number is one too
    for i in range(body, len(rows)):
        if i == numbering:
            kinds[i] = NUMBERING
            continue
        row = cells[i]
        anchors = row.first(4)
        if not anchors:
            kinds[i] = BLANK
            continue
        first = anchors[0][1]
        if isinstance(first, str) and (_NOTE.match(cell_text(first).casefold())
                                       or _PLACE_DATE.search(cell_text(first).casefold())):
            kinds[i], notes[i] = NOTE, "ghi chú"
            noted = True
            continue
        summary = _summary_of(anchors)
        if summary is not None:
            kinds[i] = SUMMARY
            found_summaries.append((i, *summary))
            continue
        count = len(anchors) if len(anchors) == 4 else len(row.all())
        group = _group_of(anchors, count, cover.span(numbers[i]), numbers[i]) if count <= 3 else None
        if group is not None:
            kinds[i] = GROUP
            group_rows[i] = group
            continue
        if noted and not any(number_like(v) for _, v in row.all()):
            kinds[i], notes[i] = NOTE, "dưới ghi chú"
            continue
        kinds[i] = UNIT
    # Below the last unit or summary row, every line is a note or a signature, whatever it looks like.
    last = max((i for i in range(body, len(rows)) if kinds[i] in (UNIT, SUMMARY)), default=body - 1)
    for i in range(last + 1, len(rows)):
        if kinds[i] not in (BLANK, NUMBERING):
            kinds[i] = NOTE
            notes.setdefault(i, "dưới bảng")
            group_rows.pop(i, None)
    units: list[int] = []
    unit_groups: list[Group | None] = []
    groups: list[Group] = []
    current: Group | None = None
    for i in range(body, len(rows)):
        if kinds[i] == GROUP:
            current = group_rows[i]
            groups.append(current)
        elif kinds[i] == UNIT:
            units.append(i)
            unit_groups.append(current)
    summaries = _scopes(found_summaries, kinds, units, unit_groups, group_rows, numbers, body)
    columns = _columns(width, paths, labels, sheet)
    return Analysis(rows, tuple(header), numbering, columns, tuple(kinds), tuple(units), tuple(unit_groups),
                    tuple(groups), summaries, notes)


class _Cover:
    """Which merged range covers each cell of the first rows (the only rows where merges matter), overlaps refused.

    A range is clipped to those rows and to the table's width, so a range over the whole sheet
    (A1:XFD1048576) costs no more than the rows it shares with the table; the work stops at the
    first cell two ranges claim.
    """

    def __init__(self, rows: Sequence[tuple[int, Sequence[object]]], numbers: list[int], merges: Sequence[Merge],
                 window: int, width: int, file: str, sheet: str | None):
        self.rows = rows
        self.numbers = numbers
        self.window = window
        self.position = {number: i for i, number in enumerate(numbers[:window])}
        self.by_row: list[dict[int, Merge]] = [{} for _ in range(window)]
        self.widest: dict[int, int] = {}
        last = numbers[window - 1] if window else 0
        for merge in merges:
            self.widest[merge.top] = max(self.widest.get(merge.top, 1), merge.right - merge.left + 1)
            if merge.top > last:
                continue
            first = self._first_row_at_or_after(merge.top)
            for i in range(first, window):
                if numbers[i] > merge.bottom:
                    break
                covered = self.by_row[i]
                for col in range(merge.left - 1, min(merge.right, width)):
                    other = covered.get(col)
                    if other is not None:
                        where = f"{sheet_ref(sheet)}!" if sheet else ""
                        raise DataError(Problem(
                            "DATA_FORMAT", f"hai vùng gộp ô chồng lên nhau ({_ref(other)} và {_ref(merge)})",
                            Location(file=file, line=numbers[i], field=f"{where}{letter(col)}{numbers[i]}"),
                            hint="Excel không mở được trang tính như vậy: mở và lưu lại tệp bằng Excel hoặc "
                                 "LibreOffice, hoặc bỏ gộp một trong hai vùng."))
                    covered[col] = merge

    def _first_row_at_or_after(self, number: int) -> int:
        if number in self.position:
            return self.position[number]
        return next((i for i in range(self.window) if self.numbers[i] >= number), self.window)

    def span(self, number: int) -> int:
        """How many columns the widest merged range that starts in this row covers."""
        return self.widest.get(number, 1)

    def anchor_text(self, merge: Merge) -> str:
        i = self.position.get(merge.top)
        if i is None:
            return ""
        cells = self.rows[i][1]
        return cell_text(cells[merge.left - 1]) if merge.left - 1 < len(cells) else ""

    def identities(self, i: int, cells: _Cells) -> set[tuple[int, int]]:
        """The distinct cells of row i: its own non-blank cells, and each merged range over it with a first cell."""
        covered = self.by_row[i] if i < self.window else {}
        found = {(m.top, m.left) for m in set(covered.values()) if self.anchor_text(m)}
        found.update((self.numbers[i], col + 1) for col, _ in cells.all() if col not in covered)
        return found

    def reaches_down(self, i: int) -> bool:
        """A merged range that starts in row i goes on into the next rows."""
        covered = self.by_row[i] if i < self.window else {}
        return any(m.top == self.numbers[i] and m.bottom > self.numbers[i] for m in covered.values())


def _body_start(cells: list[_Cells], window: int) -> tuple[int | None, int | None]:
    """The first row of the body (a column-number row, a group row or a row of numbers) and the numbering row."""
    for i in range(1, window):
        anchors = cells[i].first(40)
        if not anchors:
            continue
        if _numbering_labels(cells[i].all() if len(anchors) >= 40 else anchors):
            return i, i
        if _data_like(anchors):
            return i, None
        first = cell_text(anchors[0][1])
        labelled = _GROUP_LABEL.fullmatch(first) or (len(anchors) == 1 and _GROUP_IN_ONE_CELL.fullmatch(first))
        if labelled and len(cells[i].first(4)) <= 3 and not any(number_like(v) for _, v in anchors):
            following = next((j for j in range(i + 1, window) if cells[j].first(1)), None)
            if following is not None and _data_like(cells[following].first(40)):
                return i, None
    return None, None


def _header_above(cells: list[_Cells], start: int, cover: _Cover) -> list[int]:
    """The header rows right above the body's first row, top to bottom ([] when there are none)."""
    # Between the header and the first numbers there may be group rows of one cell, and blank rows.
    bottom = start - 1
    while bottom >= 0:
        ids = cover.identities(bottom, cells[bottom])
        if len(ids) >= 2 and not _is_title(_texts(cells[bottom].all())):
            break
        if start - bottom >= 3:
            return []
        bottom -= 1
    if bottom < 0:
        return []
    header = [bottom]
    i = bottom - 1
    while i >= 0 and len(header) < MAX_HEADER_LEVELS:
        anchors = cells[i].all()
        if not anchors or _is_title(_texts(anchors)):
            break
        if len(cover.identities(i, cells[i])) < 2 and not cover.reaches_down(i):
            break
        header.insert(0, i)
        i -= 1
    return header


def _fallback_header(cells: list[_Cells], window: int) -> list[int]:
    """No body found in the first rows: the header is the first row with the most cells (a table of text only)."""
    best, best_count = None, 0
    for i in range(window):
        count = len(cells[i].all())
        if count > best_count:
            best, best_count = i, count
    return [best] if best is not None else []


def _paths(rows: Sequence[tuple[int, Sequence[object]]], header: list[int], cover: _Cover, width: int
           ) -> dict[int, tuple[str, ...]]:
    """Column (0-based) → its header path, from the header rows and their merged ranges (or the fill rules)."""
    levels = len(header)
    texts = [[cell_text(rows[i][1][c]) if c < len(rows[i][1]) else "" for c in range(width)] for i in header]
    ids: list[list[tuple[int, int] | None]] = [[(lv, c) if texts[lv][c] else None for c in range(width)]
                                               for lv in range(levels)]
    text_of: dict[tuple[int, int], str] = {(lv, c): texts[lv][c] for lv in range(levels) for c in range(width)
                                           if texts[lv][c]}
    level_of = {rows[i][0]: lv for lv, i in enumerate(header)}
    merged = False
    for lv, i in enumerate(header):
        covered = cover.by_row[i] if i < cover.window else {}
        for col, merge in covered.items():
            if merge.top in level_of:  # a range that starts in the header (not in the title above it)
                anchor = (level_of[merge.top], merge.left - 1)
                ids[lv][col] = anchor
                text_of.setdefault(anchor, "")
                merged = True
            else:
                ids[lv][col] = None
    if not merged:
        _fill(ids, texts, levels, width)
    paths: dict[int, tuple[str, ...]] = {}
    for c in range(width):
        parts: list[str] = []
        last: tuple[int, int] | None = None
        for lv in range(levels):
            identity = ids[lv][c]
            if identity is None or identity == last:
                continue
            last = identity
            text = text_of.get(identity, "")
            if text and not (parts and header_key(text) == header_key(parts[-1])):
                parts.append(text)
        if parts:
            paths[c] = tuple(parts)
    return paths


def _fill(ids: list[list[tuple[int, int] | None]], texts: list[list[str]], levels: int, width: int) -> None:
    """Without merged ranges, an empty header cell continues its left neighbour inside the same parent.

    The cell must have header cells below it (it heads a group, it is not a column of its own), so
    must its left neighbour, and the two must sit under the same cell of the level above.
    """
    below = [[False] * width for _ in range(levels)]
    for lv in range(levels - 2, -1, -1):
        for c in range(width):
            below[lv][c] = below[lv + 1][c] or bool(texts[lv + 1][c])
    for lv in range(levels):
        for c in range(1, width):
            if ids[lv][c] is None and below[lv][c] and ids[lv][c - 1] is not None and below[lv][c - 1] and (
                    lv == 0 or ids[lv - 1][c] == ids[lv - 1][c - 1]):
                ids[lv][c] = ids[lv][c - 1]


def _ref(merge: Merge) -> str:
    return f"{letter(merge.left - 1)}{merge.top}:{letter(merge.right - 1)}{merge.bottom}"


def _columns(width: int, paths: dict[int, tuple[str, ...]], labels: dict[int, str], sheet: str | None
             ) -> tuple[Column, ...]:
    columns = []
    for c in range(width):
        path = paths.get(c, ())
        label = labels.get(c)
        columns.append(Column(c, letter(c) if sheet is not None else str(c + 1), path, label))
    shorts = short_names(columns)
    return tuple(Column(c.index, c.ref, c.path, c.label, c.kind, shorts.get(c.index, "")) for c in columns)


def short_names(columns: Sequence[Column]) -> dict[int, str]:
    """Each column's shortest trailing part of its path that no other column ends with (its full path if none)."""
    counts: dict[str, int] = {}
    for column in columns:
        for k in range(len(column.path)):
            key = header_key(" / ".join(column.path[k:]))
            counts[key] = counts.get(key, 0) + 1
    shorts: dict[int, str] = {}
    for column in columns:
        if not column.path:
            continue
        name = column.name
        for k in range(len(column.path) - 1, -1, -1):
            part = " / ".join(column.path[k:])
            if counts[header_key(part)] == 1:
                name = part
                break
        shorts[column.index] = name
    return shorts


def _scopes(found: list[tuple[int, str, str]], kinds: list[str], units: list[int], unit_groups: list[Group | None],
            group_rows: dict[int, Group], numbers: list[int], body: int) -> tuple[Summary, ...]:
    """Which units each summary row covers.

    A row that says it is over everything ("Tổng cộng", "Tổng số", "… chung", "… toàn huyện") covers
    every unit of the table. Any other ("Cộng", "Trung bình") right after the units of a group (the
    table having group rows) covers that group; otherwise every unit. One pass; rows that cover the
    same units share one tuple.
    """
    everything = tuple(range(len(units)))
    members: dict[int, list[int]] = {}
    for k, group in enumerate(unit_groups):
        if group is not None:
            members.setdefault(id(group), []).append(k)
    shared = {key: tuple(value) for key, value in members.items()}
    at = {row: k for k, row in enumerate(units)}
    wanted = {index: (kind, text) for index, kind, text in found}
    summaries: list[Summary] = []
    last: int | None = None  # the last unit or group row above the current row
    for i in range(body, len(kinds)):
        if i in wanted:
            kind, text = wanted[i]
            group: Group | None = None
            covered = everything
            if group_rows and not _GRAND.search(text.casefold()) and last is not None and kinds[last] == UNIT:
                group = unit_groups[at[last]]
                if group is not None:
                    covered = shared[id(group)]
            summaries.append(Summary(i, numbers[i], kind, text, covered, group))
        elif kinds[i] in (UNIT, GROUP):
            last = i
    return tuple(summaries)


def column_kind(values: Sequence[object], unit_groups: Sequence[Group | None]) -> str:
    """A column's kind from its unit cells: trống, số, số thứ tự (1, 2, 3 …, again from 1 in each group), chữ."""
    filled = [(v, g) for v, g in zip(values, unit_groups, strict=True) if not is_blank(v)]
    if not filled:
        return EMPTY
    if not all(number_like(v) for v, _ in filled):
        return TEXT
    expected, group = 1, object()
    serial = len(filled) == len(values)
    for v, g in filled:
        if g is not group:
            expected, group = 1, g
        n = _integer(v)
        if n is None or (n != expected and not (n == 1 and expected > 1)):
            serial = False
            break
        expected = n + 1
    return SERIAL if serial else NUMBER


# ---------------------------------------------------------------------------------------------
# The layout as plain data (vanban data, and whatever shows a clerk how a table was read)


@dataclass(frozen=True)
class TableRow:
    """A row of the table below or above its header: its number, its kind, its text and why it is not a unit."""

    row: int
    kind: str  # TITLE, NUMBERING, GROUP, SUMMARY, NOTE, BLANK or UNIT
    text: str  # its non-blank cells, " | " between them
    reason: str  # in Vietnamese: what the row is (for a unit: empty)
    group: Group | None = None  # a group row's group; a unit's group
    summary: str | None = None  # SUM or MEAN for a summary row
    covers: int | None = None  # how many units a summary row covers
    cells: tuple[str, ...] = ()  # a unit row: the text of each of the layout's columns
    until: int | None = None  # blank rows come as one run: the last row of the run

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dong": self.row, "loai": self.kind, "noi_dung": self.text}
        if self.until is not None:
            out["den_dong"] = self.until
        if self.kind != UNIT:
            out["ly_do"] = self.reason
        if self.group is not None:
            out["nhom"] = self.group.as_dict()
        if self.summary is not None:
            out["tong_hop"] = self.summary
            out["so_don_vi"] = self.covers
        if self.cells:
            out["o"] = list(self.cells)
        return out


@dataclass(frozen=True)
class TableLayout:
    """How a CSV or a sheet is read: its header rows, columns (blank spacers left out), skipped rows and units."""

    file: str
    sheet: str | None
    sheets: tuple[str, ...]  # every sheet of the workbook (an .xlsx)
    delimiter: str | None  # a CSV's delimiter
    header_rows: tuple[int, ...]
    numbering_row: int | None
    columns: tuple[Column, ...]
    spacers: tuple[str, ...]  # blank columns left out (their letters or numbers)
    skipped: tuple[TableRow, ...]  # every row that is neither header nor unit, in order
    units: tuple[TableRow, ...]
    groups: tuple[Group, ...]

    def as_dict(self, first_units: int | None = None) -> dict[str, Any]:
        """The JSON form; ``first_units`` keeps only that many units (their count stays in ``so_don_vi``)."""
        units = self.units if first_units is None else self.units[:first_units]
        return {
            "tep": self.file, "trang_tinh": self.sheet, "cac_trang_tinh": list(self.sheets),
            "dau_phan_cach": self.delimiter, "dong_tieu_de": list(self.header_rows),
            "dong_so_cot": self.numbering_row, "cot": [c.as_dict() for c in self.columns],
            "cot_trong_bo_qua": list(self.spacers), "dong_bo_qua": [r.as_dict() for r in self.skipped],
            "nhom": [g.as_dict() for g in self.groups], "so_don_vi": len(self.units),
            "don_vi": [u.as_dict() for u in units],
        }


    def describe(self, first_units: int = 5) -> list[str]:
        """What ``vanban data`` prints: how the table is read, in Vietnamese, for a clerk about to write ``cot:``."""
        lines = [f"Bảng: {self.file}" + (f", trang tính '{self.sheet}'" if self.sheet is not None else "")
                 + (f" (các trang tính: {', '.join(self.sheets)})" if len(self.sheets) > 1 else "")
                 + (f"; dấu phân cách '{_DELIMITER_NAMES.get(self.delimiter, self.delimiter)}'"
                    if self.delimiter else "")]
        if self.header_rows:
            rows = _rows(self.header_rows[0], self.header_rows[-1])
            levels = f" ({len(self.header_rows)} tầng)" if len(self.header_rows) > 1 else ""
            numbering = f"; dòng đánh số cột: {self.numbering_row}" if self.numbering_row is not None else ""
            lines.append(f"Dòng tiêu đề cột: {rows}{levels}{numbering}")
        else:
            lines.append("Không tìm thấy dòng tiêu đề cột.")
        spacers = f"; bỏ cột trống: {', '.join(self.spacers)}" if self.spacers else ""
        lines += ["", f"Cột ({len(self.columns)}{spacers}):"]
        ref_width = max((len(c.ref) for c in self.columns), default=3)
        label_width = max((len(c.label or "") for c in self.columns), default=0)
        kind_width = max((len(_KIND_NAMES[c.kind]) for c in self.columns), default=0)
        for column in self.columns:
            name = column.name or "(không có tiêu đề)"
            short = f"   [ghi ngắn: {column.short}]" if column.short and column.short != column.name else ""
            lines.append(f"  {column.ref:<{ref_width}}  {column.label or '':<{label_width}}  "
                         f"{_KIND_NAMES[column.kind]:<{kind_width}}  {name}{short}")
        labels: dict[str, list[str]] = {}
        for column in self.columns:
            if column.label:
                labels.setdefault(column.label, []).append(column.ref)
        for label, refs in labels.items():
            if len(refs) > 1:
                lines.append(f"  Lưu ý: nhãn {label} có ở {len(refs)} cột ({', '.join(refs)}), bảng đánh số nhầm: "
                             "ghi các cột này bằng tên, không bằng nhãn.")
        lines += ["", f"Dòng bỏ qua, không phải đơn vị ({len(self.skipped)}):" if self.skipped
                  else "Không có dòng nào bị bỏ qua."]
        for row in self.skipped:
            where = _rows(row.row, row.until or row.row)
            text = f" — {row.text}" if row.text and row.kind != GROUP else ""
            lines.append(f"  dòng {where:<8} {row.reason}{text}")
        lines.append("")
        if not self.units:
            lines.append("Không có dòng đơn vị nào.")
        else:
            shown = self.units[:first_units]
            more = f"; {len(shown)} dòng đầu" if len(shown) < len(self.units) else ""
            lines.append(f"Đơn vị: {len(self.units)} dòng (dòng {_rows(self.units[0].row, self.units[-1].row)})"
                         f"{more}:")
            for unit in shown:
                group = f" (nhóm {unit.group.label or unit.group.name})" if unit.group is not None else ""
                lines.append(f"  dòng {unit.row}{group}: " + " | ".join(unit.cells))
        lines += ["", "Trong 'cot:' của đặc tả, ghi cột bằng tên của nó (cả đường dẫn tiêu đề, hoặc phần cuối đủ phân "
                  "biệt như [ghi ngắn]), hoặc bằng nhãn số cột như '(5)'."]
        return lines


_DELIMITER_NAMES = {";": ";", ",": ",", "\t": "tab"}
_KIND_NAMES = {NUMBER: "số", TEXT: "chữ", SERIAL: "số thứ tự", EMPTY: "trống", "": ""}


def _rows(first: int, last: int) -> str:
    return f"{first}–{last}" if last > first else str(first)


_REASONS = {TITLE: "tiêu đề phía trên bảng", NUMBERING: "dòng đánh số cột", BLANK: "dòng trống",
            NOTE: "ghi chú, chữ ký dưới bảng"}


def _row_text(cells: _Cells, limit: int = 160) -> str:
    text = " | ".join(shown(v) for _, v in cells.all())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout_of(analysis: Analysis, *, file: str, sheet: str | None, sheets: Sequence[str] = (),
              delimiter: str | None = None) -> TableLayout:
    """The plain-data layout of an analysed table: column kinds from the unit cells, blank spacer columns left out."""
    rows = analysis.rows
    unit_cells = [rows[i][1] for i in analysis.units]
    summary_cells = [rows[s.index][1] for s in analysis.summaries]

    def values(col: int, of: Sequence[Sequence[object]]) -> list[object]:
        return [cells[col] if col < len(cells) else None for cells in of]

    kept: list[Column] = []
    blank: list[Column] = []
    for column in analysis.columns:
        unit_values = values(column.index, unit_cells)
        if not column.path and column.label is None and all(
                is_blank(v) for v in (*unit_values, *values(column.index, summary_cells))):
            blank.append(column)
            continue
        kept.append(Column(column.index, column.ref, column.path, column.label,
                           column_kind(unit_values, analysis.unit_groups)))
    # A blank column between used ones is reported as a spacer; the empty columns after the table are not.
    last_used = max((c.index for c in kept), default=-1)
    spacers = [c.ref for c in blank if c.index < last_used]
    shorts = short_names(kept)
    columns = tuple(Column(c.index, c.ref, c.path, c.label, c.kind, shorts.get(c.index, "")) for c in kept)
    covers = {s.index: s for s in analysis.summaries}
    groups = {g.row: g for g in analysis.groups}
    skipped: list[TableRow] = []
    units: list[TableRow] = []
    unit_group = dict(zip(analysis.units, analysis.unit_groups, strict=True))
    header = set(analysis.header)

    def blank(first: int, last: int) -> None:
        """Blank rows as one run (an .xlsx leaves them out of its rows; a CSV has them)."""
        if skipped and skipped[-1].kind == BLANK and (skipped[-1].until or skipped[-1].row) == first - 1:
            first = skipped.pop().row
        skipped.append(TableRow(first, BLANK, "", _REASONS[BLANK], until=last if last > first else None))

    previous = 0
    for i, kind in enumerate(analysis.kinds):
        number, cells = rows[i]
        if number > previous + 1:
            blank(previous + 1, number - 1)
        previous = number
        if i in header:
            continue
        if kind == BLANK:
            blank(number, number)
            continue
        text = _row_text(_Cells(cells))
        if kind == UNIT:
            texts = tuple(shown(cells[c.index]) if c.index < len(cells) else "" for c in columns)
            units.append(TableRow(number, kind, text, "", unit_group[i], cells=texts))
        elif kind == GROUP:
            group = groups[number]
            skipped.append(TableRow(number, kind, text, f"dòng nhóm: {group.title}", group))
        elif kind == SUMMARY:
            summary = covers[i]
            what = "trung bình" if summary.kind == MEAN else "tổng"
            scope = f" nhóm {summary.group.label or summary.group.name}" if summary.group is not None else ""
            skipped.append(TableRow(number, kind, text, f"dòng tổng hợp, kiểm tra với {what} của {len(summary.units)} "
                                    f"đơn vị{scope}", summary.group, summary.kind, len(summary.units)))
        else:
            skipped.append(TableRow(number, kind, text, _REASONS.get(kind, kind)))
    numbering = rows[analysis.numbering][0] if analysis.numbering is not None else None
    return TableLayout(file, sheet, tuple(sheets), delimiter, analysis.header_rows, numbering, columns,
                       tuple(spacers), tuple(skipped), tuple(units), analysis.groups)
