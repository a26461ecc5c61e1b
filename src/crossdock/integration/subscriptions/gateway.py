"""Partners' webhook endpoints as the system ``webhooks``: signed CloudEvents over HTTPS.

Each ``deliver_event`` delivery POSTs one event in CloudEvents structured mode
(``Content-Type: application/cloudevents+json``, the same document the feed and NATS carry),
signed the Standard Webhooks way::

    webhook-id:         the event id (the same on every retry: deduplicate on it)
    webhook-timestamp:  seconds since the epoch, when this attempt was sent
    webhook-signature:  v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed by the secret>

The subscription's URL is checked again before every attempt, and the request goes to the very
address that passed (:mod:`.callback_url`); redirects are not followed. Answers are classified by
:mod:`crossdock.integration.outbound.errors`, with two differences:

* **410 Gone** disables the subscription (the partner says the endpoint is gone for good) and the
  delivery fails permanently;
* **429** is retried after the partner's ``Retry-After``, but as this delivery's own wait: the
  ``webhooks`` system is shared by every partner, and one partner asking us to slow down must not
  pause deliveries to the others (a plain ``http_429`` would throttle the whole system).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from datetime import timedelta

import httpx
import orjson

from crossdock.core.errors import PermanentError, RetryableError
from crossdock.integration.outbound.errors import (
    error_for_response,
    error_for_transport,
    wait_for_response,
)
from crossdock.integration.subscriptions.callback_url import (
    CallbackPolicy,
    Resolver,
    check_callback,
    system_resolver,
)
from crossdock.integration.subscriptions.fan_out import SYSTEM
from crossdock.integration.subscriptions.store import SubscriptionStore, secret_key
from crossdock.integration.transport.cloudevents import to_cloudevent
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.delivery_policy import BreakerPolicy, DeliveryPolicy
from crossdock.orchestration.messages import DeliverEvent, DeliveryCommand, Message
from crossdock.orchestration.retry import RetryPolicy

log = logging.getLogger("crossdock.webhooks")

CLOUDEVENTS_JSON = "application/cloudevents+json"
USER_AGENT = "crossdock-webhooks/1"

DELIVERY_POLICY = DeliveryPolicy(
    retry=RetryPolicy(
        initial_interval=timedelta(seconds=5),
        max_interval=timedelta(minutes=30),
        max_attempts=10,
        deadline=timedelta(hours=24),
    ),
    # Every partner's endpoint shares the one system ``webhooks``: a circuit would let one dead
    # endpoint stop deliveries to all the others, so it is effectively never opened. Each
    # delivery still backs off on its own.
    breaker=BreakerPolicy(failure_threshold=1_000_000, failure_rate=1.0, min_calls=1_000_000),
    concurrency=16,
)
"""The delivery policy of the system ``webhooks`` (register it with the delivery runner)."""


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of a body (``v1,<base64 HMAC-SHA256>``)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


class WebhookGateway:
    """Carries ``deliver_event`` deliveries to partners' callback URLs."""

    operations = frozenset({"deliver_event"})

    def __init__(
        self,
        subscriptions: SubscriptionStore,
        policy: CallbackPolicy,
        clock: Clock,
        *,
        resolve: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.subscriptions = subscriptions
        self.policy = policy
        self.clock = clock
        self.resolve = resolve
        # No environment proxies (they would bypass the address check) and no redirects (a
        # redirect could lead anywhere, the hub's own network included).
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    @property
    def system(self) -> str:
        """``webhooks``."""
        return SYSTEM

    def supports(self, operation: str) -> bool:
        """Only ``deliver_event``."""
        return operation in self.operations

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        """POST the event to the subscription's URL, signed; raise what the answer means."""
        if not isinstance(command, DeliverEvent):
            raise PermanentError(f"{SYSTEM} does not support {command.operation}")
        target = await asyncio.to_thread(self.subscriptions.target, command.subscription_id)
        if target is None or not target.active:
            # The partner deleted the subscription after this delivery was queued: it asked not
            # to receive events any more, so there is nothing to send.
            log.info("subscription %s is gone: event not sent", command.subscription_id)
            return None
        event = await asyncio.to_thread(self.subscriptions.event, command.event_id)
        if event is None:
            raise PermanentError(f"event {command.event_id} is not in the outbox", code="mapping")
        checked = await check_callback(target.url, self.policy, self.resolve)
        body = orjson.dumps(to_cloudevent(event))
        timestamp = int(self.clock.now().timestamp())
        url, host, extensions = checked.pinned()
        headers = {
            **host,
            "Content-Type": CLOUDEVENTS_JSON,
            "webhook-id": event.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(target.secret, event.event_id, timestamp, body),
        }
        who = f"{SYSTEM} of {target.partner_id}"
        try:
            response = await self.client.post(
                url, content=body, headers=headers, extensions=extensions
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_transport(
                exc, system=who, method="POST", path=url.path, creates=False
            ) from exc
        if response.is_success:
            return None
        if response.status_code == 410:
            await asyncio.to_thread(self.subscriptions.disable, target.subscription_id, None)
            raise PermanentError(
                f"{who} POST {url.path} answered 410: the endpoint is gone; "
                f"subscription {target.subscription_id} is disabled",
                code="http_410",
            )
        if response.status_code == 429:
            raise RetryableError(
                f"{who} POST {url.path} answered 429: too many requests",
                retry_after=wait_for_response(response, now=self.clock.now()),
                code="partner_throttled",
            )
        raise error_for_response(response, system=who, now=self.clock.now())

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()
