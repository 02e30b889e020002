"""The Nghị định 30 check reads Nơi nhận with its sub-headings and a closing with several signature blocks.

The joint document of fixtures/lien_tich_2026_03 (three signers two to a row, Nơi nhận below them with
"Gửi bản điện tử:" and "Gửi bản giấy:") conforms; each test breaks one rule in it the way a clerk would in
Word and the check must name it.
"""

from __future__ import annotations

import io

from docx import Document

from engine.conformance import check_document
from tests.unit.test_conformance import edited, found, one, para, set_text

CASE = "lien_tich_2026_03"


def _delete(paragraph) -> None:
    paragraph._p.getparent().remove(paragraph._p)


def test_the_joint_document_with_three_signers_and_sub_headings_conforms(rendered_fixtures: dict[str, bytes]) -> None:
    assert check_document(rendered_fixtures[CASE]) == []


def test_a_sub_heading_given_the_items_dash_and_semicolon_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    package = edited(rendered_fixtures, CASE, lambda doc: set_text(para(doc, "Gửi bản điện tử:"),
                                                                   "- Gửi bản điện tử:;"))
    finding = one(check_document(package), "Nơi nhận (dòng tiêu đề nhóm)", "không có gạch đầu dòng",
                  '"- Gửi bản điện tử:;"')
    assert "Gửi bản điện tử" in finding.places[0]
    assert found(check_document(package), "Nơi nhận (các nơi)") == []  # read as a sub-heading, not an item


def test_a_sub_heading_with_nothing_under_it_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    package = edited(rendered_fixtures, CASE, lambda doc: _delete(para(doc, "- Các thôn")))
    one(check_document(package), "Nơi nhận (dòng tiêu đề nhóm)", "ít nhất một nơi nhận", '"Gửi bản giấy:"')


def test_a_missing_storage_line_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    def change(doc) -> None:
        _delete(para(doc, "- Lưu:"))
        set_text(para(doc, "- Các thôn"), "- Các thôn (14 bản).")

    one(check_document(edited(rendered_fixtures, CASE, change)), "Nơi nhận (các nơi)", 'dòng cuối "- Lưu: VT',
        '"- Các thôn (14 bản)."')


def test_a_storage_line_in_the_middle_of_the_list_is_caught(rendered_fixtures: dict[str, bytes]) -> None:
    package = edited(rendered_fixtures, CASE, lambda doc: set_text(para(doc, "- Thường trực"), "- Lưu: VT, VP;"))
    one(check_document(package), "Nơi nhận (các nơi)", "là dòng cuối cùng", "ở giữa danh sách")


def test_each_signature_block_is_checked_on_its_own(rendered_fixtures: dict[str, bytes]) -> None:
    def change(doc) -> None:
        para(doc, "Hoàng Thị Lan").runs[0].font.bold = False
        set_text(para(doc, "TM. BAN THƯỜNG TRỰC"), "TM. Ban Thường trực")

    findings = check_document(edited(rendered_fixtures, CASE, change))
    one(findings, "Họ tên người ký", "chữ đậm", "chữ không đậm")
    one(findings, "Quyền hạn, chức vụ người ký", "chữ in hoa", "TM. Ban Thường trực")
    assert len(found(findings, "Họ tên người ký")) == 1  # the other two blocks are right


def test_one_signer_above_noi_nhan_is_caught_noi_nhan_goes_beside_it(rendered_fixtures: dict[str, bytes]) -> None:
    def change(doc) -> None:
        blocks = doc.tables[1]
        for row in list(blocks.rows)[1:]:
            row._tr.getparent().remove(row._tr)  # keep only the first row ...
        cell = blocks.rows[0].cells[0]
        for paragraph in list(cell.paragraphs)[1:]:  # ... and only the right block
            _delete(paragraph)
        set_text(cell.paragraphs[0], " ")

    findings = check_document(edited(rendered_fixtures, CASE, change))
    one(findings, "Quyền hạn, chức vụ người ký", "ngang hàng", "Nơi nhận:\" ở dưới")


def test_a_joint_header_typed_as_one_bold_paragraph_per_body_conforms(rendered_fixtures: dict[str, bytes]) -> None:
    def change(doc) -> None:
        issuer = para(doc, "ỦY BAN NHÂN DÂN")
        first, *others = issuer.text.split("\u00a0-\n")
        set_text(issuer, first.replace("\n", " ") + " -")
        anchor = issuer
        for name in others:
            copy = anchor._p.__copy__()
            anchor._p.addnext(copy)
            anchor = next(p for p in anchor._parent.paragraphs if p._p is copy)
            set_text(anchor, name.replace("\n", " "))

    package = edited(rendered_fixtures, CASE, change)
    texts = [p.text for p in Document(io.BytesIO(package)).tables[0].rows[0].cells[0].paragraphs if p.text]
    assert len(texts) == 3
    assert found(check_document(package), "Tên cơ quan ban hành") == []
    assert found(check_document(package), "Tên cơ quan chủ quản") == []


def test_sub_headings_beside_one_signer_conform_and_a_punctuated_one_is_caught() -> None:
    from engine import render
    from engine.spec.loader import load_spec_text
    from tests.unit.test_signers import GOOD

    text = GOOD.replace("  cac_noi: [UBND huyện]\n", "  cac_noi:\n    - Như trên\n    - Gửi bản điện tử:\n"
                        "        - Văn phòng UBND huyện\n")
    package = render(load_spec_text(text))
    doc = Document(io.BytesIO(package))
    assert [p.text for p in doc.tables[-1].rows[0].cells[0].paragraphs] == [
        "Nơi nhận:", "- Như trên;", "Gửi bản điện tử:", "- Văn phòng UBND huyện;", "- Lưu: VT, VP."]
    assert check_document(package) == []
    heading = doc.tables[-1].rows[0].cells[0].paragraphs[2]
    set_text(heading, "- Gửi bản điện tử:;")
    out = io.BytesIO()
    doc.save(out)
    one(check_document(out.getvalue()), "Nơi nhận (dòng tiêu đề nhóm)", "không có gạch đầu dòng",
        '"- Gửi bản điện tử:;"')


def test_a_noi_nhan_right_under_the_header_does_not_take_the_header_for_signature_blocks() -> None:
    from engine.conformance import check_layout
    from engine.render.layout import read_layout
    from tests.recover.test_closing import _paragraph

    doc = Document()
    header = doc.add_table(rows=1, cols=2)
    _paragraph(header.cell(0, 0), "ỦY BAN NHÂN DÂN", bold=True, size=12)
    _paragraph(header.cell(0, 0), "XÃ HÒA AN", bold=True, size=12)
    _paragraph(header.cell(0, 1), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=12)
    _paragraph(header.cell(0, 1), "Độc lập - Tự do - Hạnh phúc", bold=True, size=13)
    _paragraph(doc, "Nơi nhận:", bold=True, italic=True, size=12)
    _paragraph(doc, "- Lưu: VT, VP.", size=11)
    out = io.BytesIO()
    doc.save(out)
    findings = check_layout(read_layout(out.getvalue()))
    assert found(findings, "Quyền hạn, chức vụ người ký") == found(findings, "Họ tên người ký") == []
    one(findings, "Chữ ký", "khối chữ ký", "không có")
