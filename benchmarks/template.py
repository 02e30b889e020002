"""The benchmark's template: a phụ lục page with a title and a score table of N rows.

Built with python-docx as a plain docxtpl template (a ``{%tr for %}`` row loop, the way a user
would write it in Word), so the baseline is docxtpl used as documented and the engine renders
exactly the same file.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

COLUMNS = ("stt", "ten", "cong_khai", "tien_do", "truc_tuyen", "so_hoa", "hai_long", "tong", "xep_loai")
HEADERS = ("STT", "Tên đơn vị", "Công khai", "Tiến độ", "Trực tuyến", "Số hóa", "Hài lòng", "Tổng", "Xếp loại")


def build_template(path: Path) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(12)
    for text, bold in (("Phụ lục", True), ("{{ tieu_de }}", True), ("(Kèm theo {{ kem_theo }})", False)):
        paragraph = doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).bold = bold
    table = doc.add_table(rows=4, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.paragraphs[0].add_run(header).bold = True
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    for cell, column in zip(table.rows[2].cells, COLUMNS, strict=True):
        cell.paragraphs[0].add_run(f"{{{{ r.{column} }}}}")
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    doc.add_paragraph("Tổng số đơn vị: {{ rows | length }}.")
    doc.save(path)
    return path


def context(rows: int) -> dict[str, object]:
    """A context with ``rows`` units; the figures vary so the text is not one repeated row."""
    classes = ("Tốt", "Khá", "Trung bình")
    return {
        "tieu_de": "KẾT QUẢ ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP CÁC XÃ",
        "kem_theo": "Báo cáo số 05/BC-UBND ngày 05 tháng 01 năm 2026 của UBND tỉnh",
        "rows": [
            {"stt": i, "ten": f"UBND xã số {i}", "cong_khai": f"{(i * 7) % 18},{i % 10}",
             "tien_do": f"{(i * 3) % 20}", "truc_tuyen": f"{(i * 5) % 12},5", "so_hoa": f"{(i * 11) % 22}",
             "hai_long": f"{(i * 13) % 18}", "tong": f"{60 + (i * 17) % 40},{i % 10}", "xep_loai": classes[i % 3]}
            for i in range(1, rows + 1)
        ],
    }
