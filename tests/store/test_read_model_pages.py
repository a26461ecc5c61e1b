"""The store contract: master data and availability read one page at a time, as the API serves it.

Every listing is in key order with a keyset cursor (``after``), so walking the pages visits each
row once even while rows are added between pages.
"""

from __future__ import annotations

from decimal import Decimal

from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition
from crossdock.core.party import Customer
from crossdock.orchestration.store import PriceKey, PriceQuery, Store

from .samples import T0, line, position

D = Decimal


def customer(customer_id: str) -> Customer:
    return Customer(customer_id=customer_id, name=customer_id, legal_entity="A", region="east")


def price(sku: str, amount: str, customer_id: str | None = None, currency: str = "USD") -> Price:
    return Price(sku=sku, currency=currency, unit_price=D(amount), customer_id=customer_id)


def key(found: Price) -> PriceKey:
    return (found.sku, found.currency, found.customer_id or "")


def load_prices(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_prices(
            [
                price("NUT", "12.00"),
                price("BOLT", "3.00"),
                price("BOLT", "2.50", "C-1"),
                price("BOLT", "2.40", "C-2"),
                price("BOLT", "2.80", currency="EUR"),
                price("NUT", "11.00", "C-2"),
            ]
        )


def prices(store: Store, query: PriceQuery) -> list[PriceKey]:
    with store.unit_of_work(write=False) as uow:
        return [key(found) for found in uow.masterdata.price_page(query)]


# ------------------------------------------------------------------ customers and products


def test_customers_are_paged_in_id_order_and_limited_to_the_ids_asked_for(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([customer(c) for c in ("C-3", "C-1", "C-4", "C-2")])

    with store.unit_of_work(write=False) as uow:
        first = uow.masterdata.customer_page(limit=2)
        second = uow.masterdata.customer_page(after=first[-1].customer_id, limit=2)
        past_the_end = uow.masterdata.customer_page(after="C-4")
        own = uow.masterdata.customer_page(customer_ids=frozenset({"C-4", "C-2", "C-9"}))
        own_after = uow.masterdata.customer_page(
            customer_ids=frozenset({"C-4", "C-2"}), after="C-2"
        )
        nobody = uow.masterdata.customer_page(customer_ids=frozenset())

    assert [c.customer_id for c in first] == ["C-1", "C-2"]
    assert [c.customer_id for c in second] == ["C-3", "C-4"]
    assert past_the_end == []
    assert [c.customer_id for c in own] == ["C-2", "C-4"]
    assert [c.customer_id for c in own_after] == ["C-4"]
    assert nobody == []


def test_a_customer_page_answers_the_newest_copy(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([customer("C-1")])
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([customer("C-1").model_copy(update={"name": "Renamed"})])

    with store.unit_of_work(write=False) as uow:
        assert [c.name for c in uow.masterdata.customer_page()] == ["Renamed"]


def test_products_are_paged_in_sku_order(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_products(
            [Product(sku=sku, description=sku.title()) for sku in ("NUT", "BOLT", "WASHER")]
        )

    with store.unit_of_work(write=False) as uow:
        first = uow.masterdata.product_page(limit=2)
        rest = uow.masterdata.product_page(after=first[-1].sku, limit=2)

    assert [p.sku for p in first] == ["BOLT", "NUT"]
    assert [(p.sku, p.description) for p in rest] == [("WASHER", "Washer")]


# ------------------------------------------------------------------ prices


def test_every_price_is_listed_in_key_order_list_price_first(store: Store) -> None:
    load_prices(store)

    assert prices(store, PriceQuery()) == [
        ("BOLT", "EUR", ""),
        ("BOLT", "USD", ""),
        ("BOLT", "USD", "C-1"),
        ("BOLT", "USD", "C-2"),
        ("NUT", "USD", ""),
        ("NUT", "USD", "C-2"),
    ]


def test_a_tenant_sees_list_prices_and_its_own_customers_contract_prices(store: Store) -> None:
    load_prices(store)

    own = prices(store, PriceQuery(customer_ids=frozenset({"C-1"})))
    contract_only = prices(store, PriceQuery(customer_ids=frozenset({"C-2"}), list_prices=False))
    no_customers = prices(store, PriceQuery(customer_ids=frozenset()))

    assert own == [
        ("BOLT", "EUR", ""),
        ("BOLT", "USD", ""),
        ("BOLT", "USD", "C-1"),
        ("NUT", "USD", ""),
    ]
    assert contract_only == [("BOLT", "USD", "C-2"), ("NUT", "USD", "C-2")]
    assert no_customers == [("BOLT", "EUR", ""), ("BOLT", "USD", ""), ("NUT", "USD", "")]


def test_prices_are_filtered_by_sku_and_currency(store: Store) -> None:
    load_prices(store)

    bolts = prices(store, PriceQuery(sku="BOLT", currency="USD", customer_ids=frozenset({"C-2"})))
    every_contract = prices(store, PriceQuery(sku="NUT", list_prices=False))

    assert bolts == [("BOLT", "USD", ""), ("BOLT", "USD", "C-2")]
    assert every_contract == [("NUT", "USD", "C-2")]


def test_walking_the_price_pages_visits_every_price_once(store: Store) -> None:
    load_prices(store)

    walked: list[PriceKey] = []
    after: PriceKey | None = None
    while page := prices(store, PriceQuery(limit=4, after=after)):
        walked.extend(page)
        after = page[-1]

    assert walked == prices(store, PriceQuery())
    assert len(walked) == 6


def test_a_price_reads_back_as_stored(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_prices([price("BOLT", "2.50", "C-1")])

    with store.unit_of_work(write=False) as uow:
        (found,) = uow.masterdata.price_page(PriceQuery())

    assert found == price("BOLT", "2.50", "C-1")


# ------------------------------------------------------------------ availability


def test_positions_are_paged_by_sku_and_location_with_what_is_available(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.inventory.upsert_positions(
            [
                position("NUT", "50"),
                position("BOLT", "100", location="WH2"),
                position("BOLT", "40", safety="5"),
            ],
            T0,
        )
        uow.inventory.reserve("O-1", [line(1, "BOLT", "10")])

    with store.unit_of_work(write=False) as uow:
        first = uow.inventory.position_page(limit=2)
        rest = uow.inventory.position_page(after=(first[-1].sku, first[-1].location))
        bolts = uow.inventory.position_page(sku="BOLT")
        at_wh1 = uow.inventory.position_page(location="WH1")
        one = uow.inventory.position_page(sku="BOLT", location="WH2")
        unknown = uow.inventory.position_page(sku="GHOST")

    def where(found: list[InventoryPosition]) -> list[tuple[str, str]]:
        return [(p.sku, p.location) for p in found]

    assert where(first) == [("BOLT", "WH1"), ("BOLT", "WH2")]
    assert where(rest) == [("NUT", "WH1")]
    assert [(p.location, p.available) for p in bolts] == [("WH1", D(25)), ("WH2", D(100))]
    assert where(at_wh1) == [("BOLT", "WH1"), ("NUT", "WH1")]
    assert where(one) == [("BOLT", "WH2")]
    assert unknown == []
