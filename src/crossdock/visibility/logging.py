"""Log output: JSON lines for a log shipper, or text for a person, from one configuration.

:func:`configure_logging` routes every record — the standard library's (ours, uvicorn's,
SQLAlchemy's) and structlog's — through the same processors, so each line carries a timestamp,
the level, the logger's name, the event, and the ids :mod:`crossdock.orchestration.log_context`
bound where the work happens (``correlation_id`` = the order, ``causation_id``, ``request_id``).
A JSON line looks like::

    {"event": "delivery refused", "level": "warning", "logger": "crossdock.deliveries",
     "timestamp": "2026-01-05T09:00:00.000000Z", "correlation_id": "O-1", ...}
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from crossdock.orchestration.log_context import current


def add_log_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The structlog processor that puts the bound correlation ids on a line (the line's own
    values win: a caller that logs ``correlation_id=`` explicitly means it)."""
    for name, value in current().items():
        event.setdefault(name, value)
    return event


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        add_log_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(
    level: str | int = "INFO", *, json: bool = False, stream: TextIO | None = None
) -> None:
    """Send every log record, at ``level`` and above, to ``stream`` (stderr) as JSON lines
    (``json=True``) or as text for a person.

    Call it once at process start; calling it again replaces the previous configuration (the
    root logger's handlers included), so tests can configure a stream of their own.
    """
    shared = _shared_processors()
    renderer: Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    last: list[Processor] = [structlog.processors.dict_tracebacks, renderer] if json else [renderer]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *last],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
