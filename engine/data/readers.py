"""Turn per-unit score tables (YAML, CSV or Excel .xlsx) into rows of exact values with their place.

A clerk's table has one row per unit (xã, cơ quan, đơn vị) under a header row that uses the
clerk's own column names; a :class:`ColumnMap` says which of those columns the engine needs and
under which field name. Numbers are read the Vietnamese way ("16,74" is 16.74, "1.147" is 1147)
into :class:`decimal.Decimal`, never through binary floats; "-", "—", "–" and blank cells mean
"not applicable" and become ``None``. Every bad cell of a file is reported at once, each with
its file, sheet, row and column, in one :class:`~engine.errors.DataError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import math
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.data.layout import (
    DOT_DECIMAL as _DOT_DECIMAL,
)
from engine.data.layout import (
    HEADER_SEARCH_ROWS,
    Analysis,
    Column,
    Group,
    Merge,
    TableLayout,
    analyse,
    header_key,
    layout_of,
)
from engine.data.layout import (
    VI_NUMBER as _VI_NUMBER,
)
from engine.data.layout import (
    is_blank as _is_blank,
)
from engine.data.layout import (
    letter as _letter,
)
from engine.data.layout import (
    sheet_ref as _sheet_ref,
)
from engine.errors import DataError, LimitError, Location, Problem
from engine.spec.yamlload import LoadedYaml, load_yaml_input
from engine.trust.files import InputFile, decode_text, read_file
from engine.trust.limits import current_limits
from engine.trust.packages import Package, open_package
from engine.trust.plain import UNPRINTABLE
from engine.vn.numbers import MAX_DECIMALS, check_magnitude, decimals_of, format_number, to_decimal
from engine.vn.text import nfc

__all__ = ["SUPPORTED_SUFFIXES", "ColumnMap", "SummaryRow", "UnitRow", "UnitTable", "parse_number", "read_layout",
           "read_records", "read_unit_table", "read_units"]

SUPPORTED_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
MAX_PROBLEMS = 50  # problems listed one by one; the rest are counted in a final problem
NOT_APPLICABLE = frozenset({"", "-", "—", "–"})
CSV_DELIMITERS = (";", ",", "\t")
DELIMITER_SAMPLE = 60  # records looked at to choose a CSV's delimiter
_EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
_NUMBER_HINT = (
    "Ghi số theo cách Việt Nam (16,74 hoặc 1.147); để trống hoặc ghi '-' nếu tiêu chí không áp dụng cho đơn vị này."
)


@dataclass(frozen=True)
class ColumnMap:
    """Turn the engine's field names into the user's own column headers (and say which are numbers).

    ``fields`` maps a field name to the header text in the file, e.g.
    ``{"ten": "Tên cơ quan, đơn vị", "diem": "Điểm tổng hợp"}``; ``numeric`` names the fields
    whose cells must be numbers; a field in ``optional`` may have no column in the file (its
    value is then ``None`` in every row).
    """

    fields: dict[str, str]
    numeric: frozenset[str]
    optional: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "numeric", frozenset(self.numeric))
        object.__setattr__(self, "optional", frozenset(self.optional))
        if not self.fields:
            raise ValueError("ColumnMap cần ít nhất một trường")
        for name, header in self.fields.items():
            if not isinstance(header, str) or not _norm(header):
                raise ValueError(f"tên cột của trường {name!r} phải là chuỗi khác rỗng, nhận {header!r}")
        unknown = (self.numeric | self.optional) - self.fields.keys()
        if unknown:
            raise ValueError(f"numeric/optional nhắc tới trường không có trong fields: {sorted(unknown)}")


@dataclass(frozen=True)
class UnitRow:
    """Turn one row of a unit table into field values plus the place the row came from.

    ``values`` has every field of the :class:`ColumnMap`: a ``str`` for text, an exact
    ``Decimal`` for numeric fields, ``None`` for a blank or "-" cell (not applicable) or an
    optional column the file does not have. ``source`` is the file with the row number in
    ``line`` and, in ``field``, "Trang1!B7" for Excel, "dòng 7" for CSV, "mục thứ 3" for YAML.
    ``group`` is the group row above it in the table ("I | UBND CÁC XÃ, THỊ TRẤN"), if any.
    """

    values: dict[str, object]
    source: Location
    group: Group | None = None


@dataclass(frozen=True)
class SummaryRow:
    """A "Tổng cộng" or "Trung bình" row of a table: what it states per field, and which units it covers.

    ``kind`` is "tong" (a sum) or "trung_binh" (a mean). ``values`` has every field whose column
    the table has: an exact ``Decimal`` for a number, ``None`` for a blank or "-" cell, the text
    itself for a numeric field's cell that is not a number (a text field's cell is its text).
    ``cells`` is where each value is; ``units`` are positions in :attr:`UnitTable.units`;
    ``group`` is the group it covers, or None for every unit of the table.
    """

    kind: str
    text: str
    values: dict[str, object]
    cells: dict[str, Location]
    units: tuple[int, ...]
    group: Group | None
    source: Location


@dataclass(frozen=True)
class UnitTable:
    """A unit table as read: its unit rows, its group rows and its summary rows (YAML tables have only units)."""

    units: list[UnitRow]
    groups: tuple[Group, ...] = ()
    summaries: tuple[SummaryRow, ...] = ()


def read_units(source: Path | str | InputFile, columns: ColumnMap, *, sheet: str | None = None) -> list[UnitRow]:
    """Turn a YAML, CSV or Excel .xlsx table of units into one :class:`UnitRow` per unit row.

    ``source`` is a path the user named, or a file a spec named, already read through
    engine.trust. ``sheet`` chooses an Excel sheet by name (default: the first visible sheet).
    A CSV or sheet may be an export as it comes (engine.data.layout): title rows, a header of
    several levels, a column-number row, group rows, summary rows and notes are recognised and
    are not units; blank rows are skipped. Raises :class:`DataError` with every problem of the
    file (up to 50 listed); a table with no unit row, or a CSV unit row with more or fewer cells
    than its header, is refused. :func:`read_unit_table` gives the group and summary rows too.
    """
    return read_unit_table(source, columns, sheet=sheet).units


def read_unit_table(source: Path | str | InputFile, columns: ColumnMap, *, sheet: str | None = None) -> UnitTable:
    """Like :func:`read_units`, with the table's group rows and its summary rows ("Tổng cộng", "Trung bình")."""
    file = _input(source, sheet)
    if file.suffix == ".xlsx":
        return _read_xlsx(file, columns, sheet)
    if file.suffix == ".csv":
        return _read_csv(file, columns)
    return UnitTable(_read_yaml(file, columns))


def read_layout(source: Path | str | InputFile, *, sheet: str | None = None) -> TableLayout:
    """How the engine reads a CSV or .xlsx table, whatever a spec maps: header, columns, skipped rows, units.

    What ``vanban data`` prints and a page that lets a clerk map columns shows; plain data with
    ``as_dict()`` for JSON. A YAML table has no layout to find (its keys are the names) and is
    refused with a DataError saying so.
    """
    file = _input(source, sheet)
    if file.suffix == ".xlsx":
        table, merges, sheets = _xlsx_table(file, sheet)
        delimiter = None
    elif file.suffix == ".csv":
        text = _csv_text(file)
        try:
            delimiter = _csv_delimiter(text)
            table = _Table(file.name, _csv_records(text, delimiter))
        except (DataError, LimitError) as exc:
            raise _in_file(exc, file.name) from None
        merges, sheets = [], ()
    else:
        raise DataError(Problem("DATA_FORMAT", "tệp YAML không có dòng tiêu đề để tìm: mỗi mục là một đơn vị, các khóa "
                                "là tên cột", Location(file=file.name),
                                hint="Lệnh này xem bảng .csv hoặc .xlsx; trong 'cot:' ghi đúng tên khóa của tệp YAML."))
    if not table.rows:
        raise DataError(_empty(table))
    analysis = analyse(table.rows, merges, file=file.name, sheet=table.sheet)
    return layout_of(analysis, file=file.name, sheet=table.sheet, sheets=sheets, delimiter=delimiter)


def _input(source: Path | str | InputFile, sheet: str | None) -> InputFile:
    """Check the kind of file before reading it, then read it through engine.trust if not read yet."""
    name = source.name if isinstance(source, InputFile) else str(source)
    suffix = Path(name[-255:]).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "không có phần mở rộng"
        hint = f"Dùng một trong các loại tệp: {' '.join(SUPPORTED_SUFFIXES)}."
        if suffix in (".xls", ".ods", ".xlsm", ".xlsb"):
            hint += " Trong Excel hoặc LibreOffice chọn Lưu thành → Sổ làm việc Excel (.xlsx)."
        raise DataError(Problem("DATA_FORMAT", f"chưa đọc được loại tệp này ({kind})", Location(file=name),
                                hint=hint))
    if sheet is not None and suffix != ".xlsx":
        raise DataError(Problem("DATA_FORMAT", f"tệp {suffix} không có trang tính, không chọn được trang '{sheet}'",
                                Location(file=name), hint="Chỉ tệp .xlsx mới chọn trang tính; bỏ tên trang tính."))
    if isinstance(source, InputFile):
        return source
    return read_file(Path(source), role="du_lieu", limit="tep_yaml" if suffix in (".yaml", ".yml") else None)


def read_records(source: Path | str | InputFile) -> tuple[list[str], list[tuple[int, dict[str, object]]], str | None]:
    """The header and rows of a CSV or .xlsx table as raw values (for a units list): header row 1, every column.

    Returns (header, [(row number, {header: value})], sheet title or None). Blank rows are skipped; a row
    with more or fewer cells than the header, a duplicated or empty header, or a table with no data row
    is a DataError naming its row.
    """
    file = _input(source, None)
    if file.suffix == ".csv":
        text = _csv_text(file)
        table = _Table(file.name, _csv_records(text, _delimiter_of(text)))
        if table.rows:
            _check_widths(table, 0)
    elif file.suffix == ".xlsx":
        workbook = _open_workbook(file, data_only=True)
        worksheet = _choose_sheet(workbook, file.name, None)
        table = _Table(file.name, _sheet_rows(worksheet, file.name, as_shown=True), sheet=worksheet.title)
    else:
        raise DataError(Problem("DATA_FORMAT", "cần một bảng .csv hoặc .xlsx", Location(file=file.name)))
    if not table.rows:
        raise DataError(Problem("DATA_FORMAT", "tệp trống, không có dòng tiêu đề", Location(file=file.name)))
    header_row, header_cells = table.rows[0]
    header = [" ".join(nfc(str(v)).split()) if not _is_blank(v) else "" for v in header_cells]
    while header and not header[-1]:
        header.pop()
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            problems.append(Problem("DATA_FORMAT", f"{table.column_name(index)} của dòng tiêu đề không có tên",
                                    table.cell(header_row, index), hint="Đặt tên cho cột, hoặc xóa cột trống."))
        elif name in seen:
            problems.append(Problem("DATA_FORMAT", f"cột '{name}' xuất hiện hai lần ({table.column_name(seen[name])} "
                                    f"và {table.column_name(index)})", table.cell(header_row, index),
                                    hint="Đổi tên hoặc xóa một trong hai cột."))
        seen.setdefault(name, index)
    rows: list[tuple[int, dict[str, object]]] = []
    for number, cells in table.rows[1:]:
        if all(_is_blank(v) for v in cells):
            continue
        extra = [i for i in range(len(header), len(cells)) if not _is_blank(cells[i])]
        if extra:
            problems.append(Problem("DATA_FORMAT", f"dòng có giá trị ở {table.column_name(extra[0])}, ngoài các cột "
                                    "của dòng tiêu đề", table.cell(number, extra[0]),
                                    hint="Thêm tên cột cho giá trị này, hoặc xóa nó."))
            continue
        rows.append((number, {name: cells[i] if i < len(cells) else None for i, name in enumerate(header) if name}))
    if not rows and not problems:
        problems.append(Problem("DATA_FORMAT", "bảng chỉ có dòng tiêu đề, không có dòng dữ liệu nào",
                                Location(file=file.name), hint="Thêm mỗi đơn vị một dòng dưới dòng tiêu đề."))
    if problems:
        raise DataError(problems[:MAX_PROBLEMS])
    return header, rows, table.sheet


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _norm(text: str) -> str:
    """Header key: NFC, case-folded, runs of whitespace (newlines in Excel headers too) as one space."""
    return " ".join(nfc(text).casefold().split())


class _Problems:
    """Collects problems of one file, keeps the first MAX_PROBLEMS and counts the rest."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Problem] = []
        self.more = 0

    def add(self, problem: Problem) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(problem)
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if not self.items:
            return
        problems = list(self.items)
        if self.more:
            problems.append(Problem("DATA_FORMAT", f"còn {self.more} lỗi nữa không liệt kê ở đây",
                                    Location(file=self.file),
                                    hint=f"Sửa {MAX_PROBLEMS} lỗi trên rồi chạy lại để thấy các lỗi còn lại."))
        raise DataError(problems)


class _CellError(Exception):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class _NumberTooLarge(_CellError):
    """A number past the engine's bounds (a million digits): a limit, not a typo to list with the others."""

    def __init__(self, message: str):
        super().__init__(message, "Kiểm tra lại ô này: một số liệu không có nhiều chữ số như vậy.")


_LINE_BREAKS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n"})


def _text(value: str) -> str | None:
    if len(value) > current_limits().do_dai_chuoi:
        raise _CellError(f"ô dài {format_number(len(value))} ký tự, quá giới hạn "
                         f"{current_limits().describe('do_dai_chuoi')}", "Kiểm tra đúng tệp; một ô không dài như vậy.")
    bad = UNPRINTABLE.search(value.translate(_LINE_BREAKS))
    if bad:
        raise _CellError(f"ô có ký tự không in được U+{ord(bad[0]):04X}",
                         "Xóa ký tự này trong ô (thường do dán từ chương trình khác).")
    cleaned = " ".join(nfc(value).split())
    return None if cleaned in NOT_APPLICABLE else cleaned


def parse_number(text: str) -> Decimal:
    """Turn a number written the Vietnamese way ("16,74", "115.213") into a Decimal.

    Raises ValueError whose message says what is wrong and how to write it instead.

    >>> parse_number("115.213"), parse_number("1,72")
    (Decimal('115213'), Decimal('1.72'))
    """
    try:
        return _parse_number(text)
    except _CellError as exc:
        raise ValueError(f"{exc.message}. {exc.hint}" if exc.hint else exc.message) from None


def _parse_number(text: str) -> Decimal:
    """Turn a number written the Vietnamese way into an exact Decimal, or raise _CellError."""
    cleaned = text.strip().replace("\u2212", "-")
    if _VI_NUMBER.fullmatch(cleaned):
        number = Decimal(cleaned.replace(".", "").replace(",", "."))
        try:
            return check_magnitude(number)
        except ValueError as exc:
            raise _NumberTooLarge(str(exc)) from None
    if _DOT_DECIMAL.fullmatch(cleaned):
        raise _CellError(
            f"số '{text}' dùng dấu chấm làm dấu thập phân",
            f"Theo cách viết Việt Nam, dấu chấm chỉ ngăn cách hàng nghìn (1.147) và phần thập phân đứng sau "
            f"dấu phẩy: sửa thành {cleaned.replace('.', ',')}.",
        )
    if cleaned in _EXCEL_ERRORS:
        raise _CellError(f"ô báo lỗi công thức {cleaned}, không có số",
                         "Sửa công thức trong Excel hoặc ghi thẳng giá trị số vào ô.")
    raise _CellError(f"cần một số nhưng ô ghi '{text}'", _NUMBER_HINT)


def _convert(value: object, numeric: bool) -> object:
    """Turn a raw cell value into str, Decimal or None; raise _CellError for a bad number."""
    if value is None:
        return None
    if isinstance(value, str):
        cleaned = _text(value)
        if cleaned is None or not numeric:
            return cleaned
        return _parse_number(cleaned)
    if isinstance(value, bool):
        if numeric:
            raise _CellError(f"cần một số nhưng ô ghi giá trị đúng/sai '{'TRUE' if value else 'FALSE'}'", _NUMBER_HINT)
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if not numeric:
            return str(value)
        try:
            return check_magnitude(Decimal(value))
        except ValueError as exc:
            raise _NumberTooLarge(str(exc)) from None
    if isinstance(value, (float, Decimal)):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            raise _CellError(f"số '{value}' không hữu hạn", _NUMBER_HINT)
        try:
            number = to_decimal(value)  # a float goes through its decimal repr, never binary arithmetic
        except ValueError as exc:
            raise _NumberTooLarge(str(exc)) from None
        if numeric:
            return number
        return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        shown = value.isoformat()
        if isinstance(value, dt.datetime) and value.time() == dt.time(0):
            shown = value.date().isoformat()
        if numeric:
            raise _CellError(f"cần một số nhưng ô chứa ngày/giờ '{shown}'",
                             "Định dạng lại ô thành Số (Number) rồi nhập lại giá trị; "
                             "Excel có thể đã tự đổi '1.5' thành ngày tháng.")
        return shown
    raise _CellError(f"không đọc được giá trị kiểu {type(value).__name__}",
                     "Ghi giá trị là chữ hoặc số." if not numeric else _NUMBER_HINT)


def _headers_list(headers: Iterable[str]) -> str:
    shown = [f"'{h}'" for h in headers]
    if not shown:
        return "(không có cột nào)"
    if len(shown) > 40:
        shown = [*shown[:40], f"… và {len(shown) - 40} cột nữa"]
    return ", ".join(shown)


def _suggest(wanted: str, present: Sequence[str]) -> str | None:
    by_key = {_norm(h): h for h in reversed(present)}
    close = difflib.get_close_matches(_norm(wanted), list(by_key), n=1, cutoff=0.6)
    return by_key[close[0]] if close else None


def _missing_column(columns: ColumnMap, field: str, present: Sequence[str], where: Location, place: str) -> Problem:
    header = columns.fields[field]
    message = f"không có cột '{header}' {place} (cần cho trường '{field}')"
    suggestion = _suggest(header, present)
    if suggestion is not None:
        message += f"; có phải là cột '{suggestion}'?"
    return Problem("DATA_FORMAT", message, where,
                   hint=f"Các cột đang có: {_headers_list(present)}. "
                        "Sửa tên cột trong tệp (hoặc trong cấu hình cột) cho khớp; hoa/thường và dấu cách thừa "
                        "không quan trọng.")


# ---------------------------------------------------------------------------------------------
# Tables with a header row (CSV and Excel)


@dataclass
class _Table:
    """Rows of raw cell values with their row numbers, and how to name a row or a cell."""

    file: str
    rows: list[tuple[int, Sequence[object]]]
    sheet: str | None = None  # Excel sheet title; None for CSV

    def where(self) -> str:
        return f"trong trang tính '{self.sheet}'" if self.sheet is not None else "trong dòng tiêu đề"

    def cell(self, row: int, col: int, header: str | None = None) -> Location:
        """Location of a cell; ``col`` is 0-based."""
        suffix = f" (cột '{header}')" if header is not None else ""
        if self.sheet is not None:
            return Location(file=self.file, line=row, field=f"{_sheet_ref(self.sheet)}!{_letter(col)}{row}{suffix}")
        return Location(file=self.file, line=row, column=col + 1, field=f"dòng {row}{suffix}")

    def column_name(self, col: int) -> str:
        """How a person finds a column: its Excel letter, or its number in a CSV; ``col`` is 0-based."""
        return f"cột {_letter(col)}" if self.sheet is not None else f"cột thứ {col + 1}"

    def row(self, row: int, col: int) -> Location:
        if self.sheet is not None:
            return Location(file=self.file, line=row, field=f"{_sheet_ref(self.sheet)}!{_letter(col)}{row}")
        return Location(file=self.file, line=row, field=f"dòng {row}")


def _empty(table: _Table) -> Problem:
    where = Location(file=table.file, field=f"trang tính '{table.sheet}'" if table.sheet else None)
    place = f" trong trang tính '{table.sheet}'" if table.sheet is not None else ""
    return Problem("DATA_FORMAT", f"tệp trống, không có dòng tiêu đề{place}", where,
                   hint="Bảng cần một dòng tiêu đề (tên các cột) và mỗi đơn vị một dòng bên dưới.")


def _label_key(text: str) -> str:
    """A column-number label as it compares: "(5)", "( 5 )" and "5" are the same label."""
    key = header_key(text).replace(" ", "")
    inner = re.fullmatch(r"\((\w+)\)", key)
    return inner[1] if inner else key


class _Columns:
    """Find the column a ``cot:`` value names: by its full header path, a trailing part of it, or its label."""

    def __init__(self, columns: Sequence[Column]):
        self.columns = [c for c in columns if c.path or c.label]
        self.full = [header_key(c.name) for c in self.columns]
        self.tails = [{header_key(" / ".join(c.path[k:])) for k in range(1, len(c.path))} for c in self.columns]
        self.labels = [_label_key(c.label) if c.label else None for c in self.columns]

    def find(self, wanted: str) -> list[Column]:
        """The columns ``wanted`` names: one, several (ambiguous) or none."""
        key = header_key(wanted)
        for hits in ([c for c, k in zip(self.columns, self.full, strict=True) if k == key],
                     [c for c, t in zip(self.columns, self.tails, strict=True) if key in t],
                     [c for c, k in zip(self.columns, self.labels, strict=True) if k is not None and
                      k == _label_key(wanted)]):
            if hits:
                return hits
        return []

    def names(self) -> list[str]:
        """Every column as a person names it: its full path (or its label if it has no header)."""
        return [c.name or c.label or "" for c in self.columns]

    def closest(self, wanted: str) -> str | None:
        """The name of the column closest to ``wanted``: its shortest unique name, to write in ``cot:``."""
        choices: dict[str, str] = {}
        for column in self.columns:
            short = column.short or column.name
            for k in range(len(column.path)):
                choices.setdefault(header_key(" / ".join(column.path[k:])), short)
            if column.label:
                choices.setdefault(header_key(column.label), column.label)
        close = difflib.get_close_matches(header_key(wanted), list(choices), n=1, cutoff=0.6)
        return choices[close[0]] if close else None


def _locate(analysis: Analysis, table: _Table, columns: ColumnMap) -> dict[str, int]:
    """Field → 0-based column of the table; every field that names no column, or several, is a problem."""
    finder = _Columns(analysis.columns)
    header_rows = analysis.header_rows
    where = table.row(header_rows[0], 0) if header_rows else Location(file=table.file)
    place = table.where()
    shown_rows = (f"dòng {header_rows[0]}" if len(header_rows) == 1 else
                  f"dòng {header_rows[0]}–{header_rows[-1]} ({len(header_rows)} tầng)") if header_rows else "không có"
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for field, wanted in columns.fields.items():
        hits = finder.find(wanted)
        if len(hits) == 1:
            positions[field] = hits[0].index
        elif hits:
            listed = "; ".join(f"'{c.name or c.label}' ({table.column_name(c.index)})" for c in hits[:10])
            if all(header_key(c.name) == header_key(hits[0].name) for c in hits) and hits[0].path:
                hint = "Các cột trùng tên: đổi tên hoặc xóa các cột thừa, hoặc ghi nhãn số cột của cột cần lấy."
            elif not any(header_key(c.name) == header_key(wanted) for c in hits) and any(
                    _label_key(wanted) == _label_key(c.label or "") for c in hits):
                hint = "Các cột cùng nhãn số (bảng đánh số nhầm): chọn cột theo tên tiêu đề."
            else:
                example = next((c.short for c in hits if c.short and header_key(c.short) != header_key(wanted)), "")
                hint = ("Ghi thêm phần tiêu đề phía trên, nối bằng ' / '" +
                        (f", ví dụ '{example}'" if example else "") + "; hoặc ghi nhãn số cột của nó như '(5)'.")
            problems.append(Problem("DATA_FORMAT", f"cột '{wanted}' (trường '{field}') khớp {len(hits)} cột, không "
                                    f"biết lấy cột nào: {listed}", where, hint=hint))
        elif field not in columns.optional:
            message = f"không có cột '{wanted}' {place} (cần cho trường '{field}')"
            suggestion = finder.closest(wanted)
            if suggestion is not None:
                message += f"; có phải là cột '{suggestion}'?"
            problems.append(Problem(
                "DATA_FORMAT", message, where,
                hint=f"Các cột đang có: {_headers_list(finder.names())}. Dòng tiêu đề tìm được: {shown_rows}; "
                     f"'vanban data {table.file}' cho xem bảng được đọc thế nào. Ghi tên cột (cả đường dẫn tiêu đề "
                     "nhiều tầng nối bằng ' / ', hoặc phần cuối của nó), hay nhãn số cột như '(5)'; hoa/thường và dấu "
                     "cách thừa không quan trọng."))
    if problems:
        raise DataError(problems)
    return positions


def _summary_value(raw: object, numeric: bool) -> object:
    """A summary cell: a Decimal, None (blank or "-"), or its text when a number was wanted and it is none."""
    try:
        return _convert(raw, numeric)
    except _NumberTooLarge:
        raise
    except _CellError:
        return " ".join(nfc(str(raw)).split())


def _units_from_table(table: _Table, analysis: Analysis, columns: ColumnMap) -> UnitTable:
    positions = _locate(analysis, table, columns)
    if table.sheet is None:
        _check_widths(table, analysis.header[-1] if analysis.header else 0,
                      only=(*analysis.units, *(s.index for s in analysis.summaries)), header=analysis.header)
    collector = _Problems(table.file)
    first_col = min(positions.values(), default=0)
    units: list[UnitRow] = []
    for position, group in zip(analysis.units, analysis.unit_groups, strict=True):
        row_number, cells = table.rows[position]
        values: dict[str, object] = {}
        for field, header in columns.fields.items():
            col = positions.get(field)
            raw = cells[col] if col is not None and col < len(cells) else None
            where = table.cell(row_number, col if col is not None else 0, header)
            try:
                values[field] = _convert(raw, field in columns.numeric)
            except _NumberTooLarge as exc:
                raise LimitError(Problem("LIMIT_NUMBER", exc.message, where, hint=exc.hint)) from None
            except _CellError as exc:
                values[field] = None
                collector.add(Problem("DATA_FORMAT", exc.message, where, hint=exc.hint))
        units.append(UnitRow(values=values, source=table.row(row_number, first_col), group=group))
    collector.raise_if_any()
    if not units:
        header_row = analysis.header_rows[-1] if analysis.header else table.rows[0][0]
        found = ""
        if analysis.groups or analysis.summaries:
            found = (f" (có {len(analysis.groups)} dòng nhóm, {len(analysis.summaries)} dòng tổng hợp, không có dòng "
                     "đơn vị)")
        raise DataError(Problem("DATA_FORMAT", f"bảng chỉ có dòng tiêu đề, không có dòng dữ liệu nào{found}",
                                table.row(header_row, first_col),
                                hint="Thêm mỗi đơn vị một dòng dưới dòng tiêu đề."))
    summaries: list[SummaryRow] = []
    for summary in analysis.summaries:
        row_number, cells = table.rows[summary.index]
        values = {}
        places: dict[str, Location] = {}
        for field, col in positions.items():
            where = table.cell(row_number, col, columns.fields[field])
            try:
                values[field] = _summary_value(cells[col] if col < len(cells) else None, field in columns.numeric)
            except _NumberTooLarge as exc:
                raise LimitError(Problem("LIMIT_NUMBER", exc.message, where, hint=exc.hint)) from None
            places[field] = where
        summaries.append(SummaryRow(summary.kind, summary.text, values, places, summary.units, summary.group,
                                    table.row(row_number, first_col)))
    return UnitTable(units, analysis.groups, tuple(summaries))


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_records(text: str, delimiter: str, limit: int | None = None) -> list[tuple[int, Sequence[object]]]:
    """Records of a CSV text with the line each starts on (a quoted field may span lines), within the limits."""
    limits = current_limits()
    most = limits.so_dong + HEADER_SEARCH_ROWS
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, Sequence[object]]] = []
    start = 1
    try:
        for record in reader:
            if len(record) > limits.so_cot:
                raise LimitError(Problem("LIMIT_ROWS", f"dòng có {format_number(len(record))} cột, quá giới hạn "
                                         f"{limits.describe('so_cot')}",
                                         Location(line=start), hint="Kiểm tra dấu phân cách của tệp CSV."))
            records.append((start, record))
            if len(records) > most:
                raise LimitError(Problem("LIMIT_ROWS", f"bảng có hơn {limits.describe('so_dong')} dòng dữ liệu",
                                         Location(line=start),
                                         hint="Chia bảng thành nhiều tệp, hoặc nâng giới hạn so_dong."))
            start = reader.line_num + 1
            if limit is not None and len(records) >= limit:
                break
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise LimitError(Problem("LIMIT_TEXT", f"một ô dài hơn {format_number(csv.field_size_limit())} ký tự",
                                     Location(line=reader.line_num),
                                     hint="Kiểm tra ngoặc kép trong tệp: một dấu \" không đóng làm cả phần còn lại "
                                          "của tệp thành một ô.")) from None
        raise DataError(Problem("DATA_FORMAT", f"tệp CSV hỏng ở dòng {reader.line_num}, không tách được các cột",
                                Location(line=reader.line_num),
                                hint="Mở và lưu lại tệp bằng Excel hoặc LibreOffice dưới dạng CSV UTF-8.")) from None
    return records


def _csv_text(file: InputFile) -> str:
    return decode_text(file, role="du_lieu").text


def _delimiter_of(text: str) -> str:
    """The delimiter that splits the first line into the most cells (';' from Vietnamese Excel, then ',', tab)."""
    first = text.split("\n", 1)[0]
    return max(CSV_DELIMITERS, key=lambda d: (first.count(d), -CSV_DELIMITERS.index(d)))


def _in_file(error: DataError | LimitError, name: str) -> DataError | LimitError:
    """Problems found on a line of a table, given the file they are in."""
    fixed = [Problem(p.code, p.message, Location(file=name, line=p.location.line, column=p.location.column,
                                                 field=p.location.field or (f"dòng {p.location.line}"
                                                                            if p.location.line else None)), p.hint)
             if p.location.file is None else p for p in error.problems]
    return type(error)(fixed)


def _csv_delimiter(text: str) -> str:
    """The delimiter under which the first rows split most alike into the most cells (';' first, then ',', tab).

    Excel writes every delimiter of a row, even for empty cells, so under the right delimiter most
    rows of the table (titles, header, units) have the same number of cells; under a wrong one a
    cell's own commas or semicolons make the rows ragged or leave one cell per row.
    """
    best: tuple[tuple[int, int, int], str] | None = None
    for order, delimiter in enumerate(CSV_DELIMITERS):
        try:
            records = _csv_records(text, delimiter, DELIMITER_SAMPLE)
        except DataError:  # a quote this delimiter cannot close: not the file's delimiter
            continue
        except LimitError:  # too many cells under it: said as such, not read under another delimiter
            raise
        widths: dict[int, int] = {}
        for _, cells in records:
            if len(cells) >= 2:
                widths[len(cells)] = widths.get(len(cells), 0) + 1
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]), default=(1, 0))
        rank = (count, width, -order)
        if best is None or rank > best[0]:
            best = (rank, delimiter)
    return best[1] if best else CSV_DELIMITERS[0]


def _read_csv(file: InputFile, columns: ColumnMap) -> UnitTable:
    text = _csv_text(file)
    try:
        table = _Table(file.name, _csv_records(text, _csv_delimiter(text)))
    except (DataError, LimitError) as exc:
        raise _in_file(exc, file.name) from None
    if not table.rows:
        raise DataError(_empty(table))
    return _units_from_table(table, analyse(table.rows, file=file.name), columns)


def _check_widths(table: _Table, header_index: int, *, only: Iterable[int] | None = None,
                  header: Sequence[int] = ()) -> None:
    """Every CSV row has as many cells as its header: a row with fewer or more lost a delimiter or a quote.

    (Excel writes every delimiter, even of empty cells; a ragged row means a broken file, and reading
    it anyway would shift or drop values without a word.) ``only``: the positions of the rows to
    check (the units and summaries of an export, not its notes); ``header``: its header rows.
    """
    header = tuple(header) or (header_index,)
    header_row = table.rows[header[0]][0]
    shown = f"dòng {header_row}" if len(header) == 1 else f"dòng {header_row}–{table.rows[header[-1]][0]}"
    width = max((i + 1 for h in header for i, v in enumerate(table.rows[h][1]) if not _is_blank(v)), default=0)
    collector = _Problems(table.file)
    positions = only if only is not None else range(header_index + 1, len(table.rows))
    for position in positions:
        number, cells = table.rows[position]
        if all(_is_blank(v) for v in cells):
            continue
        filled = max((i + 1 for i, v in enumerate(cells) if not _is_blank(v)), default=0)
        if filled > width:
            collector.add(Problem("DATA_FORMAT", f"dòng có {filled} ô có giá trị, dòng tiêu đề ({shown}) chỉ "
                                  f"có {width} cột", table.row(number, 0),
                                  hint="Một ô có dấu phân cách (; hoặc ,) mà không đặt trong ngoặc kép, hoặc thừa cột; "
                                       "lưu lại tệp bằng Excel dưới dạng CSV."))
        elif len(cells) < width:
            collector.add(Problem("DATA_FORMAT", f"dòng chỉ có {len(cells)} ô, dòng tiêu đề ({shown}) có "
                                  f"{width} cột", table.row(number, 0),
                                  hint="Dòng bị thiếu dấu phân cách hoặc bị ngắt giữa chừng; lưu lại tệp bằng Excel "
                                       "dưới dạng CSV."))
    collector.raise_if_any()


# ---------------------------------------------------------------------------------------------
# Excel .xlsx


def _open_workbook(file: InputFile, *, data_only: bool) -> Any:
    """A read-only workbook, after engine.trust has checked the package (no zip bomb, no DTD)."""
    return _open_checked(file, data_only=data_only)[0]


def _open_checked(file: InputFile, *, data_only: bool) -> tuple[Any, Package]:
    """A read-only workbook and the package engine.trust checked (no zip bomb, no DTD) before openpyxl opened it."""
    from openpyxl import load_workbook

    package = open_package(file.data, name=file.name, role="du_lieu", kind=".xlsx")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they say nothing about the data.
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(file.data), read_only=True, data_only=data_only), package
    except Exception as exc:  # a corrupt workbook fails anywhere inside openpyxl, zipfile or the XML parser
        raise DataError(Problem(
            "FILE_ZIP", f"tệp không phải sổ làm việc Excel .xlsx hợp lệ hoặc đã bị hỏng ({type(exc).__name__})",
            Location(file=file.name),
            hint="Mở tệp bằng Excel hoặc LibreOffice rồi Lưu thành → Sổ làm việc Excel (.xlsx); tệp .xls cũ "
                 "đổi tên thành .xlsx sẽ không đọc được.",
        )) from None


def _choose_sheet(workbook: Any, shown: str, sheet: str | None) -> Any:
    sheets = list(workbook.worksheets)
    titles = [ws.title for ws in sheets]
    if sheet is None:
        visible = [ws for ws in sheets if ws.sheet_state == "visible"]
        if not (visible or sheets):
            raise DataError(Problem("DATA_FORMAT", "sổ làm việc không có trang tính dữ liệu nào", Location(file=shown)))
        return (visible or sheets)[0]
    for ws in sheets:
        if ws.title == sheet:
            return ws
    for ws in sheets:
        if _norm(ws.title) == _norm(sheet):
            return ws
    message = f"không có trang tính '{sheet}'"
    suggestion = _suggest(sheet, titles)
    if suggestion is not None:
        message += f"; có phải là '{suggestion}'?"
    raise DataError(Problem("DATA_FORMAT", message, Location(file=shown),
                            hint=f"Các trang tính đang có: {_headers_list(titles)}."))


def _sheet_rows(worksheet: Any, shown: str, *, as_shown: bool = False) -> list[tuple[int, Sequence[object]]]:
    """The rows of a sheet as stored, within the limits, whatever size the sheet claims for itself.

    A sheet states its own dimension ("A1:XFD1048576"), and openpyxl would pad every row to it;
    the dimension is ignored and the rows are read as the file holds them. With ``as_shown`` a number
    is read with the decimals its cell's number format shows (:func:`cell_number`).
    """
    limits = current_limits()
    most = limits.so_dong + HEADER_SEARCH_ROWS
    worksheet.reset_dimensions()
    rows: list[tuple[int, Sequence[object]]] = []
    try:
        for number, cells in enumerate(_iter_rows(worksheet, as_shown), start=1):
            if number > most:
                raise LimitError(Problem("LIMIT_ROWS", f"trang tính có dữ liệu ở dòng {format_number(number)} trở "
                                         f"đi, quá giới hạn {limits.describe('so_dong')} dòng",
                                         Location(file=shown, field=f"{_sheet_ref(worksheet.title)}!A{number}"),
                                         hint="Xóa các dòng thừa ở cuối trang tính, hoặc nâng giới hạn so_dong."))
            if len(cells) > limits.so_cot:
                raise LimitError(Problem("LIMIT_ROWS", f"dòng {number} có {format_number(len(cells))} cột, quá "
                                         f"giới hạn {limits.describe('so_cot')}",
                                         Location(file=shown, field=f"{_sheet_ref(worksheet.title)}!A{number}"),
                                         hint="Xóa các cột thừa ở bên phải trang tính."))
            if cells:
                rows.append((number, cells))
    except (LimitError, DataError):
        raise
    except Exception as exc:  # a sheet that claims to be XML and is not fails inside openpyxl or the parser
        raise DataError(Problem("FILE_XML", f"trang tính '{worksheet.title}' hỏng, không đọc được "
                                f"({type(exc).__name__})", Location(file=shown),
                                hint="Mở và lưu lại tệp bằng Excel hoặc LibreOffice.")) from None
    return rows


def _iter_rows(worksheet: Any, as_shown: bool) -> Iterable[Sequence[object]]:
    if not as_shown:
        yield from worksheet.iter_rows(min_row=1, values_only=True)
        return
    for cells in worksheet.iter_rows(min_row=1):
        yield tuple(cell_number(cell.value, cell.number_format) for cell in cells)


# A number format's parts that are not digits: quoted text, escaped characters, [colours, conditions,
# locales], padding (_x) and fill (*x) characters.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


@lru_cache(maxsize=256)  # a workbook has a few formats and every cell names one of them
def format_decimals(number_format: str | None) -> tuple[int, int] | None:
    """The fewest and the most decimals an Excel number format shows a number with; None: as stored.

    "0.0" → (1, 1); "#,##0.00" → (2, 2); "0.0#" → (1, 2); "0%" → (2, 2) (a fraction shown in percent);
    "0" → (0, 0). "General", text ("@"), scientific and fraction formats show a number as it is stored.

    >>> format_decimals("0.0"), format_decimals("#,##0.00;[Red]-#,##0.00"), format_decimals("0.00%")
    ((1, 1), (2, 2), (4, 4))
    >>> format_decimals("General"), format_decimals("0.00E+00"), format_decimals('0.0" điểm"')
    (None, None, (1, 1))
    """
    if not number_format or number_format.strip().lower() in ("general", "@"):
        return None
    first = _FORMAT_LITERALS.sub("", number_format).split(";", 1)[0]
    if not any(ch in first for ch in "0#?") or any(ch in first for ch in "eE/@"):
        return None
    _, point, fraction = first.partition(".")
    places = re.match(r"[0#?]*", fraction)[0] if point else ""  # type: ignore[index]
    shift = 2 * first.count("%")
    # Excel shows at most 30 decimals; a format asking for more (a hostile file) is read as showing 30.
    return min(places.count("0") + shift, MAX_DECIMALS), min(len(places) + shift, MAX_DECIMALS)


def cell_number(value: object, number_format: str | None) -> object:
    """A cell's value, a number with the decimals its number format shows: .xlsx numbers have no written form.

    Excel stores 4 for a cell typed "4,0" under the format "0.0": it is read as 4,0 (padded, the value
    unchanged). A value stored with more decimals than its format shows is read as Excel shows it, rounded
    half-up (9,6667 under "0.0" is 9,7: the figure the clerk sees and the document prints). Under "General"
    a number is read as stored (its shortest form to 15 digits: 72.1 is 72,1, 87 is 87). Anything that is
    not an int or a float is returned unchanged.

    >>> cell_number(4, "0.0"), cell_number(9.6667, "0.0"), cell_number(72.1, "General"), cell_number(3.7, "0")
    (Decimal('4.0'), Decimal('9.7'), 72.1, 4)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    shows = format_decimals(number_format)
    if shows is None or (isinstance(value, float) and not math.isfinite(value)):
        return value
    try:
        number = to_decimal(value)
    except ValueError:
        return value  # past the engine's bounds: reported as such when the cell is converted
    fewest, most = shows
    places = min(max(decimals_of(number), fewest), most)
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, number.adjusted() + places + 2)
        shown = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(shown) if places == 0 else shown


# <mergeCell ref="A1:P1"/>, with or without a namespace prefix; the ranges come after the sheet's rows.
_MERGE_CELL = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_RANGE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?")
_LAST_COLUMN, _LAST_ROW = 16_384, 1_048_576  # XFD1048576: the last cell of an Excel sheet
_LONGEST_TAG = 4096  # a <mergeCell> tag Excel or LibreOffice writes is a few dozen bytes


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _merge_of(ref: str, shown: str, sheet: str) -> Merge:
    match = _CELL_RANGE.fullmatch(ref.strip().upper())
    if match:
        left, top = _column_number(match[1]), int(match[2])
        right, bottom = (_column_number(match[3]), int(match[4])) if match[3] else (left, top)
        if 1 <= left <= right <= _LAST_COLUMN and 1 <= top <= bottom <= _LAST_ROW:
            return Merge(top, left, bottom, right)
    raise DataError(Problem("DATA_FORMAT", f"vùng gộp ô '{ref[:40]}' của trang tính '{sheet}' không hợp lệ (sai dạng "
                            "hoặc ra ngoài trang tính)", Location(file=shown, field=f"{_sheet_ref(sheet)}!{ref[:40]}"),
                            hint="Mở và lưu lại tệp bằng Excel hoặc LibreOffice."))


def _sheet_merges(package: Package, worksheet: Any, shown: str) -> list[Merge]:
    """The merged ranges of a sheet, read from its part in the checked package, streamed (openpyxl's read-only
    mode does not give them); at most ``so_o`` of them.
    """
    part = getattr(worksheet, "_worksheet_path", None)  # where openpyxl read the sheet from (openpyxl 3.1)
    if not part or part not in package.names:
        return []
    limits = current_limits()
    merges: list[Merge] = []
    title = worksheet.title
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive, archive.open(part) as stream:
        buffer, inside = b"", False
        while True:
            chunk = stream.read(1 << 20)
            buffer += chunk
            if not inside:
                at = buffer.find(b"mergeCell")
                if at < 0:
                    buffer = buffer[-16:]
                    if not chunk:
                        break
                    continue
                inside, buffer = True, buffer[max(at - 64, 0):]
            end = 0
            for match in _MERGE_CELL.finditer(buffer):
                merges.append(_merge_of((match[1] or match[2] or b"").decode("utf-8", "replace"), shown, title))
                if len(merges) > limits.so_o:
                    raise LimitError(Problem(
                        "LIMIT_ROWS", f"trang tính '{title}' có hơn {limits.describe('so_o')} vùng gộp ô, quá giới hạn "
                        "so_o", Location(file=shown), hint="Bỏ gộp các ô thừa, hoặc nâng giới hạn so_o."))
                end = match.end()
            if not chunk:
                break
            buffer = buffer[max(end, len(buffer) - _LONGEST_TAG):]
    return merges


def _xlsx_table(file: InputFile, sheet: str | None) -> tuple[_Table, list[Merge], tuple[str, ...]]:
    """The chosen sheet's rows, its merged ranges and the titles of every sheet of the workbook."""
    workbook, package = _open_checked(file, data_only=True)
    try:
        worksheet = _choose_sheet(workbook, file.name, sheet)
        table = _Table(file.name, _sheet_rows(worksheet, file.name, as_shown=True), sheet=worksheet.title)
        titles = tuple(ws.title for ws in workbook.worksheets)
        merges = _sheet_merges(package, worksheet, file.name)
    finally:
        workbook.close()
    return table, merges, titles


def _read_xlsx(file: InputFile, columns: ColumnMap, sheet: str | None) -> UnitTable:
    table, merges, _ = _xlsx_table(file, sheet)
    if not table.rows:
        raise DataError(_empty(table))
    analysis = analyse(table.rows, merges, file=file.name, sheet=table.sheet)
    read = _units_from_table(table, analysis, columns)
    _check_uncomputed_formulas(file, table, columns, read.units, _locate(analysis, table, columns))
    return read


def _check_uncomputed_formulas(file: InputFile, table: _Table, columns: ColumnMap, units: list[UnitRow],
                               positions: dict[str, int]) -> None:
    """A formula whose result was never saved reads as blank; report it instead of reading "not applicable".

    Files written by programs (not by Excel or LibreOffice) often hold formulas without their
    computed values. Only cells that read as blank are checked, with a second pass that keeps
    the formulas.
    """
    cells = dict(table.rows)
    blank: list[tuple[int, int, str]] = []
    for unit in units:
        row = unit.source.line or 0
        for field, col in positions.items():
            raw = cells[row][col] if col < len(cells[row]) else None
            if raw is None:
                blank.append((row, col, columns.fields[field]))
    if not blank:
        return
    workbook = _open_workbook(file, data_only=False)
    try:
        formulas = dict(_sheet_rows(workbook[table.sheet], file.name))
    finally:
        workbook.close()
    collector = _Problems(table.file)
    for row, col, header in blank:
        stored = formulas.get(row, ())
        if col < len(stored) and isinstance(stored[col], str) and stored[col].startswith("="):
            collector.add(Problem(
                "DATA_FORMAT", "ô có công thức nhưng tệp chưa lưu kết quả của công thức",
                table.cell(row, col, header),
                hint="Mở tệp bằng Excel hoặc LibreOffice rồi lưu lại (để lưu kết quả công thức), "
                     "hoặc dán giá trị thay cho công thức.",
            ))
    collector.raise_if_any()


# ---------------------------------------------------------------------------------------------
# YAML


def _read_yaml(file: InputFile, columns: ColumnMap) -> list[UnitRow]:
    loaded = load_yaml_input(file, role="du_lieu")
    shown = file.name
    data = loaded.data
    base: tuple[str | int, ...] = ()
    if isinstance(data, dict) and "don_vi" in data:
        data, base = data["don_vi"], ("don_vi",)
    if not isinstance(data, list):
        got = "tệp trống" if data is None else f"nhận được {_yaml_kind(data)}"
        raise DataError(Problem(
            "DATA_FORMAT", f"cần một danh sách đơn vị ({got})", loaded.location(base),
            hint="Ghi mỗi đơn vị là một mục '- ' của danh sách, hoặc đặt danh sách dưới khóa 'don_vi:'.",
        ))
    collector = _Problems(shown)
    items: list[tuple[int, dict[str, Any], dict[str, Any]]] = []  # index, item, normalised key -> original key
    present: list[str] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            collector.add(Problem("DATA_FORMAT", f"mục thứ {index + 1} phải là một bảng 'tên cột: giá trị', "
                                  f"nhận được {_yaml_kind(item)}", loaded.location((*base, index))))
            continue
        keys = {_norm(str(k)): k for k in reversed(list(item))}
        for key in item:
            if str(key) not in present:
                present.append(str(key))
        items.append((index, item, keys))

    found = {_norm(h) for h in present}
    missing = [f for f, h in columns.fields.items() if _norm(h) not in found and f not in columns.optional]
    if missing and items:
        raise DataError([
            _missing_column(columns, f, present, loaded.location(base), "trong các đơn vị") for f in missing
        ])

    units: list[UnitRow] = []
    for index, item, keys in items:
        if all(_is_blank(v) for v in item.values()):
            continue
        values: dict[str, object] = {}
        for field, header in columns.fields.items():
            key = keys.get(_norm(header))
            if key is None:
                values[field] = None
                _check_misspelt_key(loaded, base, index, item, keys, columns, header, collector)
                continue
            where = loaded.location((*base, index, key), field=f"mục thứ {index + 1} (cột '{header}')")
            try:
                values[field] = _convert(item[key], field in columns.numeric)
            except _NumberTooLarge as exc:
                raise LimitError(Problem("LIMIT_NUMBER", exc.message, where, hint=exc.hint)) from None
            except _CellError as exc:
                values[field] = None
                collector.add(Problem("DATA_FORMAT", exc.message, where, hint=exc.hint))
        units.append(UnitRow(values=values, source=loaded.location((*base, index), field=f"mục thứ {index + 1}")))
    collector.raise_if_any()
    return units


def _check_misspelt_key(loaded: LoadedYaml, base: tuple[str | int, ...], index: int, item: dict[str, Any],
                        keys: dict[str, Any], columns: ColumnMap, header: str, collector: _Problems) -> None:
    """A unit without a wanted key but with an unknown key close to it most likely has a typo."""
    wanted = {_norm(h) for h in columns.fields.values()}
    unknown = [str(keys[k]) for k in keys if k not in wanted]
    suggestion = _suggest(header, unknown)
    if suggestion is None:
        return
    where = loaded.location((*base, index, suggestion), at_key=True, field=f"mục thứ {index + 1}")
    collector.add(Problem("DATA_FORMAT", f"khóa '{suggestion}' không khớp cột nào; có phải là '{header}'?", where,
                          hint=f"Sửa tên khóa thành '{header}'."))


def _yaml_kind(value: object) -> str:
    if isinstance(value, dict):
        return "một bảng khóa: giá trị"
    if isinstance(value, list):
        return "một danh sách"
    if value is None:
        return "giá trị rỗng"
    return f"giá trị '{value}'"
