"""Faults cost at most the requests they held, each retried once; a full queue is 503 at once; paths never leak."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from engine.service.config import ServiceConfig
from engine.service.models import EXAMPLE_SPEC
from engine.trust.limits import Limits
from tests.service.conftest import needs_pdf
from tests.service.harness import codes, running

# A document whose render takes a second or two (nine million loop turns, under these servers' raised loop
# limit): long enough to be caught in the middle by a kill or by other requests.
SLOW = {**EXAMPLE_SPEC, "noi_dung": [{"doan": "{% for a in [0] * 3000 %}{% for b in [0] * 3000 %}{% endfor %}"
                                               "{% endfor %}xong"}]}
LOOPS = replace(Limits(), so_vong_lap=50_000_000)


def _metric(service, name: str) -> float:
    for line in service.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_a_killed_worker_costs_only_its_request_which_succeeds_on_its_retry():
    with running(ServiceConfig(workers=2, pdf_converters=0, limits=LOOPS)) as service:
        before = {pid: _cpu_seconds(pid) for pid in service.state.renderers.pids}
        results: list = []
        slow = threading.Thread(target=lambda: results.append(service.post("/v1/render", json={"spec": SLOW})))
        slow.start()
        busy = _wait_for_busy(before)  # the worker that took the slow render, caught in the middle of it
        os.kill(busy, signal.SIGKILL)
        others = [service.post("/v1/render", json={"spec": EXAMPLE_SPEC}) for _ in range(3)]
        slow.join(timeout=120)
        assert [r.status_code for r in others] == [200, 200, 200]
        assert results and results[0].status_code == 200, results[0].text
        assert _metric(service, "vanban_worker_restarts_total") == 1
        assert busy not in service.state.renderers.pids and len(service.state.renderers.pids) == 2


def _wait_for_busy(before: dict[int, float]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid, seconds in before.items():
            if _cpu_seconds(pid) - seconds > 0.3:
                return pid
        time.sleep(0.02)
    raise AssertionError("no worker started the slow render")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_full_queue_is_answered_503_at_once_with_retry_after():
    with running(ServiceConfig(workers=1, pdf_converters=0, queue=1, limits=LOOPS)) as service:
        started = time.monotonic()
        answers = service.concurrently([("POST", "/v1/render", {"json": {"spec": SLOW}}) for _ in range(5)])
        statuses = sorted(r.status_code for r in answers)
        assert statuses.count(200) >= 2 and 503 in statuses, statuses
        refused = [r for r in answers if r.status_code == 503]
        assert all(codes(r) == ["HTTP_BUSY"] and r.headers["Retry-After"].isdigit() for r in refused)
        assert time.monotonic() - started < 120


def test_a_request_past_the_time_limit_is_504_and_its_worker_is_replaced():
    with running(ServiceConfig(workers=1, pdf_converters=0, request_seconds=1, limits=LOOPS)) as service:
        response = service.post("/v1/render", json={"spec": SLOW})
        assert response.status_code == 504 and codes(response) == ["HTTP_TIMEOUT"]
        assert _metric(service, "vanban_worker_restarts_total") == 1
        assert service.post("/v1/render", json={"spec": EXAMPLE_SPEC}).status_code == 200


@needs_pdf
def test_a_killed_libreoffice_is_restarted_and_the_pdf_still_comes():
    with running(ServiceConfig(workers=1, pdf_converters=1)) as service:
        assert service.post("/v1/render?formats=pdf", json={"spec": EXAMPLE_SPEC}).status_code == 200
        [worker] = service.state.converters.pids
        for child in _children(worker):
            os.kill(child, signal.SIGKILL)  # the office under the UNO worker
        os.kill(worker, signal.SIGKILL)
        response = service.post("/v1/render?formats=pdf", json={"spec": EXAMPLE_SPEC})
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert _metric(service, "vanban_converter_restarts_total") >= 1


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


# ----- no caller reads a file outside the configured folders, whatever path it sends ----------------------

SECRET = "bi-mat-khong-duoc-lo-ra"


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A file outside every allowed folder, and a data file that would read it if paths were followed."""
    folder = tmp_path_factory.mktemp("ngoai")
    (folder / "bi_mat.yaml").write_text(f"x: {SECRET}\n", encoding="utf-8")
    (folder / "bi_mat.docx").write_bytes(b"PK" + SECRET.encode())
    return folder


PATHS = ["{f}/bi_mat.yaml", "../../../../../../..{f}/bi_mat.yaml", "..", "/etc/passwd", "file://{f}/bi_mat.yaml",
         "{f}/../{n}/bi_mat.yaml", "./../bi_mat.yaml", "~/bi_mat.yaml", "%2e%2e/%2e%2e{f}/bi_mat.yaml",
         "..\\..\\bi_mat.yaml", "/proc/self/environ", "/dev/zero"]


@pytest.mark.parametrize("written", PATHS)
@pytest.mark.parametrize("field", ["du_lieu", "mau", "chu_ky", "bo_tieu_chi", "tep_mau"])
def test_no_path_a_caller_sends_opens_a_file_outside_the_folders(service, planted, written, field):
    path = written.format(f=planted, n=planted.name)
    spec = {**EXAMPLE_SPEC}
    if field == "du_lieu":
        spec["du_lieu"] = {"kq": path}
    elif field == "mau":
        spec["mau"] = path
    elif field == "chu_ky":
        spec["nguoi_ky"] = {**spec["nguoi_ky"], "chu_ky": path}
    elif field == "bo_tieu_chi":
        spec["cham_diem"] = {"diem": {"bo_tieu_chi": path, "du_lieu": {"a": 1}}}
    else:
        spec["phu_luc"] = [{"mau": "bang", "tep_mau": path, "tieu_de": ["PHỤ LỤC"]}]
    response = service.post("/v1/render", json={"spec": spec})
    assert response.status_code in (400, 403, 413, 422), response.text
    assert SECRET not in response.text and "root:" not in response.text


def test_a_symlink_uploaded_as_data_cannot_exist(service, planted):
    # Uploads arrive as bytes under a checked plain name: no link, no folder, nothing but what was sent.
    response = service.post("/v1/render", files=[("spec", ("s.yaml", b"loai: bao_cao\n")),
                                                 ("files", (f"{planted}/bi_mat.yaml", b"a: 1\n"))])
    assert response.status_code == 400 and codes(response) == ["PATH_NAME"]


@needs_pdf
def test_libreoffice_killed_under_load_costs_no_request():
    # Killed between two documents, in the middle of one, or while it writes: the request it held is tried
    # again on a fresh office, in a folder of its own (the killed office's lock files stay behind).
    with running(ServiceConfig(workers=1, pdf_converters=1)) as service:
        for delay in (0.15, 0.35, 0.55, 0.75):
            requests = [("POST", "/v1/render?formats=pdf", {"json": {"spec": EXAMPLE_SPEC}}) for _ in range(5)]
            killer = threading.Thread(target=_kill_office_after, args=(service, delay))
            killer.start()
            answers = service.concurrently(requests)
            killer.join()
            assert [answer.status_code for answer in answers] == [200] * 5, [a.text for a in answers]


def _kill_office_after(service, delay: float) -> None:
    time.sleep(delay)
    for worker in service.state.converters.pids:
        for child in _children(worker):
            for grandchild in [child, *_children(child)]:
                try:
                    if b"soffice.bin" in Path(f"/proc/{grandchild}/cmdline").read_bytes():
                        os.kill(grandchild, signal.SIGKILL)
                        return
                except OSError:
                    continue
