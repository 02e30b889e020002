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
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.errors import DataError, Location, Problem, SpecError
from engine.spec.yamlload import LoadedYaml, load_yaml_file
from engine.vn.numbers import to_decimal
from engine.vn.text import nfc

__all__ = ["SUPPORTED_SUFFIXES", "ColumnMap", "UnitRow", "parse_number", "read_units"]

SUPPORTED_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
HEADER_SEARCH_ROWS = 20  # the header row is looked for among this many first rows
MAX_PROBLEMS = 50  # problems listed one by one; the rest are counted in a final problem
NOT_APPLICABLE = frozenset({"", "-", "—", "–"})
CSV_DELIMITERS = (";", ",", "\t")

# Vietnamese number: dots between groups of three digits, a comma before the decimals.
_VI_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?")
# A dot that cannot separate thousands ("16.74"): the English decimal point.
_DOT_DECIMAL = re.compile(r"[+-]?\d*\.\d+")
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
    """

    values: dict[str, object]
    source: Location


def read_units(path: Path | str, columns: ColumnMap, *, sheet: str | None = None) -> list[UnitRow]:
    """Turn a YAML, CSV or Excel .xlsx table of units into one :class:`UnitRow` per non-blank row.

    ``sheet`` chooses an Excel sheet by name (default: the first visible sheet). Completely
    blank rows are skipped; every other row after the header is kept, a "Tổng cộng" row too.
    Raises :class:`DataError` with every problem of the file (up to 50 listed).
    """
    path = Path(path)
    shown = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{path.suffix}'" if path.suffix else "không có phần mở rộng"
        hint = f"Dùng một trong các loại tệp: {' '.join(SUPPORTED_SUFFIXES)}."
        if suffix in (".xls", ".ods", ".xlsm", ".xlsb"):
            hint += " Trong Excel hoặc LibreOffice chọn Lưu thành → Sổ làm việc Excel (.xlsx)."
        raise DataError(Problem("DATA_FORMAT", f"chưa đọc được loại tệp này ({kind})", Location(file=shown),
                                hint=hint))
    if sheet is not None and suffix != ".xlsx":
        raise DataError(Problem("DATA_FORMAT", f"tệp {suffix} không có trang tính, không chọn được trang '{sheet}'",
                                Location(file=shown), hint="Chỉ tệp .xlsx mới chọn trang tính; bỏ tên trang tính."))
    if not path.exists():
        raise DataError(Problem("DATA_FILE", "không tìm thấy tệp dữ liệu", Location(file=shown),
                                hint="Kiểm tra lại đường dẫn và tên tệp."))
    if not path.is_file():
        raise DataError(Problem("DATA_FILE", "đây là thư mục, không phải tệp dữ liệu", Location(file=shown)))
    if suffix == ".xlsx":
        return _read_xlsx(path, shown, columns, sheet)
    if suffix == ".csv":
        return _read_csv(path, shown, columns)
    return _read_yaml(path, shown, columns)


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _norm(text: str) -> str:
    """Header key: NFC, case-folded, runs of whitespace (newlines in Excel headers too) as one space."""
    return " ".join(nfc(text).casefold().split())


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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


def _text(value: str) -> str | None:
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
        return Decimal(cleaned.replace(".", "").replace(",", "."))
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
        return Decimal(value) if numeric else str(value)
    if isinstance(value, (float, Decimal)):
        try:
            number = to_decimal(value)  # a float goes through its decimal repr, never binary arithmetic
        except ValueError:
            raise _CellError(f"số '{value}' không hữu hạn", _NUMBER_HINT) from None
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


def _letter(col: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col + 1)


def _sheet_ref(title: str) -> str:
    """Sheet title as Excel writes it in a reference: quoted when it has spaces or symbols."""
    if re.fullmatch(r"[^\W\d]\w*", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def _header_cells(row: Sequence[object]) -> list[str]:
    return [" ".join(nfc(str(v)).split()) for v in row if not _is_blank(v)]


def _match_header(row: Sequence[object], columns: ColumnMap) -> dict[str, list[int]]:
    """Field -> 0-based indexes of the cells of ``row`` whose text is that field's header."""
    keys = [_norm(str(v)) if not _is_blank(v) else "" for v in row]
    found: dict[str, list[int]] = {}
    for field, header in columns.fields.items():
        wanted = _norm(header)
        hits = [i for i, key in enumerate(keys) if key == wanted]
        if hits:
            found[field] = hits
    return found


def _find_header(table: _Table, columns: ColumnMap) -> tuple[int, dict[str, int]] | None:
    """Index in ``table.rows`` of the first row with every required header, and field -> column."""
    required = columns.fields.keys() - columns.optional
    for index, (_, cells) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        found = _match_header(cells, columns)
        if required <= found.keys():
            return index, {field: hits[0] for field, hits in found.items()}
    return None


def _header_problems(table: _Table, columns: ColumnMap, header_index: int | None) -> list[Problem]:
    """Why the header row is unusable: missing columns (with a suggestion) or a column given twice."""
    candidates = table.rows[:HEADER_SEARCH_ROWS]
    if header_index is None:
        if not candidates:
            where = Location(file=table.file, field=f"trang tính '{table.sheet}'" if table.sheet else None)
            place = f" trong trang tính '{table.sheet}'" if table.sheet is not None else ""
            return [Problem("DATA_FORMAT", f"tệp trống, không có dòng tiêu đề{place}", where,
                            hint="Dòng tiêu đề phải có các cột: "
                                 f"{_headers_list(columns.fields[f] for f in columns.fields)}.")]

        # The row that looks most like the header: most wanted headers, else most text cells.
        def score(item: tuple[int, tuple[int, Sequence[object]]]) -> tuple[int, int, int]:
            index, (_, cells) = item
            return len(_match_header(cells, columns)), len(_header_cells(cells)), -index

        header_index = max(enumerate(candidates), key=score)[0]
    row_number, cells = table.rows[header_index]
    present = _header_cells(cells)
    found = _match_header(cells, columns)
    problems: list[Problem] = []
    where = table.row(row_number, 0)
    place = table.where()
    for field in columns.fields:
        if field not in found and field not in columns.optional:
            problem = _missing_column(columns, field, present, where, place)
            if len(table.rows) > 1:
                problem = Problem(problem.code, problem.message, problem.location,
                                  hint=f"Dòng tiêu đề được tìm trong {HEADER_SEARCH_ROWS} dòng đầu; dòng giống nhất "
                                       f"là dòng {row_number}. {problem.hint}")
            problems.append(problem)
        elif field in found and len(found[field]) > 1:
            refs = ", ".join(table.column_name(i) for i in found[field])
            problems.append(Problem("DATA_FORMAT", f"cột '{columns.fields[field]}' xuất hiện {len(found[field])} "
                                    f"lần ({refs}), không biết lấy cột nào", where,
                                    hint="Đổi tên hoặc xóa các cột trùng tên."))
    return problems


def _rows_from_table(table: _Table, columns: ColumnMap) -> list[UnitRow]:
    match = _find_header(table, columns)
    header_index = match[0] if match else None
    problems = _header_problems(table, columns, header_index)
    if problems or match is None:
        raise DataError(problems or [Problem("DATA_FORMAT", "không tìm thấy dòng tiêu đề", Location(file=table.file))])
    header_index, positions = match
    collector = _Problems(table.file)
    first_col = min(positions.values())
    units: list[UnitRow] = []
    for row_number, cells in table.rows[header_index + 1 :]:
        if all(_is_blank(v) for v in cells):
            continue
        values: dict[str, object] = {}
        for field, header in columns.fields.items():
            col = positions.get(field)
            raw = cells[col] if col is not None and col < len(cells) else None
            try:
                values[field] = _convert(raw, field in columns.numeric)
            except _CellError as exc:
                values[field] = None
                collector.add(Problem("DATA_FORMAT", exc.message,
                                      table.cell(row_number, col if col is not None else 0, header), hint=exc.hint))
        units.append(UnitRow(values=values, source=table.row(row_number, first_col)))
    collector.raise_if_any()
    return units


# ---------------------------------------------------------------------------------------------
# CSV


def _csv_records(text: str, delimiter: str, limit: int | None = None) -> list[tuple[int, Sequence[object]]]:
    """Records of a CSV text with the line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, Sequence[object]]] = []
    start = 1
    for record in reader:
        records.append((start, record))
        start = reader.line_num + 1
        if limit is not None and len(records) >= limit:
            break
    return records


def _read_csv(path: Path, shown: str, columns: ColumnMap) -> list[UnitRow]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(Problem("DATA_FILE", f"tệp CSV không phải bảng mã UTF-8 (byte thứ {exc.start})",
                                Location(file=shown),
                                hint="Trong Excel chọn Lưu thành → 'CSV UTF-8 (phân tách bằng dấu phẩy)'.")) from None
    except OSError as exc:
        raise DataError(Problem("DATA_FILE", f"không đọc được tệp ({exc.strerror})", Location(file=shown))) from None
    try:
        # The delimiter is the one under which some early row holds every required header;
        # failing that, the one whose best row looks most like a header (for the error message).
        best: tuple[tuple[int, int], str] | None = None
        chosen = None
        for delimiter in CSV_DELIMITERS:
            table = _Table(shown, _csv_records(text, delimiter, HEADER_SEARCH_ROWS))
            if _find_header(table, columns) is not None:
                chosen = delimiter
                break
            rank = max(((len(_match_header(cells, columns)), len(cells)) for _, cells in table.rows), default=(0, 0))
            if best is None or rank > best[0]:
                best = (rank, delimiter)
        if chosen is None:
            chosen = best[1] if best else CSV_DELIMITERS[0]
        table = _Table(shown, _csv_records(text, chosen))
    except csv.Error as exc:
        raise DataError(Problem("DATA_FORMAT", f"tệp CSV hỏng, không tách được các cột ({exc})", Location(file=shown),
                                hint="Mở và lưu lại tệp bằng Excel hoặc LibreOffice dưới dạng CSV UTF-8.")) from None
    return _rows_from_table(table, columns)


# ---------------------------------------------------------------------------------------------
# Excel .xlsx


def _open_workbook(path: Path, shown: str, *, data_only: bool) -> Any:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they say nothing about the data.
            warnings.simplefilter("ignore")
            return load_workbook(path, data_only=data_only)
    except OSError as exc:
        raise DataError(Problem("DATA_FILE", f"không đọc được tệp ({exc.strerror or exc})",
                                Location(file=shown))) from None
    except Exception as exc:  # a corrupt workbook fails anywhere inside openpyxl, zipfile or the XML parser
        raise DataError(Problem(
            "DATA_FILE", f"tệp không phải sổ làm việc Excel .xlsx hợp lệ hoặc đã bị hỏng ({type(exc).__name__})",
            Location(file=shown),
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


def _read_xlsx(path: Path, shown: str, columns: ColumnMap, sheet: str | None) -> list[UnitRow]:
    workbook = _open_workbook(path, shown, data_only=True)
    worksheet = _choose_sheet(workbook, shown, sheet)
    rows = [(number, cells) for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1)]
    table = _Table(shown, rows, sheet=worksheet.title)
    units = _rows_from_table(table, columns)
    _check_uncomputed_formulas(path, table, columns, units)
    return units


def _check_uncomputed_formulas(path: Path, table: _Table, columns: ColumnMap, units: list[UnitRow]) -> None:
    """A formula whose result was never saved reads as blank; report it instead of reading "not applicable".

    Files written by programs (not by Excel or LibreOffice) often hold formulas without their
    computed values. Only cells that read as blank are checked, with a second pass that keeps
    the formulas.
    """
    match = _find_header(table, columns)
    if match is None:
        return
    _, positions = match
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
    workbook = _open_workbook(path, table.file, data_only=False)
    worksheet = workbook[table.sheet]
    collector = _Problems(table.file)
    for row, col, header in blank:
        if worksheet.cell(row=row, column=col + 1).data_type == "f":
            collector.add(Problem(
                "DATA_FORMAT", "ô có công thức nhưng tệp chưa lưu kết quả của công thức",
                table.cell(row, col, header),
                hint="Mở tệp bằng Excel hoặc LibreOffice rồi lưu lại (để lưu kết quả công thức), "
                     "hoặc dán giá trị thay cho công thức.",
            ))
    collector.raise_if_any()


# ---------------------------------------------------------------------------------------------
# YAML


def _read_yaml(path: Path, shown: str, columns: ColumnMap) -> list[UnitRow]:
    try:
        loaded = load_yaml_file(path, shown_as=shown)
    except SpecError as exc:
        raise DataError([
            Problem("DATA_FILE" if p.code == "SPEC_FILE" else "DATA_FORMAT", p.message, p.location, p.hint)
            for p in exc.problems
        ]) from None
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
            try:
                values[field] = _convert(item[key], field in columns.numeric)
            except _CellError as exc:
                values[field] = None
                where = loaded.location((*base, index, key), field=f"mục thứ {index + 1} (cột '{header}')")
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
