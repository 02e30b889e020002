"""Build the two Jinja environments once per process: one for spec text, one for .docx XML.

Both are sandboxed (specs and templates may come from outside), use StrictUndefined (a
missing value is an error, never a silent blank) and share the filter table of engine.vn.
The .docx environment autoescapes, so ``&``, ``<`` and ``>`` in data render literally
instead of corrupting the XML; the text environment does not, because its output is plain
text that the .docx environment escapes once when it is placed in the document.
"""

from __future__ import annotations

from functools import cache, lru_cache

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from engine.vn.filters import FILTERS


def _make(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=False,
        auto_reload=False,
        cache_size=2000,
    )
    env.filters.update(FILTERS)
    return env


@cache
def text_environment() -> SandboxedEnvironment:
    """Environment for ``{{ … }}`` expressions written in the spec's text fields."""
    return _make(autoescape=False)


@cache
def docx_environment() -> SandboxedEnvironment:
    """Environment docxtpl renders the template XML with (autoescape on)."""
    return _make(autoescape=True)


@lru_cache(maxsize=4096)
def compile_text(source: str) -> jinja2.Template:
    """Compile a spec text expression once; batches render the same strings many times."""
    return text_environment().from_string(source)
