"""Turn one service request into the engine's work, in a worker process: plain data in, plain data out.

A job carries only plain data (the spec as a mapping or YAML text, uploaded files as bytes, an
uploaded document), so it crosses a process boundary by pickling; its outcome is the engine's
answer or the problems of the engine error it raised, never an exception object (an
EngineError's problems would not survive pickling as arguments).

What a caller may read: uploaded files are written to a fresh temporary folder that is the
spec's folder for this request only, so a spec's relative paths reach them and nothing else
(the engine's confinement, :mod:`engine.trust.files`, refuses ``..``, absolute paths and
symlinks). Templates are names looked up in the server's template folders (plus the upload
folder when uploaded templates are allowed); frameworks are the engine's by name or an upload.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import pickle
import shutil
import signal
import socket
import struct
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine import pipeline
from engine.audit import ERROR
from engine.errors import AuditError, EngineError, LimitError, Location, Problem, ServiceError, shorten
from engine.spec.loader import LoadedSpec, load_spec_text, spec_from_mapping
from engine.trust.limits import Limits, set_process_limits

SPEC_NAME = "dac_ta.yaml"  # how messages name a spec that came in a request

@dataclass(frozen=True)
class Job:
    """One request's work: what to do, on which spec or document, with which uploaded files."""

    action: str
    spec: dict[str, Any] | None = None  # a spec given as JSON
    spec_text: str | None = None  # a spec given as YAML (or JSON) text
    body: bytes | None = None  # a JSON request body, read here in the worker (the server's one core stays free)
    options: tuple[tuple[str, Any], ...] = ()  # options from the query string, which the JSON body may override
    files: tuple[tuple[str, bytes], ...] = ()  # uploaded data, frameworks, images (and templates, if allowed)
    document: bytes | None = None  # an uploaded .docx (check, snapshot, preview)
    document_name: str = "van_ban.docx"
    strict: bool = False
    snapshot_format: str = "text"


@dataclass(frozen=True)
class Outcome:
    """What a job produced, or the engine error it raised (its class name and problems)."""

    value: dict[str, Any] = field(default_factory=dict)
    error_class: str | None = None
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    worker: int = 0


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker process is started with."""

    limits: Limits
    template_folders: tuple[Path, ...]
    allow_uploaded_templates: bool = False


_setup: WorkerSetup | None = None


def start_worker(setup: WorkerSetup) -> None:
    """A worker process's initializer: its limits, and every template compiled before the first request.

    SIGINT and SIGTERM are the server's to handle: a worker ignores them, finishes the job it holds
    and ends when the server closes its pool.
    """
    global _setup
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    set_process_limits(setup.limits)
    _setup = setup
    from engine.render.docx import load_template

    for folder in setup.template_folders:
        for template in sorted(folder.rglob("*.docx")):
            try:
                load_template(template)._compile()
            except EngineError:
                pass  # a broken template is reported to the request that names it


_FRAME = struct.Struct("!Q")  # the length of the pickle that follows (the same framing as engine.service.pools)


def serve_jobs(connection: socket.socket, setup: WorkerSetup) -> None:
    """A worker process's life: compile the templates, then answer jobs one at a time until the socket closes."""
    start_worker(setup)
    with connection:
        while True:
            header = _receive(connection, _FRAME.size)
            if header is None:
                return  # the server closed its end: it is shutting down
            data = _receive(connection, _FRAME.unpack(header)[0])
            if data is None:
                return
            answer = pickle.dumps(run_job(pickle.loads(data)), protocol=pickle.HIGHEST_PROTOCOL)
            try:
                connection.sendall(_FRAME.pack(len(answer)) + answer)
            except OSError:
                return


def _receive(connection: socket.socket, size: int) -> bytes | None:
    buffer = bytearray()
    while len(buffer) < size:
        chunk = connection.recv(min(size - len(buffer), 1 << 20))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def run_job(job: Job) -> Outcome:
    """Do one job; every engine error becomes the problems of the outcome, and so does a bug (INTERNAL)."""
    started = time.perf_counter()
    try:
        if job.body is not None:
            job = _with_json_body(job)
        formats = formats_of(dict(job.options).get("formats", ["docx"])) if job.action == "render" else ()
        value = _ACTIONS[job.action](job)
        if formats:
            value["formats"] = formats
    except EngineError as error:
        return Outcome(error_class=type(error).__name__, problems=tuple(error.problems),
                       seconds=time.perf_counter() - started, worker=os.getpid())
    except Exception as exc:  # noqa: BLE001 - a bug answers 500 and the worker lives on for the next job
        logging.getLogger("vanban.service").exception("lỗi nội bộ khi làm việc %s", job.action)
        problem = Problem("INTERNAL", f"lỗi nội bộ của chương trình ({type(exc).__name__})",
                          hint="Đây là lỗi của phần mềm, không phải của yêu cầu. Báo nhóm phát triển kèm yêu cầu.")
        return Outcome(error_class="ServiceError", problems=(problem,), seconds=time.perf_counter() - started,
                       worker=os.getpid())
    return Outcome(value=value, seconds=time.perf_counter() - started, worker=os.getpid())


# ----- a JSON request body ----------------------------------------------------------------------------

REQUEST_FIELDS = ("spec", "spec_yaml", "formats", "strict")  # engine.service.models.RenderRequest's fields
FORMATS = ("docx", "pdf")


def request_error(message: str, hint: str | None = None, field: str | None = None) -> ServiceError:
    return ServiceError(Problem("HTTP_REQUEST", message, Location(field=field), hint=hint))


def _with_json_body(job: Job) -> Job:
    """The job with its JSON body read: the spec (a mapping or YAML text) and the options it carries."""
    body = _json(job.body or b"")
    if not isinstance(body, dict):
        raise request_error("thân JSON phải là một đối tượng", 'Gửi {"spec": {…}, "formats": ["docx"]}.')
    unknown = sorted(str(key) for key in set(body) - set(REQUEST_FIELDS))
    if unknown:
        raise request_error(f"trường '{shorten(unknown[0])}' không có trong yêu cầu",
                            "Các trường: " + ", ".join(REQUEST_FIELDS) + ".", field=unknown[0])
    spec, text = body.get("spec"), body.get("spec_yaml")
    if spec is not None and text is not None:
        raise request_error("chỉ gửi một trong 'spec' và 'spec_yaml'")
    if spec is None and text is None:
        raise request_error("yêu cầu không có đặc tả", "Gửi 'spec' (JSON) hoặc 'spec_yaml' (YAML).")
    if spec is not None and not isinstance(spec, dict):
        raise request_error("'spec' phải là một đối tượng JSON (các trường của đặc tả)", field="spec")
    if text is not None and not isinstance(text, str):
        raise request_error("'spec_yaml' phải là văn bản YAML", field="spec_yaml")
    options = {**dict(job.options), **{key: body[key] for key in ("formats", "strict") if key in body}}
    return replace(job, body=None, spec=spec, spec_text=text, options=tuple(options.items()),
                   strict=flag(options.get("strict", job.strict), "strict"))


def _json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise request_error("thân yêu cầu JSON không phải văn bản UTF-8", "Gửi văn bản mã UTF-8.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceError(Problem("HTTP_REQUEST", f"JSON hỏng: {exc.msg}", Location(file="JSON", line=exc.lineno,
                                   column=exc.colno), hint="Kiểm tra dấu ngoặc, dấu phẩy và dấu ngoặc kép.")) from None
    except RecursionError:
        raise LimitError(Problem("LIMIT_DEPTH", "JSON lồng nhau quá sâu", Location(file="JSON"))) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise request_error(f"JSON có giá trị không đọc được ({shorten(str(exc))})") from None


def formats_of(value: Any) -> tuple[str, ...]:
    """The formats asked for ("docx,pdf" or ["docx", "pdf"]), checked."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise request_error("'formats' phải là danh sách định dạng: docx, pdf", field="formats")
    formats = tuple(dict.fromkeys(str(item).strip().lower() for item in items))
    wrong = [item for item in formats if item not in FORMATS]
    if wrong:
        raise request_error(f"không có định dạng '{shorten(wrong[0])}'; chỉ có docx, pdf", field="formats")
    return formats


def flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "co", "có"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "no", "khong", "không", ""):
        return False
    raise request_error(f"'{name}' phải là true hoặc false", field=name)


def _setup_in_force() -> WorkerSetup:
    if _setup is None:  # a job run in this process (tests, the in-process pool)
        from engine.kinds import TEMPLATES_DIR
        from engine.trust.limits import current_limits

        return WorkerSetup(current_limits(), (TEMPLATES_DIR,))
    return _setup


_empty_folder: Path | None = None


def _nothing_uploaded() -> Path:
    """One empty folder per worker, the spec's folder of every request that uploaded nothing (never written)."""
    global _empty_folder
    if _empty_folder is None or not _empty_folder.is_dir():
        _empty_folder = Path(tempfile.mkdtemp(prefix="vanban-rong-"))
    return _empty_folder


class _Uploads:
    """A request's uploaded files in a temporary folder of their own, removed when the job ends."""

    def __init__(self, files: tuple[tuple[str, bytes], ...]) -> None:
        self._own = bool(files)
        self.folder = Path(tempfile.mkdtemp(prefix="vanban-yeu-cau-")) if files else _nothing_uploaded()
        for name, data in files:
            (self.folder / name).write_bytes(data)  # names were checked by the adapter (one plain name each)

    def __enter__(self) -> _Uploads:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own:
            shutil.rmtree(self.folder, ignore_errors=True)


def _loaded(job: Job, uploads: _Uploads) -> LoadedSpec:
    setup = _setup_in_force()
    folders = setup.template_folders + ((uploads.folder,) if setup.allow_uploaded_templates else ())
    if job.spec is not None:
        loaded = spec_from_mapping(job.spec, name=SPEC_NAME, base_dir=uploads.folder, template_folders=folders)
    else:
        loaded = load_spec_text(job.spec_text or "", name=SPEC_NAME, base_dir=uploads.folder,
                                template_folders=folders)
    # Messages name an uploaded file as the caller did, not by the server's temporary folder.
    return replace(loaded, access=replace(loaded.access, shown_base=Path("")))


def _findings(prepared: pipeline.Prepared) -> list[dict[str, Any]]:
    return [finding.as_dict() for finding in prepared.findings]


def _render(job: Job) -> dict[str, Any]:
    with _Uploads(job.files) as uploads:
        prepared = pipeline.prepare(_loaded(job, uploads))
        errors = [f for f in prepared.findings if f.level == ERROR]
        if job.strict and errors:
            raise AuditError([Problem("AUDIT_FIGURES", str(f), f.location,
                                      hint="Sửa số liệu ghi, hoặc gửi strict=false để vẫn dựng và xem cảnh báo.")
                              for f in errors])
        docx = pipeline.render_prepared(prepared)
        notices = list(pipeline.template_notices(prepared))
    return {"docx": docx, "findings": _findings(prepared), "template": prepared.template_path.name,
            "file_stem": _file_stem(prepared), "notices": notices}


def _file_stem(prepared: pipeline.Prepared) -> str:
    """A file name for the document: its kind, number and symbol when it has them ("bao_cao-15-BC-UBND")."""
    spec = prepared.loaded.spec
    pieces = [spec.loai] + ([str(spec.so)] if spec.so else []) + [spec.symbol()]
    return "-".join(piece for piece in pieces if piece).replace("/", "-").replace("&", "va")


def _validate(job: Job) -> dict[str, Any]:
    with _Uploads(job.files) as uploads:
        prepared = pipeline.prepare(_loaded(job, uploads))
        notices = pipeline.lint_prepared(prepared)  # the templates too: a spec that validates renders
    return {"valid": True, "template": prepared.template_path.name, "findings": len(prepared.findings),
            "notices": list(notices)}


def _audit(job: Job) -> dict[str, Any]:
    with _Uploads(job.files) as uploads:
        prepared = pipeline.prepare(_loaded(job, uploads))
    return {"findings": _findings(prepared)}


def _document(job: Job) -> bytes:
    """The .docx a check, snapshot or preview is about: the uploaded one, or the spec rendered."""
    if job.document is not None:
        return job.document
    return _render(job)["docx"]


def _check(job: Job) -> dict[str, Any]:
    """As ``check --json``: the Nghị định 30 findings, and where the document came from (as information)."""
    from engine.conformance import check_layout
    from engine.info import describe_docx
    from engine.render.layout import read_layout

    document = _document(job)
    findings = [f.as_dict() for f in check_layout(read_layout(document, name=job.document_name))]
    return {"findings": findings, "provenance": describe_docx(document, job.document_name).as_dict()}


def _snapshot(job: Job) -> dict[str, Any]:
    from engine import snapshot
    from engine.render.layout import read_layout

    layout = read_layout(_document(job), name=job.document_name)
    return {"snapshot": snapshot.as_yaml(layout) if job.snapshot_format == "yaml" else snapshot.as_text(layout)}


def _docx(job: Job) -> dict[str, Any]:
    """The .docx to convert for a preview: an uploaded one is checked as LibreOffice will open it."""
    if job.document is None:
        return _render(job)
    from engine.trust.packages import open_package

    open_package(job.document, name=job.document_name, role="van_ban", for_office=True)
    return {"docx": job.document, "findings": [], "file_stem": Path(job.document_name).stem}


def _init(job: Job) -> dict[str, Any]:
    """A spec and data files recovered from an uploaded .docx (``vanban init --from``), optionally moved to ``ky``."""
    from engine.recover import recover
    from engine.vn.periods import FORMS_HINT, parse_period

    if job.document is None:
        raise request_error("cần tải lên văn bản .docx (trường 'document')", field="document")
    period = None
    wanted = dict(job.options).get("ky")
    if wanted:
        try:
            period = parse_period(str(wanted))
        except ValueError as exc:
            raise request_error(f"kỳ '{str(wanted)[:60]}': {exc}", FORMS_HINT, field="ky") from None
    recovery = recover(job.document, name=job.document_name, period=period)
    return {"spec_yaml": recovery.yaml(source=job.document_name), "ky": str(recovery.period or "") or None,
            "notes": recovery.notes, "files": {name: base64.b64encode(data).decode("ascii")
                                              for name, data in recovery.files.items()}}


# ----- what the web page needs: a spec's problems by field, a table's reading, page images, a bundle -------------


def _spec_check(job: Job) -> dict[str, Any]:
    """A spec as the engine reads it (plain JSON) and every problem it has, each with a JSON pointer to its field.

    What ``validate --json`` says, answered as data rather than as an error: the page shows each
    problem beside the field it names. The data, the expressions and the templates are checked too
    (a spec without problems renders).
    """
    from engine.spec.yamlload import load_yaml_text
    from engine.trust.plain import plain_data

    data: Any = None
    problems: list[Problem] = []
    notices: tuple[str, ...] = ()
    findings: list[dict[str, Any]] = []
    try:
        data = (plain_data(job.spec, name=SPEC_NAME) if job.spec is not None
                else load_yaml_text(job.spec_text or "", SPEC_NAME).data)
        with _Uploads(job.files) as uploads:
            prepared = pipeline.prepare(_loaded(job, uploads))
            notices = pipeline.lint_prepared(prepared)
            findings = _findings(prepared)
    except EngineError as error:
        problems = list(error.problems)
    return {"valid": not problems, "spec": json_plain(data),
            "problems": [{**problem.as_dict(), "pointer": pointer_of(problem.location.field, data)
                          or _named_field(problem)} for problem in problems],
            "findings": findings, "notices": list(notices)}


def json_plain(value: Any) -> Any:
    """Spec data as JSON can carry it: a date YAML read becomes the text the loader reads back as that date."""
    import datetime
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(key): json_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_plain(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    return value


def pointer_of(field: str | None, data: Any) -> str | None:
    """The JSON pointer (RFC 6901) of a problem's field, written as the loader writes it (``noi_dung[2].doan``).

    A key may itself hold dots (a column mapping's "2.1"), so the path is followed through the data: at
    each mapping the longest key the rest of the path starts with wins. A part the data does not have
    (a missing field) is taken up to the next separator.
    """
    if not field:
        return None
    parts: list[str] = []
    rest, node = field, data
    while rest:
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                break
            index = rest[1:end]
            parts.append(index)
            node = node[int(index)] if isinstance(node, list) and index.isdigit() and int(index) < len(node) else None
            rest = rest[end + 1:]
            continue
        rest = rest.removeprefix(".")
        keys = [str(key) for key in node] if isinstance(node, dict) else []
        fitting = [key for key in keys if rest == key or rest.startswith((key + ".", key + "["))]
        if fitting:
            key = max(fitting, key=len)
            node = node.get(key, next((v for k, v in node.items() if str(k) == key), None))
        else:
            cut = min((i for i in (rest.find("."), rest.find("[")) if i >= 0), default=len(rest))
            key, node = rest[:cut], None
        parts.append(key)
        rest = rest[len(key):]
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _named_field(problem: Problem) -> str | None:
    """The pointer of the spec field a whole-document rule asks for ("văn bản 'bao_cao' cần 'trich_yeu'"), if any.

    Such a rule is about the document, so it has no field of its own; the field it names in quotes is
    where a clerk fixes it.
    """
    import re

    from engine.spec.schema import spec_schema

    if problem.location.field or not problem.code.startswith("SPEC_"):
        return None
    fields = spec_schema()["properties"]
    for name in re.findall(r"'([a-z_]+(?:\.[a-z_]+)*)'", problem.message):
        if name.split(".")[0] in fields:
            return "".join("/" + part for part in name.split("."))
    return None


# What the fields that are not indices stand for, in the words of the page's column mapping.
FIELD_LABELS = {"don_vi": "Tên đơn vị", "tong": "Tổng điểm", "ky_truoc": "Điểm kỳ trước",
                "dat_duoc_ghi": "Điểm đạt được (bảng ghi)", "quy_doi_ghi": "Điểm quy đổi (bảng ghi)",
                "xep_loai_ghi": "Xếp loại (bảng ghi)", "xep_hang_ghi": "Xếp hạng (bảng ghi)"}


def _table(job: Job) -> dict[str, Any]:
    """How the engine reads an uploaded table (``vanban data --json``), and with a framework: its fields and a ``cot:``.

    Options: ``trang_tinh`` (a workbook's sheet), ``bo_tieu_chi`` (a shipped index framework, or an
    uploaded .yaml), ``so_don_vi`` (how many units to show; 5 unless given).
    """
    from engine.data.readers import read_layout
    from engine.scoring.loader import load_framework
    from engine.scoring.models import IndexFramework
    from engine.scoring.stage import propose_columns

    options = dict(job.options)
    tables = [name for name, _ in job.files if Path(name).suffix.lower() in (".csv", ".xlsx")]
    if len(tables) != 1:
        raise request_error("cần tải lên đúng một bảng .csv hoặc .xlsx" if not tables
                            else f"chỉ xem một bảng mỗi lần (đã gửi {len(tables)})",
                            "Gửi tệp bảng điểm trong trường 'files' (multipart).", field="files")
    first = whole_option(options.get("so_don_vi", 5), "so_don_vi", 0, 50_000)
    sheet = options.get("trang_tinh") or None
    wanted = str(options.get("bo_tieu_chi") or "").strip()
    with _Uploads(job.files) as uploads:
        layout = read_layout(uploads.folder / tables[0], sheet=None if sheet is None else str(sheet))
        answer = layout.as_dict(first)
        answer["tep"] = tables[0]
        if wanted:
            uploaded = dict(job.files)
            if wanted in uploaded:
                framework = load_framework(uploads.folder / wanted, shown=wanted)
            else:
                framework = load_framework(wanted)
            if not isinstance(framework, IndexFramework):
                raise request_error(f"bộ '{shorten(wanted)}' không phải bộ chỉ số (kiểu {framework.kieu}): không có "
                                    "cột chỉ số nào để ghép", "Dùng một bộ chỉ số như qd766 hoặc dien_bien_459_2023.",
                                    field="bo_tieu_chi")
            proposal = propose_columns(layout, framework)
            names = {index.ma: f"{group.ten} / {index.ten}" if len(group.chi_so) > 1 else index.ten
                     for group, index in framework.indices()}
            answer["bo_tieu_chi"] = wanted
            answer["truong"] = [{"ma": code, "ten": FIELD_LABELS.get(code) or names.get(code, code)}
                                for code in proposal]
            answer["goi_y_cot"] = proposal
    return answer


def whole_option(value: Any, name: str, low: int, high: int) -> int:
    """A request option that must be a whole number from ``low`` to ``high`` (a ServiceError otherwise)."""
    try:
        number = int(str(value))
    except ValueError:
        raise request_error(f"'{name}' phải là số nguyên", field=name) from None
    if not low <= number <= high:
        raise request_error(f"'{name}' phải từ {low} đến {high}", field=name)
    return number


def _bundle(job: Job) -> dict[str, Any]:
    """A zip of the spec (YAML) and its data files: ``vanban render spec.yaml`` or ``batch`` renders it again.

    The spec is checked first (data, expressions, templates), so what is bundled renders; the zip is
    the same bytes for the same inputs (entries in order, with a fixed date).
    """
    import io
    import zipfile

    from engine.recover.writer import dump_spec
    from engine.spec.yamlload import load_yaml_text

    with _Uploads(job.files) as uploads:
        prepared = pipeline.prepare(_loaded(job, uploads))
        pipeline.lint_prepared(prepared)
    data = job.spec if job.spec is not None else load_yaml_text(job.spec_text or "", SPEC_NAME).data
    text = dump_spec(json_plain(data), header="Đặc tả tải từ trang web của vanban; dựng lại: vanban render "
                                              "spec.yaml -o van_ban.docx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # An uploaded file named spec.yaml would shadow the spec: the spec wins.
        entries = [("spec.yaml", text.encode("utf-8"))] + [item for item in sorted(job.files) if item[0] != "spec.yaml"]
        for name, content in entries:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, content)
    return {"zip": buffer.getvalue(), "file_stem": _file_stem(prepared)}


def _nd30(job: Job) -> dict[str, Any]:
    """The Nghị định 30 findings of a rendered .docx, and nothing else (the preview runs it beside the PDF)."""
    from engine.conformance import check_layout
    from engine.render.layout import read_layout

    if job.document is None:
        raise request_error("cần văn bản .docx", field="document")
    return {"findings": [f.as_dict() for f in check_layout(read_layout(job.document, name=job.document_name))]}


def _warm(job: Job) -> dict[str, Any]:
    """Nothing but proof that the worker is up, its templates compiled."""
    return {"pid": os.getpid()}


_ACTIONS = {"render": _render, "validate": _validate, "audit": _audit, "check": _check, "snapshot": _snapshot,
            "docx": _docx, "init": _init, "warm": _warm, "spec": _spec_check, "data": _table,
            "bundle": _bundle, "the_thuc": _nd30}


def outcome_error(outcome: Outcome) -> EngineError:
    """The engine error an outcome carries, rebuilt in the server process with its class."""
    from engine import errors

    cls = getattr(errors, outcome.error_class or "", None)
    if not (isinstance(cls, type) and issubclass(cls, EngineError)):
        cls = EngineError
    return cls(list(outcome.problems) or [Problem("INTERNAL", "lỗi không rõ", Location())])
