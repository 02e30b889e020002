"""A province's own template (fixtures/mau_rieng_tinh): linted, rendered and checked with no code change."""

from __future__ import annotations

import io
import zipfile

from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.conformance import check_document
from engine.render.lint import lint_template
from engine.render.outline import document_text
from tests.conftest import FIXTURES
from tests.word.province import TARGET, build

FOLDER = FIXTURES / "mau_rieng_tinh"


def test_the_fixture_template_is_the_one_the_code_makes():
    assert TARGET.read_bytes() == build(), "rebuild it: python -m tests.word.province"


def test_lint_with_the_spec_finds_the_split_tags_and_no_error():
    prepared = pipeline.prepare(FOLDER / "spec.yaml")
    names = {**prepared.data, **{name: result.view for name, result in prepared.scored.items()}}
    report = lint_template(TARGET, names=names)
    assert report.errors == []
    assert sorted(f.code for f in report.findings) == ["TEMPLATE_REPAIRED"] * 3


def test_it_renders_with_notices_and_the_result_passes_check(tmp_path):
    result = CliRunner().invoke(main, ["render", str(FOLDER / "spec.yaml"), "-o", str(tmp_path / "bc.docx")])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Lưu ý:") == 3
    document = (tmp_path / "bc.docx").read_bytes()
    assert check_document(document) == []
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        headers = [name for name in archive.namelist() if name.startswith("word/header")]
        assert any(b"<pic:pic" in archive.read(name) for name in headers), "the emblem is in a header"
        assert any(name.startswith("word/media/") and name.endswith(".png") for name in archive.namelist())


def test_only_the_look_differs_from_the_shipped_template(tmp_path):
    import yaml

    spec = yaml.safe_load((FOLDER / "spec.yaml").read_text(encoding="utf-8"))
    own = pipeline.render(FOLDER / "spec.yaml")
    spec.pop("mau")
    shipped = pipeline.render(spec)
    assert document_text(own) == document_text(shipped)
