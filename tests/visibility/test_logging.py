"""JSON log lines: every record, ours or a library's, parses and says which order and request."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi import FastAPI

from api.estate import client
from crossdock.orchestration.log_context import bound, current
from crossdock.visibility.logging import configure_logging
from crossdock.visibility.request_ids import RequestIdMiddleware


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """Logging configured as ``crossdock up`` with JSON logs does, into a buffer."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def lines(stream: io.StringIO, logger: str = "crossdock") -> list[dict[str, Any]]:
    """The JSON lines written, those of loggers under ``logger`` (httpx logs its requests too)."""
    parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in parsed if line["logger"].startswith(logger)]


def test_a_standard_library_record_is_a_json_line_with_the_bound_ids(
    output: io.StringIO,
) -> None:
    with bound(correlation_id="O-1", causation_id="message:7"):
        logging.getLogger("crossdock.deliveries").warning("booking refused by %s", "legacy_erp")
    logging.getLogger("crossdock.deliveries").info("idle")

    refused, idle = lines(output)
    assert refused["event"] == "booking refused by legacy_erp"
    assert refused["level"] == "warning"
    assert refused["logger"] == "crossdock.deliveries"
    assert refused["timestamp"].endswith("Z")
    assert refused["correlation_id"] == "O-1"
    assert refused["causation_id"] == "message:7"
    assert "correlation_id" not in idle


def test_structlog_loggers_share_the_format_and_the_ids(output: io.StringIO) -> None:
    with bound(correlation_id="O-2"):
        structlog.stdlib.get_logger("crossdock.steps").info("step applied", messages=3)

    [line] = lines(output)
    assert line["event"] == "step applied"
    assert line["messages"] == 3
    assert line["correlation_id"] == "O-2"
    assert line["logger"] == "crossdock.steps"


def test_records_below_the_level_are_dropped(output: io.StringIO) -> None:
    logging.getLogger("crossdock.steps").debug("noise")
    structlog.stdlib.get_logger("crossdock.steps").debug("noise")

    assert lines(output) == []


def test_an_exception_is_logged_as_structured_traceback(output: io.StringIO) -> None:
    try:
        raise ValueError("bad mapping")
    except ValueError:
        logging.getLogger("crossdock.steps").exception("step failed")

    [line] = lines(output)
    [raised] = line["exception"]
    assert raised["exc_type"] == "ValueError"
    assert raised["exc_value"] == "bad mapping"


def test_nested_blocks_restore_the_outer_ids() -> None:
    with bound(correlation_id="O-1", causation_id="message:1"):
        with bound(causation_id="delivery:9"):
            assert current() == {"correlation_id": "O-1", "causation_id": "delivery:9"}
        assert current() == {"correlation_id": "O-1", "causation_id": "message:1"}
    assert current() == {}


def echo_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        logging.getLogger("crossdock.api").info("pinged")
        return current()

    app.add_middleware(RequestIdMiddleware)
    return app


async def test_each_request_gets_an_id_in_its_logs_and_its_response(output: io.StringIO) -> None:
    async with client(echo_app()) as http:
        first = await http.get("/ping")
        second = await http.get("/ping")

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    assert [line["request_id"] for line in lines(output)] == ids
    assert first.json() == {"request_id": ids[0]}


async def test_a_callers_request_id_is_kept_unless_it_is_unsafe(output: io.StringIO) -> None:
    async with client(echo_app()) as http:
        kept = await http.get("/ping", headers={"X-Request-Id": "edge-42.a"})
        replaced = await http.get("/ping", headers={"X-Request-Id": 'x" injected="1'})

    assert kept.headers["x-request-id"] == "edge-42.a"
    assert replaced.headers["x-request-id"] not in ('x" injected="1', "")
    assert [line["request_id"] for line in lines(output)] == [
        "edge-42.a",
        replaced.headers["x-request-id"],
    ]
