"""``JetStreamTransport``: business events published to a NATS JetStream stream.

Each outbox record becomes one message on ``crossdock.<tenant>.order.<event>``: the structured
CloudEvent as the JSON body (``Content-Type: application/cloudevents+json``), its attributes also
as ``ce-*`` headers, and ``Nats-Msg-Id`` set to the event id, so the stream drops a republished
event (the relay publishes at least once) within its duplicate window. Every publish waits for the
stream's acknowledgement, in order; no acknowledgement means a :class:`RetryableError`, so the
relay tries again and never marks an event published that the stream has not stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import nats.errors
import nats.js.errors
import orjson
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig, StreamInfo

from crossdock.core.errors import ConfigurationError, PermanentError, RetryableError
from crossdock.integration.transport.cloudevents import attribute_headers, to_cloudevent
from crossdock.integration.transport.nats_errors import crossdock_error
from crossdock.integration.transport.subjects import Subjects
from crossdock.orchestration.store import OutboxRecord

log = logging.getLogger("crossdock.transport.jetstream")

CONTENT_TYPE = "application/cloudevents+json"
_STREAM_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
_STREAM_NAME_IN_USE = 10058  # JetStream's error code when another process created it first
_REPLICAS_UNSUPPORTED = 10074  # more replicas than a single, unclustered server can hold


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSettings:
    """The JetStream stream that holds a tenant's business events."""

    name: str | None = None
    """The stream's name; ``None`` means ``CROSSDOCK_<TENANT>`` (the tenant upper-cased)."""
    replicas: int = 1
    """How many servers keep a copy of every event (1-5). 1 suits one development server; run
    3 in production, on a cluster of 3 servers, so a server lost loses no acknowledged event."""
    duplicate_window_s: float = 120.0
    """How long the stream remembers event ids, dropping a second publish of the same event.
    It must outlast the relay's retry of a batch whose acknowledgements were lost."""
    max_age_s: float | None = None
    """How long events are kept for consumers to read or replay; ``None`` keeps them until an
    operator sets limits on the stream (crossdock never deletes them itself)."""
    ack_timeout_s: float = 5.0
    """How long a publish waits for the stream's acknowledgement before it counts as failed
    (the relay then retries the batch)."""

    def __post_init__(self) -> None:
        if self.name is not None and not _STREAM_NAME.fullmatch(self.name):
            raise ConfigurationError(
                "broker.stream.name", f"{self.name!r}: use letters, digits, '_' and '-'"
            )
        if not 1 <= self.replicas <= 5:
            raise ConfigurationError("broker.stream.replicas", f"{self.replicas}: must be 1 to 5")
        if self.duplicate_window_s <= 0:
            raise ConfigurationError("broker.stream.duplicate_window_s", "must be positive")
        if self.max_age_s is not None and self.max_age_s < self.duplicate_window_s:
            raise ConfigurationError(
                "broker.stream.max_age_s", "must not be shorter than the duplicate window"
            )
        if self.ack_timeout_s <= 0:
            raise ConfigurationError("broker.stream.ack_timeout_s", "must be positive")


class JetStreamTransport:
    """Publishes outbox events to a tenant's JetStream stream, each acknowledged, in order.

    Built by :func:`~.broker.connect_broker`, which owns the connection.
    """

    def __init__(self, js: JetStreamContext, subjects: Subjects, settings: StreamSettings) -> None:
        self._js = js
        self._subjects = subjects
        self.settings = settings
        self.stream_name = settings.name or subjects.default_stream
        self._closed = False

    async def ensure_stream(self) -> None:
        """Create the stream, or bring an existing one to these settings.

        Settings crossdock does not manage (limits an operator set, extra subjects) are kept.
        """
        doing = f"setting up stream {self.stream_name}"
        try:
            info = await self._existing_stream()
            if info is None:
                if await self._create_stream():
                    return
                info = await self._js.stream_info(self.stream_name)
            if not self._matches(info.config):
                await self._js.update_stream(self._wanted(info.config))
                log.info("updated stream %s to %s", self.stream_name, self.settings)
        except nats.js.errors.BadRequestError as exc:
            raise ConfigurationError("broker.stream", f"{doing}: {exc.description}") from exc
        except nats.js.errors.APIError as exc:
            if exc.err_code == _REPLICAS_UNSUPPORTED:
                raise ConfigurationError(
                    "broker.stream.replicas", f"{doing}: {exc.description}"
                ) from exc
            raise crossdock_error(exc, doing) from exc
        except (nats.errors.Error, OSError) as exc:
            raise crossdock_error(exc, doing) from exc

    async def publish(self, events: Sequence[OutboxRecord]) -> None:
        """Publish in order, each acknowledged by the stream before the next is sent."""
        for record in events:
            if self._closed:
                raise RetryableError("the JetStream transport is closed")
            subject = self._subjects.event(record.type)
            envelope = to_cloudevent(record)
            try:
                payload = orjson.dumps(envelope)
            except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
                raise PermanentError(f"event {record.event_id} is not JSON: {exc}") from exc
            headers = {
                **attribute_headers(envelope),
                "Content-Type": CONTENT_TYPE,
                "Nats-Msg-Id": record.event_id,
            }
            try:
                ack = await self._js.publish(
                    subject,
                    payload,
                    timeout=self.settings.ack_timeout_s,
                    stream=self.stream_name,
                    headers=headers,
                )
            except (nats.errors.Error, OSError) as exc:
                doing = f"publishing event {record.event_id} to {subject}"
                raise crossdock_error(exc, doing) from exc
            if ack.duplicate:
                log.debug("event %s was already in %s", record.event_id, self.stream_name)

    async def aclose(self) -> None:
        """Refuse further publishes; the connection itself belongs to the broker."""
        self._closed = True

    async def _existing_stream(self) -> StreamInfo | None:
        try:
            return await self._js.stream_info(self.stream_name)
        except nats.js.errors.NotFoundError:
            return None

    async def _create_stream(self) -> bool:
        config = self._wanted(
            StreamConfig(
                name=self.stream_name,
                description=f"crossdock business events of tenant {self._subjects.tenant}",
                retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.OLD,
            )
        )
        try:
            await self._js.add_stream(config)
        except nats.js.errors.BadRequestError as exc:
            if exc.err_code == _STREAM_NAME_IN_USE:
                return False  # another process was first; bring its stream to our settings
            raise
        log.info("created stream %s for %s", self.stream_name, self._subjects.events)
        return True

    def _wanted(self, config: StreamConfig) -> StreamConfig:
        subjects = list(config.subjects or [])
        if self._subjects.events not in subjects:
            subjects.append(self._subjects.events)
        return config.evolve(
            subjects=subjects,
            storage=StorageType.FILE,
            num_replicas=self.settings.replicas,
            duplicate_window=self.settings.duplicate_window_s,
            max_age=self.settings.max_age_s or 0,
        )

    def _matches(self, config: StreamConfig) -> bool:
        return (
            self._subjects.events in (config.subjects or [])
            and config.storage == StorageType.FILE
            and (config.num_replicas or 1) == self.settings.replicas
            and abs(config.duplicate_window - self.settings.duplicate_window_s) < 1e-3
            and abs((config.max_age or 0) - (self.settings.max_age_s or 0)) < 1e-3
        )
