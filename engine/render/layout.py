"""Turn any .docx into a plain description of its layout, with every property resolved.

The snapshot (``engine.snapshot``) prints this description and the Nghị định 30 check
(``engine.conformance``) reads it; neither touches Word XML. Word stores a paragraph's look
in layers (document defaults, the paragraph style and the styles it is based on, the run
style, the direct formatting), so a document written in Word by hand often has its 14 pt in
a style rather than on the run. Every paragraph here carries the *effective* values, so a
document the engine did not make is read the same way as its own output.

Not resolved (rare in administrative documents, and said here so nobody relies on them):
table styles' paragraph and run properties, numbering (list) indents, and the complex
"toggle" semantics of bold/italic across style levels (the nearest level that sets it wins).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from lxml import etree

from engine.errors import DocumentError, LimitError, Location, Problem
from engine.render.properties import StoredProperties, package_properties
from engine.trust.limits import current_limits
from engine.trust.packages import open_package, safe_parser, xml_syntax_problem

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

TWIPS_PER_MM = 1440 / 25.4


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class BadValue(ValueError):
    """An attribute whose value is not a number of the kind OOXML says (a document Word would call damaged)."""

    def __init__(self, element: etree._Element | None, attribute: str, value: str) -> None:
        tag = element.tag.split("}")[-1] if element is not None else "?"
        super().__init__(f"w:{tag} có {attribute}=\"{value[:40]}\"")
        self.part: str | None = None  # set where the part is known
        self.tag = tag
        self.attribute = attribute
        self.value = value


# OOXML writes lengths as whole numbers of a unit (twips, half-points …) or, in files from other
# programs, as a decimal or a universal measure ("2.5cm", "1in", "12pt"); anything else is damaged.
_MEASURE = re.compile(r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(mm|cm|in|pt|pc|pi)?\s*$")
_POINTS_PER = {"mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "pt": 1.0, "pc": 12.0, "pi": 12.0}


def measure(value: str | float | None, per_point: float = 20, *, element: etree._Element | None = None,
           attribute: str = "w:val") -> float:
    """An attribute's number in its own unit (``per_point`` of them make a point: twips 20, half-points 2).

    >>> measure("1134"), measure("2cm"), measure("1440.5")
    (1134.0, 1133.8582677165355, 1440.5)
    """
    if value is None or value == "":
        return 0.0
    if isinstance(value, (int, float)):
        return float(value)
    match = _MEASURE.match(value)
    if match is None:
        raise BadValue(element, attribute, value)
    amount = float(match[1])
    return amount * _POINTS_PER[match[2]] * per_point if match[2] else amount


def whole(value: str | None, default: int, *, element: etree._Element | None = None, attribute: str = "w:val") -> int:
    """A whole number attribute (a span, a page number), or ``default`` when there is none."""
    if value is None or value == "":
        return default
    result = measure(value, element=element, attribute=attribute)
    if result != int(result) or abs(result) > 1_000_000:
        raise BadValue(element, attribute, value)
    return int(result)


def _mm(twips: str | float | None) -> float:
    return round(measure(twips) / TWIPS_PER_MM, 1)


def _cm(twips: str | float | None) -> float:
    return round(measure(twips) / TWIPS_PER_MM / 10, 2)


def _pt(twips: str | float | None) -> float:
    return round(measure(twips) / 20, 1)


def _attr(element: etree._Element, name: str, per_point: float = 20) -> float | None:
    """A length attribute of ``element`` (``w:`` namespace) as a number, None when absent."""
    value = element.get(w(name))
    return None if value is None else measure(value, per_point, element=element, attribute=f"w:{name}")


# ----- the description -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Consecutive text of one look (runs of the same look are joined)."""

    text: str
    font: str | None
    size: float | None  # pt
    bold: bool
    italic: bool
    underline: bool
    caps: bool = False
    position: str = ""  # "superscript" or "subscript" (w:vertAlign), "" on the line


@dataclass(frozen=True)
class Paragraph:
    """One paragraph with its effective formatting and where it stands."""

    number: int  # 1-based, in reading order over the whole part (body, or one header)
    place: str  # "thân", "bảng 1, ô 2.1", "đầu trang mặc định (section 1)"
    section: int  # 1-based
    table: int | None  # which body table (1-based) holds it, if any
    cell: tuple[int, int] | None  # (row, column of the grid), 1-based
    style: str
    alignment: str  # left, center, right, both, distribute
    first_line_cm: float  # negative for a hanging indent
    left_cm: float
    right_cm: float
    before_pt: float
    after_pt: float
    line: str  # "1.15" (multiple of single), "exact 18pt" or "at least 18pt"
    line_multiple: float | None
    runs: tuple[Run, ...]
    mark: Run  # the paragraph mark's look: the height of an empty paragraph
    fields: tuple[str, ...] = ()  # field codes (PAGE, NUMPAGES …), first word upper-cased
    borders: tuple[str, ...] = ()  # sides with a line: top, bottom …
    page_break_before: bool = False
    shapes: int = 0  # drawings and VML shapes anchored here (a line drawn under the Tiêu ngữ, a seal)
    notes: int = 0  # footnote references in the paragraph (their texts: Layout.footnotes)

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def text_runs(self) -> tuple[Run, ...]:
        """Runs that print something (spaces alone do not count)."""
        return tuple(r for r in self.runs if r.text.strip())


@dataclass(frozen=True)
class CellSpan:
    """A ``w:tc`` in a row: where it starts in the grid, how wide it is, its vertical merge."""

    column: int  # 1-based grid column
    span: int
    width_cm: float | None
    merge: str  # "" | "restart" | "continue"


@dataclass(frozen=True)
class Table:
    number: int  # 1-based over the body, nested tables included
    section: int
    grid_cm: tuple[float, ...]
    width_cm: float | None
    alignment: str
    borders: str  # "không" or a description such as "single 0.5pt"
    header_rows: int
    rows: tuple[tuple[CellSpan, ...], ...]
    nested_in: int | None = None


@dataclass(frozen=True)
class Section:
    number: int
    width_mm: float
    height_mm: float
    orientation: str  # "dọc" (portrait) | "ngang" (landscape)
    top_mm: float
    bottom_mm: float
    left_mm: float
    right_mm: float
    header_mm: float
    footer_mm: float
    title_page: bool  # a different first-page header/footer
    page_start: int | None  # page numbering restarts at this number
    page_format: str | None
    headers: dict[str, tuple[Paragraph, ...]] = field(default_factory=dict)  # kind -> paragraphs
    footers: dict[str, tuple[Paragraph, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """A whole document: sections, and the body's paragraphs and tables in reading order."""

    sections: tuple[Section, ...]
    blocks: tuple[Paragraph | Table, ...]  # body paragraphs (in cells too) and tables, in order
    footnotes: tuple[Paragraph, ...] = ()  # the paragraphs of the footnotes, in the footnotes part's order

    @cached_property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Paragraph))

    @cached_property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Table))

    def in_table(self, number: int) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.table == number)

    def in_cell(self, table: int, row: int, column: int) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.table == table and p.cell == (row, column))


# ----- styles: defaults, style chains, direct formatting -----------------------------------


class _Styles:
    """Effective paragraph and run properties from styles.xml and the theme's fonts."""

    def __init__(self, styles_xml: bytes | None, theme_xml: bytes | None = None):
        self.by_id: dict[str, etree._Element] = {}
        self.default_paragraph: str | None = None
        self.default_ppr: etree._Element | None = None
        self.default_rpr: etree._Element | None = None
        if styles_xml:
            root = _parse(styles_xml)
            defaults = root.find(w("docDefaults"))
            if defaults is not None:
                self.default_ppr = defaults.find(f"{w('pPrDefault')}/{w('pPr')}")
                self.default_rpr = defaults.find(f"{w('rPrDefault')}/{w('rPr')}")
            for style in root.iter(w("style")):
                style_id = style.get(w("styleId"))
                if style_id:
                    self.by_id[style_id] = style
                    if style.get(w("type")) == "paragraph" and style.get(w("default")) in ("1", "true", "on"):
                        self.default_paragraph = style_id
        self.theme_fonts: dict[str, str] = {}
        self.read_theme(theme_xml)

    def read_theme(self, theme_xml: bytes | None) -> None:
        if theme_xml:
            theme = _parse(theme_xml)
            for kind in ("major", "minor"):
                latin = theme.find(f".//{{{A}}}{kind}Font/{{{A}}}latin")
                if latin is not None:
                    self.theme_fonts[kind] = latin.get("typeface", "")

    def name(self, style_id: str | None) -> str:
        style = self.by_id.get(style_id or "")
        if style is None:
            return style_id or ""
        name = style.find(w("name"))
        return name.get(w("val")) if name is not None else style_id or ""

    def chain(self, style_id: str | None) -> list[etree._Element]:
        """The style and those it is based on, base first."""
        chain: list[etree._Element] = []
        seen: set[str] = set()
        while style_id and style_id in self.by_id and style_id not in seen:
            seen.add(style_id)
            style = self.by_id[style_id]
            chain.append(style)
            based = style.find(w("basedOn"))
            style_id = based.get(w("val")) if based is not None else None
        return chain[::-1]

    def paragraph_layers(self, style_id: str | None) -> list[etree._Element]:
        layers = [self.default_ppr] if self.default_ppr is not None else []
        layers += [s.find(w("pPr")) for s in self.chain(style_id) if s.find(w("pPr")) is not None]
        return layers

    def run_layers(self, paragraph_style: str | None, run_style: str | None) -> list[etree._Element]:
        layers = [self.default_rpr] if self.default_rpr is not None else []
        for style_id in (paragraph_style, run_style):
            layers += [s.find(w("rPr")) for s in self.chain(style_id) if s.find(w("rPr")) is not None]
        return layers

    def font_of(self, r_fonts: etree._Element) -> str | None:
        theme = r_fonts.get(w("asciiTheme")) or r_fonts.get(w("hAnsiTheme"))
        if theme:  # a theme font wins over an explicit name at the same level
            return self.theme_fonts.get("major" if theme.startswith("major") else "minor") or None
        return r_fonts.get(w("ascii")) or r_fonts.get(w("hAnsi"))


def _on(element: etree._Element | None) -> bool | None:
    if element is None:
        return None
    return element.get(w("val"), "true") not in ("0", "false", "off", "none")


def _resolve_run(layers: list[etree._Element], styles: _Styles) -> dict:
    props: dict = {"font": None, "size": None, "bold": False, "italic": False, "underline": False, "caps": False,
                   "position": ""}
    for rpr in layers:
        if rpr is None:
            continue
        fonts = rpr.find(w("rFonts"))
        if fonts is not None:
            props["font"] = styles.font_of(fonts) or props["font"]
        size = rpr.find(w("sz"))
        if size is not None and size.get(w("val")):
            props["size"] = _attr(size, "val", per_point=2) / 2
        for key, tag in (("bold", "b"), ("italic", "i"), ("caps", "caps")):
            value = _on(rpr.find(w(tag)))
            if value is not None:
                props[key] = value
        underline = rpr.find(w("u"))
        if underline is not None:
            props["underline"] = underline.get(w("val"), "single") != "none"
        vertical = rpr.find(w("vertAlign"))
        if vertical is not None:
            value = vertical.get(w("val"), "baseline")
            props["position"] = value if value in ("superscript", "subscript") else ""
    return props


def _resolve_paragraph(layers: list[etree._Element]) -> dict:
    props: dict = {"alignment": "left", "first": 0, "left": 0, "right": 0, "before": 0, "after": 0,
                   "line": 240, "rule": "auto", "borders": (), "break": False}
    for ppr in layers:
        if ppr is None:
            continue
        jc = ppr.find(w("jc"))
        if jc is not None and jc.get(w("val")):
            props["alignment"] = {"start": "left", "end": "right"}.get(jc.get(w("val")), jc.get(w("val")))
        ind = ppr.find(w("ind"))
        if ind is not None:
            for key, attrs in (("left", ("left", "start")), ("right", ("right", "end"))):
                for attr in attrs:
                    if ind.get(w(attr)) is not None:
                        props[key] = _attr(ind, attr)
            if ind.get(w("firstLine")) is not None:
                props["first"] = _attr(ind, "firstLine")
            if ind.get(w("hanging")) is not None:
                props["first"] = -_attr(ind, "hanging")
        spacing = ppr.find(w("spacing"))
        if spacing is not None:
            for key in ("before", "after", "line"):
                if spacing.get(w(key)) is not None:
                    props[key] = _attr(spacing, key)
            if spacing.get(w("lineRule")) is not None:
                props["rule"] = spacing.get(w("lineRule"))
        borders = ppr.find(w("pBdr"))
        if borders is not None:
            props["borders"] = tuple(side.tag.split("}")[1] for side in borders
                                     if side.get(w("val")) not in (None, "nil", "none"))
        page_break = _on(ppr.find(w("pageBreakBefore")))
        if page_break is not None:
            props["break"] = page_break
    return props


# ----- reading a part ----------------------------------------------------------------------

_SKIP_INSIDE = {w("txbxContent"), w("del"), w("moveFrom")}


class BrokenPart(ValueError):
    """A part of the document that is not well-formed XML."""

    part: str | None = None  # set where the part is known


def _parse(data: bytes) -> etree._Element:
    """A part of a document from outside, with libxml2's own limits kept (engine.trust.packages.safe_parser)."""
    try:
        return etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise BrokenPart(str(exc)) from None


def _run_text(run: etree._Element) -> str:
    parts = []
    for child in run:
        if child.tag == w("t"):
            parts.append(child.text or "")
        elif child.tag == w("tab"):
            parts.append("\t")
        elif child.tag in (w("br"), w("cr")):
            parts.append("\n")
        elif child.tag == w("noBreakHyphen"):
            parts.append("-")
    return "".join(parts)


def _paragraph_runs(p: etree._Element) -> Iterator[etree._Element]:
    for run in p.iter(w("r")):
        ancestor = run.getparent()
        skip = False
        while ancestor is not None and ancestor is not p:
            if ancestor.tag in _SKIP_INSIDE:
                skip = True
                break
            ancestor = ancestor.getparent()
        if not skip:
            yield run


def _fields(p: etree._Element) -> tuple[str, ...]:
    codes = [f.get(w("instr"), "") for f in p.iter(w("fldSimple"))]
    codes += [t.text or "" for t in p.iter(w("instrText"))]
    names = [code.split()[0].upper() for code in codes if code.split()]
    return tuple(names)


class _Reader:
    def __init__(self, styles: _Styles):
        self.styles = styles

    def paragraph(self, p: etree._Element, number: int, place: str, section: int,
                  table: int | None = None, cell: tuple[int, int] | None = None) -> Paragraph:
        ppr = p.find(w("pPr"))
        style_id = None
        if ppr is not None and ppr.find(w("pStyle")) is not None:
            style_id = ppr.find(w("pStyle")).get(w("val"))
        style_id = style_id or self.styles.default_paragraph
        pprops = _resolve_paragraph([*self.styles.paragraph_layers(style_id), ppr])
        runs: list[Run] = []
        for r in _paragraph_runs(p):
            text = _run_text(r)
            if not text:
                continue
            rpr = r.find(w("rPr"))
            run_style = None
            if rpr is not None and rpr.find(w("rStyle")) is not None:
                run_style = rpr.find(w("rStyle")).get(w("val"))
            look = _resolve_run([*self.styles.run_layers(style_id, run_style), rpr], self.styles)
            if runs and _same_look(runs[-1], look):
                runs[-1] = Run(runs[-1].text + text, **look)
            else:
                runs.append(Run(text, **look))
        mark_rpr = ppr.find(w("rPr")) if ppr is not None else None
        mark = Run("", **_resolve_run([*self.styles.run_layers(style_id, None), mark_rpr], self.styles))
        if pprops["rule"] in ("auto", None):
            multiple = round(pprops["line"] / 240, 2)
            line = f"{multiple:g}"
        else:
            multiple = None
            line = f"{'exact' if pprops['rule'] == 'exact' else 'at least'} {_pt(pprops['line']):g}pt"
        return Paragraph(
            number=number, place=place, section=section, table=table, cell=cell,
            style=self.styles.name(style_id), alignment=pprops["alignment"],
            first_line_cm=_cm(pprops["first"]), left_cm=_cm(pprops["left"]), right_cm=_cm(pprops["right"]),
            before_pt=_pt(pprops["before"]), after_pt=_pt(pprops["after"]), line=line, line_multiple=multiple,
            runs=tuple(runs), mark=mark, fields=_fields(p), borders=pprops["borders"],
            page_break_before=pprops["break"],
            shapes=sum(1 for _ in p.iter(w("drawing"), w("pict"))),
            notes=sum(1 for _ in p.iter(w("footnoteReference"))),
        )


def _same_look(run: Run, look: dict) -> bool:
    return all(getattr(run, key) == value for key, value in look.items())


def _table_borders(tbl: etree._Element, styles: _Styles | None = None) -> str:
    """The lines a table is drawn with, wherever Word or LibreOffice put them: on the table, in its table
    style (and the styles that one is based on), or on each cell (LibreOffice saves them so)."""
    places: list[etree._Element] = []
    own = tbl.find(f"{w('tblPr')}/{w('tblBorders')}")
    if own is not None:
        places.append(own)
    style = tbl.find(f"{w('tblPr')}/{w('tblStyle')}")
    if styles is not None and style is not None:
        for layer in styles.chain(style.get(w("val"))):
            found = layer.find(f"{w('tblPr')}/{w('tblBorders')}")
            if found is not None:
                places.append(found)
    places += [cell for cell in tbl.iterfind(f"{w('tr')}/{w('tc')}/{w('tcPr')}/{w('tcBorders')}")]
    sizes: set[tuple[str, float]] = set()
    for borders in places:
        for side in borders:
            value = side.get(w("val"))
            if value in ("nil", "none", None):
                continue
            size = side.get(w("sz"))
            sizes.add((value, measure(size, 8, element=borders, attribute="w:sz") / 8 if size else 0.0))
    if not sizes:
        return "không"
    return ", ".join(sorted(f"{value} {size:g}pt" for value, size in sizes))


def _tc_span(tc: etree._Element) -> tuple[int, str, float | None]:
    tc_pr = tc.find(w("tcPr"))
    span, merge, width = 1, "", None
    if tc_pr is not None:
        grid_span = tc_pr.find(w("gridSpan"))
        if grid_span is not None:
            span = max(1, whole(grid_span.get(w("val")), 1, element=grid_span))
        v_merge = tc_pr.find(w("vMerge"))
        if v_merge is not None:
            merge = v_merge.get(w("val"), "continue")
        tc_w = tc_pr.find(w("tcW"))
        if tc_w is not None and tc_w.get(w("type"), "dxa") == "dxa" and tc_w.get(w("w")):
            width = round(_attr(tc_w, "w") / TWIPS_PER_MM / 10, 2)
    return span, merge, width


class _BodyWalker:
    """Walk the body in reading order, numbering paragraphs and tables and tracking sections."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.most = current_limits().so_doan
        self.blocks: list[Paragraph | Table] = []
        self.paragraphs = 0
        self.tables = 0
        self.section = 1

    def walk(self, container: etree._Element, place: str = "thân", table: int | None = None,
             cell: tuple[int, int] | None = None) -> None:
        for child in container:
            if child.tag == w("p"):
                self.paragraphs += 1
                if self.paragraphs > self.most:
                    most = current_limits().describe("so_doan")
                    raise LimitError(Problem("LIMIT_PARAGRAPHS", f"văn bản có hơn {most} đoạn", Location(),
                                             hint="Nếu đúng là văn bản lớn, nâng giới hạn so_doan."))
                self.blocks.append(self.reader.paragraph(child, self.paragraphs, place, self.section, table, cell))
                if child.find(f"{w('pPr')}/{w('sectPr')}") is not None:
                    self.section += 1  # this paragraph ends its section
            elif child.tag == w("tbl"):
                self.table(child, nested_in=table)
            elif child.tag in (w("sdt"), w("customXml"), w("ins")):
                content = child.find(w("sdtContent")) if child.tag == w("sdt") else child
                if content is not None:
                    self.walk(content, place, table, cell)

    def table(self, tbl: etree._Element, nested_in: int | None) -> None:
        self.tables += 1
        number = self.tables
        grid = tuple(round(measure(col.get(w("w")), element=col, attribute="w:w") / TWIPS_PER_MM / 10, 2)
                     for col in tbl.iter(w("gridCol")) if col.getparent().getparent() is tbl)
        tbl_pr = tbl.find(w("tblPr"))
        width = alignment = None
        if tbl_pr is not None:
            tbl_w = tbl_pr.find(w("tblW"))
            if tbl_w is not None and tbl_w.get(w("type")) == "dxa":
                width = round(measure(tbl_w.get(w("w")), element=tbl_w, attribute="w:w") / TWIPS_PER_MM / 10, 2)
            jc = tbl_pr.find(w("jc"))
            alignment = jc.get(w("val")) if jc is not None else None
        rows: list[tuple[CellSpan, ...]] = []
        header_rows = 0
        position = len(self.blocks)
        self.blocks.append(None)  # type: ignore[arg-type]  # the table goes before its paragraphs
        for row_number, tr in enumerate(tbl.findall(w("tr")), start=1):
            tr_pr = tr.find(w("trPr"))
            column = 1
            if tr_pr is not None:
                before = tr_pr.find(w("gridBefore"))
                column += whole(before.get(w("val")), 0, element=before) if before is not None else 0
                if _on(tr_pr.find(w("tblHeader"))) and header_rows == row_number - 1:
                    header_rows += 1
            spans = []
            for tc in tr.findall(w("tc")):
                span, merge, cell_width = _tc_span(tc)
                spans.append(CellSpan(column, span, cell_width, merge))
                if merge != "continue":
                    self.walk(tc, f"bảng {number}, ô {row_number}.{column}", number, (row_number, column))
                column += span
            rows.append(tuple(spans))
        self.blocks[position] = Table(
            number=number, section=self.section, grid_cm=grid, width_cm=width,
            alignment=alignment or "left", borders=_table_borders(tbl, self.reader.styles), header_rows=header_rows,
            rows=tuple(rows), nested_in=nested_in,
        )


def _section(sect_pr: etree._Element, number: int) -> Section:
    size = sect_pr.find(w("pgSz"))
    margins = sect_pr.find(w("pgMar"))
    numbering = sect_pr.find(w("pgNumType"))
    width = round((_attr(size, "w") or 0) / TWIPS_PER_MM, 1) if size is not None else 0.0
    height = round((_attr(size, "h") or 0) / TWIPS_PER_MM, 1) if size is not None else 0.0
    orient = size.get(w("orient")) if size is not None else None
    landscape = orient == "landscape" or (orient is None and width > height)

    def margin(name: str) -> float:
        return round((_attr(margins, name) or 0) / TWIPS_PER_MM, 1) if margins is not None else 0.0

    start = numbering.get(w("start")) if numbering is not None else None
    return Section(
        number=number, width_mm=width, height_mm=height, orientation="ngang" if landscape else "dọc",
        top_mm=abs(margin("top")), bottom_mm=abs(margin("bottom")), left_mm=margin("left"),
        right_mm=margin("right"), header_mm=margin("header"), footer_mm=margin("footer"),
        title_page=bool(_on(sect_pr.find(w("titlePg")))),
        page_start=whole(start, 0, element=numbering, attribute="w:start") if start else None,
        page_format=numbering.get(w("fmt")) if numbering is not None else None,
    )


HEADER_KINDS = {"default": "mặc định", "first": "trang đầu", "even": "trang chẵn"}


def read_layout(package: bytes, *, name: str = "văn bản") -> Layout:
    """The layout of a .docx given as bytes; a file that is not a readable .docx is a named DocumentError.

    The package is checked first (engine.trust.packages: zip limits, no DTD). A part that is not
    well-formed XML is FILE_XML, an attribute whose value is not a number of its kind DOCX_VALUE,
    each with the part; more paragraphs than ``so_doan`` is LIMIT_PARAGRAPHS.
    """
    checked = open_package(package, name=name, role="van_ban")
    files = checked.parts(lambda n: n.endswith((".xml", ".rels")) and n.startswith(("word/", "_rels/")))
    if "word/document.xml" not in files:
        raise DocumentError(Problem(
            "DOCX_UNREADABLE", "tệp không có phần thân văn bản (word/document.xml): không phải văn bản Word",
            Location(file=name), hint="Kiểm tra đó đúng là tệp Word .docx (mở và lưu lại bằng Word nếu cần).",
        ))
    part = "word/document.xml"
    read_below = ("word/document.xml", "word/styles.xml", "word/theme/theme1.xml", "word/_rels/document.xml.rels")
    for other, xml in files.items():  # parts the layout does not read (numbering, settings …) must be whole too
        problem = None if other in read_below else xml_syntax_problem(xml)
        if problem:
            raise DocumentError(Problem("FILE_XML", f"phần '{other}' không phải XML hợp lệ ({problem[:160]})",
                                        Location(file=name), hint="Mở tệp bằng Word hoặc LibreOffice rồi lưu lại."))
    try:
        document = _parse(files[part])
        part = "word/styles.xml"
        styles = _Styles(files.get(part), None)
        part = "word/theme/theme1.xml"
        styles.read_theme(files.get(part))
        reader = _Reader(styles)
        part = "word/document.xml"
        body = document.find(w("body"))
        if body is None:
            raise BrokenPart("không có phần tử w:body")
        walker = _BodyWalker(reader)
        try:
            walker.walk(body)
        except LimitError as exc:
            raise LimitError([Problem(p.code, p.message, Location(file=name), p.hint) for p in exc.problems]) from None
        part = "word/_rels/document.xml.rels"
        relations = _relations(files.get(part))
        part = "word/document.xml"
        sections = _sections(body, files, relations, reader)
        part = _footnotes_part(files.get("word/_rels/document.xml.rels")) or "word/footnotes.xml"
        footnotes = _footnotes(files.get(part), reader)
    except BrokenPart as exc:
        raise DocumentError(Problem(
            "FILE_XML", f"phần '{exc.part or part}' không phải XML hợp lệ ({str(exc)[:160]})", Location(file=name),
            hint="Mở tệp bằng Word hoặc LibreOffice rồi lưu lại.",
        )) from None
    except BadValue as exc:
        raise DocumentError(Problem(
            "DOCX_VALUE", f"phần '{exc.part or part}': {exc} không phải một số đo hợp lệ", Location(file=name),
            hint="Word ghi các số đo này bằng số nguyên (twip, nửa điểm …); mở tệp bằng Word rồi lưu lại.",
        )) from None
    return Layout(tuple(sections), tuple(walker.blocks), footnotes)


def _sections(body: etree._Element, files: dict[str, bytes], relations: dict[str, str],
              reader: _Reader) -> list[Section]:
    sect_prs = [p.find(f"{w('pPr')}/{w('sectPr')}") for p in body.iter(w("p"))
                if p.find(f"{w('pPr')}/{w('sectPr')}") is not None]
    final = body.find(w("sectPr"))
    if final is not None:
        sect_prs.append(final)
    sections: list[Section] = []
    inherited: dict[tuple[str, str], tuple[Paragraph, ...]] = {}
    for number_, sect_pr in enumerate(sect_prs, start=1):
        section = _section(sect_pr, number_)
        for ref_tag, store in (("headerReference", section.headers), ("footerReference", section.footers)):
            kind_word = "đầu trang" if ref_tag == "headerReference" else "chân trang"
            for ref in sect_pr.findall(w(ref_tag)):
                target = relations.get(ref.get(f"{{{R}}}id") or "")
                kind = ref.get(w("type"), "default")
                part = files.get(f"word/{target}") if target else None
                if part is not None:
                    place = f"{kind_word} {HEADER_KINDS.get(kind, kind)} (section {number_})"
                    try:
                        root = _parse(part)
                        inherited[(ref_tag, kind)] = tuple(
                            reader.paragraph(p, i, place, number_)
                            for i, p in enumerate((p for p in root.iter(w("p"))), start=1)
                        )
                    except (BrokenPart, BadValue) as exc:
                        exc.part = f"word/{target}"
                        raise
            for (tag, kind), paragraphs in inherited.items():
                if tag == ref_tag:  # a section without its own reference shows the previous one's
                    store[kind] = paragraphs
        sections.append(section)
    if not sections:
        sections.append(_section(etree.Element(w("sectPr")), 1))
    return sections


REL_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def _footnotes_part(rels: bytes | None) -> str | None:
    if not rels:
        return None
    for rel in _parse(rels).iter(f"{{{PKG_REL}}}Relationship"):
        if rel.get("Type") == REL_FOOTNOTES and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else f"word/{target}"
    return None


def _footnotes(xml: bytes | None, reader: _Reader) -> tuple[Paragraph, ...]:
    """Each footnote's paragraphs (Word's separators left out), placed as "chú thích N"."""
    if not xml:
        return ()
    out: list[Paragraph] = []
    for note in _parse(xml).iter(w("footnote")):
        if note.get(w("type")) in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        for p in note.iter(w("p")):
            out.append(reader.paragraph(p, len(out) + 1, f"chú thích {note.get(w('id'))}", 1))
    return tuple(out)


def _relations(rels: bytes | None) -> dict[str, str]:
    if not rels:
        return {}
    root = _parse(rels)
    return {rel.get("Id"): re.sub(r"^/?word/", "", rel.get("Target", ""))
            for rel in root.iter(f"{{{PKG_REL}}}Relationship")}


_TEXT = re.compile(rb"<w:t(?: [^>]*)?>([^<]*)</w:t>")
_ORIENT = re.compile(rb"<w:pgSz\b[^>]*>")
# Word writes a text box twice, for new readers (mc:Choice) and old ones (mc:Fallback); one is printed.
_FALLBACK = re.compile(rb"<mc:Fallback\b.*?</mc:Fallback>", re.S)


@dataclass(frozen=True)
class QuickFacts:
    """What a PDF check needs to know of a .docx, read with regular expressions (milliseconds)."""

    landscape_sections: tuple[bool, ...]
    text: str  # the text of the body, one line per paragraph (headers, footers and notes not included)


def quick_facts_and_properties(package: bytes) -> tuple[QuickFacts, StoredProperties | None]:
    """:func:`quick_facts` and the stored properties of a .docx, from one opening of its archive.

    What a PDF check needs (the facts, and the properties for the PDF's stamp); None for the
    properties of a file that is no zip archive (:func:`quick_facts` has said so by then).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except (zipfile.BadZipFile, OSError, EOFError):
        return quick_facts(package), None  # raises its error
    with archive:
        return quick_facts(archive), package_properties(archive)


def quick_facts(package: bytes | zipfile.ZipFile) -> QuickFacts:
    """The facts of a .docx, given as bytes or as an archive its caller has open (to read it once)."""
    try:
        if isinstance(package, zipfile.ZipFile):
            xml = package.read("word/document.xml")
        else:
            with zipfile.ZipFile(io.BytesIO(package)) as archive:
                xml = archive.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise DocumentError(Problem("DOCX_UNREADABLE", f"không đọc được thân văn bản ({str(exc)[:120]})", Location(),
                                    hint="Mở tệp bằng Word rồi lưu lại dưới dạng .docx.")) from None
    sizes = _ORIENT.findall(xml)
    landscape = tuple(b'w:orient="landscape"' in size for size in sizes) or (False,)
    if b"<mc:Fallback" in xml:
        xml = _FALLBACK.sub(b"", xml)
    lines = (b"".join(_TEXT.findall(paragraph)) for paragraph in xml.split(b"</w:p>"))
    text = "\n".join(html.unescape(line.decode("utf-8")) for line in lines if line)
    return QuickFacts(landscape, text)
