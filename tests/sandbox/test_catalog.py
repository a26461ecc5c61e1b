from decimal import Decimal

from crossdock.sandbox.catalog import LOCATIONS, seed_catalog


def test_the_same_seed_gives_every_system_the_same_catalog() -> None:
    assert seed_catalog.__wrapped__(7) == seed_catalog.__wrapped__(7)
    assert seed_catalog.__wrapped__(7) != seed_catalog.__wrapped__(8)


def test_customers_are_split_between_legal_entities_with_their_region() -> None:
    catalog = seed_catalog(seed=7, products=60, customers=24)
    entities = [c.legal_entity for c in catalog.customers]
    assert entities.count("A") == entities.count("B") == 12
    assert all(c.region == {"A": "EAST", "B": "WEST"}[c.legal_entity] for c in catalog.customers)
    assert catalog.customers[0].customer_id == "C0001"
    assert len({c.email for c in catalog.customers}) == 24


def test_products_have_two_decimal_prices_and_stock_in_both_warehouses() -> None:
    catalog = seed_catalog()
    assert [p.sku for p in catalog.products[:2]] == ["SKU-0001", "SKU-0002"]
    assert all(p.unit_price.as_tuple().exponent == -2 for p in catalog.prices)
    assert {(i.sku, i.location) for i in catalog.inventory} == {
        (p.sku, loc) for p in catalog.products for loc in LOCATIONS
    }
    assert all(Decimal(500) <= i.on_hand <= Decimal(2000) for i in catalog.inventory)
    assert all(Decimal(0) <= i.safety_stock <= Decimal(20) for i in catalog.inventory)
