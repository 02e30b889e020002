"""Turn a rendered .docx back into its text, paragraph by paragraph, in reading order.

Tables are read row by row and cell by cell (a merged cell once), which for the header
table gives the order of the printed page: agency, Quốc hiệu, Tiêu ngữ, Số, date. Golden
tests compare this text, never the zip bytes. The whole body is walked, so the content of
every section (the main text and each appendix joined after it) is read.
"""

from __future__ import annotations

import io

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph


def _content_cells(table: Table) -> list[_Cell]:
    """Each cell that holds content, once, row by row.

    Walks the ``w:tc`` elements directly: a cell spanning columns is one element, and the
    ``vMerge="continue"`` cells under a vertically merged cell are skipped (python-docx
    would hand back the merged cell again for each of them, and find it by a search up the
    table that is slow on tall appendix tables).
    """
    return [
        _Cell(tc, table)
        for tr in table._tbl.tr_lst
        for tc in tr.tc_lst
        if tc.vMerge != "continue"
    ]


def _walk(container) -> list[str]:
    lines: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            lines.append(item.text)
        elif isinstance(item, Table):
            for cell in _content_cells(item):
                lines.extend(_walk(cell))
    return lines


def document_lines(package: bytes) -> list[str]:
    """Every paragraph's text of the document body, in reading order (line breaks kept)."""
    return _walk(Document(io.BytesIO(package)))


def document_text(package: bytes) -> str:
    """The body text with one paragraph per line and empty paragraphs dropped."""
    return "\n".join(line for line in document_lines(package) if line.strip()) + "\n"


def table_rows(package: bytes) -> list[list[list[str]]]:
    """Every table of the document (nested ones too, in document order) as a grid of texts.

    Per table, per row, one string per grid column: the cell's paragraphs joined by "\\n"
    in the first column it covers, "" in the other columns of a horizontal span, in the
    rows under a vertical merge, and in grid columns a row skips (``w:gridBefore/After``).
    Meant for tests that check what an appendix table says, column by column.
    """
    document = Document(io.BytesIO(package))
    tables = []
    for tbl in document.element.body.iter(qn("w:tbl")):
        rows = []
        for tr in tbl.tr_lst:
            texts = [""] * tr.grid_before
            for tc in tr.tc_lst:
                if tc.vMerge == "continue":
                    texts.append("")
                else:
                    texts.append("\n".join(Paragraph(p, None).text for p in tc.p_lst))
                texts.extend([""] * (tc.grid_span - 1))
            texts.extend([""] * tr.grid_after)
            rows.append(texts)
        tables.append(rows)
    return tables
