"""``/customers``, ``/products``, ``/prices``: master data from crossdock's read models.

The read models are fed from each kind's system of record (:mod:`crossdock.orchestration.sync`);
these routes only read them, with the ``catalog:read`` scope. Every answer carries a strong ETag
and honours ``If-None-Match`` (:mod:`.etags`).

Tenancy: products and list prices are the shared catalog. A partner sees its own customers and
their contract prices only; another partner's customer answers exactly as one that does not
exist would (404), so ids cannot be probed. An admin sees everything.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from crossdock.integration.access.principal import Principal
from crossdock.integration.api.auth import CatalogReader
from crossdock.integration.api.cursors import decode_cursor, encode_cursor
from crossdock.integration.api.etags import CONDITIONAL_RESPONSES, conditional_json
from crossdock.integration.api.masterdata_views import (
    CustomerPage,
    CustomerView,
    PricePage,
    PriceView,
    ProductPage,
    ProductView,
)
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.integration.api.read_models import ReadModels, Reads
from crossdock.orchestration.intake import FieldProblem
from crossdock.orchestration.store import PriceKey, PriceQuery

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
Cursor = Annotated[str | None, Query(min_length=1, description="The `next` cursor of a page")]


def _not_found(what: str) -> dict[int | str, dict[str, object]]:
    return {404: problem_doc(f"No {what} you may see has this id")}


def _unknown_customer(customer_id: str, field: str) -> ApiProblem:
    return ApiProblem(
        HTTPStatus.NOT_FOUND,
        f"no customer {customer_id!r}",
        slug="unknown-customer",
        errors=[FieldProblem(field, f"no customer {customer_id!r}")],
    )


async def _visible_customer_exists(reads: ReadModels, caller: Principal, customer_id: str) -> bool:
    if not caller.owns_customer(customer_id):
        return False
    found = await reads.read(lambda uow: uow.masterdata.customer(customer_id))
    return found is not None


def _price_key(price: PriceView) -> PriceKey:
    return (price.sku, price.currency, price.customer_id or "")


def _price_cursor(after: str | None) -> PriceKey | None:
    if after is None:
        return None
    sku, currency, customer_id = decode_cursor(after, 3)
    return (sku, currency, customer_id)


def masterdata_router() -> APIRouter:
    """The master data routes (mount under the API prefix)."""
    router = APIRouter(tags=["master data"], responses=API_RESPONSES)

    @router.get("/customers", response_model=CustomerPage, responses=CONDITIONAL_RESPONSES)
    async def list_customers(
        request: Request,
        reads: Reads,
        caller: CatalogReader,
        limit: Limit = 50,
        after: Cursor = None,
    ) -> Response:
        """Your customers (every customer, for an admin), in id order, one page at a time."""
        tenancy = caller.tenancy()
        found = await reads.read(
            lambda uow: uow.masterdata.customer_page(
                customer_ids=tenancy, after=after, limit=limit + 1
            )
        )
        page = found[:limit]
        return conditional_json(
            request,
            CustomerPage(
                items=[CustomerView.of(c) for c in page],
                next=page[-1].customer_id if len(found) > limit else None,
            ),
        )

    @router.get(
        "/customers/{customer_id}",
        response_model=CustomerView,
        responses={**CONDITIONAL_RESPONSES, **_not_found("customer")},
    )
    async def get_customer(
        customer_id: str, request: Request, reads: Reads, caller: CatalogReader
    ) -> Response:
        """One of your customers."""
        found = (
            await reads.read(lambda uow: uow.masterdata.customer(customer_id))
            if caller.owns_customer(customer_id)
            else None
        )
        if found is None:
            raise _unknown_customer(customer_id, "customer_id")
        return conditional_json(request, CustomerView.of(found))

    @router.get("/products", response_model=ProductPage, responses=CONDITIONAL_RESPONSES)
    async def list_products(
        request: Request,
        reads: Reads,
        caller: CatalogReader,
        limit: Limit = 50,
        after: Cursor = None,
    ) -> Response:
        """The catalog, in SKU order, one page at a time."""
        del caller  # the catalog is shared: the scope is all it takes
        found = await reads.read(
            lambda uow: uow.masterdata.product_page(after=after, limit=limit + 1)
        )
        page = found[:limit]
        return conditional_json(
            request,
            ProductPage(
                items=[ProductView.of(p) for p in page],
                next=page[-1].sku if len(found) > limit else None,
            ),
        )

    @router.get(
        "/products/{sku}",
        response_model=ProductView,
        responses={**CONDITIONAL_RESPONSES, **_not_found("product")},
    )
    async def get_product(
        sku: str, request: Request, reads: Reads, caller: CatalogReader
    ) -> Response:
        """One product."""
        del caller
        found = await reads.read(lambda uow: uow.masterdata.products([sku]).get(sku))
        if found is None:
            raise ApiProblem(
                HTTPStatus.NOT_FOUND,
                f"no product {sku!r}",
                slug="unknown-product",
                errors=[FieldProblem("sku", f"no product {sku!r}")],
            )
        return conditional_json(request, ProductView.of(found))

    @router.get(
        "/prices",
        response_model=PricePage,
        responses={**CONDITIONAL_RESPONSES, **_not_found("customer")},
    )
    async def list_prices(
        request: Request,
        reads: Reads,
        caller: CatalogReader,
        sku: Annotated[str | None, Query(min_length=1, description="Prices of this SKU")] = None,
        customer: Annotated[
            str | None,
            Query(
                min_length=1,
                description="The prices that apply to this customer: its contract prices and "
                "the list prices",
            ),
        ] = None,
        currency: Annotated[
            str | None, Query(pattern="^[A-Z]{3}$", description="ISO 4217 code")
        ] = None,
        limit: Limit = 50,
        after: Cursor = None,
    ) -> Response:
        """List prices and your customers' contract prices (every price, for an admin), by SKU,
        currency and customer, one page at a time. A contract price wins over the list price
        for its customer."""
        if customer is not None and not await _visible_customer_exists(reads, caller, customer):
            raise _unknown_customer(customer, "customer")
        query = PriceQuery(
            sku=sku,
            currency=currency,
            customer_ids=frozenset({customer}) if customer is not None else caller.tenancy(),
            limit=limit + 1,
            after=_price_cursor(after),
        )
        found = await reads.read(lambda uow: uow.masterdata.price_page(query))
        page = [PriceView.of(price) for price in found[:limit]]
        return conditional_json(
            request,
            PricePage(
                items=page, next=encode_cursor(_price_key(page[-1])) if len(found) > limit else None
            ),
        )

    return router
