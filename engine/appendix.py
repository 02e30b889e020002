"""Turn the spec's ``phu_luc`` entries and scored results into appendix contexts and table descriptions.

Each phụ lục gets its label ("Phụ lục", or "Phụ lục I", "Phụ lục II" … when there are several,
Nghị định 30 Phụ lục I, III.1), its title in upper case, the line "(Kèm theo Báo cáo số …
ngày … của …)" from the main document's number and date (blanks where those are blank), lead
lines, and a :class:`~engine.render.tables.Table` built from the same scored figures the body
text prints. Four tables are known: ``bang_chi_so`` (an index framework, groups over their
indices, on a landscape page), ``bang_tieu_chi`` (criteria with their sub-criteria),
``bang_xep_hang`` (a ranking with the change against the previous period) and ``bang`` (the
columns a spec declares). Nothing here writes XML; engine.render does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.context import Expressions
from engine.errors import LimitError, Location, Problem, SpecError
from engine.kinds import KINDS, TEMPLATES_DIR
from engine.render.runs import styled
from engine.render.tables import Cell, Row, Table
from engine.scoring.criteria import CriteriaResult
from engine.scoring.figures import Figure, Percentage
from engine.scoring.indices import IndexResult, UnitScore
from engine.scoring.stage import DataGroup, Scored
from engine.spec.loader import LoadedSpec
from engine.spec.models import CotBang, PhuLuc
from engine.trust.limits import current_limits
from engine.vn.dates import BLANK, format_date
from engine.vn.numbers import format_number, format_percent, roman, two_digits
from engine.vn.text import upper_vi
from engine.vn.words import capitalize_first

__all__ = ["TABLE_KINDS", "AppendixPart", "appendix_parts", "attached_to_line", "issuer_in_text"]

PORTRAIT_WIDTH_CM = 16.5  # A4 portrait less the margins of Nghị định 30 (30 + 15 mm)
LANDSCAPE_WIDTH_CM = 25.2  # A4 landscape less the same margins
TABLE_KINDS = ("bang_chi_so", "bang_tieu_chi", "bang_xep_hang", "bang")


@dataclass(frozen=True)
class AppendixPart:
    """One phụ lục ready to render: its template, its context (``phu_luc``) and its table."""

    template: Path
    context: dict[str, Any]
    table: Table


def issuer_in_text(loaded: LoadedSpec) -> str:
    """How the issuing body names itself in a sentence: "UBND huyện Tủa Chùa".

    The spec's ``ten_goi`` when given; otherwise the abbreviation and the last line of the
    name with only its first word in lower case ("HUYỆN TỦA CHÙA" → "huyện Tủa Chùa").
    """
    body = loaded.spec.co_quan_ban_hanh
    if body is None:
        return ""
    if body.ten_goi:
        return body.ten_goi
    lines = [line.strip() for line in body.ten.split("\n") if line.strip()]
    if len(lines) < 2:
        return capitalize_first(lines[0].lower()) if lines else ""
    words = lines[-1].split()
    place = " ".join([words[0].lower(), *(w[:1].upper() + w[1:].lower() for w in words[1:])])
    head = body.viet_tat or capitalize_first(lines[0].lower())
    return f"{head} {place}"


def attached_to_line(loaded: LoadedSpec) -> str:
    """ "(Kèm theo Báo cáo số 205/BC-UBND ngày 22 tháng 6 năm 2021 của UBND huyện Điện Biên)"."""
    spec = loaded.spec
    kind = KINDS[spec.loai]
    name = capitalize_first(kind.ten_loai.lower()) if kind.ten_loai else "Công văn"
    number = two_digits(spec.so) if spec.so is not None else BLANK
    issuer = issuer_in_text(loaded)
    tail = f" của {issuer}" if issuer else ""
    return f"(Kèm theo {name} số {number}/{spec.symbol()} {format_date(spec.date)}{tail})"


def appendix_parts(loaded: LoadedSpec, names: dict[str, Any], scored: dict[str, Scored]) -> list[AppendixPart]:
    """Every phụ lục of the spec, in order, with its table built from the scored results."""
    items = loaded.spec.phu_luc
    expr = Expressions(loaded, names)
    parts: list[AppendixPart] = []
    for index, item in enumerate(items):
        path: tuple[Any, ...] = ("phu_luc", index)
        label = "Phụ lục" if len(items) == 1 else f"Phụ lục {roman(index + 1)}"
        table = _table(loaded, item, path, scored, expr)
        _check_size(table, loaded.source.location(path, field=f"phu_luc[{index}]"))
        context = {
            "nhan": label,
            "tieu_de": [styled(upper_vi(expr.text(line, (*path, "tieu_de", i))))
                        for i, line in enumerate(item.tieu_de)],
            "kem_theo": attached_to_line(loaded) if item.kem_theo else "",
            # The label and the bold value are two runs: the space between them belongs to the label.
            "dau": [{"nhan": styled(_label(expr.text(d.nhan, (*path, "dau", i, "nhan")))),
                     "gia_tri": styled(expr.text(d.gia_tri, (*path, "dau", i, "gia_tri")))}
                    for i, d in enumerate(item.dau)],
            "sau": [styled(expr.text(line, (*path, "sau", i))) for i, line in enumerate(item.sau)],
        }
        parts.append(AppendixPart(_template(loaded, item, path), context, table))
    return parts


def _check_size(table: Table, where: Location) -> None:
    limits = current_limits()
    cells = table.columns * len(table.rows)
    if len(table.rows) > limits.so_dong or cells > limits.so_o:
        raise LimitError(Problem(
            "LIMIT_ROWS", f"bảng phụ lục có {format_number(len(table.rows))} dòng, {format_number(cells)} ô, "
            f"quá giới hạn {limits.describe('so_dong')} dòng, {limits.describe('so_o')} ô", where,
            hint="Chia bảng thành nhiều phụ lục; nếu đúng là cần, nâng giới hạn so_dong hoặc so_o."))


def _label(text: str) -> str:
    return text.rstrip() + " " if text.strip() else ""


def _template(loaded: LoadedSpec, item: PhuLuc, path: tuple[Any, ...]) -> Path:
    if item.tep_mau:
        where = loaded.source.location((*path, "tep_mau"), field="tep_mau")
        target = loaded.access.resolve(item.tep_mau, where=where, role="mau")
        if not target.exists():
            raise SpecError(Problem("SPEC_VALUE", f"không tìm thấy mẫu phụ lục '{item.tep_mau}'", where,
                                    hint="Đường dẫn tính từ thư mục của tệp đặc tả."))
        return target
    if item.ngang is not None and item.mau != "bang":
        # The table kinds have their page set by their own template (bảng chỉ số is landscape).
        raise SpecError(Problem("SPEC_VALUE", f"'ngang' chỉ dùng với bảng tự khai cột 'bang', không với '{item.mau}'",
                                loaded.source.location((*path, "ngang"), field="ngang"),
                                hint="Bỏ 'ngang', hoặc dùng 'tep_mau' trỏ tới một mẫu .docx trang ngang."))
    name = "bang_ngang" if item.mau == "bang" and item.ngang else item.mau
    return TEMPLATES_DIR / "phu_luc" / f"{name}.docx"


def _table(loaded: LoadedSpec, item: PhuLuc, path: tuple[Any, ...], scored: dict[str, Scored],
           expr: Expressions) -> Table:
    where = loaded.source.location((*path, "mau"), field="mau")
    if item.mau not in TABLE_KINDS:
        raise SpecError(Problem("SPEC_VALUE", f"không có loại bảng phụ lục '{item.mau}'", where,
                                hint=f"Các loại: {', '.join(TABLE_KINDS)}."))
    if item.mau == "bang":
        return _declared_table(loaded, item, path, expr)
    if item.nguon is None:
        raise SpecError(Problem("SPEC_MISSING", f"bảng '{item.mau}' cần 'nguon': tên một mục trong 'cham_diem'",
                                loaded.source.location(path, field="nguon")))
    result = scored[item.nguon].result
    wanted = CriteriaResult if item.mau == "bang_tieu_chi" else IndexResult
    if not isinstance(result, wanted):
        raise SpecError(Problem("SPEC_VALUE", f"bảng '{item.mau}' không dựng được từ '{item.nguon}' "
                                f"(bộ '{result.framework.ma}', kiểu {result.framework.kieu})",
                                loaded.source.location((*path, "nguon"), field="nguon")))
    if isinstance(result, CriteriaResult):
        notes = {n: expr.text(text, (*path, "ghi_chu", n)) for n, text in item.ghi_chu.items()}
        return criteria_table(result, notes)
    if item.mau == "bang_chi_so":
        detail = loaded.spec.cham_diem[item.nguon].muc_chi_tiet
        if detail != "chi_so":
            raise SpecError(Problem("SPEC_VALUE", f"bảng chỉ số cần điểm từng chỉ số, nhưng '{item.nguon}' chỉ có "
                                    f"{'điểm từng nhóm' if detail == 'nhom' else 'tổng điểm'} (muc_chi_tiet: {detail})",
                                    loaded.source.location((*path, "mau"), field="mau"),
                                    hint="Dùng bảng bang_xep_hang, hoặc bảng điểm có đủ cột từng chỉ số."))
        return index_table(result, item, scored[item.nguon].groups)
    return ranking_table(result, item, scored[item.nguon].view)


# ----- the tables ----------------------------------------------------------------------------


def _shown(value: Figure | Decimal | int | None, declared: int | None = None) -> str:
    """A cell of a score column: a figure at its precision, a data value with the declared decimals or as the data
    writes it ("4,0" stays 4,0, "86,2" stays 86,2); "-" if none (không phát sinh)."""
    if value is None:
        return "-"
    if isinstance(value, Figure):
        return value.display() if declared is None else format_number(value.value, declared)
    return format_number(Decimal(value), declared)


def _numbers_row(count: int) -> Row:
    return Row(tuple(Cell(f"({i})", italic=True) for i in range(1, count + 1)), header=True)


def index_table(result: IndexResult, item: PhuLuc, groups: tuple[DataGroup, ...] = ()) -> Table:
    """STT | name | every index under its group | earned | converted | class; ranked unless told otherwise.

    With ``nhom_dong`` one group row "I | nhom_dong" heads every unit. Otherwise the data's own group
    rows are printed ("I | UBND CÁC XÃ, THỊ TRẤN"), each with its units under it (ranked within the
    group, numbered from 1 in each; the ranks stay those of the whole table); units above the first
    group row come first, without one.
    """
    framework = result.framework
    indices = framework.indices()
    fixed = (1.0, 4.2, 1.7, 1.8, 1.6)
    index_width = round((LANDSCAPE_WIDTH_CM - sum(fixed)) / len(indices), 2)
    widths = (fixed[0], fixed[1], *([index_width] * len(indices)), *fixed[2:])
    top = Row((Cell("STT", rows=3, bold=True), Cell("TÊN CƠ QUAN, ĐƠN VỊ", rows=3, bold=True),
               Cell("ĐIỂM CÁC CHỈ SỐ", span=len(indices), bold=True), Cell("ĐIỂM ĐẠT ĐƯỢC", rows=3, bold=True),
               Cell("TỔNG ĐIỂM QUY ĐỔI", rows=3, bold=True), Cell("XẾP LOẠI", rows=3, bold=True)), header=True)
    group_names = Row(tuple(Cell(g.ten, span=len(g.chi_so), rows=2 if len(g.chi_so) == 1 else 1, bold=True)
                            for g in framework.nhom), header=True)
    names = Row(tuple(Cell(ix.ten) for g in framework.nhom if len(g.chi_so) > 1 for ix in g.chi_so), header=True)
    rows = [top, group_names, names, _numbers_row(len(widths))]
    units = result.ranked() if item.thu_tu == "xep_hang" else list(result.units)

    def group_row(label: str, name: str) -> Row:
        return Row((Cell(label, bold=True), Cell(name, span=len(widths) - 1, bold=True, align="trai")))

    if item.nhom_dong or not groups:
        parts = [(group_row("I", item.nhom_dong) if item.nhom_dong else None, units)]
    else:
        group_of = {name: k for k, group in enumerate(groups) for name in group.units}
        buckets: list[list[UnitScore]] = [[] for _ in range(len(groups) + 1)]  # the last: units in no group
        for unit in units:
            buckets[group_of.get(unit.unit, len(groups))].append(unit)
        parts = [(None, buckets[-1])]
        parts += [(group_row(group.label or roman(number), group.name), buckets[number - 1])
                  for number, group in enumerate(groups, start=1)]
    for head, members in parts:
        if head is not None:
            rows.append(head)
        for number, unit in enumerate(members, start=1):
            values = [_shown(unit.index(ix.ma).value) for _, ix in indices]
            rows.append(Row((Cell(str(number)), Cell(unit.unit, align="trai"), *(Cell(v) for v in values),
                             Cell(unit.earned.display()), Cell(unit.converted.display()), Cell(unit.band.short))))
    return Table(widths, tuple(rows), font_size=11, header_font_size=11)


def criteria_table(result: CriteriaResult, notes: dict[int, str]) -> Table:
    """STT | criterion or sub-criterion | max | records | points | note, with the total first."""
    widths = (1.1, 8.2, 1.6, 1.8, 1.8, 2.0)
    header = Row(tuple(Cell(text, bold=True) for text in (
        "STT", "Tiêu chí/Tiêu chí thành phần", "Điểm tối đa", "Số lượng hồ sơ", "Điểm tự đánh giá", "Ghi chú",
    )), header=True)
    rows = [header, _numbers_row(6),
            Row((Cell(""), Cell("TỔNG ĐIỂM", bold=True, align="trai"),
                 Cell(format_number(result.maximum, 1), bold=True), Cell(""), Cell(result.total.display(), bold=True),
                 Cell("")))]
    for score in result.criteria:
        criterion = result.framework.criterion(score.number)
        counts = {level.diem: n for level, n in score.counts}
        used = score.rule or score.chosen
        records = format_number(score.record_count) if score.record_count is not None else ""
        rows.append(Row((Cell(str(score.number), bold=True), Cell(score.name, bold=True, align="trai"),
                         Cell(format_number(score.maximum), bold=True), Cell(records, bold=True),
                         Cell(score.points.display(), bold=True), Cell(notes.get(score.number, ""), align="trai"))))
        for level in criterion.muc:
            count = format_number(counts[level.diem]) if level.diem in counts else ""
            mark = "x" if score.kind == "theo_dieu_kien" and used is not None and used.diem == level.diem else ""
            rows.append(Row((Cell(""), Cell(level.ten, align="trai"), Cell(format_number(level.diem)), Cell(count),
                             Cell(mark), Cell(""))))
    return Table(widths, tuple(rows), font_size=11, header_font_size=11)


def ranking_table(result: IndexResult, item: PhuLuc, view: dict[str, Any]) -> Table:
    """Stt | name | converted score | change against the previous period | extra columns, by rank."""
    extra = list(item.cot_them.items())
    headers = [
        "Stt", item.cot_ten or "Tên cơ quan, đơn vị", item.cot_diem or "Điểm tổng hợp",
        item.cot_tang_giam or "Tăng hoặc giảm so với kỳ trước", *(label for label, _ in extra),
    ]
    widths = (1.1, 5.0, *([round((PORTRAIT_WIDTH_CM - 6.1) / (2 + len(extra)), 2)] * (2 + len(extra))))
    rows = [Row(tuple(Cell(h, bold=True) for h in headers), header=True)]
    units = result.ranked() if item.thu_tu == "xep_hang" else list(result.units)
    given = result.framework.so_thap_phan.du_lieu
    for number, unit in enumerate(units, start=1):
        extras = view["theo_ten"][unit.unit]["them"]
        change = unit.change.display() if unit.change is not None else ""
        rows.append(Row((Cell(str(number)), Cell(unit.unit, align="trai"), Cell(unit.converted.display()),
                         Cell(change), *(Cell(_shown(extras.get(key), given)) for _, key in extra))))
    return Table(widths, tuple(rows), font_size=12, header_font_size=12)


def _declared_table(loaded: LoadedSpec, item: PhuLuc, path: tuple[Any, ...], expr: Expressions) -> Table:
    if not item.cot or not item.dong:
        raise SpecError(Problem("SPEC_MISSING", "bảng 'bang' cần 'cot' (các cột) và 'dong' (biểu thức danh sách dòng)",
                                loaded.source.location(path, field="phu_luc")))
    where = loaded.source.location((*path, "dong"), field="dong")
    rows_data = expr.value(item.dong, (*path, "dong"))
    if isinstance(rows_data, dict) or not isinstance(rows_data, (list, tuple)):
        raise SpecError(Problem("SPEC_VALUE", "'dong' phải cho ra một danh sách", where,
                                hint="Ví dụ: kq.xep_hang (danh sách đơn vị theo hạng)."))
    header = Row(tuple(Cell(c.tieu_de, bold=True) for c in item.cot), header=True)
    rows = [header]
    numbers = {i: _one_expression(loaded, c, (*path, "cot", i)) for i, c in enumerate(item.cot)
               if c.so_thap_phan is not None}
    for number, row in enumerate(rows_data, start=1):
        local = expr.extended({"dong": row, "stt": number})
        cells = []
        for i, column in enumerate(item.cot):
            here = (*path, "cot", i, "gia_tri")
            if i in numbers:
                text = _fixed(local.value(numbers[i], here), column.so_thap_phan or 0, local.where(here), number)
            else:
                text = local.text(column.gia_tri, here)
            cells.append(Cell(text, align=column.can))
        rows.append(Row(tuple(cells)))
    return Table(tuple(c.rong for c in item.cot), tuple(rows), font_size=12, header_font_size=12)


_ONE_EXPRESSION = re.compile(r"\s*\{\{((?:(?!\{\{|\}\}|\{%|%\}).)*)\}\}\s*", re.DOTALL)


def _one_expression(loaded: LoadedSpec, column: CotBang, path: tuple[Any, ...]) -> str:
    """The expression of a column declared with ``so_thap_phan``: its value must be one ``{{ … }}``, a number."""
    match = _ONE_EXPRESSION.fullmatch(column.gia_tri)
    if match is None or not match[1].strip():
        raise SpecError(Problem(
            "SPEC_VALUE", f"cột '{column.tieu_de[:60]}' có so_thap_phan nên 'gia_tri' phải là đúng một biểu thức "
            "ra số, như \"{{ dong.quy_doi }}\"", loaded.source.location((*path, "gia_tri"), field="gia_tri"),
            hint="Bỏ chữ đi kèm và bộ lọc so/phan_tram: so_thap_phan tự in số với đúng chừng ấy chữ số thập phân; "
                 "hoặc bỏ so_thap_phan."))
    return match[1]


def _fixed(value: Any, decimals: int, where: Location, row: int) -> str:
    """A number of a declared column with its column's decimals; "-" for a value the data does not have."""
    if value is None:
        return "-"
    if isinstance(value, Percentage):
        return format_percent(value.value.value, decimals)
    if isinstance(value, Figure):
        return format_number(value.value, decimals)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return format_number(value, decimals)
    shown = f"chữ '{value[:40]}'" if isinstance(value, str) else "một giá trị không phải số"
    raise SpecError(Problem("SPEC_VALUE", f"dòng {row} của bảng: cột có so_thap_phan nhưng giá trị là {shown}", where,
                            hint="Cột có so_thap_phan chỉ in số; bỏ bộ lọc so/phan_tram trong 'gia_tri', hoặc bỏ "
                                 "so_thap_phan."))
