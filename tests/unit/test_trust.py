"""The trust boundary decides alone what may be read, how much, and in what shape (engine/trust)."""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from engine.errors import AccessError, DataError, DocumentError, LimitError, Location, SpecError, TemplateError
from engine.trust.files import Access, InputFile, decode_text, path_name_problem, read_file
from engine.trust.limits import LIMIT_DOCS, Limits, current_limits, parse_limit_settings, using_limits
from engine.trust.packages import field_codes, open_package
from engine.trust.plain import plain_data, unprintable_text
from tests.conftest import ROOT

HERE = Location(file="spec.yaml", field="du_lieu.x")


def code_of(caught: pytest.ExceptionInfo) -> str:
    return caught.value.problems[0].code


# ----- which files a spec may read -----------------------------------------------------------------


@pytest.fixture
def spec_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bc"
    (folder / "so_lieu").mkdir(parents=True)
    (folder / "so_lieu" / "a.yaml").write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "ngoai.yaml").write_text("bi_mat: 1\n", encoding="utf-8")
    return folder


def test_a_file_in_the_spec_folder_or_below_it_is_read(spec_folder: Path) -> None:
    file = Access.for_spec(spec_folder).read("so_lieu/a.yaml", where=HERE, role="du_lieu")
    assert file.data == b"a: 1\n"
    assert file.name == str(spec_folder / "so_lieu" / "a.yaml")


@pytest.mark.parametrize("written", ["../ngoai.yaml", "so_lieu/../../ngoai.yaml", "/etc/hostname", "/etc/passwd"])
def test_a_path_that_leaves_the_spec_folder_is_refused_with_its_field(spec_folder: Path, written: str) -> None:
    with pytest.raises(AccessError) as caught:
        Access.for_spec(spec_folder).read(written, where=HERE, role="du_lieu")
    [problem] = caught.value.problems
    assert problem.code == "ACCESS_OUTSIDE"
    assert written in problem.message and problem.location.field == "du_lieu.x"
    assert "--cho-phep" in (problem.hint or "")


def test_a_symlink_that_leads_outside_is_refused_and_one_that_stays_inside_is_read(spec_folder: Path) -> None:
    (spec_folder / "ra_ngoai.yaml").symlink_to(spec_folder.parent / "ngoai.yaml")
    (spec_folder / "o_trong.yaml").symlink_to(spec_folder / "so_lieu" / "a.yaml")
    access = Access.for_spec(spec_folder)
    with pytest.raises(AccessError) as caught:
        access.read("ra_ngoai.yaml", where=HERE, role="du_lieu")
    assert code_of(caught) == "ACCESS_OUTSIDE" and "liên kết tượng trưng" in caught.value.problems[0].message
    assert access.read("o_trong.yaml", where=HERE, role="du_lieu").data == b"a: 1\n"


def test_a_folder_the_user_allows_can_be_read(spec_folder: Path) -> None:
    access = Access.for_spec(spec_folder, [spec_folder.parent])
    assert access.read("../ngoai.yaml", where=HERE, role="du_lieu").data == b"bi_mat: 1\n"


def test_the_engine_templates_can_be_named_from_any_spec(spec_folder: Path) -> None:
    from engine.kinds import TEMPLATES_DIR

    target = Access.for_spec(spec_folder).resolve(str(TEMPLATES_DIR / "bao_cao" / "bao_cao.docx"), where=HERE,
                                                   role="mau")
    assert target.is_file()


def test_a_spec_without_a_folder_opens_no_path_at_all(spec_folder: Path) -> None:
    with pytest.raises(AccessError) as caught:
        Access.for_spec(None).read(str(spec_folder / "so_lieu" / "a.yaml"), where=HERE, role="du_lieu")
    assert code_of(caught) == "ACCESS_OUTSIDE" and "chỉ dùng tên" in caught.value.problems[0].message


def test_a_name_too_long_for_any_file_system_is_a_named_refusal(spec_folder: Path) -> None:
    assert path_name_problem("a" * 256) is not None and path_name_problem("a" * 255) is None
    assert path_name_problem("x\x00y") == "đường dẫn có ký tự NUL"
    with pytest.raises(AccessError) as caught:
        Access.for_spec(spec_folder).read("b" * 300 + ".csv", where=HERE, role="du_lieu")
    assert code_of(caught) == "PATH_NAME"


# ----- what a file must be -------------------------------------------------------------------------


def test_devices_fifos_and_folders_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "ong")  # opening it for reading would wait for a writer for ever
    for path in ("/dev/zero", "/dev/urandom", tmp_path / "ong", tmp_path):
        with pytest.raises(AccessError) as caught:
            read_file(path, role="dac_ta")
        assert code_of(caught) == "ACCESS_NOT_FILE", path


def test_a_file_over_its_limit_is_refused_after_reading_one_byte_past_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "lon.csv"
    big.write_bytes(b"x" * 2048)
    with using_limits(replace(Limits(), tep_du_lieu=1024)), pytest.raises(LimitError) as caught:
        read_file(big, role="du_lieu")
    assert code_of(caught) == "LIMIT_FILE_SIZE" and "tep_du_lieu" in (caught.value.problems[0].hint or "")
    assert read_file(big, role="du_lieu").data == b"x" * 2048


def test_a_missing_file_is_the_error_of_its_role(tmp_path: Path) -> None:
    for role, error, code in (("dac_ta", SpecError, "SPEC_FILE"), ("du_lieu", DataError, "DATA_FILE"),
                              ("mau", TemplateError, "TEMPLATE_FILE"), ("van_ban", DocumentError, "DOCX_UNREADABLE")):
        with pytest.raises(error) as caught:
            read_file(tmp_path / "khong_co", role=role)
        assert code_of(caught) == code


# ----- text encodings ------------------------------------------------------------------------------

TEXT = "Tên đơn vị;Điểm\nUBND xã Mường Đùn;72,1\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_utf8_and_utf16_text_is_read_with_or_without_a_byte_order_mark(encoding: str) -> None:
    assert decode_text(InputFile("a.csv", TEXT.encode(encoding)), role="du_lieu").text == TEXT


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: letters with their vowel marks whole (ê, ơ, đ), tones as combining marks."""
    import unicodedata

    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for c in text:
        if c.encode("cp1258", errors="ignore"):
            out.append(c)
            continue
        base, *marks = unicodedata.normalize("NFD", c)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
        out.append(letter + "".join(m for m in marks if m in tones))
    return "".join(out).encode("cp1258")


def test_windows_1258_text_is_read_and_its_tone_marks_become_precomposed_letters() -> None:
    decoded = decode_text(InputFile("a.csv", windows_1258(TEXT)), role="du_lieu")
    assert decoded.encoding == "cp1258" and decoded.text == TEXT


def test_a_binary_file_is_refused_by_name() -> None:
    with pytest.raises(DataError) as caught:
        decode_text(InputFile("a.csv", b"PK\x03\x04\x00\x01\x02binary"), role="du_lieu")
    assert code_of(caught) == "FILE_ENCODING"


# ----- packages from outside -----------------------------------------------------------------------


def zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_file_that_is_not_a_zip_is_refused_by_name() -> None:
    with pytest.raises(DataError) as caught:
        open_package(b"not a zip", name="a.xlsx", role="du_lieu", kind=".xlsx")
    assert code_of(caught) == "FILE_ZIP" and "Excel" in caught.value.problems[0].message


def test_a_zip_bomb_is_refused_from_its_directory_before_it_is_inflated() -> None:
    bomb = zip_of({"word/document.xml": b" " * (8 << 20)})
    assert len(bomb) < 20_000
    with pytest.raises(LimitError) as caught:
        open_package(bomb, name="bom.docx", role="van_ban")
    assert code_of(caught) == "LIMIT_ZIP" and "bom nén" in caught.value.problems[0].message


def test_too_many_entries_and_too_much_in_all_are_refused() -> None:
    many = zip_of({f"x/{i}.xml": b"<a/>" for i in range(50)})
    with using_limits(replace(Limits(), so_muc_nen=10)), pytest.raises(LimitError):
        open_package(many, name="a.docx", role="van_ban")
    with using_limits(replace(Limits(), giai_nen=100)), pytest.raises(LimitError):
        open_package(many, name="a.docx", role="van_ban")


def test_a_dtd_in_any_part_is_refused() -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
              b"<w:document>&b;</w:document>")
    with pytest.raises(TemplateError) as caught:
        open_package(zip_of({"word/document.xml": laughs}), name="mau.docx", role="mau")
    assert code_of(caught) == "FILE_XML"


def test_links_that_make_libreoffice_read_other_files_are_refused_only_where_libreoffice_opens_it() -> None:
    linked = zip_of({"word/_rels/document.xml.rels": (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
        b'Target="file:///etc/passwd" TargetMode="External"/></Relationships>')})
    open_package(linked, name="a.docx", role="van_ban")  # check and snapshot only read it
    with pytest.raises(TemplateError) as caught:
        open_package(linked, name="mau.docx", role="mau", for_office=True)
    assert code_of(caught) == "FILE_LINK" and "image" in caught.value.problems[0].message


def test_a_hyperlink_is_only_an_address_and_is_kept() -> None:
    hyperlink = zip_of({"word/_rels/document.xml.rels": (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
        b'Target="https://dichvucong.gov.vn" TargetMode="External"/></Relationships>')})
    assert open_package(hyperlink, name="mau.docx", role="mau", for_office=True).names


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_a_field_that_fetches_a_file_is_found_even_when_word_split_its_code_into_runs() -> None:
    split = (f'<w:document {W}><w:body><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
             '<w:r><w:instrText> INCLU</w:instrText></w:r><w:r><w:instrText>DETEXT "/etc/passwd" </w:instrText></w:r>'
             '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
             '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
             '<w:fldSimple w:instr=" PAGE "/></w:p></w:body></w:document>').encode()
    assert field_codes(split, "word/document.xml", TemplateError, HERE) == [' INCLUDETEXT "/etc/passwd" ', " PAGE "]
    with pytest.raises(TemplateError) as caught:
        open_package(zip_of({"word/document.xml": split}), name="mau.docx", role="mau", for_office=True)
    assert code_of(caught) == "FILE_LINK" and "INCLUDETEXT" in caught.value.problems[0].message


# ----- data a program hands in ---------------------------------------------------------------------


def test_plain_data_is_copied_in_nfc_and_anything_else_is_refused_with_its_place() -> None:
    assert plain_data({"ten": ["e\u0302\u0301"]}) == {"ten": ["ế"]}
    with pytest.raises(SpecError) as caught:
        plain_data({"noi_dung": [{"doan": object()}]}, name="api")
    assert code_of(caught) == "SPEC_TYPE" and caught.value.problems[0].location.field == "noi_dung[0].doan"


def test_data_that_contains_itself_or_nests_too_deep_is_a_depth_limit() -> None:
    looped: dict = {"a": []}
    looped["a"].append(looped)
    deep: list = []
    cursor = deep
    for _ in range(10_000):
        cursor.append([])
        cursor = cursor[0]
    for data in (looped, deep):
        with pytest.raises(LimitError) as caught:
            plain_data(data)
        assert code_of(caught) == "LIMIT_DEPTH"


def test_text_a_document_cannot_hold_is_found_with_its_path() -> None:
    found = list(unprintable_text({"trich_yeu": "a\ud800b", "ok": ["tab\tand\nbreak"], "x": ["\x0b"]}))
    assert sorted(path for path, _ in found) == [("trich_yeu",), ("x", 0)]
    assert "U+D800" in dict(found)[("trich_yeu",)]


# ----- the limits themselves -----------------------------------------------------------------------


def test_limits_are_set_by_name_with_units_and_bad_settings_name_what_is_wrong() -> None:
    limits = parse_limit_settings(["so_dong=100000", "tep_du_lieu=200MB", "thoi_gian_dung=2,5"])
    assert (limits.so_dong, limits.tep_du_lieu, limits.thoi_gian_dung) == (100_000, 200 << 20, 2.5)
    with pytest.raises(SpecError) as caught:
        parse_limit_settings(["so_dongg=1", "so_cot=abc", "so_doan=5MB"])
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 3 and "so_dongg" in messages[0] and "abc" in messages[1]


def test_limits_apply_inside_their_block_only() -> None:
    before = current_limits()
    with using_limits(replace(before, so_dong=7)):
        assert current_limits().so_dong == 7
    assert current_limits() == before


def test_every_limit_is_in_the_readme_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", readme, flags=re.MULTILINE))
    defaults = Limits()
    for name in LIMIT_DOCS:
        assert name in documented, name
        assert documented[name].strip() == defaults.describe(name), name
