"""Compare a rendered document's text with the text of its hand-typed sample.

Every non-empty line of the sample, its phụ lục included, must appear in the rendered text, in
order, after whitespace is collapsed; a line may differ only through a
deviation listed in the fixture's README.md table (sample text → rendered text → reason).
Every listed deviation must be used, so the list cannot go stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Fixture folder -> the seed it reproduces (shared/seeds/); each folder keeps a copy of the
# seed's text as mau_goc.txt so that the tests run from a clone without shared/ beside it.
CASES = {
    "tua_chua_2023_04": "000_d1d31abaec2f3672.txt",
    "dien_bien_2021_q2": "001_1190d90055d5923e.txt",
    "luc_binh_2023_10": "002_dd182f460dc5c702.txt",
    "son_la_2023_q1": "003_08b48e67c976b758.txt",
    "tien_lu_2024_08": "004_f5570a6a7a3c459c.txt",
}
SAMPLE_COPY = "mau_goc.txt"

# Fixture folders that show a feature rather than reproduce a sample: no seed, no deviation table; each has
# its layout snapshot golden (tests/golden/layout/<folder>.txt) and passes check.
FEATURES = {
    "lien_tich_2026_03": "văn bản liên tịch: ba người ký, ảnh chữ ký và dấu, Nơi nhận chia nhóm",
    "khoi_noi_dung": "chữ đậm, nghiêng … trong đoạn, bảng trong thân văn bản, chú thích cuối trang, ảnh, biểu đồ",
    "so_nhu_nguon_ghi": "số in như nguồn ghi, hoặc với số chữ số thập phân khai báo",
}

OMITTED = "—"  # in the rendered column: the sample's text is left out on purpose


@dataclass(frozen=True)
class Deviation:
    sample: str
    rendered: str
    reason: str


def collapse(text: str) -> str:
    return " ".join(text.split())


def clean_sample_line(line: str) -> str:
    """Drop the Markdown and HTML that text extraction added to the sample."""
    line = re.sub(r"^#+\s*", "", line.strip())
    line = line.replace("<b>", "").replace("</b>", "").replace("**", "").replace("*", "")
    line = re.sub(r"<(https?://[^>]+)>", r"\1", line)
    return collapse(line)


def sample_lines(sample_file: Path) -> list[str]:
    """Every line of the sample, the phụ lục included, cleaned of extraction marks.

    A table row that repeats an earlier row exactly is a header row the sample repeated on a
    new page (the rendered table marks it to repeat; its text is there once), so it is skipped.
    """
    lines: list[str] = []
    table_rows: set[str] = set()
    for raw in sample_file.read_text(encoding="utf-8").splitlines():
        line = clean_sample_line(raw)
        if not line or line == "Handwritten signature":
            continue
        if "\t" in raw:
            if line in table_rows:
                continue
            table_rows.add(line)
        lines.append(line)
    return lines


def _readme_table(readme: Path, heading: str, width: int) -> list[list[str]]:
    """The rows of the Markdown table under ``heading`` in a fixture's README (no header, no rule)."""
    section = readme.read_text(encoding="utf-8").split(heading, 1)
    rows: list[list[str]] = []
    for line in section[1].splitlines() if len(section) == 2 else []:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < width or set(cells[0]) <= {"-", " ", ":"} or cells[0] in ("Mẫu ghi", "Mức"):
            continue
        rows.append([c.strip("`") for c in cells])
    return rows


def read_deviations(readme: Path) -> list[Deviation]:
    """Rows of the README table under the heading '## Sai khác so với mẫu'."""
    return [Deviation(collapse(sample), collapse(rendered), reason)
            for sample, rendered, reason, *_ in _readme_table(readme, "## Sai khác so với mẫu", 3)]


@dataclass(frozen=True)
class StatedFigure:
    level: str
    stated: str
    computed: str


def read_audit_table(readme: Path) -> list[StatedFigure]:
    """Rows of the README table under '## Số liệu ghi sai (audit báo)': level, stated, computed ("—": none)."""
    return [StatedFigure(level, "" if stated == OMITTED else stated, "" if computed == OMITTED else computed)
            for level, stated, computed, *_ in _readme_table(readme, "## Số liệu ghi sai (audit báo)", 3)]


def unmatched_lines(sample: list[str], rendered_text: str, deviations: list[Deviation]) -> tuple[list[str], set[int]]:
    """Sample lines not found in order in the rendered text; and the deviations that were used."""
    text = collapse(rendered_text)
    cursor = 0
    missing: list[str] = []
    used: set[int] = set()
    for line in sample:
        expected = line
        for index, dev in enumerate(deviations):
            if dev.sample and dev.sample in expected:
                expected = expected.replace(dev.sample, "" if dev.rendered == OMITTED else dev.rendered)
                used.add(index)
        expected = collapse(expected)
        if not expected:
            continue
        found = text.find(expected, cursor)
        if found < 0:
            missing.append(line if expected == line else f"{line}\n      (sau sai khác: {expected})")
            continue
        cursor = found + len(expected)
    return missing, used
