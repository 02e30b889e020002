"""The pieces of the recovery on their own: body numbering, the period in text, figures, the YAML writer, the CLI."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.errors import DocumentError, LimitError
from engine.recover import recover
from engine.recover.body import read_blocks
from engine.recover.document import Line
from engine.recover.figures import (
    Candidate,
    Text,
    find_period,
    index_candidates,
    period_forms,
    replace_figures,
    replace_period,
)
from engine.recover.writer import dump_spec
from engine.spec.yamlload import load_yaml_text
from engine.vn.periods import parse_period
from tests.recover.test_round_trip import FIXTURES


def _lines(*texts: str, bold: int = 0) -> list[Line]:
    return [Line(text, bold_head=text if index < bold else "") for index, text in enumerate(texts)]


# ----- body ------------------------------------------------------------------------------------------------


def test_typed_numbers_nest_headings_and_lists_by_level():
    blocks = read_blocks(_lines("I. KẾT QUẢ", "1. Tiếp nhận hồ sơ", "Trong kỳ tiếp nhận 12 hồ sơ.", "a) Trực tuyến",
                                "+ Nộp trực tuyến: 7 hồ sơ;", "+ Thanh toán: 3 hồ sơ.", "1.1. Chi tiết", "- Một;",
                                "II. PHƯƠNG HƯỚNG", "Trên đây là báo cáo./."))
    spec = [block.as_spec() for block in blocks]
    assert spec[0]["muc"] == "KẾT QUẢ"
    khoan = spec[0]["noi_dung"][0]
    assert khoan["khoan"] == "Tiếp nhận hồ sơ"
    assert khoan["noi_dung"][0] == {"doan": "Trong kỳ tiếp nhận 12 hồ sơ."}
    assert khoan["noi_dung"][1] == {"diem": "Trực tuyến", "noi_dung": [
        {"cong": ["Nộp trực tuyến: 7 hồ sơ;", "Thanh toán: 3 hồ sơ."]}]}
    assert khoan["noi_dung"][2] == {"tieu_khoan": "Chi tiết", "noi_dung": [{"gach": "Một;"}]}
    assert spec[1] == {"muc": "PHƯƠNG HƯỚNG"}
    assert spec[2] == {"doan": "Trên đây là báo cáo./."}  # the closing paragraph is back at the top


def test_a_number_the_engine_would_not_give_there_is_kept_as_so():
    spec = [b.as_spec() for b in read_blocks(_lines("1. Một", "3. Ba", "3.2. Ba hai"))]
    assert spec[0] == {"khoan": "Một"}
    assert spec[1]["so"] == "3." and spec[1]["noi_dung"][0]["so"] == "3.2."


def test_a_bold_lead_is_the_title_and_the_rest_its_paragraph_and_a_long_plain_line_is_a_numbered_paragraph():
    bold = Line("1.1. Kết quả đạt được: Nhìn chung tốt.", bold_head="1.1. Kết quả đạt được:")
    long = Line("2. " + "Tăng cường đẩy mạnh thanh toán trực tuyến, số hóa hồ sơ trong giải quyết TTHC. " * 3)
    colon = Line("3. Kiến nghị: đề nghị tỉnh hỗ trợ thêm.")
    blocks = [b.as_spec() for b in read_blocks([Line("1. A", bold_head="1. A"), bold, long, colon])]
    assert blocks[0]["noi_dung"][0] == {"tieu_khoan": "Kết quả đạt được:", "doan": "Nhìn chung tốt."}
    assert blocks[1]["khoan"] == "" and blocks[1]["doan"].startswith("Tăng cường")
    assert blocks[2] == {"khoan": "Kiến nghị:", "doan": "đề nghị tỉnh hỗ trợ thêm."}


# ----- the period in text ------------------------------------------------------------------------------------


def test_the_period_is_the_one_the_subject_names_and_its_neighbours_are_named_too():
    period = find_period("Báo cáo kết quả quý II năm 2021", ["Nhiệm vụ quý III năm 2021"])
    assert str(period) == "quý II năm 2021"
    text = Text("Trong quý II năm 2021 và cùng kỳ quý II năm 2020; nhiệm vụ quý III năm 2021; QUÝ II NĂM 2021.")
    replace_period(text, period_forms(period))
    assert str(text) == ("Trong {{ ky }} và cùng kỳ {{ ky.cung_ky }}; nhiệm vụ {{ ky.sau }}; {{ ky | in_hoa }}.")


def test_a_date_is_never_a_period():
    period = parse_period("tháng 4 năm 2023")
    text = Text("Ngày 24 tháng 4 năm 2023, xã tổng kết tháng 4 năm 2023.")
    replace_period(text, period_forms(period))
    assert str(text) == "Ngày 24 tháng 4 năm 2023, xã tổng kết {{ ky }}."


def test_a_date_range_on_the_named_period_becomes_its_bounds():
    period = find_period("quý 1 năm 2023", ["thời điểm từ 15/12/2022 đến hết 14/03/2023"])
    assert (str(period), period.khoang) == ("quý 1 năm 2023", "từ 15/12/2022 đến hết 14/03/2023")


def test_jinja_delimiters_in_plain_text_print_as_themselves():
    text = Text("Mẫu ghi {{ ten }} và {% if %} như chữ")
    rendered = pipeline.prepare(_spec_with(str(text))).context["van_ban"]["noi_dung"][0]["noi_dung"]
    assert rendered == "Mẫu ghi {{ ten }} và {% if %} như chữ"


def _spec_with(doan: str) -> dict:
    return {"loai": "bao_cao", "co_quan_ban_hanh": {"ten": "X", "viet_tat": "X"}, "dia_danh": "A",
            "ngay": {"nam": 2024}, "trich_yeu": "T", "noi_dung": [{"doan": doan}], "noi_nhan": {},
            "nguoi_ky": {"chuc_vu": "Chủ tịch", "ho_ten": "Nguyễn Văn An"}}


# ----- figures -------------------------------------------------------------------------------------------------


def _figures(*candidates: Candidate):
    values = {c.expression: c.value for c in candidates}
    return index_candidates(list(candidates)), lambda expression: _render(values, expression)


def _render(values: dict[str, Decimal], expression: str) -> str | None:
    from engine.vn.numbers import format_number, format_percent, two_digits

    name, _, filters = expression.partition(" | ")
    value = values[name]
    if not filters:
        return format_number(value)
    match = re.fullmatch(r"(so|phan_tram|hai_so)(?:\((\d)\))?", filters)
    decimals = int(match[2]) if match[2] else None
    return {"so": lambda: format_number(value, decimals), "phan_tram": lambda: format_percent(value, decimals),
            "hai_so": lambda: two_digits(int(value))}[match[1]]()


def test_a_number_one_figure_prints_becomes_that_figure_and_two_figures_leave_it_text_with_a_note():
    figures, render = _figures(Candidate("kq.tong", Decimal("15.74"), 1), Candidate("a.x", Decimal("7.5"), 2),
                               Candidate("b.y", Decimal("7.5"), 3))
    text, ambiguous = Text("Tổng điểm 15,74/18 điểm; đạt 7,5."), []
    replace_figures(text, figures, render, ambiguous)
    assert str(text) == "Tổng điểm {{ kq.tong }}/18 điểm; đạt 7,5."
    assert ambiguous == ["'7,5' có thể là a.x, b.y"]


def test_dates_document_numbers_years_and_references_are_never_figures():
    figures, render = _figures(*(Candidate(f"v{n}", Decimal(n), n) for n in (24, 459, 2023, 12, 61)))
    text = Text("Quyết định số 459/QĐ-UBND ngày 24/3/2023, năm 2023, tiêu chí 12, Nghị định 61/2018/NĐ-CP.")
    replace_figures(text, figures, render, [])
    assert "{{" not in str(text)


# ----- the YAML writer ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["01", "16,74", "yes", "null", "a: b", "# không phải ghi chú", "- gạch", "{{ ky }}",
                                   "  lề", "dòng\nhai", "Tab\tở giữa", "x" * 300, "Chữ dài " * 40 + "{{ kq.tong }}"])
def test_every_string_is_written_so_that_it_reads_back_the_same(value):
    text = dump_spec({"trich_yeu": value, "noi_dung": [{"doan": value}]}, comments={("trich_yeu",): "ghi chú"})
    assert load_yaml_text(text, "x").data == {"trich_yeu": value, "noi_dung": [{"doan": value}]}
    assert "# ghi chú" in text


# ----- the command line ---------------------------------------------------------------------------------------


def test_init_writes_the_spec_and_its_data_and_never_overwrites_without_force(tmp_path):
    source = tmp_path / "thang_8.docx"
    source.write_bytes(pipeline.render(FIXTURES / "tien_lu_2024_08" / "spec.yaml"))
    out = tmp_path / "moi"
    out.mkdir()
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--from", str(source), "-o", str(out / "cv.yaml")])
    assert result.exit_code == 0, result.output
    assert (out / "cv.yaml").is_file() and (out / "phu_luc_1.csv").is_file()
    assert "Kỳ báo cáo: tháng 8 năm 2024" in result.output
    (out / "cv.yaml").unlink()  # the data file is still there: nothing is written, the spec included
    again = runner.invoke(main, ["init", "--from", str(source), "-o", str(out / "cv.yaml")])
    assert again.exit_code != 0 and "OUTPUT_EXISTS" in again.output and not (out / "cv.yaml").exists()
    forced = runner.invoke(main, ["init", "--from", str(source), "-o", str(out / "cv.yaml"), "--force",
                                  "--ky", "tháng 9 năm 2024"])
    assert forced.exit_code == 0 and "Kỳ báo cáo: tháng 9 năm 2024" in forced.output
    assert runner.invoke(main, ["validate", str(out / "cv.yaml")]).exit_code == 0


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 not really", b"<html>a web page</html>", b"\x00" * 1000])
def test_init_refuses_what_is_not_a_document_by_name_and_writes_nothing(tmp_path, content):
    source = tmp_path / "gia.docx"
    source.write_bytes(content)
    result = CliRunner().invoke(main, ["init", "--from", str(source), "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code not in (0, 1) and "Traceback" not in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_a_document_past_the_paragraph_limit_is_a_limit_error():
    import io
    from dataclasses import replace

    from docx import Document

    from engine.trust.limits import Limits, using_limits

    document = Document()
    for n in range(60):
        document.add_paragraph(f"Đoạn {n}")
    buffer = io.BytesIO()
    document.save(buffer)
    with using_limits(replace(Limits(), so_doan=50)), pytest.raises(LimitError):
        recover(buffer.getvalue(), name="dai.docx")
    with pytest.raises(DocumentError):
        recover(b"PK\x05\x06" + b"\x00" * 18, name="rong.docx")


def test_a_table_that_claims_a_million_columns_is_a_limit_error_not_a_million_cells():
    import io

    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    table = document.add_table(rows=3, cols=2)
    span = table.cell(0, 0)._tc.get_or_add_tcPr()
    grid = span.makeelement(qn("w:gridSpan"), {qn("w:val"): "1000000"})
    span.append(grid)
    document.add_paragraph("PHỤ LỤC")
    buffer = io.BytesIO()
    document.save(buffer)
    with pytest.raises(LimitError) as caught:
        recover(buffer.getvalue(), name="rong.docx")
    assert caught.value.problems[0].code == "LIMIT_ROWS"


@pytest.mark.parametrize("value", ["a\x82b", "x\u2028y", "z\x85w", "\U0002ec61", 1.35, 8.25])
def test_what_yaml_would_not_read_as_itself_is_escaped_and_numbers_stay_numbers(value):
    """Found by fuzzing: a C1 control or a line separator in a document's text, a column width as a float."""
    text = dump_spec({"noi_dung": [{"doan": value}] if isinstance(value, str) else [], "rong": value})
    back = load_yaml_text(text, "x").data
    assert str(back["rong"]) == str(value)


def test_a_document_with_characters_nfc_changes_recovers_into_the_same_text_the_loader_reads():
    """Found by fuzzing: U+F900 (a CJK compatibility ideograph) is U+8C48 once NFC, as the spec loader reads it."""
    import io

    from docx import Document

    document = Document()
    document.add_paragraph("BÁO CÁO").runs[0].bold = True
    document.add_paragraph("Tháng 4 năm 2023 \uf900 và Cafe\u0301")
    buffer = io.BytesIO()
    document.save(buffer)
    recovery = recover(buffer.getvalue(), name="x.docx")
    assert "\u8c48" in recovery.yaml() and "Café" in recovery.yaml()


def test_the_looks_inside_a_paragraph_come_back_as_the_markup_that_makes_them():
    spec = _spec_with("**Kết quả tổng hợp như sau:** (Biểu kèm theo), chỉ số //(đo lường trên Cổng)// và "
                      "__không__ đạt; m^^2^^, CO,,2,,; 5 * 3 và ~**sao~** như chữ")
    spec["noi_dung"].append({"khoan": "Kiến nghị:", "doan": "đề nghị **tỉnh** hỗ trợ."})
    recovery = recover(pipeline.render(spec), name="x.docx")
    blocks = recovery.spec["noi_dung"]
    assert blocks[0]["doan"] == spec["noi_dung"][0]["doan"]
    assert blocks[1] == {"khoan": "Kiến nghị:", "doan": "đề nghị **tỉnh** hỗ trợ."}
    # and it prints the same text and looks again
    again = pipeline.prepare(recovery.spec).context["van_ban"]["noi_dung"][0]["noi_dung"]
    assert again == pipeline.prepare(spec).context["van_ban"]["noi_dung"][0]["noi_dung"]
