"""Every rendered fixture follows the layout rules of Nghị định 30 (shared/domain/nd30.md)."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm

from engine import render
from tests.acceptance.samples import CASES
from tests.conftest import FIXTURES

_docs: dict[str, object] = {}


def document(case: str):
    if case not in _docs:
        _docs[case] = Document(io.BytesIO(render(FIXTURES / case / "spec.yaml")))
    return _docs[case]


def all_paragraphs(doc):
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def paragraph(doc, pattern: str):
    regex = re.compile(pattern)
    found = [p for p in all_paragraphs(doc) if regex.search(p.text)]
    assert found, f"no paragraph matches {pattern!r}"
    return found[0]


def style_of(p) -> tuple[set[float], set[bool | None], set[bool | None]]:
    runs = [r for r in p.runs if r.text.strip()]
    assert runs, f"paragraph {p.text!r} has no text runs"
    return ({r.font.size.pt for r in runs}, {r.font.bold for r in runs}, {r.font.italic for r in runs})


@pytest.mark.parametrize("case", CASES)
def test_page_is_a4_portrait_with_nd30_margins(case: str) -> None:
    section = document(case).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    mm = {name: round(getattr(section, f"{name}_margin").mm, 1) for name in ("top", "bottom", "left", "right")}
    assert 20 <= mm["top"] <= 25 and 20 <= mm["bottom"] <= 25, mm
    assert 30 <= mm["left"] <= 35 and 15 <= mm["right"] <= 20, mm


@pytest.mark.parametrize("case", CASES)
def test_every_run_is_times_new_roman(case: str) -> None:
    for p in all_paragraphs(document(case)):
        for run in p.runs:
            if run.text.strip():
                fonts = run._r.rPr.rFonts
                assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman", p.text


@pytest.mark.parametrize("case", CASES)
def test_header_elements_have_their_sizes_and_styles(case: str) -> None:
    doc = document(case)
    assert style_of(paragraph(doc, r"^CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM$")) == ({12}, {True}, {False})
    assert style_of(paragraph(doc, r"^Độc lập - Tự do - Hạnh phúc$")) == ({13}, {True}, {False})
    number = paragraph(doc, r"^Số:")
    assert style_of(number)[0] == {13}
    assert re.fullmatch(r"Số: (\d{2,}|\s+)/[A-ZĐ][\w&]*(-[\w&]+)+", number.text), number.text
    date = paragraph(doc, r", ngày .* năm \d{4}$")
    assert style_of(date) == ({13}, {False}, {True})


@pytest.mark.parametrize("case", CASES)
def test_the_date_line_follows_the_leading_zero_rule(case: str) -> None:
    date = paragraph(document(case), r", ngày .* năm \d{4}$").text
    m = re.search(r"ngày\s+(\d*)\s+tháng\s+(\d*)\s+năm (\d{4})$", date)
    assert m, date
    day, month = m[1], m[2]
    if day:
        assert len(day) == 2
    if month:
        assert month in ("01", "02") or (month.isdigit() and 3 <= int(month) <= 12 and not month.startswith("0"))


@pytest.mark.parametrize("case", CASES)
def test_header_table_grid_is_set_and_fits_the_text_width(case: str) -> None:
    table = document(case).tables[0]
    grid = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(grid) == 2 and all(w > 0 for w in grid)
    assert sum(grid) <= Cm(16.5).twips + 1
    assert grid[1] >= Cm(10).twips  # room for Quốc hiệu and the date on one line each


@pytest.mark.parametrize("case", CASES)
def test_noi_nhan_is_12pt_bold_italic_and_its_items_11pt_with_nd30_punctuation(case: str) -> None:
    doc = document(case)
    label = paragraph(doc, r"^Nơi nhận:$")
    assert style_of(label) == ({12}, {True}, {True})
    cell_paragraphs = [p for p in label._parent.paragraphs if p.text.strip()]
    items = cell_paragraphs[cell_paragraphs.index(next(p for p in cell_paragraphs if p.text == "Nơi nhận:")) + 1:]
    assert items
    for item in items[:-1]:
        # An item "- X;", or a group's sub-heading ("Gửi bản điện tử:"): no dash, none of the items' punctuation.
        heading = not item.text.startswith("- ") and item.text.endswith(":")
        assert heading or (item.text.startswith("- ") and item.text.endswith(";")), item.text
        assert style_of(item)[0] == {11}
    assert re.fullmatch(r"- Lưu: VT(, [^,;]+)*\.", items[-1].text), items[-1].text


@pytest.mark.parametrize("case", CASES)
def test_signature_block_has_authority_title_and_name_in_bold(case: str) -> None:
    doc = document(case)
    label = paragraph(doc, r"^Nơi nhận:$")
    signature_table = next(t for t in doc.tables if label._p in t._tbl.iter())  # phụ lục tables come later
    signer_cell = signature_table.rows[0].cells[1]
    lines = [p for p in signer_cell.paragraphs if p.text.strip()]
    assert len(lines) >= 2
    for p in lines:
        assert style_of(p)[1] == {True}
        assert p.alignment == WD_ALIGN_PARAGRAPH.CENTER
    authority = lines[0].text
    assert re.match(r"^((TM|KT|TL|TUQ|Q)\. )?[A-ZĐÀ-Ỹ ]+$", authority), authority
    assert authority == authority.upper()


@pytest.mark.parametrize("case", CASES)
def test_body_paragraphs_are_justified_14pt_with_first_line_indent_and_6pt_spacing(case: str) -> None:
    doc = document(case)
    body = [p for p in doc.paragraphs if p.text.strip() and p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY]
    assert len(body) >= 5
    for p in body:
        fmt = p.paragraph_format
        assert fmt.first_line_indent == Cm(1.27)
        assert fmt.space_before.pt >= 6
        assert 1.0 <= fmt.line_spacing <= 1.5
        assert style_of(p)[0] == {14}


@pytest.mark.parametrize("case", CASES)
def test_page_numbers_are_centred_at_the_top_and_hidden_on_page_one(case: str) -> None:
    section = document(case).sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert header.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" in "".join(t.text for t in header._p.iter(qn("w:instrText")))
    first = section.first_page_header._element
    assert not list(first.iter(qn("w:instrText")))
