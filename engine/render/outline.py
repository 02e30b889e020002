"""Turn a rendered .docx back into its text, paragraph by paragraph, in reading order.

Tables are read row by row and cell by cell (a merged cell once), which for the header
table gives the order of the printed page: agency, Quốc hiệu, Tiêu ngữ, Số, date. Golden
tests compare this text, never the zip bytes.
"""

from __future__ import annotations

import io

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph


def _walk(container) -> list[str]:
    lines: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Paragraph):
            lines.append(item.text)
        elif isinstance(item, Table):
            for row in item.rows:
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(_walk(cell))
    return lines


def document_lines(package: bytes) -> list[str]:
    """Every paragraph's text of the document body, in reading order (line breaks kept)."""
    return _walk(Document(io.BytesIO(package)))


def document_text(package: bytes) -> str:
    """The body text with one paragraph per line and empty paragraphs dropped."""
    return "\n".join(line for line in document_lines(package) if line.strip()) + "\n"
