"""Check a .docx template without rendering it: every problem at once, each at its part and paragraph.

What it finds:
- tags Word split (joined again: a notice) and tags that cannot be joined (an error), from
  :mod:`engine.render.repair` and the tag check;
- ``{% %}`` blocks that are not closed, closed by the wrong end, or an ``else``/``elif`` outside its
  block, each blamed on the tag that opened the block;
- Jinja syntax errors, in Vietnamese (:func:`jinja_message`);
- filters that do not exist, with "did you mean" against the filters templates have;
- names the template reads that the context will not have, with "did you mean": the document's
  fields (``van_ban.…``, from the context of a document that has every field) and, given a spec, the
  names of its data and scoring results.

Without errors it lists the variables the template reads, as nested paths
(``van_ban.nguoi_ky.ho_ten``, ``van_ban.noi_dung[].tieu_de``). A loop variable reads its list's items
(``[]``); names set in the template are its own.

Scope, said plainly: the check follows names through ``for`` and ``set``; it does not evaluate
conditions, so a name read only under an ``if`` that is never true is still checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes

from engine.errors import EngineError, Location, Problem
from engine.render.inspect import TemplateTag, template_tags
from engine.render.messages import jinja_message
from engine.render.repair import repair_package
from engine.vn.periods import PERIOD_FIELDS

ERROR, NOTICE = "loi", "luu_y"

# What a template may read besides the document's fields: the phụ lục contexts (engine.render.docx) and
# the names docxtpl and the appendix templates give.
ENGINE_NAMES = frozenset({"van_ban", "ky", "phu_luc", "cac_phu_luc", "bang", "loop"})

_OPENERS = {"if", "for", "with", "macro", "call", "filter", "raw", "autoescape", "block"}
_DOCXTPL_PREFIX = re.compile(r"^\{%-?\s*(?:p|tr|tc|r)?\s+")
_STATEMENT = re.compile(r"^\{%-?\s*(?:(?:p|tr|tc|r)\s+)?([A-Za-z_]+)")


@dataclass(frozen=True)
class LintFinding:
    """One thing lint found: an error (the render would fail or print wrong) or a notice."""

    level: str
    code: str
    message: str
    part: str | None = None
    paragraph: str | None = None
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "message": self.message, "part": self.part,
                "paragraph": self.paragraph, "hint": self.hint}

    def __str__(self) -> str:
        label = "LỖI" if self.level == ERROR else "LƯU Ý"
        where = ", ".join(filter(None, [self.part, f'đoạn "{self.paragraph}"' if self.paragraph else None]))
        text = f"{label} {where}: {self.message} [{self.code}]" if where else f"{label}: {self.message} [{self.code}]"
        return text + (f"\n    → {self.hint}" if self.hint else "")


@dataclass
class LintReport:
    template: str
    findings: list[LintFinding] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[LintFinding]:
        return [finding for finding in self.findings if finding.level == ERROR]

    def as_dict(self) -> dict[str, Any]:
        return {"template": self.template, "findings": [f.as_dict() for f in self.findings],
                "variables": self.variables}


# ----- what the context has ----------------------------------------------------------------------------


def _tree(value: Any, depth: int = 0) -> Any:
    """The shape of plain data: dict → {key: shape}, list → [shape of the items merged], else None."""
    if depth > 12:
        return None
    if isinstance(value, Mapping):
        return {str(key): _tree(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        merged: dict[str, Any] = {}
        shapes = [_tree(item, depth + 1) for item in value]
        for shape in shapes:
            if isinstance(shape, dict):
                merged.update(shape)
        return [merged if merged else (shapes[0] if shapes else None)]
    return None


_FULL_SPEC: dict[str, Any] = {
    "loai": "bao_cao", "co_quan_chu_quan": "UBND TỈNH A",
    "co_quan_ban_hanh": {"ten": ["ỦY BAN NHÂN DÂN", "XÃ A"], "viet_tat": "UBND", "ten_goi": "UBND xã A"},
    "so": 1, "dia_danh": "A", "ngay": {"nam": 2026, "thang": 1, "ngay": 5}, "trich_yeu": "T",
    "kinh_gui": ["B", "C"], "can_cu": ["Căn cứ D"],
    "noi_dung": [{"muc": "M", "noi_dung": [{"khoan": "K", "noi_dung": [{"tieu_khoan": "TK", "noi_dung": [
        {"diem": "Đ", "doan": "x"}]}]}]}, {"doan": "x"}, {"gach": ["g"]}, {"cong": ["c"]}],
    "noi_nhan": {"cac_noi": ["N", {"tieu_de": "Gửi bản điện tử", "cac_noi": ["N2"]}], "luu": "VP"},
    # Two signers, so that the shape has every field of a joint document (van_ban.hang_ky[].trai …) too.
    "nguoi_ky": [{"quyen_han": "KT.", "thay": "Chủ tịch", "chuc_vu": "Phó Chủ tịch", "ho_ten": "E"},
                 {"co_quan": {"ten": "CƠ QUAN B", "viet_tat": "B"}, "chuc_vu": "Chủ tịch", "ho_ten": "F"}],
}


def context_shape(names: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a template can read: ``van_ban`` with every field a document can have, the engine's names, and
    the names given (a spec's data and scoring results)."""
    from engine import pipeline

    shape: dict[str, Any] = {name: None for name in ENGINE_NAMES}
    shape["van_ban"] = _tree(pipeline.prepare(_FULL_SPEC).context["van_ban"])
    # The period (when the spec names one): its text, and its other forms and neighbours as fields.
    shape["ky"] = {field: None for field in sorted(PERIOD_FIELDS)}
    for name, value in (names or {}).items():
        shape[name] = _tree(value)
    return shape


def context_schema() -> dict[str, Any]:
    """What a template can read, as a JSON Schema (draft 2020-12): the same shape lint checks names against."""

    def schema_of(shape: Any) -> dict[str, Any]:
        if isinstance(shape, dict):
            return {"type": "object", "properties": {key: schema_of(value) for key, value in sorted(shape.items())}}
        if isinstance(shape, list):
            return {"type": "array", "items": schema_of(shape[0]) if shape else {}}
        return {}

    schema = schema_of(context_shape())
    schema.update({"$schema": "https://json-schema.org/draft/2020-12/schema",
                   "title": "Ngữ cảnh của mẫu .docx (vanban)",
                   "description": "Những gì một mẫu đọc được: van_ban (các trường của văn bản, định dạng sẵn "
                                  "để in), phu_luc và bang trong mẫu phụ lục, cùng tên dữ liệu và kết quả chấm "
                                  "điểm của đặc tả (không có ở đây: tùy từng đặc tả; lint --spec kiểm tra chúng)."})
    return schema


# ----- the check ----------------------------------------------------------------------------------------


def lint_template(path: str | Path, *, names: Mapping[str, Any] | None = None,
                  package: bytes | None = None) -> LintReport:
    """Every problem of the template at ``path`` (given names: also those of a spec's data), and what it reads."""
    from engine.render.environment import docx_environment
    from engine.trust.files import read_file
    from engine.trust.packages import open_package

    path = Path(path)
    report = LintReport(path.name)
    if package is None:
        package = read_file(path, role="mau", shown=path.name).data
    open_package(package, name=path.name, role="mau", for_office=True)
    try:
        repaired, repairs = repair_package(package)
        tags = template_tags(repaired)
    except Exception as exc:  # noqa: BLE001 - a part that does not parse is a finding, not a crash
        report.findings.append(LintFinding(ERROR, "FILE_XML", f"một phần XML của mẫu hỏng ({str(exc)[:120]})",
                                           hint="Mở mẫu bằng Word rồi lưu lại."))
        return report
    for repair in repairs:
        report.findings.append(LintFinding(NOTICE, "TEMPLATE_REPAIRED", repair.description(), repair.part,
                                           _short(repair.paragraph_text)))
    environment = docx_environment()
    shape = context_shape(names)
    checker = _Checker(environment, shape, report)
    # Blocks are matched over a whole part (the body is one Jinja template: a {%tr for %} row loop opens in one
    # table row and closes in another); a paragraph-level block must still close in the cell it opened in.
    by_part: dict[str, list[TemplateTag]] = {}
    for tag in tags:
        by_part.setdefault(_part_of(tag), []).append(tag)
    for part_tags in by_part.values():
        checker.check_part(part_tags)
    # The leaves: a path that a longer one read continues (van_ban.can_cu → van_ban.can_cu[]) is left out.
    report.variables = sorted(path for path in checker.read
                              if not any(other != path and other.startswith((path + ".", path + "["))
                                         for other in checker.read))
    return report


@dataclass
class _Block:
    statement: str
    tag: TemplateTag

    @property
    def row_level(self) -> bool:
        """A docxtpl row or cell block ({%tr …%}, {%tc …%}): it may open and close in different cells."""
        return bool(_ROW_LEVEL.match(self.tag.tag))


_ROW_LEVEL = re.compile(r"^\{%-?\s*(?:tr|tc)\s")


def _part_of(tag: TemplateTag) -> str:
    """The part a tag is in, without its table cell ("thân văn bản", not "thân văn bản, bảng 2, ô 1.1")."""
    return tag.part.split(", bảng ", 1)[0]


class _Checker:
    def __init__(self, environment: jinja2.Environment, shape: dict[str, Any], report: LintReport) -> None:
        self.environment = environment
        self.shape = shape
        self.report = report
        self.read: set[str] = set()
        self.filters = sorted(name for name in environment.filters if not name.startswith("_"))

    def error(self, code: str, message: str, tag: TemplateTag, hint: str | None = None) -> None:
        self.report.findings.append(LintFinding(ERROR, code, message, tag.part, _short(tag.paragraph_text), hint))

    def check_part(self, tags: list[TemplateTag]) -> None:
        stack: list[_Block] = []
        scope: dict[str, str] = {}  # a loop or set variable → the path it stands for
        for tag in tags:
            if tag.unclosed:
                self.error("TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} mở mà không đóng trong cùng đoạn (một thẻ không được "
                           "vắt qua hai đoạn, hay từ một đoạn vào khung chữ)", tag,
                           "Thêm phần đóng '}}', '%}' hoặc '#}' trong cùng đoạn.")
                continue
            if tag.split_across_runs:
                self.error("TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} vắt qua một trường (field) của Word", tag,
                           "Đưa thẻ ra ngoài trường (số trang, ngày …).")
                continue
            if tag.tag.startswith("{#"):
                continue
            if tag.tag.startswith("{{"):
                # docxtpl's {{p …}}, {{r …}}, {{tr …}}, {{tc …}}: a paragraph, run, row or cell of markup.
                self.expression(re.sub(r"^-?\s*(?:p|r|tr|tc)\s+", "", tag.tag[2:-2]), tag, scope)
                continue
            self.statement(tag, stack, scope)
        for block in stack:
            self.error("TEMPLATE_SYNTAX", f"khối '{block.statement}' mở ở thẻ {block.tag.tag!r} không được đóng "
                       f"(thiếu {{%p end{block.statement} %}})", block.tag,
                       f"Thêm {{%p end{block.statement} %}} ở đoạn riêng sau nội dung của khối.")

    def statement(self, tag: TemplateTag, stack: list[_Block], scope: dict[str, str]) -> None:
        match = _STATEMENT.match(tag.tag)
        if not match:
            self.error("TEMPLATE_SYNTAX", jinja_message("tag name expected"), tag)
            return
        word = match[1]
        body = _DOCXTPL_PREFIX.sub("", tag.tag[:-2].rstrip("-").rstrip()).strip()
        rest = body[len(word):].strip() if body.startswith(word) else body
        if word.startswith("end") and word[3:] in _OPENERS | {"set"}:
            opened = word[3:]
            if not stack:
                self.error("TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} đóng một khối chưa mở", tag,
                           f"Xóa thẻ này, hoặc thêm {{%p {opened} … %}} trước nó.")
            elif stack[-1].statement != opened:
                block = stack.pop()
                self.error("TEMPLATE_SYNTAX", f"khối '{block.statement}' mở ở thẻ {block.tag.tag!r} bị đóng bằng "
                           f"{tag.tag!r}", block.tag, f"Đóng khối này bằng {{%p end{block.statement} %}} trước "
                           f"{tag.tag!r}.")
            else:
                block = stack.pop()
                if block.tag.part != tag.part and not block.row_level:
                    self.error("TEMPLATE_SYNTAX", f"khối '{block.statement}' mở ở thẻ {block.tag.tag!r} "
                               f"({block.tag.part}) được đóng ở chỗ khác ({tag.part})", block.tag,
                               "Mở và đóng một khối {%p … %} trong cùng một ô bảng; khối lặp theo hàng viết "
                               "{%tr for … %} … {%tr endfor %}.")
            return
        if word in ("else", "elif"):
            if not stack or stack[-1].statement not in ("if", "for"):
                self.error("TEMPLATE_SYNTAX", f"thẻ {tag.tag!r} nằm ngoài khối if/for", tag,
                           "Đặt nó giữa {%p if … %} và {%p endif %}.")
            elif word == "elif":
                self.expression(rest, tag, scope)
            return
        if word == "set":
            target, equals, value = rest.partition("=")
            if equals:
                self.expression(value, tag, scope)
                scope[target.strip()] = ""
                return
            stack.append(_Block("set", tag))
            return
        if word == "for":
            loop = re.match(r"^(.+?)\s+in\s+(.+?)(?:\s+if\s+.+)?(?:\s+recursive)?$", rest, re.S)
            if not loop:
                self.error("TEMPLATE_SYNTAX", "vòng lặp viết sai: cần {%p for x in danh_sach %}", tag)
            else:
                path = self.expression(loop[2], tag, scope)
                for variable in loop[1].split(","):
                    scope[variable.strip()] = f"{path}[]" if path else ""
            stack.append(_Block("for", tag))
            return
        if word == "with":
            for assignment in rest.split(","):
                name, _, value = assignment.partition("=")
                if value:
                    path = self.expression(value, tag, scope)
                    scope[name.strip()] = path or ""
            stack.append(_Block("with", tag))
            return
        if word in _OPENERS:
            if word == "if":
                self.expression(rest, tag, scope)
            stack.append(_Block(word, tag))
            return
        if word in ("include", "import", "from", "extends"):
            self.error("TEMPLATE_SYNTAX", f"mẫu không dùng được thẻ '{word}' (mẫu không đọc tệp khác)", tag)
            return
        self.error("TEMPLATE_SYNTAX", jinja_message(f"Encountered unknown tag '{word}'."), tag,
                   "Các thẻ lệnh: if, elif, else, for, set, with, macro và các end… tương ứng.")

    def expression(self, source: str, tag: TemplateTag, scope: dict[str, str]) -> str | None:
        """Check one expression; return the path it reads when it is a plain name path (for loop variables)."""
        try:
            tree = self.environment.parse("{{ " + source + " }}")
        except jinja2.TemplateSyntaxError as exc:
            self.error("TEMPLATE_SYNTAX", f"thẻ {tag.tag!r}: {jinja_message(exc.message)}", tag,
                       "Thẻ in viết {{ ten.truong | bo_loc }}; thẻ lệnh {%p if … %} … {%p endif %}.")
            return None
        for node in tree.find_all(nodes.Filter):
            self.filter(node.name, tag)
        for node in tree.find_all(nodes.Test):
            if node.name not in self.environment.tests:
                self.error("TEMPLATE_SYNTAX", jinja_message(f"No test named '{node.name}'."), tag)
        paths = [self.path(node, scope, tag) for node in _outermost_reads(tree)]
        output = tree.body[0].nodes[0] if tree.body and isinstance(tree.body[0], nodes.Output) else None
        if output is not None and isinstance(output, (nodes.Name, nodes.Getattr, nodes.Getitem)) and paths:
            return paths[0]
        return None

    def filter(self, name: str, tag: TemplateTag) -> None:
        if name in self.environment.filters:
            return
        guess = difflib.get_close_matches(name, self.filters, n=1, cutoff=0.6)
        self.error("TEMPLATE_FILTER", f"không có bộ lọc '{name}'", tag,
                   f"Có phải ý bạn là '{guess[0]}'?" if guess else "Các bộ lọc: " + ", ".join(self.filters[:30]) + " …")

    def path(self, node: nodes.Node, scope: dict[str, str], tag: TemplateTag) -> str | None:
        """Check a name path (``van_ban.nguoi_ky.ho_ten``) against the context; record and return it."""
        parts: list[str] = []
        while isinstance(node, (nodes.Getattr, nodes.Getitem)):
            if isinstance(node, nodes.Getattr):
                parts.append(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                parts.append(node.arg.value)
            else:
                parts.append("[]")
            node = node.node
        if not isinstance(node, nodes.Name):
            return None
        parts.reverse()
        root = node.name
        if root in scope:
            base = scope[root]
            if not base:
                return None  # a name the template set itself, or a loop over something unknown
            full = base.split(".") + parts
        else:
            full = [root, *parts]
        return self._known(full, tag)

    def _known(self, full: list[str], tag: TemplateTag) -> str:
        shape: Any = self.shape
        walked: list[str] = []
        for part in full:
            items = part.endswith("[]")
            name = part[:-2] if items else part
            if name:
                if isinstance(shape, list):  # a field of a list's item read without a loop (x[0].a)
                    shape = shape[0] if shape else None
                if isinstance(shape, dict):
                    if name not in shape:
                        self._unknown(walked, name, shape, tag)
                        return ".".join([*walked, name])
                    shape = shape[name]
                else:
                    shape = None  # below a value the check cannot see into (data without a shape)
                walked.append(name)
            if items:
                if walked and not walked[-1].endswith("[]"):
                    walked[-1] += "[]"
                shape = shape[0] if isinstance(shape, list) and shape else None
        path = ".".join(walked)
        self.read.add(path)
        return path

    def _unknown(self, walked: list[str], name: str, shape: dict[str, Any], tag: TemplateTag) -> None:
        known = sorted(key for key in shape if not key.startswith("_"))
        guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        where = ".".join(walked) or "ngữ cảnh của mẫu"
        self.error("TEMPLATE_UNDEFINED", f"mẫu đọc '{'.'.join([*walked, name])}' nhưng {where} không có '{name}'",
                   tag, f"Có phải ý bạn là '{guess[0]}'?" if guess
                   else "Các tên có: " + ", ".join(known[:20]) + (" …" if len(known) > 20 else "") + ".")


def _outermost_reads(tree: nodes.Node) -> Iterable[nodes.Node]:
    """The name paths an expression reads, each once at its longest (``a.b.c``, not also ``a.b`` and ``a``)."""
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner.add(id(node.node))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in inner:
            continue
        if isinstance(node, nodes.Name) and node.ctx != "load":
            continue
        yield node


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lint_problems(report: LintReport) -> list[Problem]:
    """The errors of a report as the engine's problems (what ``validate`` and ``render`` raise)."""
    return [Problem(finding.code if finding.code in _ENGINE_CODES else "TEMPLATE_SYNTAX", finding.message,
                    Location(file=report.template, part=finding.part, paragraph=finding.paragraph), hint=finding.hint)
            for finding in report.errors]


_ENGINE_CODES = {"TEMPLATE_SYNTAX", "TEMPLATE_UNDEFINED", "TEMPLATE_FILTER", "FILE_XML"}


def check_templates(paths: Iterable[Path], names: Mapping[str, Any]) -> tuple[list[str], list[Problem]]:
    """Lint the templates a spec renders with: their notices, and their errors as problems."""
    notices: list[str] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            report = lint_template(path, names=names)
        except EngineError as error:
            problems.extend(error.problems)
            continue
        notices += [f"mẫu {report.template}, {f.part}, đoạn \"{f.paragraph}\": {f.message}"
                    for f in report.findings if f.level == NOTICE]
        problems += lint_problems(report)
    return notices, problems


__all__ = ["ERROR", "NOTICE", "LintFinding", "LintReport", "check_templates", "context_schema", "context_shape",
           "lint_problems", "lint_template"]
