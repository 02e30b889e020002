"""Several signers side by side, signature and seal images, and Nơi nhận with sub-headings: spec, context, render."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
import yaml
from docx import Document
from lxml import etree

from engine import prepare, render
from engine.conformance import check_document
from engine.context import noi_nhan_lines, signature_rows
from engine.errors import LimitError, Location, SpecError, TemplateError
from engine.render.outline import document_text
from engine.spec.loader import load_spec_text
from engine.spec.models import MAX_SIGNERS
from engine.trust.images import checked_image
from tests.unit.test_spec_errors import GOOD

HERE = Location(file="spec.yaml", field="nguoi_ky.chu_ky")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"

SIGNERS = """\
nguoi_ky:
  - quyen_han: TM.
    thay: Ủy ban nhân dân
    chuc_vu: Chủ tịch
    ho_ten: Nguyễn Văn An
  - co_quan: {ten: [ỦY BAN MẶT TRẬN, TỔ QUỐC VIỆT NAM, XÃ AN BÌNH], viet_tat: MTTQ}
    quyen_han: TM.
    thay: Ban Thường trực
    chuc_vu: Chủ tịch
    ho_ten: Lò Thị Bình
  - co_quan: {ten: [HỘI NÔNG DÂN, XÃ AN BÌNH], viet_tat: HND}
    chuc_vu: Chủ tịch
    ho_ten: Lý Văn Cường
"""


def joint(extra: str = "", signers: str = SIGNERS) -> str:
    """GOOD with three signers, each of a different body (the first the issuing body's)."""
    head = GOOD.split("nguoi_ky:\n")[0]
    return head + signers + extra


def van_ban(text: str, base_dir: Path | None = None) -> dict:
    return prepare(load_spec_text(text, base_dir=base_dir)).context["van_ban"]


def problems(text: str) -> list:
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, name="spec.yaml")
    return caught.value.problems


def png(width: int = 8, height: int = 4, *, alpha: bool = True, trns: bool = False) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    colour = 6 if alpha else 2
    pixel = b"\xd0\x10\x20\xc0" if alpha else b"\xd0\x10\x20"
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))
    extra = chunk(b"tRNS", b"\x00\xff\x00\xff\x00\xff") if trns else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width: int = 60, height: int = 24) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 50, 170)).save(buffer, format="JPEG")
    return buffer.getvalue()


# ----- the spec ------------------------------------------------------------------------------------------------


def test_a_single_signer_spec_is_unchanged_and_still_one_mapping() -> None:
    spec = load_spec_text(GOOD).spec
    assert [s.ho_ten for s in spec.signers] == ["Nguyễn Văn An"]
    assert spec.symbol() == "BC-UBND"


def test_several_signers_name_every_issuing_body_in_the_symbol_lead_first() -> None:
    spec = load_spec_text(joint()).spec
    assert [s.ho_ten for s in spec.signers] == ["Nguyễn Văn An", "Lò Thị Bình", "Lý Văn Cường"]
    assert spec.symbol() == "BC-UBND-MTTQ-HND"
    cong_van = load_spec_text(joint().replace("loai: bao_cao", "loai: cong_van") + "don_vi_soan_thao: VP\n").spec
    assert cong_van.symbol() == "UBND-MTTQ-HND-VP"


def test_a_co_issuing_body_without_its_abbreviation_cannot_make_the_symbol() -> None:
    [problem] = problems(joint().replace(", viet_tat: HND", ""))
    assert problem.code == "SPEC_MISSING" and "HỘI NÔNG DÂN XÃ AN BÌNH" in problem.message
    assert load_spec_text(joint().replace(", viet_tat: HND", "") + "ky_hieu: KHLT-UBND-MTTQ\n").spec.symbol() \
        == "KHLT-UBND-MTTQ"


def test_the_first_signer_signs_for_the_issuing_body() -> None:
    other = joint(signers=SIGNERS.replace("  - quyen_han: TM.\n", "  - co_quan: HỘI PHỤ NỮ\n    quyen_han: TM.\n", 1))
    [problem] = problems(other)
    assert problem.code == "SPEC_VALUE" and "người ký đầu tiên ký cho cơ quan ban hành" in problem.message
    same = other.replace("co_quan: HỘI PHỤ NỮ", "co_quan: [Ủy ban nhân dân, xã An Bình]")
    assert len(load_spec_text(same).spec.agencies) == 3  # naming the issuing body itself is allowed


def test_a_hundred_signers_are_refused_with_the_most_a_page_holds() -> None:
    one = "  - {chuc_vu: Chủ tịch, ho_ten: Nguyễn Văn An}\n"
    [problem] = problems(joint(signers="nguoi_ky:\n" + one * 100))
    assert problem.code == "SPEC_VALUE" and problem.location.line == 15
    assert f"100 người ký; nhiều nhất {MAX_SIGNERS}" in problem.message
    assert len(load_spec_text(joint(signers="nguoi_ky:\n" + one * MAX_SIGNERS)).spec.signers) == MAX_SIGNERS


def test_an_empty_list_of_signers_and_a_wrong_type_are_errors_at_nguoi_ky() -> None:
    [empty] = problems(joint(signers="nguoi_ky: []\n"))
    assert empty.code == "SPEC_VALUE" and empty.location.field == "nguoi_ky"
    [text] = problems(joint(signers="nguoi_ky: Nguyễn Văn An\n"))
    assert text.code == "SPEC_TYPE" and "danh sách" in text.message


def test_every_signer_is_checked_at_its_own_place_all_at_once() -> None:
    wrong = joint(signers=SIGNERS.replace("    ho_ten: Lò Thị Bình\n", "    ho_ten: TS. Lò Thị Bình\n")
                  .replace("  - co_quan: {ten: [HỘI NÔNG DÂN, XÃ AN BÌNH], viet_tat: HND}\n    chuc_vu: Chủ tịch\n",
                           "  - co_quan: {ten: [HỘI NÔNG DÂN, XÃ AN BÌNH], viet_tat: HND}\n    quyen_han: KT.\n"))
    found = {(p.location.field, p.code) for p in problems(wrong)}
    assert ("nguoi_ky[1].ho_ten", "SPEC_VALUE") in found
    assert ("nguoi_ky[2]", "SPEC_MISSING") in found  # KT. without 'thay'


def test_a_seal_needs_the_signature_it_covers() -> None:
    [problem] = problems(GOOD + "  dau: dau.png\n")
    assert problem.code == "SPEC_VALUE" and "cần 'chu_ky'" in problem.message


def test_a_noi_nhan_group_is_written_as_its_heading_with_the_items_under_it() -> None:
    text = GOOD.replace("  cac_noi: [UBND huyện]\n", "  cac_noi:\n    - Như trên\n    - Gửi bản điện tử:\n"
                        "        - Văn phòng UBND huyện\n        - Trang TTĐT xã\n"
                        "    - {tieu_de: 'Gửi bản giấy:', cac_noi: [Các thôn]}\n")
    items = load_spec_text(text).spec.noi_nhan.cac_noi
    assert items[0] == "Như trên"
    assert (items[1].tieu_de, items[1].cac_noi) == ("Gửi bản điện tử", ["Văn phòng UBND huyện", "Trang TTĐT xã"])
    assert (items[2].tieu_de, items[2].cac_noi) == ("Gửi bản giấy", ["Các thôn"])


def test_a_noi_nhan_group_without_items_is_an_error_at_its_line() -> None:
    text = GOOD.replace("  cac_noi: [UBND huyện]\n", "  cac_noi:\n    - UBND huyện\n    - Gửi bản điện tử:\n")
    [problem] = problems(text)
    assert problem.code == "SPEC_VALUE" and "'Gửi bản điện tử' chưa có nơi nào" in problem.message
    assert problem.location.line == 14


# ----- the context: the strings the templates print ---------------------------------------------------------------


def test_sub_headings_get_no_dash_and_no_item_punctuation_the_storage_line_ends_the_list() -> None:
    lines = noi_nhan_lines(["Như trên", ("Gửi bản điện tử", ["A", "B;"]), ("- Gửi bản giấy:;", ["C"])], ["VP"])
    assert lines == ["- Như trên;", "Gửi bản điện tử:", "- A;", "- B;", "Gửi bản giấy:", "- C;", "- Lưu: VT, VP."]


def test_the_noi_nhan_of_a_spec_with_groups_evaluates_expressions_in_headings_and_items() -> None:
    text = GOOD.replace("  cac_noi: [UBND huyện]\n", "  cac_noi:\n    - 'Gửi bản điện tử ({{ van_ban.so }})':\n"
                        "        - '{{ van_ban.dia_danh }}'\n")
    assert van_ban(text)["noi_nhan"] == ["Gửi bản điện tử (07):", "- An Bình;", "- Lưu: VT, VP."]


def test_signers_are_two_to_a_row_the_first_of_each_pair_on_the_right() -> None:
    fields = van_ban(joint())
    assert fields["nhieu_nguoi_ky"] is True
    assert fields["nguoi_ky"] == fields["cac_nguoi_ky"][0]
    rows = [(row["trai"]["ho_ten"] if row["trai"] else None, row["phai"]["ho_ten"]) for row in fields["hang_ky"]]
    assert rows == [("Lò Thị Bình", "Nguyễn Văn An"), (None, "Lý Văn Cường")]
    assert [s["co_quan"] for s in fields["cac_nguoi_ky"]] == [
        "ỦY BAN NHÂN DÂN\nXÃ AN BÌNH", "ỦY BAN MẶT TRẬN\nTỔ QUỐC VIỆT NAM\nXÃ AN BÌNH", "HỘI NÔNG DÂN\nXÃ AN BÌNH"]
    assert signature_rows([{"ho_ten": "A"}, {"ho_ten": "B"}]) == [{"phai": {"ho_ten": "A"}, "trai": {"ho_ten": "B"}}]


def test_the_header_names_every_issuing_body_one_under_another_joined_by_a_dash() -> None:
    fields = van_ban(joint())
    assert fields["co_quan_ban_hanh"] == ("ỦY BAN NHÂN DÂN\nXÃ AN BÌNH\u00a0-\nỦY BAN MẶT TRẬN\nTỔ QUỐC VIỆT NAM\n"
                                          "XÃ AN BÌNH\u00a0-\nHỘI NÔNG DÂN\nXÃ AN BÌNH")
    assert van_ban(GOOD)["co_quan_ban_hanh"] == "ỦY BAN NHÂN DÂN\nXÃ AN BÌNH"
    assert van_ban(joint())["so_ky_hieu"] == "Số: 07/BC-UBND-MTTQ-HND"


# ----- images --------------------------------------------------------------------------------------------------


def test_a_png_and_a_jpeg_are_read_from_their_headers() -> None:
    assert (checked_image(png(8, 4), HERE).width, checked_image(png(8, 4), HERE).height) == (8, 4)
    image = checked_image(jpeg(60, 24), HERE)
    assert (image.format, image.width, image.height, image.transparent) == ("jpeg", 60, 24, False)


def test_a_jpeg_claiming_four_billion_pixels_is_a_limit_before_anything_decodes_it() -> None:
    data = bytearray(jpeg())
    frame = next(i for i in range(len(data) - 1) if data[i] == 0xFF and data[i + 1] == 0xC0)
    data[frame + 5:frame + 9] = struct.pack(">HH", 65535, 65535)
    with pytest.raises(LimitError) as caught:
        checked_image(bytes(data), HERE)
    assert caught.value.problems[0].code == "LIMIT_FILE_SIZE" and "65.535 × 65.535" in caught.value.problems[0].message


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0\x00", b"\xff\xd8\xff\xe0\x00\x01abc", b"\xff\xd8\xffAAAA" * 3,
                                  b"\xff\xd8\xff\xd9", b"GIF89a" + b"\0" * 30, b"\x89PNG\r\n\x1a\n\0\0"],
                         ids=["cut", "short_segment", "not_a_marker", "no_frame", "gif", "png_cut"])
def test_a_broken_or_unknown_image_is_a_spec_value_error(data: bytes) -> None:
    with pytest.raises(SpecError) as caught:
        checked_image(data, HERE)
    assert caught.value.problems[0].code == "SPEC_VALUE"


def test_a_seal_must_be_transparent_a_jpeg_or_an_opaque_png_would_hide_the_signature() -> None:
    for opaque in (jpeg(), png(alpha=False)):
        with pytest.raises(SpecError) as caught:
            checked_image(opaque, HERE, role="dau")
        assert "nền trong suốt" in caught.value.problems[0].message
    assert checked_image(png(alpha=True), HERE, role="dau").transparent
    assert checked_image(png(alpha=False, trns=True), HERE, role="dau").transparent


# ----- the rendered document -------------------------------------------------------------------------------------


def _with_images(tmp_path: Path, signers: str = SIGNERS) -> Path:
    (tmp_path / "ky.png").write_bytes(png(120, 48))
    (tmp_path / "ky.jpg").write_bytes(jpeg(120, 48))
    (tmp_path / "dau.png").write_bytes(png(100, 100))
    first, second = "    ho_ten: Nguyễn Văn An\n", "    ho_ten: Lò Thị Bình\n"
    text = joint(signers=signers.replace(first, first + "    chu_ky: ky.png\n    dau: {tep: dau.png, rong: 30}\n")
                 .replace(second, second + "    chu_ky: {tep: ky.jpg, rong: 35}\n"))
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    return tmp_path / "spec.yaml"


def test_three_signers_render_two_to_a_row_with_noi_nhan_below_and_pass_check(tmp_path: Path) -> None:
    package = render(_with_images(tmp_path))
    doc = Document(io.BytesIO(package))
    blocks = doc.tables[1]
    cells = [[p.text for p in cell.paragraphs if p.text] for row in blocks.rows for cell in row.cells]
    assert cells == [["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH", "Lò Thị Bình"],
                     ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn An"],
                     [], ["CHỦ TỊCH", "Lý Văn Cường"]]
    text = document_text(package).splitlines()
    assert text[-3:] == ["Nơi nhận:", "- UBND huyện;", "- Lưu: VT, VP."]
    assert check_document(package) == []


def test_the_seal_floats_over_the_left_third_of_its_signature_and_every_drawing_has_its_own_id(tmp_path: Path) -> None:
    package = render(_with_images(tmp_path))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(media) == 3  # signature PNG, seal PNG, signature JPEG
    anchors = body.findall(f".//{{{WP}}}anchor")
    inlines = body.findall(f".//{{{WP}}}inline")
    assert (len(anchors), len(inlines)) == (1, 2)
    [seal] = anchors
    paragraph = next(seal.iterancestors(f"{{{W}}}p"))
    assert paragraph.findall(f".//{{{WP}}}inline"), "the seal is anchored in its signature's paragraph"
    signature_cx = int(paragraph.find(f".//{{{WP}}}inline/{{{WP}}}extent").get("cx"))
    seal_cx = int(seal.find(f"{{{WP}}}extent").get("cx"))
    assert seal_cx == 30 * 36000 and signature_cx == 40 * 36000  # rong 30 mm; the signature's 40 mm by default
    across = seal.find(f"{{{WP}}}positionH")
    cell_twips = int(next(paragraph.iterancestors(f"{{{W}}}tc")).find(f"{{{W}}}tcPr/{{{W}}}tcW").get(f"{{{W}}}w"))
    text_width = (cell_twips - 2 * 108) * 635  # less Word's default cell padding, in EMU
    signature_left = (text_width - signature_cx) // 2  # the signature is centred in its cell
    assert across.get("relativeFrom") == "column"
    # the seal's right edge a third of the way into the signature
    assert int(across.find(f"{{{WP}}}posOffset").text) == signature_left + signature_cx // 3 - seal_cx
    assert seal.get("behindDoc") == "0" and seal.find(f"{{{WP}}}wrapNone") is not None
    ids = [d.get("id") for d in body.iter(f"{{{WP}}}docPr")]
    assert len(ids) == len(set(ids)) == 3
    jpeg_cx = [int(i.find(f"{{{WP}}}extent").get("cx")) for i in inlines]
    assert 35 * 36000 in jpeg_cx


def test_a_single_signer_with_a_seal_keeps_noi_nhan_beside_the_block(tmp_path: Path) -> None:
    (tmp_path / "ky.png").write_bytes(png(120, 48))
    (tmp_path / "dau.png").write_bytes(png(100, 100))
    package = render(load_spec_text(GOOD + "  chu_ky: ky.png\n  dau: dau.png\n", base_dir=tmp_path))
    doc = Document(io.BytesIO(package))
    assert len(doc.tables) == 2
    assert doc.tables[1].rows[0].cells[0].paragraphs[0].text == "Nơi nhận:"
    assert check_document(package) == []


def _one_signer_template(folder: Path) -> Path:
    """A province's template made before several signers existed: it prints van_ban.nguoi_ky only."""
    doc = Document()
    for tag in ("{{ van_ban.co_quan_ban_hanh }}", "Nơi nhận:", "{%p for x in van_ban.noi_nhan %}", "{{ x }}",
                "{%p endfor %}", "{{ van_ban.nguoi_ky.quyen_han }}", "{{ van_ban.nguoi_ky.ho_ten }}"):
        doc.add_paragraph(tag)
    doc.save(str(folder / "mau_cu.docx"))
    return folder / "mau_cu.docx"


def test_a_template_that_prints_one_signer_refuses_a_document_with_several(tmp_path: Path) -> None:
    _one_signer_template(tmp_path)
    (tmp_path / "spec.yaml").write_text(joint() + "mau: mau_cu.docx\n", encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        render(tmp_path / "spec.yaml")
    problem = caught.value.problems[0]
    assert problem.code == "TEMPLATE_SIGNERS" and "3 người ký" in problem.message
    assert problem.location.file == "mau_cu.docx"


def test_a_template_that_prints_one_signer_still_renders_a_one_signer_document(tmp_path: Path) -> None:
    _one_signer_template(tmp_path)
    spec = load_spec_text(GOOD + "mau: mau_cu.docx\n", base_dir=tmp_path)
    assert document_text(render(spec)).splitlines() == [
        "ỦY BAN NHÂN DÂN", "XÃ AN BÌNH", "Nơi nhận:", "- UBND huyện;", "- Lưu: VT, VP.", "TM. ỦY BAN NHÂN DÂN",
        "Nguyễn Văn An"]


def test_validate_names_the_template_that_cannot_print_several_signers(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    _one_signer_template(tmp_path)
    (tmp_path / "spec.yaml").write_text(joint() + "mau: mau_cu.docx\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "spec.yaml"), "--json"])
    assert result.exit_code == 5
    assert [p["code"] for p in yaml.safe_load(result.output)] == ["TEMPLATE_SIGNERS"]


def test_a_seal_in_a_paragraph_of_the_page_is_placed_from_the_page_text_width(tmp_path: Path) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document()
    doc.add_paragraph("{{ van_ban.nguoi_ky.ho_ten }}")
    doc.add_paragraph("{{ van_ban.nguoi_ky.chu_ky }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    section = doc.sections[0]
    text_width = (section.page_width - section.left_margin - section.right_margin)
    doc.save(str(tmp_path / "mau.docx"))
    (tmp_path / "ky.png").write_bytes(png(120, 48))
    (tmp_path / "dau.png").write_bytes(png(100, 100))
    spec = load_spec_text(GOOD + "  chu_ky: ky.png\n  dau: dau.png\nmau: mau.docx\n", base_dir=tmp_path)
    with zipfile.ZipFile(io.BytesIO(render(spec))) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    [seal] = body.findall(f".//{{{WP}}}anchor")
    signature, width = 40 * 36000, 36 * 36000  # the default widths
    expected = (int(text_width) - signature) // 2 + signature // 3 - width
    assert abs(int(seal.find(f"{{{WP}}}positionH/{{{WP}}}posOffset").text) - expected) < 635  # within a twip


def _docs_blocks(heading: str) -> list[tuple[str, str]]:
    """The fenced blocks (language, text) of a section of docs/spec.md, in order."""
    import re

    from tests.conftest import ROOT

    section = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ")[0]
    return re.findall(r"^```(\w*)\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)


def test_the_examples_of_docs_spec_md_are_what_the_engine_reads_and_prints() -> None:
    base = yaml.safe_load(GOOD)
    [(_, joint_text)] = _docs_blocks("Nhiều người ký, ảnh chữ ký và dấu")
    spec = load_spec_text(yaml.safe_dump({**base, **yaml.safe_load(joint_text)}, allow_unicode=True)).spec
    assert spec.symbol() == "BC-UBND-MTTQ-HND" and len(spec.signers) == 3
    (_, groups_text), (_, printed_text) = _docs_blocks("Nơi nhận chia nhóm")
    groups, printed = yaml.safe_load(groups_text), printed_text.strip().splitlines()
    lines = van_ban(yaml.safe_dump({**base, **groups}, allow_unicode=True))["noi_nhan"]
    assert ["Nơi nhận:", *lines] == printed
