"""``/subscriptions`` and ``/events``: webhook subscriptions per partner, and the event feed.

A partner manages its own subscriptions (``subscriptions:write``) and reads its own events
(``events:read``): events of orders of its customers. Another partner's subscription answers 404,
as if it did not exist. An operator (``admin``) sees every subscription and every event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from crossdock.core.errors import RetryableError
from crossdock.integration.access.principal import Principal, Scope
from crossdock.integration.api.auth import Access, EventsReader, SubscriptionsWriter, client_address
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.integration.contracts import ORDER_EVENTS
from crossdock.integration.subscriptions.callback_url import (
    CallbackPolicy,
    Resolver,
    UnsafeCallback,
    check_callback,
    system_resolver,
)
from crossdock.integration.subscriptions.store import (
    Subscription,
    SubscriptionStore,
    UnknownSubscription,
)
from crossdock.integration.transport.cloudevents import to_cloudevent
from crossdock.orchestration.intake import FieldProblem

T = TypeVar("T")

MAX_PAGE = 500
"""The most events one feed page holds."""


class NewSubscription(BaseModel):
    """A subscription to create. Fields not listed here are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, examples=["https://hooks.example.com/crossdock"])
    """Where to POST events: ``https``, a public host, no credentials in the URL."""
    event_types: list[str] = Field(
        min_length=1, max_length=64, examples=[["crossdock.order.shipment_confirmed.v1"]]
    )
    """The CloudEvent ``type`` values to receive (see ``docs/events.md``)."""


class SubscriptionView(BaseModel):
    """A webhook subscription."""

    id: str
    partner_id: str
    url: str
    event_types: list[str]
    created_at: datetime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionView:
        """The view of a stored subscription."""
        return cls(
            id=subscription.subscription_id,
            partner_id=subscription.partner_id,
            url=subscription.url,
            event_types=list(subscription.event_types),
            created_at=subscription.created_at,
        )


class CreatedSubscription(SubscriptionView):
    """A new subscription, with the secret that signs its deliveries: shown this once."""

    secret: str
    """``whsec_<base64>``: the HMAC-SHA256 key is the base64 part, decoded."""


class SubscriptionList(BaseModel):
    """The caller's subscriptions, oldest first."""

    items: list[SubscriptionView]


class CloudEvent(BaseModel):
    """A business event, as CloudEvents 1.0 structured JSON (the same document webhooks POST)."""

    specversion: str
    id: str
    source: str
    type: str
    subject: str
    time: str
    datacontenttype: str
    dataschema: str
    correlationid: str
    causationid: str
    sequence: str
    data: dict[str, Any]


class EventPage(BaseModel):
    """Events after a cursor, oldest first."""

    items: list[CloudEvent]
    next: str
    """Pass as ``after`` to read on (the same value again when nothing newer has settled)."""


_MISSING: dict[int | str, dict[str, Any]] = {
    404: problem_doc("The caller has no subscription with this id")
}


async def _call(fn: Callable[..., T], /, *args: Any) -> T:
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))
    except UnknownSubscription as exc:
        raise ApiProblem(
            HTTPStatus.NOT_FOUND,
            str(exc),
            slug="unknown-subscription",
            errors=[FieldProblem("subscription_id", str(exc))],
        ) from None


def _owner(caller: Principal) -> str | None:
    """Whose subscriptions the caller may see: its own; an operator's, everyone's."""
    return None if caller.is_admin else caller.partner_id


def subscriptions_router(
    subscriptions: SubscriptionStore,
    policy: CallbackPolicy,
    *,
    resolve: Resolver = system_resolver,
    prefix: str = "/api/v1",
) -> APIRouter:
    """The subscription and feed routes, under ``prefix``."""
    router = APIRouter(prefix=prefix, tags=["events"], responses=API_RESPONSES)

    @router.post(
        "/subscriptions",
        status_code=HTTPStatus.CREATED,
        responses={422: problem_doc("A refused URL or unknown event type")},
    )
    async def create_subscription(
        body: NewSubscription,
        caller: SubscriptionsWriter,
        access: Access,
        request: Request,
        response: Response,
    ) -> CreatedSubscription:
        """Subscribe a URL to event types. The answer carries the signing secret, once. The key
        must also carry ``events:read``: a webhook delivers what the feed would show."""
        if not caller.allows(Scope.EVENTS_READ):
            raise ApiProblem(
                HTTPStatus.FORBIDDEN,
                "a subscription delivers events: the credential needs 'events:read' as well",
                slug="insufficient-scope",
                headers={
                    "WWW-Authenticate": 'Bearer error="insufficient_scope", scope="events:read"'
                },
            )
        problems = [
            FieldProblem(f"event_types[{n}]", f"unknown event type {name!r}")
            for n, name in enumerate(body.event_types)
            if name not in ORDER_EVENTS
        ]
        try:
            await check_callback(body.url, policy, resolve)
        except UnsafeCallback as exc:
            problems.insert(0, FieldProblem("url", exc.reason))
        except RetryableError as exc:
            problems.insert(0, FieldProblem("url", str(exc)))
        if problems:
            raise ApiProblem(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                "the subscription cannot be created",
                slug="invalid-subscription",
                errors=problems,
            )
        issued = await _call(
            subscriptions.create, caller.partner_id, body.url, tuple(body.event_types)
        )
        subscription = issued.subscription
        await anyio.to_thread.run_sync(
            functools.partial(
                access.record,
                "subscription.create",
                outcome="ok",
                partner_id=caller.partner_id,
                key_id=caller.key_id,
                target=subscription.subscription_id,
                remote=client_address(request.scope),
                detail={"url": subscription.url, "event_types": list(subscription.event_types)},
            )
        )
        response.headers["Location"] = f"{prefix}/subscriptions/{subscription.subscription_id}"
        # The signing secret is in this answer only: never cached, never kept for a replay.
        response.headers["Cache-Control"] = "no-store"
        return CreatedSubscription(
            **SubscriptionView.of(subscription).model_dump(), secret=issued.secret
        )

    @router.get("/subscriptions")
    async def list_subscriptions(caller: SubscriptionsWriter) -> SubscriptionList:
        """The caller's active subscriptions."""
        found = await _call(subscriptions.subscriptions, _owner(caller))
        return SubscriptionList(items=[SubscriptionView.of(s) for s in found])

    @router.get("/subscriptions/{subscription_id}", responses=_MISSING)
    async def get_subscription(
        subscription_id: str, caller: SubscriptionsWriter
    ) -> SubscriptionView:
        """One of the caller's subscriptions."""
        found = await _call(subscriptions.subscription, subscription_id, _owner(caller))
        return SubscriptionView.of(found)

    @router.delete(
        "/subscriptions/{subscription_id}",
        status_code=HTTPStatus.NO_CONTENT,
        responses=_MISSING,
    )
    async def delete_subscription(
        subscription_id: str, caller: SubscriptionsWriter, access: Access, request: Request
    ) -> Response:
        """Stop a subscription now; deliveries still queued for it are not sent."""
        await _call(subscriptions.disable, subscription_id, _owner(caller))
        await anyio.to_thread.run_sync(
            functools.partial(
                access.record,
                "subscription.delete",
                outcome="ok",
                partner_id=caller.partner_id,
                key_id=caller.key_id,
                target=subscription_id,
                remote=client_address(request.scope),
            )
        )
        return Response(status_code=HTTPStatus.NO_CONTENT)

    @router.get("/events")
    async def read_events(
        caller: EventsReader,
        after: Annotated[str, Query(pattern=r"^[0-9]{1,19}$")] = "0",
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        type: Annotated[list[str] | None, Query()] = None,
    ) -> EventPage:
        """The caller's events after the cursor ``after`` (``0``: from the first), oldest first,
        optionally of some ``type`` values only. Events appear here once settled: at most a
        moment after they happened, and never before an earlier one."""
        records, horizon = await _call(
            subscriptions.events_after, int(after), limit, tuple(type or ()), caller.tenancy()
        )
        # A short page means the caller has every one of its events up to the horizon.
        cursor = records[-1].seq if len(records) == limit else max(int(after), horizon)
        items = [CloudEvent.model_validate(to_cloudevent(record)) for record in records]
        return EventPage(items=items, next=str(cursor))

    return router
