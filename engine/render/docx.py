"""Turn a render context and a .docx template into the bytes of a finished .docx.

This is the only module that drives docxtpl and python-docx. A template is read and checked
once per process (:func:`load_template` caches it by path and modification time); each render
starts from those bytes, so batches pay no per-document set-up beyond docxtpl's own work.
Errors name the template, the part and the paragraph, in the author's terms.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from engine.context import SignatureImage
from engine.errors import Location, Problem, TemplateError
from engine.render.compose import restore_core_properties_prefix
from engine.render.environment import docx_environment
from engine.render.inspect import find_paragraphs, template_tags
from engine.render.package import BrokenPackage, normalise_package

SIGNATURE_WIDTH = Mm(40)

# docxtpl imports docxcompose, which re-points python-docx's "cp" prefix (docxcompose #101); put it back
# before any document is saved, or core.xml gets a foreign element.
restore_core_properties_prefix()


class CompiledTemplate:
    """A .docx template loaded and checked once, rendered any number of times."""

    def __init__(self, path: Path, package: bytes):
        self.path = path
        self.name = path.name
        self.package = package
        self._check_tags()

    @classmethod
    def from_file(cls, path: str | Path) -> CompiledTemplate:
        path = Path(path)
        try:
            package = path.read_bytes()
        except OSError as exc:
            raise TemplateError(Problem(
                "TEMPLATE_FILE", f"không mở được mẫu ({exc.strerror})", Location(file=str(path)),
            )) from None
        if not zipfile.is_zipfile(io.BytesIO(package)):
            raise TemplateError(Problem(
                "TEMPLATE_FILE", "tệp mẫu không phải .docx (không phải gói zip)", Location(file=str(path)),
                hint="Lưu mẫu trong Word dưới dạng 'Word Document (*.docx)'.",
            ))
        return cls(path, package)

    def _check_tags(self) -> None:
        problems = [
            Problem(
                "TEMPLATE_SYNTAX",
                f"thẻ {tag.tag!r} bị Word tách thành nhiều đoạn định dạng (run)",
                Location(file=self.name, part=tag.part, paragraph=tag.paragraph_text),
                hint="Trong Word, xóa thẻ rồi gõ lại liền một lần, không đổi định dạng giữa chừng.",
            )
            for tag in template_tags(self.package)
            if tag.split_across_runs
        ]
        if problems:
            raise TemplateError(problems)

    def render(self, context: dict[str, Any]) -> bytes:
        """Render the context into a verified, deterministic .docx package."""
        document = DocxTemplate(io.BytesIO(self.package))
        context = _resolve_images(context, document)
        try:
            document.render(context, jinja_env=docx_environment(), autoescape=True)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(self._syntax_problem(exc)) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(self._undefined_problem(exc)) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
            raise TemplateError(Problem(
                "TEMPLATE_RENDER", f"lỗi khi điền mẫu: {exc}", Location(file=self.name),
            )) from None
        buffer = io.BytesIO()
        document.save(buffer)
        try:
            return normalise_package(buffer.getvalue())
        except BrokenPackage as exc:
            raise TemplateError(Problem(
                "TEMPLATE_OUTPUT", f"kết quả không phải XML hợp lệ ở {exc.part}: {exc.reason}",
                Location(file=self.name),
                hint="Mẫu có thẻ {%p …%}/{%tr …%} đặt sai chỗ; không có tệp nào được ghi.",
            )) from None

    def _syntax_problem(self, exc: jinja2.TemplateSyntaxError) -> Problem:
        lines = list(getattr(exc, "docx_context", []) or [])
        paragraph = None
        if lines and exc.lineno:
            index = exc.lineno - 1 - max(exc.lineno - 4, 0)
            if 0 <= index < len(lines):
                paragraph = " ".join(lines[index].split())
        return Problem(
            "TEMPLATE_SYNTAX", f"thẻ Jinja sai cú pháp: {exc.message}",
            Location(file=self.name, part="thân văn bản", paragraph=paragraph),
            hint="Mỗi {% if %}/{% for %} cần {% endif %}/{% endfor %}; thẻ viết liền trong một đoạn.",
        )

    def _undefined_problem(self, exc: jinja2.UndefinedError) -> Problem:
        raw = str(exc.message or exc)
        m = re.search(r"'([^']+)' is undefined", raw) or re.search(r"has no attribute '([^']+)'", raw)
        name = m[1] if m else raw
        where = find_paragraphs(self.package, name)
        loc = (Location(file=self.name, part=where[0].part, paragraph=where[0].paragraph_text)
               if where else Location(file=self.name))
        return Problem(
            "TEMPLATE_UNDEFINED", f"mẫu dùng '{name}' nhưng dữ liệu không có giá trị này", loc,
            hint="Sửa tên biến trong mẫu, hoặc thêm giá trị này vào đặc tả/dữ liệu.",
        )


def _resolve_images(value: Any, document: DocxTemplate) -> Any:
    """Replace SignatureImage markers by docxtpl InlineImages bound to this render."""
    if isinstance(value, SignatureImage):
        return InlineImage(document, str(value.path), width=SIGNATURE_WIDTH)
    if isinstance(value, dict):
        return {k: _resolve_images(v, document) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_images(v, document) for v in value]
    return value


_cache: dict[Path, tuple[float, CompiledTemplate]] = {}
_lock = threading.Lock()


def load_template(path: str | Path) -> CompiledTemplate:
    """The compiled template for ``path``, loaded once and reloaded only if the file changed."""
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise TemplateError(Problem(
            "TEMPLATE_FILE", "không tìm thấy tệp mẫu", Location(file=str(path)),
        )) from None
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    template = CompiledTemplate.from_file(path)
    with _lock:
        _cache[path] = (mtime, template)
    return template
