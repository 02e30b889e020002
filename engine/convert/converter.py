"""Turn rendered .docx bytes into PDF bytes through a LibreOffice that stays open between documents.

Why a long-lived ("warm") office: ``soffice --convert-to pdf`` starts and stops LibreOffice for
every file (about a second each); a running office converts a short document in a small fraction
of that. The office is driven over UNO by :mod:`engine.convert.uno_worker`, which runs under a
Python that can ``import uno`` (the distribution's ``python3-uno`` or LibreOffice's own Python),
usually not the engine's Python. We talk to it by one JSON line per request and per answer.

Why so much care around the worker: a long-lived office can hang on a document or die. Every
request therefore has a deadline; on a hang, a crash or a closed pipe the whole process group
(worker and office together) is killed, a fresh one is started and the document is tried once
more. The office never outlives its converter: :meth:`PdfConverter.close`, garbage collection and
interpreter exit all end it. Each converter has its own temporary folder, profile and pipe name, so
several converters (threads or processes) never share an office by accident.

POSIX only (process groups, ``select`` on pipes).
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType

from engine.errors import Location, OutputError, Problem

DEFAULT_TIMEOUT = 60.0  # seconds per document, including the office's start when it is not running yet
WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
INSTALL_HINT = "Cài LibreOffice và cầu nối Python–UNO: apt-get install libreoffice-writer-nogui python3-uno"
_CLOSE_TIMEOUT = 10.0  # how long a worker may take to close LibreOffice after its input ends
_PROBE_TIMEOUT = 20.0  # a cold 'import uno' from a slow disk


class _WorkerFailure(Exception):
    """One attempt failed: the worker hung, died, closed its pipe or answered an error.

    ``restart`` is False only when a healthy worker reported that this document failed: then the
    retry goes to the same warm office instead of paying for a new one.
    """

    def __init__(self, message: str, *, restart: bool = True, at_start: bool = False) -> None:
        super().__init__(message)
        self.restart = restart
        self.at_start = at_start  # the office failed before it was given the document


def _clean_env() -> dict[str, str]:
    """The environment for a foreign Python: without the variables that point it at our own libraries."""
    env = dict(os.environ)
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__"):
        env.pop(name, None)
    return env


@cache
def _can_import_uno(python: str) -> bool:
    """Whether this interpreter has the UNO bridge (asked once per interpreter and process)."""
    try:
        result = subprocess.run([python, "-c", "import uno"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=_clean_env(), timeout=_PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def find_soffice() -> str | None:
    """LibreOffice's ``soffice``: ``$VANBAN_SOFFICE``, else ``soffice`` or ``libreoffice`` on the PATH."""
    configured = os.environ.get("VANBAN_SOFFICE")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _python_candidates(soffice: str | None) -> Iterator[str]:
    configured = os.environ.get("VANBAN_UNO_PYTHON")
    if configured:
        yield configured
    yield "/usr/bin/python3"  # Debian/Ubuntu: python3-uno belongs to the system Python
    if soffice:
        # LibreOffice's own builds (Windows, macOS, the upstream .deb/.rpm) ship a Python with uno.
        program = Path(os.path.realpath(soffice)).parent
        for name in ("python", "python.exe", "python3"):
            yield str(program / name)


def find_uno_python(soffice: str | None = None) -> str | None:
    """The first Python that can ``import uno``: ``$VANBAN_UNO_PYTHON``, the system's, LibreOffice's own."""
    for candidate in _python_candidates(soffice if soffice is not None else find_soffice()):
        if os.access(candidate, os.X_OK) and _can_import_uno(candidate):
            return candidate
    return None


def pdf_available() -> bool:
    """Whether this machine can convert to PDF (an soffice and a Python with uno)."""
    soffice = find_soffice()
    return soffice is not None and find_uno_python(soffice) is not None


def _unavailable(message: str) -> OutputError:
    return OutputError(Problem("PDF_UNAVAILABLE", message, hint=INSTALL_HINT))


@dataclass
class _Worker:
    """What must be cleaned up, kept apart from the converter so the finaliser holds no reference to it."""

    tmp: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    pipe: str | None = None
    profile: Path | None = None
    buffer: bytearray = field(default_factory=bytearray)
    starts: int = 0
    owner: int = field(default_factory=os.getpid)

    def adopt(self) -> None:
        """After a fork, forget the parent's worker instead of using or killing it.

        A forked child inherits this object, but the worker is the parent's child: signalling its
        group from here would kill the parent's office. The child closes its copies of the pipes (so
        the parent's worker still sees the end of its input when the parent closes) and starts its own.
        """
        if self.owner == os.getpid():
            return
        process, self.process = self.process, None
        if process is not None:
            _close_pipes(process)
            process.returncode = -1  # not ours to wait for; keeps Popen from warning about a running child
        self.tmp = self.pipe = self.log = self.profile = None
        self.buffer.clear()
        self.owner = os.getpid()

    def ensure_tmp(self) -> Path:
        if self.tmp is None:
            self.tmp = Path(tempfile.mkdtemp(prefix="vanban-pdf-"))
        return self.tmp

    def kill(self) -> None:
        """Kill the worker and everything in its process group (the office), then reap the worker."""
        process, self.process = self.process, None
        self.buffer.clear()
        if process is None:
            return
        _kill_group(process)
        _close_pipes(process)
        _remove_office_sockets(self.pipe, self.profile)

    def stop(self) -> None:
        """End the worker politely (end of input: it closes LibreOffice), by force if it takes too long."""
        self.adopt()
        process, self.process = self.process, None
        self.buffer.clear()
        if process is not None:
            try:
                if process.stdin is not None:
                    process.stdin.close()
            except OSError:
                pass
            _wait_unreaped(process.pid, _CLOSE_TIMEOUT)
            # Whether it closed in time or not: kill what is left of the group while the (possibly
            # zombie) worker still holds the group's number, so that number cannot belong to anyone else.
            _kill_group(process)
            _close_pipes(process)
            _remove_office_sockets(self.pipe, self.profile)
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def _office_socket_names(pipe: str | None, profile: Path | None) -> list[str]:
    """Names of the socket files a LibreOffice started with this pipe and profile makes in /tmp.

    Two: our UNO pipe, and LibreOffice's single-instance pipe "SingleOfficeIPC_" + MD5 of the
    profile URL as UTF-16, each byte in hex without padding (desktop/source/app/officeipcthread.cxx).
    """
    names = [f"OSL_PIPE_{os.getuid()}_{pipe}"] if pipe else []
    if profile is not None:
        # The same URL the worker passes in -env:UserInstallation.
        digest = hashlib.md5(profile.resolve().as_uri().encode("utf-16-le"), usedforsecurity=False).digest()
        names.append(f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(format(b, 'x') for b in digest)}")
    return names


def _remove_office_sockets(pipe: str | None, profile: Path | None) -> None:
    """Delete the socket files of an office that was killed.

    LibreOffice makes them in /tmp (or /var/tmp), whatever $TMPDIR says, and removes them only when
    it exits normally; without this every killed office would leave two behind.
    """
    for name in _office_socket_names(pipe, profile):
        for folder in ("/tmp", "/var/tmp"):
            path = Path(folder) / name
            try:
                if stat.S_ISSOCK(path.lstat().st_mode):
                    path.unlink()
            except OSError:
                pass


def _wait_unreaped(pid: int, timeout: float) -> bool:
    """Wait until a child has exited, without reaping it (its pid, and so its group id, stay taken)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, leaving it unreaped (unlike ``poll``; see :func:`_kill_group`)."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _exit_note(process: subprocess.Popen[bytes]) -> str:
    """How the child ended, e.g. " (mã thoát 3)", read without reaping it; empty if it still runs."""
    if not _wait_unreaped(process.pid, 1.0):
        return ""
    try:
        info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return ""
    if info is None:
        return ""
    if info.si_code == os.CLD_EXITED:
        return f" (mã thoát {info.si_status})"
    return f" (bị dừng bởi tín hiệu {info.si_status})"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # The worker leads its own group (start_new_session) and the office it starts stays in it.
    # Signal the group before reaping the worker: a reaped leader's number may be given to another process.
    if process.returncode is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    process.wait()


def _close_pipes(process: subprocess.Popen[bytes]) -> None:
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:
                pass


class PdfConverter:
    """Converts .docx bytes to PDF bytes with one warm LibreOffice; a context manager.

    The office starts on the first conversion (or on :meth:`start`) and stays up until
    :meth:`close`. Conversions are serialised by a lock, so one converter may be shared by threads.

    ``worker_command`` replaces the worker's command line (tests use it to stand in a worker that
    hangs or crashes). Whatever runs gets the settings in its environment: ``VANBAN_SOFFICE``,
    ``VANBAN_UNO_PROFILE`` and ``VANBAN_UNO_PIPE``.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, worker_command: list[str] | None = None,
                 soffice: str | None = None, uno_python: str | None = None) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self._worker_command = list(worker_command) if worker_command is not None else None
        self._soffice = soffice
        self._uno_python = uno_python
        self._lock = threading.Lock()
        self._worker = _Worker()
        # Runs on close(), on garbage collection and at interpreter exit (atexit), whichever comes first.
        self._finalizer = weakref.finalize(self, _Worker.stop, self._worker)

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start the worker and its office now rather than on the first conversion (they boot meanwhile)."""
        with self._lock:
            self._worker.adopt()
            if not self._running():
                self._spawn()

    def close(self) -> None:
        """End the worker and its office and delete the temporary files. Safe to call twice.

        The converter stays usable: a later conversion starts a new office.
        """
        with self._lock:
            self._worker.stop()

    def kill(self) -> None:
        """End the worker and its office at once, without waiting (a second Ctrl-C). Safe from a signal handler."""
        self._worker.adopt()
        self._worker.kill()

    @property
    def worker_pid(self) -> int | None:
        """Pid of the running worker, which is also its process group id (None when not running)."""
        process = self._worker.process
        if process is None or self._worker.owner != os.getpid() or _has_exited(process):
            return None
        return process.pid

    @property
    def starts(self) -> int:
        """How many workers this converter has started (a restart after a failure counts)."""
        return self._worker.starts

    # -- conversion --------------------------------------------------------------------------------

    def convert(self, docx: bytes, *, timeout: float | None = None, source: str | None = None) -> bytes:
        """PDF bytes of a .docx document.

        ``timeout`` (seconds, default the converter's) bounds each attempt; a failed or timed-out
        attempt restarts the office and tries once more. ``source`` names the document in errors.
        Raises :class:`~engine.errors.OutputError` (``PDF_UNAVAILABLE``, ``PDF_CONVERSION``).
        """
        limit = self.timeout if timeout is None else timeout
        with self._lock:
            self._worker.adopt()
            job = Path(tempfile.mkdtemp(prefix="job-", dir=self._worker.ensure_tmp()))
            try:
                failures: list[str] = []
                restarted = False
                # Two attempts at the document; an office that dies while it starts (before it was given
                # the document: an office killed from outside at that moment) costs one more start, once.
                attempts, extra_start = 2, 1
                while attempts > 0:
                    # Each attempt in a folder of its own: an office killed while it wrote leaves its lock
                    # files (.~lock.out.pdf#) beside the files, and the next office would refuse to store there.
                    folder = job / f"lan-{len(failures) + 1}"
                    folder.mkdir()
                    source_path = folder / "in.docx"
                    source_path.write_bytes(docx)
                    try:
                        return self._attempt(source_path, folder / "out.pdf", limit)
                    except _WorkerFailure as exc:
                        failures.append(str(exc))
                        if exc.at_start and extra_start:
                            extra_start -= 1
                        else:
                            attempts -= 1
                        if exc.restart:
                            # Hung, dead or unsure: whatever state it is in, the next attempt gets a fresh office.
                            self._worker.kill()
                            restarted = True
                raise self._conversion_error(failures, limit, source, restarted)
            finally:
                shutil.rmtree(job, ignore_errors=True)

    def convert_file(self, src: Path, dst: Path, *, timeout: float | None = None) -> Path:
        """Convert the .docx file ``src`` into the PDF file ``dst`` (written whole or not at all)."""
        src, dst = Path(src), Path(dst)
        try:
            docx = src.read_bytes()
        except OSError as exc:
            raise OutputError(Problem("OUTPUT_PATH", f"Không đọc được tệp .docx: {exc.strerror or exc}",
                                      Location(file=str(src)), hint="Kiểm tra đường dẫn tệp .docx.")) from exc
        pdf = self.convert(docx, timeout=timeout, source=str(src))
        partial = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.part")
        try:
            partial.write_bytes(pdf)
            partial.replace(dst)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise OutputError(Problem("OUTPUT_PATH", f"Không ghi được tệp PDF: {exc.strerror or exc}",
                                      Location(file=str(dst)),
                                      hint="Kiểm tra thư mục đích có tồn tại và được phép ghi.")) from exc
        return dst

    # -- internals (called with the lock held) -----------------------------------------------------

    def _running(self) -> bool:
        process = self._worker.process
        return process is not None and not _has_exited(process)

    def _command(self) -> tuple[list[str], str | None]:
        """The worker's command line and the soffice it should start (if known)."""
        if self._worker_command is not None:
            return self._worker_command, self._soffice or find_soffice()
        soffice = self._soffice or find_soffice()
        if soffice is None:
            raise _unavailable("Không tìm thấy LibreOffice (soffice) để chuyển văn bản sang PDF "
                               "(đã thử $VANBAN_SOFFICE, soffice và libreoffice trên PATH).")
        python = self._uno_python or find_uno_python(soffice)
        if python is None:
            raise _unavailable(
                "Không tìm thấy Python có mô-đun uno để điều khiển LibreOffice (đã thử $VANBAN_UNO_PYTHON, "
                "/usr/bin/python3 và Python đi kèm LibreOffice).")
        return [python, str(WORKER_SCRIPT)], soffice

    def _spawn(self) -> None:
        command, soffice = self._command()
        worker = self._worker
        tmp = worker.ensure_tmp()
        worker.starts += 1
        env = _clean_env()
        if soffice:
            env["VANBAN_SOFFICE"] = soffice
        # A fresh profile and pipe for every start: an office killed mid-write may leave its profile
        # locked or broken, and a pipe name must never lead to another converter's office.
        worker.profile = tmp / f"profile-{worker.starts}"
        env["VANBAN_UNO_PROFILE"] = str(worker.profile)
        worker.pipe = env["VANBAN_UNO_PIPE"] = f"vanban-{os.getpid()}-{uuid.uuid4().hex}"
        worker.log = tmp / f"worker-{worker.starts}.log"
        worker.buffer.clear()
        with open(worker.log, "wb") as log:
            try:
                # Own session and process group: one killpg ends the worker and the office it starts.
                worker.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                                  env=env, cwd=tmp, bufsize=0, start_new_session=True)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise _unavailable(f"Không chạy được tiến trình chuyển PDF {command[0]}: {reason}") from exc

    def _attempt(self, source: Path, target: Path, timeout: float) -> bytes:
        fresh = not self._running()
        if fresh:
            self._worker.kill()  # reap a worker that died since the last document
            self._spawn()
        try:
            return self._ask(source, target, timeout)
        except _WorkerFailure as exc:
            if fresh and exc.restart and "mất kết nối" in str(exc):
                # An office that drops its first connection (LibreOffice restarts itself once on a new
                # profile now and then) failed at its start, not on the document.
                exc.at_start = True
            raise

    def _ask(self, source: Path, target: Path, timeout: float) -> bytes:
        process = self._worker.process
        assert process is not None and process.stdin is not None
        target.unlink(missing_ok=True)
        request = json.dumps({"in": str(source), "out": str(target)}) + "\n"
        try:
            process.stdin.write(request.encode("utf-8"))
        except OSError as exc:  # BrokenPipeError: the worker is gone
            raise _WorkerFailure(f"tiến trình chuyển PDF đã dừng ({exc.strerror or exc})") from exc
        answer = self._read_answer(process, timeout)
        if not answer.get("ok"):
            # An answer without "fatal" (a simpler worker) counts as fatal: restarting is the safe side.
            raise _WorkerFailure(str(answer.get("error") or "LibreOffice báo lỗi không rõ"),
                                 restart=answer.get("fatal", True) is not False,
                                 at_start=answer.get("at_start") is True)
        try:
            pdf = target.read_bytes()
        except OSError as exc:
            raise _WorkerFailure("LibreOffice báo xong nhưng không có tệp PDF") from exc
        if not pdf.startswith(b"%PDF"):
            raise _WorkerFailure("LibreOffice tạo ra một tệp không phải PDF")
        return pdf

    def _read_answer(self, process: subprocess.Popen[bytes], timeout: float) -> dict[str, object]:
        """The next line from the worker, within ``timeout`` seconds."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        buffer = self._worker.buffer
        deadline = time.monotonic() + timeout
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerFailure(f"quá {timeout:g} giây không xong")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _WorkerFailure("tiến trình chuyển PDF đã dừng đột ngột" + _exit_note(process) + self._log_tail())
            buffer += chunk
        line, _, rest = bytes(buffer).partition(b"\n")
        buffer[:] = rest
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise _WorkerFailure(f"câu trả lời không đọc được: {line[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise _WorkerFailure(f"câu trả lời không đọc được: {line[:200]!r}")
        return answer

    def _log_tail(self, limit: int = 300) -> str:
        log = self._worker.log
        try:
            text = log.read_text(encoding="utf-8", errors="replace").strip() if log else ""
        except OSError:
            return ""
        return f"; nhật ký: …{text[-limit:]}" if text else ""

    def _conversion_error(self, failures: list[str], timeout: float, source: str | None,
                          restarted: bool) -> OutputError:
        reasons = "; ".join(f"lần {i}: {reason}" for i, reason in enumerate(failures, 1))
        retried = "đã khởi động lại LibreOffice và thử lại một lần" if restarted else "đã thử lại một lần"
        return OutputError(Problem(
            "PDF_CONVERSION",
            f"LibreOffice không chuyển được văn bản sang PDF (mỗi lần chờ tối đa {timeout:g} giây, "
            f"{retried}): {reasons}",
            Location(file=source),
            hint="Mở tệp .docx bằng LibreOffice Writer xem có lỗi không; nếu văn bản rất dài, tăng thời gian chờ; "
                 "nếu lỗi lặp lại, tạo lại tệp .docx rồi chuyển lại.",
        ))
