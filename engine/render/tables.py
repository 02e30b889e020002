"""Describe an appendix table as plain data: column widths, rows of cells, spans and emphasis.

The appendix builders (engine.appendix) turn scored results into a :class:`Table`; only the
render layer turns it into WordprocessingML (:func:`table_xml`). Keeping the description
free of XML lets the builders be tested as data and lets the writer stay linear in rows.

A cell covering several grid columns has ``span`` > 1; a cell covering several rows has
``rows`` > 1, and the rows below simply leave that column out (the writer adds the Word
continuation cells). Header rows (``header=True``) repeat at the top of every page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from xml.sax.saxutils import escape

from engine.inline import has_markers, split_lines
from engine.render.markup import EngineMarkup
from engine.render.runs import runs_xml

Align = Literal["trai", "giua", "phai"]


@dataclass(frozen=True)
class Cell:
    """One cell: its text (line breaks as "\\n"), how many columns and rows it covers, its look."""

    text: str = ""
    span: int = 1
    rows: int = 1
    bold: bool = False
    italic: bool = False
    align: Align = "giua"


@dataclass(frozen=True)
class Row:
    """The cells that start in this row, left to right; ``header`` rows repeat on each page."""

    cells: tuple[Cell, ...]
    header: bool = False


@dataclass(frozen=True)
class Table:
    """A bordered table: grid column widths in cm and its rows (header rows first)."""

    widths_cm: tuple[float, ...]
    rows: tuple[Row, ...]
    font_size: float = 12
    header_font_size: float | None = None

    @property
    def columns(self) -> int:
        return len(self.widths_cm)


# ----- the writer ------------------------------------------------------------------------

FONT = "Times New Roman"  # the templates' font (engine.render.build_templates.FONT)
TWIPS_PER_CM = 1440 / 2.54
BORDER = '<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'  # ½ pt black
# Cell padding: a little air above and below the text (the paragraphs have no spacing, so
# lines of a multi-line cell stay together) and narrow sides, since appendices have many columns.
CELL_MARGINS_DXA = {"top": 28, "left": 57, "bottom": 28, "right": 57}
JUSTIFICATION = {"trai": "left", "giua": "center", "phai": "right"}

# Characters XML 1.0 cannot hold at all; line-like controls become line breaks first.
_LINE_CONTROLS = str.maketrans({"\r": "\n", "\v": "\n", "\f": "\n"})
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ESCAPES = {'"': "&quot;", "'": "&apos;"}


def _twips(cm: float) -> int:
    return round(cm * TWIPS_PER_CM)


@lru_cache(maxsize=256)
def _run_properties(size: float, bold: bool, italic: bool) -> str:
    """The w:rPr of every run of one look, in CT_RPr order: the font named, so no theme font can win."""
    fonts = f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
    half_points = round(size * 2)
    return ("<w:rPr>" + fonts + ("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
            + f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>')


@lru_cache(maxsize=256)
def _paragraph_properties(align: str, size: float) -> str:
    """Single spacing, no indents (whatever the template's Normal style says), the alignment.

    The paragraph mark gets the cell's font size: Word sizes a line by its mark too, so a
    14 pt Normal mark would make every 12 pt row taller. Only the size, to keep tall tables small.
    """
    try:
        jc = JUSTIFICATION[align]
    except KeyError:
        raise ValueError(
            f"căn lề ô bảng không hợp lệ: {align!r} (chỉ dùng {', '.join(map(repr, JUSTIFICATION))})"
        ) from None
    return ('<w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:ind w:left="0" w:right="0" w:firstLine="0"/><w:jc w:val="{jc}"/>'
            f'<w:rPr><w:sz w:val="{round(size * 2)}"/></w:rPr></w:pPr>')


def _clean(text: str) -> str:
    """NFC text with Windows/Excel line controls as "\\n" and no character XML cannot hold."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").translate(_LINE_CONTROLS))
    return _ILLEGAL_XML.sub("", text)


def _paragraphs(text: str, p_pr: str, r_pr: str) -> str:
    """One w:p per line of ``text``; tabs become w:tab so docxtpl does not rewrite them later.

    Marked text (engine.inline: a cell with **đậm** …) is written as runs of each look over ``r_pr``.
    """
    out = []
    marked = has_markers(text)
    for line in split_lines(_clean(text)) if marked else _clean(text).split("\n"):
        if not line:
            out.append(f"<w:p>{p_pr}</w:p>")
            continue
        if marked:
            out.append(f"<w:p>{p_pr}{runs_xml(line, r_pr)}</w:p>")
            continue
        pieces = [f'<w:t xml:space="preserve">{escape(piece, _XML_ESCAPES)}</w:t>' if piece else ""
                  for piece in line.split("\t")]
        out.append(f"<w:p>{p_pr}<w:r>{r_pr}{'<w:tab/>'.join(pieces)}</w:r></w:p>")
    return "".join(out)


def _cell_properties(width: int, span: int, merge: str | None) -> str:
    """w:tcPr in CT_TcPr order: tcW, gridSpan, vMerge, vAlign."""
    return (f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>'
            + (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "")
            + (f'<w:vMerge w:val="{merge}"/>' if merge else "")
            + '<w:vAlign w:val="center"/></w:tcPr>')


def _table_properties(total_width: int) -> str:
    """w:tblPr in CT_TblPr order: tblW, jc, tblBorders, tblLayout, tblCellMar."""
    borders = "".join(BORDER.format(edge=edge) for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))
    margins = "".join(f'<w:{side} w:w="{value}" w:type="dxa"/>' for side, value in CELL_MARGINS_DXA.items())
    return (f'<w:tblPr><w:tblW w:w="{total_width}" w:type="dxa"/><w:jc w:val="center"/>'
            f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
            f"<w:tblCellMar>{margins}</w:tblCellMar></w:tblPr>")


def table_xml(table: Table) -> str:
    """The table as one ``<w:tbl>`` element (prefix ``w:``, declared by the document it goes into).

    Both the grid (``w:tblGrid``, which LibreOffice lays out by) and each cell's width
    (``w:tcW``, which Word uses) are set, as in the templates' own tables. Cells covered
    from above are written as ``vMerge="continue"`` cells at their grid position. The XML
    is built as a list of strings joined once, so the cost is linear in the number of rows.

    >>> table_xml(Table((2.0,), (Row((Cell("A & B"),)),)))[:7]
    '<w:tbl>'
    >>> "A &amp; B" in table_xml(Table((2.0,), (Row((Cell("A & B"),)),)))
    True

    Raises ``ValueError`` (message in Vietnamese, naming the row) if the model is not a
    rectangular grid: a row whose cells, with those merged from above, do not cover exactly
    ``table.columns`` columns, a cell overlapping a merge, a merge running past the last row,
    a header row after a body row (Word would not repeat it), no rows or no columns.
    """
    columns = table.columns
    if columns == 0:
        raise ValueError("bảng phụ lục không có cột nào (widths_cm rỗng)")
    if any(not width > 0 for width in table.widths_cm):
        raise ValueError(f"độ rộng cột phải dương: {table.widths_cm}")
    if not table.rows:
        raise ValueError("bảng phụ lục không có hàng nào")  # Word reports a table without rows as damaged
    grid = [_twips(width) for width in table.widths_cm]
    starts = [0]
    for width in grid:
        starts.append(starts[-1] + width)  # starts[b] - starts[a]: width of columns a..b-1

    parts = ["<w:tbl>", _table_properties(starts[-1]), "<w:tblGrid>"]
    parts.extend(f'<w:gridCol w:w="{width}"/>' for width in grid)
    parts.append("</w:tblGrid>")

    # merges[c]: (rows still to continue, span) of a vertical merge whose first column is c.
    merges: list[tuple[int, int] | None] = [None] * columns
    body_started = False
    for number, row in enumerate(table.rows, start=1):
        if row.header and body_started:
            raise ValueError(f"hàng {number} là hàng tiêu đề nhưng đứng sau hàng dữ liệu; "
                             "hàng tiêu đề phải ở đầu bảng để lặp lại ở mỗi trang")
        body_started = body_started or not row.header
        size = (table.header_font_size or table.font_size) if row.header else table.font_size
        blank = _paragraphs("", _paragraph_properties("giua", size), "")
        parts.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>" if row.header
                     else "<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        column, cells = 0, iter(row.cells)
        while column < columns:
            merge = merges[column]
            if merge is not None:
                remaining, span = merge
                merges[column] = (remaining - 1, span) if remaining > 1 else None
                parts.append(f"<w:tc>{_cell_properties(starts[column + span] - starts[column], span, 'continue')}"
                             f"{blank}</w:tc>")
                column += span
                continue
            cell = next(cells, None)
            if cell is None:
                raise ValueError(f"hàng {number}: các ô chỉ phủ {column} trong {columns} cột của bảng "
                                 "(tính cả ô gộp từ hàng trên)")
            if cell.span < 1 or cell.rows < 1:
                raise ValueError(f"hàng {number}, ô {cell.text!r}: span và rows phải ít nhất là 1")
            end = column + cell.span
            if end > columns:
                raise ValueError(f"hàng {number}, ô {cell.text!r}: các ô phủ {end} cột, bảng chỉ có {columns} cột "
                                 "(tính cả ô gộp từ hàng trên)")
            if any(merges[c] is not None for c in range(column + 1, end)):
                raise ValueError(f"hàng {number}, ô {cell.text!r}: ô đè lên một ô gộp từ hàng trên")
            r_pr = _run_properties(size, cell.bold, cell.italic)
            tc_pr = _cell_properties(starts[end] - starts[column], cell.span, "restart" if cell.rows > 1 else None)
            parts.append(f"<w:tc>{tc_pr}{_paragraphs(cell.text, _paragraph_properties(cell.align, size), r_pr)}</w:tc>")
            if cell.rows > 1:
                merges[column] = (cell.rows - 1, cell.span)
            column = end
        extra = sum(1 for _ in cells)
        if extra:
            raise ValueError(f"hàng {number}: thừa {extra} ô, các ô phủ quá {columns} cột của bảng "
                             "(tính cả ô gộp từ hàng trên)")
        parts.append("</w:tr>")
    if any(merges):
        raise ValueError(f"có ô gộp dọc kéo quá hàng cuối của bảng (hàng {len(table.rows)})")
    parts.append("</w:tbl>")
    return "".join(parts)


class TableMarkup(EngineMarkup):
    """A table for a ``{{p phu_luc.bang }}`` tag: the template engine inserts its XML as is.

    The .docx environment autoescapes every value (so data cannot break the XML); this
    object says, through ``__html__``, that its text is already WordprocessingML. The XML
    is written (and the model checked) when the object is made, so a bad table fails where
    it is built, not in the middle of a render.
    """

    __slots__ = ("table", "xml")

    def __init__(self, table: Table) -> None:
        self.table = table
        self.xml = table_xml(table)

    def __html__(self) -> str:
        return self.xml

    def __str__(self) -> str:
        return self.xml

    def __repr__(self) -> str:
        return f"TableMarkup({self.table.columns} cột, {len(self.table.rows)} hàng)"
