"""The shipped templates keep every tag in one run and share identical header and signature blocks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from lxml import etree

from engine.kinds import KINDS, TEMPLATES_DIR
from engine.render.build_templates import TEMPLATES, build
from engine.render.inspect import template_tags

SHIPPED = sorted({kind.template for kind in KINDS.values()})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_tag_in_a_shipped_template_is_whole_in_one_run(path: Path) -> None:
    tags = template_tags(path.read_bytes())
    assert tags, "a template without tags renders nothing from the spec"
    assert [t.tag for t in tags if t.split_across_runs] == []


def _tables(path: Path) -> list[bytes]:
    doc = Document(io.BytesIO(path.read_bytes()))
    return [etree.tostring(t._tbl, method="c14n") for t in doc.tables]


def _closing(path: Path) -> list[bytes]:
    """Every body element from the closing's first tag (one signer or several) to the end."""
    body = Document(io.BytesIO(path.read_bytes())).element.body
    elements = list(body)
    start = next(i for i, e in enumerate(elements) if "van_ban.nhieu_nguoi_ky" in "".join(e.itertext()))
    return [etree.tostring(e, method="c14n") for e in elements[start:]]


def test_bao_cao_and_cong_van_share_the_same_header_and_signature_blocks() -> None:
    bao_cao = _tables(TEMPLATES_DIR / "bao_cao" / "bao_cao.docx")
    cong_van = _tables(TEMPLATES_DIR / "bao_cao" / "cong_van.docx")
    assert len(bao_cao) == len(cong_van) == 3  # header; several signers; Nơi nhận beside one signer
    assert bao_cao[0] == cong_van[0], "the header tables have drifted apart"
    assert bao_cao[1] == cong_van[1], "the tables of several signature blocks have drifted apart"
    assert bao_cao[2] == cong_van[2], "the Nơi nhận / signature tables have drifted apart"
    assert _closing(TEMPLATES_DIR / "bao_cao" / "bao_cao.docx") == _closing(TEMPLATES_DIR / "bao_cao" / "cong_van.docx")


def test_every_kind_points_at_an_existing_template() -> None:
    for kind in KINDS.values():
        assert kind.template.is_file(), kind


def test_the_template_builder_is_deterministic(tmp_path: Path) -> None:
    build(tmp_path / "a")
    build(tmp_path / "b")
    for name in TEMPLATES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_no_theme_font_can_override_times_new_roman(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
    assert "Theme=" not in styles and "theme=" not in styles
