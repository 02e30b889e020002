"""Join the Jinja tags that Word split across runs, and say what Word had put inside each one.

Word splits what an author types: a spell-check mark (``w:proofErr``) around ``van_ban.trich_yeu``, a
new revision id (``w:rsidR``), a ``_GoBack`` bookmark, a language or formatting change in the middle of
a tag. Each piece lands in a run of its own, and ``{{ van_ban.trich_yeu }}`` is no longer one piece of
text. Retyping does not help: Word marks the name as a spelling mistake every time.

Before a template is compiled, every tag that lies within one paragraph is joined into the run where
it starts: that run's text gets the whole tag (so the filled text takes that run's formatting), the
later runs keep only their text after the tag, and runs left empty are removed, with the spell-check
marks between them. Bookmarks and other marks stay where they were. Each join is a :class:`Repair`,
reported to the maintainer as a notice, never silently.

What cannot be joined safely is left alone for the tag check to refuse with the reason: a tag that
runs into a field (``w:fldChar``: the field would be cut) and a tag that is not closed within its
paragraph (across two paragraphs, or into a text box) are errors, not repairs.

A paragraph here is its own text only: the text of a text box anchored in it is a paragraph of its own.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from lxml import etree

from engine.errors import shorten
from engine.render.inspect import TAG, W, part_label
from engine.trust.packages import safe_parser

_W = f"{{{W}}}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TEXT_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")

# What a formatting element in a run's properties is, in the words of Word's own dialogs.
_FORMATTING = {
    "b": "đậm", "bCs": "đậm", "i": "nghiêng", "iCs": "nghiêng", "u": "gạch chân", "strike": "gạch ngang",
    "sz": "cỡ chữ", "szCs": "cỡ chữ", "rFonts": "phông", "color": "màu chữ", "highlight": "tô nền",
    "lang": "ngôn ngữ", "noProof": "không kiểm tra chính tả", "vertAlign": "chỉ số trên/dưới",
    "caps": "chữ hoa", "smallCaps": "chữ hoa nhỏ", "spacing": "giãn chữ", "shd": "tô nền", "rStyle": "kiểu chữ",
}
_MARKS = {
    "proofErr": "dấu kiểm tra chính tả (proofErr)",
    "bookmarkStart": "dấu trang (bookmark)",
    "permStart": "vùng được phép sửa",
    "commentRangeStart": "chú thích (comment)",
    "lastRenderedPageBreak": "dấu ngắt trang Word ghi lại",
}


@dataclass(frozen=True)
class Repair:
    """One tag that Word had split and that was joined again."""

    part: str  # thân văn bản, đầu trang 1 …
    paragraph_index: int
    paragraph_text: str
    tag: str
    runs: int  # how many runs the tag was spread over
    inside: tuple[str, ...]  # what Word had put inside the tag, in Vietnamese

    def description(self) -> str:
        """What Word did and what was done, without the place (lint gives the place in fields of its own)."""
        what = ", ".join(self.inside) if self.inside else "chỉ là ranh giới giữa các run"
        return (f"thẻ {self.tag!r} bị Word tách thành {self.runs} run ({what}); đã nối lại, chữ điền vào theo "
                f"định dạng của run đầu")

    def notice(self, template: str) -> str:
        return f"mẫu {template}, {self.part}, đoạn \"{shorten(self.paragraph_text, 60)}\": {self.description()}"


def repair_package(package: bytes) -> tuple[bytes, tuple[Repair, ...]]:
    """The package with every split tag joined (parts untouched byte for byte when nothing was split)."""
    repairs: list[Repair] = []
    changed: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = [name for name in archive.namelist() if _is_text_part(name)]
        for name in sorted(names, key=lambda n: (n != "word/document.xml", n)):
            xml = archive.read(name)
            if b"{" not in xml:
                continue
            root = etree.fromstring(xml, safe_parser())
            found = _repair_part(root, part_label(name))
            if found:
                repairs.extend(found)
                changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        if not changed:
            return package, ()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for item in archive.infolist():
                target.writestr(item, changed.get(item.filename, archive.read(item.filename)))
    return buffer.getvalue(), tuple(repairs)


def _is_text_part(name: str) -> bool:
    return name in _TEXT_PARTS or (name.startswith(("word/header", "word/footer")) and name.endswith(".xml")
                                   and "/" not in name.removeprefix("word/"))


def _own_texts(paragraph: etree._Element) -> list[etree._Element]:
    """The paragraph's w:t elements, without those of paragraphs nested in it (text boxes)."""
    return [t for t in paragraph.iter(f"{_W}t")
            if next(t.iterancestors(f"{_W}p"), None) is paragraph]


def _repair_part(root: etree._Element, part: str) -> list[Repair]:
    repairs: list[Repair] = []
    emptied: list[etree._Element] = []
    repaired_paragraphs: list[etree._Element] = []
    for index, paragraph in enumerate(root.iter(f"{_W}p"), start=1):
        texts = _own_texts(paragraph)
        joined = "".join(t.text or "" for t in texts)
        if "{" not in joined:
            continue
        spans, start = [], 0
        for t in texts:
            spans.append((start, start + len(t.text or "")))
            start += len(t.text or "")
        # Right to left, so that the offsets of the tags still to do stay true.
        for match in reversed(list(TAG.finditer(joined))):
            covered = [i for i, (a, b) in enumerate(spans) if a < match.end() and b > match.start()]
            if len(covered) < 2:
                continue
            runs = [_run_of(texts[i]) for i in covered]
            if _field_between(paragraph, runs[0], runs[-1]):
                continue  # not safe to join: left for the tag check to refuse
            inside = _what_word_put_inside(paragraph, runs)
            _join(texts, spans, covered, match.start(), match.end(), match.group(0))
            emptied += [runs[i] for i in range(1, len(runs))]
            repairs.append(Repair(part, index, joined, match.group(0), len(set(map(id, runs))), inside))
            if paragraph not in repaired_paragraphs:
                repaired_paragraphs.append(paragraph)
            texts, spans = _reread(paragraph)
    _remove_emptied(emptied, repaired_paragraphs)
    return sorted(repairs, key=lambda repair: repair.paragraph_index)


def _reread(paragraph: etree._Element) -> tuple[list[etree._Element], list[tuple[int, int]]]:
    texts = _own_texts(paragraph)
    spans, start = [], 0
    for t in texts:
        spans.append((start, start + len(t.text or "")))
        start += len(t.text or "")
    return texts, spans


def _run_of(text: etree._Element) -> etree._Element:
    parent = text.getparent()
    return parent if parent is not None else text


def _join(texts: list[etree._Element], spans: list[tuple[int, int]], covered: list[int], start: int, end: int,
          tag: str) -> None:
    first, last = covered[0], covered[-1]
    first_start = spans[first][0]
    head = (texts[first].text or "")[: start - first_start]
    if first == last:
        return
    tail = (texts[last].text or "")[end - spans[last][0]:]
    texts[first].text = head + tag
    texts[first].set(_XML_SPACE, "preserve")
    for i in covered[1:-1]:
        texts[i].text = ""
    texts[last].text = tail
    texts[last].set(_XML_SPACE, "preserve")


def _field_between(paragraph: etree._Element, first_run: etree._Element, last_run: etree._Element) -> bool:
    inside = False
    for element in paragraph.iter():
        if element is first_run:
            inside = True
        elif element is last_run:
            return False
        elif inside and element.tag in (f"{_W}fldChar", f"{_W}instrText", f"{_W}fldSimple"):
            return True
    return False


def _what_word_put_inside(paragraph: etree._Element, runs: list[etree._Element]) -> tuple[str, ...]:
    found: list[str] = []
    inside = False
    for element in paragraph.iter():
        if element is runs[0]:
            inside = True
            continue
        if element is runs[-1]:
            break
        if inside and isinstance(element.tag, str):
            local = etree.QName(element).localname
            if local in _MARKS:
                label = _MARKS[local]
                if local == "bookmarkStart" and element.get(f"{_W}name"):
                    label += f" '{element.get(f'{_W}name')}'"
                found.append(label)
    first_properties = _properties(runs[0])
    for run in runs[1:]:
        for local in sorted(set(_properties(run).items()) ^ set(first_properties.items())):
            found.append(f"định dạng khác ({_FORMATTING.get(local[0], local[0])})")
    if len({_revision(run) for run in runs}) > 1:
        found.append("mã phiên sửa khác (rsid)")
    return tuple(dict.fromkeys(found))


def _properties(run: etree._Element) -> dict[str, str]:
    """A run's formatting as {element: its attributes}, without revision ids."""
    properties = run.find(f"{_W}rPr")
    if properties is None:
        return {}
    return {etree.QName(child).localname: repr(sorted((k, v) for k, v in child.attrib.items() if "rsid" not in k))
            for child in properties if isinstance(child.tag, str) and "rsid" not in child.tag}


def _revision(run: etree._Element) -> str:
    return run.get(f"{_W}rsidR", "") + run.get(f"{_W}rsidRPr", "")


def _remove_emptied(runs: list[etree._Element], paragraphs: list[etree._Element]) -> None:
    """The runs a join left with nothing (only properties and empty text), and the repaired paragraphs'
    spell-check marks (Word puts them back when it checks again)."""
    for run in runs:
        parent = run.getparent()
        if parent is None or run.tag != f"{_W}r":
            continue
        children = [child for child in run if isinstance(child.tag, str)]
        texts = [child for child in children if child.tag == f"{_W}t"]
        others = [child for child in children if child.tag not in (f"{_W}t", f"{_W}rPr")]
        if texts and not others and all(not (t.text or "") for t in texts):
            parent.remove(run)
    for paragraph in paragraphs:
        for mark in list(paragraph.iter(f"{_W}proofErr")):
            mark.getparent().remove(mark)
