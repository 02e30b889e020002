"""The compiled render path gives the same document as docxtpl itself on the same template and context."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from benchmarks.run import naive
from benchmarks.template import build_template, context
from engine import prepare
from engine.render.docx import CompiledTemplate, load_template
from engine.render.outline import document_text, table_rows
from tests.acceptance.samples import CASES
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def table_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("tpl") / "bang.docx")


@pytest.mark.parametrize("rows", [0, 1, 15, 200])
def test_a_row_loop_template_renders_the_same_text_and_table_as_plain_docxtpl(table_template: Path,
                                                                              rows: int) -> None:
    ctx = context(rows)
    ours = load_template(table_template).render(ctx)
    theirs = naive(table_template, ctx)
    assert document_text(ours) == document_text(theirs)
    assert table_rows(ours) == table_rows(theirs)
    assert len(table_rows(ours)[0]) == rows + 1


def test_rendering_twice_with_the_compiled_template_gives_the_same_bytes(table_template: Path) -> None:
    template = load_template(table_template)
    assert template.render(context(30)) == template.render(context(30))
    assert load_template(table_template) is template  # compiled once per process


@pytest.mark.parametrize("case", CASES)
def test_every_fixture_main_template_renders_as_docxtpl_renders_it(case: str) -> None:
    prepared = prepare(FIXTURES / case / "spec.yaml")
    template = load_template(prepared.template_path)
    ours = template.render(prepared.context)
    theirs = template.render_with_docxtpl(prepared.context)
    assert document_text(ours) == document_text(theirs)


def test_tabs_line_breaks_and_markup_in_values_come_out_as_docxtpl_makes_them(table_template: Path) -> None:
    ctx = context(3)
    ctx["tieu_de"] = "Dòng một\nDòng hai\tcột & <thẻ>"
    ctx["rows"][0]["ten"] = "A\tB\nC"
    ours = load_template(table_template).render(ctx)
    theirs = CompiledTemplate(table_template, table_template.read_bytes()).render_with_docxtpl(ctx)
    assert document_text(ours) == document_text(theirs)
    assert "Dòng một\nDòng hai\tcột & <thẻ>" in document_text(ours)


def test_the_written_package_is_a_valid_zip_with_every_part_of_the_template_but_its_thumbnail(
        table_template: Path) -> None:
    package = load_template(table_template).render(context(5))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    with zipfile.ZipFile(table_template) as source:
        expected = [name for name in source.namelist() if name != "docProps/thumbnail.jpeg"]
    expected.insert(expected.index("docProps/app.xml") + 1, "docProps/custom.xml")  # the document's provenance
    assert names == expected


@pytest.mark.parametrize("rows", [2, 1000])  # checked inline; 1,000 rows (about 1 MB) in a thread
@pytest.mark.parametrize("broken", ["<w:b>", "<x:tag/>", "a\x01b"])  # unclosed; prefix bound nowhere; bad character
def test_a_render_that_is_not_well_formed_xml_is_refused(table_template: Path, broken: str, rows: int) -> None:
    """(docxtpl itself re-parses with recover=True and quietly drops what it cannot read.)"""
    from markupsafe import Markup

    from engine.errors import TemplateError

    ctx = {**context(rows), "tieu_de": Markup(broken)}  # already-"safe" markup is inserted as it is
    with pytest.raises(TemplateError) as caught:
        load_template(table_template).render(ctx)
    assert caught.value.problems[0].code == "TEMPLATE_OUTPUT"
    assert "bang.docx" in str(caught.value) and "word/document.xml" in str(caught.value)
