"""A real `vanban serve` on 127.0.0.1: renders .docx and PDF, answers /metrics, stops gracefully on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from engine.service.models import EXAMPLE_SPEC
from tests.conftest import ROOT
from tests.service.conftest import PDF, needs_pdf


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve", "--port", str(self.port), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server ended: {self.process.stdout.read()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not become ready")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    started = Server("--workers", "1", "--pdf-converters", "1" if PDF else "0")
    try:
        started.wait_ready()
        yield started
    finally:
        started.stop()


def test_the_real_server_renders_a_docx(server):
    response = httpx.post(server.url + "/v1/render", json={"spec": EXAMPLE_SPEC}, timeout=60)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


@needs_pdf
def test_the_real_server_renders_a_pdf(server):
    response = httpx.post(server.url + "/v1/render?formats=pdf", json={"spec": EXAMPLE_SPEC}, timeout=120)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_real_server_answers_metrics_and_errors_as_json(server):
    httpx.post(server.url + "/v1/validate", json={"spec": EXAMPLE_SPEC}, timeout=60)
    metrics = httpx.get(server.url + "/metrics", timeout=10)
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'vanban_requests_total{endpoint="/v1/validate",status="200"}' in metrics.text
    wrong = httpx.post(server.url + "/v1/render", content=b"{", headers={"Content-Type": "application/json"})
    assert wrong.status_code == 400 and wrong.json()["error"]["problems"][0]["code"] == "HTTP_REQUEST"


def test_it_binds_only_to_this_machine_unless_told():
    port = _free_port()
    from engine.service.config import ServiceConfig

    assert ServiceConfig().host == "127.0.0.1"
    taken = socket.socket()
    taken.bind(("127.0.0.1", port))
    taken.listen()
    try:
        result = subprocess.run([sys.executable, "-m", "engine", "serve", "--port", str(port)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    assert result.returncode == 11
    assert "SERVICE_CONFIG" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_lets_the_request_in_flight_finish_then_the_server_exits():
    slow = {**EXAMPLE_SPEC, "noi_dung": [{"doan": "{% for a in [0] * 2000 %}{% for b in [0] * 2000 %}{% endfor %}"
                                                  "{% endfor %}xong"}]}
    server = Server("--workers", "1", "--pdf-converters", "0")
    try:
        server.wait_ready()
        answers: list[httpx.Response] = []
        request = threading.Thread(target=lambda: answers.append(
            httpx.post(server.url + "/v1/render", json={"spec": slow}, timeout=60)))
        request.start()
        time.sleep(0.3)  # the request is in flight
        workers = _spawned_children(server.process.pid)
        assert workers
        server.process.send_signal(signal.SIGTERM)
        request.join(timeout=60)
        assert answers and answers[0].status_code == 200
        # uvicorn finishes the requests in flight, ends the app (workers closed), then re-raises the SIGTERM.
        assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in server.stop()
        deadline = time.monotonic() + 10  # multiprocessing's resource tracker ends just after the interpreter
        while [pid for pid in workers if os.path.exists(f"/proc/{pid}")] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")], "a worker outlived the server"
    finally:
        server.stop()


def _spawned_children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        children.append(int(entry))
            except OSError:
                continue
    return children
