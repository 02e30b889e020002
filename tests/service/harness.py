"""Drive the service's ASGI app in process with httpx, its lifespan (worker and converter pools) run for real.

The app runs on an event loop of its own in a background thread, as under uvicorn; tests call it
synchronously. A real server on 127.0.0.1 is tested separately (test_server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from engine.service.app import create_app
from engine.service.config import ServiceConfig


class InProcessService:
    """The service's app with its pools started, answering httpx requests through ASGI."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.app = create_app(config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._lifespan: Any = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> InProcessService:
        self._thread.start()
        self._call(self._start())
        return self

    async def _start(self) -> None:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self._client = httpx.AsyncClient(transport=transport, base_url="http://vanban.test", timeout=120)

    def stop(self) -> None:
        async def stop() -> None:
            assert self._client is not None
            await self._client.aclose()
            await self._lifespan.__aexit__(None, None, None)

        self._call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()

    def _call(self, coroutine: Any, timeout: float = 180) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        assert self._client is not None
        return self._call(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def concurrently(self, requests: list[tuple[str, str, dict[str, Any]]]) -> list[httpx.Response]:
        """Send several requests at once (to fill the queue, to overlap a fault)."""
        assert self._client is not None
        client = self._client

        async def all_at_once() -> list[httpx.Response]:
            return list(await asyncio.gather(*(client.request(method, url, **kwargs)
                                               for method, url, kwargs in requests)))

        return self._call(all_at_once())

    @property
    def state(self) -> Any:
        return self.app.state


@contextlib.contextmanager
def running(config: ServiceConfig) -> Iterator[InProcessService]:
    service = InProcessService(config).start()
    try:
        yield service
    finally:
        service.stop()


def problems(response: httpx.Response) -> list[dict[str, Any]]:
    """The problems of an error answer (asserting it is one, in the documented shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["status"] == response.status_code
    assert "Traceback" not in response.text
    return body["error"]["problems"]


def codes(response: httpx.Response) -> list[str]:
    return [problem["code"] for problem in problems(response)]
