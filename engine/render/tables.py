"""Describe an appendix table as plain data: column widths, rows of cells, spans and emphasis.

The appendix builders (engine.appendix) turn scored results into a :class:`Table`; only the
render layer turns it into WordprocessingML (:func:`table_xml`). Keeping the description
free of XML lets the builders be tested as data and lets the writer stay linear in rows.

A cell covering several grid columns has ``span`` > 1; a cell covering several rows has
``rows`` > 1, and the rows below simply leave that column out (the writer adds the Word
continuation cells). Header rows (``header=True``) repeat at the top of every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
