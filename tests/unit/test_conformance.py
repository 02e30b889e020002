"""The Nghị định 30 check passes the engine's own documents and catches each kind of violation.

Each violation is made on a rendered fixture with python-docx, the way a clerk would make it
in Word, and the check must name the element, what was expected and what it found.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from engine.cli import main
from engine.conformance import Finding, check_document
from tests.acceptance.samples import CASES, FEATURES


def _paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for cell in table._cells:
            yield from cell.paragraphs


def para(doc, starts: str):
    return next(p for p in _paragraphs(doc) if p.text.strip().startswith(starts))


def edited(rendered: dict[str, bytes], case: str, change: Callable) -> bytes:
    doc = Document(io.BytesIO(rendered[case]))
    change(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def found(findings: list[Finding], element: str) -> list[Finding]:
    return [f for f in findings if f.element == element]


def one(findings: list[Finding], element: str, expected: str, seen: str) -> Finding:
    matches = [f for f in found(findings, element) if expected in f.expected and seen in f.found]
    assert matches, f"no finding {element!r} / {expected!r} / {seen!r} in:\n" + "\n".join(map(str, findings))
    return matches[0]


def set_text(paragraph, text: str) -> None:
    runs = [r for r in paragraph.runs if r.text]
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


@pytest.mark.parametrize("case", [*CASES, *FEATURES])
def test_every_fixture_output_conforms(case: str, rendered_fixtures: dict[str, bytes]) -> None:
    assert check_document(rendered_fixtures[case]) == []


def test_a_quoc_hieu_in_arial_16_is_caught_for_its_font_and_its_size(rendered_fixtures: dict[str, bytes]) -> None:
    def arial_16(doc) -> None:
        run = para(doc, "CỘNG HÒA").runs[0]
        run.font.name = "Arial"
        run.font.size = Pt(16)

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", arial_16))
    font = one(findings, "Phông chữ", "Times New Roman", "Arial")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in font.places[0]
    assert one(findings, "Quốc hiệu", "cỡ chữ 12–13", "cỡ 16")
    assert len(findings) == 2


def test_check_prints_json_and_exits_non_zero_only_when_there_are_findings(
        rendered_fixtures: dict[str, bytes], tmp_path) -> None:
    good = tmp_path / "dung.docx"
    good.write_bytes(rendered_fixtures["son_la_2023_q1"])
    run = CliRunner().invoke(main, ["check", str(good), "--json"])
    assert run.exit_code == 0 and json.loads(run.output)["findings"] == []

    bad = tmp_path / "sai.docx"
    bad.write_bytes(edited(rendered_fixtures, "son_la_2023_q1",
                           lambda doc: setattr(para(doc, "CỘNG HÒA").runs[0].font, "name", "Arial")))
    run = CliRunner().invoke(main, ["check", str(bad), "--json"])
    assert run.exit_code == 1
    items = json.loads(run.output)["findings"]
    assert items[0]["element"] == "Phông chữ" and items[0]["found"] == "Arial"
    assert set(items[0]) == {"element", "expected", "found", "places", "message"}
    text = CliRunner().invoke(main, ["check", str(bad)])
    assert text.exit_code == 1 and "Phông chữ: cần Times New Roman; văn bản có Arial" in text.output


def test_a_wrong_paper_size_and_margins_are_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def letter(doc) -> None:
        doc.sections[0].page_width, doc.sections[0].page_height = Mm(216), Mm(279)
        doc.sections[0].left_margin = Mm(25)
        doc.sections[0].top_margin = Mm(30)

    findings = check_document(edited(rendered_fixtures, "luc_binh_2023_10", letter))
    one(findings, "Khổ giấy", "A4", "216 × 279")
    one(findings, "Lề trái", "30–35 mm", "25 mm")
    one(findings, "Lề trên", "20–25 mm", "30 mm")


def test_a_landscape_main_page_without_a_table_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def turn(doc) -> None:
        section = doc.sections[0]
        section.orientation = 1
        section.page_width, section.page_height = Mm(297), Mm(210)

    one(check_document(edited(rendered_fixtures, "luc_binh_2023_10", turn)), "Hướng trang", "trang dọc", "ngang")


def test_a_tieu_ngu_with_en_dashes_not_bold_and_without_its_rule_is_caught(
        rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        motto = para(doc, "Độc lập")
        set_text(motto, "Độc lập – Tự do – Hạnh phúc")
        motto.runs[0].font.bold = False
        for p in motto._parent.paragraphs:  # the rule is the top border of an empty paragraph
            borders = p._p.pPr.find(qn("w:pBdr"))
            if borders is not None:
                p._p.pPr.remove(borders)

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", spoil))
    one(findings, "Tiêu ngữ", "gạch nối có cách hai bên", "Độc lập – Tự do – Hạnh phúc")
    one(findings, "Tiêu ngữ", "chữ đậm", "chữ không đậm")
    one(findings, "Đường kẻ dưới Tiêu ngữ", "đường kẻ liền", "không có")


def test_agency_names_are_checked_for_bold_and_upper_case(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        issuer = para(doc, "ỦY BAN NHÂN DÂN")
        issuer.runs[0].font.bold = False
        set_text(issuer, "Ủy ban nhân dân huyện Tủa Chùa")

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", spoil))
    one(findings, "Tên cơ quan ban hành", "chữ đậm", "không đậm")
    one(findings, "Tên cơ quan ban hành", "chữ in hoa", "chữ thường")


@pytest.mark.parametrize(("text", "expected", "seen"), [
    ("Số: 5/BC-UBND", "số 0 ở trước", '"5"'),
    ("SỐ: 05/BC-UBND", '"Số" viết thường', "SỐ: 05"),
    ("Số: 05/bc-ubnd", "ký hiệu viết hoa", "bc-ubnd"),
    ("Số: 05/BC - UBND", "không có dấu cách", "BC - UBND"),
])
def test_the_number_line_rules_are_checked(rendered_fixtures: dict[str, bytes], text: str, expected: str,
                                           seen: str) -> None:
    findings = check_document(edited(rendered_fixtures, "dien_bien_2021_q2",
                                     lambda doc: set_text(para(doc, "Số:"), text)))
    one(findings, "Số, ký hiệu", expected, seen)


@pytest.mark.parametrize(("text", "expected", "seen"), [
    ("Điện Biên, ngày 5 tháng 6 năm 2021", "hai chữ số", "ngày 5"),
    ("Điện Biên, ngày 05 tháng 1 năm 2021", '"01", "02"', "tháng 1"),
    ("Điện Biên, ngày 05 tháng 06 năm 2021", "không có số 0", "tháng 06"),
    ("điện Biên, ngày 22 tháng 6 năm 2021", "địa danh viết hoa", "điện Biên"),
])
def test_the_date_line_and_its_leading_zero_rule_are_checked(rendered_fixtures: dict[str, bytes], text: str,
                                                            expected: str, seen: str) -> None:
    findings = check_document(edited(rendered_fixtures, "dien_bien_2021_q2",
                                     lambda doc: set_text(para(doc, "Điện Biên, ngày"), text)))
    one(findings, "Địa danh, ngày tháng", expected, seen)


def test_an_upright_date_line_on_another_row_than_the_number_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        date = para(doc, "Điện Biên, ngày")
        date.runs[0].font.italic = False
        header = doc.tables[0]
        header.rows[0].cells[1]._tc.append(date._p)  # moved up beside the agency name

    findings = check_document(edited(rendered_fixtures, "dien_bien_2021_q2", spoil))
    one(findings, "Địa danh, ngày tháng", "chữ nghiêng", "chữ đứng")
    one(findings, "Địa danh, ngày tháng", "cùng một dòng với số", "ở dòng khác")


def test_the_title_and_trich_yeu_are_checked(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        title = para(doc, "BÁO CÁO")
        title.runs[0].font.bold = False
        summary = next(p for p in doc.paragraphs if p.text.startswith("Kết quả đánh giá chất lượng"))
        set_text(summary, summary.text.upper())
        summary.runs[0].font.size = Pt(12)

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", spoil))
    one(findings, "Tên loại văn bản", "chữ đậm", "không đậm")
    one(findings, "Trích yếu nội dung", "chữ thường", "chữ in hoa")
    one(findings, "Trích yếu nội dung", "cỡ chữ 13–14", "cỡ 12")


def test_a_cong_van_without_its_vv_line_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def drop_vv(doc) -> None:
        vv = para(doc, "V/v")
        vv._p.getparent().remove(vv._p)

    one(check_document(edited(rendered_fixtures, "tien_lu_2024_08", drop_vv)),
        "Trích yếu công văn (V/v)", "V/v", "không có")


def test_kinh_gui_recipients_need_dashes_and_nd30_punctuation(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        set_text(para(doc, "- UBND các xã"), "- UBND các xã, thị trấn")
        set_text(para(doc, "Kính gửi"), "Kính gửi")

    findings = check_document(edited(rendered_fixtures, "tien_lu_2024_08", spoil))
    one(findings, "Kính gửi", 'kết thúc "."', "UBND các xã, thị trấn")
    one(findings, "Kính gửi", "dấu hai chấm", '"Kính gửi"')


def test_noi_nhan_size_style_items_and_luu_line_are_checked(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        label = para(doc, "Nơi nhận")
        label.runs[0].font.italic = False
        label.runs[0].font.size = Pt(14)
        item = para(doc, "- Văn phòng Chính phủ")
        set_text(item, "- Văn phòng Chính phủ")
        item.runs[0].font.size = Pt(12)
        set_text(para(doc, "- Lưu"), "- Lưu VT, KSTT")

    findings = check_document(edited(rendered_fixtures, "son_la_2023_q1", spoil))
    one(findings, "Nơi nhận", "chữ nghiêng", "chữ đứng")
    one(findings, "Nơi nhận", "cỡ chữ 12", "cỡ 14")
    one(findings, "Nơi nhận (các nơi)", 'kết thúc ";"', "- Văn phòng Chính phủ")
    one(findings, "Nơi nhận (các nơi)", "cỡ chữ 11", "cỡ 12")
    one(findings, "Nơi nhận (các nơi)", "- Lưu: VT", "- Lưu VT, KSTT")


@pytest.mark.parametrize(("line", "text", "element", "expected"), [
    ("TM.", "T.M. ỦY BAN NHÂN DÂN", "Quyền hạn, chức vụ người ký", '"TM."'),
    ("CHỦ TỊCH", "Chủ tịch", "Quyền hạn, chức vụ người ký", "chữ in hoa"),
    ("Lường Tuấn Anh", "TS. Lường Tuấn Anh", "Họ tên người ký", "học hàm, học vị"),
    ("Lường Tuấn Anh", "LƯỜNG TUẤN ANH", "Họ tên người ký", "viết hoa chữ đầu"),
])
def test_the_signer_block_is_checked(rendered_fixtures: dict[str, bytes], line: str, text: str, element: str,
                                     expected: str) -> None:
    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04",
                                     lambda doc: set_text(para(doc, line), text)))
    one(findings, element, expected, text)


def test_a_signer_name_not_in_bold_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04",
                                     lambda doc: setattr(para(doc, "Lường Tuấn Anh").runs[0].font, "bold", False)))
    one(findings, "Họ tên người ký", "chữ đậm", "không đậm")


def test_body_paragraph_alignment_size_indent_spacing_and_line_spacing_are_checked(
        rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        body = para(doc, "Thực hiện Quyết định số 459")
        body.alignment = WD_ALIGN_PARAGRAPH.LEFT
        body.runs[0].font.size = Pt(12)
        fmt = body.paragraph_format
        fmt.first_line_indent = Cm(0.5)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = 2.0

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", spoil))
    element = "Đoạn văn nội dung"
    for expected, seen in (("căn đều", "căn trái"), ("cỡ chữ 13–14", "cỡ 12"), ("thụt đầu dòng", "0,5 cm"),
                           ("ít nhất 6 pt", "0 pt"), ("1,5 dòng", "2 dòng")):
        finding = one(findings, element, expected, seen)
        assert len(finding.places) == 1 and finding.places[0].startswith('¶11 thân "Thực hiện Quyết định số 459')


def test_body_findings_repeated_in_many_paragraphs_are_reported_once_with_every_place(
        rendered_fixtures: dict[str, bytes]) -> None:
    def left(doc) -> None:
        for p in doc.paragraphs:
            if p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY:
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", left))
    assert len(findings) == 1 and len(findings[0].places) > 10
    assert "và" in str(findings[0]) and "chỗ nữa" in str(findings[0])


def test_a_page_number_on_page_one_or_in_the_footer_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        section = doc.sections[0]
        section.different_first_page_header_footer = False
        footer = section.footer
        footer.is_linked_to_previous = False
        for run in section.header.paragraphs[0]._p.iter(qn("w:r")):  # the PAGE field, copied down
            footer.paragraphs[0]._p.append(copy.deepcopy(run))

    findings = check_document(edited(rendered_fixtures, "luc_binh_2023_10", spoil))
    one(findings, "Số trang", "không hiện số trang ở trang 1", "trang 1 có số trang")
    one(findings, "Số trang", "lề trên", "chân trang")


def test_a_missing_page_number_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def drop(doc) -> None:
        header = doc.sections[0].header.paragraphs[0]
        for instr in list(header._p.iter(qn("w:instrText"))):
            instr.getparent().remove(instr)

    one(check_document(edited(rendered_fixtures, "luc_binh_2023_10", drop)), "Số trang", "giữa lề trên", "không có")


def test_phu_luc_headings_are_checked(rendered_fixtures: dict[str, bytes]) -> None:
    def spoil(doc) -> None:
        label = next(p for p in doc.paragraphs if p.text == "Phụ lục")
        set_text(label, "PHỤ LỤC 1")
        label.runs[0].font.bold = False
        for section in doc.sections[1:]:
            numbering = section._sectPr.find(qn("w:pgNumType"))
            section._sectPr.remove(numbering)

    findings = check_document(edited(rendered_fixtures, "tua_chua_2023_04", spoil))
    one(findings, "Phụ lục", "viết thường", "PHỤ LỤC 1")
    one(findings, "Phụ lục", "La Mã", "PHỤ LỤC 1")
    one(findings, "Phụ lục", "chữ đậm", "không đậm")
    one(findings, "Phụ lục", "đánh số trang riêng", "đánh số chung")


def test_several_phu_luc_need_roman_numerals_in_order() -> None:
    import yaml

    from engine import render
    from tests.conftest import FIXTURES

    folder = FIXTURES / "tua_chua_2023_04"
    spec = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    spec["phu_luc"] = spec["phu_luc"] * 2
    two = render(spec, base_dir=folder)
    assert check_document(two) == []  # the engine numbers them I and II

    def renumber(doc) -> None:
        labels = [p for p in doc.paragraphs if p.text.startswith("Phụ lục")]
        assert [p.text for p in labels] == ["Phụ lục I", "Phụ lục II"]
        set_text(labels[1], "Phụ lục 2")

    one(check_document(edited({"hai": two}, "hai", renumber)), "Phụ lục", "Phụ lục II", "Phụ lục 2")


def test_a_conforming_document_typed_in_word_with_styles_passes() -> None:
    """Formatting in styles (not on the runs), header table without set widths: read like Word would."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:hAnsi"), "Times New Roman")
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True
    page = section.header.paragraphs[0]
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page._p.append(page._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"}))

    def line(container, text: str, size: float, *, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
        p = container.add_paragraph()
        p.alignment = align
        run = p.add_run(text)
        run.font.size, run.font.bold, run.font.italic = Pt(size), bold, italic
        return p

    def ruled(p) -> None:
        border = p._p.get_or_add_pPr().makeelement(qn("w:pBdr"), {})
        border.append(border.makeelement(qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "6"}))
        p._p.pPr.insert(0, border)

    head = doc.add_table(rows=2, cols=2)
    ruled(line(head.cell(0, 0), "ỦY BAN NHÂN DÂN XÃ A", 12, bold=True))
    line(head.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    ruled(line(head.cell(0, 1), "Độc lập - Tự do - Hạnh phúc", 13, bold=True))
    line(head.cell(1, 0), "Số: 07/UBND-VP", 13)
    line(head.cell(1, 0), "V/v báo cáo kết quả", 12)
    line(head.cell(1, 1), "Xã A, ngày 05 tháng 02 năm 2026", 13, italic=True)
    line(doc, "Kính gửi: Ủy ban nhân dân tỉnh B", 14)
    body = doc.add_paragraph("Ủy ban nhân dân xã A báo cáo như sau.")
    body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    body.paragraph_format.first_line_indent = Cm(1)
    body.paragraph_format.space_before = Pt(6)
    foot = doc.add_table(rows=1, cols=2)
    line(foot.cell(0, 0), "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    line(foot.cell(0, 0), "- Như trên;", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    line(foot.cell(0, 0), "- Lưu: VT, VP.", 11, align=WD_ALIGN_PARAGRAPH.LEFT)
    line(foot.cell(0, 1), "TM. ỦY BAN NHÂN DÂN", 14, bold=True)
    line(foot.cell(0, 1), "CHỦ TỊCH", 14, bold=True)
    line(foot.cell(0, 1), "Nguyễn Văn B", 14, bold=True)
    out = io.BytesIO()
    doc.save(out)
    assert check_document(out.getvalue()) == []
