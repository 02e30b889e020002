"""Keep one headless LibreOffice open and turn .docx files into PDF on request, over UNO.

Why a separate script: the ``uno`` module only exists for the Python that LibreOffice (or the
distribution's ``python3-uno``) was built for, which is usually not the engine's own Python. So the
engine starts this file with such a Python (see :mod:`engine.convert.converter`) and talks to it
through a line protocol on stdin/stdout, one JSON object per line:

    request:  {"in": "/abs/in.docx", "out": "/abs/out.pdf"}
    answer:   {"ok": true}   or   {"ok": false, "error": "...", "fatal": true|false}

``fatal`` means LibreOffice itself is gone or unusable: the worker exits right after answering and
the caller starts a new one. On end of input the worker closes LibreOffice and exits.

Why it stays alive: a cold ``soffice --convert-to pdf`` pays about a second of start-up for every
document; a running office converts a short document in a fraction of that.

This file must not import anything from ``engine`` (it runs under another interpreter) and must
not import ``uno`` at module level (the engine's test run imports every module for doctests).
Settings come from the command line or, so that a caller can wrap this script in another command
without rewriting its arguments, from the environment: ``VANBAN_SOFFICE``, ``VANBAN_UNO_PROFILE``
(folder for the private user profile) and ``VANBAN_UNO_PIPE`` (name of the UNO pipe).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# The flags of a LibreOffice that nobody sees and that does not wait for a user: no window, no
# start centre, no document recovery dialog and no check for another instance on the installation.
SOFFICE_FLAGS = ["--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck"]
DOCX_FILTER = "MS Word 2007 XML"  # LibreOffice's import filter for .docx
CONNECT_TIMEOUT = 60.0  # a first start with an empty profile takes a few seconds on a slow machine
TERMINATE_TIMEOUT = 10.0


class OfficeGone(Exception):
    """LibreOffice died or cannot be reached; this worker is of no use any more."""


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soffice", default=os.environ.get("VANBAN_SOFFICE") or shutil.which("soffice"),
                        help="path of soffice to start")
    parser.add_argument("--profile", default=os.environ.get("VANBAN_UNO_PROFILE"),
                        help="folder for LibreOffice's private user profile (default: a temporary folder)")
    parser.add_argument("--pipe", default=os.environ.get("VANBAN_UNO_PIPE"),
                        help="name of the UNO pipe (default: a fresh unique name)")
    parser.add_argument("--connect", default=None,
                        help="use an office already accepting on this UNO connection, e.g. "
                             "'pipe,name=x' or 'socket,host=localhost,port=2002', instead of starting one")
    return parser.parse_args(argv)


class Office:
    """One soffice process (started here, or already running) and the UNO desktop inside it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self._own_profile: str | None = None
        self._pipe: str | None = None
        self.desktop: Any = None
        self.connection = args.connect or self._start(args)
        try:
            self.desktop = self._connect()
        except BaseException:
            self.terminate()  # an office that we started but cannot use must not stay behind
            raise

    def _start(self, args: argparse.Namespace) -> str:
        if not args.soffice:
            raise OfficeGone("không tìm thấy chương trình soffice")
        profile = args.profile
        if not profile:
            # A private profile per worker: two offices sharing a profile hand their work to each
            # other (the second one exits at once), so parallel workers must never share one.
            profile = self._own_profile = tempfile.mkdtemp(prefix="vanban-lo-profile-")
        pipe = self._pipe = args.pipe or f"vanban-{os.getpid()}-{uuid.uuid4().hex}"
        connection = f"pipe,name={pipe}"
        command = [
            args.soffice,
            f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
            *SOFFICE_FLAGS,
            f"--accept={connection};urp;StarOffice.ComponentContext",
        ]
        # Same process group and session as this worker (no start_new_session): whoever started
        # the worker in its own group can end both with one killpg. soffice's own output never
        # reaches our stdout, which carries the protocol.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
        return connection

    def _connect(self) -> Any:
        import uno  # only here: see the module docstring
        from com.sun.star.connection import NoConnectException

        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:{self.connection};urp;StarOffice.ComponentContext"
        deadline = time.monotonic() + CONNECT_TIMEOUT
        delay = 0.02
        while True:
            # soffice needs a moment (longer with a fresh profile) before it accepts: retry until it
            # does, but give up at once if it has already exited.
            try:
                context = resolver.resolve(url)
                break
            except NoConnectException as exc:
                if self.process is not None and self.process.poll() is not None:
                    raise OfficeGone(f"soffice đã dừng khi khởi động (mã {self.process.returncode})") from exc
                if time.monotonic() > deadline:
                    raise OfficeGone(f"soffice không nhận kết nối sau {CONNECT_TIMEOUT:.0f} giây") from exc
                time.sleep(delay)
                delay = min(delay * 1.5, 0.05)  # often: time waited here delays a batch's first PDF
        return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None

    def convert(self, source: str, target: str) -> Any:
        """Write ``target`` as the PDF of ``source``; the document is handed back still open.

        The caller answers first and closes it afterwards (:meth:`close`): closing takes a tenth
        of a conversion, and the engine reads and checks the PDF meanwhile.
        """
        import uno
        from com.sun.star.beans import PropertyValue
        from com.sun.star.lang import DisposedException
        from com.sun.star.uno import RuntimeException

        def props(**values: object) -> tuple[Any, ...]:
            return tuple(PropertyValue(Name=k, Value=v) for k, v in values.items())

        try:
            # The Word filter named outright: a file that is not a .docx fails here instead of being
            # guessed as plain text and "converted" into a PDF of its bytes.
            document = self.desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(source), "_blank", 0,
                props(Hidden=True, ReadOnly=True, FilterName=DOCX_FILTER))
            if document is None:
                raise ValueError(f"LibreOffice không mở được {source}")
            try:
                document.storeToURL(uno.systemPathToFileUrl(target), props(FilterName="writer_pdf_Export"))
            except BaseException:
                self.close(document)
                raise
            return document
        except (DisposedException, RuntimeException) as exc:
            # A dead bridge shows up as one of these (a bad document gives IOException or
            # IllegalArgumentException instead): then this office is of no use any more.
            # The bridge's own RuntimeException ("Binary URP bridge disposed") comes before soffice is seen to
            # have exited: by its words, not by the process, or the retry would go to the same dead office.
            if isinstance(exc, DisposedException) or not self.alive() or "bridge disposed" in str(exc) \
                    or "already disposed" in str(exc):
                raise OfficeGone(f"mất kết nối tới LibreOffice: {exc}") from exc
            raise

    @staticmethod
    def close(document: Any) -> None:
        try:
            document.close(True)
        except Exception:  # noqa: BLE001 - a document that will not close must not hide the real error;
            pass  # an office that died meanwhile shows up on the next request

    def terminate(self) -> None:
        """Ask LibreOffice to quit; kill it if it does not, and remove the profile we made."""
        try:
            # Only an office we started: one given with --connect belongs to someone else.
            if self.desktop is not None and self.process is not None and self.process.poll() is None:
                self.desktop.terminate()
        except Exception:  # noqa: BLE001 - the office is often gone already; we only want it gone
            pass
        if self.process is not None:
            try:
                self.process.wait(TERMINATE_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                # A killed office leaves its pipe's socket file behind (always in /tmp, whatever $TMPDIR says).
                Path(f"/tmp/OSL_PIPE_{os.getuid()}_{self._pipe}").unlink(missing_ok=True)
        if self._own_profile:
            shutil.rmtree(self._own_profile, ignore_errors=True)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _answer(out: Any, **fields: object) -> None:
    out.write(json.dumps(fields, ensure_ascii=False) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    # Keep the real stdout for answers only and send anything else that writes to fd 1 (the UNO
    # runtime, a stray print) to stderr, so nothing can corrupt the protocol.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # SIGTERM (and SIGHUP) become a normal exit, so the finally below closes LibreOffice.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)

    office: Office | None = None
    try:
        try:
            office = Office(args)
        except OfficeGone as exc:
            # Nobody has asked anything yet: answer the first request with the reason, then stop.
            if sys.stdin.readline():
                _answer(out, ok=False, error=str(exc), fatal=True, at_start=True)
            return 3
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                request = json.loads(line)
                document = office.convert(str(request["in"]), str(request["out"]))
            except OfficeGone as exc:
                _answer(out, ok=False, error=str(exc), fatal=True)
                return 3
            except Exception as exc:  # noqa: BLE001 - every failure becomes an answer, not a dead worker
                fatal = not office.alive()
                reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
                _answer(out, ok=False, error=reason, fatal=fatal)
                if fatal:
                    return 3
            else:
                _answer(out, ok=True)
                office.close(document)  # after the answer: see Office.convert
        return 0
    finally:
        if office is not None:
            office.terminate()
        out.close()


if __name__ == "__main__":
    sys.exit(main())
