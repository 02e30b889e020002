"""Word-style variants of our own templates, made by code: each kind of split Word makes in a tag, alone and together.

A variant takes a tag that sits alone in one run of the template (``<w:r><w:rPr>…</w:rPr><w:t>{{ tag }}</w:t></w:r>``)
and writes it the way Word saves it after an author has typed or touched it: cut into runs at given places,
with marks between the pieces (spell-check marks, a bookmark, revision ids) and the formatting of a piece
changed (italic, another language). Nothing is typed by hand into the XML of a template file.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape, unescape

PROOF_START = '<w:proofErr w:type="spellStart"/>'
PROOF_END = '<w:proofErr w:type="spellEnd"/>'
GO_BACK = '<w:bookmarkStart w:id="0" w:name="_GoBack"/><w:bookmarkEnd w:id="0"/>'


@dataclass(frozen=True)
class Piece:
    """One run of a split tag: its text, extra formatting inside its rPr, attributes on the run, XML before it."""

    text: str
    formatting: str = ""
    attributes: str = ""
    before: str = ""


def _cut(tag: str, *at: str) -> list[str]:
    """Cut ``tag`` just before each of the substrings ``at`` (in order)."""
    pieces, rest = [], tag
    for marker in at:
        index = rest.index(marker, 1)
        pieces.append(rest[:index])
        rest = rest[index:]
    return [*pieces, rest]


def italic_half(tag: str) -> list[Piece]:
    """Half a tag in italic (an author selected the name and pressed Ctrl-I, then undid it on the rest)."""
    first, second = _cut(tag, tag[len(tag) // 2:])
    return [Piece(first), Piece(second, formatting="<w:i/><w:iCs/>")]


def proof_marks(tag: str) -> list[Piece]:
    """The name marked as a spelling mistake: proofErr marks around it, each part its own run."""
    name_start = re.search(r"[A-Za-z_]", tag).start()
    name_end = name_start + re.search(r"[^A-Za-z_.]", tag[name_start:]).start()
    head, name, tail = tag[:name_start], tag[name_start:name_end], tag[name_end:]
    return [Piece(head), Piece(name, before=PROOF_START), Piece(tail, before=PROOF_END)]


def split_opening(tag: str) -> list[Piece]:
    """The opening braces in two runs: "{" and "{ van_ban…" (typed, then autocorrected)."""
    return [Piece(tag[:1]), Piece(tag[1:], attributes=' w:rsidR="00A1B2C3"')]


def split_closing(tag: str) -> list[Piece]:
    """The closing braces in two runs: "… }" and "}"."""
    return [Piece(tag[:-1]), Piece(tag[-1:], attributes=' w:rsidRPr="00D4E5F6"')]


def bookmark_inside(tag: str) -> list[Piece]:
    """Word's _GoBack bookmark where the cursor last was, in the middle of the tag."""
    middle = len(tag) // 2
    return [Piece(tag[:middle]), Piece(tag[middle:], before=GO_BACK)]


def language_change(tag: str) -> list[Piece]:
    """The second half typed with the keyboard in another language (w:lang changes mid-tag)."""
    middle = len(tag) // 3
    return [Piece(tag[:middle]), Piece(tag[middle:], formatting='<w:lang w:val="en-US"/>')]


def everything(tag: str) -> list[Piece]:
    """All of the above in one tag: braces apart, proofErr, a bookmark, italic, another language, rsids."""
    if len(tag) < 8:
        return split_opening(tag)
    a, b, c, d, e = tag[:1], tag[1:3], tag[3:len(tag) // 2], tag[len(tag) // 2:-1], tag[-1:]
    return [Piece(a), Piece(b, attributes=' w:rsidR="00112233"'), Piece(c, before=PROOF_START + GO_BACK,
            formatting="<w:i/>"), Piece(d, before=PROOF_END, formatting='<w:lang w:val="en-US"/>'),
            Piece(e, attributes=' w:rsidRPr="00445566"')]


KINDS: dict[str, Callable[[str], list[Piece]]] = {
    "italic_half": italic_half, "proof_marks": proof_marks, "split_opening": split_opening,
    "split_closing": split_closing, "bookmark_inside": bookmark_inside, "language_change": language_change,
    "everything": everything,
}

_RUN = re.compile(r"<w:r>(<w:rPr>(?:(?!</w:rPr>).)*</w:rPr>)?<w:t(?: [^>]*)?>"
                  r"(\{[{%](?:(?!</w:t>).)*[}%]\})</w:t></w:r>", re.DOTALL)


def _runs(properties: str, pieces: list[Piece]) -> str:
    out = []
    for piece in pieces:
        rpr = properties
        if piece.formatting:
            rpr = (rpr.replace("</w:rPr>", piece.formatting + "</w:rPr>") if rpr
                   else f"<w:rPr>{piece.formatting}</w:rPr>")
        out.append(f'{piece.before}<w:r{piece.attributes}>{rpr}<w:t xml:space="preserve">{piece.text}</w:t></w:r>')
    return "".join(out)


def split_tags(package: bytes, kind: Callable[[str], list[Piece]], *, only: str | None = None) -> tuple[bytes, int]:
    """The package with every tag that sits alone in a run (or only the tag ``only``) written as Word splits it.

    Returns the new package and how many tags were split.
    """
    count = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal count
        tag = match.group(2)
        if only is not None and tag != only:
            return match.group(0)
        pieces = kind(unescape(tag, {"&quot;": '"'}))
        if len(pieces) < 2:
            return match.group(0)
        count += 1
        return _runs(match.group(1) or "", [Piece(escape(p.text), p.formatting, p.attributes, p.before)
                                             for p in pieces])

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", item.filename):
                data = _RUN.sub(rewrite, data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return out.getvalue(), count
