"""Keep the CPU-bound work off the event loop: render worker processes and warm PDF converters, each bounded.

Render workers: ``size`` processes, spawned (not forked from a server with threads) and warmed
once: each compiles every template before it takes a job. The event loop talks to each over a
socket pair of its own, one length-prefixed pickle per job and per answer, with no thread in
between (ProcessPoolExecutor's manager and feeder threads cost the server a third of its time per
request in GIL hand-offs). A request takes a worker ticket, or waits in a queue of at most
``queue_limit`` requests; past that the server answers 503 at once (HTTP_BUSY) instead of piling
work up. A worker that dies (killed, out of memory) costs only the jobs it held: each is retried
once on its replacement, and the other workers go on. A job that runs past the request time limit
has its worker killed and replaced, and is answered HTTP_TIMEOUT.

PDF converters: ``size`` warm LibreOffice processes (:class:`engine.convert.PdfConverter`, which
already kills, restarts and retries a hung or dead office once), used one request at a time
each from a thread, so the event loop never waits on them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from engine.errors import OutputError, Problem, ServiceError
from engine.service.jobs import Job, Outcome, WorkerSetup, serve_jobs
from engine.service.metrics import Metrics

RETRY_AFTER_SECONDS = 2
_FRAME = struct.Struct("!Q")  # the length of the pickle that follows


def busy(retry_after: int = RETRY_AFTER_SECONDS) -> ServiceError:
    return ServiceError(Problem("HTTP_BUSY", "máy chủ đang bận: hàng đợi đã đầy",
                                hint=f"Gửi lại sau {retry_after} giây."))


class WorkerDied(Exception):
    """The worker process ended while it held this job."""


class _Worker:
    """One render process and the socket the event loop talks to it over."""

    def __init__(self, setup: WorkerSetup) -> None:
        context = multiprocessing.get_context("spawn")
        ours, theirs = socket.socketpair()
        self.process = context.Process(target=serve_jobs, args=(theirs, setup), daemon=True,
                                       name="vanban-dung")
        self.process.start()
        theirs.close()
        self._socket = ours
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pending: deque[asyncio.Future[Outcome]] = deque()
        self._listening: asyncio.Task[None] | None = None
        self.dead = False
        self.replacement: _Worker | None = None  # set when this one died or was killed
        self.started: asyncio.Future[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid

    async def start(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(sock=self._socket, limit=2**16)
        self._listening = asyncio.ensure_future(self._listen())
        outcome = await self.submit(Job(action="warm"))  # answered once the templates are compiled
        if outcome.error_class is not None:
            raise WorkerDied("the worker could not start")

    def current(self) -> _Worker:
        """This worker, or the one that replaced it (a request may hold a ticket for a worker since replaced)."""
        worker = self
        while worker.replacement is not None:
            worker = worker.replacement
        return worker

    async def submit(self, job: Job) -> Outcome:
        if self.dead or self._writer is None:
            raise WorkerDied("the worker is gone")
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append(answer)
        try:
            self._writer.write(_FRAME.pack(len(data)) + data)
            await self._writer.drain()
        except (ConnectionError, OSError):
            self._died()
        return await answer

    async def _listen(self) -> None:
        assert self._reader is not None
        try:
            while True:
                size = _FRAME.unpack(await self._reader.readexactly(_FRAME.size))[0]
                outcome = pickle.loads(await self._reader.readexactly(size))
                answer = self._pending.popleft()
                if not answer.done():
                    answer.set_result(outcome)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._died()

    def _died(self) -> None:
        self.dead = True
        while self._pending:
            answer = self._pending.popleft()
            if not answer.done():
                answer.set_exception(WorkerDied("the worker ended while it held this job"))

    def kill(self) -> None:
        self.dead = True
        if self.process.is_alive() and self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.join(timeout=5)
        self._close_socket()

    def close(self) -> None:
        """End the worker: its socket closes, it finishes the job it holds and returns."""
        self.dead = True
        self._close_socket()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)

    def _close_socket(self) -> None:
        try:
            # At once, not on the loop's next turn (a transport closes later): the worker sees the end now.
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if self._listening is not None:
            self._listening.cancel()
        if self._writer is not None:
            self._writer.close()
        else:
            self._socket.close()


JOBS_PER_WORKER = 2  # one running and one waiting in the worker's socket: no idle gap between two jobs


class RenderPool:
    """A bounded pool of warm render processes with a bounded queue in front.

    Each worker is handed ``JOBS_PER_WORKER`` jobs at a time, so that the next job is already in its
    socket when one ends (with one, a worker sat idle for 40 % of the time under load, waiting for the
    event loop to hand it the next). A worker's death costs the jobs it held, each retried once.
    """

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
        self._workers.extend(workers)
        await asyncio.gather(*(worker.start() for worker in workers))
        for _ in range(JOBS_PER_WORKER):
            for worker in workers:
                self._idle.put_nowait(worker)
        self.ready = True

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers if worker.pid and not worker.dead]

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
                worker = worker.current()
                if worker.dead:
                    worker = await self._replace(worker)
                if worker.started is not None:
                    await worker.started
                try:
                    return await asyncio.wait_for(worker.submit(job), self.request_seconds)
                except WorkerDied:
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
            self._idle.put_nowait(worker.current())

    async def _replace(self, worker: _Worker) -> _Worker:
        """The worker that takes over from ``worker`` (started once, however many of its jobs failed)."""
        if worker.replacement is None:
            worker.kill()
            self.metrics.worker_restarts.inc()
            fresh = _Worker(self.setup)
            worker.replacement = fresh
            self._workers[self._workers.index(worker)] = fresh
            fresh.started = asyncio.ensure_future(fresh.start())
        fresh = worker.current()
        if fresh.started is not None:
            await fresh.started
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

    def __init__(self, size: int, metrics: Metrics, timeout: float, queue_limit: int = 64) -> None:
        self.size = size
        self.metrics = metrics
        self.timeout = timeout
        self.queue_limit = queue_limit
        self._waiting = 0
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

        if self._idle.empty() and self._waiting >= self.queue_limit:
            raise busy()
        self._waiting += 1
        try:
            item = await self._idle.get()
        finally:
            self._waiting -= 1
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


__all__ = ["ConverterPool", "RenderPool", "WorkerDied", "busy"]
