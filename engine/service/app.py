"""Turn HTTP requests into engine jobs and their results into HTTP answers: a thin adapter, nothing re-implemented.

Every endpoint reads its request into a :class:`~engine.service.jobs.Job`, runs it on the render
pool (worker processes: never on the event loop), converts to PDF on the converter pool when
asked, and answers the document or JSON. Every failure is an :class:`~engine.errors.EngineError`
answered as JSON with the engine's stable code, Vietnamese message, place and hint, and the HTTP
status of :func:`engine.errors.http_status_for` (the table in docs/errors.md). No traceback ever
reaches a caller.

The service keeps no state between requests: uploads live in a temporary folder for one job,
and the pools hold only warm processes. Replicas behind any load balancer serve more callers.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import logging
import os
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.errors import (
    EngineError,
    LimitError,
    Location,
    Problem,
    ServiceError,
    TemplateError,
    http_status_for,
    shorten,
)
from engine.service import models
from engine.service.config import ServiceConfig
from engine.service.jobs import Job, Outcome, flag, outcome_error, request_error, whole_option
from engine.service.metrics import Metrics
from engine.service.pools import RETRY_AFTER_SECONDS, ConverterPool, RenderPool
from engine.trust.files import path_name_problem
from engine.trust.plain import UNPRINTABLE

log = logging.getLogger("vanban.service")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {"docx": DOCX_TYPE, "pdf": "application/pdf"}
UPLOAD_SUFFIXES = {".yaml", ".yml", ".json", ".csv", ".xlsx", ".png"}
MAX_UPLOADED_FILES = 32
PUBLIC_PATHS = {"/healthz", "/readyz", "/docs", "/openapi.json", "/docs/oauth2-redirect", "/"}
STATIC_PREFIX = "/static/"  # the web page's files: public, like the page itself (its API calls need the key)
STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}
# The page loads nothing from elsewhere: its script, style and images are the service's own (page images
# are blob: URLs made from the /v1/pages answer); no inline script, no frames, no form posts elsewhere.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; object-src 'none'; "
                                           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}


# ----- errors as answers ------------------------------------------------------------------------


def error_answer(error: EngineError) -> JSONResponse:
    status = http_status_for(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
    body = {"error": {"class": type(error).__name__, "title": error.title, "status": status,
                      "problems": [problem.as_dict() for problem in error.problems]}}
    return JSONResponse(body, status_code=status, headers=headers)


def _internal(exc: BaseException) -> ServiceError:
    return ServiceError(Problem(
        "INTERNAL", f"lỗi nội bộ của máy chủ ({type(exc).__name__})",
        hint="Đây là lỗi của phần mềm, không phải của yêu cầu. Báo nhóm phát triển kèm thời điểm và yêu cầu.",
    ))


# ----- the guard in front of every request: keys, body size, counting -----------------------------


class _Guard:
    """Pure ASGI middleware: API keys, the body size bound, and the request metrics, before any routing."""

    def __init__(self, app: ASGIApp, *, config: ServiceConfig, metrics: Metrics) -> None:
        self.app = app
        self.config = config
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        endpoint = path if path in _KNOWN_PATHS else "/static/" if path.startswith(STATIC_PREFIX) else "khac"
        status_seen: list[int] = []

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
            await send(message)

        self.metrics.in_flight.inc()
        try:
            refusal = self._refusal(scope, path)
            if refusal is not None:
                await error_answer(refusal)(scope, receive, counted_send)
                return
            await self.app(scope, self._bounded(receive), counted_send)
        finally:
            self.metrics.in_flight.dec()
            self.metrics.requests.labels(endpoint, str(status_seen[0] if status_seen else 500)).inc()

    def _refusal(self, scope: Scope, path: str) -> EngineError | None:
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        if self.config.api_keys and path not in PUBLIC_PATHS and not path.startswith(STATIC_PREFIX):
            offered = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not any(hmac.compare_digest(offered.encode(), key.encode()) for key in self.config.api_keys):
                return ServiceError(Problem("HTTP_AUTH", "thiếu khóa API hoặc khóa không đúng",
                                            hint="Gửi khóa trong tiêu đề 'Authorization: Bearer <khóa>' hoặc "
                                                 "'X-API-Key: <khóa>'."))
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.config.max_body):
            return _body_too_large(self.config.max_body)
        return None

    def _bounded(self, receive: Receive) -> Receive:
        received = 0
        limit = self.config.max_body

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _body_too_large(limit)
            return message

        return bounded_receive


def _body_too_large(limit: int) -> LimitError:
    from engine.vn.numbers import format_number

    return LimitError(Problem("LIMIT_REQUEST", f"thân yêu cầu lớn hơn {format_number(limit)} byte",
                              hint="Gửi tệp nhỏ hơn, hoặc người quản trị nâng max_body của máy chủ."))


# ----- reading requests ---------------------------------------------------------------------------


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise request_error(f"{what} không phải văn bản UTF-8", "Gửi văn bản mã UTF-8.") from None


class _Form:
    """A request's spec, options and uploaded files, from whichever body shape it came in."""

    def __init__(self) -> None:
        self.spec_text: str | None = None
        self.options: dict[str, Any] = {}
        self.files: dict[str, bytes] = {}
        self.document: bytes | None = None
        self.document_name = "van_ban.docx"
        self.body: bytes | None = None  # a JSON body: read in the worker, not on the event loop


async def _read_form(request: Request, config: ServiceConfig, *, document_allowed: bool = False,
                     spec_required: bool = True) -> _Form:
    form = _Form()
    form.options.update(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        form.body = await request.body()
    elif content_type in YAML_TYPES:
        form.spec_text = _decode(await request.body(), "đặc tả YAML")
    elif content_type == "multipart/form-data":
        await _from_multipart(form, request, config, document_allowed)
    elif content_type == DOCX_TYPE and document_allowed:
        form.document = await request.body()
    else:
        accepted = "application/json, application/yaml, multipart/form-data" + (f", {DOCX_TYPE}" if document_allowed
                                                                                 else "")
        raise request_error(f"kiểu nội dung '{shorten(content_type) or '(không có)'}' không dùng được",
                            f"Gửi Content-Type là một trong: {accepted}.")
    if spec_required and form.spec_text is None and form.document is None and form.body is None:
        raise request_error("yêu cầu không có đặc tả" + (" hay văn bản .docx" if document_allowed else ""),
                            "Gửi 'spec' (JSON) hoặc 'spec_yaml' (YAML), hoặc tệp 'spec' trong multipart.")
    return form


async def _from_multipart(form: _Form, request: Request, config: ServiceConfig, document_allowed: bool) -> None:
    try:
        parts = await request.form(max_files=MAX_UPLOADED_FILES + 2, max_fields=16,
                                   max_part_size=config.limits.tep_yaml)
    except EngineError:
        raise
    except Exception as exc:  # python-multipart's and Starlette's own refusals (too many parts, a part too big)
        raise request_error(f"multipart không đọc được ({shorten(str(exc))})",
                            f"Gửi tối đa {MAX_UPLOADED_FILES} tệp; trường 'spec' tối đa "
                            f"{config.limits.describe('tep_yaml')}.") from None
    try:
        for key, value in parts.multi_items():
            if isinstance(value, UploadFile):
                data = await _upload(value, config)
                if key == "spec":
                    form.spec_text = _decode(data, "tệp đặc tả")
                elif key in ("document", "van_ban") and document_allowed:
                    form.document, form.document_name = data, _upload_name(value.filename or "van_ban.docx", config,
                                                                          document=True)
                else:
                    name = _upload_name(value.filename or "", config)
                    if name in form.files:
                        raise request_error(f"hai tệp cùng tên '{name}'", field=key)
                    form.files[name] = data
            elif key == "spec":
                form.spec_text = value
            elif key in ("formats", "strict", "trang", "page", "dpi", "format", "ky", "trang_tinh", "bo_tieu_chi",
                         "so_don_vi"):
                form.options[key] = value
            else:
                raise request_error(f"trường '{shorten(key)}' không có trong yêu cầu",
                                    "Các trường: spec, formats, strict, và các tệp dữ liệu.", field=key)
    finally:
        await parts.close()


async def _upload(upload: UploadFile, config: ServiceConfig) -> bytes:
    limit = config.upload_limit
    data = await upload.read(limit + 1)
    if len(data) > limit:
        from engine.vn.numbers import format_number

        raise LimitError(Problem("LIMIT_UPLOAD", f"tệp tải lên '{shorten(upload.filename or '')}' lớn hơn "
                                 f"{format_number(limit)} byte", Location(file=upload.filename),
                                 hint="Gửi tệp nhỏ hơn, hoặc người quản trị nâng max_upload của máy chủ."))
    return data


def _upload_name(filename: str, config: ServiceConfig, *, document: bool = False) -> str:
    """The name an uploaded file is stored under: one plain name, of a kind the engine reads."""
    name = unicodedata.normalize("NFC", filename)
    problem = path_name_problem(name) if name else "tệp tải lên không có tên"
    if problem is None and ("/" in name or "\\" in name or name.startswith(".") or name in ("", ".", "..")):
        problem = "tên tệp tải lên phải là một tên, không phải đường dẫn"
    if problem is None and UNPRINTABLE.search(name):
        problem = "tên tệp có ký tự điều khiển"
    if problem:
        raise ServiceError(Problem("PATH_NAME", f"'{shorten(name)}': {problem}", Location(file=shorten(name)),
                                   hint="Đặt tên tệp ngắn, chỉ gồm chữ, số, dấu gạch."))
    suffix = Path(name).suffix.lower()
    if document:
        if suffix != ".docx":
            raise request_error(f"văn bản '{shorten(name)}' phải là tệp .docx", field="document")
        return name
    if suffix == ".docx":
        if not config.allow_uploaded_templates:
            raise TemplateError(Problem("TEMPLATE_UPLOAD", f"máy chủ không nhận mẫu tải lên ('{shorten(name)}')",
                                        Location(file=shorten(name)),
                                        hint="Dùng tên một mẫu có sẵn (GET /v1/templates); người quản trị có thể "
                                             "bật --allow-uploaded-templates."))
        return name
    if suffix not in UPLOAD_SUFFIXES:
        raise request_error(f"không nhận tệp '{shorten(name)}': chỉ nhận {', '.join(sorted(UPLOAD_SUFFIXES))}",
                            field=name)
    return name


def _job(action: str, form: _Form) -> Job:
    return Job(action=action, spec_text=form.spec_text, files=tuple(form.files.items()),
               document=form.document, document_name=form.document_name, body=form.body,
               options=tuple(form.options.items()), strict=flag(form.options.get("strict", False), "strict"),
               snapshot_format=str(form.options.get("format", "text")))


# ----- the app ---------------------------------------------------------------------------------------


_KNOWN_PATHS = {"/v1/render", "/v1/validate", "/v1/audit", "/v1/check", "/v1/snapshot", "/v1/preview", "/v1/init",
                "/v1/kinds", "/v1/schema", "/v1/spec", "/v1/data", "/v1/pages", "/v1/bundle", "/",
                "/v1/frameworks", "/v1/templates", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"}


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    """The service as an ASGI app; its pools start with the app's lifespan and stop with it."""
    config = config or ServiceConfig()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from engine.service.jobs import WorkerSetup

        setup = WorkerSetup(config.limits, config.template_folders, config.allow_uploaded_templates)
        renderers = RenderPool(config.workers, config.queue_limit, setup, metrics, config.request_seconds)
        converters = ConverterPool(config.pdf_converters, metrics, config.conversion_seconds, config.queue_limit)
        app.state.renderers, app.state.converters = renderers, converters
        try:
            await renderers.start()
            await converters.start()
            log.info("sẵn sàng: %d tiến trình dựng, %d bộ chuyển PDF", config.workers, len(converters.pids))
            yield
        finally:
            renderers.close()
            converters.close()

    app = FastAPI(title="vanban: dựng văn bản hành chính (Nghị định 30/2020/NĐ-CP)", version=_version(),
                  description=_DESCRIPTION, lifespan=lifespan)
    app.state.config = config
    app.state.metrics = metrics

    @app.exception_handler(EngineError)
    async def engine_error(request: Request, error: EngineError) -> JSONResponse:
        return error_answer(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_answer(ServiceError(Problem("HTTP_NOT_FOUND", f"không có địa chỉ {shorten(request.url.path)}",
                                                     hint="Xem các địa chỉ ở /docs.")))
        if exc.status_code == 405:
            return error_answer(ServiceError(Problem("HTTP_METHOD", f"{request.url.path} không nhận {request.method}",
                                                     hint="Xem các địa chỉ và phương thức ở /docs.")))
        return error_answer(request_error(f"yêu cầu không hợp lệ ({exc.status_code})"))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return error_answer(request_error(f"tham số '{where}' không hợp lệ", field=where or None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("lỗi nội bộ khi xử lý %s", request.url.path)
        return error_answer(_internal(exc))

    async def run(request: Request, job: Job) -> dict[str, Any]:
        renderers: RenderPool = request.app.state.renderers
        outcome: Outcome = await renderers.run(job)
        metrics.render_seconds.labels(job.action).observe(outcome.seconds)
        if outcome.error_class is not None:
            raise outcome_error(outcome)
        return outcome.value

    @app.post("/v1/render", tags=["dựng"], summary="Dựng văn bản thành .docx và/hoặc PDF",
              responses=_document_responses(), openapi_extra=_spec_body(with_formats=True))
    async def render(request: Request) -> Response:
        result = await run(request, _job("render", await _read_form(request, config)))
        formats = result["formats"]  # read and checked in the worker, with the body they may come in
        documents = {"docx": result["docx"]} if "docx" in formats else {}
        notices: list[str] = list(result.get("notices", ()))
        if "pdf" in formats:
            converted = await request.app.state.converters.to_pdf(result["docx"], source=_stem_of(result))
            documents["pdf"] = converted.pdf
            notices += converted.notices
        report = {"findings": result["findings"], "notices": notices, "template": result["template"]}
        if len(documents) == 1 and not _wants_json(request):
            [(kind, data)] = documents.items()
            return _document(data, kind, f"{result['file_stem']}.{kind}", report)
        return JSONResponse({**report, "documents": {
            kind: {"file_name": f"{result['file_stem']}.{kind}", "content_type": CONTENT_TYPES[kind],
                   "base64": base64.b64encode(data).decode("ascii")} for kind, data in documents.items()}})

    @app.post("/v1/validate", tags=["kiểm tra"], summary="Kiểm tra đặc tả và dữ liệu, không dựng",
              openapi_extra=_spec_body())
    async def validate(request: Request) -> dict[str, Any]:
        return await run(request, _job("validate", await _read_form(request, config)))

    @app.post("/v1/audit", tags=["kiểm tra"], summary="Số liệu ghi sai so với số tính được (như audit --json)",
              description="Mỗi phát hiện có mức (error, warning, info: kiểm tra không làm được vì thiếu số liệu), "
                          "vị trí, số ghi, số tính được, lời nhắn, các lý do (reasons: số đã quyết định, cơ sở của nó, "
                          "ngưỡng so sánh) và các số liệu thiếu (missing).",
              openapi_extra=_spec_body(), responses=_example(models.AUDIT_EXAMPLE))
    async def audit(request: Request) -> JSONResponse:
        result = await run(request, _job("audit", await _read_form(request, config)))
        return JSONResponse(result["findings"])

    @app.post("/v1/check", tags=["kiểm tra"], summary="Thể thức Nghị định 30 của một .docx (như check --json)",
              openapi_extra=_document_body())
    async def check(request: Request) -> JSONResponse:
        result = await run(request, _job("check", await _read_form(request, config, document_allowed=True)))
        return JSONResponse({"findings": result["findings"], "provenance": result["provenance"]})

    @app.post("/v1/init", tags=["dựng"], summary="Đặc tả và tệp số liệu lập từ một .docx đã có (như init --from)",
              openapi_extra=_init_body(), responses=_example(
                  {"spec_yaml": "loai: bao_cao\n…", "ky": "tháng 5 năm 2023", "notes": [],
                   "files": {"phu_luc_1.csv": "77u/U1RUOy4uLg=="}}))
    async def init(request: Request) -> dict[str, Any]:
        form = await _read_form(request, config, document_allowed=True)
        if form.document is None:
            raise request_error("cần tải lên văn bản .docx", "Gửi trường 'document' (multipart) hoặc thân "
                                f"Content-Type {DOCX_TYPE}; tùy chọn ?ky=tháng 5 năm 2023.", field="document")
        return await run(request, _job("init", form))

    @app.post("/v1/snapshot", tags=["kiểm tra"], summary="Dàn ý bố cục của một .docx (như snapshot; ?format=yaml)",
              openapi_extra=_document_body(), response_class=Response,
              responses={200: {"content": {"text/plain": {}}, "description": "Dàn ý, một dòng mỗi đoạn."}})
    async def snapshot(request: Request) -> Response:
        result = await run(request, _job("snapshot", await _read_form(request, config, document_allowed=True)))
        media = "application/yaml" if request.query_params.get("format") == "yaml" else "text/plain"
        return Response(result["snapshot"], media_type=f"{media}; charset=utf-8")

    @app.post("/v1/preview", tags=["kiểm tra"], summary="Ảnh PNG một trang (?page=1&dpi=80)",
              openapi_extra=_document_body(), response_class=Response,
              responses={200: {"content": {"image/png": {}}, "description": "Ảnh trang."}})
    async def preview(request: Request) -> Response:
        form = await _read_form(request, config, document_allowed=True)
        page = whole_option(form.options.get("page", form.options.get("trang", 1)), "page", 1,
                      config.limits.so_trang_anh)
        dpi = whole_option(form.options.get("dpi", 80), "dpi", 20, 300)
        result = await run(request, _job("docx", form))
        converted = await request.app.state.converters.to_pdf(result["docx"], source=_stem_of(result))
        from engine.convert.pages import page_images

        images = await _in_thread(lambda: page_images(converted.pdf, dpi=dpi, first_pages=page))
        if len(images) < page:
            raise request_error(f"văn bản chỉ có {len(images)} trang", field="page")
        return Response(images[page - 1], media_type="image/png")

    @app.get("/v1/schema", tags=["danh mục"], summary="JSON Schema của đặc tả (như vanban schema)",
             responses=_example({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}))
    async def schema() -> JSONResponse:
        return JSONResponse(_spec_schema())

    @app.post("/v1/spec", tags=["kiểm tra"], summary="Đặc tả như chương trình đọc, mọi lỗi kèm con trỏ tới trường",
              description="Như validate --json nhưng trả lời bằng dữ liệu (200 cả khi đặc tả có lỗi): `valid`, "
                          "`spec` (đặc tả dạng JSON, kể cả khi gửi YAML), `problems` (mỗi lỗi có `pointer` RFC 6901 "
                          "tới trường, ví dụ /nguoi_ky/ho_ten), `findings` (audit), `notices`.",
              openapi_extra=_spec_body(), responses=_example(
                  {"valid": False, "spec": {"loai": "bao_cao"}, "findings": [], "notices": [], "problems": [
                      {"code": "SPEC_MISSING", "message": "thiếu trường bắt buộc 'dia_danh'", "field": "dia_danh",
                       "pointer": "/dia_danh", "hint": "Thêm 'dia_danh: …' (xem docs/spec.md).", "file": "dac_ta.yaml",
                       "line": 1, "column": 1, "part": None, "paragraph": None}]}))
    async def spec(request: Request) -> dict[str, Any]:
        return await run(request, _job("spec", await _read_form(request, config)))

    @app.post("/v1/data", tags=["kiểm tra"], summary="Bảng điểm được đọc thế nào (như vanban data --json)",
              description="Multipart: một tệp .csv/.xlsx trong `files`; tùy chọn `trang_tinh`, `bo_tieu_chi` (bộ "
                          "chỉ số có sẵn hoặc tệp .yaml tải lên cùng: trả thêm `truong` và `goi_y_cot`), `so_don_vi` "
                          "(mặc định 5).",
              openapi_extra=_data_body(), responses=_example(
                  {"tep": "diem_xa.xlsx", "trang_tinh": "Tháng 4", "cac_trang_tinh": ["Hướng dẫn", "Tháng 4"],
                   "dong_tieu_de": [7, 8, 9], "cot": [{"cot": "C", "vi_tri": 3, "nhan": "(2)",
                                                       "duong_dan": ["TÊN CƠ QUAN, ĐƠN VỊ"], "kieu": "chu"}],
                   "dong_bo_qua": [{"dong": 24, "loai": "tong_hop", "ly_do": "dòng tổng hợp"}], "so_don_vi": 12,
                   "truong": [{"ma": "don_vi", "ten": "Tên đơn vị"}],
                   "goi_y_cot": {"don_vi": "TÊN CƠ QUAN, ĐƠN VỊ"}}))
    async def data(request: Request) -> dict[str, Any]:
        return await run(request, _job("data", await _read_form(request, config, spec_required=False)))

    @app.post("/v1/pages", tags=["kiểm tra"], summary="Ảnh PNG mọi trang, số trang, kiểm tra thể thức (?dpi=60)",
              description="Dựng đặc tả, chuyển PDF bằng LibreOffice chạy sẵn, vẽ ảnh trang: `so_trang`, `anh` "
                          "(PNG base64, trang 1 trước), `the_thuc` (các phát hiện Nghị định 30 như check --json), "
                          "`findings` (audit), `notices`.", openapi_extra=_spec_body())
    async def pages(request: Request) -> dict[str, Any]:
        form = await _read_form(request, config)
        dpi = whole_option(form.options.get("dpi", 60), "dpi", 20, 150)
        result = await run(request, _job("render", form))
        # The Nghị định 30 check (in a worker) and the PDF (on a converter) at once: two cores, half the wait.
        import asyncio

        checked, converted = await asyncio.gather(
            run(request, Job(action="the_thuc", document=result["docx"], document_name=f"{_stem_of(result)}.docx")),
            request.app.state.converters.to_pdf(result["docx"], source=_stem_of(result)))
        from engine.convert.pages import quick_page_images

        most = config.limits.so_trang_anh
        images, count = await _in_thread(lambda: quick_page_images(converted.pdf, dpi=dpi, first_pages=most))
        result["check"] = checked["findings"]
        notices = list(result.get("notices", ())) + list(converted.notices)
        if count > len(images):
            notices.append(f"chỉ vẽ {len(images)} trang đầu (giới hạn so_trang_anh)")
        return {"so_trang": count, "anh": [base64.b64encode(image).decode("ascii") for image in images],
                "the_thuc": result["check"], "findings": result["findings"], "notices": notices,
                "file_stem": _stem_of(result)}

    @app.post("/v1/bundle", tags=["dựng"], summary="Tệp zip: spec.yaml và các tệp dữ liệu, dựng lại được",
              openapi_extra=_spec_body(), response_class=Response,
              responses={200: {"content": {"application/zip": {}}, "description": "spec.yaml và các tệp đã gửi."}})
    async def bundle(request: Request) -> Response:
        result = await run(request, _job("bundle", await _read_form(request, config)))
        name = f"{_stem_of(result)}.zip"
        ascii_name = name.encode("ascii", "ignore").decode() or "van_ban.zip"
        return Response(result["zip"], media_type="application/zip", headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})

    @app.get("/v1/kinds", tags=["danh mục"], summary="Các loại văn bản dựng được", responses=_example(
        [{"loai": "bao_cao", "ten_loai": "BÁO CÁO", "viet_tat": "BC", "mau": "bao_cao/bao_cao.docx"}]))
    async def kinds() -> list[dict[str, Any]]:
        from engine.kinds import KINDS

        return [{"loai": kind.key, "ten_loai": kind.ten_loai, "viet_tat": kind.viet_tat,
                 "mau": _template_name(kind.template, config)} for kind in KINDS.values()]

    @app.get("/v1/frameworks", tags=["danh mục"], summary="Các bộ tiêu chí chấm điểm có sẵn", responses=_example(
        [{"ten": "qd766", "kieu": "bo_chi_so", "mo_ta": "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng …"}]))
    async def frameworks() -> list[dict[str, Any]]:
        from engine.scoring.loader import load_framework, shipped_frameworks

        answer = []
        for name in shipped_frameworks():
            framework = load_framework(name)
            answer.append({"ten": name, "kieu": getattr(framework, "kieu", None),
                           "mo_ta": " ".join(str(getattr(framework, "ten", "") or "").split())})
        return answer

    @app.get("/v1/templates", tags=["danh mục"], summary="Các mẫu .docx gọi được bằng tên (trường mau)",
             responses=_example([{"mau": "bao_cao/bao_cao.docx", "thu_muc": 0}]))
    async def templates() -> list[dict[str, Any]]:
        return [{"mau": path.relative_to(folder).as_posix(), "thu_muc": index}
                for index, folder in enumerate(config.template_folders)
                for path in sorted(folder.rglob("*.docx"))
                if path.is_file() and Path(os.path.realpath(path)).is_relative_to(folder)]

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        return _static_file("index.html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        return _static_file(name)

    @app.get("/healthz", tags=["vận hành"], summary="Máy chủ còn sống", responses=_example({"status": "ok"}))
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["vận hành"], summary="Sẵn sàng: tiến trình dựng và bộ chuyển PDF đã chạy sẵn",
             responses=_example({"ready": True, "workers": 2, "pdf_converters": 1, "pdf": True}))
    async def readyz(request: Request) -> JSONResponse:
        renderers = getattr(request.app.state, "renderers", None)
        converters = getattr(request.app.state, "converters", None)
        ready = bool(renderers and renderers.ready and converters and converters.ready)
        body = {"ready": ready, "workers": len(renderers.pids) if renderers else 0,
                "pdf_converters": len(converters.pids) if converters else 0,
                "pdf": bool(converters and converters.available)}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["vận hành"], summary="Số đo theo định dạng Prometheus", response_class=Response,
             responses={200: {"content": {"text/plain": {"example": 'vanban_requests_total{endpoint="/v1/render",'
                                                                    'status="200"} 12.0'}}}})
    async def prometheus() -> Response:
        return Response(metrics.exposition(), media_type=metrics.content_type)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(_Guard, config=config, metrics=metrics)
    return app


def _static_files() -> dict[str, Path]:
    """The page's files by name, listed once: a request names one of them or gets 404 (no path is ever built)."""
    if not _static_cache:
        _static_cache.update({path.name: path for path in sorted(STATIC_DIR.iterdir())
                              if path.is_file() and path.suffix in STATIC_TYPES} if STATIC_DIR.is_dir() else {})
    return _static_cache


_static_cache: dict[str, Path] = {}


def _static_file(name: str) -> Response:
    path = _static_files().get(name)
    if path is None:
        raise StarletteHTTPException(404)
    return Response(path.read_bytes(), media_type=STATIC_TYPES[path.suffix], headers=PAGE_HEADERS)


_schema_cache: dict[str, Any] = {}


def _spec_schema() -> dict[str, Any]:
    """The spec's JSON Schema, made once per process (it depends on the code and the shipped kinds only)."""
    if not _schema_cache:
        from engine.spec.schema import spec_schema

        _schema_cache.update(spec_schema())
    return _schema_cache


def _stem_of(result: dict[str, Any]) -> str:
    return str(result.get("file_stem") or "van_ban")


async def _in_thread(call: Any) -> Any:
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, call)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and not any(kind in accept for kind in CONTENT_TYPES.values())


def _document(data: bytes, kind: str, file_name: str, report: dict[str, Any]) -> Response:
    ascii_name = file_name.encode("ascii", "ignore").decode() or f"van_ban.{kind}"
    encoded_report = base64.urlsafe_b64encode(json.dumps(report, ensure_ascii=False).encode()).decode("ascii")
    headers = {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}",
        "X-Vanban-Findings": str(len(report["findings"])),
        "X-Vanban-Notices": str(len(report["notices"])),
    }
    if len(encoded_report) <= 6000:  # a header stays well under the 8 KB most proxies allow
        headers["X-Vanban-Report"] = encoded_report
    return Response(data, media_type=CONTENT_TYPES[kind], headers=headers)


def _template_name(path: Path, config: ServiceConfig) -> str:
    for folder in config.template_folders:
        try:
            return path.resolve().relative_to(folder).as_posix()
        except ValueError:
            continue
    return path.name


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vanban-engine")
    except PackageNotFoundError:
        return "0"


_DESCRIPTION = """\
Cùng bộ máy với dòng lệnh `vanban`: đặc tả (JSON hoặc YAML) và dữ liệu vào, văn bản .docx/PDF ra,
kèm các phát hiện kiểm tra số liệu. Mọi lỗi là JSON `{"error": {"class", "title", "status", "problems": [...]}}`
với mã lỗi ổn định, lời nhắn tiếng Việt, vị trí và cách sửa (docs/errors.md).

Gửi dữ liệu: ngay trong đặc tả (`du_lieu: {ten: {...}}`), hoặc tải tệp lên bằng multipart/form-data
(trường `spec` là đặc tả YAML, các tệp CSV/XLSX/YAML đặt tên như đặc tả gọi). Mẫu gọi bằng tên
(`GET /v1/templates`); không đường dẫn nào từ yêu cầu được mở ngoài thư mục của chính yêu cầu đó.
"""


# ----- OpenAPI: request bodies from the engine's own models ------------------------------------------------


def _spec_body(*, with_formats: bool = False) -> dict[str, Any]:
    multipart = {"type": "object", "properties": {
        "spec": {"type": "string", "description": "Đặc tả YAML (văn bản hoặc tệp)."},
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "Tệp dữ liệu (.csv, .xlsx, .yaml, .json, .png) mà đặc tả gọi theo tên."},
        "strict": {"type": "boolean"}}, "required": ["spec"]}
    if with_formats:
        multipart["properties"]["formats"] = {"type": "string", "example": "docx,pdf"}
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/RenderRequest"}, "examples": {
            "json": {"summary": "Đặc tả JSON, dữ liệu ghi ngay trong đặc tả",
                     "value": {"spec": models.EXAMPLE_SPEC, "formats": ["docx"], "strict": False}},
            "yaml": {"summary": "Đặc tả YAML trong JSON",
                     "value": {"spec_yaml": models.EXAMPLE_SPEC_YAML.replace("so_lieu: so_lieu.yaml",
                                                                            "so_lieu: {tiep_nhan: 120, "
                                                                            "da_giai_quyet: 118}")}}}},
        "application/yaml": {"schema": {"type": "string"}, "example": models.EXAMPLE_SPEC_YAML},
        "multipart/form-data": {"schema": multipart},
    }}}


def _document_body() -> dict[str, Any]:
    body = _spec_body()
    body["requestBody"]["content"]["multipart/form-data"]["schema"] = {"type": "object", "properties": {
        "document": {"type": "string", "format": "binary", "description": "Tệp .docx cần xem."},
        "spec": {"type": "string", "description": "Hoặc: đặc tả YAML (văn bản được dựng trước)."}}}
    body["requestBody"]["content"][DOCX_TYPE] = {"schema": {"type": "string", "format": "binary"}}
    return body


def _data_body() -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {
            "files": {"type": "string", "format": "binary", "description": "Bảng điểm .csv hoặc .xlsx."},
            "trang_tinh": {"type": "string", "description": "Trang tính (Excel)."},
            "bo_tieu_chi": {"type": "string", "description": "Bộ chỉ số để ghép cột, ví dụ dien_bien_459_2023."},
            "so_don_vi": {"type": "integer", "description": "Số đơn vị đầu tiên trả về (mặc định 5)."}}}}}}}


def _init_body() -> dict[str, Any]:
    return {"parameters": [{"name": "ky", "in": "query", "required": False, "schema": {"type": "string"},
                            "description": "Chuyển đặc tả sang kỳ mới, ví dụ 'tháng 5 năm 2023'."}],
            "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "document": {"type": "string", "format": "binary", "description": "Văn bản .docx đã có."},
                    "ky": {"type": "string", "description": "Kỳ mới (tùy chọn)."}}}},
                DOCX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}


def _example(value: Any) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": value}}}}


def _document_responses() -> dict[int | str, dict[str, Any]]:
    return {200: {"description": "Tệp .docx hoặc .pdf (một định dạng), hoặc JSON có các tệp base64 (hai định dạng, "
                                 "hoặc Accept: application/json). Tiêu đề X-Vanban-Report: JSON (base64url) "
                                 "các phát hiện và lưu ý.",
                  "content": {DOCX_TYPE: {}, "application/pdf": {}, "application/json": {}}},
            **{status: {"model": models.ErrorAnswer, "description": text} for status, text in (
                (400, "Yêu cầu sai dạng (HTTP_REQUEST)"), (401, "Thiếu khóa API (HTTP_AUTH)"),
                (403, "Đường dẫn ra ngoài thư mục được phép (ACCESS_*), mẫu tải lên bị tắt"),
                (413, "Vượt giới hạn (LIMIT_*)"), (422, "Đặc tả, dữ liệu hay mẫu sai (SPEC_*, DATA_*, TEMPLATE_*)"),
                (503, "Máy chủ bận (HTTP_BUSY, có Retry-After) hoặc không có PDF"))}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    request_schema = models.RenderRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(request_schema.pop("$defs", {}))
    components["RenderRequest"] = request_schema
    app.openapi_schema = schema
    return schema


__all__ = ["create_app", "error_answer"]
