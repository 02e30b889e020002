"""A real `vanban serve` on 127.0.0.1 and Debian's Chromium driven by Selenium: for the browser tests, the
screenshots of docs/images/ and benchmarks/web_preview.py.

Selenium is given /usr/bin/chromedriver explicitly, so Selenium Manager never looks for (or downloads) a
driver; Chromium runs headless with a fresh profile and with every background request it makes on its
own turned off, so that what the page loads is all a test sees.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage", "--lang=vi-VN")
WIDTH, HEIGHT = 1366, 768  # an office screen


def browser_available() -> bool:
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`vanban serve` in a child process on a free port of 127.0.0.1; its log goes to a file (never a full pipe)."""

    def __init__(self, *args: str, workers: int = 2, pdf_converters: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.NamedTemporaryFile(prefix="vanban-serve-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers), "--pdf-converters", str(pdf_converters), *args],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> Served:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vanban serve ended: {self.log()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"vanban serve was not ready in {timeout:g} s: {self.log()}")

    def log(self) -> str:
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
        os.unlink(self._log.name)


@contextlib.contextmanager
def served(*args: str, **options: Any) -> Iterator[Served]:
    server = Served(*args, **options)
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@contextlib.contextmanager
def chromium(downloads: Path | None = None, width: int = WIDTH, height: int = HEIGHT) -> Iterator[Any]:
    """A headless Chromium of the given window size (a fresh profile, removed afterwards)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="vanban-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.add_argument(f"--window-size={width},{height}")
        if downloads is not None:
            options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                      "download.prompt_for_download": False,
                                                      "safebrowsing.enabled": False})
        driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
        try:
            # The window's outer size includes no browser chrome when headless; make the page 1366×768 exactly.
            inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
            driver.set_window_size(width + (width - inner[0]), height + (height - inner[1]))
            if downloads is not None:
                driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow",
                                                                    "downloadPath": str(downloads)})
            yield driver
        finally:
            driver.quit()
