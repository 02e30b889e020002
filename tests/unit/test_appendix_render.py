"""Appendices (phụ lục): tables written as WordprocessingML, their templates, and joining them to the main text."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from engine.kinds import TEMPLATES_DIR
from engine.render.build_templates import TEMPLATES, Font, build, new_document, para
from engine.render.compose import join_documents
from engine.render.docx import load_template
from engine.render.inspect import template_tags
from engine.render.outline import document_lines, document_text, table_rows
from engine.render.tables import Cell, Row, Table, TableMarkup, table_xml
from tests.acceptance.test_ooxml_order import SEQUENCES, out_of_order

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
PHU_LUC = sorted((TEMPLATES_DIR / "phu_luc").glob("*.docx"))
TC_PR = ("cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign hideMark "
         "headers cellIns cellDel cellMerge tcPrChange").split()

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
PDFINFO = shutil.which("pdfinfo")


def two_level_header_table(body_rows: int = 2) -> Table:
    """TT | Đơn vị | Chỉ số (over three sub-headers) | Tổng: the classic two-level appendix header."""
    header = (
        Row((Cell("TT", rows=2, bold=True), Cell("Đơn vị", rows=2, bold=True),
             Cell("Chỉ số thành phần", span=3, bold=True), Cell("Tổng", rows=2, bold=True)), header=True),
        Row((Cell("Công khai", bold=True), Cell("Tiến độ", bold=True), Cell("Số hóa", bold=True)), header=True),
    )
    body = tuple(
        Row((Cell(str(i)), Cell(f"Xã {i}", align="trai"), Cell("9,5"), Cell("8"), Cell("7"), Cell("24,5", bold=True)))
        for i in range(1, body_rows + 1)
    )
    return Table((1.0, 5.0, 2.5, 2.5, 2.5, 3.0), header + body, font_size=12, header_font_size=13)


def parse(xml: str) -> etree._Element:
    """The table element, parsed as it would be inside document.xml (which declares w:)."""
    return etree.fromstring(f'<w:body xmlns:w="{W_NS}">{xml}</w:body>')[0]


def context(table: Table, *, sau: list[str] | None = None) -> dict:
    return {"van_ban": {}, "phu_luc": {
        "nhan": "Phụ lục I",
        "tieu_de": ["KẾT QUẢ ĐÁNH GIÁ CHỈ SỐ", "QUÝ II NĂM 2021"],
        "kem_theo": "(Kèm theo Báo cáo số 12/BC-UBND ngày 05/01/2024 của UBND xã A)",
        "dau": [{"nhan": "Kỳ đánh giá: ", "gia_tri": "Quý II"}],
        "bang": TableMarkup(table),
        "sau": sau or [],
    }}


def render_appendix(name: str, table: Table, **kwargs) -> bytes:
    return load_template(TEMPLATES_DIR / "phu_luc" / name).render(context(table, **kwargs))


def main_document() -> bytes:
    """A small portrait main document with the templates' page setup and page-number header."""
    doc = new_document()
    para(doc, "BÁO CÁO", font=Font(14, bold=True))
    for i in range(1, 4):
        para(doc, f"Đoạn {i} của văn bản chính.")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def body_sections(package: bytes) -> list[etree._Element]:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return list(root.iter(W + "sectPr"))


# ----- the table writer ----------------------------------------------------------------


def test_a_two_level_header_gets_grid_spans_and_vertical_merges_at_the_right_columns() -> None:
    tbl = parse(table_xml(two_level_header_table()))
    first, second = tbl.findall(W + "tr")[:2]
    spans = [tc.find(f"{W}tcPr/{W}gridSpan") for tc in first.findall(W + "tc")]
    assert [s.get(W + "val") if s is not None else None for s in spans] == [None, None, "3", None]
    merges = [tc.find(f"{W}tcPr/{W}vMerge") for tc in first.findall(W + "tc")]
    assert [m.get(W + "val") if m is not None else None for m in merges] == ["restart", "restart", None, "restart"]
    # The second row: continuation cells for TT and Đơn vị, the three sub-headers, continuation for Tổng.
    below = [tc.find(f"{W}tcPr/{W}vMerge") for tc in second.findall(W + "tc")]
    assert [m.get(W + "val") if m is not None else None for m in below] == ["continue", "continue", None, None, None,
                                                                            "continue"]


def test_grid_and_cell_widths_are_both_set_and_agree() -> None:
    tbl = parse(table_xml(two_level_header_table()))
    grid = [int(col.get(W + "w")) for col in tbl.iter(W + "gridCol")]
    assert grid == [567, 2835, 1417, 1417, 1417, 1701]
    spanned = tbl.find(f"{W}tr/{W}tc[3]/{W}tcPr/{W}tcW")
    assert (spanned.get(W + "w"), spanned.get(W + "type")) == (str(sum(grid[2:5])), "dxa")
    assert tbl.find(f"{W}tblPr/{W}tblW").get(W + "w") == str(sum(grid))
    assert tbl.find(f"{W}tblPr/{W}tblLayout").get(W + "type") == "fixed"
    assert tbl.find(f"{W}tblPr/{W}jc").get(W + "val") == "center"


def test_every_edge_has_a_single_black_border() -> None:
    borders = parse(table_xml(two_level_header_table())).find(f"{W}tblPr/{W}tblBorders")
    assert [b.tag.removeprefix(W) for b in borders] == ["top", "left", "bottom", "right", "insideH", "insideV"]
    assert {(b.get(W + "val"), b.get(W + "color")) for b in borders} == {("single", "000000")}


def test_header_rows_repeat_on_each_page_and_no_row_splits_across_pages() -> None:
    rows = parse(table_xml(two_level_header_table())).findall(W + "tr")
    assert [r.find(f"{W}trPr/{W}tblHeader") is not None for r in rows] == [True, True, False, False]
    assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)


def test_runs_are_times_new_roman_at_the_header_or_body_size_with_the_cells_emphasis() -> None:
    rows = parse(table_xml(two_level_header_table())).findall(W + "tr")
    header_run = rows[0].find(f".//{W}r/{W}rPr")
    body_cells = rows[2].findall(W + "tc")
    assert header_run.find(W + "sz").get(W + "val") == "26" and header_run.find(W + "b") is not None
    plain = body_cells[0].find(f".//{W}r/{W}rPr")
    assert plain.find(W + "sz").get(W + "val") == "24" and plain.find(W + "b") is None
    assert body_cells[5].find(f".//{W}r/{W}rPr/{W}b") is not None
    fonts = plain.find(W + "rFonts")
    assert {fonts.get(W + a) for a in ("ascii", "hAnsi", "eastAsia", "cs")} == {"Times New Roman"}
    assert body_cells[1].find(f".//{W}pPr/{W}jc").get(W + "val") == "left"
    assert body_cells[0].find(f".//{W}pPr/{W}jc").get(W + "val") == "center"
    assert all(tc.find(f"{W}tcPr/{W}vAlign").get(W + "val") == "center" for tc in body_cells)


def test_property_elements_of_the_table_follow_the_schema_order() -> None:
    tbl = parse(table_xml(two_level_header_table()))
    assert out_of_order(tbl) == []
    assert set(SEQUENCES) >= {"tblPr", "pPr", "rPr"}
    rank = {tag: i for i, tag in enumerate(TC_PR)}
    for tc_pr in tbl.iter(W + "tcPr"):
        ranks = [rank[child.tag.removeprefix(W)] for child in tc_pr]
        assert ranks == sorted(ranks)


def test_special_characters_are_escaped_and_line_breaks_become_paragraphs() -> None:
    text = 'A & B <Trung tâm> "một cửa"\nDòng hai'
    table = Table((4.0,), (Row((Cell(text),)),))
    xml = table_xml(table)
    assert "A &amp; B &lt;Trung tâm&gt; &quot;một cửa&quot;" in xml
    paragraphs = parse(xml).findall(f"{W}tr/{W}tc/{W}p")
    assert ["".join(t.text for t in p.iter(W + "t")) for p in paragraphs] == ['A & B <Trung tâm> "một cửa"', "Dòng hai"]


def test_text_is_written_in_nfc_whatever_form_it_arrives_in() -> None:
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt")
    xml = table_xml(Table((4.0,), (Row((Cell(decomposed),)),)))
    assert unicodedata.normalize("NFC", "Tiếng Việt") in xml and decomposed not in xml


@pytest.mark.parametrize(("rows", "message"), [
    ((Row((Cell("a"), Cell("b"))),), "chỉ phủ 2 trong 3 cột"),
    ((Row((Cell("a"), Cell("b"), Cell("c", span=2))),), "phủ 4 cột, bảng chỉ có 3 cột"),
    ((Row((Cell("a", rows=2), Cell("b"), Cell("c"))), Row((Cell("x"), Cell("y"), Cell("z")))), "thừa 1 ô"),
    ((Row((Cell("a"), Cell("b"), Cell("c", rows=3))), Row((Cell("x"), Cell("y")))), "kéo quá hàng cuối"),
    ((Row((Cell("a"), Cell("b", rows=2), Cell("c"))), Row((Cell("x", span=2), Cell("z")))), "đè lên một ô gộp"),
    ((Row((Cell("a"), Cell("b"), Cell("c"))), Row((Cell("x"), Cell("y"), Cell("z")), header=True)), "hàng tiêu đề"),
    ((), "không có hàng nào"),
])
def test_a_model_that_does_not_fill_the_grid_is_a_value_error_naming_the_row(rows, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        table_xml(Table((1.0, 2.0, 3.0), rows))


def test_a_table_markup_is_checked_when_made_and_inserts_its_xml_unescaped() -> None:
    with pytest.raises(ValueError, match="hàng 1"):
        TableMarkup(Table((1.0, 2.0), (Row((Cell("a"),)),)))
    markup = TableMarkup(two_level_header_table())
    assert markup.__html__() == str(markup) == table_xml(two_level_header_table())


# ----- the templates ---------------------------------------------------------------------


def test_the_phu_luc_templates_exist_one_per_table_kind_and_a_landscape_declared_table() -> None:
    assert [p.name for p in PHU_LUC] == ["bang.docx", "bang_chi_so.docx", "bang_ngang.docx", "bang_tieu_chi.docx",
                                         "bang_xep_hang.docx"]


@pytest.mark.parametrize("path", PHU_LUC, ids=lambda p: p.name)
def test_every_tag_in_a_phu_luc_template_is_whole_in_one_run(path: Path) -> None:
    tags = template_tags(path.read_bytes())
    assert "{{p phu_luc.bang }}" in [t.tag for t in tags]
    assert [t.tag for t in tags if t.split_across_runs] == []


def test_the_committed_phu_luc_templates_are_what_the_builder_makes(tmp_path: Path) -> None:
    build(tmp_path)
    for name in (n for n in TEMPLATES if n.startswith("phu_luc/")):
        assert (tmp_path / name).read_bytes() == (TEMPLATES_DIR / name).read_bytes(), f"regenerate {name}"


@pytest.mark.parametrize(("name", "size", "orient"), [
    ("bang_chi_so.docx", ("16838", "11906"), "landscape"),
    ("bang_tieu_chi.docx", ("11906", "16838"), None),
    ("bang_xep_hang.docx", ("11906", "16838"), None),
    ("bang.docx", ("11906", "16838"), None),
])
def test_bang_chi_so_is_a4_landscape_and_the_others_a4_portrait(name: str, size: tuple, orient: str | None) -> None:
    [section] = body_sections((TEMPLATES_DIR / "phu_luc" / name).read_bytes())
    page, margins = section.find(W + "pgSz"), section.find(W + "pgMar")
    assert (page.get(W + "w"), page.get(W + "h"), page.get(W + "orient")) == (*size, orient)
    # 20 mm top and bottom, 30 mm left, 15 mm right, as in the main text.
    assert [margins.get(W + k) for k in ("top", "bottom", "left", "right")] == ["1134", "1134", "1701", "850"]
    assert section.find(W + "titlePg") is not None


def test_rendering_a_phu_luc_template_puts_the_table_under_the_title() -> None:
    package = render_appendix("bang.docx", two_level_header_table(), sau=["Ghi chú: A & B."])
    lines = [line for line in document_lines(package) if line.strip()]
    assert lines[:5] == ["Phụ lục I", "KẾT QUẢ ĐÁNH GIÁ CHỈ SỐ", "QUÝ II NĂM 2021",
                         "(Kèm theo Báo cáo số 12/BC-UBND ngày 05/01/2024 của UBND xã A)", "Kỳ đánh giá: Quý II"]
    assert lines[-1] == "Ghi chú: A & B."
    assert "{{" not in document_text(package) and "{%" not in document_text(package)
    [grid] = table_rows(package)
    assert grid == [
        ["TT", "Đơn vị", "Chỉ số thành phần", "", "", "Tổng"],
        ["", "", "Công khai", "Tiến độ", "Số hóa", ""],
        ["1", "Xã 1", "9,5", "8", "7", "24,5"],
        ["2", "Xã 2", "9,5", "8", "7", "24,5"],
    ]


def test_a_vertically_merged_cell_is_read_once_in_the_outline() -> None:
    lines = document_lines(render_appendix("bang.docx", two_level_header_table()))
    assert lines.count("TT") == 1 and lines.count("Tổng") == 1


def test_cell_text_with_special_characters_round_trips_through_a_render() -> None:
    text = 'UBND xã A & B <thử> "một cửa"'
    table = Table((8.0,), (Row((Cell("Đơn vị", bold=True),), header=True), Row((Cell(text),))))
    assert table_rows(render_appendix("bang_xep_hang.docx", table)) == [[["Đơn vị"], [text]]]


# ----- joining ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def joined() -> tuple[bytes, bytes]:
    main = main_document()
    wide = load_template(TEMPLATES_DIR / "phu_luc" / "bang_chi_so.docx").render(context(two_level_header_table(40)))
    narrow = load_template(TEMPLATES_DIR / "phu_luc" / "bang_tieu_chi.docx").render(
        context(Table((1.0, 9.0), (Row((Cell("TT"), Cell("Tiêu chí")), header=True),)
                      + tuple(Row((Cell(str(i)), Cell(f"Tiêu chí {i}"))) for i in range(1, 80)))))
    return main, join_documents(main, [wide, narrow])


def test_without_appendices_the_main_document_comes_back_unchanged() -> None:
    main = main_document()
    assert join_documents(main, []) is main


def test_two_appendices_make_three_sections_and_the_second_is_landscape(joined) -> None:
    _, package = joined
    sections = body_sections(package)
    assert len(sections) == 3
    orientations = [s.find(W + "pgSz").get(W + "orient") for s in sections]
    assert orientations == [None, "landscape", None]
    assert sections[1].find(W + "pgSz").get(W + "w") == "16838"


def test_each_appendix_section_starts_a_new_page_numbered_1_with_no_number_on_it(joined) -> None:
    _, package = joined
    for section in body_sections(package)[1:]:
        assert section.find(W + "type").get(W + "val") == "nextPage"
        assert section.find(W + "pgNumType").get(W + "start") == "1"
        assert section.find(W + "titlePg") is not None
        assert out_of_order(section) == []


def test_every_section_uses_the_main_documents_page_number_header(joined) -> None:
    main, package = joined
    [main_section] = body_sections(main)

    def references(section: etree._Element) -> list[tuple[str, str]]:
        return [(r.get(W + "type"), r.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"))
                for r in section.findall(W + "headerReference")]

    assert references(main_section)
    assert all(references(s) == references(main_section) for s in body_sections(package))


def test_the_joined_document_reads_main_text_then_each_appendix_in_order(joined) -> None:
    main, package = joined
    lines = [line for line in document_lines(package) if line.strip()]
    main_lines = [line for line in document_lines(main) if line.strip()]
    assert lines[:len(main_lines)] == main_lines
    assert [line for line in lines if line.startswith("Phụ lục")] == ["Phụ lục I", "Phụ lục I"]
    grids = table_rows(package)
    assert grids[-2][2] == ["1", "Xã 1", "9,5", "8", "7", "24,5"] and grids[-1][-1] == ["79", "Tiêu chí 79"]


def test_joining_is_deterministic_and_every_part_is_valid_xml(joined) -> None:
    main, package = joined
    wide = render_appendix("bang_chi_so.docx", two_level_header_table(40))
    assert join_documents(main, [wide]) == join_documents(main, [wide])
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                root = etree.fromstring(z.read(name))
                assert out_of_order(root) == [], name
        core = z.read("docProps/core.xml").decode()
    assert "custom-properties" not in core, "docxcompose's 'cp' prefix leaked into the core properties"


@pytest.mark.skipif(not (SOFFICE and PDFTOTEXT and PDFINFO),
                    reason="needs LibreOffice, pdftotext and pdfinfo: apt-get install libreoffice-writer-nogui "
                    "poppler-utils (.ci/run installs them)")
def test_libreoffice_prints_the_landscape_appendix_landscape_and_restarts_page_numbers(joined, tmp_path: Path) -> None:
    _, package = joined
    docx = tmp_path / "joined.docx"
    docx.write_bytes(package)
    subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "joined.pdf"

    def run(*args: str) -> str:
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout

    pages = int(next(line.split()[-1] for line in run(PDFINFO, str(pdf)).splitlines() if line.startswith("Pages:")))
    sizes, texts = [], []
    for page in range(1, pages + 1):
        info = run(PDFINFO, "-f", str(page), "-l", str(page), str(pdf))
        width, height = next(line for line in info.splitlines() if " size:" in line).split(":")[1].split()[0:3:2]
        sizes.append("ngang" if float(width) > float(height) else "dọc")
        texts.append([line.strip() for line in run(PDFTOTEXT, "-layout", "-f", str(page), "-l", str(page),
                                                   str(pdf), "-").splitlines() if line.strip()])
    starts = [i for i, lines in enumerate(texts) if lines[0] == "Phụ lục I"]
    assert len(starts) == 2, "each appendix starts on a page of its own"
    wide_pages = range(starts[0], starts[1])
    assert [sizes[i] for i in wide_pages] == ["ngang"] * len(wide_pages) and len(wide_pages) >= 2
    assert set(sizes[:starts[0]]) == set(sizes[starts[1]:]) == {"dọc"}
    for start in starts:  # no number on an appendix's first page, then 2 on its second
        assert texts[start + 1][0] == "2"
    assert "Chỉ số thành phần" in texts[starts[0] + 1], "the header rows repeat on the next page"
