"""Turn the bytes of a .docx or .xlsx from outside into a package known to be safe to unpack and parse.

A .docx or .xlsx is a zip of XML parts. Before anything inflates it (python-docx, docxtpl,
openpyxl, our own readers) the central directory is checked against the limits: how many
entries, how much they unpack to in all, and how many times an entry over 1 MB grows (a zip
bomb grows a thousand times; Word's XML about ten to thirty). Python's zipfile never inflates
an entry past the size the directory declares, so checking the declared sizes bounds the real
ones.

Every XML part is then looked at for a DTD: Word, LibreOffice and Excel never write one, and
a DTD is how the XML attacks in defusedxml's list begin (entity expansion, external entities).
Foreign XML is parsed with :func:`safe_parser`: no DTD, no entities, no network, and libxml2's
own size and depth limits left on (no huge-tree mode).

For a .docx that LibreOffice will open (a template, a document to preview), relationships that
point outside the package (a linked picture, an attached template, a subdocument) and fields
that fetch files (INCLUDETEXT, INCLUDEPICTURE, LINK, DDE) are refused: LibreOffice would read
those files while converting. Hyperlinks are kept; they are only addresses.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from engine.errors import LimitError, Location, Problem
from engine.trust.files import ROLE_ERRORS
from engine.trust.limits import current_limits
from engine.vn.numbers import format_number

__all__ = ["Package", "fetching_field", "field_codes", "open_package", "safe_parser", "xml_syntax_problem"]

_RATIO_FROM = 1 << 20  # entries smaller than this may compress as well as they like
_DTD = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_EXTERNAL = re.compile(rb"""TargetMode\s*=\s*["']External["']""")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_TYPE = re.compile(rb"""\bType\s*=\s*["']([^"']*)["']""")
_HYPERLINK = b"/hyperlink"
# Field codes that make Word or LibreOffice read another file or program when fields are updated.
_FETCHING_FIELD = re.compile(rb"\b(INCLUDETEXT|INCLUDEPICTURE|INCLUDE|LINK|DDEAUTO|DDE|IMPORT|RD)\b")
_INSTRUCTIONS = re.compile(rb"<w:instrText\b[^>]*>([^<]*)</w:instrText>|w:instr\s*=\s*\"([^\"]*)\"")


def safe_parser(**options: object) -> etree.XMLParser:
    """An lxml parser for XML that came from outside: no DTD, no entities, no network, default limits."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False,
                           dtd_validation=False, **options)


class _NoEvents:
    """A parser target that asks for no events: libxml2 then checks the XML without building a tree."""

    def close(self) -> None:
        return None


def xml_syntax_problem(data: bytes) -> str | None:
    """Why ``data`` is not well-formed, namespaced XML, or None; checked with no tree built (a big part stays small).

    An unbound prefix is a namespace error, which libxml2 logs instead of raising. libxml2 releases
    the GIL while it parses, so a big part can be checked alongside other work.
    """
    parser = safe_parser(target=_NoEvents())
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return str(exc)
    errors = parser.error_log.filter_from_errors()
    return errors[0].message if errors else None


@dataclass(frozen=True)
class Package:
    """A zip package checked against the limits; its parts are read on demand."""

    name: str
    data: bytes
    names: tuple[str, ...]

    def parts(self, wanted: Callable[[str], bool] = lambda name: True) -> dict[str, bytes]:
        """The parts whose names ``wanted`` accepts, read in one pass."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as archive:
            return {name: archive.read(name) for name in self.names if wanted(name)}


def open_package(data: bytes, *, name: str, role: str, kind: str = ".docx", for_office: bool = False) -> Package:
    """Check a .docx/.xlsx before anything unpacks it; raise the role's error or a LimitError.

    ``for_office``: the package will be opened by LibreOffice (a template, a document to
    preview), so links that fetch files are refused too.
    """
    error = ROLE_ERRORS[role]
    where = Location(file=name)
    limits = current_limits()
    label = {".docx": "Word .docx", ".xlsx": "Excel .xlsx"}.get(kind, kind)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise error(Problem(
            "FILE_ZIP", f"tệp không phải tệp {label} hợp lệ (không đọc được như gói zip: {exc})", where,
            hint=f"Mở tệp bằng Word/Excel hoặc LibreOffice rồi lưu lại dưới dạng {kind}; tệp cũ (.doc, .xls) đổi tên "
                 "thành .docx/.xlsx không đọc được.",
        )) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.so_muc_nen:
            raise LimitError(Problem("LIMIT_ZIP", f"tệp có {format_number(len(infos))} mục nén, quá giới hạn "
                                     f"{limits.describe('so_muc_nen')}", where,
                                     hint="Tệp Word/Excel thường có vài chục mục; đây có thể là tệp độc hại."))
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size // max(info.compress_size, 1)
            if info.file_size > _RATIO_FROM and ratio > limits.ty_le_nen:
                raise LimitError(Problem(
                    "LIMIT_ZIP", f"mục '{info.filename}' nở {format_number(ratio)} "
                    f"lần khi giải nén (tối đa {limits.ty_le_nen} lần): dấu hiệu của bom nén", where,
                    hint="Không mở tệp này; nếu tệp đáng tin, nâng giới hạn bằng --gioi-han ty_le_nen=….",
                ))
            if total > limits.giai_nen:
                raise LimitError(Problem(
                    "LIMIT_ZIP", f"tệp giải nén ra hơn {limits.describe('giai_nen')}", where,
                    hint="Nếu tệp đáng tin, nâng giới hạn bằng --gioi-han giai_nen=….",
                ))
            if info.flag_bits & 0x1:
                raise error(Problem("FILE_ZIP", f"mục '{info.filename}' được mã hóa bằng mật khẩu", where,
                                    hint="Bỏ mật khẩu trong Word/Excel rồi lưu lại."))
        names = tuple(info.filename for info in infos)
        try:
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _check_part(archive.read(info), info.filename, error, where, for_office)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError) as exc:
            raise error(Problem("FILE_ZIP", f"tệp {label} hỏng, không giải nén được ({exc})", where,
                                hint=f"Mở và lưu lại tệp bằng Word/Excel hoặc LibreOffice dưới dạng {kind}.")) from None
    return Package(name, data, names)


def _check_part(xml: bytes, part: str, error: type, where: Location, for_office: bool) -> None:
    if _DTD.search(xml[:4096]) or (b"<!" in xml and _DTD.search(xml)):
        raise error(Problem("FILE_XML", f"phần '{part}' có khai báo DTD hoặc thực thể (<!DOCTYPE, <!ENTITY>), "
                            "điều Word, Excel và LibreOffice không bao giờ ghi", where,
                            hint="Tệp này không do Word/Excel lưu ra; không mở nó. Nếu cần, mở và lưu lại bằng Word."))
    if not for_office:
        return
    if part.endswith(".rels") and b"External" in xml:
        for relationship in _RELATIONSHIP.findall(xml):
            if _EXTERNAL.search(relationship):
                kind = _TYPE.search(relationship)
                if kind is None or not kind[1].endswith(_HYPERLINK):
                    shown = kind[1].rsplit(b"/", 1)[-1].decode("utf-8", "replace") if kind else "?"
                    raise error(Problem(
                        "FILE_LINK", f"phần '{part}' liên kết ra ngoài gói ({shown}): LibreOffice sẽ đọc tệp đó khi "
                        "chuyển PDF", where,
                        hint="Trong Word, chèn ảnh (Insert → Picture) thay cho liên kết tới tệp, bỏ mẫu đính kèm "
                             "(Developer → Document Template), rồi lưu lại.",
                    ))
    if part.startswith("word/"):
        fetching = fetching_field(xml, part, error, where)
        if fetching:
            raise error(Problem(
                "FILE_LINK", f"phần '{part}' có trường {fetching} đọc tệp hoặc chương trình khác", where,
                hint="Xóa trường này trong Word (Alt+F9 để thấy mã trường) rồi lưu lại.",
            ))


def fetching_field(xml: bytes, part: str, error: type, where: Location) -> str | None:
    """The name of the first field in a part that makes Word or LibreOffice read a file (INCLUDETEXT …), or None.

    Also run on every rendered part: a template that turns autoescaping off could write such a field
    out of data.
    """
    if b"instr" not in xml:
        return None
    for code in field_codes(xml, part, error, where):
        fetching = _FETCHING_FIELD.match(code.strip().upper().encode("utf-8"))
        if fetching:
            return fetching[1].decode()
    return None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def field_codes(xml: bytes, part: str, error: type, where: Location) -> list[str]:
    """The code of every field in a part: simple fields, and complex ones whose code Word split into runs."""
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise error(Problem("FILE_XML", f"phần '{part}' không phải XML hợp lệ ({exc})", where,
                            hint="Mở và lưu lại tệp bằng Word hoặc LibreOffice.")) from None
    codes: list[str] = []
    # The code pieces of each complex field still open; None once past its separator (what follows is its result).
    open_fields: list[list[str] | None] = []
    for element in root.iter(f"{_W}fldSimple", f"{_W}fldChar", f"{_W}instrText"):
        if element.tag == f"{_W}fldSimple":
            codes.append(element.get(f"{_W}instr") or "")
        elif element.tag == f"{_W}instrText":
            if open_fields and open_fields[-1] is not None:
                open_fields[-1].append(element.text or "")
        else:
            kind = element.get(f"{_W}fldCharType")
            if kind == "begin":
                open_fields.append([])
            elif kind in ("separate", "end") and open_fields:
                pieces = open_fields.pop()
                if pieces is not None:
                    codes.append("".join(pieces))
                if kind == "separate":
                    open_fields.append(None)
    return codes
