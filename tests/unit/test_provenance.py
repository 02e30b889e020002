"""Provenance: every .docx says truly what made it, the same input gives the same bytes, info and check read it back."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli import main
from engine.info import describe
from engine.kinds import TEMPLATES_DIR
from engine.render.properties import compare, read_properties
from tests.conftest import FIXTURES, ROOT

DIEN_BIEN = FIXTURES / "dien_bien_2021_q2"  # complete date, data file, shipped frameworks, one phụ lục
TUA_CHUA = FIXTURES / "tua_chua_2023_04"  # a draft: only the year


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parts_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def custom(package: bytes) -> dict[str, str]:
    return dict(read_properties(parts_of(package)).pairs)


def rezip(package: bytes, changes: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for name in old.namelist():
            new.writestr(name, changes.get(name, old.read(name)))
    return out.getvalue()


@pytest.fixture(scope="module")
def dien_bien() -> bytes:
    return pipeline.render(DIEN_BIEN / "spec.yaml")


def test_the_core_properties_tell_the_truth_as_python_docx_reads_them(dien_bien: bytes) -> None:
    core = docx.Document(io.BytesIO(dien_bien)).core_properties
    assert core.title.startswith("Kết quả chấm điểm đánh giá việc giải quyết thủ tục hành chính")
    assert core.author == "ỦY BAN NHÂN DÂN HUYỆN ĐIỆN BIÊN"  # the agency's two lines on one
    assert core.subject == "Báo cáo"
    assert core.created.isoformat() == core.modified.isoformat() == "2021-06-22T00:00:00+00:00"  # the document's date
    assert core.last_modified_by == f"vanban-engine {version('vanban-engine')}"
    assert core.comments == "" and core.revision == 1


def test_nothing_of_the_templates_stale_properties_is_left(dien_bien: bytes) -> None:
    parts = parts_of(dien_bien)
    assert "docProps/thumbnail.jpeg" not in parts and b"thumbnail" not in parts["_rels/.rels"]
    everything = b"".join(parts[name] for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"))
    for stale in (b"python-docx", b"Macintosh", b"2024-01-01", b"<Pages>", b"<Words>", b"<Characters>"):
        assert stale not in everything
    assert b"<Application>vanban-engine/" in parts["docProps/app.xml"]


def test_the_custom_properties_name_every_input_as_the_spec_wrote_it_with_its_hash(dien_bien: bytes) -> None:
    props = custom(dien_bien)
    assert props["vanban.phien_ban"] == version("vanban-engine")  # from the package's metadata
    assert props["vanban.ngay"] == "van_ban"
    assert props["vanban.dac_ta"] == f"spec.yaml sha256:{sha(DIEN_BIEN / 'spec.yaml')}"
    assert props["vanban.du_lieu.hs"] == f"du_lieu.yaml sha256:{sha(DIEN_BIEN / 'du_lieu.yaml')}"
    framework = ROOT / "engine" / "scoring" / "frameworks" / "nd61_qd1187_dien_bien.yaml"
    assert props["vanban.cham_diem.tc_huyen.bo_tieu_chi"] == f"(có sẵn) {framework.name} sha256:{sha(framework)}"
    main_template = TEMPLATES_DIR / "bao_cao" / "bao_cao.docx"
    appendix = TEMPLATES_DIR / "phu_luc" / "bang_tieu_chi.docx"
    assert props["vanban.mau"] == f"(có sẵn) bao_cao/bao_cao.docx sha256:{sha(main_template)}"
    assert props["vanban.phu_luc.1.mau"] == f"(có sẵn) phu_luc/bang_tieu_chi.docx sha256:{sha(appendix)}"
    assert all(str(ROOT) not in value and len(value) <= 255 for value in props.values())  # no path of this machine
    assert props["vanban.noi_dung"].startswith("sha256:") and "vanban.phan.1" in props


def test_the_same_input_gives_the_same_bytes_twice_and_in_another_process(dien_bien: bytes, tmp_path: Path) -> None:
    assert pipeline.render(DIEN_BIEN / "spec.yaml") == dien_bien
    out = tmp_path / "khac.docx"
    subprocess.run([sys.executable, "-m", "engine", "render", str(DIEN_BIEN / "spec.yaml"), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT, timeout=120)
    assert out.read_bytes() == dien_bien


def test_a_draft_is_dated_source_date_epoch_when_set_else_the_render_day(monkeypatch) -> None:
    import time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    first = pipeline.render(TUA_CHUA / "spec.yaml")
    core = docx.Document(io.BytesIO(first)).core_properties
    assert core.created.isoformat() == "2023-11-14T22:13:20+00:00"
    assert custom(first)["vanban.ngay"] == "SOURCE_DATE_EPOCH"
    assert pipeline.render(TUA_CHUA / "spec.yaml") == first
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    today = time.strftime("%Y-%m-%d")
    dated = docx.Document(io.BytesIO(pipeline.render(TUA_CHUA / "spec.yaml"))).core_properties.created
    assert dated.isoformat() == f"{today}T00:00:00+00:00"


def test_the_docxtpl_path_of_a_signed_document_carries_the_same_record_and_is_deterministic(tmp_path: Path) -> None:
    from tests.unit.test_context import _png

    folder = tmp_path / "ky"
    shutil.copytree(FIXTURES / "tien_lu_2024_08", folder)
    (folder / "chu_ky.png").write_bytes(_png())
    spec = folder / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("nguoi_ky:\n", "nguoi_ky:\n  chu_ky: chu_ky.png\n", 1),
                    encoding="utf-8")
    first = pipeline.render(spec)
    assert any(name.startswith("word/media/") for name in parts_of(first))  # the image: docxtpl's path
    assert pipeline.render(spec) == first
    props = custom(first)
    assert props["vanban.nguoi_ky.chu_ky"] == f"chu_ky.png sha256:{sha(folder / 'chu_ky.png')}"
    assert compare(list(read_properties(parts_of(first)).pairs), parts_of(first)).intact
    assert "docProps/thumbnail.jpeg" not in parts_of(first)


def test_a_spec_given_as_a_mapping_or_as_text_has_one_canonical_hash() -> None:
    import yaml

    from engine.service.models import EXAMPLE_SPEC
    from engine.spec.loader import load_spec_text

    as_mapping = custom(pipeline.render(EXAMPLE_SPEC))["vanban.dac_ta"]
    as_text = custom(pipeline.render(load_spec_text(yaml.safe_dump(EXAMPLE_SPEC, allow_unicode=True))))["vanban.dac_ta"]
    assert as_mapping.split(" sha256:")[1] == as_text.split(" sha256:")[1]
    other = custom(pipeline.render({**EXAMPLE_SPEC, "dia_danh": "Nơi khác"}))["vanban.dac_ta"]
    assert other != as_mapping


def test_an_edited_template_or_framework_gives_a_new_hash_though_both_are_cached(tmp_path: Path) -> None:
    folder = tmp_path / "rieng"
    shutil.copytree(DIEN_BIEN, folder)
    shutil.copy(TEMPLATES_DIR / "bao_cao" / "bao_cao.docx", folder / "mau.docx")
    shutil.copy(ROOT / "engine" / "scoring" / "frameworks" / "nd61_qd1187_dien_bien.yaml", folder / "bo.yaml")
    spec = folder / "spec.yaml"
    text = spec.read_text(encoding="utf-8").replace("bo_tieu_chi: nd61_qd1187_dien_bien", "bo_tieu_chi: bo.yaml")
    spec.write_text("mau: mau.docx\n" + text, encoding="utf-8")
    before = custom(pipeline.render(spec))
    assert before["vanban.mau"] == f"mau.docx sha256:{sha(folder / 'mau.docx')}"
    assert before["vanban.cham_diem.tc_huyen.bo_tieu_chi"] == f"bo.yaml sha256:{sha(folder / 'bo.yaml')}"
    (folder / "bo.yaml").write_text((folder / "bo.yaml").read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    with zipfile.ZipFile(folder / "mau.docx", "a") as template:
        template.writestr("customXml/them.xml", "<a/>")
    os.utime(folder / "mau.docx", ns=(1, 1))  # a new modification time, as an edit gives
    os.utime(folder / "bo.yaml", ns=(1, 1))
    after = custom(pipeline.render(spec))
    assert after["vanban.mau"] == f"mau.docx sha256:{sha(folder / 'mau.docx')}" != before["vanban.mau"]
    assert after["vanban.cham_diem.tc_huyen.bo_tieu_chi"] == f"bo.yaml sha256:{sha(folder / 'bo.yaml')}"


def test_a_provinces_own_template_keeps_its_own_custom_properties_but_not_its_stale_ones(tmp_path: Path) -> None:
    from tests.word.province import TARGET

    label = ('<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument'
             '/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
             '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Mật"><vt:lpwstr>Thường'
             '</vt:lpwstr></property><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" '
             'name="vanban.phien_ban"><vt:lpwstr>0.0.1</vt:lpwstr></property></Properties>').encode()
    package = TARGET.read_bytes()
    parts = parts_of(package)
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'custom-properties+xml"/></Types>'))
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"</Relationships>", (
        b'<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'custom-properties" Target="docProps/custom.xml"/></Relationships>'))
    folder = tmp_path / "tinh"
    shutil.copytree(TARGET.parent, folder)
    with zipfile.ZipFile(folder / TARGET.name, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)
        out.writestr("docProps/custom.xml", label)
    rendered = pipeline.render(folder / "spec.yaml")
    pairs = read_properties(parts_of(rendered)).pairs
    assert pairs[0] == ("Mật", "Thường")  # the province's label, as Word keeps a template's
    assert dict(pairs)["vanban.phien_ban"] == version("vanban-engine")  # not the template's stale one
    assert sum(name == "vanban.phien_ban" for name, _ in pairs) == 1
    assert describe(rendered, "bc.docx").intact


def test_info_tells_a_changed_part_an_edited_record_and_a_file_not_ours(dien_bien: bytes) -> None:
    ours = describe(dien_bien, "bc.docx")
    assert ours.made_by_engine and ours.intact and ours.engine_version == version("vanban-engine")
    assert [item.field for item in ours.inputs][:2] == ["dac_ta", "du_lieu.hs"]

    body = parts_of(dien_bien)["word/document.xml"].replace("Điện Biên".encode(), "Điện Biên Phủ".encode(), 1)
    edited = describe(rezip(dien_bien, {"word/document.xml": body}), "bc.docx")
    assert not edited.intact and edited.changed_parts == ("word/document.xml",)
    assert "thân văn bản (word/document.xml)" in edited.summary and "đã bị sửa sau khi dựng" in edited.summary

    record = parts_of(dien_bien)["docProps/custom.xml"].replace(b"spec.yaml sha256:", b"khac.yaml sha256:")
    forged = describe(rezip(dien_bien, {"docProps/custom.xml": record}), "bc.docx")
    assert not forged.intact and forged.record_altered and not forged.changed_parts

    foreign = describe((ROOT / "fixtures" / "mau_rieng_tinh" / "mau_tinh.docx").read_bytes(), "mau_tinh.docx")
    assert not foreign.made_by_engine and foreign.intact is None
    assert "không do vanban-engine dựng" in foreign.summary and "Microsoft Macintosh Word" in foreign.summary


def test_vanban_info_prints_where_a_docx_came_from_as_text_and_json(dien_bien: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bc.docx"
    path.write_bytes(dien_bien)
    text = CliRunner().invoke(main, ["info", str(path)])
    assert text.exit_code == 0, text.output
    assert "Do vanban-engine" in text.output and "không bị sửa sau khi dựng" in text.output
    assert f"spec.yaml  sha256:{sha(DIEN_BIEN / 'spec.yaml')}" in text.output
    shown = CliRunner().invoke(main, ["info", str(path), "--json"])
    data = json.loads(shown.output)
    assert data["made_by_engine"] and data["unchanged"] and data["kind"] == "docx"
    assert data["inputs"][0] == {"field": "dac_ta", "name": "spec.yaml", "sha256": sha(DIEN_BIEN / "spec.yaml"),
                                 "builtin": False, "role": ""}
    assert data["created"] == "2021-06-22T00:00:00Z" and data["date_source"] == "van_ban"


def test_check_says_whether_the_docx_was_changed_without_failing_a_conformant_one(dien_bien: bytes,
                                                                                  tmp_path: Path) -> None:
    path = tmp_path / "bc.docx"
    body = parts_of(dien_bien)["word/document.xml"].replace("Điện Biên".encode(), "Điện Biên Phủ".encode(), 1)
    path.write_bytes(rezip(dien_bien, {"word/document.xml": body}))
    run = CliRunner().invoke(main, ["check", str(path)])
    assert run.exit_code == 0, run.output  # still conformant: the change is information
    assert "đúng thể thức" in run.output and "đã bị sửa sau khi dựng" in run.output
    data = json.loads(CliRunner().invoke(main, ["check", str(path), "--json"]).output)
    assert data["findings"] == [] and data["provenance"]["unchanged"] is False
    assert data["provenance"]["changed_parts"] == ["word/document.xml"]


@pytest.mark.parametrize(("content", "code", "exit_code"), [
    (b"not a document at all", "DOCX_UNREADABLE", 8),
    (b"PK\x03\x04 a zip that ends here", "FILE_ZIP", 8),
    (b"%PDF-1.7\n" + b"\x00" * 64, "DOCX_UNREADABLE", 8),  # says it is a PDF, is not one
])
def test_info_refuses_what_is_not_a_docx_or_pdf_by_name(tmp_path: Path, content: bytes, code: str,
                                                          exit_code: int) -> None:
    path = tmp_path / "tep.docx"
    path.write_bytes(content)
    run = CliRunner().invoke(main, ["info", str(path), "--json"])
    assert run.exit_code == exit_code, run.output
    assert json.loads(run.output)[0]["code"] == code


def test_info_refuses_a_zip_bomb_and_huge_properties_by_name(dien_bien: bytes, tmp_path: Path) -> None:
    from tests.hostile.corpus import docx_bomb

    run = CliRunner().invoke(main, ["info", str(docx_bomb(tmp_path / "bom.docx")), "--json"])
    assert run.exit_code == 10 and json.loads(run.output)[0]["code"] == "LIMIT_ZIP"
    title = os.urandom(1_000_000).hex().encode()  # 2 MB that does not compress like a bomb
    huge = parts_of(dien_bien)["docProps/core.xml"].replace(b"<dc:title>", b"<dc:title>" + title)
    path = tmp_path / "to.docx"
    path.write_bytes(rezip(dien_bien, {"docProps/core.xml": huge}))
    run = CliRunner().invoke(main, ["info", str(path), "--json"])
    assert run.exit_code == 10 and json.loads(run.output)[0]["code"] == "LIMIT_TEXT"
    path.write_bytes(rezip(dien_bien, {"docProps/custom.xml": b"<Properties><property"}))
    run = CliRunner().invoke(main, ["info", str(path), "--json"])
    assert run.exit_code == 8 and json.loads(run.output)[0]["code"] == "FILE_XML"
