"""Turn marked text (engine.inline) into Word runs: in a template's run, or in a run the engine writes.

A template prints a value inside one run (``<w:r><w:rPr>…</w:rPr><w:t>{{ b.noi_dung }}</w:t></w:r>``),
whose look the template's maintainer chose in Word. A :class:`Styled` value prints its text
escaped, with a processing instruction (``<?vanban r3?>``, ``<?vanban n2?>``) where the look changes
or a footnote is referenced; after the render, :func:`resolve_runs` splits that run there into runs
of the template's look plus the marked one (bold, italic, underline, superscript, subscript) and a
``w:footnoteReference`` run. Data never makes an instruction: the .docx environment escapes every
value that is not the engine's markup, so a ``<?`` out of data is text. A part without ``<?vanban``
is not touched (one substring search).

A body block (a table, a picture, a chart: engine.render.blocks) prints ``<?vanban khoi?>`` +
its XML + ``<?vanban /khoi?>`` inside the paragraph the template has for a body paragraph; the
paragraph is replaced by the block. Text the engine writes itself (table cells, footnotes) goes
through :func:`runs_xml` with its own run properties.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import lru_cache
from xml.sax.saxutils import escape

from engine.inline import BOLD, ITALIC, SUBSCRIPT, SUPERSCRIPT, UNDERLINE, has_markers, pieces, plain
from engine.render.markup import EngineMarkup

__all__ = ["Styled", "look_properties", "note_printed", "printed_markup", "resolve_runs", "runs_xml", "styled"]

PI = "<?vanban "
BLOCK_OPEN = "<?vanban khoi?>"
BLOCK_CLOSE = "<?vanban /khoi?>"
_XML_ESCAPES = {'"': "&quot;"}
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Set by a render that watches (engine.render.docx): whether any of the engine's marked values was printed, so
# that a part is searched for instructions only then (a 10 MB part costs 6 ms to search, for nothing).
_printed: ContextVar[list[bool] | None] = ContextVar("vanban_printed_markup", default=None)


def note_printed() -> None:
    watch = _printed.get()
    if watch is not None:
        watch[0] = True


class printed_markup:  # noqa: N801  (a context manager read like a phrase: with printed_markup() as printed)
    """Watch one render: ``printed[0]`` is True afterwards when a marked value or a block was printed."""

    def __enter__(self) -> list[bool]:
        self.flag = [False]
        self.token = _printed.set(self.flag)
        return self.flag

    def __exit__(self, *_: object) -> None:
        _printed.reset(self.token)


class Styled(EngineMarkup):
    """Marked text for a template to print: its looks and footnote references, nothing to read or call.

    ``str()`` gives the plain text (what a filter such as ``| upper`` works on, and what the
    document's title property says); the text environment prints the marked text itself, so
    ``{{ van_ban.trich_yeu }}`` in a phụ lục title keeps its looks.
    """

    __slots__ = ("marked",)

    def __init__(self, marked: str) -> None:
        self.marked = marked

    def __html__(self) -> str:
        note_printed()
        out: list[str] = []
        look = 0
        for piece in pieces(self.marked):
            if piece.look != look:
                out.append(f"<?vanban r{piece.look}?>")
                look = piece.look
            if piece.note is not None:
                out.append(f"<?vanban n{int(piece.note)}?>")
            else:
                out.append(escape(_ILLEGAL_XML.sub("", piece.text), _XML_ESCAPES))
        if look:
            out.append("<?vanban r0?>")
        return "".join(out)

    def __str__(self) -> str:
        return plain(self.marked)

    def __bool__(self) -> bool:
        return bool(self.marked)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Styled) and other.marked == self.marked

    def __hash__(self) -> int:
        return hash(self.marked)

    def __repr__(self) -> str:
        return f"Styled({self.marked!r})"


def styled(marked: str) -> str | Styled:
    """Marked text as a template prints it: plain text as it is, text with looks or notes as :class:`Styled`."""
    return Styled(marked) if has_markers(marked) else marked


# ----- run properties --------------------------------------------------------------------------------

# CT_RPr's children in schema order (ECMA-376 17.3.2.28): a property added goes in its place.
_RPR_ORDER = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline",
              "shadow", "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing",
              "w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText",
              "vertAlign", "rtl", "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath")
_RANK = {name: rank for rank, name in enumerate(_RPR_ORDER)}
_CHILD = re.compile(r"<w:([A-Za-z]+)\b[^>]*?/>|<w:([A-Za-z]+)\b[^>]*>.*?</w:\2>|<[^>]+/>|<([\w:]+)\b[^>]*>.*?</\3>",
                    re.DOTALL)


@lru_cache(maxsize=1024)
def look_properties(base: str, look: int, note: bool = False) -> str:
    """The ``w:rPr`` of a run whose template run has ``base`` (its rPr, or ""), with ``look`` put on top.

    >>> look_properties('<w:rPr><w:sz w:val="28"/></w:rPr>', 1)
    '<w:rPr><w:b/><w:bCs/><w:sz w:val="28"/></w:rPr>'
    """
    inner = base[len("<w:rPr>"):-len("</w:rPr>")] if base.startswith("<w:rPr>") else ""
    children: list[tuple[int, str]] = []
    wanted: dict[str, str] = {}
    if look & BOLD:
        wanted.update(b="<w:b/>", bCs="<w:bCs/>")
    if look & ITALIC:
        wanted.update(i="<w:i/>", iCs="<w:iCs/>")
    if look & UNDERLINE:
        wanted["u"] = '<w:u w:val="single"/>'
    if note or look & SUPERSCRIPT:
        wanted["vertAlign"] = '<w:vertAlign w:val="superscript"/>'
    elif look & SUBSCRIPT:
        wanted["vertAlign"] = '<w:vertAlign w:val="subscript"/>'
    for found in _CHILD.finditer(inner):
        name = found.group(1) or found.group(2)
        if name in wanted:
            continue  # replaced by the look's own
        children.append((_RANK.get(name or "", len(_RPR_ORDER)), found.group()))
    children += [(_RANK[name], xml) for name, xml in wanted.items()]
    children.sort(key=lambda child: child[0])  # stable: unknown children keep their order, at the end
    return "<w:rPr>" + "".join(xml for _, xml in children) + "</w:rPr>"


def runs_xml(marked: str, r_pr: str) -> str:
    """Marked text as ``<w:r>`` elements of ``r_pr`` (the engine's own run properties) plus each look.

    Line breaks become ``w:br`` and tabs ``w:tab``; a footnote reference is a run of its own.
    """
    out: list[str] = []
    for piece in pieces(marked):
        if piece.note is not None:
            out.append(f'<w:r>{look_properties(r_pr, piece.look, note=True)}'
                       f'<w:footnoteReference w:id="{int(piece.note)}"/></w:r>')
            continue
        text = _ILLEGAL_XML.sub("", piece.text)
        if not text:
            continue
        properties = look_properties(r_pr, piece.look) if piece.look else r_pr
        content = "<w:br/>".join(
            "<w:tab/>".join(f'<w:t xml:space="preserve">{escape(part, _XML_ESCAPES)}</w:t>' if part else ""
                            for part in line.split("\t"))
            for line in text.split("\n"))
        out.append(f"<w:r>{properties}{content}</w:r>")
    return "".join(out)


# ----- after the render ------------------------------------------------------------------------------

_INSTRUCTION = re.compile(r"<\?vanban ([rn])(\d+)\?>")
_TEXT_OPEN = re.compile(r"<w:t(?:\s[^>]*)?>")
_EMPTY_RUN = re.compile(r'<w:r>(?:<w:rPr>(?:(?!</w:r>).)*?</w:rPr>)?<w:t xml:space="preserve"></w:t></w:r>')
_VISIBLE_TEXT = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


class MisplacedMarkup(ValueError):
    """The engine's markup was printed where it cannot stand (a block inside a line of text …)."""


def resolve_runs(xml: str) -> str:
    """A rendered part with every ``<?vanban …?>`` instruction turned into runs and blocks (see the module)."""
    if PI not in xml:
        return xml
    if BLOCK_OPEN in xml:
        xml = _resolve_blocks(xml)
    if PI not in xml:
        return xml
    pieces_out: list[str] = []
    done = 0
    for found in _INSTRUCTION.finditer(xml):
        if found.start() < done:
            continue  # inside a run already split
        start = max(xml.rfind("<w:r>", done, found.start()), xml.rfind("<w:r ", done, found.start()))
        end = xml.find("</w:r>", found.end())
        text_open = max((m for m in _TEXT_OPEN.finditer(xml, max(start, done), found.start())),
                        key=lambda m: m.start(), default=None)
        if start < 0 or end < 0 or text_open is None or "</w:t>" in xml[text_open.end():found.start()]:
            # Printed outside a text run (a {{r …}} tag, an attribute …): the text stays, plain.
            pieces_out.append(xml[done:found.start()])
            done = found.end()
            continue
        end += len("</w:r>")
        pieces_out.append(xml[done:start])
        pieces_out.append(_split_run(xml[start:end]))
        done = end
    pieces_out.append(xml[done:])
    return "".join(pieces_out)


def _split_run(run: str) -> str:
    """One template run holding instructions, as the runs they mean (the template's look under each)."""
    head_end = run.index(">") + 1
    head = run[:head_end]
    if run.startswith("<w:rPr>", head_end):
        properties_end = run.index("</w:rPr>", head_end) + len("</w:rPr>")
        base = run[head_end:properties_end]
    elif run.startswith("<w:rPr/>", head_end):
        properties_end, base = head_end + len("<w:rPr/>"), ""
    else:
        properties_end, base = head_end, ""
    body = _TEXT_OPEN.sub('<w:t xml:space="preserve">', run[properties_end:])
    out = [head, base]
    look = 0
    position = 0
    for found in _INSTRUCTION.finditer(body):
        out.append(body[position:found.start()])
        number = int(found.group(2))
        if found.group(1) == "r":
            look = number
            out.append(f'</w:t></w:r><w:r>{look_properties(base, look) if look else base}<w:t xml:space="preserve">')
        else:
            current = look_properties(base, look) if look else base
            out.append(f'</w:t></w:r><w:r>{look_properties(base, look, note=True)}'
                       f'<w:footnoteReference w:id="{number}"/></w:r><w:r>{current}<w:t xml:space="preserve">')
        position = found.end()
    out.append(body[position:])
    return _EMPTY_RUN.sub("", "".join(out))


def _resolve_blocks(xml: str) -> str:
    out: list[str] = []
    done = 0
    while (open_at := xml.find(BLOCK_OPEN, done)) >= 0:
        start = max(xml.rfind("<w:p>", done, open_at), xml.rfind("<w:p ", done, open_at))
        close_at = xml.find(BLOCK_CLOSE, open_at)
        end = xml.find("</w:p>", close_at)
        if start < 0 or close_at < 0 or end < 0:
            raise MisplacedMarkup("một khối (bảng, ảnh, biểu đồ) được in ra ngoài một đoạn văn của mẫu")
        end += len("</w:p>")
        around = xml[start:open_at] + xml[close_at + len(BLOCK_CLOSE):end]
        if any(text.strip() for text in _VISIBLE_TEXT.findall(around)) or BLOCK_OPEN in around:
            raise MisplacedMarkup("một khối (bảng, ảnh, biểu đồ) phải đứng riêng một đoạn trong mẫu, "
                                  "không cùng đoạn với chữ khác")
        out.append(xml[done:start])
        out.append(xml[open_at + len(BLOCK_OPEN):close_at])
        done = end
    out.append(xml[done:])
    return "".join(out)
