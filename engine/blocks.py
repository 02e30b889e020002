"""Turn the spec's body blocks (bang, anh, bieu_do, chu_thich) into render-ready blocks and attachments.

A table's cells are computed here from its rows (inline, or each item of a list an expression
gives), its totals row from those same cells (figures come from code), a picture is read through
engine.trust and checked, a chart is drawn (engine.chart) from the same figures the text prints,
and footnotes get their numbers in the order the text refers to them. The results are the render
layer's plain descriptions (engine.render.tables.Table, engine.render.blocks); every wrong value
is a SpecError at the spec's line.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from engine.errors import LimitError, Problem, SpecError
from engine.inline import NOTE_CLOSE, NOTE_OPEN, plain
from engine.render.blocks import Attachments, BlockMarkup, picture_block, table_block
from engine.render.tables import Cell, Row, Table
from engine.scoring.figures import Figure, Percentage
from engine.spec import models
from engine.trust.images import checked_image
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

if TYPE_CHECKING:
    from engine.context import Expressions

__all__ = ["Notes", "TEXT_WIDTH_CM", "chart_block", "collect_notes", "picture", "table"]

TEXT_WIDTH_CM = 16.5  # A4 portrait less the margins of Nghị định 30 (30 + 15 mm)
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?:(?!\}\}).)*\}\}\s*$", re.DOTALL)


# ----- footnotes -------------------------------------------------------------------------------------------


class Notes:
    """The document's footnotes: their texts by name, and each one's number once a text refers to it."""

    def __init__(self, definitions: dict[str, tuple[str, tuple[Any, ...]]]) -> None:
        self.definitions = definitions  # name -> (spec text, path of its definition)
        self.numbers: dict[str, int] = {}
        self.attachments = Attachments()

    def resolve(self, marked: str, where: Any) -> str:
        """Marked text whose footnote names are their numbers; an unknown or second reference is an error."""
        if NOTE_OPEN not in marked:
            return marked

        def number(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in self.definitions:
                known = ", ".join(sorted(self.definitions)) or "(chưa có)"
                raise SpecError(Problem("SPEC_VALUE", f"chữ dẫn chú thích [^{name}] nhưng không có chú thích tên này",
                                        where, hint=f"Thêm khối 'chu_thich: {{{name}: …}}' vào noi_dung; các tên có: "
                                                    f"{known}. Muốn in đúng '[^', viết '~[^'."))
            if name in self.numbers:
                raise SpecError(Problem("SPEC_VALUE", f"chú thích [^{name}] được dẫn hai lần", where,
                                        hint="Mỗi chú thích cuối trang được dẫn một lần; lần sau ghi 'xem chú thích "
                                             "…' bằng chữ, hoặc đặt một chú thích khác."))
            self.numbers[name] = len(self.numbers) + 1
            return f"{NOTE_OPEN}{self.numbers[name]}{NOTE_CLOSE}"

        return re.sub(f"{NOTE_OPEN}([^{NOTE_CLOSE}]*){NOTE_CLOSE}", number, marked)

    def finish(self, expr: Expressions) -> Attachments:
        """The footnotes' texts, numbered; a footnote no text refers to is an error."""
        for name, (text, path) in self.definitions.items():
            if name not in self.numbers:
                raise SpecError(Problem("SPEC_VALUE", f"chú thích '{name}' không được chữ nào dẫn tới",
                                        expr.where(path), hint=f"Thêm [^{name}] vào chỗ cần chú thích, hoặc bỏ nó."))
            marked = expr.text(text, path)
            if NOTE_OPEN in marked:
                raise SpecError(Problem("SPEC_VALUE", "một chú thích không dẫn tới chú thích khác", expr.where(path)))
            self.attachments.notes.append((self.numbers[name], marked))
        self.attachments.notes.sort()
        return self.attachments


Definitions = dict[str, tuple[str, tuple[Any, ...]]]


def collect_notes(blocks: list[Any], path: tuple[Any, ...], expr: Expressions,
                  found: Definitions | None = None) -> Definitions:
    """Every footnote the body defines (``chu_thich`` blocks, under headings too), by name."""
    found = {} if found is None else found
    for index, block in enumerate(blocks):
        here = (*path, index)
        if isinstance(block, models.ChuThich):
            for name, text in block.chu_thich.items():
                if name in found:
                    raise SpecError(Problem("SPEC_VALUE", f"hai chú thích cùng tên '{name}'",
                                            expr.where((*here, "chu_thich", name))))
                found[name] = (text, (*here, "chu_thich", name))
        elif isinstance(block, models.TieuDe):
            collect_notes(block.noi_dung, (*here, "noi_dung"), expr, found)
    return found


# ----- tables ----------------------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Figure):
        return value.value
    if isinstance(value, Percentage):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return None


def _decimals_of(value: Any) -> int:
    if isinstance(value, Figure):
        return value.decimals
    number = _number(value)
    if number is None:
        return 0
    exponent = number.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def _shown(value: Any, decimals: int | None) -> str:
    """A cell's text: numbers in the Vietnamese form with the column's decimals (their own when none is declared)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Figure):
        return format_number(value.value, decimals) if decimals is not None else value.display()
    number = _number(value)
    if number is not None:
        return format_number(number, decimals)
    return str(value)


def _cell_value(expr: Expressions, source: str, path: tuple[Any, ...]) -> Any:
    """One expression alone gives its value (a number stays a number, for the totals); other text is text."""
    if _ONE_EXPRESSION.match(source):
        value = expr.value(source, path)
        if isinstance(value, str):
            return expr.text(source, path)
        return value
    return expr.text(source, path)


def _check_size(rows: int, columns: int, where: Any) -> None:
    limits = current_limits()
    if rows > limits.so_dong or rows * columns > limits.so_o:
        raise LimitError(Problem(
            "LIMIT_ROWS", f"bảng trong thân văn bản có {format_number(rows)} dòng, {format_number(rows * columns)} ô, "
            f"quá giới hạn {limits.describe('so_dong')} dòng, {limits.describe('so_o')} ô", where,
            hint="Đưa bảng lớn vào phụ lục (phu_luc, mau: bang); nếu đúng là cần, nâng giới hạn so_dong hoặc so_o."))


def _header(columns: list[models.CotNoiDung], repeat: bool) -> list[Row]:
    if not any(c.nhom for c in columns):
        return [Row(tuple(Cell(c.tieu_de, bold=True) for c in columns), header=repeat)]
    top: list[Cell] = []
    index = 0
    while index < len(columns):
        group = columns[index].nhom
        if group is None:
            top.append(Cell(columns[index].tieu_de, rows=2, bold=True))
            index += 1
            continue
        span = 1
        while index + span < len(columns) and columns[index + span].nhom == group:
            span += 1
        top.append(Cell(group, span=span, bold=True))
        index += span
    lower = Row(tuple(Cell(c.tieu_de, bold=True) for c in columns if c.nhom), header=repeat)
    return [Row(tuple(top), header=repeat), lower]


def table(block: models.BangNoiDung, path: tuple[Any, ...], expr: Expressions, notes: Notes | None) -> BlockMarkup:
    """A body table: header (one or two levels), a row per item, the totals row the engine adds up."""
    columns = block.cot
    width = sum(c.rong for c in columns)
    if width > TEXT_WIDTH_CM + 0.001:
        raise SpecError(Problem("SPEC_VALUE", f"bảng rộng {format_number(Decimal(repr(width)))} cm, quá "
                                f"{format_number(Decimal('16.5'))} cm của dòng chữ trên trang dọc",
                                expr.where((*path, "cot")), hint="Bớt độ rộng các cột ('rong', cm), hoặc đưa bảng "
                                                                  "vào phụ lục trang ngang (phu_luc, ngang: true)."))
    where_rows = expr.where((*path, "dong"))
    keys = {c.ma: i for i, c in enumerate(columns) if c.ma}
    values: list[list[Any]] = []
    if isinstance(block.dong, str):
        items = expr.value(block.dong, (*path, "dong"))
        if isinstance(items, dict) or not isinstance(items, (list, tuple)):
            raise SpecError(Problem("SPEC_VALUE", "'dong' của bảng phải cho ra một danh sách", where_rows,
                                    hint="Ví dụ: kq.xep_hang (danh sách đơn vị theo hạng), hoặc ghi các dòng ngay."))
        _check_size(len(items), len(columns), where_rows)
        missing = [c.tieu_de for c in columns if not c.gia_tri]
        if missing:
            raise SpecError(Problem("SPEC_MISSING", f"cột '{missing[0]}' cần 'gia_tri' (biểu thức theo 'dong', 'stt') "
                                    "khi các dòng lấy từ dữ liệu", expr.where((*path, "cot"))))
        for number, item in enumerate(items, start=1):
            local = expr.extended({"dong": item, "stt": number})
            values.append([_cell_value(local, c.gia_tri or "", (*path, "cot", i, "gia_tri"))
                           for i, c in enumerate(columns)])
    else:
        _check_size(len(block.dong), len(columns), where_rows)
        for number, item in enumerate(block.dong, start=1):
            here = (*path, "dong", number - 1)
            if isinstance(item, list):
                if len(item) != len(columns):
                    raise SpecError(Problem("SPEC_VALUE", f"dòng {number} có {len(item)} ô, bảng có {len(columns)} cột",
                                            expr.where(here), hint="Mỗi dòng ghi đủ một ô cho mỗi cột, theo thứ tự."))
                raw = list(item)
            else:
                unknown = [key for key in item if key not in keys]
                if unknown:
                    known = ", ".join(keys) or "(chưa cột nào có 'ma')"
                    raise SpecError(Problem("SPEC_VALUE", f"dòng {number} có cột '{unknown[0]}' mà bảng không có",
                                            expr.where((*here, unknown[0])), hint=f"Các cột có 'ma': {known}."))
                raw = [item.get(c.ma) if c.ma else None for c in columns]
            local = expr.extended({"dong": item, "stt": number})
            row = []
            for i, (column, value) in enumerate(zip(columns, raw, strict=True)):
                if column.gia_tri:
                    row.append(_cell_value(local, column.gia_tri, (*path, "cot", i, "gia_tri")))
                elif isinstance(value, str):
                    row.append(local.text(value, (*here, i if isinstance(item, list) else column.ma)))
                elif isinstance(value, (dict, list)):
                    raise SpecError(Problem("SPEC_TYPE", f"dòng {number}, cột '{column.tieu_de}': một ô là chữ hoặc "
                                            "số, không phải danh sách hay bảng", expr.where(here)))
                else:
                    row.append(value)
            values.append(row)
    rows = _header(columns, block.lap_tieu_de)
    for row_values in values:
        cells = []
        for column, value in zip(columns, row_values, strict=True):
            text = _shown(value, column.so_le)
            cells.append(Cell(notes.resolve(text, where_rows) if notes else text, align=column.can))
        rows.append(Row(tuple(cells)))
    if block.dong_tong:
        rows.append(_totals(block, values, expr, path))
    title = expr.text(block.tieu_de, (*path, "tieu_de")) if block.tieu_de else None
    if title and notes:
        title = notes.resolve(title, expr.where((*path, "tieu_de")))
    try:
        return table_block(Table(tuple(c.rong for c in columns), tuple(rows), font_size=block.co_chu,
                                 header_font_size=block.co_chu), title)
    except ValueError as exc:
        raise SpecError(Problem("SPEC_VALUE", f"bảng không dựng được: {exc}", expr.where(path))) from None


def _totals(block: models.BangNoiDung, values: list[list[Any]], expr: Expressions, path: tuple[Any, ...]) -> Row:
    columns = block.cot
    first = next(i for i, c in enumerate(columns) if c.tong)
    cells = [Cell(block.dong_tong or "", span=first, bold=True)]
    for index in range(first, len(columns)):
        column = columns[index]
        if not column.tong:
            cells.append(Cell(""))
            continue
        total = Decimal(0)
        decimals = 0
        for number, row in enumerate(values, start=1):
            value = row[index]
            if value is None or (isinstance(value, str) and not plain(value).strip()):
                continue
            amount = _number(value)
            if amount is None and isinstance(value, str):
                try:  # text that is a number as printed ("1.147", "16,74")
                    amount = Decimal(plain(value).strip().replace(".", "").replace(",", "."))
                except InvalidOperation:
                    amount = None
            if amount is None:
                raise SpecError(Problem("SPEC_VALUE", f"cột '{column.tieu_de}' được cộng ở dòng tổng nhưng dòng "
                                        f"{number} có '{plain(str(value))[:60]}', không phải số",
                                        expr.where((*path, "cot", index, "tong")),
                                        hint="Bỏ 'tong: true' ở cột này, hoặc sửa giá trị của dòng đó."))
            total += amount
            decimals = max(decimals, _decimals_of(value) if not isinstance(value, str) else
                           _decimals_of(Decimal(plain(value).strip().replace(".", "").replace(",", "."))))
        shown = format_number(total, column.so_le if column.so_le is not None else decimals)
        cells.append(Cell(shown, bold=True, align=column.can))
    return Row(tuple(cells))


# ----- pictures and charts ---------------------------------------------------------------------------------


def picture(block: models.AnhNoiDung, path: tuple[Any, ...], expr: Expressions, attachments: Attachments,
            notes: Notes | None) -> BlockMarkup:
    """A PNG or JPEG the spec names, read through engine.trust (confined, bounded, its header checked)."""
    where = expr.where((*path, "tep"))
    if not block.tep.lower().endswith((".png", ".jpg", ".jpeg")):
        raise SpecError(Problem("SPEC_VALUE", f"ảnh '{block.tep[:120]}' phải là tệp PNG hoặc JPEG", where,
                                hint="Lưu ảnh dạng .png hoặc .jpg."))
    file = expr.loaded.access.read(block.tep, where=where, role="anh")
    image = checked_image(file.data, where, role="anh")
    media = attachments.add_media(image.data, image.format)
    caption = _caption(block.chu_thich, (*path, "chu_thich"), expr, notes)
    return picture_block(media, block.rong, (image.width, image.height), caption, file.name)


def _caption(source: str | None, path: tuple[Any, ...], expr: Expressions, notes: Notes | None) -> str | None:
    if not source:
        return None
    text = expr.text(source, path)
    return notes.resolve(text, expr.where(path)) if notes else text


def _series(block: models.BieuDoNoiDung, path: tuple[Any, ...], expr: Expressions) -> tuple[list[str], list[Any],
                                                                                              str]:
    if block.nguon is not None:
        where = expr.where((*path, "nguon"))
        scorings = expr.loaded.spec.cham_diem
        if block.nguon not in scorings:
            raise SpecError(Problem("SPEC_VALUE", f"biểu đồ lấy nguồn '{block.nguon}' nhưng 'cham_diem' không có tên "
                                    "này", where, hint=f"Các tên chấm điểm: {', '.join(scorings) or '(chưa có)'}; hoặc "
                                                       "vẽ một dãy số bằng 'dong', 'nhan', 'gia_tri'."))
        view = expr.names.get(block.nguon)
        if not isinstance(view, dict):
            return [], [], ""
        if "xep_hang" in view:
            return [u["ten"] for u in view["xep_hang"]], [u["quy_doi"] for u in view["xep_hang"]], "Điểm quy đổi"
        if "tieu_chi" in view:
            return [f"TC {c['so']}" for c in view["tieu_chi"]], [c["diem"] for c in view["tieu_chi"]], "Điểm"
        raise SpecError(Problem("SPEC_VALUE", f"'{block.nguon}' là số liệu thống kê, không có điểm từng đơn vị hay "
                                "tiêu chí để vẽ", where, hint="Vẽ bằng 'dong', 'nhan', 'gia_tri' (biểu thức)."))
    items = expr.value(block.dong or "", (*path, "dong"))
    if isinstance(items, dict) or not isinstance(items, (list, tuple)):
        raise SpecError(Problem("SPEC_VALUE", "'dong' của biểu đồ phải cho ra một danh sách",
                                expr.where((*path, "dong")), hint="Ví dụ: kq.xep_hang."))
    _check_points(len(items), expr.where((*path, "dong")))
    labels, values = [], []
    for number, item in enumerate(items, start=1):
        local = expr.extended({"dong": item, "stt": number})
        labels.append(plain(local.text(block.nhan or "", (*path, "nhan"))))
        values.append(local.value(block.gia_tri or "", (*path, "gia_tri")))
    return labels, values, ""


def _check_points(count: int, where: Any) -> None:
    limits = current_limits()
    if count > limits.diem_bieu_do:
        raise LimitError(Problem("LIMIT_ROWS", f"biểu đồ có {format_number(count)} điểm, quá giới hạn "
                                 f"{limits.describe('diem_bieu_do')} điểm", where,
                                 hint="Vẽ ít điểm hơn (một biểu đồ in trên một trang đọc được vài chục cột); nếu "
                                      "đúng là cần, nâng giới hạn diem_bieu_do."))


def chart_block(block: models.BieuDoNoiDung, path: tuple[Any, ...], expr: Expressions, attachments: Attachments,
                notes: Notes | None) -> BlockMarkup | None:
    """A chart of the figures the text prints, as a picture with its caption (None: its data could not be read)."""
    from engine.chart import draw_chart

    labels, values, y_default = _series(block, path, expr)
    if not labels:
        return None
    _check_points(len(values), expr.where(path))
    numbers = []
    for number, value in enumerate(values, start=1):
        amount = _number(value)
        if amount is None:
            raise SpecError(Problem("SPEC_VALUE", f"điểm {number} của biểu đồ ('{labels[number - 1][:60]}') có giá trị "
                                    f"'{str(value)[:60]}', không phải số", expr.where((*path, "gia_tri")),
                                    hint="'gia_tri' cho ra một số, ví dụ dong.quy_doi."))
        numbers.append(amount)
    decimals = block.so_le if block.so_le is not None else max((_decimals_of(v) for v in values), default=0)
    png = draw_chart(block.kieu, labels, numbers, decimals, width_cm=block.rong, height_cm=block.cao,
                     x_label=plain(expr.text(block.truc_x, (*path, "truc_x"))) if block.truc_x else "",
                     y_label=plain(expr.text(block.truc_y, (*path, "truc_y"))) if block.truc_y else y_default)
    media = attachments.add_media(png, "png")
    caption = _caption(block.chu_thich, (*path, "chu_thich"), expr, notes)
    from engine.chart import CM_PER_INCH, DPI

    pixels = (round(block.rong / CM_PER_INCH * DPI), round(block.cao / CM_PER_INCH * DPI))
    return picture_block(media, block.rong, pixels, caption, f"bieu_do_{len(attachments.media)}.png")
