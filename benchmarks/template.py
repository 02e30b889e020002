"""The benchmark's template: a phụ lục page with a title and a score table of N rows.

Built with python-docx as a plain docxtpl template (a ``{%tr for %}`` row loop, the way a user
would write it in Word), so the baseline is docxtpl used as documented and the engine renders
exactly the same file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

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


# The tags of the template above and their Carbone equivalents (https://carbone.io/documentation.html):
# a value ``{{ name }}`` is ``{d.name}``; a docxtpl row loop is Carbone's repetition, the row with
# ``{d.rows[i].x}`` followed by one with ``{d.rows[i+1].x}`` (Carbone repeats the XML between them);
# ``{{ rows | length }}`` is the ``len`` formatter.
_VALUE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_LOOP_VALUE = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")
_LENGTH = re.compile(r"\{\{\s*([a-z_]+)\s*\|\s*length\s*\}\}")
_LOOP_OPEN = re.compile(r"^\{%tr for ([a-z_]+) in ([a-z_]+) %\}$")
_LOOP_CLOSE = "{%tr endfor %}"


def build_carbone_twin(template: Path, path: Path) -> Path:
    """The Carbone template of ``template``: the same document, its tags translated (made from it, not by hand).

    Only the tags the benchmark's template uses are known (values, one ``{%tr for %}`` row loop,
    ``| length``); any other tag is an error, so that the twin never silently differs.
    """
    doc = Document(template)

    def translate(text: str, loop: tuple[str, str] | None, step: str) -> str:
        text = _LENGTH.sub(lambda m: f"{{d.{m[1]}:len()}}", text)
        if loop is not None:
            variable, items = loop
            text = _LOOP_VALUE.sub(lambda m: f"{{d.{items}[{step}].{m[2]}}}" if m[1] == variable else m[0], text)
        text = _VALUE.sub(lambda m: f"{{d.{m[1]}}}", text)
        if "{{" in text or "{%" in text:
            raise ValueError(f"the Carbone twin does not know the tag in {text!r}")
        return text

    def translate_runs(paragraphs: Iterable, loop: tuple[str, str] | None = None, step: str = "i") -> None:
        for paragraph in paragraphs:
            for run in paragraph.runs:
                run.text = translate(run.text, loop, step)

    translate_runs(doc.paragraphs)
    for table in doc.tables:
        rows = list(table.rows)
        k = 0
        while k < len(rows):
            opening = _LOOP_OPEN.match(rows[k].cells[0].text.strip())
            if not opening:
                translate_runs(p for cell in rows[k].cells for p in cell.paragraphs)
                k += 1
                continue
            if k + 2 >= len(rows) or rows[k + 2].cells[0].text.strip() != _LOOP_CLOSE:
                raise ValueError("the Carbone twin knows a row loop of one row only")
            loop = (opening[1], opening[2])
            body, closing = rows[k + 1]._tr, rows[k + 2]._tr
            following = copy.deepcopy(body)
            closing.addprevious(following)
            table._tbl.remove(rows[k]._tr)
            table._tbl.remove(closing)
            translate_runs((p for cell in rows[k + 1].cells for p in cell.paragraphs), loop, "i")
            translate_runs((Paragraph(p, table) for p in following.iter(qn("w:p"))), loop, "i+1")
            k += 3
    doc.save(path)
    return path
