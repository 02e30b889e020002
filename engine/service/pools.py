"""Keep the CPU-bound work off the event loop: render worker processes and warm PDF converters, each bounded.

Render workers: ``size`` processes, each its own one-process pool, started (spawned, not forked
from a server with threads) and warmed once: their initializer compiles every template. A
request takes an idle worker, or waits in a queue of at most ``queue_limit`` requests; past that
the server answers 503 at once (HTTP_BUSY) instead of piling work up. A worker that dies (killed,
out of memory) breaks only its own pool: the request it held is retried once on a fresh worker,
and the others go on. A request that runs past the request time limit has its worker killed and
replaced, and is answered HTTP_TIMEOUT.

PDF converters: ``size`` warm LibreOffice processes (:class:`engine.convert.PdfConverter`, which
already kills, restarts and retries a hung or dead office once), used one request at a time
each from a thread, so the event loop never waits on them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineError, OutputError, Problem, ServiceError
from engine.service.jobs import Job, Outcome, WorkerSetup, run_job, start_worker, warm
from engine.service.metrics import Metrics

RETRY_AFTER_SECONDS = 2


def busy(retry_after: int = RETRY_AFTER_SECONDS) -> ServiceError:
    return ServiceError(Problem("HTTP_BUSY", "máy chủ đang bận: hàng đợi đã đầy",
                                hint=f"Gửi lại sau {retry_after} giây."))


class _Worker:
    """One render process (a pool of one, so that its death breaks nothing else)."""

    def __init__(self, setup: WorkerSetup) -> None:
        self.setup = setup
        self.executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=start_worker, initargs=(setup,))
        self.pid: int | None = None

    async def start(self) -> None:
        self.pid = await asyncio.wrap_future(self.executor.submit(warm))

    def kill(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class RenderPool:
    """A bounded pool of warm render processes with a bounded queue in front."""

    def __init__(self, size: int, queue_limit: int, setup: WorkerSetup, metrics: Metrics,
                 request_seconds: float) -> None:
        self.size = size
        self.queue_limit = queue_limit
        self.setup = setup
        self.metrics = metrics
        self.request_seconds = request_seconds
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._waiting = 0
        self.ready = False

    async def start(self) -> None:
        workers = [_Worker(self.setup) for _ in range(self.size)]
        await asyncio.gather(*(worker.start() for worker in workers))
        for worker in workers:
            self._workers.append(worker)
            self._idle.put_nowait(worker)
        self.ready = True

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers if worker.pid]

    async def run(self, job: Job) -> Outcome:
        """Run a job on a worker; HTTP_BUSY at once if the queue is full."""
        if self._idle.empty() and self._waiting >= self.queue_limit:
            raise busy()
        self._waiting += 1
        self.metrics.queue_depth.set(self._waiting)
        try:
            worker = await self._idle.get()
        finally:
            self._waiting -= 1
            self.metrics.queue_depth.set(self._waiting)
        try:
            for attempt in (1, 2):
                try:
                    return await asyncio.wait_for(asyncio.wrap_future(worker.executor.submit(run_job, job)),
                                                  self.request_seconds)
                except BrokenProcessPool:
                    # The worker died under this job (killed, out of memory): a fresh one, and one more try.
                    worker = await self._replace(worker)
                    if attempt == 2:
                        raise ServiceError(Problem(
                            "INTERNAL", "tiến trình dựng văn bản dừng đột ngột hai lần với yêu cầu này",
                            hint="Báo nhóm phát triển kèm yêu cầu; văn bản này có thể làm tiến trình hết bộ nhớ.",
                        )) from None
                except TimeoutError:
                    worker = await self._replace(worker)
                    raise ServiceError(Problem(
                        "HTTP_TIMEOUT", f"yêu cầu chạy quá {self.request_seconds:g} giây",
                        hint="Bớt dữ liệu hoặc chia văn bản; người quản trị có thể nâng request_seconds.",
                    )) from None
            raise AssertionError("unreachable")
        finally:
            self._idle.put_nowait(worker)

    async def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        self.metrics.worker_restarts.inc()
        fresh = _Worker(self.setup)
        self._workers[self._workers.index(worker)] = fresh
        await fresh.start()
        return fresh

    def close(self) -> None:
        for worker in self._workers:
            worker.close()
        self._workers.clear()


@dataclass
class _Converter:
    converter: Any  # engine.convert.PdfConverter
    starts_seen: int = 0


class ConverterPool:
    """``size`` warm LibreOffice converters, each used by one request at a time from a thread."""

    def __init__(self, size: int, metrics: Metrics, timeout: float) -> None:
        self.size = size
        self.metrics = metrics
        self.timeout = timeout
        self._idle: asyncio.Queue[_Converter] = asyncio.Queue()
        self._all: list[_Converter] = []
        self._threads = ThreadPoolExecutor(max_workers=max(size, 1), thread_name_prefix="vanban-pdf")
        self.ready = size == 0
        self.available = False

    async def start(self) -> None:
        if self.size == 0:
            return
        from engine.convert import PdfConverter, pdf_available

        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(self._threads, pdf_available):
            self.ready = True  # this server renders .docx only; a PDF request is answered PDF_UNAVAILABLE
            return
        converters = [_Converter(PdfConverter(timeout=self.timeout)) for _ in range(self.size)]
        await asyncio.gather(*(loop.run_in_executor(self._threads, item.converter.start) for item in converters))
        for item in converters:
            item.starts_seen = item.converter.starts
            self._all.append(item)
            self._idle.put_nowait(item)
        self.available = True
        self.ready = True

    @property
    def pids(self) -> list[int]:
        return [pid for item in self._all if (pid := item.converter.worker_pid) is not None]

    async def to_pdf(self, docx: bytes, source: str) -> Any:
        """docx → checked PDF (engine.pipeline.docx_to_pdf) on a free converter."""
        if not self.available:
            from engine.convert.converter import INSTALL_HINT

            raise OutputError(Problem("PDF_UNAVAILABLE", "máy chủ này không chuyển được sang PDF "
                                      "(không có LibreOffice hoặc pdf_converters = 0)", hint=INSTALL_HINT))
        from engine import pipeline

        item = await self._idle.get()
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._threads, lambda: pipeline.docx_to_pdf(docx, converter=item.converter, source=source))
        finally:
            self.metrics.conversion_seconds.observe(time.perf_counter() - started)
            restarts = item.converter.starts - item.starts_seen
            if restarts > 0:
                self.metrics.converter_restarts.inc(restarts)
                item.starts_seen = item.converter.starts
            self._idle.put_nowait(item)

    def close(self) -> None:
        for item in self._all:
            item.converter.close()
        self._all.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)


__all__ = ["ConverterPool", "EngineError", "RenderPool", "busy"]
