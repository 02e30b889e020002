"""Templates as Word saves them: every tag Word split is joined again, said as a notice, and renders the same text."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.errors import TemplateError
from engine.render.docx import CompiledTemplate
from engine.render.outline import document_text
from engine.render.repair import repair_package
from engine.service.models import EXAMPLE_SPEC
from tests.conftest import ROOT
from tests.word.variants import KINDS, Piece, split_tags

TEMPLATES = {"cong_van": ROOT / "templates" / "bao_cao" / "cong_van.docx",
             "bao_cao": ROOT / "templates" / "bao_cao" / "bao_cao.docx"}
BAO_CAO_SPEC = {**EXAMPLE_SPEC, "loai": "bao_cao", "so": 15}


def _render_with(tmp_path: Path, package: bytes, spec: dict) -> bytes:
    (tmp_path / "mau.docx").write_bytes(package)
    return pipeline.render({**spec, "mau": "mau.docx"}, base_dir=tmp_path)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_tag_split_the_way_word_splits_it_renders_the_same_text(tmp_path, template, kind):
    spec = EXAMPLE_SPEC if template == "cong_van" else BAO_CAO_SPEC
    original = TEMPLATES[template].read_bytes()
    split, count = split_tags(original, KINDS[kind])
    assert count > 20  # every tag of the template, {{ }} and {%p %} alike
    repaired = CompiledTemplate(tmp_path / "mau.docx", split)
    assert len(repaired.repairs) == count
    expected = document_text(_render_with(tmp_path, original, spec))
    assert document_text(_render_with(tmp_path, split, spec)) == expected


@pytest.mark.parametrize(("kind", "said"), [
    ("italic_half", "nghiêng"), ("proof_marks", "proofErr"), ("split_opening", "rsid"),
    ("split_closing", "rsid"), ("bookmark_inside", "_GoBack"), ("language_change", "ngôn ngữ"),
])
def test_each_repair_is_a_notice_naming_the_tag_its_paragraph_and_what_word_put_inside(tmp_path, kind, said):
    split, count = split_tags(TEMPLATES["bao_cao"].read_bytes(), KINDS[kind], only="{{ van_ban.trich_yeu }}")
    assert count == 1
    [notice] = CompiledTemplate(tmp_path / "mau.docx", split).notices
    assert "{{ van_ban.trich_yeu }}" in notice and "thân văn bản" in notice and said in notice
    assert "đã nối lại" in notice


def test_the_filled_text_takes_the_formatting_of_the_run_where_the_tag_starts(tmp_path):
    italic_first = lambda tag: [Piece(tag[:4], formatting="<w:i/>"), Piece(tag[4:])]  # noqa: E731
    split, _ = split_tags(TEMPLATES["bao_cao"].read_bytes(), italic_first, only="{{ van_ban.trich_yeu }}")
    rendered = _render_with(tmp_path, split, BAO_CAO_SPEC)
    with zipfile.ZipFile(io.BytesIO(rendered)) as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    run = body[:body.index(BAO_CAO_SPEC["trich_yeu"])].rsplit("<w:r>", 1)[1]
    assert "<w:i/>" in run


def test_a_template_without_splits_is_left_byte_for_byte(tmp_path):
    original = TEMPLATES["cong_van"].read_bytes()
    assert repair_package(original) == (original, ())


def test_render_and_validate_tell_the_maintainer_what_was_joined(tmp_path):
    split, _ = split_tags(TEMPLATES["bao_cao"].read_bytes(), KINDS["proof_marks"], only="{{ van_ban.trich_yeu }}")
    (tmp_path / "mau.docx").write_bytes(split)
    spec = tmp_path / "bc.yaml"
    import yaml

    spec.write_text(yaml.safe_dump({**BAO_CAO_SPEC, "mau": "mau.docx"}, allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    rendered = runner.invoke(main, ["render", str(spec), "-o", str(tmp_path / "bc.docx")])
    assert rendered.exit_code == 0, rendered.output
    assert "Lưu ý:" in rendered.stderr and "{{ van_ban.trich_yeu }}" in rendered.stderr
    validated = runner.invoke(main, ["validate", str(spec)])
    assert validated.exit_code == 0 and "đã nối lại" in validated.stderr


def _with_document(package: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue()


def test_a_tag_across_two_paragraphs_is_an_error_that_says_why(tmp_path):
    broken = _with_document(TEMPLATES["bao_cao"].read_bytes(), lambda xml: xml.replace(
        "<w:t>{{ van_ban.trich_yeu }}</w:t>", "<w:t>{{ van_ban.</w:t></w:r></w:p><w:p><w:r><w:t>trich_yeu }}</w:t>"))
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(tmp_path / "mau.docx", broken)
    messages = " ".join(problem.message for problem in caught.value.problems)
    assert "hai đoạn" in messages


def test_a_tag_that_a_field_runs_through_is_an_error_not_a_repair(tmp_path):
    field = ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
    through = f"<w:t>{{{{ van_ban.</w:t></w:r>{field}<w:r><w:t>trich_yeu }}}}</w:t></w:r>"
    broken = _with_document(TEMPLATES["bao_cao"].read_bytes(),
                            lambda xml: xml.replace("<w:t>{{ van_ban.trich_yeu }}</w:t></w:r>", through))
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(tmp_path / "mau.docx", broken)
    assert any("trường (field)" in problem.message for problem in caught.value.problems)
