"""Customer, product and price read models of a :class:`~.memory.MemoryStore`."""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.core.catalog import Price, Product
from crossdock.core.party import Customer
from crossdock.integration.store.memory_tables import CustomerRecord, MemoryTables


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

    def counts(self) -> dict[str, int]:
        return {
            "customers": len(self.t.customers),
            "products": len(self.t.products),
            "prices": len(self.t.prices),
        }
