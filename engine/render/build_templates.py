"""Turn the layout rules of Nghị định 30/2020 into the .docx templates under templates/.

Run ``python -m engine.render.build_templates`` to regenerate ``bao_cao/bao_cao.docx``,
``bao_cao/cong_van.docx`` and the appendix (phụ lục) templates under ``phu_luc/``. The two
main templates are built from the same functions for the shared blocks (the two-column
header, Kính gửi, căn cứ, body and the Nơi nhận/signature table), so they cannot drift apart;
a test checks that those blocks stay identical in the committed files. The four phụ lục
templates are one function (:func:`build_phu_luc`) on a portrait or landscape page. After
generation the templates are ordinary docxtpl templates that can be edited in Word: every
tag is written as a single run, so Word keeps it whole.

Measurements (Times New Roman, checked with the metric-compatible Liberation Serif):
"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in 12 pt bold is about 7.9 cm and the longest common
date line ("Thành phố Hồ Chí Minh, ngày 29 tháng 12 năm 2019", 13 pt italic) about 9.6 cm,
so the right header column is 10.5 cm; the Tiêu ngữ in 13 pt bold is about 5.5 cm, which
is the length of the rule under it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from engine.kinds import TEMPLATES_DIR
from engine.render.compose import restore_core_properties_prefix
from engine.render.package import normalise_package

FONT = "Times New Roman"

# Page (Nghị định 30, Phụ lục I, Mục I): A4 portrait; top/bottom 20-25 mm, left 30-35, right 15-20.
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_WIDTH_CM = 16.5
# A wide appendix table goes on an A4 landscape page with the same margins: 29.7 - 3.0 - 1.5 cm.
LANDSCAPE_TEXT_WIDTH_CM = 25.2

HEADER_COLUMNS_CM = (6.0, 10.5)  # agency | Quốc hiệu; both rows share the grid
SIGNATURE_COLUMNS_CM = (7.5, 9.0)  # Nơi nhận | signer
SEVERAL_SIGNERS_COLUMNS_CM = (8.25, 8.25)  # two signature blocks a row (a joint document)
CELL_MARGIN_CM = 0.19  # Word's default left/right cell padding

BODY_INDENT = Cm(1.27)
BODY_LINE_SPACING = 1.15  # between single and 1.5 lines
PARAGRAPH_GAP = Pt(6)
NO_SPACE = Pt(0)
TITLE_GAP = Pt(18)

AGENCY_RULE_CM = 1.8  # about 1/3 to 1/2 of a typical agency name ("ỦY BAN NHÂN DÂN" ≈ 3.9 cm)
MOTTO_RULE_CM = 5.5  # the length of "Độc lập - Tự do - Hạnh phúc" in 13 pt bold
TITLE_RULE_CM = 4.0
KINH_GUI_INDENT = Cm(2.5)
KINH_GUI_LABEL = Cm(1.5)  # width of "Kính gửi" in 14 pt: the dashes align under the colon


@dataclass(frozen=True)
class Font:
    size: float
    bold: bool = False
    italic: bool = False


def _set_run_font(run, font: Font) -> None:
    run.font.name = FONT
    run.font.size = Pt(font.size)
    run.font.bold = font.bold
    run.font.italic = font.italic
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attr), FONT)


def _set_mark_size(paragraph, size: float) -> None:
    """Size of the paragraph mark: it sets the height of an empty paragraph."""
    p_pr = paragraph._p.get_or_add_pPr()
    r_pr = p_pr.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        p_pr.append(r_pr)
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    r_pr.append(fonts)
    for tag in ("w:sz", "w:szCs"):
        sz = OxmlElement(tag)
        sz.set(qn("w:val"), str(int(size * 2)))
        r_pr.append(sz)


def para(container, runs: list[tuple[str, Font]] | str = "", *, font: Font = Font(14),
         align=WD_ALIGN_PARAGRAPH.CENTER, first_indent=None, left=None, right=None,
         before=NO_SPACE, after=NO_SPACE, line=1.0):
    """Add a paragraph whose runs each carry their own font (a tag stays in one run)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before = before
    fmt.space_after = after
    fmt.line_spacing = line
    if first_indent is not None:
        fmt.first_line_indent = first_indent
    if left is not None:
        fmt.left_indent = left
    if right is not None:
        fmt.right_indent = right
    if isinstance(runs, str):
        runs = [(runs, font)] if runs else []
    for text, run_font in runs:
        _set_run_font(paragraph.add_run(text), run_font)
    _set_mark_size(paragraph, runs[0][1].size if runs else font.size)
    return paragraph


def control(container, statement: str):
    """A docxtpl paragraph-level tag ({%p … %}); the paragraph disappears when rendered."""
    return para(container, statement, font=Font(2), align=WD_ALIGN_PARAGRAPH.LEFT)


def rule(container, length_cm: float, width_cm: float, *, after=NO_SPACE):
    """A short solid line of ``length_cm``, centred in a column of ``width_cm``.

    Drawn as the top border of an empty 2 pt paragraph, which Word and LibreOffice both show
    the same way; the space before keeps the line clear of the descenders above it.
    """
    side = Cm(max((width_cm - length_cm) / 2, 0))
    paragraph = para(container, "", font=Font(2), left=side, right=side, before=Pt(3), after=after)
    p_bdr = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    p_bdr.append(top)
    p_pr = paragraph._p.get_or_add_pPr()
    # pBdr must come before spacing/ind/jc in CT_PPr's sequence.
    p_pr.insert(0, p_bdr) if p_pr.find(qn("w:pStyle")) is None else p_pr.find(qn("w:pStyle")).addnext(p_bdr)
    return paragraph


def borderless_table(doc, widths_cm: tuple[float, ...], rows: int):
    """A fixed-layout table without borders whose grid and cell widths are both set.

    LibreOffice lays out by the grid (w:tblGrid), Word by the cell widths; setting only one
    lets the other wrap the Quốc hiệu or the date line.
    """
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(int(Cm(sum(widths_cm)).twips)))
    tbl_w.set(qn("w:type"), "dxa")
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # CT_TblPr is a sequence: tblBorders must precede tblLayout (added by autofit=False) and
    # tblLook, or Word reports the file as damaged.
    tbl_pr.find(qn("w:tblLayout")).addprevious(borders)
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
            # An empty first paragraph would add a blank line at the top of each cell.
            cell._tc.remove(cell.paragraphs[0]._p)
    return table


# ----- shared blocks --------------------------------------------------------------------


def header_block(doc) -> None:
    """The two-column header: agency and number on the left, Quốc hiệu and date on the right.

    Two rows, so that "Số: …" and the date line sit on the same line (Nghị định 30, ô 3 and 4).
    """
    left_w, right_w = HEADER_COLUMNS_CM
    table = borderless_table(doc, HEADER_COLUMNS_CM, rows=2)
    agency, motto = table.rows[0].cells
    control(agency, "{%p if van_ban.co_quan_chu_quan %}")
    para(agency, "{{ van_ban.co_quan_chu_quan }}", font=Font(12))
    control(agency, "{%p endif %}")
    para(agency, "{{ van_ban.co_quan_ban_hanh }}", font=Font(12, bold=True))
    rule(agency, AGENCY_RULE_CM, left_w - 2 * CELL_MARGIN_CM)

    para(motto, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=Font(12, bold=True))
    para(motto, "Độc lập - Tự do - Hạnh phúc", font=Font(13, bold=True))
    rule(motto, MOTTO_RULE_CM, right_w - 2 * CELL_MARGIN_CM)

    number, date = table.rows[1].cells
    para(number, "{{ van_ban.so_ky_hieu }}", font=Font(13), before=Pt(4))
    control(number, "{%p if van_ban.vv %}")
    para(number, "{{ van_ban.vv }}", font=Font(12), before=Pt(6))
    control(number, "{%p endif %}")
    para(date, "{{ van_ban.dia_danh_ngay }}", font=Font(13, italic=True), before=Pt(4))


def kinh_gui_block(doc, *, before=PARAGRAPH_GAP) -> None:
    """Kính gửi: one addressee on the same line; several as a dash list under the colon."""
    control(doc, "{%p if van_ban.kinh_gui_mot %}")
    para(doc, [("Kính gửi: ", Font(14)), ("{{ van_ban.kinh_gui_mot }}", Font(14))], before=before)
    control(doc, "{%p endif %}")
    control(doc, "{%p if van_ban.kinh_gui_nhieu %}")
    para(doc, "Kính gửi:", align=WD_ALIGN_PARAGRAPH.LEFT, left=KINH_GUI_INDENT, before=before)
    control(doc, "{%p for x in van_ban.kinh_gui_nhieu %}")
    para(doc, "{{ x }}", align=WD_ALIGN_PARAGRAPH.LEFT, left=KINH_GUI_INDENT + KINH_GUI_LABEL)
    control(doc, "{%p endfor %}")
    control(doc, "{%p endif %}")


def body_paragraph(container, runs: list[tuple[str, Font]]):
    return para(container, runs, align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_indent=BODY_INDENT,
                before=PARAGRAPH_GAP, line=BODY_LINE_SPACING)


def body_block(doc) -> None:
    """Căn cứ lines (italic), then the body: paragraphs, lists and numbered headings."""
    control(doc, "{%p for x in van_ban.can_cu %}")
    body_paragraph(doc, [("{{ x }}", Font(14, italic=True))])
    control(doc, "{%p endfor %}")
    control(doc, "{%p for b in van_ban.noi_dung %}")
    control(doc, '{%p if b.kieu == "doan" %}')
    body_paragraph(doc, [("{{ b.noi_dung }}", Font(14))])
    for level, lead in (("muc", Font(14, bold=True)), ("khoan", Font(14, bold=True)),
                        ("tieu_khoan", Font(14, bold=True)), ("diem", Font(14, italic=True))):
        control(doc, f'{{%p elif b.kieu == "{level}" %}}')
        body_paragraph(doc, [("{{ b.tieu_de }}", lead), ("{{ b.noi_dung }}", Font(14))])
    control(doc, "{%p endif %}")
    control(doc, "{%p endfor %}")


def signer_paragraphs(cell, signer: str) -> None:
    """One signature block, centred: quyền hạn and chức vụ (14 pt bold), the signature (or room for it), the name."""
    control(cell, f"{{%p if {signer}.quyen_han %}}")
    para(cell, f"{{{{ {signer}.quyen_han }}}}", font=Font(14, bold=True))
    control(cell, "{%p endif %}")
    control(cell, f"{{%p if {signer}.chuc_vu %}}")
    para(cell, f"{{{{ {signer}.chuc_vu }}}}", font=Font(14, bold=True))
    control(cell, "{%p endif %}")
    control(cell, f"{{%p if {signer}.chu_ky %}}")
    para(cell, f"{{{{ {signer}.chu_ky }}}}", font=Font(14))
    control(cell, "{%p else %}")
    for _ in range(4):  # room for the handwritten signature and seal
        para(cell, "", font=Font(14))
    control(cell, "{%p endif %}")
    para(cell, f"{{{{ {signer}.ho_ten }}}}", font=Font(14, bold=True))


def noi_nhan_paragraphs(container, *, together: bool = False) -> None:
    """"Nơi nhận:" (12 pt bold italic) and its lines (11 pt): items "- X;", sub-headings "Gửi bản điện tử:".

    ``together``: the list is kept on one page (each line kept with the next), for a list in the body's flow.
    """
    left = WD_ALIGN_PARAGRAPH.LEFT
    label = para(container, "Nơi nhận:", font=Font(12, bold=True, italic=True), align=left)
    control(container, "{%p for x in van_ban.noi_nhan %}")
    line = para(container, "{{ x }}", font=Font(11), align=left)
    control(container, "{%p endfor %}")
    if together:
        label.paragraph_format.keep_with_next = line.paragraph_format.keep_with_next = True


def signature_block(doc) -> None:
    """The closing: Nơi nhận (left) beside one signer (right); several signers two to a row, Nơi nhận below.

    Nghị định 30 puts "Nơi nhận:" level with the signer's quyền hạn line; with several signers (a joint
    document) the left column holds a signature block too, so Nơi nhận goes under the blocks, flush left.
    """
    para(doc, "", font=Font(14), before=Pt(6))
    control(doc, "{%p if van_ban.nhieu_nguoi_ky %}")
    several_signers_block(doc)
    control(doc, "{%p else %}")
    table = borderless_table(doc, SIGNATURE_COLUMNS_CM, rows=1)
    recipients, signer = table.rows[0].cells
    noi_nhan_paragraphs(recipients)
    signer_paragraphs(signer, "van_ban.nguoi_ky")
    control(doc, "{%p endif %}")


def several_signers_block(doc) -> None:
    """Signature blocks two to a row (van_ban.hang_ky: the first of a pair on the right), then Nơi nhận."""
    table = borderless_table(doc, SEVERAL_SIGNERS_COLUMNS_CM, rows=3)
    opening, blocks, closing = table.rows
    control(opening.cells[0], "{%tr for hang in van_ban.hang_ky %}")
    control(opening.cells[1], "")  # every cell holds a paragraph, or Word calls the template damaged
    no_split = OxmlElement("w:cantSplit")  # a block is never cut across two pages
    blocks._tr.get_or_add_trPr().append(no_split)
    for cell, side in zip(blocks.cells, ("trai", "phai"), strict=True):
        control(cell, f"{{%p if hang.{side} %}}")
        signer_paragraphs(cell, f"hang.{side}")
        control(cell, "{%p endif %}")
        para(cell, "", font=Font(6))  # a little room under each row of blocks
    control(closing.cells[0], "{%tr endfor %}")
    control(closing.cells[1], "")
    noi_nhan_paragraphs(doc, together=True)


def page_numbers(section) -> None:
    """Page number centred in the top margin, 14 pt, hidden on page 1 (titlePg)."""
    section.different_first_page_header_footer = True
    section.header_distance = Mm(10)
    section.first_page_header.is_linked_to_previous = False
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        run = paragraph.add_run()
        _set_run_font(run, Font(14))
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text


def _times_new_roman_everywhere(doc) -> None:
    """Replace theme fonts (Calibri, Cambria) in docDefaults and every style by Times New Roman.

    A theme attribute (w:asciiTheme) wins over an explicit w:ascii inherited from another
    level, so leaving python-docx's default theme fonts would let Word show Calibri wherever
    a run has no direct font, e.g. in text a clerk types into the finished document.
    """
    styles_root = doc.styles.element
    for r_fonts in styles_root.iter(qn("w:rFonts")):
        for attr in list(r_fonts.attrib):
            if attr.endswith("Theme") or attr.endswith("theme"):
                del r_fonts.attrib[attr]
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            r_fonts.set(qn(attr), FONT)
    defaults = styles_root.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag, value in (("w:sz", "28"), ("w:szCs", "28")):
        r_pr.find(qn(tag)).set(qn("w:val"), value)
    r_pr.find(qn("w:lang")).set(qn("w:val"), "vi-VN")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")


def new_document():
    # docxtpl imports docxcompose, which remaps the prefix the core properties below are written with.
    restore_core_properties_prefix()
    doc = Document()
    _times_new_roman_everywhere(doc)
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    r_fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    normal.element.get_or_add_rPr().append(lang)
    normal.paragraph_format.space_after = Pt(0)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    page_numbers(section)
    # Document() starts with no paragraph; nothing to remove. Fixed metadata keeps builds stable.
    core = doc.core_properties
    core.author = core.last_modified_by = "vanban-engine"
    core.title = ""
    core.revision = 1
    core.created = core.modified = dt.datetime(2024, 1, 1)
    return doc


def build_bao_cao(doc) -> None:
    """A document with a tên loại (báo cáo, tờ trình, kế hoạch …)."""
    header_block(doc)
    para(doc, "{{ van_ban.ten_loai }}", font=Font(14, bold=True), before=Pt(18))
    para(doc, "{{ van_ban.trich_yeu }}", font=Font(14, bold=True))
    rule(doc, TITLE_RULE_CM, TEXT_WIDTH_CM, after=Pt(6))
    kinh_gui_block(doc)
    body_block(doc)
    signature_block(doc)


def build_cong_van(doc) -> None:
    """A công văn: no tên loại; its trích yếu is the "V/v …" line in the header."""
    header_block(doc)
    kinh_gui_block(doc, before=Pt(18))
    body_block(doc)
    signature_block(doc)


def landscape(doc) -> None:
    """Turn the page to A4 landscape (297 × 210 mm), keeping the margins of the main text."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH


def build_phu_luc(doc, *, wide: bool = False) -> None:
    """An appendix page: label, title, "(Kèm theo …)", lead lines, the table, notes.

    The table is one ``{{p phu_luc.bang }}`` paragraph that the engine replaces by a whole
    ``w:tbl`` (engine.render.tables.TableMarkup). Everything is centred except the lead
    lines and notes, which read as text. A last 1 pt paragraph keeps the body from ending
    with the table (Word wants a paragraph after a table) without adding a visible line.
    """
    if wide:
        landscape(doc)
    width = LANDSCAPE_TEXT_WIDTH_CM if wide else TEXT_WIDTH_CM
    left = WD_ALIGN_PARAGRAPH.LEFT
    para(doc, "{{ phu_luc.nhan }}", font=Font(14, bold=True))
    control(doc, "{%p for dong in phu_luc.tieu_de %}")
    para(doc, "{{ dong }}", font=Font(14, bold=True))
    control(doc, "{%p endfor %}")
    control(doc, "{%p if phu_luc.kem_theo %}")
    para(doc, "{{ phu_luc.kem_theo }}", font=Font(14, italic=True))
    control(doc, "{%p endif %}")
    rule(doc, TITLE_RULE_CM, width, after=Pt(6))
    control(doc, "{%p for dong in phu_luc.dau %}")
    para(doc, [("{{ dong.nhan }}", Font(14)), ("{{ dong.gia_tri }}", Font(14, bold=True))], align=left,
         after=Pt(3))
    control(doc, "{%p endfor %}")
    para(doc, "{{p phu_luc.bang }}", font=Font(12))
    control(doc, "{%p for dong in phu_luc.sau %}")
    para(doc, "{{ dong }}", font=Font(13, italic=True), align=left, before=Pt(3))
    control(doc, "{%p endfor %}")
    para(doc, "", font=Font(1), align=left)


def build_phu_luc_ngang(doc) -> None:
    """A phụ lục on an A4 landscape page, for tables too wide for 16.5 cm (bảng chỉ số)."""
    build_phu_luc(doc, wide=True)


TEMPLATES = {
    "bao_cao/bao_cao.docx": build_bao_cao,
    "bao_cao/cong_van.docx": build_cong_van,
    "phu_luc/bang_chi_so.docx": build_phu_luc_ngang,
    "phu_luc/bang_tieu_chi.docx": build_phu_luc,
    "phu_luc/bang_xep_hang.docx": build_phu_luc,
    "phu_luc/bang.docx": build_phu_luc,
    "phu_luc/bang_ngang.docx": build_phu_luc_ngang,  # a declared table with ngang: true
}


def build(target_dir: Path = TEMPLATES_DIR) -> list[Path]:
    written = []
    for name, builder in TEMPLATES.items():
        doc = new_document()
        builder(doc)
        path = target_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        doc.save(path)
        # Deterministic bytes: the same builder gives the same template file.
        path.write_bytes(normalise_package(path.read_bytes()))
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR)
    args = parser.parse_args()
    for path in build(args.out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
