"""Turn every failure into one exception tree that carries its place, its code and a fix.

All errors a user can cause derive from :class:`EngineError`. Each carries one or more
:class:`Problem` items (so a bad spec reports every problem at once), and each problem has a
stable code from :data:`ERROR_CODES`, a :class:`Location` (file:line:column for YAML, template
and paragraph for .docx) and a Vietnamese message with what to do. The CLI (and later the HTTP
adapter) maps the exception class to an exit code through :data:`EXIT_CODES`; docs/errors.md
documents the same codes and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file with line and column, or a template with its paragraph."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None  # dotted path inside the spec, e.g. "nguoi_ky.quyen_han"
    part: str | None = None  # part of a .docx template: "thân văn bản", "đầu trang", ...
    paragraph: str | None = None  # text of the template paragraph around a tag

    def __str__(self) -> str:
        pieces: list[str] = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            pieces.append(where)
        if self.field:
            pieces.append(f"trường '{self.field}'")
        if self.part:
            pieces.append(self.part)
        if self.paragraph is not None:
            pieces.append(f'đoạn "{shorten(self.paragraph)}"')
        return ", ".join(pieces) if pieces else "(không rõ vị trí)"


def shorten(text: str, limit: int = 80) -> str:
    """Text for a message: whitespace runs as one space, at most ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong: its code, where it is, what is wrong and how to fix it."""

    code: str
    message: str
    location: Location = field(default_factory=Location)
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.code not in ERROR_CODES:
            raise ValueError(f"undocumented error code {self.code!r}")

    def __str__(self) -> str:
        text = f"{self.location}: {self.message} [{self.code}]"
        if self.hint:
            text += f"\n    → {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "field": loc.field,
            "part": loc.part,
            "paragraph": loc.paragraph,
        }


class EngineError(Exception):
    """Root of every error the engine reports to a user; holds one or more problems."""

    title = "Lỗi"

    def __init__(self, problems: Problem | list[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else problems
        if not self.problems:
            raise ValueError("an EngineError needs at least one problem")
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{self.title} ({count} vấn đề):" if count > 1 else f"{self.title}:"
        return "\n".join([head, *("  " + str(p).replace("\n", "\n  ") for p in self.problems)])


class SpecError(EngineError):
    """The document spec (YAML) is malformed or invalid."""

    title = "Tệp đặc tả văn bản không hợp lệ"


class DataError(EngineError):
    """A data file that the spec refers to is missing or invalid."""

    title = "Dữ liệu không hợp lệ"


class TemplateError(EngineError):
    """A .docx template is broken or uses a value the context does not have."""

    title = "Lỗi mẫu văn bản (.docx)"


class AuditError(EngineError):
    """``render --strict`` refused: a stated figure disagrees with the computed one."""

    title = "Số liệu ghi sai so với số liệu tính được (chế độ --strict)"


class DocumentError(EngineError):
    """A .docx or PDF given to ``snapshot``, ``check`` or ``preview`` cannot be read."""

    title = "Không đọc được văn bản"


class OutputError(EngineError):
    """The output file cannot be written (exists without --force, bad folder, bad suffix)."""

    title = "Không ghi được tệp kết quả"


class AccessError(EngineError):
    """An input path leads outside the folders the user allowed, or to something that is not a file."""

    title = "Không được đọc tệp này"


class LimitError(EngineError):
    """An input or what it makes goes past a resource limit (size, count, depth, loops, time)."""

    title = "Vượt giới hạn an toàn"


class ServiceError(EngineError):
    """An HTTP request the service cannot take (malformed, unauthorised, server busy), or a bad server setup."""

    title = "Yêu cầu không thực hiện được"


class ClusterError(EngineError):
    """A batch cannot run on the Dask cluster it was given (dask missing, scheduler unreachable, a worker unfit)."""

    title = "Không chạy được lô trên cụm máy"


# Stable codes: never renumber or reuse; docs/errors.md lists exactly these (tested).
ERROR_CODES: dict[str, str] = {
    "SPEC_FILE": "không đọc được tệp đặc tả",
    "SPEC_YAML": "cú pháp YAML sai",
    "SPEC_DUPLICATE_KEY": "một khóa xuất hiện hai lần",
    "SPEC_UNKNOWN_KEY": "khóa không có trong đặc tả (gõ sai?)",
    "SPEC_MISSING": "thiếu trường bắt buộc",
    "SPEC_TYPE": "giá trị sai kiểu",
    "SPEC_VALUE": "giá trị không hợp lệ",
    "SPEC_DATE": "ngày tháng không có thật hoặc sai dạng",
    "SPEC_PERIOD": "kỳ báo cáo không đọc được hoặc không có thật",
    "SPEC_KIND": "loại văn bản chưa được hỗ trợ",
    "SPEC_EXPRESSION": "biểu thức {{ … }} trong nội dung sai hoặc dùng giá trị không có",
    "SPEC_TOO_LARGE": "(không còn dùng: nay là LIMIT_YAML)",
    "DATA_FILE": "không đọc được tệp dữ liệu",
    "DATA_FORMAT": "tệp dữ liệu sai định dạng",
    "TEMPLATE_FILE": "không mở được tệp mẫu .docx",
    "TEMPLATE_SYNTAX": "thẻ Jinja trong mẫu sai cú pháp",
    "TEMPLATE_UNDEFINED": "mẫu dùng một giá trị không có trong dữ liệu",
    "TEMPLATE_RENDER": "lỗi khi điền mẫu",
    "TEMPLATE_OUTPUT": "kết quả điền mẫu không phải XML hợp lệ",
    "TEMPLATE_FILTER": "mẫu dùng một bộ lọc không có (gõ sai tên bộ lọc)",
    "TEMPLATE_REPAIRED": "(lưu ý, không phải lỗi) thẻ bị Word tách thành nhiều run đã được nối lại",
    "TEMPLATE_SIGNERS": "mẫu chỉ in một người ký mà đặc tả có nhiều người ký",
    "TEMPLATE_KINDS": "một mục trong templates/kinds.yaml sai (thiếu mau, sai kiểu, mẫu không có)",
    "OUTPUT_EXISTS": "tệp kết quả đã có",
    "OUTPUT_PATH": "không ghi được vào đường dẫn kết quả",
    "AUDIT_FIGURES": "số liệu ghi khác số liệu tính được",
    "DOCX_UNREADABLE": "không đọc được tệp .docx hoặc PDF đưa vào",
    "PDF_UNAVAILABLE": "máy không có LibreOffice (hoặc python3-uno) để chuyển sang PDF",
    "PDF_CONVERSION": "LibreOffice không chuyển được văn bản sang PDF",
    "PREVIEW_UNAVAILABLE": "không vẽ được ảnh trang (thiếu pdftoppm hoặc PDF hỏng)",
    "FILE_ENCODING": "tệp văn bản không phải UTF-8, UTF-16 hay Windows-1258, hoặc là tệp nhị phân",
    "FILE_ZIP": "tệp .docx/.xlsx không phải gói zip hợp lệ (hỏng hoặc đổi đuôi)",
    "FILE_XML": "một phần XML trong tệp .docx/.xlsx hỏng hoặc có DTD/thực thể",
    "FILE_LINK": "tệp .docx liên kết ra ngoài (ảnh liên kết, trường INCLUDETEXT, DDE …)",
    "DOCX_VALUE": "văn bản .docx có thuộc tính mang giá trị sai",
    "BATCH_REPORT": "tệp ket_qua_lo.json của lần chạy trước hỏng hoặc sai dạng",
    "PATH_NAME": "tên tệp hoặc đường dẫn quá dài, hoặc có ký tự không dùng được",
    "ACCESS_OUTSIDE": "đường dẫn ra ngoài các thư mục được phép đọc",
    "ACCESS_NOT_FILE": "đường dẫn không trỏ tới một tệp thường (thư mục, thiết bị, FIFO, socket)",
    "LIMIT_FILE_SIZE": "tệp đầu vào lớn quá giới hạn",
    "LIMIT_ZIP": "tệp nén (.docx, .xlsx) quá nhiều mục, giải nén quá lớn hoặc nén bất thường",
    "LIMIT_YAML": "tệp YAML quá nhiều giá trị hoặc lồng quá sâu",
    "LIMIT_DEPTH": "dữ liệu hoặc mẫu lồng nhau (đệ quy) quá sâu",
    "LIMIT_ROWS": "bảng quá nhiều dòng, cột hoặc ô",
    "LIMIT_PARAGRAPHS": "văn bản quá nhiều đoạn",
    "LIMIT_TEXT": "một giá trị hoặc một chuỗi tạo ra quá dài",
    "LIMIT_LIST": "một danh sách do phép tính tạo ra quá dài",
    "LIMIT_NUMBER": "số quá lớn, quá nhỏ hoặc quá nhiều chữ số",
    "LIMIT_LOOP": "vòng lặp trong mẫu hoặc biểu thức chạy quá nhiều lần",
    "LIMIT_TIME": "điền mẫu và tính biểu thức quá thời gian cho phép",
    "LIMIT_OUTPUT": "văn bản dựng ra vượt giới hạn mà Word, LibreOffice hoặc libxml2 mở được",
    "SANDBOX_ACCESS": "mẫu hoặc biểu thức dùng thứ không được phép (phương thức, thuộc tính đối tượng, hàm)",
    "SANDBOX_PRINT": "mẫu hoặc biểu thức in ra một thứ không in được (hàm, lớp, bảng, danh sách, None)",
    "HTTP_REQUEST": "yêu cầu HTTP sai dạng (JSON hỏng, thiếu đặc tả, kiểu nội dung hay tham số sai)",
    "HTTP_AUTH": "thiếu khóa API hoặc khóa không đúng",
    "HTTP_NOT_FOUND": "không có địa chỉ API này",
    "HTTP_METHOD": "địa chỉ API không nhận phương thức HTTP này",
    "HTTP_BUSY": "máy chủ đang bận (hàng đợi đầy); thử lại sau số giây trong Retry-After",
    "HTTP_TIMEOUT": "yêu cầu chạy quá thời gian cho phép của máy chủ",
    "LIMIT_REQUEST": "thân yêu cầu HTTP lớn quá giới hạn của máy chủ (max_body)",
    "LIMIT_UPLOAD": "một tệp tải lên lớn quá giới hạn của máy chủ (max_upload)",
    "TEMPLATE_UPLOAD": "máy chủ không nhận mẫu .docx tải lên (chỉ dùng tên mẫu có sẵn)",
    "SERVICE_CONFIG": "cấu hình máy chủ sai (tệp cấu hình, tệp khóa API, thư mục mẫu, cổng)",
    "CLUSTER_UNAVAILABLE": "máy này chưa cài Dask distributed (vanban-engine[cum]) để chạy lô trên cụm máy",
    "CLUSTER_CONNECT": "không kết nối được bộ lập lịch Dask (--cum-may), hoặc nó không có máy worker nào",
    "CLUSTER_WORKER": "một máy worker của cụm khác máy chạy lệnh (phiên bản, mẫu) hoặc không thấy thư mục dùng chung",
    "INTERNAL": "lỗi nội bộ của chương trình",
}

# Exit codes of the CLI, one per error class (documented in docs/errors.md).
EXIT_OK = 0
EXIT_CODES: dict[type[EngineError], int] = {
    SpecError: 3,
    DataError: 4,
    TemplateError: 5,
    OutputError: 6,
    AuditError: 7,
    DocumentError: 8,
    AccessError: 9,
    LimitError: 10,
    ServiceError: 11,
    ClusterError: 12,
}
EXIT_AUDIT_FINDINGS = 1  # ``audit`` found an error-level finding, ``check`` a layout finding (like a linter)
EXIT_USAGE = 2  # click's own code for a wrong command line
EXIT_INTERNAL = 70  # a bug: the message asks the user to report it


# HTTP status of an error answered by the service: by class, with a few codes of their own
# (documented in docs/errors.md beside the exit codes; a test keeps the two equal).
HTTP_STATUS: dict[type[EngineError], int] = {
    SpecError: 422,
    DataError: 422,
    TemplateError: 422,
    AuditError: 422,
    DocumentError: 422,
    AccessError: 403,
    LimitError: 413,
    OutputError: 500,
    ServiceError: 400,
}
HTTP_STATUS_BY_CODE: dict[str, int] = {
    "HTTP_AUTH": 401,
    "TEMPLATE_UPLOAD": 403,
    "HTTP_NOT_FOUND": 404,
    "HTTP_METHOD": 405,
    "LIMIT_LOOP": 422,  # the template or expression is at fault, not the size of what was sent
    "LIMIT_TIME": 422,
    "LIMIT_DEPTH": 422,
    "SANDBOX_ACCESS": 422,
    "SANDBOX_PRINT": 422,
    "PDF_CONVERSION": 502,
    "HTTP_BUSY": 503,
    "PDF_UNAVAILABLE": 503,
    "HTTP_TIMEOUT": 504,
    "INTERNAL": 500,
}
HTTP_INTERNAL = 500


def http_status_for(error: EngineError) -> int:
    """The HTTP status of an engine error: its first problem's code if that has one, else its class's.

    >>> http_status_for(SpecError(Problem("SPEC_VALUE", "x")))
    422
    >>> http_status_for(ServiceError(Problem("HTTP_BUSY", "x")))
    503
    """
    code = error.problems[0].code
    if code in HTTP_STATUS_BY_CODE:
        return HTTP_STATUS_BY_CODE[code]
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return HTTP_INTERNAL


def exit_code_for(error: EngineError) -> int:
    """Map an engine error to the CLI exit code of its class."""
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return EXIT_INTERNAL
