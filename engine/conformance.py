"""Check a document against the layout rules of Nghị định 30/2020 (shared/domain/nd30.md).

The check reads the layout (engine.render.layout: every property resolved through the
styles), finds each element by its text and its place, the way a clerk would (the Quốc hiệu
by its words, the agency in the cell left of it, the signer in the cell beside "Nơi nhận", or each
signature block of the table right above "Nơi nhận" when several sign; a Nơi nhận sub-heading by its ":"),
and says for each rule what it expected and what it found. So it works on documents the
engine did not make, such as one typed in Word.

A finding that repeats (the same rule broken the same way in many body paragraphs) is
reported once with every place. Findings are data (:class:`Finding`); the CLI prints them or
their JSON, and exits non-zero when there is any.

Not checked, because the layout alone cannot tell: line lengths of the rules under the
Tiêu ngữ and the trích yếu (only that a line is there), whether the Quốc hiệu fits on one
line (the PDF tests check that), the "Như trên" first item of Nơi nhận (samples differ).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from engine.render.layout import Layout, Paragraph, Section, Table, read_layout

FONT = "Times New Roman"
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
AUTHORITY = re.compile(r"^(TM|KT|TL|TUQ|Q)\.\s")
AUTHORITY_LIKE = re.compile(r"^(T\.?M|K\.?T|T\.?L|T\.?U\.?Q|Q)\b[.\s]")
DEGREE = re.compile(r"^(GS|PGS|TS|ThS|Ths|THS|KS|BS|CN|TTƯT|NGƯT|NGND|TTND)(\.|\s)")
NUMBER_LINE = re.compile(r"^\s*S[ốỐ]\s*[:.]?")
DATE_LINE = re.compile(
    r"^(?P<place>[^,]+),\s*ngày\s*(?P<day>[^\s]*)\s+tháng\s*(?P<month>[^\s]*)\s+năm\s*(?P<year>\d{4})\s*$")
APPENDIX = re.compile(r"^(phụ lục)(\s+(?P<number>\S+))?$", re.IGNORECASE)
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]


@dataclass(frozen=True)
class Finding:
    """One rule broken: the element, what Nghị định 30 asks, what the document has, and where."""

    element: str
    expected: str
    found: str
    places: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return f"{self.element}: cần {self.expected}; văn bản có {self.found}"

    def __str__(self) -> str:
        if not self.places:
            return self.message
        shown = "; ".join(self.places[:4]) + (f"; và {len(self.places) - 4} chỗ nữa" if len(self.places) > 4 else "")
        return f"{self.message} ({shown})"

    def as_dict(self) -> dict[str, object]:
        return {"element": self.element, "expected": self.expected, "found": self.found,
                "places": list(self.places), "message": self.message}


def check_document(package: bytes, *, name: str = "văn bản") -> list[Finding]:
    """Every Nghị định 30 finding of a .docx given as bytes ([] when it conforms)."""
    return check_layout(read_layout(package, name=name))


def check_layout(layout: Layout) -> list[Finding]:
    return _Checker(layout).run()


# ----- small helpers ---------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case without diacritics and with single spaces: how elements are found by their words."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-–—]", " - ", text.lower()).split())


def _short(text: str, limit: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def where(p: Paragraph) -> str:
    return f'¶{p.number} {p.place} "{_short(p.text)}"'


def _sizes(p: Paragraph) -> set[float]:
    runs = p.text_runs or (p.mark,)
    return {r.size for r in runs if r.size is not None} or {0}


def _fmt(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c == c.upper() for c in letters)


def _has_lower(text: str) -> bool:
    return any(c.isalpha() and c == c.lower() and c != c.upper() for c in text)


def _flag(p: Paragraph, attribute: str) -> str:
    values = {getattr(r, attribute) for r in p.text_runs}
    return "có" if values == {True} else "không" if values <= {False} else "một phần"


ALIGN = {"left": "căn trái", "center": "căn giữa", "right": "căn phải", "both": "căn đều hai bên",
         "distribute": "dàn đều"}


class _Checker:
    def __init__(self, layout: Layout):
        self.layout = layout
        self.paragraphs = layout.paragraphs
        self.findings: dict[tuple[str, str, str], list[str]] = {}

    # -- recording --

    def add(self, element: str, expected: str, found: str, place: str | None = None) -> None:
        places = self.findings.setdefault((element, expected, found), [])
        if place and place not in places:
            places.append(place)

    def run(self) -> list[Finding]:
        self.page()
        self.fonts()
        quoc_hieu = self.quoc_hieu()
        header_end = self.header(quoc_hieu) if quoc_hieu else None
        body_start = self.title(header_end) if header_end is not None else None
        signature_start = self.noi_nhan_and_signer() if quoc_hieu else None
        if body_start is not None:
            self.body(body_start, signature_start)
        if quoc_hieu:
            self.page_numbers()
        self.appendices(main_document=quoc_hieu is not None)
        return [Finding(e, x, f, tuple(places)) for (e, x, f), places in self.findings.items()]

    # -- generic property checks --

    def size(self, p: Paragraph, element: str, low: float, high: float) -> None:
        wrong = sorted(s for s in _sizes(p) if not low <= s <= high)
        if wrong:
            expected = f"cỡ chữ {_fmt(low)}" if low == high else f"cỡ chữ {_fmt(low)}–{_fmt(high)}"
            self.add(element, expected, "cỡ " + ", ".join(_fmt(s) for s in wrong), where(p))

    def style(self, p: Paragraph, element: str, *, bold: bool | None = None, italic: bool | None = None) -> None:
        for attribute, wanted, yes, no in (("bold", bold, "chữ đậm", "chữ không đậm"),
                                           ("italic", italic, "chữ nghiêng", "chữ đứng (không nghiêng)")):
            if wanted is None or not p.text_runs:
                continue
            state = _flag(p, attribute)
            if (state == "có") != wanted:
                found = {"có": yes, "không": no, "một phần": f"{yes} một phần"}[state]
                self.add(element, yes if wanted else no, found, where(p))

    def align(self, p: Paragraph, element: str, *alignments: str) -> None:
        if p.alignment not in alignments:
            self.add(element, " hoặc ".join(ALIGN[a] for a in alignments), ALIGN.get(p.alignment, p.alignment),
                     where(p))

    def upper(self, p: Paragraph, element: str) -> None:
        if not _is_upper(p.text):
            self.add(element, "chữ in hoa", f'chữ thường ("{_short(p.text)}")', where(p))

    # -- the page and the font --

    def page(self) -> None:
        data_tables = {t.section for t in self.layout.tables if t.borders != "không"}
        for s in self.layout.sections:
            place = f"section {s.number}"
            short, long = sorted((s.width_mm, s.height_mm))
            if abs(short - 210) > 1 or abs(long - 297) > 1:
                self.add("Khổ giấy", "A4 (210 × 297 mm)", f"{_fmt(s.width_mm)} × {_fmt(s.height_mm)} mm", place)
            if s.orientation == "ngang" and s.number not in data_tables:
                self.add("Hướng trang", "trang dọc (trang ngang chỉ cho trang có bảng)", "trang ngang", place)
            for name, value, low, high in (("trên", s.top_mm, 20, 25), ("dưới", s.bottom_mm, 20, 25),
                                           ("trái", s.left_mm, 30, 35), ("phải", s.right_mm, 15, 20)):
                if not low - 0.1 <= value <= high + 0.1:
                    self.add(f"Lề {name}", f"{low}–{high} mm", f"{_fmt(value)} mm", place)

    def fonts(self) -> None:
        headers = [p for s in self.layout.sections for part in (s.headers, s.footers)
                   for ps in part.values() for p in ps]
        for p in [*self.paragraphs, *headers, *self.layout.footnotes]:
            for run in p.text_runs:
                if run.font != FONT:
                    self.add("Phông chữ", FONT, run.font or "phông mặc định của Word", where(p))

    # -- the header: Quốc hiệu, Tiêu ngữ, agency, số, date --

    def _first(self, predicate, within: Iterable[Paragraph] | None = None) -> Paragraph | None:
        return next((p for p in (self.paragraphs if within is None else within) if predicate(p)), None)

    def quoc_hieu(self) -> Paragraph | None:
        head = self.paragraphs[:40]
        found = self._first(lambda p: _plain(p.text) == _plain(QUOC_HIEU), head)
        if found is None:
            if not self._starts_with_appendix():
                self.add("Quốc hiệu", f'dòng "{QUOC_HIEU}" ở đầu trang 1', "không có")
            return None
        element = "Quốc hiệu"
        if " ".join(found.text.split()) != QUOC_HIEU:
            self.add(element, f'chữ "{QUOC_HIEU}"', f'"{found.text}"', where(found))
        self.size(found, element, 12, 13)
        self.style(found, element, bold=True, italic=False)
        self.upper(found, element)
        self.tieu_ngu(found)
        return found

    def _starts_with_appendix(self) -> bool:
        first = self._first(lambda p: bool(p.text.strip()))
        return first is not None and bool(APPENDIX.match(" ".join(first.text.split())))

    def _after(self, p: Paragraph, *, same_cell: bool = True) -> list[Paragraph]:
        index = self.paragraphs.index(p)
        return [q for q in self.paragraphs[index + 1:] if not same_cell or (q.table, q.cell) == (p.table, p.cell)]

    def _ruled_below(self, p: Paragraph) -> bool:
        """A solid line under ``p``: its bottom border, a drawn shape, or the top border of what follows."""
        if "bottom" in p.borders or p.shapes:
            return True
        for q in self._after(p)[:2]:
            if "top" in q.borders or q.shapes:
                return True
            if q.text.strip():
                return False
        return False

    def tieu_ngu(self, quoc_hieu: Paragraph) -> None:
        element = "Tiêu ngữ"
        following = [q for q in self._after(quoc_hieu) if q.text.strip()][:1]
        if not following or _plain(following[0].text) != _plain(TIEU_NGU):
            self.add(element, f'dòng "{TIEU_NGU}" ngay dưới Quốc hiệu', "không có", where(quoc_hieu))
            return
        p = following[0]
        if " ".join(p.text.split()) != TIEU_NGU:
            self.add(element, f'chữ "{TIEU_NGU}" (gạch nối có cách hai bên, mỗi cụm từ viết hoa chữ đầu)',
                     f'"{p.text}"', where(p))
        self.size(p, element, 13, 14)
        self.style(p, element, bold=True, italic=False)
        if not self._ruled_below(p):
            self.add("Đường kẻ dưới Tiêu ngữ", "một đường kẻ liền dưới Tiêu ngữ", "không có", where(p))

    def header(self, quoc_hieu: Paragraph) -> int:
        """Check agency, số and date; return the index of the last header paragraph."""
        table = quoc_hieu.table
        region = self.layout.in_table(table) if table else tuple(self.paragraphs[:self.paragraphs.index(quoc_hieu) + 8])
        self.agency(quoc_hieu)
        number = self._first(lambda p: bool(NUMBER_LINE.match(p.text)), region)
        date = self._first(lambda p: bool(DATE_LINE.match(" ".join(p.text.split()))), region)
        if number is None:
            self.add("Số, ký hiệu", 'dòng "Số: …/…" dưới tên cơ quan', "không có")
        else:
            self.number_line(number)
        if date is None:
            self.add("Địa danh, ngày tháng", 'dòng "<địa danh>, ngày … tháng … năm …" dưới Tiêu ngữ', "không có")
        else:
            self.date_line(date)
            if number is not None and number.table and (number.table != date.table or number.cell[0] != date.cell[0]):
                self.add("Địa danh, ngày tháng", "cùng một dòng với số, ký hiệu", "ở dòng khác", where(date))
        last = max((self.paragraphs.index(p) for p in region), default=self.paragraphs.index(quoc_hieu))
        return last

    def agency(self, quoc_hieu: Paragraph) -> None:
        if not quoc_hieu.table or quoc_hieu.cell is None or quoc_hieu.cell[1] == 1:
            return  # no two-column header table: the agency cannot be placed by position
        row = quoc_hieu.cell[0]
        lines = [p for p in self.layout.in_table(quoc_hieu.table)
                 if p.cell and p.cell[0] == row and p.cell[1] < quoc_hieu.cell[1] and p.text.strip()]
        if not lines:
            self.add("Tên cơ quan ban hành", "tên cơ quan ở cột trái, ngang Quốc hiệu", "không có", where(quoc_hieu))
            return
        # The issuing bodies are the bold lines at the bottom (a joint document has one per body, or all in one
        # paragraph); the lines above them, not bold, name the parent body.
        issuers = list(_trailing(lines, lambda p: _flag(p, "bold") == "có")) or [lines[-1]]
        for issuer in issuers:
            self.size(issuer, "Tên cơ quan ban hành", 12, 13)
            self.style(issuer, "Tên cơ quan ban hành", bold=True, italic=False)
            self.upper(issuer, "Tên cơ quan ban hành")
        if not self._ruled_below(issuers[-1]):
            self.add("Đường kẻ dưới tên cơ quan", "một đường kẻ liền dưới tên cơ quan ban hành", "không có",
                     where(issuers[-1]))
        for parent in lines[:-len(issuers)]:
            self.size(parent, "Tên cơ quan chủ quản", 12, 13)
            self.style(parent, "Tên cơ quan chủ quản", bold=False, italic=False)
            self.upper(parent, "Tên cơ quan chủ quản")

    def number_line(self, p: Paragraph) -> None:
        element = "Số, ký hiệu"
        text = p.text.strip()
        m = re.match(r"^Số:\s*(?P<number>[^/]*?)\s*/(?P<symbol>\S*)$", text.replace("\u00a0", " "))
        if not text.startswith("Số:"):
            self.add(element, '"Số" viết thường, theo sau là dấu hai chấm ("Số: …")', f'"{_short(text)}"', where(p))
        elif m is None:
            self.add(element, 'dạng "Số: 05/BC-UBND" (số, dấu "/", ký hiệu không có dấu cách)', f'"{_short(text)}"',
                     where(p))
        else:
            number, symbol = m["number"], m["symbol"]
            if number.isdigit() and int(number) < 10 and len(number) < 2:
                self.add(element, "số nhỏ hơn 10 có số 0 ở trước (05)", f'"{number}"', where(p))
            if not re.fullmatch(r"[A-ZĐ0-9]+(-[A-ZĐ0-9.&]+)*", symbol):
                self.add(element, "ký hiệu viết hoa, các nhóm nối bằng dấu gạch nối, không có dấu cách",
                         f'"{symbol}"', where(p))
        self.size(p, element, 13, 13)
        self.style(p, element, bold=False, italic=False)

    def date_line(self, p: Paragraph) -> None:
        element = "Địa danh, ngày tháng"
        m = DATE_LINE.match(" ".join(p.text.split()))
        assert m is not None
        self.size(p, element, 13, 14)
        self.style(p, element, bold=False, italic=True)
        if not m["place"][:1].isupper():
            self.add(element, "địa danh viết hoa chữ đầu", f'"{m["place"]}"', where(p))
        day, month = m["day"], m["month"]
        if day and (not day.isdigit() or len(day) != 2):
            self.add(element, "ngày có hai chữ số (ngày nhỏ hơn 10 có số 0 ở trước)", f'"ngày {day}"', where(p))
        if month:
            ok = month in ("01", "02") or (month.isdigit() and not month.startswith("0") and 3 <= int(month) <= 12)
            if not ok:
                self.add(element, 'tháng 1, 2 viết "01", "02"; tháng 3 đến 12 không có số 0 ở trước',
                         f'"tháng {month}"', where(p))

    # -- title, trích yếu, Kính gửi --

    def title(self, header_end: int) -> int:
        """Check the tên loại and trích yếu (or the công văn's V/v); return where the body starts."""
        vv = self._first(lambda p: p.text.strip().startswith("V/v"), self.paragraphs[: header_end + 1])
        rest = [p for p in self.paragraphs[header_end + 1:] if p.table is None]
        if vv is not None:
            self.size(vv, "Trích yếu công văn (V/v)", 12, 13)
            self.style(vv, "Trích yếu công văn (V/v)", bold=False, italic=False)
            self.align(vv, "Trích yếu công văn (V/v)", "center")
            start = self.paragraphs.index(rest[0]) if rest else header_end + 1
            return self.kinh_gui(start)
        first = next((p for p in rest if p.text.strip()), None)
        if first is None:
            return header_end + 1
        if first.text.strip().startswith("Kính gửi"):
            self.add("Trích yếu công văn (V/v)", 'dòng "V/v …" dưới số, ký hiệu (hoặc tên loại văn bản)', "không có",
                     where(first))
            return self.kinh_gui(self.paragraphs.index(first))
        self.size(first, "Tên loại văn bản", 13, 14)
        self.style(first, "Tên loại văn bản", bold=True, italic=False)
        self.align(first, "Tên loại văn bản", "center")
        self.upper(first, "Tên loại văn bản")
        lines: list[Paragraph] = []
        for p in self._after(first, same_cell=True):
            if not p.text.strip() or p.alignment != "center":
                break
            lines.append(p)
        if not lines:
            self.add("Trích yếu nội dung", "dòng trích yếu ngay dưới tên loại", "không có", where(first))
            return self.kinh_gui(self.paragraphs.index(first) + 1)
        for p in lines:
            self.size(p, "Trích yếu nội dung", 13, 14)
            self.style(p, "Trích yếu nội dung", bold=True, italic=False)
            if not _has_lower(p.text):
                self.add("Trích yếu nội dung", "chữ thường", "chữ in hoa", where(p))
        if not self._ruled_below(lines[-1]):
            self.add("Đường kẻ dưới trích yếu", "một đường kẻ liền dưới trích yếu", "không có", where(lines[-1]))
        return self.kinh_gui(self.paragraphs.index(lines[-1]) + 1)

    def kinh_gui(self, start: int) -> int:
        """Check a Kính gửi block starting at or after ``start``; return where the body starts."""
        candidates = [p for p in self.paragraphs[start:start + 4] if p.table is None and p.text.strip()]
        label = next((p for p in candidates if _plain(p.text).startswith("kinh gui")), None)
        if label is None:
            return start
        element = "Kính gửi"
        text = " ".join(label.text.split())
        if not text.startswith("Kính gửi:"):
            self.add(element, 'chữ "Kính gửi" và dấu hai chấm', f'"{_short(text)}"', where(label))
        self.size(label, element, 13, 14)
        self.style(label, element, italic=False)
        index = self.paragraphs.index(label)
        if text.rstrip(":").strip() not in ("Kính gửi", "Kính gửi:"):
            return index + 1
        items = []
        for p in self.paragraphs[index + 1:]:
            if p.table is not None or not p.text.strip().startswith(("-", "–")):
                break
            items.append(p)
        if not items:
            self.add(element, "tên nơi nhận trên cùng dòng, hoặc mỗi nơi một dòng bắt đầu bằng \"-\"", "không có",
                     where(label))
        for position, p in enumerate(items):
            self.size(p, element, 13, 14)
            line = p.text.strip()
            end = "." if position == len(items) - 1 else ";"
            if not line.startswith("- ") or not line.endswith(end):
                self.add(element, f'mỗi nơi nhận bắt đầu "- ", kết thúc "{end}"'
                         + (" (nơi cuối cùng)" if end == "." else ""), f'"{_short(line)}"', where(p))
        return index + 1 + len(items)

    # -- Nơi nhận and the signer --

    def noi_nhan_and_signer(self) -> int | None:
        label = self._first(lambda p: _plain(p.text).startswith("noi nhan") and len(p.text) < 20)
        if label is None:
            self.add("Nơi nhận", 'mục "Nơi nhận:" ở cuối văn bản, bên trái khối chữ ký', "không có")
            return None
        element = "Nơi nhận"
        if label.text.strip() != "Nơi nhận:":
            self.add(element, 'chữ "Nơi nhận:" (viết thường, có dấu hai chấm)', f'"{label.text.strip()}"', where(label))
        self.size(label, element, 12, 12)
        self.style(label, element, bold=True, italic=True)
        self.align(label, element, "left", "both")
        items = [p for p in self._after(label, same_cell=label.table is not None) if p.text.strip()]
        if label.table is None:
            items = list(_leading(items, lambda p: p.table is None and (p.text.strip().startswith(("-", "–"))
                                                                       or _is_sub_heading(p.text))))
        self.noi_nhan_items(items, label)
        self.signers(label)
        blocks_above = self._signature_table_above(label)
        start = self.paragraphs.index(label)
        if blocks_above is not None:
            start = min(start, self.paragraphs.index(self.layout.in_table(blocks_above)[0]))
        return start

    def noi_nhan_items(self, items: list[Paragraph], label: Paragraph) -> None:
        """The list: "- X;" lines, the last "- Lưu: VT, …."; sub-headings ("Gửi bản điện tử:") bare, with items."""
        element = "Nơi nhận (các nơi)"
        if not items:
            self.add(element, "mỗi nơi nhận một dòng, dòng cuối \"- Lưu: VT, …\"", "không có", where(label))
            return
        for p in items:
            self.size(p, element, 11, 11)
            self.style(p, element, bold=False, italic=False)
        heading = "Nơi nhận (dòng tiêu đề nhóm)"
        for position, p in enumerate(items):
            line = p.text.strip()
            following = items[position + 1].text.strip() if position + 1 < len(items) else ""
            if _is_sub_heading(line):
                if line != _sub_heading_core(line):
                    self.add(heading, 'dòng tiêu đề nhóm không có gạch đầu dòng, kết thúc bằng ":" (không thêm ";" '
                             'hay "." như các nơi nhận): "Gửi bản điện tử:"', f'"{_short(line)}"', where(p))
                if not following or _is_sub_heading(following) or _is_storage(following):
                    self.add(heading, "ít nhất một nơi nhận dưới dòng tiêu đề nhóm", f'"{_short(line)}" không có nơi '
                             "nào dưới nó", where(p))
                continue
            if position == len(items) - 1:
                break
            if not line.startswith("- ") or not line.endswith(";"):
                self.add(element, 'mỗi dòng bắt đầu "- " (gạch đầu dòng sát lề trái), kết thúc ";"',
                         f'"{_short(line)}"', where(p))
            if _is_storage(line):
                self.add(element, 'dòng "- Lưu: VT, …" là dòng cuối cùng, sau mọi nơi nhận và nhóm',
                         f'"{_short(line)}" ở giữa danh sách', where(p))
        last = items[-1].text.strip()
        if not re.fullmatch(r"- Lưu: VT(, [^,;]+)*\.", last):
            self.add(element, 'dòng cuối "- Lưu: VT, <đơn vị soạn thảo>." (kết thúc bằng dấu chấm)',
                     f'"{_short(last)}"', where(items[-1]))

    def _signature_table_above(self, label: Paragraph) -> int | None:
        """The borderless table of signature blocks right above a "Nơi nhận:" that stands in the body, if any."""
        if label.table is not None:
            return None
        index = self.paragraphs.index(label)
        previous = [p for p in self.paragraphs[:index] if p.text.strip() or p.table is not None][-1:]
        if not previous or previous[0].table is None:
            return None
        table = next((t for t in self.layout.tables if t.number == previous[0].table), None)
        if table is None or table.borders != "không":
            return None
        texts = [p.text.strip() for p in self.layout.in_table(table.number) if p.text.strip()]
        if any(_plain(t) == _plain(QUOC_HIEU) for t in texts):
            return None  # the header (a document with nothing between it and Nơi nhận)
        return table.number if any(AUTHORITY_LIKE.match(t) or _is_upper(t) for t in texts) else None

    def signers(self, label: Paragraph) -> None:
        """Every signature block: beside "Nơi nhận:" (one signer), or in a table of blocks above it (several)."""
        if label.table is not None and label.cell is not None:
            cells = {p.cell for p in self.layout.in_table(label.table)
                     if p.cell and p.cell[0] == label.cell[0] and p.cell[1] > label.cell[1] and p.text.strip()}
            lines = [p for p in self.layout.in_table(label.table) if p.cell in cells and p.text.strip()]
            self.signature_block(lines, label)
            return
        above = self._signature_table_above(label)
        if above is not None:
            paragraphs = [p for p in self.layout.in_table(above) if p.text.strip()]
            cells = list(dict.fromkeys(p.cell for p in paragraphs))
            blocks = [[p for p in paragraphs if p.cell == cell] for cell in cells]
            for block in blocks:
                self.signature_block(block, label)
            if len(blocks) == 1:
                self.add("Quyền hạn, chức vụ người ký", 'ngang hàng với "Nơi nhận:" (văn bản một người ký)',
                         'khối chữ ký ở trên, "Nơi nhận:" ở dưới', where(blocks[0][0]))
            return
        start = self.paragraphs.index(label)
        lines = [p for p in self.paragraphs[start:] if AUTHORITY_LIKE.match(p.text.strip())][:1]
        if lines:
            after = [p for p in self._after(lines[0], same_cell=False) if p.text.strip()]
            lines += after[:3]
        self.signature_block(lines, label)

    def signature_block(self, lines: list[Paragraph], label: Paragraph) -> None:
        """One signer: quyền hạn and chức vụ lines (upper case, bold, centred), then the name."""
        if len(lines) < 2:
            self.add("Chữ ký", "khối chữ ký bên phải Nơi nhận: quyền hạn, chức vụ và họ tên người ký",
                     "không có", where(lines[0] if lines else label))
            return
        authority, name = lines[0], lines[-1]
        element = "Quyền hạn, chức vụ người ký"
        for p in lines[:-1]:
            self.size(p, element, 13, 14)
            self.style(p, element, bold=True, italic=False)
            self.align(p, element, "center")
            self.upper(p, element)
        text = authority.text.strip()
        if AUTHORITY_LIKE.match(text) and not AUTHORITY.match(text):
            self.add(element, 'viết tắt quyền hạn "TM.", "KT.", "TL.", "TUQ." hoặc "Q." rồi dấu cách',
                     f'"{_short(text)}"', where(authority))
        if (authority.table is not None and authority.table == label.table and authority.cell and label.cell
                and authority.cell[0] != label.cell[0]):
            self.add(element, 'ngang hàng với "Nơi nhận:"', "ở dòng khác", where(authority))
        element = "Họ tên người ký"
        self.size(name, element, 13, 14)
        self.style(name, element, bold=True, italic=False)
        self.align(name, element, "center")
        words = name.text.split()
        if DEGREE.match(name.text.strip()):
            self.add(element, "không có học hàm, học vị trước tên", f'"{name.text.strip()}"', where(name))
        elif _is_upper(name.text) or not all(w[:1].isupper() for w in words):
            self.add(element, "chữ thường, viết hoa chữ đầu mỗi tiếng", f'"{name.text.strip()}"', where(name))

    # -- body --

    def body(self, start: int, end: int | None) -> None:
        stop = end if end is not None else len(self.paragraphs)
        body = [p for p in self.paragraphs[start:stop]
                if p.table is None and p.section == 1 and p.text.strip()]
        captions = self._captions()
        for p in body:
            if p.number in captions:
                # A table's title above it, a picture's or a chart's caption below it: Nghị định 30 sets no
                # rule; practice centres them in the body's size or a point less.
                self.size(p, "Tên bảng, chú thích hình", 12, 14)
                self.align(p, "Tên bảng, chú thích hình", "center")
        body = [p for p in body if p.number not in captions]
        element = "Đoạn văn nội dung"
        for p in body:
            self.size(p, element, 13, 14)
            self.align(p, element, "both")
            if not any(abs(p.first_line_cm - cm) <= 0.03 for cm in (1.0, 1.27)):
                self.add(element, "thụt đầu dòng 1 cm hoặc 1,27 cm", f"{_fmt(p.first_line_cm)} cm", where(p))
            if max(p.before_pt, p.after_pt) < 6:
                self.add(element, "cách đoạn ít nhất 6 pt", f"{_fmt(max(p.before_pt, p.after_pt))} pt", where(p))
            if p.line_multiple is not None:
                if not 1.0 <= p.line_multiple <= 1.5:
                    self.add(element, "giãn dòng từ 1 dòng (single) đến 1,5 dòng",
                             f"{_fmt(p.line_multiple)} dòng", where(p))
            else:
                value = float(p.line.split()[-1].rstrip("pt"))
                size = max(_sizes(p))
                if not size <= value <= size * 1.5 * 1.2:
                    self.add(element, "giãn dòng từ 1 dòng (single) đến 1,5 dòng", p.line, where(p))

    def _captions(self) -> set[int]:
        """Centred body paragraphs right above a body table or right below a picture: titles and captions."""
        found: set[int] = set()
        blocks = self.layout.blocks
        for index, block in enumerate(blocks):
            if not isinstance(block, Paragraph) or block.table is not None or block.alignment != "center":
                continue
            after = blocks[index + 1] if index + 1 < len(blocks) else None
            before = next((b for b in reversed(blocks[:index]) if isinstance(b, Paragraph) and b.table is None), None)
            if isinstance(after, Table) and after.borders != "không":
                found.add(block.number)
            elif before is not None and before.shapes and not before.text.strip() and before.number == block.number - 1:
                found.add(block.number)
        return found

    # -- page numbers --

    def page_numbers(self) -> None:
        element = "Số trang"
        first: Section = self.layout.sections[0]
        numbered = [p for p in first.headers.get("default", ()) if "PAGE" in p.fields]
        if not numbered:
            self.add(element, "số trang ở giữa lề trên từ trang 2 (văn bản nhiều trang)", "không có", "section 1")
        for p in numbered:
            self.align(p, element, "center")
            self.size(p, element, 13, 14)
            self.style(p, element, bold=False, italic=False)
        if numbered and not first.title_page:
            self.add(element, "không hiện số trang ở trang 1", "trang 1 có số trang", "section 1")
        for p in first.headers.get("first", ()) if first.title_page else ():
            if "PAGE" in p.fields:
                self.add(element, "không hiện số trang ở trang 1", "trang 1 có số trang", where(p))
        for s in self.layout.sections:
            for p in (p for ps in s.footers.values() for p in ps if "PAGE" in p.fields):
                self.add(element, "số trang ở lề trên", "số trang ở chân trang", where(p))

    # -- phụ lục --

    def appendices(self, *, main_document: bool) -> None:
        labels = [p for p in self.paragraphs if p.table is None and APPENDIX.match(" ".join(p.text.split()))]
        element = "Phụ lục"
        for position, label in enumerate(labels):
            text = " ".join(label.text.split())
            number = APPENDIX.match(text)["number"]
            if not text.startswith("Phụ lục"):
                self.add(element, 'chữ "Phụ lục" viết thường (trừ chữ đầu)', f'"{text}"', where(label))
            if len(labels) > 1 and number != ROMAN[position % len(ROMAN)]:
                self.add(element, f"đánh số La Mã khi có từ hai phụ lục (Phụ lục {ROMAN[position % len(ROMAN)]})",
                         f'"{text}"', where(label))
            elif number and not re.fullmatch(r"[IVXLC]+", number):
                self.add(element, "số phụ lục bằng chữ số La Mã", f'"{text}"', where(label))
            self.size(label, element, 14, 14)
            self.style(label, element, bold=True, italic=False)
            self.align(label, element, "center")
            self.appendix_title(label)
            section = self.layout.sections[min(label.section, len(self.layout.sections)) - 1]
            opens = next(p for p in self.paragraphs if p.section == label.section and p.text.strip()) is label
            if main_document and (label.section == 1 or not opens or section.page_start != 1):
                self.add(element, "bắt đầu trang mới, đánh số trang riêng từ 1", "đánh số chung với văn bản",
                         where(label))

    def appendix_title(self, label: Paragraph) -> None:
        following = [p for p in self._after(label, same_cell=False) if p.text.strip()]
        title = list(_leading(following, lambda p: p.table is None and not p.text.strip().startswith("(")
                              and p.alignment == "center"))
        if not title:
            self.add("Tên phụ lục", "tên phụ lục ngay dưới nhãn phụ lục", "không có", where(label))
        for p in title:
            self.size(p, "Tên phụ lục", 13, 14)
            self.style(p, "Tên phụ lục", bold=True, italic=False)
            self.upper(p, "Tên phụ lục")
        rest = following[len(title):]
        if rest and rest[0].text.strip().startswith("(Kèm theo"):
            note = rest[0]
            self.size(note, "Dòng kèm theo của phụ lục", 13, 14)
            self.style(note, "Dòng kèm theo của phụ lục", bold=False, italic=True)
            self.align(note, "Dòng kèm theo của phụ lục", "center")


def _sub_heading_core(text: str) -> str:
    """A Nơi nhận line without a leading dash and without item punctuation after its ":"."""
    return re.sub(r"^[-–]\s*", "", text.strip()).rstrip(" ;.")


def _is_storage(text: str) -> bool:
    return bool(re.match(r"^[-–]?\s*Lưu\s*:", text.strip()))


def _is_sub_heading(text: str) -> bool:
    """A Nơi nhận sub-heading ("Gửi bản điện tử:"), even one given an item's dash or punctuation ("- …:;")."""
    core = _sub_heading_core(text)
    return core.endswith(":") and len(core) > 1 and not _is_storage(core) and _plain(core) != "noi nhan:"


def _trailing(items: list[Paragraph], predicate) -> list[Paragraph]:
    """The last items that all satisfy ``predicate``, in order."""
    out: list[Paragraph] = []
    for item in reversed(items):
        if not predicate(item):
            break
        out.insert(0, item)
    return out


def _leading(items: list[Paragraph], predicate) -> Iterable[Paragraph]:
    for item in items:
        if not predicate(item):
            return
        yield item
