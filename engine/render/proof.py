"""A proof, made once per template, that every render of it is well-formed XML: the check a big part skips.

Why: libxml2 parsing a 10,000-row appendix (11 MB) was the longest step of its render, longer
than Jinja. But the structure of such a part is fixed by the template: its static XML is the
template's, and what a render adds is escaped values (``&``, ``<``, ``>``, quotes: text that
cannot open or close anything) repeated or left out by ``{% for %}`` and ``{% if %}``. When each
loop body, loop ``else`` and branch is a balanced run of elements that starts and ends at the same
place, any number of repetitions and any choice of branches gives the same balance; so if the
template's static XML is well-formed once with one copy of every block, every render is.

:func:`structure_proof` decides that from the template's Jinja syntax tree (not from its text):

- only output, ``for``, ``if``, ``with`` and ``set`` are allowed (a macro, a call block, a
  ``{% filter %}`` or ``{% autoescape %}`` block, a recursive loop, a constant ``{{ "…" }}``
  that Jinja would fold into the template's text unchecked: no proof);
- a value (``{{ … }}``) sits in element content, inside an element, or inside a quoted attribute
  value (not a namespace declaration), never in a tag, a comment, a processing instruction or
  CDATA; a ``for``/``if`` tag sits in element content, inside the root element;
- every block is balanced: no end tag in it closes an element opened before it, and it ends (and
  each of its branches ends) with the elements it began with;
- the template with every block once and every value as ``x`` (the witness) is checked by libxml2
  exactly as a rendered part is (engine.render.docx.xml_problem): names, entities, characters,
  namespace prefixes, one root, depth.

What a proof does not cover is checked at render time (engine.render.docx): a value that is not
plain text (the engine's or Jinja's markup is printed as it is), a value with a character XML does
not allow, and docxtpl's or the engine's rewriting of the rendered text (line breaks and tabs,
inline looks) send the part to the full check; the size limits and the long-text check always run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

__all__ = ["NotProvable", "structure_proof"]

HOLE, OPEN, BRANCH, CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"  # private-use: a template's text never has them
_MARKERS = re.compile("[\ue000-\ue003]")


class NotProvable(Exception):
    """Why a template's structure does not prove its renders well-formed (the full check is made instead)."""


def structure_proof(environment: Environment, source: str, head: str, tail: str,
                    check: Callable[[bytes], str | None]) -> str | None:
    """None when every render of ``source`` (between ``head`` and ``tail``) is well-formed XML; else why not.

    ``check``: the full check of a rendered part, applied here once to the witness.
    """
    if _MARKERS.search(source) or _MARKERS.search(head) or _MARKERS.search(tail):
        return "the template holds a private-use character the proof uses"
    try:
        tree = environment.parse(source)
        pieces: list[str] = []
        _linear(tree.body, pieces, nodes.EvalContext(environment))
        linear = head + "".join(pieces) + tail
        _balanced(linear)
    except NotProvable as exc:
        return str(exc)
    except TemplateSyntaxError as exc:
        return f"syntax: {exc.message}"
    witness = linear.replace(HOLE, "x").replace(OPEN, "").replace(BRANCH, "").replace(CLOSE, "")
    problem = check(witness.encode("utf-8"))
    return f"the witness is not well-formed: {problem}" if problem else None


def _linear(body: Iterable[nodes.Node], out: list[str], eval_ctx: nodes.EvalContext) -> None:
    """The template's output in order: its static text, HOLE for a value, OPEN/BRANCH/CLOSE around blocks."""
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append(child.data)
                    continue
                try:
                    child.as_const(eval_ctx)
                except Exception:  # noqa: BLE001  (Jinja too evaluates at render time whatever fails here)
                    out.append(HOLE)
                    continue
                raise NotProvable("a constant value, which Jinja writes into the template's text")
        elif isinstance(node, nodes.For):
            if node.recursive:
                raise NotProvable("a recursive loop")
            out.append(OPEN)
            _linear(node.body, out, eval_ctx)
            if node.else_:
                out.append(BRANCH)
                _linear(node.else_, out, eval_ctx)
            out.append(CLOSE)
        elif isinstance(node, nodes.If):
            out.append(OPEN)
            _linear(node.body, out, eval_ctx)
            for branch in node.elif_:
                out.append(BRANCH)
                _linear(branch.body, out, eval_ctx)
            if node.else_:
                out.append(BRANCH)
                _linear(node.else_, out, eval_ctx)
            out.append(CLOSE)
        elif isinstance(node, nodes.With):
            _linear(node.body, out, eval_ctx)  # its body is written once, where it stands
        elif isinstance(node, nodes.Assign):
            continue  # {% set x = … %} writes nothing
        else:
            raise NotProvable(f"a {type(node).__name__} tag")


# The tokens of the linear text. Names are only delimited here (libxml2 checks them in the witness);
# entities are matched strictly, so that no value can complete one begun by the template.
_ENTITY = r"&(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);"
_NAME = r"[^\s<>/=\"'&\ue000-\ue003!?]+"
_TEXT = re.compile(rf"(?:[^<&\ue000-\ue003]|{_ENTITY})+")
_START = re.compile(rf"<({_NAME})")
_ATTRIBUTE = re.compile(rf"[ \t\r\n]+({_NAME})[ \t\r\n]*=[ \t\r\n]*"
                        rf"(\"(?:[^\"<&\ue001-\ue003]|{_ENTITY})*\"|'(?:[^'<&\ue001-\ue003]|{_ENTITY})*')")
_TAG_END = re.compile(r"[ \t\r\n]*(/?)>")
_END = re.compile(rf"</({_NAME})[ \t\r\n]*>")
_ASIDE = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))  # comments, CDATA, processing instructions


def _balanced(text: str) -> None:
    """Raise NotProvable unless values and blocks stand where the rules above allow and every block is balanced."""
    stack: list[str] = []  # the open elements
    bases: list[int] = []  # for each open block, how many elements were open where it began
    roots = 0
    pos, end = 0, len(text)
    while pos < end:
        char = text[pos]
        if char == "<":
            aside = next(((opening, closing) for opening, closing in _ASIDE if text.startswith(opening, pos)), None)
            if aside is not None:
                stop = text.find(aside[1], pos + len(aside[0]))
                if stop < 0 or _MARKERS.search(text, pos, stop):
                    raise NotProvable("a value or a block inside a comment, CDATA or a processing instruction")
                pos = stop + len(aside[1])
                continue
            if text.startswith("</", pos):
                match = _END.match(text, pos)
                if not match or not stack or stack[-1] != match[1]:
                    raise NotProvable(f"an end tag that closes no open element at {pos}")
                if bases and len(stack) <= bases[-1]:
                    raise NotProvable("a block that closes an element opened before it")
                stack.pop()
                pos = match.end()
                continue
            if text.startswith("<!", pos):
                raise NotProvable("a declaration (<!DOCTYPE …)")
            match = _START.match(text, pos)
            if not match:
                raise NotProvable(f"a tag the proof does not read at {pos}")
            name, pos = match[1], match.end()
            while attribute := _ATTRIBUTE.match(text, pos):
                if HOLE in attribute[2] and (attribute[1] == "xmlns" or attribute[1].startswith("xmlns:")):
                    raise NotProvable("a value in a namespace declaration")
                pos = attribute.end()
            closing = _TAG_END.match(text, pos)
            if not closing:
                raise NotProvable(f"a value or a block inside the tag <{name}>")
            pos = closing.end()
            if not stack:
                roots += 1
            if not closing[1]:
                stack.append(name)
        elif char == HOLE:
            if not stack:
                raise NotProvable("a value outside the root element")
            pos += 1
        elif char == OPEN:
            if not stack:
                raise NotProvable("a block outside the root element")
            bases.append(len(stack))
            pos += 1
        elif char in (BRANCH, CLOSE):
            if not bases or len(stack) != bases[-1]:
                raise NotProvable("a block that ends with other elements open than it began with")
            if char == CLOSE:
                bases.pop()
            pos += 1
        else:
            match = _TEXT.match(text, pos)
            if not match:
                raise NotProvable(f"an '&' that begins no entity at {pos}")
            if not stack and match[0].strip():
                raise NotProvable("text outside the root element")
            pos = match.end()
    if stack or bases or roots != 1:
        raise NotProvable("not one root element, closed")
