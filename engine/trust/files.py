"""Turn a path someone wrote into the bytes of a regular file, if the user allowed it and it is not too big.

Every file the engine reads goes through here: a spec's data, score tables, frameworks,
templates, signature images, units files, documents given to ``check``. The rules (OWASP's
path traversal rules):

- A path written in a spec is relative to the spec's folder. After symlinks are resolved it
  must lie inside that folder, the engine's own template and framework folders, or a folder the
  user named (``--cho-phep DIR``). ``..``, absolute paths and symlinks that lead elsewhere are
  refused with the field and the path. A service gives no spec folder at all: then only names
  of the engine's own templates and frameworks work (the names-only rule).
- A file the user names on the command line (the spec itself, a units file, a document to
  check) is allowed by that act, but like every input it must be a regular file: devices,
  FIFOs, sockets and folders are refused before anything is read, so ``/dev/zero`` or a FIFO
  cannot make the engine read for ever.
- Every read is bounded by the limit of its kind (:mod:`engine.trust.limits`); the size is
  checked on the open file, and the read stops one byte past the limit.
- Text is decoded from UTF-8 (with or without BOM), UTF-16 (with BOM, or recognised by its
  zero bytes) or Windows-1258 (the old Vietnamese Windows code page), and refused by name
  when it is none of them (a binary file renamed .csv).
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from engine import provenance
from engine.errors import (
    AccessError,
    DataError,
    DocumentError,
    EngineError,
    LimitError,
    Location,
    OutputError,
    Problem,
    SpecError,
    TemplateError,
    shorten,
)
from engine.trust.limits import current_limits

__all__ = ["ENGINE_FOLDERS", "Access", "InputFile", "decode_text", "path_name_problem", "read_file", "role_error"]

# What an input is, for its error class and its size limit.
ROLE_ERRORS: dict[str, type[EngineError]] = {
    "dac_ta": SpecError,  # the spec
    "du_lieu": DataError,  # data files, score tables, units files, frameworks
    "mau": TemplateError,  # .docx templates
    "van_ban": DocumentError,  # a .docx or PDF given to check, snapshot, preview
    "anh": SpecError,  # a signature image (named by the spec)
    "ket_qua": OutputError,  # what the engine writes, and its own batch report
}
ROLE_LIMITS = {"dac_ta": "tep_yaml", "du_lieu": "tep_du_lieu", "mau": "tep_mau", "van_ban": "tep_van_ban",
               "anh": "tep_anh", "ket_qua": "tep_du_lieu"}
ROLE_FILE_CODES = {"dac_ta": "SPEC_FILE", "du_lieu": "DATA_FILE", "mau": "TEMPLATE_FILE", "van_ban": "DOCX_UNREADABLE",
                   "anh": "SPEC_VALUE", "ket_qua": "BATCH_REPORT"}

MAX_NAME_BYTES = 255  # one name in a path (Linux, Windows and macOS all stop here)
MAX_PATH_BYTES = 4096


def role_error(role: str) -> type[EngineError]:
    return ROLE_ERRORS[role]


def _engine_folders() -> tuple[Path, ...]:
    from engine.kinds import TEMPLATES_DIR
    from engine.scoring.loader import FRAMEWORKS_DIR

    return tuple(Path(os.path.realpath(folder)) for folder in (TEMPLATES_DIR, FRAMEWORKS_DIR))


class _EngineFolders:
    """The engine's own template and framework folders, resolved once (imported lazily: no cycle)."""

    _value: tuple[Path, ...] | None = None

    def __call__(self) -> tuple[Path, ...]:
        if self._value is None:
            self._value = _engine_folders()
        return self._value


ENGINE_FOLDERS = _EngineFolders()


def path_name_problem(text: str) -> str | None:
    """Why a path cannot name a file on any system we run on, or None.

    >>> path_name_problem("a" * 300 + ".csv")
    'một tên trong đường dẫn dài 304 byte (tối đa 255)'
    """
    if "\x00" in text:
        return "đường dẫn có ký tự NUL"
    encoded = os.fsencode(text) if _encodable(text) else None
    if encoded is None:
        return "đường dẫn có ký tự không mã hóa được (ký tự thay thế lẻ)"
    if len(encoded) > MAX_PATH_BYTES:
        return f"đường dẫn dài {len(encoded)} byte (tối đa {MAX_PATH_BYTES})"
    for name in encoded.split(b"/"):
        if len(name) > MAX_NAME_BYTES:
            return f"một tên trong đường dẫn dài {len(name)} byte (tối đa {MAX_NAME_BYTES})"
    return None


def _encodable(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return True


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class Access:
    """Which folders a spec may read from: its own, the engine's, and those the user named.

    ``base`` is where relative paths start (the spec's folder), or None when the caller gives
    no folder (a service request): then no path is opened at all, only the engine's own names.
    """

    base: Path | None
    allowed: tuple[Path, ...] = ()  # folders the user named, besides the spec's own
    shown_base: Path | None = None  # the spec's folder as the user wrote it: how messages name files
    # A service's template folders: when set, a template ('mau', 'tep_mau') is a name looked up in
    # these folders only, never a path from the spec's folder.
    template_folders: tuple[Path, ...] | None = None

    @classmethod
    def for_spec(cls, base: str | Path | None, allowed: tuple[str | Path, ...] | list[str | Path] = (),
                 template_folders: tuple[str | Path, ...] | list[str | Path] | None = None) -> Access:
        resolved = Path(os.path.realpath(base)) if base is not None else None
        templates = (tuple(Path(os.path.realpath(folder)) for folder in template_folders)
                     if template_folders is not None else None)
        return cls(resolved, tuple(Path(os.path.realpath(folder)) for folder in allowed),
                   Path(base) if base is not None else None, templates)

    def shown(self, written: str) -> str:
        """How messages name a file the spec names: from the spec's folder as the user wrote it."""
        return str(self.shown_base / written) if self.shown_base is not None else written

    @property
    def roots(self) -> tuple[Path, ...]:
        own = (self.base,) if self.base is not None else ()
        return (*own, *self.allowed, *ENGINE_FOLDERS())

    def resolve(self, written: str, *, where: Location, role: str) -> Path:
        """The real path of ``written`` (relative to the spec's folder) if it is inside an allowed folder."""
        problem = path_name_problem(written)
        if problem:
            raise AccessError(Problem("PATH_NAME", f"'{shorten(written)}': {problem}", where,
                                      hint="Đặt tên tệp ngắn hơn, chỉ gồm chữ, số, dấu gạch."))
        if role == "mau" and self.template_folders is not None:
            named = self._named_template(written, where)
            provenance.note_template(named, written, None)
            return named
        if self.base is None:
            raise AccessError(Problem(
                "ACCESS_OUTSIDE", f"không mở tệp theo đường dẫn '{shorten(written)}': ở đây chỉ dùng tên mẫu và tên "
                "bộ tiêu chí có sẵn", where, hint="Ghi tên (ví dụ bo_tieu_chi: qd766) thay cho đường dẫn tệp.",
            ))
        target = Path(os.path.realpath(self.base / written))
        if not any(_within(target, root) for root in self.roots):
            shown = f"'{shorten(written)}'"
            if Path(os.path.abspath(self.base / written)) != target:
                shown += " (qua liên kết tượng trưng)"
            raise AccessError(Problem(
                "ACCESS_OUTSIDE", f"đường dẫn {shown} ra ngoài thư mục của tệp đặc tả", where,
                hint="Đặt tệp trong thư mục của tệp đặc tả (hoặc thư mục con), hoặc cho phép thêm thư mục bằng "
                     "--cho-phep THƯ_MỤC.",
            ))
        if role == "mau":
            provenance.note_template(target, written, self.base)
        return target

    def _named_template(self, written: str, where: Location) -> Path:
        """A template named relative to one of the service's template folders (``bao_cao/bao_cao.docx``)."""
        parts = Path(written).parts
        if Path(written).is_absolute() or ".." in parts or "\\" in written or not parts:
            raise AccessError(Problem(
                "ACCESS_OUTSIDE", f"mẫu '{shorten(written)}' phải là tên một mẫu có sẵn, không phải đường dẫn",
                where, hint="Ghi tên mẫu như danh sách GET /v1/templates (ví dụ bao_cao/bao_cao.docx).",
            ))
        for folder in self.template_folders or ():
            target = Path(os.path.realpath(folder / written))
            if _within(target, folder) and target.is_file():
                return target
            if os.path.lexists(folder / written) and not _within(target, folder):
                raise AccessError(Problem(
                    "ACCESS_OUTSIDE", f"mẫu '{shorten(written)}' là liên kết tượng trưng ra ngoài thư mục mẫu",
                    where, hint="Người quản trị máy chủ cần thay liên kết bằng chính tệp mẫu.",
                ))
        raise SpecError(Problem("SPEC_VALUE", f"không có mẫu tên '{shorten(written)}'", where,
                                hint="Các mẫu có sẵn: xem GET /v1/templates."))

    def read(self, written: str, *, where: Location, role: str, limit: str | None = None) -> InputFile:
        """Resolve, check and read a file a spec names (``limit``: the name of the size limit, if not the role's)."""
        file = read_file(self.resolve(written, where=where, role=role), role=role, where=where,
                         shown=self.shown(written), limit=limit)
        if provenance.active():  # the record of where a document came from (engine.provenance)
            provenance.note_file(where.field or role, written, file.data, role=role, base=self.base)
        return file



@dataclass(frozen=True)
class InputFile:
    """The bytes of a checked input file, with the name to show in messages and its real path."""

    name: str  # as the user wrote it: what messages show
    data: bytes
    path: Path | None = None

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def read_file(path: str | Path, *, role: str, where: Location | None = None, shown: str | None = None,
              limit: str | None = None) -> InputFile:
    """The bytes of a regular file, at most the role's size limit; anything else is a named error.

    The file is checked (regular, not too big) before it is opened and again on the open file,
    and opened without following a final symlink and without blocking, so nothing can be
    swapped in between or make the read wait.
    """
    error = ROLE_ERRORS[role]
    shown = shown if shown is not None else str(path)
    where = where if where is not None else Location(file=shown)
    text = str(path)
    problem = path_name_problem(text)
    if problem:
        raise (OutputError if role == "ket_qua" else AccessError)(Problem(
            "PATH_NAME", f"'{shorten(shown)}': {problem}", where, hint="Đặt tên tệp ngắn hơn."))
    limit_name = limit or ROLE_LIMITS[role]  # a YAML data file is bounded by tep_yaml, not by tep_du_lieu
    maximum = getattr(current_limits(), limit_name)
    try:
        info = os.stat(text)
    except FileNotFoundError:
        raise error(Problem(ROLE_FILE_CODES[role], f"không tìm thấy tệp '{shorten(shown)}'", where,
                            hint="Kiểm tra lại đường dẫn và tên tệp.")) from None
    except OSError as exc:
        raise error(Problem(ROLE_FILE_CODES[role], f"không đọc được '{shorten(shown)}' ({exc.strerror})",
                            where)) from None
    _check_regular(info, shown, where)
    _check_size(info.st_size, maximum, limit_name, shown, where)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        # os.stat followed symlinks; the real path has none left, so O_NOFOLLOW only stops a swap.
        descriptor = os.open(os.path.realpath(text), flags)
    except OSError as exc:
        raise error(Problem(ROLE_FILE_CODES[role], f"không mở được '{shorten(shown)}' ({exc.strerror})",
                            where)) from None
    try:
        opened = os.fstat(descriptor)
        _check_regular(opened, shown, where)
        _check_size(opened.st_size, maximum, limit_name, shown, where)
        chunks: list[bytes] = []
        remaining = maximum + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as exc:
        raise error(Problem(ROLE_FILE_CODES[role], f"không đọc được '{shorten(shown)}' ({exc.strerror})",
                            where)) from None
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    _check_size(len(data), maximum, limit_name, shown, where)
    return InputFile(shown, data, Path(os.path.realpath(text)))


def _check_regular(info: os.stat_result, shown: str, where: Location) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    kind = ("thư mục" if stat.S_ISDIR(mode) else "thiết bị" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "FIFO (ống dẫn)" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "không phải tệp")
    raise AccessError(Problem("ACCESS_NOT_FILE", f"'{shorten(shown)}' là {kind}, không phải một tệp thường", where,
                              hint="Chỉ đọc tệp thường; chỉ ra đúng tệp cần đọc."))


def _check_size(size: int, maximum: int, limit_name: str, shown: str, where: Location) -> None:
    if size > maximum:
        limits = current_limits()
        raise LimitError(Problem(
            "LIMIT_FILE_SIZE", f"tệp '{shorten(shown)}' lớn hơn giới hạn {limits.describe(limit_name)}"
            if size <= maximum + 1 else f"tệp '{shorten(shown)}' lớn quá giới hạn {limits.describe(limit_name)}", where,
            hint=f"Kiểm tra đúng tệp; nếu đúng là tệp lớn, nâng giới hạn bằng --gioi-han {limit_name}=….",
        ))


# ----- text --------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Controls that mark a binary file. Tab, line feed, carriage return, and the vertical tab and form feed
# that Word puts in copied text, are text; the cells that hold them are dealt with where they are read.
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f]")
_BINARY_BYTES = re.compile(b"[\x00-\x08\x0e-\x1f]")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (có BOM)", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
                  "utf-16-be": "UTF-16", "utf-32": "UTF-32", "cp1258": "Windows-1258"}


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # a key of ENCODING_NAMES


def decode_text(file: InputFile, *, role: str) -> DecodedText:
    """The text of a file in whichever of UTF-8, UTF-16 or Windows-1258 it is, in NFC.

    Windows-1258 writes most Vietnamese letters as a base letter and a combining tone mark;
    NFC makes them the precomposed letters everything else uses.

    >>> decode_text(InputFile("a.csv", "Hà Nô\u0323i".encode("cp1258")), role="du_lieu").text
    'Hà Nội'
    >>> decode_text(InputFile("a.csv", "Hà Nội".encode("utf-16")), role="du_lieu").encoding
    'utf-16'
    """
    data = file.data
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return DecodedText(_decode(data, encoding, file, role), encoding)
    if data and b"\x00" in data[:4096]:
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        even, odd = data[0:4096:2].count(0), data[1:4096:2].count(0)
        sample = len(data[:4096]) // 2 or 1
        if odd > sample * 0.3 and even < sample * 0.05:
            return DecodedText(_decode(data, "utf-16-le", file, role), "utf-16-le")
        if even > sample * 0.3 and odd < sample * 0.05:
            return DecodedText(_decode(data, "utf-16-be", file, role), "utf-16-be")
        _refuse_binary(file, role)
    try:
        return DecodedText(_checked(data.decode("utf-8"), file, role), "utf-8")
    except UnicodeDecodeError:
        pass
    if _BINARY_BYTES.search(data):
        _refuse_binary(file, role)
    try:
        return DecodedText(_checked(data.decode("cp1258"), file, role), "cp1258")
    except UnicodeDecodeError as exc:
        raise ROLE_ERRORS[role](Problem(
            "FILE_ENCODING", f"tệp không phải văn bản UTF-8, UTF-16 hay Windows-1258 (byte thứ {exc.start} "
            f"là 0x{data[exc.start]:02X})", Location(file=file.name),
            hint="Mở tệp bằng trình soạn thảo hoặc Excel rồi lưu lại với bảng mã UTF-8.",
        )) from None


def _decode(data: bytes, encoding: str, file: InputFile, role: str) -> str:
    try:
        return _checked(data.decode(encoding), file, role)
    except UnicodeDecodeError as exc:
        raise ROLE_ERRORS[role](Problem(
            "FILE_ENCODING", f"tệp ghi là {ENCODING_NAMES[encoding]} nhưng byte thứ {exc.start} không hợp lệ",
            Location(file=file.name), hint="Lưu lại tệp với bảng mã UTF-8.",
        )) from None


def _checked(text: str, file: InputFile, role: str) -> str:
    text = text.removeprefix("\ufeff")
    if _BINARY_CONTROLS.search(text):
        _refuse_binary(file, role)
    return unicodedata.normalize("NFC", text)


def _refuse_binary(file: InputFile, role: str) -> None:
    raise ROLE_ERRORS[role](Problem(
        "FILE_ENCODING", "tệp có byte điều khiển của tệp nhị phân, không phải văn bản", Location(file=file.name),
        hint="Kiểm tra đúng tệp: có thể đây là tệp Excel, ảnh hay tệp nén bị đổi đuôi.",
    ))
