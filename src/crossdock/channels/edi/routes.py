"""The EDI part of the API: partner profiles, the file archive, and a way in for files.

``/api/v1/edi/partners``          the partner profiles (as the estate file declares them)
``/api/v1/edi/files``             archived files, newest first, by partner or order
``/api/v1/edi/files/{id}``        one file's record; ``…/content`` its exact bytes
``/api/v1/orders/{id}/documents`` the files an order's timeline links to
``POST /api/v1/edi/inbound``      a file taken as if the partner sent it (``crossdock edi send``)
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from crossdock.channels.edi.inbox import EdiInbox, InboundReceipt
from crossdock.channels.edi.partner import PartnerDirectory, PartnerProfile
from crossdock.integration.access.principal import Scope
from crossdock.integration.api.auth import OrdersReader, require
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.integration.api.tenancy import owned_order
from crossdock.orchestration.partner_documents import PartnerFile
from crossdock.orchestration.store import Store

MAX_INBOUND_BYTES = 64 * 1024 * 1024
"""Largest file ``POST /edi/inbound`` takes."""


class PartnerFileView(BaseModel):
    """An archived file's record (its content is served apart)."""

    file_id: str
    partner: str
    direction: str
    transport: str
    name: str
    size: int
    at: datetime
    status: str
    summary: str
    order_ids: list[str]

    @classmethod
    def of(cls, file: PartnerFile) -> PartnerFileView:
        """The view of a stored file."""
        return cls(
            file_id=file.file_id,
            partner=file.partner,
            direction=file.direction,
            transport=file.transport,
            name=file.name,
            size=len(file.content),
            at=file.at,
            status=file.status,
            summary=file.summary,
            order_ids=list(file.order_ids),
        )


class InboundReceiptView(BaseModel):
    """What became of a file taken in."""

    file_id: str
    partner: str
    status: str
    summary: str
    order_ids: list[str]
    acknowledgements: list[str]
    """Files queued back to the partner (TA1, 997)."""

    @classmethod
    def of(cls, receipt: InboundReceipt) -> InboundReceiptView:
        """The view of a receipt."""
        return cls(
            file_id=receipt.file_id,
            partner=receipt.partner,
            status=receipt.status,
            summary=receipt.summary,
            order_ids=list(receipt.order_ids),
            acknowledgements=list(receipt.acknowledgements),
        )


def edi_router(store: Store, partners: PartnerDirectory, inbox: EdiInbox, prefix: str) -> APIRouter:
    """The EDI routes, mounted under ``prefix`` (``/api/v1``)."""
    router = APIRouter(prefix=prefix, tags=["edi"], responses=API_RESPONSES)
    admin = [Depends(require(Scope.ADMIN))]
    missing: dict[int | str, dict[str, Any]] = {404: problem_doc("No such partner or file")}

    @router.get("/edi/partners", dependencies=admin)
    async def list_partners() -> list[PartnerProfile]:
        """Every trading partner's profile."""
        return list(partners)

    @router.get("/edi/partners/{name}", responses=missing, dependencies=admin)
    async def get_partner(name: str) -> PartnerProfile:
        """One partner's profile."""
        profile = partners.get(name)
        if profile is None:
            raise ApiProblem(HTTPStatus.NOT_FOUND, f"no EDI partner is named {name!r}")
        return profile

    def files(partner: str | None, order_id: str | None, limit: int) -> list[PartnerFile]:
        with store.unit_of_work(write=False) as uow:
            return uow.partner_documents.files(partner=partner, order_id=order_id, limit=limit)

    def one(file_id: str) -> PartnerFile:
        with store.unit_of_work(write=False) as uow:
            found = uow.partner_documents.file(file_id)
        if found is None:
            raise ApiProblem(HTTPStatus.NOT_FOUND, f"no archived file has id {file_id!r}")
        return found

    @router.get("/edi/files", dependencies=admin)
    async def list_files(
        partner: str | None = None,
        order_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[PartnerFileView]:
        """Archived files, newest first."""
        found = await store.run(files, partner, order_id, limit)
        return [PartnerFileView.of(file) for file in found]

    @router.get("/orders/{order_id}/documents", tags=["orders"], responses=missing)
    async def order_documents(order_id: str, caller: OrdersReader) -> list[PartnerFileView]:
        """The partner files about an order (received and sent)."""
        await store.run(owned_order, store, caller, order_id)
        found = await store.run(files, None, order_id, 1000)
        return [PartnerFileView.of(file) for file in found]

    @router.get("/edi/files/{file_id}", responses=missing, dependencies=admin)
    async def get_file(file_id: str) -> PartnerFileView:
        """One file's record."""
        return PartnerFileView.of(await store.run(one, file_id))

    @router.get(
        "/edi/files/{file_id}/content",
        responses={**missing, 200: {"content": {"application/edi-x12": {}}}},
        dependencies=admin,
    )
    async def get_content(file_id: str) -> Response:
        """The file's bytes, exactly as they travelled."""
        file = await store.run(one, file_id)
        return Response(content=file.content, media_type="application/edi-x12")

    @router.post(
        "/edi/inbound",
        status_code=HTTPStatus.ACCEPTED,
        responses={
            404: problem_doc("No EDI partner has the name given in `partner`"),
            413: problem_doc("The file is too large"),
        },
        dependencies=admin,
    )
    async def post_inbound(
        request: Request, partner: str | None = None, name: str = "upload.edi"
    ) -> InboundReceiptView:
        """Take an X12 file as if the partner had sent it (the body is the file)."""
        if partner is not None and partners.get(partner) is None:
            raise ApiProblem(HTTPStatus.NOT_FOUND, f"no EDI partner is named {partner!r}")
        body = await request.body()
        if len(body) > MAX_INBOUND_BYTES:
            raise ApiProblem(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the file is too large")
        receipt = await inbox.receive(body, transport="api", name=name, partner=partner)
        return InboundReceiptView.of(receipt)

    return router
