"""Body blocks: a table, footnotes, a picture and a chart stand in the body where the clerk puts them."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from engine import prepare, render
from engine.conformance import check_document
from engine.errors import EngineError, LimitError, SpecError
from engine.render.layout import read_layout
from engine.trust.limits import Limits, using_limits
from tests.conftest import FIXTURES
from tests.unit.test_spec_errors import GOOD

FEATURE = FIXTURES / "khoi_noi_dung" / "spec.yaml"


def with_body(body: str) -> str:
    return GOOD.replace("noi_dung:\n  - doan: Nội dung.\n", body)


def spec_in(tmp_path: Path, text: str, **files: bytes) -> Path:
    for name, data in files.items():
        (tmp_path / name.replace("_dot_", ".")).write_bytes(data)
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def codes(error: EngineError) -> list[str]:
    return [p.code for p in error.problems]


def messages(error: EngineError) -> str:
    return " | ".join(f"{p.location} {p.message}" for p in error.problems)


def png(width: int = 40, height: int = 20) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width: int = 30, height: int = 10) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


TABLE = """noi_dung:
  - bang:
      tieu_de: Bảng 1. Hồ sơ
      cot:
        - {tieu_de: STT, gia_tri: "{{ stt }}", rong: 1.2}
        - {tieu_de: Việc, gia_tri: "{{ dong.ten }}", rong: 6, can: trai}
        - {tieu_de: Số hồ sơ, nhom: Kết quả, gia_tri: "{{ dong.so }}", tong: true, can: phai}
        - {tieu_de: Tỷ lệ (%), nhom: Kết quả, gia_tri: "{{ dong.ty_le }}", so_le: 2, rong: 3}
      dong: "{{ ds }}"
      dong_tong: Tổng cộng
du_lieu:
  ds:
    - {ten: "Tiếp nhận **nhanh**", so: 1147, ty_le: 8.6}
    - {ten: Trả kết quả, so: 99, ty_le: 15}
"""


# ----- tables -----------------------------------------------------------------------------------------


def test_a_body_table_has_its_two_level_header_rows_totals_and_title() -> None:
    from engine.spec.loader import load_spec_text

    layout = read_layout(render(load_spec_text(with_body(TABLE))))
    table = next(t for t in layout.tables if t.borders != "không")
    assert table.header_rows == 2 and len(table.rows) == 5
    assert [(c.column, c.span, c.merge) for c in table.rows[0]] == [(1, 1, "restart"), (2, 1, "restart"), (3, 2, "")]
    cells = {p.cell: p for p in layout.in_table(table.number)}
    assert [cells[(5, c)].text for c in (1, 3)] == ["Tổng cộng", "1.246"]  # 1.147 + 99, added by the engine
    assert [cells[(r, 4)].text for r in (3, 4)] == ["8,60", "15,00"]  # the column's two decimals
    assert cells[(3, 2)].text == "Tiếp nhận **nhanh**"  # data's stars are text
    assert cells[(3, 3)].alignment == "right"
    title = layout.paragraphs[layout.paragraphs.index(cells[(1, 1)]) - 1]
    assert title.text == "Bảng 1. Hồ sơ" and title.runs[0].bold and title.alignment == "center"


def test_inline_rows_are_lists_in_column_order_or_mappings_by_key_with_markup() -> None:
    from engine.spec.loader import load_spec_text

    body = """noi_dung:
  - bang:
      cot: [{tieu_de: Việc, ma: viec, rong: 8}, {tieu_de: Số, ma: so, rong: 3, tong: true}]
      dong: [{viec: "**Tiếp nhận**", so: 3}, ["Trả", 4.5]]
      dong_tong: Cộng
"""
    layout = read_layout(render(load_spec_text(with_body(body))))
    table = next(t for t in layout.tables if t.borders != "không")
    cells = {p.cell: p for p in layout.in_table(table.number)}
    assert [r.text for r in cells[(2, 1)].runs if r.bold] == ["Tiếp nhận"]
    assert cells[(4, 2)].text == "7,5"


@pytest.mark.parametrize(("body", "words"), [
    ("  - bang: {cot: [{tieu_de: A, ma: a}], dong: [{b: 1}]}\n", "dòng 1 có cột 'b' mà bảng không có"),
    ("  - bang: {cot: [{tieu_de: A}, {tieu_de: B}], dong: [[1]]}\n", "dòng 1 có 1 ô, bảng có 2 cột"),
    ("  - bang: {cot: [{tieu_de: A, gia_tri: '{{ dong }}'}], dong: '{{ d }}'}\n", "phải cho ra một danh sách"),
    ("  - bang: {cot: [{tieu_de: A}], dong: '{{ ds }}'}\n", "cần 'gia_tri'"),
    ("  - bang: {cot: [{tieu_de: A, rong: 10}, {tieu_de: B, rong: 10}], dong: [[1, 2]]}\n", "quá 16,5 cm"),
    ("  - bang: {cot: [{tieu_de: A, ma: a}, {tieu_de: B, ma: b, tong: true}], dong: [[x, y]], dong_tong: Cộng}\n",
     "không phải số"),
    ("  - bang: {cot: [{tieu_de: A, tong: true}], dong: [[1]], dong_tong: Cộng}\n", "cột đầu tiên"),
])
def test_a_wrong_table_is_a_vietnamese_error_at_its_line(body: str, words: str) -> None:
    from engine.spec.loader import load_spec_text

    text = with_body("du_lieu: {d: {x: 1}, ds: [1, 2]}\nnoi_dung:\n" + body)
    with pytest.raises(SpecError) as caught:
        prepare(load_spec_text(text, name="spec.yaml"))
    assert words in messages(caught.value)
    assert all(p.location.line for p in caught.value.problems), messages(caught.value)


def test_a_huge_table_from_data_is_bounded_by_so_dong_and_so_o() -> None:
    from engine.spec.loader import load_spec_text

    rows = "[" + ", ".join("1" for _ in range(300)) + "]"
    text = with_body(f"du_lieu: {{ds: {rows}}}\nnoi_dung:\n  - bang: {{cot: [{{tieu_de: A, gia_tri: '{{{{ dong }}}}'}}]"
                     ", dong: '{{ ds }}'}\n")
    with using_limits(replace(Limits(), so_dong=200)), pytest.raises(LimitError) as caught:
        prepare(load_spec_text(text))
    assert codes(caught.value) == ["LIMIT_ROWS"]
    with using_limits(replace(Limits(), so_o=100)), pytest.raises(LimitError):
        prepare(load_spec_text(text))


# ----- footnotes --------------------------------------------------------------------------------------


def test_a_footnote_is_a_real_word_footnote_referenced_where_the_clerk_marked_it() -> None:
    package = render(FEATURE)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        notes = archive.read("word/footnotes.xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
        body = archive.read("word/document.xml").decode()
    assert 'w:type="separator"' in notes and '<w:footnote w:id="1">' in notes and "<w:footnoteRef/>" in notes
    assert "relationships/footnotes" in rels and "footnotes+xml" in types
    assert body.count('<w:footnoteReference w:id="1"/>') == 1
    layout = read_layout(package)
    marked = next(p for p in layout.paragraphs if p.notes)
    assert marked.text.startswith("Thực hiện Công văn số 4975/VPCP-KSTT của")
    assert layout.footnotes[0].text.strip().startswith("Công văn số 4975/VPCP-KSTT ngày 12/7/2023")


@pytest.mark.parametrize(("body", "words"), [
    ("  - doan: 'Xem[^a].'\n", "không có chú thích tên này"),
    ("  - doan: 'Xem[^a] và[^a].'\n  - chu_thich: {a: Một}\n", "được dẫn hai lần"),
    ("  - doan: Không dẫn.\n  - chu_thich: {a: Một}\n", "không được chữ nào dẫn tới"),
    ("  - chu_thich: {a: Một}\n  - chu_thich: {a: Hai}\n  - doan: 'x[^a]'\n", "hai chú thích cùng tên"),
])
def test_a_wrong_footnote_is_a_vietnamese_error(body: str, words: str) -> None:
    from engine.spec.loader import load_spec_text

    with pytest.raises(SpecError) as caught:
        prepare(load_spec_text(with_body("noi_dung:\n" + body), name="spec.yaml"))
    assert words in messages(caught.value)


def test_a_tilde_keeps_a_literal_footnote_mark_and_a_phu_luc_refuses_one() -> None:
    from engine.spec.loader import load_spec_text

    van_ban = prepare(load_spec_text(with_body("noi_dung:\n  - doan: 'Ký hiệu ~[^1] in nguyên.'\n"))).context["van_ban"]
    assert van_ban["noi_dung"][0]["noi_dung"] == "Ký hiệu [^1] in nguyên."


def test_footnotes_join_a_templates_own_footnotes_part(tmp_path: Path) -> None:
    from engine.render.blocks import Attachments, attached_parts

    existing = (b'<?xml version="1.0"?><w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                b'main"><w:footnote w:type="separator" w:id="-1"/><w:footnote w:type="continuationSeparator" '
                b'w:id="0"/></w:footnotes>')
    parts = {"word/_rels/document.xml.rels": b'<Relationships><Relationship Id="rId9" Type="http://schemas.'
             b'openxmlformats.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
             b"</Relationships>",
             "[Content_Types].xml": b"<Types></Types>", "word/footnotes.xml": existing}
    out = attached_parts(parts, Attachments(notes=[(1, "Một")]))
    assert set(out) == {"word/footnotes.xml"} and out["word/footnotes.xml"].count(b"<w:footnote ") == 3


# ----- pictures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_picture_is_embedded_at_its_width_with_its_caption(tmp_path: Path, kind: str) -> None:
    data = png(40, 20) if kind == "png" else jpeg(30, 10)
    name = "anh.png" if kind == "png" else "anh.jpg"
    body = f"noi_dung:\n  - anh: {{tep: {name}, rong: 8, chu_thich: 'Hình 1. **Sơ đồ**'}}\n"
    path = spec_in(tmp_path, with_body(body), **{name.replace(".", "_dot_"): data})
    package = render(path)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = archive.namelist()
        body = archive.read("word/document.xml").decode()
    media = [n for n in names if n.startswith("word/media/vanban_")]
    assert len(media) == 1 and zipfile.ZipFile(io.BytesIO(package)).read(media[0]) == data
    assert 'cx="2880000"' in body  # 8 cm
    assert f'cy="{2880000 * (20 if kind == "png" else 10) // (40 if kind == "png" else 30)}"' in body
    layout = read_layout(package)
    picture = next(p for p in layout.paragraphs if p.shapes and p.table is None)
    caption = layout.paragraphs[layout.paragraphs.index(picture) + 1]
    assert caption.text == "Hình 1. Sơ đồ" and caption.alignment == "center" and caption.runs[-1].bold
    assert check_document(package) == []


def test_a_picture_and_a_signature_render_alike_on_both_paths(tmp_path: Path) -> None:
    text = with_body("noi_dung:\n  - anh: {tep: anh.png}\n").replace("ho_ten: Nguyễn Văn An",
                                                                      "ho_ten: Nguyễn Văn An\n  chu_ky: ky.png")
    package = render(spec_in(tmp_path, text, anh_dot_png=png(), ky_dot_png=png(30, 15)))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert sum(n.startswith("word/media/") for n in archive.namelist()) == 2
    assert check_document(package) == []


@pytest.mark.parametrize(("name", "data", "code"), [
    ("anh.gif", b"GIF89a", "SPEC_VALUE"),
    ("anh.png", b"not a png at all", "SPEC_VALUE"),
    ("anh.png", png(1, 1)[:16] + struct.pack(">II", 100_000, 100_000) + png(1, 1)[24:], "LIMIT_FILE_SIZE"),
    ("anh.jpg", b"\xff\xd8\xff\xc0\x00\x11\x08\xff\xff\xff\xff" + b"\x00" * 20, "LIMIT_FILE_SIZE"),
])
def test_a_picture_that_is_no_png_or_jpeg_or_a_pixel_bomb_is_refused(tmp_path: Path, name: str, data: bytes,
                                                                     code: str) -> None:
    path = spec_in(tmp_path, with_body(f"noi_dung:\n  - anh: {{tep: {name}}}\n"), **{name.replace(".", "_dot_"): data})
    with pytest.raises(EngineError) as caught:
        prepare(path)
    assert codes(caught.value) == [code]
    assert caught.value.problems[0].location.line


def test_a_picture_outside_the_specs_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ngoai.png").write_bytes(png())
    inner = tmp_path / "trong"
    inner.mkdir()
    path = spec_in(inner, with_body("noi_dung:\n  - anh: {tep: ../ngoai.png}\n"))
    with pytest.raises(EngineError) as caught:
        prepare(path)
    assert codes(caught.value) == ["ACCESS_OUTSIDE"]


# ----- charts -------------------------------------------------------------------------------------------


def test_a_chart_of_a_scoring_is_a_print_resolution_png_of_the_same_figures(tmp_path: Path) -> None:
    prepared = prepare(FEATURE)
    media = prepared.context["van_ban"]["dinh_kem"].media
    chart = next(m for m in media if m.part.endswith(".png") and m.data[:4] == b"\x89PNG" and len(m.data) > 20_000)
    from PIL import Image

    image = Image.open(io.BytesIO(chart.data))
    assert image.size == (int(16 / 2.54 * 250), int(9 / 2.54 * 250))  # 16 × 9 cm at 250 dpi
    assert round(image.info["dpi"][0]) == 250
    assert prepare(FEATURE).context["van_ban"]["dinh_kem"].media[0].data == media[0].data  # same data, same bytes


def test_a_chart_draws_the_units_by_rank_with_vietnamese_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.chart

    seen = {}

    def record(kind, labels, values, decimals, **kwargs):  # noqa: ANN001, ANN003
        seen.update(kind=kind, labels=labels, values=values, decimals=decimals)
        return png()

    monkeypatch.setattr(engine.chart, "draw_chart", record)
    prepared = prepare(FEATURE)
    ranked = prepared.context["kq"]["xep_hang"]
    assert seen["labels"] == [u["ten"] for u in ranked]
    assert seen["values"] == [u["quy_doi"].value for u in ranked] and seen["decimals"] == ranked[0]["quy_doi"].decimals


def test_the_chart_module_formats_ticks_and_labels_the_vietnamese_way() -> None:
    from decimal import Decimal

    from engine.chart import draw_chart

    one = draw_chart("duong", ["Xã Mường Báng", "Xã Sính Phình"], [Decimal("72.15"), Decimal("1147")], 2,
                     width_cm=10, height_cm=6, y_label="Điểm")
    two = draw_chart("duong", ["Xã Mường Báng", "Xã Sính Phình"], [Decimal("72.15"), Decimal("1147")], 2,
                     width_cm=10, height_cm=6, y_label="Điểm")
    assert one == two and one.startswith(b"\x89PNG") and b"Software" not in one


@pytest.mark.parametrize(("block", "words"), [
    ("{nguon: khong_co}", "'cham_diem' không có tên này"),
    ("{dong: '{{ d }}', nhan: x, gia_tri: '{{ dong }}'}", "phải cho ra một danh sách"),
    ("{dong: '{{ ds }}', nhan: x, gia_tri: '{{ \"a\" ~ dong }}'}", "không phải số"),
    ("{nguon: a, dong: '{{ ds }}'}", "đúng một trong hai"),
])
def test_a_wrong_chart_is_a_vietnamese_error(block: str, words: str) -> None:
    from engine.spec.loader import load_spec_text

    text = with_body(f"du_lieu: {{d: {{x: 1}}, ds: [1, 2]}}\nnoi_dung:\n  - bieu_do: {block}\n")
    with pytest.raises(SpecError) as caught:
        prepare(load_spec_text(text, name="spec.yaml"))
    assert words in messages(caught.value)


def test_a_chart_of_100000_points_is_refused_before_it_is_drawn() -> None:
    from engine.spec.loader import load_spec_text

    text = with_body("du_lieu: {ds: [" + ", ".join(["1"] * 100_000) + "]}\nnoi_dung:\n  - bieu_do: {dong: '{{ ds }}', "
                     "nhan: '{{ stt }}', gia_tri: '{{ dong }}'}\n")
    with using_limits(replace(Limits(), nut_yaml=300_000)), pytest.raises(LimitError) as caught:
        prepare(load_spec_text(text))
    assert codes(caught.value) == ["LIMIT_ROWS"] and "diem_bieu_do" in caught.value.problems[0].hint


# ----- the whole document -------------------------------------------------------------------------------


def test_the_feature_document_passes_check_and_renders_the_same_bytes_twice() -> None:
    package = render(FEATURE)
    assert check_document(package) == []
    assert render(FEATURE) == package


def test_a_province_template_without_the_new_kinds_still_prints_the_blocks(tmp_path: Path) -> None:
    province = FIXTURES / "mau_rieng_tinh"
    for item in province.iterdir():
        if item.is_file():
            shutil.copy(item, tmp_path / item.name)
    shutil.copy(FIXTURES / "khoi_noi_dung" / "so_do.png", tmp_path / "so_do.png")
    spec = (tmp_path / "spec.yaml").read_text(encoding="utf-8")
    spec = spec.replace("noi_dung:\n", "noi_dung:\n  - anh: {tep: so_do.png, chu_thich: Hình 1. Sơ đồ}\n"
                        "  - bang: {cot: [{tieu_de: A}, {tieu_de: B}], dong: [[1, '**2**']]}\n", 1)
    (tmp_path / "spec.yaml").write_text(spec, encoding="utf-8")
    layout = read_layout(render(tmp_path / "spec.yaml"))
    assert any(p.shapes and p.table is None for p in layout.paragraphs)
    assert any(t.borders != "không" and len(t.grid_cm) == 2 for t in layout.tables)
