"""Turn the inline markup a clerk types in spec text (**đậm**, //nghiêng// …) into marked text and runs.

The markup follows WikiCreole: each look is a pair of doubled characters around the text.

=================  ===================  ========================================
markup             look                 example
=================  ===================  ========================================
``**…**``          đậm (bold)           ``**Kết quả tổng hợp như sau:**``
``//…//``          nghiêng (italic)     ``//(có phụ lục kèm theo)//``
``__…__``          gạch chân            ``__không__ thực hiện``
``^^…^^``          chỉ số trên          ``m^^2^^``
``,,…,,``          chỉ số dưới          ``CO,,2,,``
``[^ten]``         chú thích cuối trang ``Công văn số 4975/VPCP-KSTT[^vpcp]``
``~``              the next pair as is  ``~**`` prints ``**``
=================  ===================  ========================================

It cannot be set off by accident: a single ``*``, ``/``, ``_``, ``^`` or ``,`` is always text
("5 * 3", "*)", "Tổng*", "và/hoặc"), and so is a run of three or more ("______" blanks to fill in).
A pair opens only before a letter (not before a space) and closes only after one; one that is
never closed within the same text is printed as typed; ``//`` right after ``:`` is a web address
(``https://…``), not italic. ``{{ … }}`` and ``{% … %}`` are left whole: markup is read in the text
around them, and the value of an expression is data, whose characters never turn into formatting.

The result is *marked text*: the spec's text with private-use characters where the look changes
(:data:`LOOK_BASE` + the look's bits, meaning "from here on, this look") and around a footnote
reference. Marked text is ordinary ``str`` for every string operation the context does (punctuation,
upper case, joining); :func:`pieces` reads it back into runs, and only engine.render writes them as
Word runs. Nothing here knows XML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BOLD", "ITALIC", "LOOK_BASE", "NOTE_CLOSE", "NOTE_OPEN", "SUBSCRIPT", "SUPERSCRIPT", "UNDERLINE",
           "Piece", "has_markers", "is_look_marker", "mark_markup", "note_keys", "pieces", "plain", "replace_notes",
           "split_lines", "strip_markers"]

BOLD, ITALIC, UNDERLINE, SUPERSCRIPT, SUBSCRIPT = 1, 2, 4, 8, 16
LOOK_BASE = 0xE000  # chr(LOOK_BASE + look): from here on, the text has this look (0: the text's own)
NOTE_OPEN, NOTE_CLOSE = "\ue040", "\ue041"  # around a footnote's key (or, once resolved, its number)
_MARKERS = re.compile("[\ue000-\ue04f]")
_MARKER_RANGE = ("\ue000", "\ue04f")

DELIMITERS = {"**": BOLD, "//": ITALIC, "__": UNDERLINE, "^^": SUPERSCRIPT, ",,": SUBSCRIPT}
LOOK_WORDS = {BOLD: "đậm", ITALIC: "nghiêng", UNDERLINE: "gạch chân", SUPERSCRIPT: "chỉ số trên",
              SUBSCRIPT: "chỉ số dưới"}

# What may start markup: without one of these, a text is returned as it is (the common case, quickly).
_MAYBE = re.compile(r"\*\*|//|__|\^\^|,,|\[\^|~|[\ue000-\ue04f]")
# In the literal text: an escaped pair, a footnote reference, a run of one delimiter character.
_TOKEN = re.compile(r"~(\*\*|//|__|\^\^|,,|\[\^)|\[\^([A-Za-z0-9_\-]{1,64})\]|\*+|/+|_+|\^+|,+")
_JINJA_OPEN = re.compile(r"\{\{|\{%|\{#")
_JINJA_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}


@dataclass(frozen=True)
class Piece:
    """A stretch of marked text with one look, or (``note`` set) a footnote reference."""

    text: str
    look: int = 0
    note: str | None = None


def has_markers(text: str) -> bool:
    """Whether ``text`` carries a look or a footnote reference (is marked text, not plain)."""
    return _MARKERS.search(text) is not None


def is_look_marker(char: str) -> bool:
    """Whether ``char`` is a look's marker (not a footnote's)."""
    return LOOK_BASE <= ord(char) < LOOK_BASE + 32


def split_lines(marked: str) -> list[str]:
    """Marked text cut at its line breaks, each line opening with the look the one before ended in."""
    lines = marked.split("\n")
    look = 0
    out = []
    for line in lines:
        out.append(chr(LOOK_BASE + look) + line if look else line)
        for char in reversed(line):
            if is_look_marker(char):
                look = ord(char) - LOOK_BASE
                break
    return out


def strip_markers(text: str) -> str:
    """``text`` without any marker character: what data (an expression's value) is reduced to."""
    return _MARKERS.sub("", text) if _MARKERS.search(text) else text


def _jinja_spans(source: str) -> list[tuple[int, int]]:
    """Where the ``{{ … }}``, ``{% … %}`` and ``{# … #}`` tags are (strings inside them skipped)."""
    spans: list[tuple[int, int]] = []
    position = 0
    while (found := _JINJA_OPEN.search(source, position)) is not None:
        start = found.start()
        close = _JINJA_CLOSE[found.group()]
        index, quote = found.end(), None
        while index < len(source):
            char = source[index]
            if quote:
                if char == "\\":
                    index += 1
                elif char == quote:
                    quote = None
            elif char in "'\"" and close != "#}":
                quote = char
            elif source.startswith(close, index):
                index += len(close)
                break
            index += 1
        spans.append((start, index))
        position = index
    return spans


@dataclass
class _Delimiter:
    start: int
    end: int
    look: int
    opens: bool
    closes: bool
    paired: bool = False


def mark_markup(source: str) -> str:
    """The spec text ``source`` as marked text: its markup replaced by markers, Jinja tags left whole.

    >>> plain(mark_markup("Chữ **đậm** và 5 * 3"))
    'Chữ đậm và 5 * 3'
    >>> [(p.text, p.look) for p in pieces(mark_markup("a **b** c"))]
    [('a ', 0), ('b', 1), (' c', 0)]
    >>> mark_markup("Tổng* và *) và ______") == "Tổng* và *) và ______"
    True
    >>> mark_markup("~**không đậm**")
    '**không đậm**'
    """
    if not _MAYBE.search(source):
        return source
    source = strip_markers(source)
    # The literal stretches between Jinja tags; a tag counts as a letter for the rules on spaces.
    literal: list[tuple[int, int]] = []
    last = 0
    for start, end in _jinja_spans(source):
        literal.append((last, start))
        last = end
    literal.append((last, len(source)))

    out: list[tuple[int, int, str]] = []  # (start, end, replacement) in source order
    delimiters: list[_Delimiter] = []
    for begin, finish in literal:
        for token in _TOKEN.finditer(source, begin, finish):
            if token.group(1):  # ~** : the pair printed as it is, without the tilde
                out.append((token.start(), token.end(), token.group(1)))
            elif token.group(2):
                out.append((token.start(), token.end(), f"{NOTE_OPEN}{token.group(2)}{NOTE_CLOSE}"))
            elif len(token.group()) == 2 and token.group() in DELIMITERS:
                if token.group() == "//" and token.start() > 0 and source[token.start() - 1] == ":":
                    continue  # https://… is an address
                before = source[token.start() - 1] if token.start() > 0 else " "
                after = source[token.end()] if token.end() < len(source) else " "
                delimiters.append(_Delimiter(token.start(), token.end(), DELIMITERS[token.group()],
                                             opens=not after.isspace(), closes=not before.isspace()))
    open_at: dict[int, _Delimiter] = {}
    for delimiter in delimiters:
        opened = open_at.get(delimiter.look)
        if opened is not None and delimiter.closes:
            opened.paired = delimiter.paired = True
            del open_at[delimiter.look]
        elif opened is None and delimiter.opens:
            open_at[delimiter.look] = delimiter
    look = 0
    for delimiter in delimiters:
        if delimiter.paired:
            look ^= delimiter.look
            out.append((delimiter.start, delimiter.end, chr(LOOK_BASE + look)))
    if not out:
        return source
    out.sort()
    text: list[str] = []
    position = 0
    for start, end, replacement in out:
        text.append(source[position:start])
        text.append(replacement)
        position = end
    text.append(source[position:])
    return "".join(text)


def pieces(marked: str) -> list[Piece]:
    """Marked text as runs of one look each and footnote references, in order (empty runs left out).

    >>> [(p.text, p.look, p.note) for p in pieces(mark_markup("x[^a] **y**"))]
    [('x', 0, None), ('', 0, 'a'), (' ', 0, None), ('y', 1, None)]
    """
    if not has_markers(marked):
        return [Piece(marked)] if marked else []
    out: list[Piece] = []
    look = 0
    buffer: list[str] = []
    index = 0
    while index < len(marked):
        char = marked[index]
        if char == NOTE_OPEN:
            close = marked.find(NOTE_CLOSE, index + 1)
            if close < 0:  # a lone marker (never made by mark_markup): dropped
                index += 1
                continue
            if buffer:
                out.append(Piece("".join(buffer), look))
                buffer = []
            out.append(Piece("", look, marked[index + 1:close]))
            index = close + 1
            continue
        if _MARKER_RANGE[0] <= char <= _MARKER_RANGE[1]:
            new = ord(char) - LOOK_BASE
            if new != look and 0 <= new < 32:
                if buffer:
                    out.append(Piece("".join(buffer), look))
                    buffer = []
                look = new
        else:
            buffer.append(char)
        index += 1
    if buffer:
        out.append(Piece("".join(buffer), look))
    return out


def plain(marked: str) -> str:
    """The text a reader sees, without looks or footnote references."""
    if not has_markers(marked):
        return marked
    return "".join(piece.text for piece in pieces(marked))


def note_keys(marked: str) -> list[str]:
    """The footnote references of marked text, in order."""
    return [piece.note for piece in pieces(marked) if piece.note is not None]


def replace_notes(marked: str, number_of: dict[str, int] | None = None) -> str:
    """Marked text whose footnote keys are replaced by their numbers (``number_of``), or removed (None)."""
    def replace(found: re.Match[str]) -> str:
        if number_of is None:
            return ""
        return f"{NOTE_OPEN}{number_of[found.group(1)]}{NOTE_CLOSE}"

    return re.sub(f"{NOTE_OPEN}([^{NOTE_CLOSE}]*){NOTE_CLOSE}", replace, marked)
