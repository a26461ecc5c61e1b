"""``Subjects``: one tenant's names on the broker — its event subjects, wake-up subjects, stream.

::

    crossdock.<tenant>.order.<event>    business events, stored in the stream CROSSDOCK_<TENANT>
    crossdock.<tenant>.wake.<topic…>    wake-ups between workers, core NATS only (never stored)

A wake-up topic's ``:``-separated parts become subject tokens (``delivery:legacy_erp`` →
``wake.delivery.legacy_erp``), so a person can watch one system's wake-ups with a wildcard. Any
character that is not a letter, digit, ``_`` or ``-`` is percent-encoded, so every topic maps to
a valid subject and back.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from crossdock.core.errors import ConfigurationError, PermanentError

_TENANT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_EVENT_TYPE = re.compile(r"crossdock\.order\.(?P<event>[a-z0-9_]+)\.v[0-9]+")
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class Subjects:
    """The subject namespace of one tenant."""

    def __init__(self, tenant: str) -> None:
        if not _TENANT.fullmatch(tenant):
            raise ConfigurationError(
                "broker.tenant",
                f"{tenant!r} is not a tenant name: use lower-case letters, digits, '_' and '-' "
                "(at most 64, starting with a letter or digit)",
            )
        self.tenant = tenant
        self.root = f"crossdock.{tenant}"
        self.events = f"{self.root}.order.>"
        """Every business event of the tenant: what the stream stores."""
        self.wakeups = f"{self.root}.wake.>"
        """Every wake-up of the tenant: what each worker subscribes to."""
        self.default_stream = f"CROSSDOCK_{tenant.upper()}"

    def event(self, event_type: str) -> str:
        """The subject of a business event: ``crossdock.order.shipment_confirmed.v1`` →
        ``crossdock.<tenant>.order.shipment_confirmed``. The version stays in the event's type."""
        match = _EVENT_TYPE.fullmatch(event_type)
        if match is None:
            raise PermanentError(
                f"event type {event_type!r} has no subject: expected crossdock.order.<event>.v<n>"
            )
        return f"{self.root}.order.{match['event']}"

    def wake(self, topic: str) -> str:
        """The subject a wake-up for ``topic`` travels on."""
        parts = topic.split(":")
        if not all(parts):
            raise ValueError(f"wake-up topic {topic!r} has an empty part")
        return f"{self.root}.wake." + ".".join(_escape(part) for part in parts)

    def topic_of(self, subject: str) -> str:
        """The wake-up topic a subject carries (the inverse of :meth:`wake`)."""
        prefix = f"{self.root}.wake."
        if not subject.startswith(prefix) or len(subject) == len(prefix):
            raise ValueError(f"{subject!r} is not a wake-up subject of tenant {self.tenant!r}")
        return ":".join(
            unquote(token, errors="strict") for token in subject[len(prefix) :].split(".")
        )


def _escape(part: str) -> str:
    return "".join(
        char if char in _SAFE else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in part
    )
