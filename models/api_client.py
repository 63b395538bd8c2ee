"""A small async client for OpenAI-compatible servers: N requests in flight, timeouts, retries.

:meth:`APIClient.post_many` sends a list of JSON payloads to one endpoint with at most
``num_concurrent`` requests in flight (``aiohttp``, already installed with lm-eval) and returns the
decoded JSON answers in order. A request that fails with a connection error, a timeout, 429 or a
5xx is retried up to ``max_retries`` times with exponential backoff (a server's ``Retry-After`` is
honoured); any other HTTP error is an :class:`APIError` at once. The API key is read from an
environment variable and only ever sent in the ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from elastic_bench.harness.generation import BackendError
from elastic_bench.harness.provenance import redact

#: statuses worth retrying: rate limits and server-side failures (a restarting server answers 502/503)
RETRYABLE = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class APIError(BackendError):
    """The server refused a request, kept failing after every retry, or answered something that is
    not a completion (one line)."""


@dataclass
class ClientStats:
    """What the client did: requests sent (retries included), retries by reason, time waiting."""

    sent: int = 0
    succeeded: int = 0
    retries: Counter = field(default_factory=Counter)
    backoff_seconds: float = 0.0


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


class APIClient:
    """Posts JSON to an OpenAI-compatible server with bounded concurrency and retries."""

    def __init__(
        self,
        *,
        num_concurrent: int = 8,
        max_retries: int = 5,
        timeout: float = 300.0,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        api_key_env: str | None = "OPENAI_API_KEY",
        verify_certificate: bool = True,
    ) -> None:
        if num_concurrent < 1:
            raise ValueError(f"num_concurrent must be at least 1, got {num_concurrent}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.num_concurrent = int(num_concurrent)
        self.max_retries = int(max_retries)
        self.timeout = float(timeout)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.api_key_env = api_key_env
        self.verify_certificate = verify_certificate
        self.stats = ClientStats()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def post_many(self, url: str, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST every payload to ``url`` (at most ``num_concurrent`` at a time); answers in order."""
        if not payloads:
            return []
        return asyncio.run(self._post_many(url, payloads))

    def get(self, url: str) -> dict[str, Any]:
        """GET ``url`` once (no retries), e.g. ``/v1/models``."""

        async def once() -> dict[str, Any]:
            import aiohttp

            timeout = aiohttp.ClientTimeout(total=min(self.timeout, 30.0))
            async with (
                aiohttp.ClientSession(timeout=timeout, headers=self._headers()) as session,
                session.get(url, ssl=None if self.verify_certificate else False) as resp,
            ):
                if resp.status != 200:
                    raise APIError(f"GET {redact(url)}: HTTP {resp.status}")
                return await resp.json(content_type=None)

        return asyncio.run(once())

    async def _post_many(self, url: str, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        import aiohttp

        limit = asyncio.Semaphore(self.num_concurrent)
        connector = aiohttp.TCPConnector(
            limit=self.num_concurrent, ssl=None if self.verify_certificate else False
        )
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self._headers()) as s:

            async def one(payload: dict[str, Any]) -> dict[str, Any]:
                async with limit:
                    return await self._post(s, url, payload)

            tasks = [asyncio.ensure_future(one(p)) for p in payloads]
            try:
                return await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    async def _post(self, session, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        import aiohttp

        body = json.dumps(payload)
        for attempt in range(self.max_retries + 1):
            wait: float | None = None
            self.stats.sent += 1
            try:
                async with session.post(url, data=body) as resp:
                    text = await resp.text()
                    if resp.status == 200:
                        self.stats.succeeded += 1
                        try:
                            return json.loads(text)
                        except json.JSONDecodeError:
                            raise APIError(
                                f"POST {redact(url)}: the answer is not JSON: {text[:200]!r}"
                            ) from None
                    if resp.status not in RETRYABLE:
                        raise APIError(
                            f"POST {redact(url)}: HTTP {resp.status}: {' '.join(text.split())[:300]}"
                        )
                    reason = f"http {resp.status}"
                    wait = _retry_after(resp.headers.get("Retry-After"))
            except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
                reason = "timeout" if isinstance(exc, asyncio.TimeoutError) else "connection"
            if attempt == self.max_retries:
                raise APIError(
                    f"POST {redact(url)}: still failing after {self.max_retries} retries (last: {reason}); "
                    "raise max_retries/timeout or check the server"
                )
            self.stats.retries[reason] += 1
            delay = min(self.max_backoff, wait if wait is not None else self.backoff * 2**attempt)
            self.stats.backoff_seconds += delay
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")
