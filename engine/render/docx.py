"""Turn a render context and a .docx template into the bytes of a finished .docx.

This is the only module that drives docxtpl and python-docx. A template is read, checked and
compiled once per process (:func:`load_template` caches it by path and modification time).

Why not call ``DocxTemplate.render`` for every document: on each call docxtpl re-opens the
package with python-docx, serialises the body, runs its regex passes over the template
(``patch_xml``), compiles the result with Jinja, re-parses the output, rewrites every part and
zips it; only the Jinja render itself depends on the document. Here the template-only steps run
once (:class:`_Compiled`: docxtpl's own ``patch_xml`` output, compiled by Jinja, and the package
split around the parts that change); a render is then the Jinja render, docxtpl's own
post-processing of the text (its ``resolve_listing`` runs only when a value carries a tab, line
break or page break, the only case where it changes anything), one strict check that each
rendered part is well-formed, namespaced XML (nothing corrupt is ever written; for a big part it
runs on a second core while the part is compressed) and one zip. Every step is linear in the output.
The check is a proof made once per template where it can be (engine.render.proof: the template's
structure and escaped values make every render well-formed) and libxml2's full parse where it
cannot, or when a render printed something the proof does not cover.
A test renders the same template and context both ways and compares the text. Both paths write the
same document properties and provenance (engine.render.properties): the static parts are hashed
when the template is compiled, the rendered ones in each render (while their XML is checked).

Two cases still go through docxtpl itself: a context with an image (an inline image needs a
python-docx part to live in) and a template whose tables change their columns at render time
(``{%tc %}``, ``colspan``, ``hm``: docxtpl's ``fix_tables`` rewrites the grid).
Errors name the template, the part and the paragraph, in the author's terms.
"""

from __future__ import annotations

import contextvars
import gc
import io
import re
import struct
import threading
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from docx import Document
from docx.image.exceptions import UnrecognizedImageError
from docx.shared import Mm
from docxtpl import DocxTemplate
from lxml import etree

from engine.context import SignatureImage
from engine.errors import EngineError, LimitError, Location, Problem, SpecError, TemplateError
from engine.provenance import DocumentProperties
from engine.render.blocks import AttachmentConflict, Attachments, attached_parts
from engine.render.compose import join_documents, restore_core_properties_prefix
from engine.render.environment import (
    SandboxLimit,
    SandboxViolation,
    docx_environment,
    python_message,
    sandbox_budget,
    watching_values,
)
from engine.render.inspect import find_paragraphs, part_label, template_tags
from engine.render.markup import EngineMarkup
from engine.render.messages import jinja_message
from engine.render.package import BrokenPackage, normalise_package
from engine.render.proof import structure_proof
from engine.render.properties import (
    CONTENT_TYPES,
    PROPERTY_PARTS,
    ROOT_RELS,
    PackageFrame,
    default_properties,
    ordered_names,
    package_frame,
    part_digest,
    parts_with_properties,
    property_parts,
)
from engine.render.repair import Repair, repair_package
from engine.render.runs import PI, MisplacedMarkup, printed_markup, resolve_runs
from engine.render.zipwrite import Entry, deflate, write_zip
from engine.trust.files import read_file
from engine.trust.limits import current_limits
from engine.trust.packages import fetching_field, open_package, xml_syntax_problem
from engine.vn.numbers import format_number

# docxtpl imports docxcompose, which re-points python-docx's "cp" prefix (docxcompose #101); put it back
# before any document is saved, or core.xml gets a foreign element.
restore_core_properties_prefix()


class CompiledTemplate:
    """A .docx template loaded and checked once, rendered any number of times."""

    def __init__(self, path: Path, package: bytes):
        self.path = path
        self.name = path.name
        self.sha256 = part_digest(package)  # of the file as read: what a document's record names
        self.package, self.repairs = self._repaired(package)
        self._check_tags()
        self._compiled: _Compiled | bool | None = None  # False: this template renders through docxtpl
        self.components: tuple[CompiledTemplate, ...] = ()  # of a joined template: the templates joined
        self._several: bool | None = None  # whether it prints several signers (shows_several_signers)
        self._compile_lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path) -> CompiledTemplate:
        """Read a template through engine.trust: a regular file within its limit, a package safe to open."""
        path = Path(path)
        file = read_file(path, role="mau", shown=path.name)
        if not zipfile.is_zipfile(io.BytesIO(file.data)):
            raise TemplateError(Problem(
                "TEMPLATE_FILE", "tệp mẫu không phải .docx (không phải gói zip)", Location(file=path.name),
                hint="Lưu mẫu trong Word dưới dạng 'Word Document (*.docx)'.",
            ))
        open_package(file.data, name=path.name, role="mau", for_office=True)
        return cls(path, file.data)

    def _repaired(self, package: bytes) -> tuple[bytes, tuple[Repair, ...]]:
        """The package with the tags Word split joined again (engine.render.repair), and what was joined."""
        try:
            return repair_package(package)
        except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile) as exc:
            raise TemplateError(Problem("FILE_XML", f"một phần XML của mẫu hỏng ({str(exc)[:160]})",
                                        Location(file=self.name), hint="Mở mẫu bằng Word rồi lưu lại.")) from None

    @property
    def notices(self) -> tuple[str, ...]:
        """What the maintainer should know: each tag Word had split and that was joined (of every part joined)."""
        own = tuple(repair.notice(self.name) for repair in self.repairs)
        return own + tuple(notice for component in self.components for notice in component.notices)

    def _check_tags(self) -> None:
        problems = []
        try:
            tags = template_tags(self.package)
        except (etree.XMLSyntaxError, KeyError, zipfile.BadZipFile) as exc:
            raise TemplateError(Problem("FILE_XML", f"một phần XML của mẫu hỏng ({str(exc)[:160]})",
                                        Location(file=self.name),
                                        hint="Mở mẫu bằng Word rồi lưu lại.")) from None
        for tag in tags:
            where = Location(file=self.name, part=tag.part, paragraph=tag.paragraph_text)
            if tag.unclosed:
                problems.append(Problem(
                    "TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} mở mà không đóng trong cùng đoạn (một thẻ không được "
                    "vắt qua hai đoạn, hay từ một đoạn vào khung chữ)", where,
                    hint="Mỗi thẻ {{ … }}, {% … %} hoặc {# … #} phải mở và đóng trong một đoạn; "
                         "thêm phần đóng '}}', '%}' hoặc '#}' còn thiếu.",
                ))
            elif tag.split_across_runs:  # what the repair would not join: a field runs through the tag
                problems.append(Problem(
                    "TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} vắt qua một trường (field) của Word: không nối lại được "
                    "mà không cắt trường", where,
                    hint="Đưa thẻ ra ngoài trường (số trang, ngày …), hoặc xóa trường đó trong thẻ.",
                ))
        if problems:
            raise TemplateError(problems)

    @property
    def shows_several_signers(self) -> bool:
        """Whether the template prints every signer (``van_ban.hang_ky`` or ``van_ban.cac_nguoi_ky``), not just one."""
        if self._several is None:
            tags = template_tags(self.package)
            self._several = any(name in tag.tag for tag in tags for name in SEVERAL_SIGNERS)
        return self._several

    def signers_problem(self, context: dict[str, Any]) -> Problem | None:
        """A template that prints one signer given a document with several: the others would be lost without a word."""
        fields = context.get("van_ban")
        if not isinstance(fields, dict) or not fields.get("nhieu_nguoi_ky") or self.shows_several_signers:
            return None
        return Problem(
            "TEMPLATE_SIGNERS", f"đặc tả có {len(fields.get('cac_nguoi_ky') or ())} người ký nhưng mẫu chỉ in một "
            "(van_ban.nguoi_ky): các người ký khác sẽ bị mất", Location(file=self.name),
            hint="Thêm vào mẫu khối các người ký như mẫu của chương trình ({%tr for hang in van_ban.hang_ky %} … "
                 "hang.phai, hang.trai …, docs/templates.md), hoặc dùng mẫu của chương trình (bỏ 'mau:').")

    def render(self, context: dict[str, Any], properties: DocumentProperties | None = None) -> bytes:
        """Render the context into a verified, deterministic .docx package.

        ``properties``: what the file says about itself (title, creator, date, provenance:
        engine.render.properties); without them it states only the engine and the render's date.
        """
        problem = self.signers_problem(context)
        if problem is not None:
            raise TemplateError(problem)
        properties = properties if properties is not None else default_properties()
        compiled = self._compile()
        if compiled is None or _has_images(context):
            return self.render_with_docxtpl(context, properties)
        with _collector_paused():
            return self._render_compiled(compiled, context, properties)

    def _render_compiled(self, compiled: _Compiled, context: dict[str, Any], properties: DocumentProperties) -> bytes:
        with self._render_errors(), sandbox_budget(), printed_markup() as printed, watching_values() as unproven:
            rendered = {name: template.render(context) for name, template in compiled.templates.items()}
            processed = {name: _post_process(xml, printed[0]) for name, xml in rendered.items()}
        rendered = {name: xml for name, (xml, _) in processed.items()}
        # Parts whose well-formedness follows from the template's proof (engine.render.proof): every value
        # printed was plain, escaped text of XML characters and nothing rewrote the rendered text.
        proven = set() if unproven[0] else {name for name, (_, rewritten) in processed.items()
                                             if not rewritten and name in compiled.proven}
        attachments = _attachments_of(context)
        added: dict[str, bytes] = {}
        if attachments:  # pictures and footnotes: parts of this document only (engine.render.blocks)
            known = {**compiled.raw, **{name: xml.encode("utf-8") for name, xml in rendered.items()}}
            added = self._attached(known, attachments)
            for name in [name for name in added if name in rendered]:
                rendered[name] = added.pop(name).decode("utf-8")
                proven.discard(name)  # rewritten after the render: no longer what the proof is about
        entries = []
        digests = dict(compiled.digests)
        names = [name for name, _ in compiled.entries] + [name for name in added if name not in compiled.raw]
        for name, entry in [*compiled.entries, *((name, None) for name in names[len(compiled.entries):])]:
            if name in added:
                data = added[name]
                problem = xml_problem(data) if name.endswith((".xml", ".rels")) else None
                if problem:
                    raise self._broken_output(name, problem)
                entry = deflate(name, data, level=_compress_level(len(data)))
                digests[name] = part_digest(data)
            elif entry is None and name in rendered:  # a part this render filled in
                head, tail = compiled.frames[name]
                # Bytes joined, not text: a 10 MB part is stored two bytes a letter as Python text.
                data = b"".join((head, rendered[name].encode("utf-8"), tail))
                # Both release the GIL: a big part is checked on one core while it is compressed on another,
                # and hashed on this one after (the check is the longer of the two). A proven part needs
                # only the checks its proof leaves out (sizes, long text: proven_xml_problem), made here.
                # (Compressing it in a thread while this one hashes it was measured no quicker.)
                check = proven_xml_problem if name in proven else xml_problem
                checking = _Background(check, data) if len(data) >= _CHECK_ALONGSIDE and check is xml_problem else None
                entry = deflate(name, data, level=_compress_level(len(data)))
                digests[name] = part_digest(data)
                problem = checking.result() if checking else check(data)
                if problem:
                    raise self._broken_output(name, problem)
                self._check_fields(name, data)
            entries.append(entry)
        parts = property_parts(properties, digests, compiled.frame)  # the other parts hashed: now their record
        return write_zip(entry if entry is not None else deflate(name, parts[name])
                         for name, entry in zip(names, entries, strict=True))

    def _attached(self, parts: dict[str, bytes], attachments: Attachments) -> dict[str, bytes]:
        try:
            return attached_parts(parts, attachments)
        except AttachmentConflict as exc:
            raise TemplateError(Problem("TEMPLATE_OUTPUT", f"không thêm được ảnh hay chú thích vào văn bản: {exc}",
                                        Location(file=self.name),
                                        hint="Mẫu này đã dùng tên mà chương trình dành cho ảnh và chú thích của "
                                             "văn bản; lưu lại mẫu bằng Word hoặc bỏ phần đó khỏi mẫu.")) from None

    def _compile(self) -> _Compiled | None:
        """The template-only work, done on the first render and kept (None: render through docxtpl)."""
        with self._compile_lock:
            if self._compiled is None:
                with self._package_errors():
                    self._compiled = _compile(self)
            return self._compiled or None

    @contextmanager
    def _package_errors(self):
        """A part python-docx or docxtpl cannot read (a foreign template saved badly) as a TemplateError."""
        try:
            yield
        except RecursionError:
            raise LimitError(Problem("LIMIT_DEPTH", "các thẻ trong mẫu lồng nhau quá sâu", Location(file=self.name),
                                     hint="Bớt các khối {% if %}/{% for %} lồng nhau.")) from None
        except (etree.XMLSyntaxError, KeyError, ValueError, AttributeError, zipfile.BadZipFile) as exc:
            raise TemplateError(Problem(
                "FILE_XML", f"python-docx không đọc được một phần của mẫu ({type(exc).__name__}: {str(exc)[:160]})",
                Location(file=self.name), hint="Mở mẫu bằng Word rồi lưu lại dưới dạng .docx.",
            )) from None

    def render_with_docxtpl(self, context: dict[str, Any], properties: DocumentProperties | None = None) -> bytes:
        """Render through ``DocxTemplate.render``: the reference the compiled path is tested against."""
        with self._package_errors():
            document = DocxTemplate(io.BytesIO(self.package))
            document.init_docx()
        context = _resolve_images(context, _Images(document))
        with self._render_errors(), sandbox_budget():
            document.render(context, jinja_env=docx_environment(), autoescape=True)
        _place_seals(document.docx.element.body)
        buffer = io.BytesIO()
        document.save(buffer)
        try:
            package = normalise_package(buffer.getvalue())
        except BrokenPackage as exc:
            raise self._broken_output(exc.part, exc.reason) from None
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            contents = {info.filename: archive.read(info.filename) for info in archive.infolist()}
        with self._render_errors():
            for name, data in contents.items():  # the engine's looks and blocks, as on the compiled path
                if name.startswith("word/") and name.endswith(".xml") and PI.encode() in data:
                    contents[name] = resolve_runs(data.decode("utf-8")).encode("utf-8")
                    problem = xml_problem(contents[name])
                    if problem:
                        raise self._broken_output(name, problem)
        attachments = _attachments_of(context)
        if attachments:
            contents.update(self._attached(contents, attachments))
        parts = parts_with_properties(contents, properties if properties is not None else default_properties())
        for name, data in parts:
            if name.startswith("word/") and name.endswith(".xml"):
                self._check_fields(name, data)
        return write_zip(deflate(name, data) for name, data in parts)

    @contextmanager
    def _render_errors(self):
        """Jinja's errors during a render (either path) as TemplateErrors in the author's terms."""
        try:
            yield
        except SandboxViolation as exc:
            raise TemplateError(Problem(exc.code, exc.message, self._place_of_message(), hint=exc.hint)) from None
        except MisplacedMarkup as exc:
            raise TemplateError(Problem("TEMPLATE_OUTPUT", str(exc), self._place_of_message(),
                                        hint="Đặt {{ b.noi_dung }} của đoạn văn thân văn bản một mình trong "
                                             "một đoạn của mẫu (như mẫu của chương trình); không có tệp nào "
                                             "được ghi.")) from None
        except SandboxLimit as exc:
            raise LimitError(Problem(exc.code, exc.message, self._place_of_message(),
                                     hint=f"Sửa mẫu hoặc dữ liệu; nếu đúng là cần, nâng giới hạn {exc.limit}."
                                     if exc.limit else "Sửa mẫu hoặc dữ liệu.")) from None
        except RecursionError:
            raise LimitError(Problem("LIMIT_DEPTH", "mẫu gọi macro hoặc vòng lặp đệ quy lồng nhau quá sâu",
                                     Location(file=self.name), hint="Sửa macro tự gọi chính nó.")) from None
        except jinja2.TemplateSyntaxError as exc:  # raised late by an {% include %} or similar
            raise TemplateError(self._syntax_problem(exc)) from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(self._undefined_problem(exc)) from None
        except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            raise TemplateError(Problem(
                "TEMPLATE_RENDER", f"lỗi khi điền mẫu: {python_message(exc)}", Location(file=self.name),
            )) from None

    def _check_fields(self, part: str, data: bytes) -> None:
        """No rendered part may hold a field that reads another file (a template could write one out of data)."""
        fetching = fetching_field(data, part, TemplateError, Location(file=self.name))
        if fetching:
            raise TemplateError(Problem(
                "FILE_LINK", f"văn bản dựng ra có trường {fetching} ở {part_label(part)}: trường này đọc tệp khác khi "
                "mở hay chuyển PDF", Location(file=self.name),
                hint="Mẫu hoặc dữ liệu đưa mã trường vào văn bản (thường qua {% autoescape false %}); không có tệp "
                     "nào được ghi.",
            ))

    def _place_of_message(self) -> Location:
        return Location(file=self.name)

    def _broken_output(self, part: str, reason: str) -> EngineError:
        limit = _output_limit_message(reason)
        if limit:
            return LimitError(Problem(
                "LIMIT_OUTPUT", f"văn bản dựng ra ở {part_label(part)}: {limit}", Location(file=self.name),
                hint="Word, LibreOffice và python-docx không mở được văn bản như vậy; rút ngắn giá trị quá dài "
                     "(chia đoạn văn, đưa bảng vào phụ lục). Không có tệp nào được ghi.",
            ))
        return TemplateError(Problem(
            "TEMPLATE_OUTPUT", f"kết quả không phải XML hợp lệ ở {part}: {reason}", Location(file=self.name),
            hint="Mẫu có thẻ {%p …%}/{%tr …%} đặt sai chỗ; không có tệp nào được ghi.",
        ))

    def _syntax_problem(self, exc: jinja2.TemplateSyntaxError) -> Problem:
        lines = list(getattr(exc, "docx_context", []) or [])
        paragraph = None
        if lines and exc.lineno:
            index = exc.lineno - 1 - max(exc.lineno - 4, 0)
            if 0 <= index < len(lines):
                paragraph = " ".join(lines[index].split())
        return Problem(
            "TEMPLATE_SYNTAX", f"thẻ Jinja sai cú pháp: {jinja_message(exc.message)}",
            Location(file=self.name, part="thân văn bản", paragraph=paragraph),
            hint="Mỗi {% if %}/{% for %} cần {% endif %}/{% endfor %}; thẻ viết liền trong một đoạn.",
        )

    def _undefined_problem(self, exc: jinja2.UndefinedError) -> Problem:
        raw = str(exc.message or exc)
        m = re.search(r"'([^']+)' is undefined", raw) or re.search(r"has no attribute '([^']+)'", raw)
        name = m[1] if m else raw
        loc = Location(file=self.name)
        # A joined template names the file of its own that holds the tag (the main or a phụ lục template).
        for template in self.components or (self,):
            where = find_paragraphs(template.package, name)
            if where:
                loc = Location(file=template.name, part=where[0].part, paragraph=where[0].paragraph_text)
                break
        return Problem(
            "TEMPLATE_UNDEFINED", f"mẫu dùng '{name}' nhưng dữ liệu không có giá trị này", loc,
            hint="Sửa tên biến trong mẫu, hoặc thêm giá trị này vào đặc tả/dữ liệu.",
        )


# What a template reads to print every signer of a document with several (engine.context: the rows of blocks,
# or the list of signers); one that reads neither prints only van_ban.nguoi_ky, the first.
SEVERAL_SIGNERS = ("van_ban.hang_ky", "van_ban.cac_nguoi_ky")

# Template tags whose tables docxtpl's fix_tables must re-grid after rendering.
_DYNAMIC_COLUMNS = re.compile(r"\{%-?\s*tc\b|\bcolspan\b|\{%-?\s*hm\b|\{%-?\s*vm\b")
HEADER_FOOTER = (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI)
FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_BODY_MARK = "VANBAN-BODY-PLACEHOLDER"


@dataclass(frozen=True)
class _Compiled:
    """A template split into what every render repeats and what it fills in.

    ``entries``: every zip entry in order, static ones compressed once (None for rendered parts);
    ``templates``: the compiled Jinja template of each part that has tags, by entry name;
    ``frames``: the UTF-8 bytes around each rendered part (for the body: the document element around
    ``<w:body>``, since docxtpl renders the body alone).
    """

    entries: tuple[tuple[str, Entry | None], ...]
    templates: dict[str, jinja2.Template]
    frames: dict[str, tuple[bytes, bytes]]
    frame: PackageFrame  # the package's properties frame (engine.render.properties)
    digests: dict[str, str]  # the sha256 of each static part
    raw: dict[str, bytes] = field(default_factory=dict)  # the static parts a document's pictures and notes change
    proven: frozenset[str] = frozenset()  # the rendered parts whose every render is well-formed (engine.render.proof)


def _compile(template: CompiledTemplate) -> _Compiled | bool:
    """docxtpl's template-side steps, run once: the same patched XML it would render, compiled."""
    env = docx_environment()
    document = DocxTemplate(io.BytesIO(template.package))
    document.init_docx()
    docx = document.docx
    body_source = document.patch_xml(document.get_xml())
    if _DYNAMIC_COLUMNS.search(body_source) or "docPr" in body_source:
        return False
    sources: dict[str, str] = {"word/document.xml": body_source}
    root = docx.element
    # The document element around the body, with a marker where the rendered body goes.
    placeholder = etree.Element(root.body.tag)
    placeholder.text = _BODY_MARK
    frame_root = etree.fromstring(etree.tostring(root))
    frame_root.replace(frame_root.find(root.body.tag), placeholder)
    head, tail = etree.tostring(frame_root, encoding="unicode").split(
        f"<w:body>{_BODY_MARK}</w:body>")
    frames = {"word/document.xml": ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n" + head, tail)}
    for rel in docx.part.rels.values():
        if rel.reltype in HEADER_FOOTER and not rel.is_external and rel.target_part.blob:
            part = rel.target_part
            xml = document.get_part_xml(part)
            if "{" in xml:
                sources[part.partname.lstrip("/")] = document.patch_xml(xml)
                frames[part.partname.lstrip("/")] = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n", "")
    for part in docx.part.package.parts:
        if part.content_type == FOOTNOTES and b"{" in part.blob:
            sources[part.partname.lstrip("/")] = document.patch_xml(part.blob.decode("utf-8"))
            frames[part.partname.lstrip("/")] = ("", "")
    templates: dict[str, jinja2.Template] = {}
    for name, source in sources.items():
        try:
            templates[name] = env.from_string(source)
        except jinja2.TemplateSyntaxError:
            # docxtpl puts each paragraph on its own line so that the error's line number finds the
            # paragraph; only the error message needs that, the compiled template does not.
            lines = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
            try:
                env.from_string(lines)
            except jinja2.TemplateSyntaxError as exc:
                if exc.lineno is not None:
                    first = max(exc.lineno - 4, 0)
                    exc.docx_context = [re.sub(r"<[^>]+>", "", line) for line in lines.splitlines()[first:first + 7]]
                raise TemplateError(template._syntax_problem(exc)) from None
            raise
    with zipfile.ZipFile(io.BytesIO(template.package)) as source_zip:
        static = {info.filename: source_zip.read(info.filename) for info in source_zip.infolist()
                  if info.filename not in templates}
        names = [info.filename for info in source_zip.infolist()]
    frame = package_frame(static)
    static[CONTENT_TYPES], static[ROOT_RELS] = frame.content_types, frame.rels
    names = ordered_names(names, frame)
    per_document = set(templates) | set(PROPERTY_PARTS)  # None in entries: filled in by each render
    entries = tuple((name, None if name in per_document else deflate(name, static[name])) for name in names)
    digests = {name: part_digest(static[name]) for name in names if name not in per_document}
    encoded = {name: (head.encode("utf-8"), tail.encode("utf-8")) for name, (head, tail) in frames.items()}
    proven = frozenset(name for name, source in sources.items()
                       if structure_proof(env, source, *frames[name], check=xml_problem) is None)
    raw = {name: static[name] for name in names
           if name in static and (name.endswith(".rels") or name == CONTENT_TYPES or name.endswith("footnotes.xml"))}
    return _Compiled(entries, templates, encoded, frame, digests, raw, proven)


def xml_problem(data: bytes) -> str | None:
    """Why ``data`` is not well-formed, namespaced XML that every reader opens, or None when it is.

    libxml2 through lxml with an empty target checks everything Word needs (well-formedness,
    allowed characters, entities, every prefix bound) without building a tree: a tree of a
    10,000-row table takes hundreds of megabytes. It releases the GIL while it parses, so a big
    part can be checked alongside its compression; expat, twice as slow here, holds it.
    An unbound prefix is a namespace error, which libxml2 logs instead of raising.

    The parser keeps libxml2's default limits (no huge-tree mode), the same that python-docx and
    LibreOffice's own libxml2 apply: a text node over 10 MB or elements nested deeper than 256
    make a file they refuse, so such a part is refused here, before anything is written.
    """
    if len(data) > current_limits().phan_van_ban:
        return f"{_PART_TOO_BIG}: {format_number(len(data))} byte"
    # With a target, libxml2 hands text over in pieces and never applies its text-node limit, which
    # python-docx and LibreOffice (building trees) do: the longest run of text is measured here.
    if len(data) > LIBXML2_MAX_TEXT and _LONG_TEXT.search(data):
        return "huge text node"
    return xml_syntax_problem(data)


def proven_xml_problem(data: bytes) -> str | None:
    """:func:`xml_problem` of a part whose well-formedness is proven (engine.render.proof): the limits only.

    The proof covers the syntax, characters and namespaces of every render, not its size: the part's
    size limit and libxml2's limit on one text node are checked here as they are for any part.
    """
    if len(data) > current_limits().phan_van_ban:
        return f"{_PART_TOO_BIG}: {format_number(len(data))} byte"
    if len(data) > LIBXML2_MAX_TEXT and _LONG_TEXT.search(data):
        return "huge text node"
    return None


_PART_TOO_BIG = "phần XML lớn hơn giới hạn phan_van_ban"
LIBXML2_MAX_TEXT = 10_000_000  # bytes of one text node without XML_PARSE_HUGE (libxml2's XML_MAX_TEXT_LENGTH)
# A text node runs from a tag's ">" to the next "<". Anchored at ">", the search scans each run once:
# unanchored it restarts inside every run, seven times slower on a 10 MB part (60 ms against 8).
_LONG_TEXT = re.compile(rb">[^<]{%d}" % (LIBXML2_MAX_TEXT + 1))


def _output_limit_message(reason: str) -> str | None:
    """The Vietnamese words for a reader's limit that a rendered part broke, or None if it broke no limit."""
    if reason.startswith(_PART_TOO_BIG):
        return reason
    lowered = reason.lower()
    if "huge text node" in lowered or "text node" in lowered and "too" in lowered:
        return "một đoạn chữ dài hơn 10 MB liền nhau (giới hạn của libxml2, python-docx và LibreOffice)"
    if "excessive depth" in lowered or "depth" in lowered and "exceed" in lowered:
        return "các phần tử lồng nhau quá 256 mức (giới hạn của libxml2)"
    if "huge" in lowered or "limit" in lowered:
        return f"vượt một giới hạn của libxml2 ({reason[:120]})"
    return None


class _Background:
    """Run one call in a thread and hand back its result or its exception (for calls that release the GIL)."""

    def __init__(self, function: Any, *args: Any) -> None:
        self._result: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._result = function(*args)
            except BaseException as exc:  # handed to the caller in result()
                self._error = exc

        context = contextvars.copy_context()  # the limits in force here apply in the thread too
        self._thread = threading.Thread(target=context.run, args=(run,), daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _post_process(xml: str, marked: bool = True) -> tuple[str, bool]:
    """docxtpl's post-processing of a rendered part (render_xml_part), in the same order.

    docxtpl compiles its template with a newline before each paragraph and removes them after
    rendering; the compiled template here has none, so there is nothing to remove (a value
    cannot put a newline right before a ``<w:p``: escaped text sits inside ``<w:t>``). Its
    escaped braces are undone by plain replacement when there are any; ``resolve_listing``
    turns tabs, line breaks and page breaks inside text into Word's elements and leaves
    everything else as it was, so it runs only when such a character is there. The engine's own
    instructions (engine.render.runs) are resolved when the render printed a marked value (``marked``).
    Also says whether the XML was rewritten (the last two: elements made), which a structure proof does not
    cover; undoing the escaped braces changes text only.
    """
    rewritten = False
    if "_" in xml and ("{_" in xml or "_}" in xml):  # one-character search first: ten times quicker
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if any(control in xml for control in "\t\a\n\f"):
        xml, rewritten = _resolve_listing_where_needed(xml), True
    if marked and PI in xml:  # the engine's inline looks, footnote references and body blocks (engine.render.runs)
        xml, rewritten = resolve_runs(xml), True
    return xml, rewritten


_CONTROL = re.compile("[\t\a\n\f]")


def _resolve_listing_where_needed(xml: str) -> str:
    """docxtpl's ``resolve_listing``, run only on the paragraphs that hold a tab or a break.

    It rewrites every paragraph of the part with three nested regular expressions; on a 50,000-row
    appendix that is most of the render, when the only line break is in the agency's name. A
    paragraph without such a character comes out of it unchanged, so only the others go through it.
    """
    pieces: list[str] = []
    done = 0
    for match in _CONTROL.finditer(xml):
        if match.start() < done:
            continue  # inside a paragraph already handled
        start = max(xml.rfind("<w:p>", 0, match.start()), xml.rfind("<w:p ", 0, match.start()))
        end = xml.find("</w:p>", match.start())
        if start < done or end < 0:  # not inside a paragraph (a control between tags): left to the whole pass
            return DocxTemplate.resolve_listing(None, xml)  # type: ignore[arg-type]  # uses no instance state
        end += len("</w:p>")
        pieces.append(xml[done:start])
        pieces.append(DocxTemplate.resolve_listing(None, xml[start:end]))  # type: ignore[arg-type]
        done = end
    pieces.append(xml[done:])
    return "".join(pieces)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector for one render.

    A render makes hundreds of thousands of short-lived strings and no reference cycles; each
    burst of allocations would otherwise start full collections that walk every live object
    (the caller's 10,000-row context included), which measured a third of the render time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_CHECK_ALONGSIDE = 256_000  # bytes: below this a thread costs more than it saves


def _compress_level(size: int) -> int:
    """Fast compression for big parts (a 10,000-row appendix): a little larger, several times quicker."""
    return 1 if size > 1_000_000 else 6


def _attachments_of(context: dict[str, Any]) -> Attachments | None:
    """The pictures and footnotes the document's own fields bring (``van_ban.dinh_kem``), if any."""
    fields = context.get("van_ban")
    found = fields.get("dinh_kem") if isinstance(fields, dict) else None
    return found if isinstance(found, Attachments) and found else None


def _has_images(context: dict[str, Any]) -> bool:
    """Whether the document's own fields carry an image (a signature); data tables never do."""
    return _holds_image(context.get("van_ban"))


def _holds_image(value: Any) -> bool:
    if isinstance(value, SignatureImage):
        return True
    if isinstance(value, dict):
        return any(_holds_image(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_image(v) for v in value)
    return False


class _Drawing(EngineMarkup):
    """A signature image (and its seal) as the template sees it: a drawing to print, with nothing in it to read or call.

    docxtpl's InlineImage carries the whole DocxTemplate (which can save files); nothing of it is in reach here:
    the drawing's XML is made when it is printed and the template gets only that text.
    """

    __slots__ = ("__make",)

    def __init__(self, make: Any) -> None:
        self.__make = make

    def __html__(self) -> str:
        return self.__make()


class _Images:
    """The drawings of one render: each image added to the part being rendered (docxtpl numbers their ids)."""

    def __init__(self, document: DocxTemplate) -> None:
        self.document = document

    def inline(self, data: bytes, width_mm: float, name: str) -> Any:
        part = self.document.current_rendering_part
        try:
            inline = part.new_pic_inline(io.BytesIO(data), Mm(width_mm), None)
        except (UnrecognizedImageError, ValueError, KeyError, IndexError, struct.error) as exc:
            raise SpecError(Problem("SPEC_VALUE", f"ảnh của khối chữ ký không đọc được ({type(exc).__name__})",
                                    Location(field="nguoi_ky"), hint="Lưu lại ảnh dạng PNG.")) from None
        inline.docPr.set("name", name)
        inline.docPr.set("descr", name)  # what a screen reader says of the picture
        return inline

    def signature(self, image: SignatureImage) -> str:
        """The signature as an inline picture; its seal, if any, floating over its left third (Nghị định 30, II.8.a).

        The seal floats in front of the text (the signature shows through its transparent background) and takes
        no room, so the block's lines stay where they are with or without it. It is centred on the signature's
        height here; across, it is placed once the document is rendered (:func:`_place_seals`), from the width
        of the cell it ended up in.
        """
        signature = self.inline(image.png, image.width_mm, SIGNATURE_NAME)
        runs = f"<w:r><w:drawing>{signature.xml}</w:drawing></w:r>"
        if image.seal is not None:
            seal = self.inline(image.seal.png, image.seal.width_mm, SEAL_NAME)
            top = (int(signature.extent.cy) - int(seal.extent.cy)) // 2
            runs = f"<w:r><w:drawing>{_anchor(seal, top)}</w:drawing></w:r>" + runs
        return f'</w:t></w:r>{runs}<w:r><w:t xml:space="preserve">'


SIGNATURE_NAME, SEAL_NAME = "Chữ ký", "Dấu"
_WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DEFAULT_CELL_MARGIN = 108  # twips: Word's left and right cell padding when the table says none
_EMU_PER_TWIP = 635


def _anchor(inline: Any, top_emu: int) -> str:
    """A floating picture made of an inline one, placed ``top_emu`` below the top of its paragraph.

    Across, it is measured from the left of its column (a table cell's text, or the page's): both Word and
    LibreOffice read "column" the same way, where "character" differs between them by a few millimetres.
    """
    extent = inline.extent
    parts = "".join(etree.tostring(child, encoding="unicode") for child in inline
                    if etree.QName(child).localname in ("docPr", "cNvGraphicFramePr", "graphic"))
    return (f'<wp:anchor xmlns:wp="{_WP}" distT="0" distB="0" distL="0" distR="0" simplePos="0" '
            f'relativeHeight="251659264" behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
            f'<wp:simplePos x="0" y="0"/>'
            f'<wp:positionH relativeFrom="column"><wp:posOffset>0</wp:posOffset></wp:positionH>'
            f'<wp:positionV relativeFrom="paragraph"><wp:posOffset>{top_emu}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{int(extent.cx)}" cy="{int(extent.cy)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
            f"<wp:wrapNone/>{parts}</wp:anchor>")


def _place_seals(body: etree._Element) -> None:
    """Put each seal across so that it covers the left third of the signature beside it.

    The signature stands alone in its paragraph, so its left edge follows from the paragraph's alignment and
    indents and the width of its column (the cell's width less its padding, or the page's text width): the
    seal's right edge goes a third of the way into the signature.
    """
    for anchor in body.iter(f"{{{_WP}}}anchor"):
        doc_pr = anchor.find(f"{{{_WP}}}docPr")
        paragraph = next(anchor.iterancestors(f"{{{_W}}}p"), None)
        if doc_pr is None or doc_pr.get("name") != SEAL_NAME or paragraph is None:
            continue
        inline = next(paragraph.iter(f"{{{_WP}}}inline"), None)
        if inline is None:
            continue
        signature = int(inline.find(f"{{{_WP}}}extent").get("cx"))
        seal = int(anchor.find(f"{{{_WP}}}extent").get("cx"))
        width, left_indent, right_indent, alignment = _column_of(paragraph, body)
        start = left_indent
        if alignment == "center":
            start = left_indent + (width - left_indent - right_indent - signature) // 2
        elif alignment in ("right", "end"):
            start = width - right_indent - signature
        anchor.find(f"{{{_WP}}}positionH/{{{_WP}}}posOffset").text = str(start + signature // 3 - seal)


def _twips(element: etree._Element | None, attribute: str, default: int = 0) -> int:
    value = element.get(f"{{{_W}}}{attribute}") if element is not None else None
    try:
        return int(float(value)) if value is not None else default
    except ValueError:
        return default


def _column_of(paragraph: etree._Element, body: etree._Element) -> tuple[int, int, int, str]:
    """The width of the paragraph's column, its left and right indents (EMU), and its alignment."""
    p_pr = paragraph.find(f"{{{_W}}}pPr")
    indent = p_pr.find(f"{{{_W}}}ind") if p_pr is not None else None
    jc = p_pr.find(f"{{{_W}}}jc") if p_pr is not None else None
    alignment = jc.get(f"{{{_W}}}val") if jc is not None else "left"
    left = _twips(indent, "left", _twips(indent, "start"))
    right = _twips(indent, "right", _twips(indent, "end"))
    cell = next(paragraph.iterancestors(f"{{{_W}}}tc"), None)
    if cell is not None:
        width = _twips(cell.find(f"{{{_W}}}tcPr/{{{_W}}}tcW"), "w")
        table = next(cell.iterancestors(f"{{{_W}}}tbl"), None)
        margins = [cell.find(f"{{{_W}}}tcPr/{{{_W}}}tcMar")]
        if table is not None:
            margins.append(table.find(f"{{{_W}}}tblPr/{{{_W}}}tblCellMar"))
        padding = 0
        for side, other in (("left", "start"), ("right", "end")):
            found = next((m.find(f"{{{_W}}}{name}") for m in margins if m is not None for name in (side, other)
                          if m.find(f"{{{_W}}}{name}") is not None), None)
            padding += _twips(found, "w", _DEFAULT_CELL_MARGIN) if found is not None else _DEFAULT_CELL_MARGIN
        width -= padding
    else:
        section = body.find(f"{{{_W}}}sectPr")
        size = section.find(f"{{{_W}}}pgSz") if section is not None else None
        margin = section.find(f"{{{_W}}}pgMar") if section is not None else None
        width = _twips(size, "w") - _twips(margin, "left") - _twips(margin, "right")
    return width * _EMU_PER_TWIP, left * _EMU_PER_TWIP, right * _EMU_PER_TWIP, alignment


def _resolve_images(value: Any, images: _Images) -> Any:
    """Replace SignatureImage markers by drawings bound to this render."""
    if isinstance(value, SignatureImage):
        return _Drawing(lambda: images.signature(value))
    if isinstance(value, dict):
        return {k: _resolve_images(v, images) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_images(v, images) for v in value]
    return value


# Both caches are bounded: a long-running service that renders uploaded templates (each in a folder
# of its own) or whose templates are edited must not keep every version it ever compiled.
_CACHED_TEMPLATES = 64
_cache: OrderedDict[Path, tuple[float, CompiledTemplate]] = OrderedDict()
_lock = threading.Lock()


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHED_TEMPLATES:
        cache.popitem(last=False)


def load_template(path: str | Path) -> CompiledTemplate:
    """The compiled template for ``path``, loaded once and reloaded only if the file changed."""
    path = Path(path).resolve()
    try:
        mtime = path.stat().st_mtime
    except (OSError, ValueError):
        raise TemplateError(Problem(
            "TEMPLATE_FILE", "không tìm thấy tệp mẫu", Location(file=path.name),
        )) from None
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == mtime:
            _cache.move_to_end(path)
            return cached[1]
    template = CompiledTemplate.from_file(path)
    with _lock:
        _remember(_cache, path, (mtime, template))
    return template


APPENDIX_CONTEXT = "cac_phu_luc"  # in a joined template, the list of the phụ lục contexts, in order


def _scoped_appendix(package: bytes, index: int) -> bytes:
    """An appendix template whose body sees ``phu_luc`` as the ``index``-th appendix's context."""
    document = Document(io.BytesIO(package))
    body = document.element.body
    opening = document.add_paragraph(f"{{%p with phu_luc = {APPENDIX_CONTEXT}[{index}] %}}")._p
    closing = document.add_paragraph("{%p endwith %}")._p
    body.remove(opening)
    body.insert(0, opening)
    # add_paragraph puts the closing tag before the body's sectPr already: the end of the content.
    assert closing.getnext() is None or closing.getnext().tag == body.sectPr.tag
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


_joined: OrderedDict[tuple[CompiledTemplate, ...], CompiledTemplate] = OrderedDict()


def load_joined_template(main: str | Path, appendices: tuple[str | Path, ...]) -> CompiledTemplate:
    """One template made of the main template and each phụ lục template, joined once per process.

    Joining rendered documents with docxcompose costs time in every render (and grows with
    the appendix tables); joining the templates instead costs it once, and a document with
    phụ lục is then one render. Each appendix's content is wrapped in
    ``{% with phu_luc = cac_phu_luc[i] %}``, so its tags read its own context as before.
    """
    if not appendices:
        return load_template(main)
    templates = [load_template(main), *(load_template(path) for path in appendices)]
    key = tuple(templates)  # load_template gives a new object when a file changed: no second stat needed
    with _lock:
        if key in _joined:
            _joined.move_to_end(key)
            return _joined[key]
    for template in templates:  # a syntax error is reported with the file it is in, not the joined one
        template._compile()
    package = join_documents(templates[0].package,
                             [_scoped_appendix(t.package, i) for i, t in enumerate(templates[1:])])
    joined = CompiledTemplate(templates[0].path, package)
    joined.name = " + ".join(t.name for t in templates)
    joined.components = tuple(templates)
    with _lock:
        _remember(_joined, key, joined)
    return joined
