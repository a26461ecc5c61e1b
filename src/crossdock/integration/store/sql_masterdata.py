"""Customer, product and price read models, in SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, tuple_

from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.integration.store import schema as t
from crossdock.integration.store.sql_repository import SqlRepository
from crossdock.orchestration.store import PriceQuery


class SqlMasterDataRepository(SqlRepository):
    """Customer, product and price read models."""

    def upsert_customers(self, customers: Sequence[Customer]) -> None:
        self._upsert(
            t.customers,
            [
                {"customer_id": c.customer_id, "email": c.email.lower(), "doc": c.model_dump_json()}
                for c in customers
            ],
            ["customer_id"],
        )

    def upsert_products(self, products: Sequence[Product]) -> None:
        self._upsert(
            t.products, [{"sku": p.sku, "doc": p.model_dump_json()} for p in products], ["sku"]
        )

    def upsert_prices(self, prices: Sequence[Price]) -> None:
        self._upsert(
            t.prices,
            [
                {
                    "sku": p.sku,
                    "currency": p.currency,
                    "customer_id": p.customer_id or "",
                    "doc": p.model_dump_json(),
                }
                for p in prices
            ],
            ["sku", "currency", "customer_id"],
        )

    def customer(self, customer_id: str) -> Customer | None:
        doc = self.c.execute(
            select(t.customers.c.doc).where(t.customers.c.customer_id == customer_id)
        ).scalar_one_or_none()
        return None if doc is None else Customer.model_validate_json(doc)

    def customer_by_email(self, email: str) -> Customer | None:
        doc = self.c.execute(
            select(t.customers.c.doc).where(t.customers.c.email == email.lower()).limit(1)
        ).scalar_one_or_none()
        return None if doc is None else Customer.model_validate_json(doc)

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        rows = self.c.execute(select(t.products.c.doc).where(t.products.c.sku.in_(list(skus))))
        found = (Product.model_validate_json(doc) for (doc,) in rows)
        return {product.sku: product for product in found}

    def prices(self, skus: Sequence[str], currency: str, customer_id: str) -> dict[str, Price]:
        p = t.prices
        rows = self.c.execute(
            select(p.c.doc, p.c.customer_id).where(
                p.c.sku.in_(list(skus)),
                p.c.currency == currency,
                or_(p.c.customer_id == "", p.c.customer_id == customer_id),
            )
        )
        chosen: dict[str, Price] = {}
        for doc, owner in sorted(rows, key=lambda row: row[1] != ""):
            price = Price.model_validate_json(doc)
            if owner or price.sku not in chosen:
                chosen[price.sku] = price
        return chosen

    def customer_page(
        self,
        *,
        customer_ids: frozenset[str] | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Customer]:
        c = t.customers.c
        statement = select(c.doc).order_by(c.customer_id).limit(max(limit, 0))
        if customer_ids is not None:
            statement = statement.where(c.customer_id.in_(sorted(customer_ids)))
        if after is not None:
            statement = statement.where(c.customer_id > after)
        return [Customer.model_validate_json(doc) for (doc,) in self.c.execute(statement)]

    def product_page(self, *, after: str | None = None, limit: int = 100) -> list[Product]:
        c = t.products.c
        statement = select(c.doc).order_by(c.sku).limit(max(limit, 0))
        if after is not None:
            statement = statement.where(c.sku > after)
        return [Product.model_validate_json(doc) for (doc,) in self.c.execute(statement)]

    def price_page(self, query: PriceQuery) -> list[Price]:
        c = t.prices.c
        statement = (
            select(c.doc).order_by(c.sku, c.currency, c.customer_id).limit(max(query.limit, 0))
        )
        if query.sku is not None:
            statement = statement.where(c.sku == query.sku)
        if query.currency is not None:
            statement = statement.where(c.currency == query.currency)
        owners = [] if query.customer_ids is None else sorted(query.customer_ids)
        if query.customer_ids is not None and query.list_prices:
            statement = statement.where(or_(c.customer_id == "", c.customer_id.in_(owners)))
        elif query.customer_ids is not None:
            statement = statement.where(c.customer_id.in_(owners))
        elif not query.list_prices:
            statement = statement.where(c.customer_id != "")
        if query.after is not None:
            statement = statement.where(tuple_(c.sku, c.currency, c.customer_id) > query.after)
        return [Price.model_validate_json(doc) for (doc,) in self.c.execute(statement)]

    def counts(self) -> dict[str, int]:
        return {
            name: int(self.c.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in (
                ("customers", t.customers),
                ("products", t.products),
                ("prices", t.prices),
            )
        }
