"""Rendering is safe: special characters round-trip, missing values fail loudly, with their place."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from engine import render
from engine.errors import SpecError, TemplateError
from engine.render.docx import CompiledTemplate
from engine.render.outline import document_text
from tests.unit.test_spec_errors import GOOD


def write_spec(folder: Path, text: str) -> Path:
    path = folder / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ampersand_and_angle_brackets_render_literally_and_the_file_opens(tmp_path: Path) -> None:
    nasty = 'Trung tâm A & B <Phục vụ> "hành chính" công\'s'
    spec = GOOD.replace("trich_yeu: Kết quả thử nghiệm", f"trich_yeu: '{nasty.replace(chr(39), chr(39) * 2)}'")
    spec = spec.replace("- doan: Nội dung.", "- doan: 'Giá trị: {{ d.ten }}'")
    spec += "du_lieu:\n  d:\n    ten: '<w:p>&amp; </w:t> ]]>'\n"
    package = render(write_spec(tmp_path, spec))
    text = document_text(package)
    assert nasty in text
    assert "Giá trị: <w:p>&amp; </w:t> ]]>" in text
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        etree.fromstring(z.read("word/document.xml"))  # well-formed, nothing truncated
    assert "Nguyễn Văn An" in text  # the document after the value is all there


def test_an_undefined_name_in_spec_text_is_an_error_at_its_line(tmp_path: Path) -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: 'Tổng: {{ so_lieu.tong }}'")
    with pytest.raises(SpecError) as caught:
        render(write_spec(tmp_path, spec))
    [problem] = caught.value.problems
    assert problem.code == "SPEC_EXPRESSION"
    assert problem.location.line == 10
    assert "so_lieu" in problem.message


def test_a_misspelt_field_in_spec_text_is_an_error(tmp_path: Path) -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: 'Tổng: {{ d.tongg }}'") + "du_lieu:\n  d: {tong: 5}\n"
    with pytest.raises(SpecError) as caught:
        render(write_spec(tmp_path, spec))
    assert "tongg" in caught.value.problems[0].message


def test_spec_text_cannot_reach_python_internals(tmp_path: Path) -> None:
    spec = GOOD.replace("- doan: Nội dung.", "- doan: '{{ d.__class__.__mro__ }}'") + "du_lieu:\n  d: {tong: 5}\n"
    with pytest.raises(SpecError):
        render(write_spec(tmp_path, spec))


def _template_with_runs(path: Path, *runs: str) -> Path:
    doc = Document()
    paragraph = doc.add_paragraph()
    for text in runs:
        paragraph.add_run(text)
    doc.save(path)
    return path


def test_an_undefined_variable_in_a_template_names_the_template_and_paragraph(tmp_path: Path) -> None:
    template = _template_with_runs(tmp_path / "mau.docx", "Kính gửi: ", "{{ van_ban.nguoi_nhan_sai }}")
    spec = write_spec(tmp_path, GOOD + "mau: mau.docx\n")
    with pytest.raises(TemplateError) as caught:
        render(spec)
    [problem] = caught.value.problems
    assert problem.code == "TEMPLATE_UNDEFINED"
    assert problem.location.file == "mau.docx"
    assert "Kính gửi" in problem.location.paragraph
    assert template.exists()


def test_a_tag_split_across_runs_by_word_is_joined_and_reported(tmp_path: Path) -> None:
    path = _template_with_runs(tmp_path / "mau.docx", "Số: {{ van_", "ban.so }}")
    [notice] = CompiledTemplate.from_file(path).notices
    assert "{{ van_ban.so }}" in notice and "Số:" in notice and "đã nối lại" in notice


def test_a_jinja_syntax_error_in_a_template_is_a_template_error(tmp_path: Path) -> None:
    _template_with_runs(tmp_path / "mau.docx", "{{ van_ban.so_ky_hieu ")
    _template_with_runs(tmp_path / "mau2.docx", "{% if van_ban.so %}")
    with pytest.raises(TemplateError) as caught:
        render(write_spec(tmp_path, GOOD + "mau: mau2.docx\n"))
    assert caught.value.problems[0].code == "TEMPLATE_SYNTAX"


def test_a_file_that_is_not_a_docx_is_a_template_error(tmp_path: Path) -> None:
    (tmp_path / "mau.docx").write_text("không phải docx")
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate.from_file(tmp_path / "mau.docx")
    assert caught.value.problems[0].code == "TEMPLATE_FILE"


def test_a_tag_left_open_in_its_paragraph_is_reported_before_it_can_swallow_the_next_ones(tmp_path: Path) -> None:
    """docxtpl would join '{{ van_ban.so' to the next paragraph's tag and drop the text between, silently."""
    doc = Document()
    doc.add_paragraph("Ghi chú: {{ van_ban.so ")
    doc.add_paragraph("Nơi nhận: {{ van_ban.noi_nhan }}")
    doc.save(tmp_path / "mau.docx")
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate.from_file(tmp_path / "mau.docx")
    [problem] = caught.value.problems
    assert problem.code == "TEMPLATE_SYNTAX" and "không đóng" in problem.message
    assert problem.location.paragraph.startswith("Ghi chú:") and problem.location.file == "mau.docx"


def _spec_with_appendix_template(folder: Path, paragraph: str) -> Path:
    """The Tủa Chùa report whose phụ lục uses its own template: the shipped one plus ``paragraph``."""
    import shutil

    from engine.kinds import TEMPLATES_DIR
    from tests.conftest import FIXTURES

    case = folder / "bc"
    shutil.copytree(FIXTURES / "tua_chua_2023_04", case)
    doc = Document(str(TEMPLATES_DIR / "phu_luc" / "bang_chi_so.docx"))
    doc.add_paragraph(paragraph)
    doc.save(case / "pl_rieng.docx")
    spec = case / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "  - mau: bang_chi_so\n" in text
    spec.write_text(text.replace("  - mau: bang_chi_so\n", "  - mau: bang_chi_so\n    tep_mau: pl_rieng.docx\n"),
                    encoding="utf-8")
    return spec


@pytest.mark.parametrize(("paragraph", "code"), [("Ghi chú: {{ phu_luc.khong_co }}", "TEMPLATE_UNDEFINED"),
                                                 ("Ghi chú: {% if %}", "TEMPLATE_SYNTAX")])
def test_an_error_in_a_phu_luc_template_names_that_template_not_the_joined_one(
        tmp_path: Path, paragraph: str, code: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(_spec_with_appendix_template(tmp_path, paragraph))
    [problem] = caught.value.problems
    assert problem.code == code
    assert problem.location.file == "pl_rieng.docx"
    assert problem.location.paragraph == paragraph
