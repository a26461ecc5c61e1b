"""Tap: a recording pass-through in front of one sandbox system.

The hub's estate points at the tap instead of the system; the tap forwards every request as it is
and records when it arrived, when the answer came back, and what the system answered — its status
and the wait it asked for (``Retry-After``, or the more precise ``X-RateLimit-Reset-After``). So a
test can check, request by request, that nothing reached the system while a wait it had asked for
was running: what the system's aggregate ``/_sandbox/stats`` cannot show.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "server", "date"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One request through the tap (times from ``time.monotonic``)."""

    arrived: float
    answered: float
    method: str
    path: str
    status: int
    asked_wait_s: float | None
    """The shortest wait the system asked for: ``Retry-After`` or ``X-RateLimit-Reset-After``."""


def asked_wait(headers: httpx.Headers) -> float | None:
    """The shortest wait an answer's headers ask for, in seconds (None when they ask none)."""
    waits = []
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            waits.append(float(headers[name]))
        except (KeyError, ValueError):
            continue
    return min(waits) if waits else None


class Tap:
    """Forwards to ``upstream`` (set before the first request) and keeps every exchange."""

    def __init__(self) -> None:
        self.upstream = ""
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to send requests meant for the upstream system."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        tap = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                try:
                    answer = tap._client.request(
                        self.command, tap.upstream + self.path, headers=headers, content=body
                    )
                except httpx.HTTPError:
                    self.send_error(502)
                    return
                tap._record(
                    Exchange(
                        arrived=arrived,
                        answered=time.monotonic(),
                        method=self.command,
                        path=self.path,
                        status=answer.status_code,
                        asked_wait_s=asked_wait(answer.headers),
                    )
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def do_PUT(self) -> None:
                self._forward()

            def do_DELETE(self) -> None:
                self._forward()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the exchanges are the log."""

        return Handler

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def early_requests(self, *, reaction_s: float = 0.5, tolerance_s: float = 0.02) -> list[str]:
        """Requests that arrived while a wait the system had asked for (in a 429) was running.

        The hub cannot hold back what it sends before it has read the refusal: its round's other
        requests, and on a loaded two-core machine whatever it sent in the time its event loop
        took to get to the answer (0.25-0.37 s seen). Requests arriving within ``reaction_s`` of
        the refusal's answer are therefore not counted; a hub that ignored the wait would go on
        sending after that, round after round, and be caught.
        """
        with self._lock:
            exchanges = list(self.exchanges)
        found = []
        for refused in exchanges:
            if refused.status != 429 or refused.asked_wait_s is None:
                continue
            start = refused.answered + reaction_s
            until = refused.answered + refused.asked_wait_s - tolerance_s
            early = [q for q in exchanges if start < q.arrived < until]
            if early:
                found.append(
                    f"{len(early)} requests {early[0].arrived - refused.answered:.3f}s after a "
                    f"429 that asked for {refused.asked_wait_s:.3f}s"
                )
        return found

    def __enter__(self) -> Tap:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
