"""Turn the layout of an official document into its parts: header, title, addressees, bases, body, closing, phụ lục.

The layout (engine.render.layout) gives every paragraph with its effective look and its place (body,
table cell); this module reads it the way a văn thư reads a page, not the way our templates wrote it,
so a document typed in Word is read too: the header in a borderless table, in tabs or in plain lines;
the number line "Số: 205/BC-UBND" (or a draft's "Số:      /BC-UBND"); the italic "Tủa Chùa, ngày …"
line; the tên loại and trích yếu in bold; "Kính gửi:"; italic "Căn cứ …" lines; the body up to "Nơi
nhận:"; the Nơi nhận list (with its sub-headings, "Gửi bản điện tử:") and the signature block side by side
(a table, tabs) or one under the other, or several signature blocks in a table above Nơi nhận;
and each phụ lục with its title, its "(Kèm theo …)" line, its lead lines, its table and the notes
under it. Nothing here decides what a paragraph *means* in the spec (engine.recover.body does that);
nothing here touches XML.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from engine.errors import LimitError, Location, Problem
from engine.kinds import KINDS
from engine.render.layout import Layout, Paragraph, Table
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

__all__ = ["Appendix", "Grid", "Line", "Parts", "Signer", "read_parts"]

AUTHORITIES = ("TM.", "KT.", "TL.", "TUQ.", "Q.")
_AUTHORITY = re.compile(r"^(TM|KT|TL|TUQ|Q)\s*\.\s*(.+)$")
_NUMBER_LINE = re.compile(r"^Số\s*:\s*(?P<n>\d{1,6})?\s*/\s*(?P<sym>\S.*)$")
_DATE_LINE = re.compile(r"^(?P<place>[^,]{1,80}),\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*"
                        r"(?P<y>\d{4})\s*$")
_APPENDIX = re.compile(r"^phụ\s+lục(\s+[IVXLC\d]+)?\s*$", re.IGNORECASE)
_ATTACHED = re.compile(r"^\(\s*kèm\s+theo\b", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[-_=.·*…\s]{3,}$")


def _fold(text: str) -> str:
    """Text for comparing: NFC, no-break spaces as spaces, runs of white space as one space."""
    return " ".join(unicodedata.normalize("NFC", text).replace("\u00a0", " ").split())


def _key(text: str) -> str:
    return _fold(text).casefold().replace("hoà", "hòa")


_QUOC_HIEU = _key("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
_TIEU_NGU = re.compile(r"^độc\s*lập\s*[-–—]\s*tự\s*do\s*[-–—]\s*hạnh\s*phúc$")


@dataclass(frozen=True)
class Line:
    """One line of text as it stands on the page: its words, its look, and which side of a two-column block."""

    text: str
    bold: bool = False  # every printing letter bold
    italic: bool = False
    bold_head: str = ""  # the bold words the line begins with (a heading's number and title)
    side: str = ""  # "trai" | "phai" | "" (not in a two-column block)
    marked: str = ""  # the text with the engine's inline markup for the looks inside it ("… **đậm** …")
    marked_after_head: str = ""  # the same for what follows the bold lead (a heading's own paragraph)
    alignment: str = "left"
    paragraph: int = 0  # the layout's paragraph number, for messages


@dataclass(frozen=True)
class Grid:
    """A table as the page shows it: each row's cells (text), merged cells written once, where they start.

    ``cells[r][c]`` is the text of the cell that starts at grid column ``c`` of row ``r`` ("" under a merge);
    ``spans[r][c]`` is how many columns that cell covers (0 inside a merged range), ``continued[r][c]`` is
    True for a cell merged with the one above. Bold cells are kept in ``bold``.
    """

    number: int
    cells: tuple[tuple[str, ...], ...]
    spans: tuple[tuple[int, ...], ...]
    continued: tuple[tuple[bool, ...], ...]
    bold: tuple[tuple[bool, ...], ...]
    borders: bool
    header_rows: int

    @property
    def width(self) -> int:
        return len(self.cells[0]) if self.cells else 0

    def text(self, row: int, column: int) -> str:
        return self.cells[row][column]


@dataclass(frozen=True)
class Signer:
    authority: str | None  # "TM." …
    on_behalf: str | None  # "ỦY BAN NHÂN DÂN", "CHỦ TỊCH"
    title: str | None  # chức vụ
    name: str | None


@dataclass
class Appendix:
    label: str
    titles: list[str] = field(default_factory=list)
    attached: bool = False  # a "(Kèm theo …)" line
    attached_text: str = ""
    landscape: bool = False
    widths: tuple[float, ...] = ()
    leads: list[tuple[str, str]] = field(default_factory=list)  # (label, bold value)
    table: Grid | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Parts:
    """What the page says, part by part (texts as written; None where the document does not say)."""

    parent_agency: list[str] = field(default_factory=list)
    agency: list[str] = field(default_factory=list)
    number: int | None = None
    symbol: str | None = None
    place: str | None = None
    date: tuple[int, int | None, int | None] | None = None  # year, month, day
    kind: str | None = None
    subject: str | None = None  # trích yếu, or a công văn's "V/v …" without "V/v"
    recipients: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)
    body_tables: list[Grid] = field(default_factory=list)
    # Nơi nhận: items, and sub-headings ("Gửi bản điện tử") with the items under them
    distribution: list[str | tuple[str, list[str]]] = field(default_factory=list)
    storage: list[str] | None = None  # units after VT on the "Lưu:" line; None: no such line
    signer: Signer | None = None  # the first (or only) signer
    signers: list[Signer] = field(default_factory=list)  # every signature block, the issuing body's first
    co_agencies: list[list[str]] = field(default_factory=list)  # a joint document's other bodies, as printed
    appendices: list[Appendix] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what could not be read, in words for the clerk


# ----- lines out of paragraphs ----------------------------------------------------------------------------


def _bold_head(paragraph: Paragraph) -> str:
    head = []
    for run in paragraph.runs:
        if not run.text.strip():
            head.append(run.text)
            continue
        if not run.bold:
            break
        head.append(run.text)
    return "".join(head).strip()


# The looks a run may have inside a paragraph and the markup that gives them (engine.inline).
_LOOKS = (("bold", "**"), ("italic", "//"), ("underline", "__"))
_POSITIONS = {"superscript": "^^", "subscript": ",,"}
# Text that the markup would read as a look: written with "~" before it, so it prints as it stands.
_LITERAL_PAIR = re.compile(r"(?<!:)//|\*\*|__|\^\^|,,|\[\^")


def _escaped(text: str) -> str:
    return _LITERAL_PAIR.sub(lambda m: "~" + m[0], text)


def _marked(runs: tuple) -> str:
    """The runs' text with markup where a run's look differs from what every run of the paragraph has.

    A look the whole paragraph has (an italic căn cứ, a bold heading) is the paragraph's own, not markup;
    the spaces at either end of a run stay outside its markup (a pair closes only after a letter).
    """
    printing = [r for r in runs if r.text.strip()]
    common = {name for name, _ in _LOOKS if printing and all(getattr(r, name) for r in printing)}
    out: list[str] = []
    for run in runs:
        marks = [mark for name, mark in _LOOKS if getattr(run, name) and name not in common]
        position = _POSITIONS.get(getattr(run, "position", "") or "")
        if position:
            marks.append(position)
        text = _escaped(run.text)
        core = text.strip()
        if not marks or not core:
            out.append(text)
            continue
        lead = text[:len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()):]
        out.append(lead + "".join(marks) + core + "".join(reversed(marks)) + trail)
    return "".join(out)


def _line(paragraph: Paragraph, side: str = "") -> Line:
    printing = paragraph.text_runs
    # The first run after the bold lead (a heading's number and title).
    head = next((i for i, run in enumerate(paragraph.runs) if run.text.strip() and not run.bold), len(paragraph.runs))
    simple = "\n" not in paragraph.text and "\t" not in paragraph.text
    return Line(paragraph.text.strip() if simple else _fold(paragraph.text),
                bold=bool(printing) and all(r.bold for r in printing),
                italic=bool(printing) and all(r.italic for r in printing),
                bold_head=_bold_head(paragraph), side=side, alignment=paragraph.alignment,
                paragraph=paragraph.number,
                marked=_marked(paragraph.runs).strip() if simple else _escaped(_fold(paragraph.text)),
                marked_after_head=_marked(paragraph.runs[head:]).strip() if simple else "")


def _split_lines(paragraph: Paragraph, side: str = "") -> list[Line]:
    """A paragraph as the lines it prints: split at line breaks; at tabs into a left and a right piece."""
    lines: list[Line] = []
    texts = paragraph.text
    if "\t" not in texts and "\n" not in texts:
        return [_line(paragraph, side)] if paragraph.text.strip() else []
    # Pieces between tabs on one visual line: the first is the left column, the last the right one.
    visual: list[list[tuple[str, bool, bool]]] = [[]]
    for run in paragraph.runs:
        for chunk in re.split(r"(\n)", run.text):
            if chunk == "\n":
                visual.append([])
            elif chunk:
                visual[-1].append((chunk, run.bold, run.italic))
    for parts in visual:
        joined: list[tuple[str, bool, bool]] = []
        for text, bold, italic in parts:
            for index, piece in enumerate(text.split("\t")):
                if index:
                    joined.append(("\t", False, False))
                if piece:
                    joined.append((piece, bold, italic))
        columns: list[list[tuple[str, bool, bool]]] = [[]]
        for text, bold, italic in joined:
            if text == "\t":
                columns.append([])
            else:
                columns[-1].append((text, bold, italic))
        filled = [c for c in columns if "".join(t for t, _, _ in c).strip()]
        for position, column in enumerate(filled):
            text = _fold("".join(t for t, _, _ in column))
            printing = [(t, b, i) for t, b, i in column if t.strip()]
            where = side or (("trai" if position == 0 else "phai") if len(filled) > 1 else
                             ("phai" if columns and not "".join(t for t, _, _ in columns[0]).strip() else ""))
            lines.append(Line(text, bold=all(b for _, b, _ in printing), italic=all(i for _, _, i in printing),
                              bold_head=text if all(b for _, b, _ in printing) else "", side=where,
                              alignment=paragraph.alignment, paragraph=paragraph.number))
    return lines


# ----- tables ---------------------------------------------------------------------------------------------


def _grid(layout: Layout, table: Table, cell_paragraphs: dict[tuple[int, int, int], list[Paragraph]]) -> Grid:
    width = max((span.column + span.span - 1 for row in table.rows for span in row), default=0)
    limits = current_limits()
    if width > limits.so_cot or len(table.rows) > limits.so_dong or width * len(table.rows) > limits.so_o:
        raise LimitError(Problem(
            "LIMIT_ROWS", f"bảng {table.number} có {format_number(len(table.rows))} dòng, {format_number(width)} cột, "
            f"quá giới hạn {limits.describe('so_dong')} dòng, {limits.describe('so_cot')} cột, "
            f"{limits.describe('so_o')} ô", Location(field=f"bảng {table.number}"),
            hint="Kiểm tra đúng văn bản; nếu đúng là bảng lớn, nâng giới hạn so_dong, so_cot hoặc so_o."))
    cells, spans, continued, bold = [], [], [], []
    for row_number, row in enumerate(table.rows, start=1):
        texts = [""] * width
        widths = [0] * width
        below = [False] * width
        strong = [False] * width
        for span in row:
            column = span.column - 1
            if column >= width:
                continue
            widths[column] = span.span
            if span.merge == "continue":
                below[column] = True
                continue
            paragraphs = cell_paragraphs.get((table.number, row_number, span.column), [])
            texts[column] = "\n".join(_fold(p.text) for p in paragraphs if p.text.strip())
            printing = [r for p in paragraphs for r in p.text_runs]
            strong[column] = bool(printing) and all(r.bold for r in printing)
        cells.append(tuple(texts))
        spans.append(tuple(widths))
        continued.append(tuple(below))
        bold.append(tuple(strong))
    return Grid(table.number, tuple(cells), tuple(spans), tuple(continued), tuple(bold),
                borders=table.borders not in ("không", ""), header_rows=table.header_rows)


# ----- the reading ----------------------------------------------------------------------------------------


def _is_quoc_hieu(text: str) -> bool:
    return _key(text).startswith(_QUOC_HIEU)


def _is_tieu_ngu(text: str) -> bool:
    return bool(_TIEU_NGU.match(_key(text)))


def _kind_of(text: str) -> str | None:
    folded = _fold(text).upper()
    for name, kind in KINDS.items():
        if kind.ten_loai and _fold(kind.ten_loai).upper() == folded:
            return name
    return None


class _Reader:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.parts = Parts()
        self.cells: dict[tuple[int, int, int], list[Paragraph]] = {}
        for paragraph in layout.paragraphs:
            if paragraph.table is not None and paragraph.cell is not None:
                self.cells.setdefault((paragraph.table, *paragraph.cell), []).append(paragraph)
        self.tables = {t.number: t for t in layout.tables}
        # The top-level flow: body paragraphs and the outermost tables, in reading order.
        self.flow: list[Paragraph | Table] = [b for b in layout.blocks
                                              if (isinstance(b, Paragraph) and b.table is None)
                                              or (isinstance(b, Table) and b.nested_in is None)]

    def table_lines(self, table: Table) -> list[Line]:
        """A borderless layout table (header, closing) read as lines, each with its side."""
        width = max((span.column + span.span - 1 for row in table.rows for span in row), default=1)
        lines: list[Line] = []
        for row_number, row in enumerate(table.rows, start=1):
            for span in row:
                if span.merge == "continue":
                    continue
                side = "trai" if span.column == 1 and width > 1 else ("phai" if width > 1 else "")
                for paragraph in self.cells.get((table.number, row_number, span.column), []):
                    lines.extend(_split_lines(paragraph, side))
        return lines

    def read(self) -> Parts:
        position = self.read_header()
        position = self.read_title(position)
        position = self.read_recipients_and_bases(position)
        position = self.read_body(position)
        position = self.read_closing(position)
        self.read_appendices(position)
        return self.parts

    # -- header -------------------------------------------------------------------------------------------

    def read_header(self) -> int:
        """The lines before the tên loại (or the first body paragraph): agency, number, place and date."""
        lines: list[Line] = []
        position = 0
        while position < len(self.flow):
            block = self.flow[position]
            if isinstance(block, Table):
                texts = [p.text for key, ps in self.cells.items() if key[0] == block.number for p in ps]
                if not any(_is_quoc_hieu(t) or _NUMBER_LINE.match(_fold(t)) or _is_tieu_ngu(t) for t in texts):
                    break
                lines.extend(self.table_lines(block))
                position += 1
                continue
            text = _fold(block.text)
            if not text:
                position += 1
                continue
            if _kind_of(text) or text.lower().startswith("kính gửi") or (lines and self._header_done(lines)
                                                                           and "\t" not in block.text):
                break
            lines.extend(_split_lines(block))
            position += 1
            if position > 40:
                break
        self.header_lines(lines)
        return position

    @staticmethod
    def _header_done(lines: list[Line]) -> bool:
        return any(_DATE_LINE.match(line.text) for line in lines) and any(
            _NUMBER_LINE.match(line.text) for line in lines)

    def header_lines(self, lines: list[Line]) -> None:
        parts = self.parts
        agency: list[Line] = []
        subject: list[str] = []
        in_subject = False
        for line in lines:
            text = _fold(line.text)
            if not text or _SEPARATOR.match(text) or _is_quoc_hieu(text) or _is_tieu_ngu(text):
                in_subject = False
                continue
            number = _NUMBER_LINE.match(text)
            if number:
                parts.number = int(number["n"]) if number["n"] else None
                parts.symbol = re.sub(r"\s+", "", number["sym"])
                in_subject = False
                continue
            date = _DATE_LINE.match(text)
            if date:
                parts.place = date["place"].strip()
                parts.date = (int(date["y"]), int(date["m"]) if date["m"] else None,
                              int(date["d"]) if date["d"] else None)
                in_subject = False
                continue
            if re.match(r"^V/v\b", text, re.IGNORECASE):
                subject = [re.sub(r"^V/v\s*", "", text, flags=re.IGNORECASE)]
                in_subject = True
                continue
            if in_subject and line.side != "phai":
                subject.append(text)
                continue
            if line.side != "phai" and parts.number is None and parts.symbol is None:
                agency.append(line)
        if subject:
            parts.subject = " ".join(subject).strip()
            parts.kind = parts.kind or "cong_van"
        # The issuing body is bold; the lines above it that are not bold name its parent body.
        texts = [(_fold(line.text), line.bold) for line in agency]
        names = [text for text, _ in texts if text]
        bold_from = next((i for i, (_, bold) in enumerate(texts) if bold), None)
        if bold_from is None:
            parts.agency = names
        else:
            parent = [t for t, _ in texts[:bold_from]]
            parts.parent_agency = parent
            parts.agency = [t for t, _ in texts[bold_from:]]
        # A joint document's bodies one under another, each but the last ending " -" (engine.context.agencies_line).
        bodies: list[list[str]] = [[]]
        for text in parts.agency:
            if re.search(r"\s[-–]$", text):
                bodies[-1].append(text[:-1].rstrip())
                bodies.append([])
            else:
                bodies[-1].append(text)
        if len(bodies) > 1 and all(bodies):
            parts.agency, parts.co_agencies = bodies[0], bodies[1:]

    # -- title ----------------------------------------------------------------------------------------------

    def read_title(self, position: int) -> int:
        parts = self.parts
        while position < len(self.flow):
            block = self.flow[position]
            if isinstance(block, Table):
                return position
            text = _fold(block.text)
            if not text:
                position += 1
                if parts.kind and parts.kind != "cong_van" and parts.subject:
                    return position
                continue
            kind = _kind_of(text)
            if kind and parts.subject is None and not (parts.kind == "cong_van"):
                parts.kind = kind
                position += 1
                lines: list[str] = []
                while position < len(self.flow) and isinstance(self.flow[position], Paragraph):
                    paragraph = self.flow[position]
                    folded = _fold(paragraph.text)
                    if not folded:
                        position += 1
                        if lines:
                            break
                        continue
                    printing = paragraph.text_runs
                    if not (printing and all(r.bold for r in printing)) or _SEPARATOR.match(folded):
                        break
                    lines.append(folded)
                    position += 1
                parts.subject = " ".join(lines) if lines else None
                return position
            return position
        return position

    # -- Kính gửi and căn cứ ---------------------------------------------------------------------------------

    def read_recipients_and_bases(self, position: int) -> int:
        parts = self.parts
        while position < len(self.flow):
            block = self.flow[position]
            if isinstance(block, Table):
                break
            text = _fold(block.text)
            if not text:
                position += 1
                continue
            match = re.match(r"^kính\s*gửi\s*:?\s*(.*)$", text, re.IGNORECASE)
            if not match:
                break
            position += 1
            first = match[1].strip()
            items = [first] if first else []
            while position < len(self.flow) and isinstance(self.flow[position], Paragraph):
                line = _fold(self.flow[position].text)
                if not line:
                    position += 1
                    continue
                if not re.match(r"^[-–+•]\s*", line) or not items and len(line) > 200:
                    break
                items.append(line)
                position += 1
            many = len(items) > 1 or (items and re.match(r"^[-–+•]\s", items[0]) is not None)
            parts.recipients = [_strip_item(i) if many else i for i in items]
            break
        # Căn cứ: italic paragraphs right after, the first of them "Căn cứ …".
        bases: list[str] = []
        look = position
        while look < len(self.flow) and isinstance(self.flow[look], Paragraph):
            paragraph = self.flow[look]
            text = _fold(paragraph.text)
            if not text:
                look += 1
                continue
            printing = paragraph.text_runs
            italic = bool(printing) and all(r.italic for r in printing)
            if not italic or (not bases and not text.lower().startswith("căn cứ")):
                break
            bases.append(_strip_end(text))
            look += 1
        if bases:
            parts.bases = bases
            position = look
        return position

    # -- body -------------------------------------------------------------------------------------------------

    def read_body(self, position: int) -> int:
        parts = self.parts
        while position < len(self.flow):
            block = self.flow[position]
            if isinstance(block, Table):
                if self._is_closing_table(block):
                    return position
                grid = _grid(self.layout, block, self.cells)
                if grid.width and len(grid.cells) > 0:
                    parts.body_tables.append(grid)
                    parts.notes.append(f"bảng {block.number} trong thân văn bản: số liệu ghi ra tệp dữ liệu, "
                                       "nhưng thân văn bản chưa có khối bảng (chưa dựng lại vào đúng chỗ)")
                position += 1
                continue
            text = _fold(block.text)
            if text and (self._closing_starts(block) or (_APPENDIX.match(text) and block.section > 1)):
                return position
            if text and not _SEPARATOR.match(text):
                parts.body.append(_line(block))
            position += 1
        return position

    def _closing_starts(self, paragraph: Paragraph) -> bool:
        text = _fold(paragraph.text)
        if re.match(r"^nơi\s*nhận\s*:?", text, re.IGNORECASE):
            return True
        first = _split_lines(paragraph)
        head = first[0].text if first else text
        return bool(_AUTHORITY.match(head)) and head.split(".", 1)[0] + "." in AUTHORITIES and head.isupper()

    def _is_closing_table(self, table: Table) -> bool:
        texts = [_fold(p.text) for key, ps in self.cells.items() if key[0] == table.number for p in ps]
        return any(re.match(r"^nơi\s*nhận", t, re.IGNORECASE) for t in texts) or any(
            _AUTHORITY.match(t) and t.isupper() for t in texts[:3] + texts[-12:]) or self._signers_above_list(table)

    def _signers_above_list(self, table: Table) -> bool:
        """A borderless table of signature blocks (upper-case lines, then a name) right above "Nơi nhận:"."""
        if table.borders not in ("không", ""):
            return False
        index = self.flow.index(table)
        following = next((b for b in self.flow[index + 1:] if not isinstance(b, Paragraph) or _fold(b.text)), None)
        if not isinstance(following, Paragraph) or not re.match(r"^nơi\s*nhận", _fold(following.text), re.IGNORECASE):
            return False
        blocks = self._cell_blocks(table)
        return bool(blocks) and all(_looks_like_a_signer(block) for block in blocks)

    def _cell_blocks(self, table: Table) -> list[list[Line]]:
        """The text of each cell of a table, row by row and, in a row, right to left: the order of its signers."""
        blocks: list[list[Line]] = []
        for row_number, row in enumerate(table.rows, start=1):
            for span in sorted(row, key=lambda s: -s.column):
                if span.merge == "continue":
                    continue
                lines = [line for paragraph in self.cells.get((table.number, row_number, span.column), [])
                         for line in _split_lines(paragraph)]
                if any(_fold(line.text) for line in lines):
                    blocks.append(lines)
        return blocks

    # -- Nơi nhận and the signature ------------------------------------------------------------------------

    def read_closing(self, position: int) -> int:
        lines: list[Line] = []
        blocks: list[list[Line]] = []  # signature blocks of a table above Nơi nhận (several signers)
        pictures = 0  # signature and seal images
        while position < len(self.flow):
            block = self.flow[position]
            if isinstance(block, Table):
                if lines and not self._is_closing_table(block):
                    break
                if not self._is_closing_table(block):
                    break
                if self._signers_above_list(block):
                    blocks.extend(self._cell_blocks(block))
                else:
                    lines.extend(self.table_lines(block))
                pictures += sum(p.shapes for key, ps in self.cells.items() if key[0] == block.number for p in ps)
                position += 1
                continue
            text = _fold(block.text)
            if text and _APPENDIX.match(text):
                break
            if block.page_break_before and lines:
                break
            lines.extend(_split_lines(block) if text else [Line("", alignment=block.alignment,
                                                                  paragraph=block.number)])
            pictures += block.shapes
            position += 1
            if text == "" and block.section > 1:
                break
        self.closing_lines(lines, blocks)
        if pictures:
            self.parts.notes.append(f"phần ký có {pictures} ảnh (chữ ký, dấu): chương trình không lấy lại ảnh; ghi "
                                    "'chu_ky' và 'dau' của người ký nếu văn bản mới cũng in ảnh")
        return position

    def closing_lines(self, lines: list[Line], blocks: list[list[Line]] | None = None) -> None:
        """Nơi nhận (its items, sub-headings, the "Lưu" line) and the signers, from the closing's lines.

        ``blocks``: the signature blocks of a table of several signers, each read on its own; without them the
        signer is what is not the Nơi nhận list.
        """
        parts = self.parts
        distribution: list[str] = []
        signature: list[Line] = []
        in_list = False
        for line in lines:
            text = _fold(line.text)
            if re.match(r"^nơi\s*nhận\s*:?$", text, re.IGNORECASE):
                in_list = True
                continue
            if line.side == "trai" or (line.side == "" and in_list and (re.match(r"^[-–+•]", text)
                                                                       or _is_sub_heading(text))):
                if text:
                    distribution.append(text)
                continue
            if line.side == "" and re.match(r"^[-–+•]\s*\S", text) and not signature:
                distribution.append(text)
                continue
            signature.append(line)
        storage: list[str] | None = None
        items: list[str | tuple[str, list[str]]] = []
        group: tuple[str, list[str]] | None = None
        for raw in distribution:
            if _is_sub_heading(raw):
                group = (_strip_item(raw).rstrip(":").rstrip(), [])
                items.append(group)
                continue
            item = _strip_item(raw)
            lưu = re.match(r"^Lưu\s*:?\s*(.*)$", item, re.IGNORECASE)
            if lưu:
                units = [u.strip() for u in re.split(r"[,;]", lưu[1]) if u.strip()]
                storage = [u for u in units if u.upper() != "VT"]
                continue
            if group is not None:
                group[1].append(item)
            else:
                items.append(item)
        parts.distribution = items
        parts.storage = storage
        signers = [_signer(block) for block in blocks or ()]
        parts.signers = [s for s in signers if s is not None] or [s for s in (_signer(signature),) if s is not None]
        parts.signer = parts.signers[0] if parts.signers else None

    # -- phụ lục ---------------------------------------------------------------------------------------------

    def read_appendices(self, position: int) -> None:
        parts = self.parts
        current: Appendix | None = None
        before_table = True
        while position < len(self.flow):
            block = self.flow[position]
            position += 1
            if isinstance(block, Table):
                if current is None:
                    current = Appendix(label="Phụ lục")
                    parts.appendices.append(current)
                    parts.notes.append(f"bảng {block.number} sau phần ký không có dòng 'PHỤ LỤC': đọc như một phụ lục")
                if current.table is None:
                    current.table = _grid(self.layout, block, self.cells)
                    current.widths = block.grid_cm
                    section = self.layout.sections[min(block.section, len(self.layout.sections)) - 1]
                    current.landscape = section.orientation == "ngang"
                    before_table = False
                else:
                    parts.notes.append(f"phụ lục '{current.label}' có hơn một bảng: chỉ lấy bảng đầu")
                continue
            text = _fold(block.text)
            if not text or _SEPARATOR.match(text):
                continue
            if _APPENDIX.match(text):
                current = Appendix(label=text)
                parts.appendices.append(current)
                before_table = True
                continue
            if current is None:
                parts.notes.append(f"đoạn sau phần ký, ngoài phụ lục, bị bỏ qua: \"{text[:60]}\"")
                continue
            if not before_table:
                current.notes.append(text)
            elif _ATTACHED.match(text):
                current.attached = True
                current.attached_text = text
            else:
                label, value = _lead(block)
                if value and label:
                    current.leads.append((label, value))
                elif not current.attached and not current.leads:
                    current.titles.append(text)
                else:
                    current.leads.append(("", text))


def _lead(paragraph: Paragraph) -> tuple[str, str]:
    """A lead line above a phụ lục table: a label in plain letters then a value in bold."""
    label, value = [], []
    for run in paragraph.runs:
        if run.bold and run.text.strip():
            value.append(run.text)
        elif value:
            return "", ""
        else:
            label.append(run.text)
    return _fold("".join(label)), _fold("".join(value))


def _is_sub_heading(text: str) -> bool:
    """A Nơi nhận sub-heading ("Gửi bản điện tử:"): no dash, ends with ":" (a "Lưu:" line is an item)."""
    text = _fold(text)
    return (text.endswith(":") and len(text) > 1 and not re.match(r"^[-–+•]", text)
            and not re.match(r"^(lưu|nơi\s*nhận)\s*:", text, re.IGNORECASE))


def _looks_like_a_signer(lines: list[Line]) -> bool:
    """A signature block: upper-case lines (quyền hạn, chức vụ) and, last, a name that is not upper case."""
    texts = [_fold(line.text) for line in lines if _fold(line.text)]
    return len(texts) >= 2 and not texts[-1].isupper() and all(t.isupper() for t in texts[:-1])


def _strip_end(text: str) -> str:
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in ";.,"):
        end -= 1
    return text[:end]


def _strip_item(text: str) -> str:
    """A list item without its dash and its closing punctuation: "- Như trên;" → "Như trên"."""
    return _strip_end(re.sub(r"^[-–+•]\s*", "", _fold(text)))


def _signer(lines: list[Line]) -> Signer | None:
    texts = [_fold(line.text) for line in lines]
    filled = [t for t in texts if t]
    if not filled:
        return None
    authority = on_behalf = None
    rest = list(filled)
    match = _AUTHORITY.match(rest[0])
    if match and match[1] + "." in AUTHORITIES:
        authority, on_behalf = match[1] + ".", match[2].strip()
        rest = rest[1:]
    name = None
    if rest and not rest[-1].isupper():
        name = rest[-1]
        rest = rest[:-1]
    title = " ".join(t for t in rest if t.isupper()) or None
    return Signer(authority, on_behalf, title, name)


def read_parts(layout: Layout) -> Parts:
    """The parts of the document whose layout is ``layout`` (engine.render.layout.read_layout)."""
    return _Reader(layout).read()
