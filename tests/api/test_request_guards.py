"""What one request may cost (OWASP API4: unrestricted resource consumption): bodies over the
limit are refused with 413 — announced or streamed — and routes that hang answer 503."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from crossdock.integration.api.problems import install_problem_handlers
from crossdock.integration.api.request_guards import (
    BodySizeLimitMiddleware,
    RequestTimeoutMiddleware,
)

from .estate import PROBLEM_JSON

LIMIT = 1024
CHUNK = b"x" * 256


class Note(BaseModel):
    text: str


class Routes:
    """Routes that read bodies or take their time, and what they saw."""

    def __init__(self) -> None:
        self.bodies_read: list[int] = []
        self.cancelled = asyncio.Event()
        self.never = asyncio.Event()

    def app(self, *, timeout_s: float = 30.0) -> FastAPI:
        app = FastAPI()
        install_problem_handlers(app)
        api = APIRouter(prefix="/api/v1")

        @api.post("/echo")
        async def echo(request: Request) -> dict[str, int]:
            body = await request.body()
            self.bodies_read.append(len(body))
            return {"bytes": len(body)}

        @api.post("/notes")
        async def notes(note: Note) -> dict[str, int]:
            self.bodies_read.append(len(note.text))
            return {"bytes": len(note.text)}

        @api.post("/edi/inbound", status_code=202)
        async def inbound(request: Request) -> dict[str, int]:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
            self.bodies_read.append(size)
            return {"bytes": size}

        @api.get("/stuck")
        async def stuck() -> dict[str, str]:
            try:
                await self.never.wait()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
            return {"status": "unreachable"}

        @api.get("/feed")
        async def feed() -> StreamingResponse:
            async def events() -> AsyncIterator[bytes]:
                yield b"first\n"
                # The second part waits for a request started after this one to be stopped at
                # its deadline: by then this response's own deadline has passed too.
                await self.cancelled.wait()
                yield b"second\n"

            return StreamingResponse(events(), media_type="text/plain")

        app.include_router(api)
        app.add_middleware(RequestTimeoutMiddleware, timeout_s=timeout_s, retry_after_s=7)
        app.add_middleware(
            BodySizeLimitMiddleware, max_bytes=LIMIT, by_path={"/api/v1/edi/inbound": 4 * LIMIT}
        )
        return app


def http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test")


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"] == f"urn:crossdock:problem:{slug}"


async def test_a_body_announced_over_the_limit_is_refused_before_the_route_reads_it() -> None:
    routes = Routes()
    async with http(routes.app()) as api:
        response = await api.post("/api/v1/echo", content=b"x" * (LIMIT + 1))

    assert_problem(response, 413, "body-too-large")
    assert str(LIMIT) in response.json()["detail"]
    assert routes.bodies_read == []


async def test_an_endless_chunked_body_is_cut_off_at_the_limit() -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(len(CHUNK))
            yield CHUNK

    routes = Routes()
    async with http(routes.app()) as api:
        response = await api.post("/api/v1/echo", content=endless())

    assert_problem(response, 413, "body-too-large")
    assert routes.bodies_read == []
    assert sum(sent) <= LIMIT + len(CHUNK)  # read no further than the chunk that crossed it


async def test_a_streamed_json_body_over_the_limit_is_a_413_not_a_parse_error() -> None:
    async def note() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(8):
            yield CHUNK
        yield b'"}'

    routes = Routes()
    async with http(routes.app()) as api:
        response = await api.post(
            "/api/v1/notes", content=note(), headers={"Content-Type": "application/json"}
        )

    assert_problem(response, 413, "body-too-large")
    assert routes.bodies_read == []


async def test_bodies_within_the_limit_reach_the_route_whole() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield CHUNK

    routes = Routes()
    async with http(routes.app()) as api:
        announced = await api.post("/api/v1/echo", content=b"x" * LIMIT)
        streamed = await api.post("/api/v1/echo", content=chunks())

    assert announced.json() == {"bytes": LIMIT}
    assert streamed.json() == {"bytes": 4 * len(CHUNK)}


async def test_the_edi_file_route_takes_larger_bodies_than_the_rest() -> None:
    async def file(size: int) -> AsyncIterator[bytes]:
        for _ in range(size // len(CHUNK)):
            yield CHUNK

    routes = Routes()
    async with http(routes.app()) as api:
        taken = await api.post("/api/v1/edi/inbound", content=file(3 * LIMIT))
        too_large = await api.post("/api/v1/edi/inbound", content=file(5 * LIMIT))
        elsewhere = await api.post("/api/v1/echo", content=b"x" * (3 * LIMIT))

    assert taken.status_code == 202
    assert taken.json() == {"bytes": 3 * LIMIT}
    assert_problem(too_large, 413, "body-too-large")
    assert_problem(elsewhere, 413, "body-too-large")


async def test_a_route_that_hangs_is_stopped_with_a_503_and_retry_after() -> None:
    routes = Routes()
    async with http(routes.app(timeout_s=0.2)) as api:
        response = await api.get("/api/v1/stuck")

    assert_problem(response, 503, "timed-out")
    assert response.headers["Retry-After"] == "7"
    assert routes.cancelled.is_set()  # the route's work was stopped, not left running


async def test_a_response_that_started_in_time_may_stream_past_the_deadline() -> None:
    routes = Routes()
    async with http(routes.app(timeout_s=0.2)) as api:
        response, stopped = await asyncio.gather(api.get("/api/v1/feed"), api.get("/api/v1/stuck"))

    assert_problem(stopped, 503, "timed-out")  # the deadline did pass while the feed streamed
    assert response.status_code == 200
    assert response.text == "first\nsecond\n"


async def test_a_route_that_answers_in_time_is_untouched() -> None:
    routes = Routes()
    async with http(routes.app(timeout_s=0.2)) as api:
        response = await api.post("/api/v1/echo", content=b"hello")

    assert response.status_code == 200
    assert response.json() == {"bytes": 5}
