"""``POST /as2`` (partners' AS2 messages) and ``POST /as2/mdn`` (asynchronous MDNs for ours).

The route reads the raw body, lets :class:`~.receiver.As2Receiver` do the AS2 work, and maps the
result: a synchronous MDN is the 200 response's body; an asynchronous one is POSTed to the
sender's ``Receipt-Delivery-Option`` after a bodiless 200 (RFC 4130 §7.3). A request that is not
AS2 gets a 400 problem. A refusal when no MDN was asked for is a 422 problem, the only way left
to tell the sender.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import APIRouter, BackgroundTasks, Request, Response

from crossdock.channels.edi.as2.client import As2Client
from crossdock.channels.edi.as2.errors import MdnUnreadable, NotAs2Request
from crossdock.channels.edi.as2.mdn import Mdn, parse_mdn
from crossdock.channels.edi.as2.receiver import As2Receiver, Handler, MdnReply, PartnerDirectory
from crossdock.core.errors import CrossdockError
from crossdock.integration.api.problems import PROBLEM_RESPONSES, problem_response
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.intake import FieldProblem

log = logging.getLogger("crossdock.as2")

MdnCallback = Callable[[Mdn], Awaitable[None]]
"""Takes an asynchronous MDN for one of our messages (checks it with ``Mdn.check`` against the
MIC stored at sending, and records the outcome)."""

Undelivered = Callable[[MdnReply, CrossdockError], Awaitable[None]]
"""Told when an asynchronous MDN could not be POSTed (to queue it for another try)."""


async def _log_undelivered(reply: MdnReply, error: CrossdockError) -> None:
    log.error("AS2 MDN for %s not delivered to %s: %s", reply.original_message_id, reply.url, error)


def as2_router(
    receive: Handler,
    *,
    partners: PartnerDirectory,
    client: As2Client,
    mdn_received: MdnCallback,
    mdn_undelivered: Undelivered = _log_undelivered,
    path: str = "/as2",
    mdn_path: str = "/as2/mdn",
    reporting_ua: str = "crossdock",
    domain: str = "crossdock",
    clock: Clock | None = None,
) -> APIRouter:
    """The AS2 routes.

    ``receive`` takes each message from a known partner; ``partners`` finds the agreement for an
    (AS2-From, AS2-To) pair; ``client`` POSTs asynchronous MDNs; ``mdn_received`` takes the
    asynchronous MDNs partners send for our messages.
    """
    receiver = As2Receiver(partners, receive, reporting_ua=reporting_ua, domain=domain, clock=clock)
    router = APIRouter(tags=["as2"])

    async def deliver(reply: MdnReply) -> None:
        try:
            await client.send_mdn(reply)
        except CrossdockError as exc:
            await mdn_undelivered(reply, exc)

    @router.post(
        path,
        responses={
            **PROBLEM_RESPONSES,
            200: {"description": "The synchronous MDN, or empty (asynchronous or no MDN)"},
        },
    )
    async def as2_message(request: Request, background: BackgroundTasks) -> Response:
        """Receive an AS2 message; answer with its MDN."""
        try:
            receipt = await receiver.receive(request.headers, await request.body())
        except NotAs2Request as exc:
            return problem_response(
                HTTPStatus.BAD_REQUEST,
                str(exc),
                instance=request.url.path,
                slug="not-as2",
                errors=[FieldProblem(name, "required AS2 header") for name in exc.missing],
            )
        reply = receipt.reply
        if reply is None:
            if receipt.disposition.ok:
                return Response(status_code=HTTPStatus.OK)
            return problem_response(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                f"{receipt.disposition}: {receipt.text}",
                instance=request.url.path,
                slug="as2-refused",
            )
        if reply.url is not None:
            background.add_task(deliver, reply)
            return Response(status_code=HTTPStatus.OK)
        return Response(content=reply.body, status_code=HTTPStatus.OK, headers=reply.headers)

    @router.post(mdn_path, responses=PROBLEM_RESPONSES)
    async def as2_mdn(request: Request) -> Response:
        """Take an asynchronous MDN for one of our messages."""
        content_type = request.headers.get("content-type", "")
        try:
            mdn = parse_mdn(content_type, await request.body())
        except MdnUnreadable as exc:
            return problem_response(
                HTTPStatus.BAD_REQUEST, str(exc), instance=request.url.path, slug="not-an-mdn"
            )
        await mdn_received(mdn)
        return Response(status_code=HTTPStatus.OK)

    return router
