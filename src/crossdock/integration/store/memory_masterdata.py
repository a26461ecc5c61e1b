"""Customer, product and price read models of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.integration.store.memory_tables import CustomerRecord, MemoryTables
from crossdock.orchestration.store import PriceQuery


class MemoryMasterDataRepository:
    """Read models of customers, products and prices, fed from their system of record."""

    def __init__(self, tables: MemoryTables) -> None:
        self.t = tables

    def upsert_customers(self, customers: Sequence[Customer]) -> None:
        for customer in customers:
            # A replaced customer keeps its place: lookups by email scan in first-stored order.
            self.t.customers.put(
                customer.customer_id,
                CustomerRecord(doc=customer.model_dump_json(), email=customer.email.lower()),
            )

    def upsert_products(self, products: Sequence[Product]) -> None:
        for product in products:
            self.t.products.put(product.sku, product.model_dump_json())

    def upsert_prices(self, prices: Sequence[Price]) -> None:
        for price in prices:
            key = (price.sku, price.currency, price.customer_id or "")
            self.t.prices.put(key, price.model_dump_json())

    def customer(self, customer_id: str) -> Customer | None:
        record = self.t.customers.get(customer_id)
        return None if record is None else Customer.model_validate_json(record.doc)

    def customer_by_email(self, email: str) -> Customer | None:
        # Two customers may share an email; the one stored first answers, as in SQLite.
        wanted = email.lower()
        first = next((r for r in self.t.customers.values() if r.email == wanted), None)
        return None if first is None else Customer.model_validate_json(first.doc)

    def products(self, skus: Sequence[str]) -> dict[str, Product]:
        docs = (self.t.products.get(sku) for sku in dict.fromkeys(skus))
        found = (Product.model_validate_json(doc) for doc in docs if doc is not None)
        return {product.sku: product for product in found}

    def prices(self, skus: Sequence[str], currency: str, customer_id: str) -> dict[str, Price]:
        chosen: dict[str, Price] = {}
        for sku in dict.fromkeys(skus):
            # The contract price first, else the list price (stored under no customer).
            doc = self.t.prices.get((sku, currency, customer_id)) or self.t.prices.get(
                (sku, currency, "")
            )
            if doc is not None:
                chosen[sku] = Price.model_validate_json(doc)
        return chosen

    def customer_page(
        self,
        *,
        customer_ids: frozenset[str] | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Customer]:
        matching = (
            record.doc
            for customer_id, record in sorted(self.t.customers.items())
            if (customer_ids is None or customer_id in customer_ids)
            and (after is None or customer_id > after)
        )
        return [Customer.model_validate_json(doc) for doc in islice(matching, max(limit, 0))]

    def product_page(self, *, after: str | None = None, limit: int = 100) -> list[Product]:
        matching = (
            doc for sku, doc in sorted(self.t.products.items()) if after is None or sku > after
        )
        return [Product.model_validate_json(doc) for doc in islice(matching, max(limit, 0))]

    def price_page(self, query: PriceQuery) -> list[Price]:
        def wanted(sku: str, currency: str, owner: str) -> bool:
            if owner:
                visible = query.customer_ids is None or owner in query.customer_ids
            else:
                visible = query.list_prices
            return (
                visible
                and (query.sku is None or sku == query.sku)
                and (query.currency is None or currency == query.currency)
                and (query.after is None or (sku, currency, owner) > query.after)
            )

        matching = (doc for key, doc in sorted(self.t.prices.items()) if wanted(*key))
        return [Price.model_validate_json(doc) for doc in islice(matching, max(query.limit, 0))]

    def counts(self) -> dict[str, int]:
        return {
            "customers": len(self.t.customers),
            "products": len(self.t.products),
            "prices": len(self.t.prices),
        }
