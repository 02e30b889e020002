"""Turn ``vanban serve`` options and its ``--config`` file into one checked :class:`ServiceConfig`.

The config file is YAML with the same names as the options (``workers: 4``, ``pdf_converters: 2``,
``templates: [/srv/mau]``, ``limits: {so_dong: 100000}``); an option given on the command line
wins over the file. Every problem is a ServiceError (SERVICE_CONFIG) with its file:line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from engine.errors import EngineError, Location, Problem, ServiceError
from engine.trust.limits import Limits, current_limits, parse_limit_settings

MB = 1024 * 1024


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class ServiceConfig:
    """How one server runs. Nothing here is per request: the service keeps no state between requests."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=_cores)  # render processes
    pdf_converters: int = 1  # warm LibreOffice processes (0: .docx only)
    queue: int = 0  # requests that may wait for a worker or a converter (0: 16 per worker, at least 64)
    templates: tuple[Path, ...] = ()  # template folders (empty: the engine's own)
    allow_uploaded_templates: bool = False
    api_key_file: Path | None = None
    max_body: int = 64 * MB  # bytes of one request body
    max_upload: int = 0  # bytes of one uploaded file (0: the engine's limit for data files)
    request_seconds: float = 120.0  # wall-clock time one request may hold a worker
    conversion_seconds: float = 60.0  # one PDF conversion, LibreOffice's start included
    limits: Limits = field(default_factory=current_limits)
    api_keys: frozenset[str] = frozenset()

    @property
    def queue_limit(self) -> int:
        return self.queue or max(64, 16 * self.workers)

    @property
    def upload_limit(self) -> int:
        return self.max_upload or self.limits.tep_du_lieu

    @property
    def template_folders(self) -> tuple[Path, ...]:
        if self.templates:
            return tuple(Path(os.path.realpath(folder)) for folder in self.templates)
        from engine.kinds import TEMPLATES_DIR

        return (Path(os.path.realpath(TEMPLATES_DIR)),)


_INTS = {"port": (1, 65535), "workers": (1, 256), "pdf_converters": (0, 64), "queue": (0, 100_000),
         "max_body": (1024, 2**40), "max_upload": (0, 2**40)}
_FLOATS = {"request_seconds": (1, 86_400), "conversion_seconds": (1, 3_600)}
_NAMES = {f.name for f in fields(ServiceConfig)} - {"api_keys"}


def _config_error(message: str, where: Location, hint: str | None = None) -> Problem:
    return Problem("SERVICE_CONFIG", message, where, hint=hint)


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings of a config file, each checked, with the file:line of anything wrong."""
    from engine.spec.yamlload import load_yaml_file

    try:
        source = load_yaml_file(path, role="dac_ta")
    except EngineError as error:
        raise ServiceError([Problem("SERVICE_CONFIG", p.message, p.location, p.hint) for p in error.problems]) from None
    data = source.data if source.data is not None else {}
    if not isinstance(data, dict):
        raise ServiceError(_config_error("tệp cấu hình phải là một bảng tên: giá trị", source.location(())))
    problems: list[Problem] = []
    settings: dict[str, Any] = {}
    for key, value in data.items():
        where = source.location((key,), field=str(key))
        try:
            settings[key] = _setting(str(key), value, path.parent)
        except ValueError as exc:
            problems.append(_config_error(str(exc), where, "Xem mục 'Máy chủ HTTP' trong README."))
    if problems:
        raise ServiceError(problems)
    return settings


def _setting(key: str, value: Any, base: Path) -> Any:
    if key not in _NAMES:
        raise ValueError(f"không có thiết lập '{key}'; có: {', '.join(sorted(_NAMES))}")
    if key in _INTS:
        low, high = _INTS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"'{key}' phải là số nguyên từ {low} đến {high}")
        return value
    if key in _FLOATS:
        low, high = _FLOATS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= float(value) <= high:
            raise ValueError(f"'{key}' phải là số giây từ {low} đến {high}")
        return float(value)
    if key == "allow_uploaded_templates":
        if not isinstance(value, bool):
            raise ValueError("'allow_uploaded_templates' phải là true hoặc false")
        return value
    if key == "host":
        if not isinstance(value, str) or not value:
            raise ValueError("'host' phải là một địa chỉ, ví dụ 127.0.0.1")
        return value
    if key == "api_key_file":
        if not isinstance(value, str):
            raise ValueError("'api_key_file' phải là đường dẫn tệp")
        return base / value
    if key == "templates":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValueError("'templates' phải là một thư mục hoặc danh sách thư mục")
        return tuple(base / item for item in items)
    if key == "limits":
        if not isinstance(value, dict):
            raise ValueError("'limits' phải là một bảng tên giới hạn: giá trị (như --gioi-han)")
        return tuple(f"{name}={limit}" for name, limit in value.items())
    raise AssertionError(key)


def build_config(file: Path | None = None, **options: Any) -> ServiceConfig:
    """The config of a server: defaults, then the file's settings, then the options given (None: not given)."""
    settings: dict[str, Any] = read_config_file(file) if file is not None else {}
    settings.update({name: value for name, value in options.items() if value is not None and value != ()})
    limit_settings = settings.pop("limits", ())
    config = ServiceConfig(**settings)
    if limit_settings:
        try:
            config = replace(config, limits=parse_limit_settings(list(limit_settings), base=config.limits,
                                                                 source=str(file or "limits")))
        except EngineError as error:
            raise ServiceError([Problem("SERVICE_CONFIG", p.message, p.location, p.hint)
                                for p in error.problems]) from None
    for folder in config.templates:
        if not Path(folder).is_dir():
            raise ServiceError(_config_error(f"thư mục mẫu '{folder}' không có", Location(file=str(file or folder)),
                                             "Ghi thư mục có các tệp mẫu .docx."))
    if config.api_key_file is not None:
        config = replace(config, api_keys=read_api_keys(config.api_key_file))
    return config


def read_api_keys(path: Path) -> frozenset[str]:
    """One key per line; blank lines and lines starting with '#' are skipped. An empty file is an error."""
    from engine.trust.files import read_file

    try:
        text = read_file(path, role="dac_ta").data.decode("utf-8")
    except (EngineError, UnicodeDecodeError) as error:
        detail = "; ".join(p.message for p in error.problems) if isinstance(error, EngineError) else "không phải UTF-8"
        raise ServiceError(_config_error(f"không đọc được tệp khóa API: {detail}", Location(file=str(path)))) from None
    keys = frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    if not keys:
        raise ServiceError(_config_error("tệp khóa API không có khóa nào", Location(file=str(path)),
                                         "Ghi mỗi khóa một dòng (ví dụ sinh bằng: openssl rand -hex 32)."))
    short = [key for key in keys if len(key) < 16]
    if short:
        raise ServiceError(_config_error("khóa API phải dài ít nhất 16 ký tự", Location(file=str(path)),
                                         "Sinh khóa bằng: openssl rand -hex 32."))
    return keys
