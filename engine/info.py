"""Turn a .docx or PDF into what it says about where it came from, and whether it was changed since it was made.

What ``vanban info`` prints and ``check`` adds: for a file the engine rendered, the engine's
version, each input with its sha256, the title, creator and dates, and whether the file is still
what the engine wrote (for a .docx: which parts differ, from the digests in its custom properties;
for a PDF: whether LibreOffice's part or the engine's update was altered, and what was appended
after it, e.g. a digital signature). A file the engine did not make says so plainly, with what
its own properties claim. The file is untrusted: it is opened through engine.trust (size, zip
bomb, DTD checks), and every way it can be broken is a DocumentError with its code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import provenance
from engine.convert.pdfstamp import DOCX_KEY, PDF_KEY, read_stamp
from engine.errors import DocumentError, LimitError, Location, Problem
from engine.provenance import DATE_SOURCES, Input
from engine.render.properties import APP, CORE, compare, custom_part_name, read_properties
from engine.trust.packages import open_package
from engine.vn.numbers import format_number

_PART_NAMES = {
    "word/document.xml": "thân văn bản", "word/styles.xml": "kiểu chữ", "word/numbering.xml": "đánh số",
    "word/settings.xml": "thiết lập", "docProps/core.xml": "thuộc tính", "docProps/app.xml": "thuộc tính ứng dụng",
    "[Content_Types].xml": "danh sách phần", "_rels/.rels": "liên kết gói", "word/_rels/document.xml.rels": "liên kết",
    "word/fontTable.xml": "bảng phông",
}
_SHOWN = 200  # characters of a foreign file's property shown
MAX_PROPERTIES = 1_000_000  # bytes of one property part (Word writes a few kilobytes): more is refused by name


def part_label(name: str) -> str:
    """A part as a clerk reads it: ``thân văn bản (word/document.xml)``."""
    if name in _PART_NAMES:
        return f"{_PART_NAMES[name]} ({name})"
    if name.startswith("word/header"):
        return f"đầu trang ({name})"
    if name.startswith("word/footer"):
        return f"chân trang ({name})"
    if name.startswith("word/media/"):
        return f"ảnh ({name})"
    return name


@dataclass(frozen=True)
class FileInfo:
    """Where a file came from and whether it is unchanged, for ``info`` and ``check``."""

    name: str
    kind: str  # "docx" | "pdf"
    made_by_engine: bool
    engine_version: str | None = None
    inputs: tuple[Input, ...] = ()
    title: str = ""
    creator: str = ""
    subject: str = ""
    created: str = ""
    modified: str = ""
    application: str = ""
    date_source: str = ""
    intact: bool | None = None  # None: not ours, nothing to compare with
    changed_parts: tuple[str, ...] = ()
    added_parts: tuple[str, ...] = ()
    removed_parts: tuple[str, ...] = ()
    record_altered: bool = False  # the engine's own record was edited (or is incomplete)
    appended_bytes: int = 0  # PDF: bytes after the engine's update
    signed_after: bool = False  # PDF: what was appended holds a digital signature
    docx_digest: str = ""  # PDF: the content digest of the .docx it was converted from
    notes: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> str:
        """One Vietnamese sentence: made by whom, changed or not."""
        if not self.made_by_engine:
            claimed = f" (ứng dụng ghi trong tệp: {self.application})" if self.application else ""
            return f"Tệp này không do vanban-engine dựng: không có thông tin nguồn gốc của chương trình{claimed}."
        made = f"Do vanban-engine {self.engine_version} dựng"
        if self.intact:
            return f"{made}; không bị sửa sau khi dựng."
        if self.signed_after and not (self.record_altered or self.changed_parts):
            return (f"{made}; phần do chương trình viết còn nguyên, sau đó có thêm chữ ký số ({self.appended_bytes} "
                    "byte, cập nhật tăng dần).")
        return f"{made}; đã bị sửa sau khi dựng: {'; '.join(self.changes())}."

    def changes(self) -> list[str]:
        """What differs from what the engine wrote, each in a few words."""
        out = []
        if self.changed_parts:
            out.append("các phần đã đổi: " + ", ".join(part_label(name) for name in self.changed_parts))
        if self.added_parts:
            out.append("phần thêm vào: " + ", ".join(part_label(name) for name in self.added_parts))
        if self.removed_parts:
            out.append("phần bị bỏ: " + ", ".join(part_label(name) for name in self.removed_parts))
        if self.record_altered:
            out.append("thông tin nguồn gốc của chương trình đã bị sửa hoặc không còn đủ")
        if self.appended_bytes:
            if self.signed_after:
                out.append(f"có chữ ký số thêm vào sau khi dựng ({self.appended_bytes} byte, cập nhật tăng dần; phần "
                           "do chương trình viết vẫn nguyên)" if not self.record_altered else
                           f"có chữ ký số thêm vào sau khi dựng ({self.appended_bytes} byte)")
            else:
                out.append(f"có {self.appended_bytes} byte thêm vào sau phần do chương trình viết (một cập nhật "
                           "tăng dần: nội dung hiển thị có thể đã đổi)")
        return out or ["không rõ phần nào"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name, "kind": self.kind, "made_by_engine": self.made_by_engine,
            "engine_version": self.engine_version, "inputs": [item.as_dict() for item in self.inputs],
            "title": self.title, "creator": self.creator, "subject": self.subject, "created": self.created,
            "modified": self.modified, "application": self.application, "date_source": self.date_source or None,
            "unchanged": self.intact, "changed_parts": list(self.changed_parts), "added_parts": list(self.added_parts),
            "removed_parts": list(self.removed_parts), "record_altered": self.record_altered,
            "appended_bytes": self.appended_bytes, "signed_after": self.signed_after,
            "docx_digest": self.docx_digest or None, "message": self.summary,
        }

    def lines(self) -> list[str]:
        """The text ``info`` prints."""
        out = [f"{self.name}: {self.summary}"]
        creator = "Cơ quan ban hành" if self.made_by_engine else "Người tạo"
        for label, value in (("Tiêu đề", self.title), (creator, self.creator), ("Loại", self.subject),
                             ("Ngày tạo", self.created), ("Ngày sửa", self.modified), ("Ứng dụng", self.application)):
            if value:
                out.append(f"  {label}: {value}")
        if self.date_source:
            out.append(f"  Ngày lấy theo: {DATE_SOURCES.get(self.date_source, self.date_source)}")
        if self.inputs:
            out.append("  Đầu vào:")
            width = max(len(item.field) for item in self.inputs)
            for item in self.inputs:
                out.append(f"    {item.field.ljust(width)}  {item.shown}  sha256:{item.sha256}")
        if self.docx_digest:
            out.append(f"  Chuyển từ văn bản .docx có nội dung {self.docx_digest}")
        return out


def describe(data: bytes, name: str) -> FileInfo:
    """What ``data`` (a .docx or a PDF, told apart by their first bytes) says about where it came from."""
    if data.startswith(b"%PDF-"):
        return describe_pdf(data, name)
    if data.startswith(b"PK"):
        return describe_docx(data, name)
    raise DocumentError(Problem("DOCX_UNREADABLE", "tệp không phải .docx hay PDF (không bắt đầu như một gói zip hay "
                                "một tệp PDF)", Location(file=name),
                                hint="Đưa tệp .docx hoặc .pdf; tệp .doc cũ cần lưu lại thành .docx."))


def describe_docx(data: bytes, name: str) -> FileInfo:
    package = open_package(data, name=name, role="van_ban")
    parts = package.parts()
    for part in (CORE, APP, custom_part_name(parts)):
        if len(parts.get(part, b"")) > MAX_PROPERTIES:
            raise LimitError(Problem(
                "LIMIT_TEXT", f"phần thuộc tính {part} lớn {format_number(len(parts[part]))} byte, quá "
                f"{format_number(MAX_PROPERTIES)} byte (Word ghi vài kilobyte)", Location(file=name, part=part),
                hint="Tệp này không do Word hay chương trình ghi ra như thường lệ; kiểm tra nguồn của tệp."))
    try:
        stored = read_properties(parts)
    except etree.XMLSyntaxError as exc:
        raise DocumentError(Problem("FILE_XML", f"phần thuộc tính của văn bản không phải XML hợp lệ ({str(exc)[:120]})",
                                    Location(file=name), hint="Mở tệp bằng Word rồi lưu lại.")) from None
    record = provenance.provenance_from_pairs(list(stored.pairs))
    common = {"title": _cut(stored.title), "creator": _cut(stored.creator), "subject": _cut(stored.subject),
              "created": _cut(stored.created), "modified": _cut(stored.modified),
              "application": _cut(stored.application)}
    if record is None:
        return FileInfo(name, "docx", False, **common)
    changes = compare(list(stored.pairs), parts)
    return FileInfo(name, "docx", True, record.engine, record.inputs, **common,
                    date_source=dict(stored.pairs).get(provenance.DATE_KEY, ""), intact=changes.intact,
                    changed_parts=changes.changed, added_parts=changes.added, removed_parts=changes.removed,
                    record_altered=changes.properties_altered)


def describe_pdf(data: bytes, name: str) -> FileInfo:
    check = read_stamp(data)
    if check.found and check.entries:
        values = dict(check.entries)
        pairs = [(key, value) for key, value in check.entries if key.startswith(provenance.PREFIX)]
        record = provenance.provenance_from_pairs([(k, v) for k, v in pairs if k not in (PDF_KEY, DOCX_KEY)])
        if record is not None:
            return FileInfo(
                name, "pdf", True, record.engine, record.inputs, title=values.get("Title", ""),
                creator=values.get("Author", ""), subject=values.get("Subject", ""),
                created=_pdf_date(values.get("CreationDate", "")), modified=_pdf_date(values.get("ModDate", "")),
                application=values.get("Producer", ""), date_source=values.get(provenance.DATE_KEY, ""),
                intact=check.intact, record_altered=not (check.head_intact and check.update_intact),
                appended_bytes=check.appended, signed_after=check.signed_after,
                docx_digest=values.get(DOCX_KEY, ""))
    return _foreign_pdf(data, name)


def _foreign_pdf(data: bytes, name: str) -> FileInfo:
    """A PDF the engine did not stamp: what its Info dictionary claims, read by pypdf."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        meta = reader.metadata or {}
        raw = {key: str(meta.get(key) or "") for key in ("/Title", "/Author", "/Subject", "/Producer", "/Creator",
                                                         "/CreationDate", "/ModDate")}
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
            OSError) as exc:
        raise DocumentError(Problem("DOCX_UNREADABLE", f"không đọc được tệp PDF ({type(exc).__name__})",
                                    Location(file=name), hint="Tệp hỏng hoặc không phải PDF.")) from None
    if any(len(value) > MAX_PROPERTIES for value in raw.values()):
        raise LimitError(Problem("LIMIT_TEXT", f"thông tin của PDF có giá trị dài quá {format_number(MAX_PROPERTIES)} "
                                 "ký tự", Location(file=name),
                                 hint="Tệp này không do chương trình ghi ra như thường lệ; kiểm tra nguồn của tệp."))
    claims = {key: _cut(value) for key, value in raw.items()}
    return FileInfo(name, "pdf", False, title=claims["/Title"], creator=claims["/Author"],
                    subject=claims["/Subject"], created=claims["/CreationDate"], modified=claims["/ModDate"],
                    application=" / ".join(v for v in (claims["/Creator"], claims["/Producer"]) if v))


def _pdf_date(text: str) -> str:
    """``D:20210622000000Z`` as ``2021-06-22T00:00:00Z`` (a PDF date of another form as it is)."""
    if len(text) >= 16 and text.startswith("D:") and text[2:16].isdigit():
        d = text[2:16]
        return f"{d[:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}{'Z' if text[16:17] in ('Z', '') else ''}"
    return text


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"
