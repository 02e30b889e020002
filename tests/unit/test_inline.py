"""Inline formatting: the markup a clerk types becomes Word runs, and nothing else ever does."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from docx import Document

from engine import prepare, render
from engine.inline import BOLD, ITALIC, SUBSCRIPT, SUPERSCRIPT, UNDERLINE, mark_markup, pieces, plain
from engine.render.layout import read_layout
from engine.render.runs import Styled, look_properties, resolve_runs
from engine.spec.loader import load_spec_text
from tests.unit.test_spec_errors import GOOD


def looks(text: str) -> list[tuple[str, int]]:
    return [(p.text, p.look) for p in pieces(mark_markup(text)) if p.note is None]


# ----- the markup ----------------------------------------------------------------------------------


def test_each_pair_of_doubled_characters_gives_its_look() -> None:
    assert looks("a **b** c") == [("a ", 0), ("b", BOLD), (" c", 0)]
    assert looks("//nghiêng//") == [("nghiêng", ITALIC)]
    assert looks("__gạch chân__") == [("gạch chân", UNDERLINE)]
    assert looks("m^^2^^ và CO,,2,,") == [("m", 0), ("2", SUPERSCRIPT), (" và CO", 0), ("2", SUBSCRIPT)]


def test_looks_nest_and_combine() -> None:
    assert looks("**đậm //cả hai//**") == [("đậm ", BOLD), ("cả hai", BOLD | ITALIC)]


@pytest.mark.parametrize("text", [
    "5 * 3 = 15", "*) Ghi chú", "Tổng* và Cộng*", "a ** b", "và/hoặc", "https://dichvucong.gov.vn và https://a.vn",
    "Họ tên: ______ ngày ____", "2^3", "1,5 và 2,5", "***", "x ** y ** z", "**chưa đóng", "mở** giữa",
])
def test_ordinary_text_is_never_formatted_by_accident(text: str) -> None:
    assert mark_markup(text) == text


def test_a_tilde_prints_the_pair_as_typed() -> None:
    assert mark_markup("~**không đậm~**") == "**không đậm**"


def test_markup_around_an_expression_formats_its_value_but_not_inside_it() -> None:
    marked = mark_markup('**{{ "a ** b" }}** và {{ x * 2 }}')
    assert "a ** b" in marked and "x * 2" in marked
    assert [p.look for p in pieces(marked)][0] == BOLD


def test_the_plain_text_drops_every_marker() -> None:
    assert plain(mark_markup("**Kết quả** //tổng hợp//")) == "Kết quả tổng hợp"


# ----- in a document -------------------------------------------------------------------------------

DATA_WITH_STARS = GOOD.replace("trich_yeu: Kết quả thử nghiệm", """trich_yeu: Kết quả **tháng 4**
du_lieu:
  d: {x: "**không đậm**", marker: "\\ue001đậm?", n: 5}""")


def context_of(text: str) -> dict:
    return prepare(load_spec_text(text)).context["van_ban"]


def body_runs(text: str) -> list:
    layout = read_layout(render(load_spec_text(text)))
    return [p for p in layout.paragraphs if p.table is None]


def test_a_body_paragraph_prints_its_bold_italic_and_underlined_runs() -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: \"Chữ **đậm**, //nghiêng// và __gạch__.\"")
    paragraph = next(p for p in body_runs(spec) if p.text.startswith("Chữ"))
    assert paragraph.text == "Chữ đậm, nghiêng và gạch."
    assert [(r.text, r.bold, r.italic, r.underline) for r in paragraph.runs] == [
        ("Chữ ", False, False, False), ("đậm", True, False, False), (", ", False, False, False),
        ("nghiêng", False, True, False), (" và ", False, False, False), ("gạch", False, False, True),
        (".", False, False, False)]
    assert {r.size for r in paragraph.runs} == {14} and {r.font for r in paragraph.runs} == {"Times New Roman"}


def test_superscript_and_subscript_are_raised_and_lowered() -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: \"Diện tích 5 m^^2^^, khí CO,,2,,.\"")
    paragraph = next(p for p in body_runs(spec) if p.text.startswith("Diện tích"))
    assert [(r.text, r.position) for r in paragraph.runs if r.position] == [("2", "superscript"), ("2", "subscript")]


def test_a_star_coming_out_of_data_never_formats() -> None:
    spec = DATA_WITH_STARS.replace("- doan: Nội dung.", "- doan: \"{{ d.x }} {{ d.marker }} **{{ d.n }}**\"")
    paragraph = next(p for p in body_runs(spec) if "không đậm" in p.text)
    assert paragraph.text == "**không đậm** đậm? 5"
    assert [(r.text, r.bold) for r in paragraph.runs] == [("**không đậm** đậm? ", False), ("5", True)]


def test_every_text_of_the_document_takes_markup() -> None:
    spec = GOOD.replace("- doan: Nội dung.", """- muc: "KẾT QUẢ **CHÍNH**"
    doan: "tiếp //theo//"
  - gach: "một **hai**"
  - cong: "ba //bốn//"
kinh_gui: "**Ủy ban** nhân dân huyện"
can_cu: ["Căn cứ **Luật** Tổ chức;"]""").replace("cac_noi: [UBND huyện]", "cac_noi: ['**Gửi bản điện tử:**']")
    van_ban = context_of(spec)
    styled_fields = [van_ban["kinh_gui_mot"], van_ban["can_cu"][0], van_ban["noi_nhan"][0],
                     *(value for b in van_ban["noi_dung"] for value in (b["tieu_de"], b["noi_dung"]) if value)]
    assert all(isinstance(value, Styled) for value in styled_fields), styled_fields
    assert str(van_ban["can_cu"][0]) == "Căn cứ Luật Tổ chức."  # the closing punctuation still applies
    assert str(van_ban["noi_nhan"][0]) == "- Gửi bản điện tử:;"
    texts = {p.text: p for p in read_layout(render(load_spec_text(spec))).paragraphs}
    assert [r.text for r in texts["Căn cứ Luật Tổ chức."].runs if r.bold] == ["Luật"]
    assert [r.text for r in texts["I. KẾT QUẢ CHÍNH tiếp theo"].runs if r.italic] == ["theo"]


def test_text_without_markup_stays_a_plain_string() -> None:
    van_ban = context_of(GOOD)
    assert type(van_ban["trich_yeu"]) is str and type(van_ban["noi_dung"][0]["noi_dung"]) is str


def test_the_title_property_is_the_plain_trich_yeu() -> None:
    package = render(load_spec_text(DATA_WITH_STARS))
    assert Document(io.BytesIO(package)).core_properties.title == "Kết quả tháng 4"


def test_a_styled_field_reused_in_an_expression_keeps_its_looks_and_a_filter_gets_its_text() -> None:
    spec = DATA_WITH_STARS.replace("- doan: Nội dung.", "- doan: \"{{ van_ban.ten_loai }}\"")
    prepared = prepare(load_spec_text(spec))
    from engine.context import Expressions

    expr = Expressions(prepared.loaded, {"van_ban": prepared.context["van_ban"]})
    assert [p.look for p in pieces(expr.text("{{ van_ban.trich_yeu }}", ("x",)))] == [0, BOLD]
    assert expr.text("{{ van_ban.trich_yeu | upper }}", ("x",)) == "KẾT QUẢ THÁNG 4"


def _png(width: int = 4, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff" * (width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_the_docxtpl_path_prints_the_same_runs_as_the_compiled_path(tmp_path) -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: \"Chữ **đậm** và //nghiêng//.\"")
    (tmp_path / "ky.png").write_bytes(_png())
    signed = tmp_path / "spec.yaml"
    signed.write_text(spec.replace("ho_ten: Nguyễn Văn An", "ho_ten: Nguyễn Văn An\n  chu_ky: ky.png"),
                      encoding="utf-8")
    compiled = read_layout(render(load_spec_text(spec)))
    through_docxtpl = read_layout(render(signed))  # a signature image renders through docxtpl
    wanted = [p for p in compiled.paragraphs if p.text.startswith("Chữ")][0]
    obtained = [p for p in through_docxtpl.paragraphs if p.text.startswith("Chữ")][0]
    assert obtained.runs == wanted.runs and len(wanted.runs) == 5


# ----- the render layer ----------------------------------------------------------------------------


def test_a_look_goes_on_top_of_the_template_runs_properties_in_schema_order() -> None:
    base = '<w:rPr><w:rFonts w:ascii="Times New Roman"/><w:i/><w:sz w:val="28"/><w:lang w:val="vi-VN"/></w:rPr>'
    assert look_properties(base, BOLD | UNDERLINE) == (
        '<w:rPr><w:rFonts w:ascii="Times New Roman"/><w:b/><w:bCs/><w:i/><w:sz w:val="28"/>'
        '<w:u w:val="single"/><w:lang w:val="vi-VN"/></w:rPr>')


def test_a_template_run_is_split_where_the_look_changes_and_keeps_its_own_properties() -> None:
    value = Styled(mark_markup("a **b** c")).__html__()
    xml = f'<w:p><w:r w:rsidR="1"><w:rPr><w:sz w:val="26"/></w:rPr><w:t>{value}</w:t></w:r></w:p>'
    assert resolve_runs(xml) == (
        '<w:p><w:r w:rsidR="1"><w:rPr><w:sz w:val="26"/></w:rPr><w:t xml:space="preserve">a </w:t></w:r>'
        '<w:r><w:rPr><w:b/><w:bCs/><w:sz w:val="26"/></w:rPr><w:t xml:space="preserve">b</w:t></w:r>'
        '<w:r><w:rPr><w:sz w:val="26"/></w:rPr><w:t xml:space="preserve"> c</w:t></w:r></w:p>')


def test_markup_printed_outside_a_text_run_leaves_the_text_plain() -> None:
    value = Styled(mark_markup("a **b**")).__html__()
    assert resolve_runs(f"<w:p>{value}</w:p>") == "<w:p>a b</w:p>"


def test_a_template_that_filters_a_styled_value_prints_its_plain_text(tmp_path) -> None:
    from engine.render.environment import docx_environment

    value = Styled(mark_markup("**đậm** <x>"))
    assert docx_environment().from_string("{{ v | upper }}").render(v=value) == "ĐẬM &lt;X&gt;"


def test_a_phu_luc_title_lead_line_note_and_declared_table_cells_take_markup() -> None:
    spec = DATA_WITH_STARS + """phu_luc:
  - mau: bang
    tieu_de: "Kết quả **chính**"
    dau: [{nhan: "Kỳ:", gia_tri: "quý //II//"}]
    sau: ["Ghi chú: __xem thêm__"]
    cot: [{tieu_de: Tên, gia_tri: "**{{ dong }}**", rong: 4}]
    dong: "{{ ['a*b', 'c'] }}"
"""
    layout = read_layout(render(load_spec_text(spec)))
    by_text = {p.text: p for p in layout.paragraphs}
    assert [r.text for r in by_text["KẾT QUẢ CHÍNH"].runs] == ["KẾT QUẢ CHÍNH"]  # a bold title stays bold
    assert [r.text for r in by_text["Kỳ: quý II"].runs if r.italic] == ["II"]
    assert [r.text for r in by_text["Ghi chú: xem thêm"].runs if r.underline] == ["xem thêm"]
    cell = by_text["a*b"]
    assert cell.table is not None and all(r.bold for r in cell.runs)
