"""Run the service under uvicorn: bind (a clear error if the port is taken), serve, stop gracefully on SIGTERM.

On SIGTERM or Ctrl-C uvicorn stops accepting connections and lets the requests in flight finish
(up to ``GRACEFUL_SECONDS``); then the app's lifespan ends, which closes the render workers and
the LibreOffice converters. Nothing is left running.
"""

from __future__ import annotations

import errno
import logging
import socket

from engine.errors import Location, Problem, ServiceError
from engine.service.config import ServiceConfig

GRACEFUL_SECONDS = 60


def _bound_socket(config: ServiceConfig) -> socket.socket:
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        reason = "cổng đang được chương trình khác dùng" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise ServiceError(Problem("SERVICE_CONFIG", f"không mở được {config.host}:{config.port}: {reason}",
                                   Location(field="port"), hint="Chọn cổng khác bằng --port.")) from None
    sock.set_inheritable(True)
    return sock


def run_server(config: ServiceConfig) -> None:
    """Serve until SIGTERM or Ctrl-C."""
    import uvicorn

    from engine.service.app import create_app

    sock = _bound_socket(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="info", access_log=False,
                                           timeout_graceful_shutdown=GRACEFUL_SECONDS, lifespan="on"))
    logging.getLogger("vanban.service").info(
        "nghe tại http://%s:%d (%d tiến trình dựng, %d bộ chuyển PDF); tài liệu API: /docs",
        config.host, config.port, config.workers, config.pdf_converters)
    server.run(sockets=[sock])
