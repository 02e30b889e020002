"""Turn body blocks (a table, a picture, a chart) and footnotes into WordprocessingML and package parts.

A block is a :class:`BlockMarkup`: the template prints it where it prints a body paragraph, and
engine.render.runs puts the block in that paragraph's place. A table is written by the phụ lục
table writer (engine.render.tables) under its title; a picture or a chart is an inline drawing in
a centred paragraph with its caption below. A document's pictures and footnotes are parts of the
package: :class:`Attachments` (in the context as ``van_ban.dinh_kem``, printing nothing) holds
them, and :func:`attached_parts` gives the parts a render adds or changes (the media, the
footnotes part, the document's relationships, the content types), the same on both render paths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from engine.inline import has_markers, split_lines
from engine.render.markup import EngineMarkup
from engine.render.runs import BLOCK_CLOSE, BLOCK_OPEN, note_printed, runs_xml
from engine.render.tables import FONT, Table, table_xml

__all__ = ["Attachments", "AttachmentConflict", "BlockMarkup", "Media", "attached_parts", "caption_xml",
           "picture_block", "table_block"]

EMU_PER_CM = 360_000
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
FOOTNOTES_PART = "word/footnotes.xml"
REL_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
REL_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_PIC = "http://schemas.openxmlformats.org/drawingml/2006/picture"
DOCPR_BASE = 77_000  # drawing ids of the engine's pictures: far above a template's own (1, 2 …)
FOOTNOTE_SIZE = 12  # pt: Nghị định 30 sets none; the body is 13–14
CAPTION_SIZE = 13


class BlockMarkup(EngineMarkup):
    """A body block's XML (paragraphs and tables) for the place of one body paragraph; its text is its caption."""

    __slots__ = ("text", "xml")

    def __init__(self, xml: str, text: str = "") -> None:
        self.xml = xml
        self.text = text

    def __html__(self) -> str:
        note_printed()
        return BLOCK_OPEN + self.xml + BLOCK_CLOSE

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"BlockMarkup({self.text!r})"


@dataclass(frozen=True)
class Media:
    """A picture the document embeds: its part, bytes, kind and the relationship the drawing names."""

    part: str  # word/media/vanban_1.png
    data: bytes
    kind: str  # png | jpeg
    rel_id: str


@dataclass
class Attachments(EngineMarkup):
    """What a document adds to its package: pictures and footnotes (id → marked text). Prints nothing."""

    media: list[Media] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    def __html__(self) -> str:
        return ""

    def __str__(self) -> str:
        return ""

    def __bool__(self) -> bool:
        return bool(self.media or self.notes)

    def add_media(self, data: bytes, kind: str) -> Media:
        number = len(self.media) + 1
        extension = "jpeg" if kind == "jpeg" else "png"
        media = Media(f"word/media/vanban_{number}.{extension}", data, kind, f"rIdVanban{number}")
        self.media.append(media)
        return media


# ----- runs and paragraphs the engine writes ---------------------------------------------------------------


def _run_properties(size: float, *, bold: bool = False, italic: bool = False) -> str:
    fonts = f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'
    half = round(size * 2)
    return ("<w:rPr>" + fonts + ("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
            + f'<w:color w:val="000000"/><w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>')


def _paragraph(runs: str, *, before: int = 0, after: int = 0, keep_next: bool = False, align: str = "center",
               size: float = CAPTION_SIZE) -> str:
    return ("<w:p><w:pPr>" + ("<w:keepNext/>" if keep_next else "")
            + f'<w:spacing w:before="{before}" w:after="{after}" w:line="240" w:lineRule="auto"/>'
            + f'<w:ind w:left="0" w:right="0" w:firstLine="0"/><w:jc w:val="{align}"/>'
            + f'<w:rPr><w:sz w:val="{round(size * 2)}"/></w:rPr></w:pPr>{runs}</w:p>')


def caption_xml(marked: str, *, bold: bool, italic: bool, above: bool) -> str:
    """A centred caption line: a table's title above it (kept with it), a picture's below."""
    r_pr = _run_properties(CAPTION_SIZE, bold=bold, italic=italic)
    lines = split_lines(marked) if has_markers(marked) else marked.split("\n")
    return "".join(_paragraph(runs_xml(line, r_pr), before=120 if above else 60, after=60 if above else 120,
                              keep_next=above) for line in lines)


def table_block(table: Table, title: str | None) -> BlockMarkup:
    """A body table under its title, then a small paragraph (two tables never touch, Word would join them)."""
    xml = caption_xml(title, bold=True, italic=False, above=True) if title else ""
    xml += table_xml(table) + _paragraph("", after=0, size=6)
    return BlockMarkup(xml, _plain(title))


def picture_block(media: Media, width_cm: float, pixels: tuple[int, int], caption: str | None,
                  name: str) -> BlockMarkup:
    """A picture (or a chart's picture) centred at ``width_cm``, its height by its pixels' ratio, and its caption."""
    width = round(width_cm * EMU_PER_CM)
    height = round(width * pixels[1] / pixels[0])
    number = int(media.rel_id.removeprefix("rIdVanban"))
    docpr = DOCPR_BASE + number
    description = quoteattr(_plain(caption) or name)
    drawing = (
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0" xmlns:wp="{_WP}" xmlns:r="{_R}">'
        f'<wp:extent cx="{width}" cy="{height}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        f'<wp:docPr id="{docpr}" name="Hình {number}" descr={description}/>'
        f'<wp:cNvGraphicFramePr><a:graphicFrameLocks xmlns:a="{_A}" noChangeAspect="1"/></wp:cNvGraphicFramePr>'
        f'<a:graphic xmlns:a="{_A}"><a:graphicData uri="{_PIC}"><pic:pic xmlns:pic="{_PIC}">'
        f'<pic:nvPicPr><pic:cNvPr id="{docpr}" name={quoteattr(name)}/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{media.rel_id}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{width}" cy="{height}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
        "</wp:inline></w:drawing>")
    xml = _paragraph(f"<w:r>{drawing}</w:r>", before=120, after=0 if caption else 120, keep_next=bool(caption))
    if caption:
        xml += caption_xml(caption, bold=False, italic=True, above=False)
    return BlockMarkup(xml, _plain(caption))


def _plain(marked: str | None) -> str:
    from engine.inline import plain

    return plain(marked) if marked else ""


# ----- the parts a document adds -----------------------------------------------------------------------------


class AttachmentConflict(ValueError):
    """The template already has what the engine would add under the same name (a part, an id)."""


_SEPARATORS = (
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" '
    'w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>')


def footnote_xml(number: int, marked: str) -> str:
    """One ``w:footnote``: Word's own number (``w:footnoteRef``, superscript), a space, the text."""
    r_pr = _run_properties(FOOTNOTE_SIZE)
    mark = _run_properties(FOOTNOTE_SIZE).replace("</w:rPr>", '<w:vertAlign w:val="superscript"/></w:rPr>')
    paragraphs = []
    for index, line in enumerate(split_lines(marked) if has_markers(marked) else marked.split("\n")):
        lead = f'<w:r>{mark}<w:footnoteRef/></w:r><w:r>{r_pr}<w:t xml:space="preserve"> </w:t></w:r>' if not index \
            else ""
        paragraphs.append(_paragraph(lead + runs_xml(line, r_pr), align="both", size=FOOTNOTE_SIZE))
    return f'<w:footnote w:id="{number}">{"".join(paragraphs)}</w:footnote>'


def _target(rels: str, kind: str) -> str | None:
    for found in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = found.group()
        if f'Type="{kind}"' in tag and 'TargetMode="External"' not in tag:
            target = re.search(r'Target="([^"]*)"', tag)
            if target:
                value = target.group(1)
                return value.lstrip("/") if value.startswith("/") else f"word/{value}"
    return None


def attached_parts(part: dict[str, bytes], attachments: Attachments) -> dict[str, bytes]:
    """The parts a document with ``attachments`` adds or changes, given the parts it has (by name).

    ``part`` holds at least the content types and the document's relationships, and the
    footnotes part when the template has one. Raises :class:`AttachmentConflict` if the template
    already uses a name the engine would give.
    """
    out: dict[str, bytes] = {}
    rels = part[DOCUMENT_RELS].decode("utf-8")
    types = part[CONTENT_TYPES].decode("utf-8")
    new_rels: list[str] = []
    new_types: list[str] = []
    for media in attachments.media:
        if media.part in part or f'Id="{media.rel_id}"' in rels:
            raise AttachmentConflict(f"mẫu đã có phần {media.part} hoặc quan hệ {media.rel_id}")
        out[media.part] = media.data
        new_rels.append(f'<Relationship Id="{media.rel_id}" Type="{REL_IMAGE}" '
                        f'Target="{media.part.removeprefix("word/")}"/>')
        new_types.append(f'<Override PartName="/{media.part}" ContentType="{IMAGE_TYPES[media.kind]}"/>')
    if attachments.notes:
        notes = "".join(footnote_xml(number, text) for number, text in attachments.notes)
        existing = _target(rels, REL_FOOTNOTES)
        if existing is not None and existing in part:
            xml = part[existing].decode("utf-8")
            taken = {int(n) for n in re.findall(r'<w:footnote\b[^>]*\bw:id="(-?\d+)"', xml)}
            if taken & {number for number, _ in attachments.notes}:
                raise AttachmentConflict("mẫu đã có chú thích cuối trang của riêng nó")
            close = xml.rfind("</w:footnotes>")
            if close < 0:
                raise AttachmentConflict(f"phần chú thích {existing} của mẫu không đọc được")
            out[existing] = (xml[:close] + notes + xml[close:]).encode("utf-8")
        else:
            if FOOTNOTES_PART in part:
                raise AttachmentConflict(f"mẫu đã có phần {FOOTNOTES_PART} mà không dùng làm chú thích")
            out[FOOTNOTES_PART] = (
                "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                f'<w:footnotes xmlns:w="{_W}" xmlns:r="{_R}">{_SEPARATORS}{notes}</w:footnotes>').encode()
            new_rels.append(f'<Relationship Id="rIdVanbanChuThich" Type="{REL_FOOTNOTES}" Target="footnotes.xml"/>')
            new_types.append(f'<Override PartName="/{FOOTNOTES_PART}" ContentType="{FOOTNOTES_TYPE}"/>')
    if new_rels:
        close = rels.rfind("</Relationships>")
        out[DOCUMENT_RELS] = (rels[:close] + "".join(new_rels) + rels[close:]).encode("utf-8")
    if new_types:
        close = types.rfind("</Types>")
        out[CONTENT_TYPES] = (types[:close] + "".join(new_types) + types[close:]).encode("utf-8")
    return out
