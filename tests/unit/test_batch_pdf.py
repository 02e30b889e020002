"""batch --pdf: a warm office per worker kept busy while the worker renders ahead, failures per unit,
a clean stop, and no office left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine import batch, provenance
from engine.batch import REPORT, _chunks, run_batch
from engine.convert import PdfConverter, pdf_available, read_pdf
from engine.errors import Location, OutputError, Problem
from engine.info import describe
from engine.render.properties import package_properties
from tests.conftest import FIXTURES

LO = FIXTURES / "lo_xa_2026_01"

needs_pdf = pytest.mark.skipif(not pdf_available(), reason="needs LibreOffice with python3-uno: apt-get install "
                               "libreoffice-writer-nogui python3-uno (.ci/run installs them)")


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    folder = tmp_path / "lo"
    shutil.copytree(LO, folder)
    return folder / "spec.yaml"


def units_file(folder: Path, count: int) -> Path:
    path = folder / "don_vi.csv"
    rows = [f'xa_{i:04d},xã Số {i},Ủy ban nhân dân xã Số {i},"80,5",{i},99,"90,1"' for i in range(1, count + 1)]
    path.write_text("ma,ten,kinh_gui,diem,hang,so_xa,tien_do\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def our_processes(marker: str) -> list[str]:
    """Command lines of live processes that mention ``marker`` (our temporary folder: offices and workers)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    line = handle.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    state = handle.read().rsplit(b")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in line and state != b"Z":
                found.append(line)
    return found


def wait_for_none(marker: str, seconds: float = 15.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := our_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_chunks_taper_so_the_workers_finish_together_and_every_unit_is_in_one_chunk() -> None:
    jobs = [({"ma": str(i)}, None, "") for i in range(1000)]
    chunks = list(_chunks(jobs, 16, 2))
    assert [job for chunk in chunks for job in chunk] == jobs
    assert max(map(len, chunks)) == 16 and [len(c) for c in chunks[-3:]] == [1, 1, 1]
    assert sum(len(c) for c in chunks if len(c) < 16) < 4 * 16  # only the end is cut small


@needs_pdf
def test_rendering_ahead_keeps_each_units_pdf_with_its_own_document_in_order(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(spec, units_file(spec.parent, 7), out, pdf=True, workers=1)
    assert [r.ma for r in summary.results] == [f"xa_{i:04d}" for i in range(1, 8)]
    assert summary.count("ok") == 7
    report = {u["ma"]: u for u in json.loads((out / REPORT).read_text(encoding="utf-8"))["don_vi"]}
    for i in range(1, 8):
        ma = f"xa_{i:04d}"
        pdf = (out / f"{ma}.pdf").read_bytes()
        assert f"Kính gửi: Ủy ban nhân dân xã Số {i}\n" in read_pdf(pdf).text + "\n"
        # The PDF records the .docx it was made from: the one written beside it, not a neighbour's.
        written = dict(package_properties((out / f"{ma}.docx").read_bytes()).pairs)[provenance.DIGEST_KEY]
        assert describe(pdf, f"{ma}.pdf").intact is True and describe(pdf, f"{ma}.pdf").docx_digest == written
        assert set(report[ma]["outputs"]) == {f"{ma}.docx", f"{ma}.pdf"}


@needs_pdf
def test_a_unit_whose_conversion_fails_is_reported_with_its_reason_and_the_batch_goes_on(
        spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.convert

    class FailsOnThird(PdfConverter):
        def convert(self, docx: bytes, *, timeout: float | None = None, source: str | None = None) -> bytes:
            if source == "xa_0003":  # what the converter raises when LibreOffice gives up on a document
                raise OutputError(Problem("PDF_CONVERSION", "LibreOffice không chuyển được văn bản sang PDF",
                                          Location(file=source)))
            return super().convert(docx, timeout=timeout, source=source)

    monkeypatch.setattr(engine.convert, "PdfConverter", FailsOnThird)
    out = tmp_path / "out"
    summary = run_batch(spec, units_file(spec.parent, 5), out, pdf=True, workers=1)
    statuses = {r.ma: r.status for r in summary.results}
    assert statuses == {"xa_0001": "ok", "xa_0002": "ok", "xa_0003": "loi", "xa_0004": "ok", "xa_0005": "ok"}
    failed = summary.results[2]
    assert failed.codes == ("PDF_CONVERSION",) and "LibreOffice không chuyển được" in failed.reason
    assert not list(out.glob("xa_0003.*"))  # neither file of the failed unit: not a .docx without its PDF
    assert sorted(p.name for p in out.glob("*.pdf")) == ["xa_0001.pdf", "xa_0002.pdf", "xa_0004.pdf", "xa_0005.pdf"]


@needs_pdf
def test_a_pdf_batch_closes_every_office_it_started(spec: Path, tmp_path: Path) -> None:
    temporary = tmp_path / "tam"
    temporary.mkdir()
    units = units_file(spec.parent, 40)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "engine", "batch", str(spec), "--data", str(units), "--out", str(out),
               "--pdf", "-j", "2"]
    done = subprocess.run(command, capture_output=True, env={**os.environ, "TMPDIR": str(temporary)}, timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    assert len(list(out.glob("*.pdf"))) == 40
    assert wait_for_none(str(temporary)) == []
    assert not list(temporary.glob("vanban-pdf-*"))  # each converter closed: its profile and files removed


@needs_pdf
def test_a_pdf_batch_stopped_by_sigterm_leaves_whole_pairs_a_report_and_no_office(spec: Path, tmp_path: Path) -> None:
    temporary = tmp_path / "tam"
    temporary.mkdir()
    units = units_file(spec.parent, 400)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "engine", "batch", str(spec), "--data", str(units), "--out", str(out),
               "--pdf", "-j", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                               env={**os.environ, "TMPDIR": str(temporary)})
    deadline = time.monotonic() + 120
    while not (out.exists() and any(out.glob("*.pdf"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err.decode()
    assert not list(out.glob(".*.tmp"))
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    written = sorted(u["ma"] for u in report["don_vi"] if u["status"] == "ok")
    assert 0 < len(written) < 400
    assert sorted(p.stem for p in out.glob("*.pdf")) == written == sorted(p.stem for p in out.glob("*.docx"))
    assert all(read_pdf((out / f"{ma}.pdf").read_bytes()).page_count == 1 for ma in written)
    assert wait_for_none(str(temporary)) == []
    assert not list(temporary.glob("vanban-pdf-*"))


def test_a_worker_without_pdf_starts_no_office(spec: Path, tmp_path: Path) -> None:
    worker = batch._Worker(spec, tmp_path, (".docx",))
    worker.warm()
    assert worker.converter is None


def test_the_worker_renders_the_next_units_while_its_office_converts(spec: Path, tmp_path: Path) -> None:
    """A stand-in office that takes a while: the next units are rendered before the first conversion ends."""
    import threading

    log: list[tuple[str, str]] = []

    class SlowOffice:
        def convert(self, docx: bytes, *, timeout: float | None = None, source: str | None = None) -> bytes:
            log.append(("converting", str(source)))
            time.sleep(0.3)
            log.append(("converted", str(source)))
            return b"%PDF-1.7 not checked here"

        def close(self) -> None:
            pass

    worker = batch._Worker(spec, tmp_path, (".docx", ".pdf"))
    worker.converter = SlowOffice()
    render = worker._render

    def logged(unit, place, reason):
        log.append(("rendered", unit["ma"]))
        assert threading.current_thread() is threading.main_thread()  # the renderer never waits in a thread
        return render(unit, place, reason)

    worker._render = logged
    units = [({"ma": f"xa_{i}", "ten": f"xã {i}", "diem": "80,5", "hang": i, "so_xa": 3, "tien_do": "90,1"}, None, "")
             for i in (1, 2, 3)]
    results = list(worker.run_many(units))
    worker.close()
    assert [r.ma for r in results] == ["xa_1", "xa_2", "xa_3"]
    assert log.index(("rendered", "xa_2")) < log.index(("converted", "xa_1"))
    assert log.index(("rendered", "xa_3")) < log.index(("converted", "xa_1"))  # two ahead of the office
    assert all(r.status == "loi" and r.codes == ("PDF_CONVERSION",) for r in results)  # the stand-in's PDF is bad


@needs_pdf
def test_a_pdf_worker_starts_its_office_before_its_first_document(spec: Path, tmp_path: Path) -> None:
    worker = batch._Worker(spec, tmp_path, (".docx", ".pdf"))
    worker.warm()
    try:
        assert worker.converter is not None and worker.converter.worker_pid is not None
    finally:
        worker.close()
    assert worker.converter.worker_pid is None
