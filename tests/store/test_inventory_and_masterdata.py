"""The store contract: stock positions, atomic reservations and master data read models."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crossdock.core.catalog import Price, Product
from crossdock.core.inventory import InventoryPosition
from crossdock.core.party import Customer
from crossdock.integration.store.sql import SqlStore

from .samples import T0, line, position

D = Decimal


def positions(store: SqlStore, *skus: str) -> dict[str, InventoryPosition]:
    with store.unit_of_work(write=False) as uow:
        return {p.sku: p for p in uow.inventory.positions(list(skus), location="WH1")}


def stock(store: SqlStore, *stocked: InventoryPosition) -> None:
    with store.unit_of_work() as uow:
        uow.inventory.upsert_positions(list(stocked), T0)


# ------------------------------------------------------------------ inventory


def test_a_reservation_holds_every_line_or_nothing(store: SqlStore) -> None:
    stock(store, position("BOLT", "100"), position("NUT", "3"))
    before = positions(store, "BOLT", "NUT")

    with store.unit_of_work() as uow:
        held = uow.inventory.reserve("O-1", [line(1, "BOLT", "10"), line(2, "NUT", "4")])
        assert uow.inventory.reserved_for("O-1") == []

    assert held is False
    assert positions(store, "BOLT", "NUT") == before


def test_a_reservation_that_fits_holds_every_line(store: SqlStore) -> None:
    stock(store, position("BOLT", "100"), position("NUT", "4"))

    with store.unit_of_work() as uow:
        assert uow.inventory.reserve("O-1", [line(1, "BOLT", "10"), line(2, "NUT", "4")])

    after = positions(store, "BOLT", "NUT")
    assert (after["BOLT"].reserved, after["BOLT"].available) == (D(10), D(90))
    assert (after["NUT"].reserved, after["NUT"].available) == (D(4), D(0))
    with store.unit_of_work(write=False) as uow:
        assert uow.inventory.reserved_for("O-1") == [line(1, "BOLT", "10"), line(2, "NUT", "4")]


def test_two_lines_of_one_sku_are_held_against_their_total(store: SqlStore) -> None:
    stock(store, position("BOLT", "15"))

    with store.unit_of_work() as uow:
        assert not uow.inventory.reserve("O-1", [line(1, "BOLT", "10"), line(2, "BOLT", "10")])

    assert positions(store, "BOLT")["BOLT"].reserved == 0


def test_a_reservation_never_dips_into_safety_stock(store: SqlStore) -> None:
    stock(store, position("BOLT", "12", safety="3"))

    with store.unit_of_work() as uow:
        assert not uow.inventory.reserve("O-1", [line(1, "BOLT", "10")])
        assert uow.inventory.reserve("O-2", [line(1, "BOLT", "9")])

    assert positions(store, "BOLT")["BOLT"].available == 0


def test_release_gives_back_everything_the_order_holds(store: SqlStore) -> None:
    stock(store, position("BOLT", "100"), position("NUT", "50"))
    with store.unit_of_work() as uow:
        uow.inventory.reserve("O-1", [line(1, "BOLT", "10"), line(2, "NUT", "4")])
        uow.inventory.reserve("O-2", [line(1, "BOLT", "5")])

    with store.unit_of_work() as uow:
        released = uow.inventory.release("O-1")
        assert uow.inventory.reserved_for("O-1") == []
        assert uow.inventory.release("O-1") == []

    assert released == [line(1, "BOLT", "10"), line(2, "NUT", "4")]
    after = positions(store, "BOLT", "NUT")
    assert (after["BOLT"].reserved, after["NUT"].reserved) == (D(5), D(0))


def test_consuming_shipped_stock_reduces_on_hand_and_the_reservation_together(
    store: SqlStore,
) -> None:
    stock(store, position("BOLT", "100"))
    with store.unit_of_work() as uow:
        uow.inventory.reserve("O-1", [line(1, "BOLT", "10")])

    with store.unit_of_work() as uow:
        uow.inventory.consume("O-1", [line(1, "BOLT", "6")])
        assert uow.inventory.reserved_for("O-1") == [line(1, "BOLT", "4")]

    bolt = positions(store, "BOLT")["BOLT"]
    assert (bolt.on_hand, bolt.reserved, bolt.available) == (D(94), D(4), D(90))


def test_a_stock_update_keeps_reservations_and_reports_what_went_up(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.inventory.upsert_positions([position("BOLT", "10")], T0) == ["BOLT@WH1"]
        uow.inventory.reserve("O-1", [line(1, "BOLT", "10")])
        assert uow.inventory.upsert_positions([position("BOLT", "10")], T0) == []
        assert uow.inventory.upsert_positions([position("BOLT", "8")], T0) == []
        assert uow.inventory.upsert_positions([position("BOLT", "30")], T0) == ["BOLT@WH1"]

    bolt = positions(store, "BOLT")["BOLT"]
    assert (bolt.on_hand, bolt.reserved, bolt.available) == (D(30), D(10), D(20))


@pytest.mark.parametrize("quantity", ["0.3333", "0.0001", "1234.5678", "2.5"])
def test_fractional_quantities_round_trip_exactly(store: SqlStore, quantity: str) -> None:
    stock(store, position("WIRE", "5000.0000"))

    with store.unit_of_work() as uow:
        assert uow.inventory.reserve("O-1", [line(1, "WIRE", quantity)])
        assert uow.inventory.reserved_for("O-1")[0].quantity == D(quantity)

    wire = positions(store, "WIRE")["WIRE"]
    assert wire.reserved == D(quantity)
    assert wire.on_hand - wire.reserved == D(5000) - D(quantity)


@pytest.mark.parametrize("quantity", ["10", "100", "2500", "0.5"])
def test_quantities_read_back_as_written(store: SqlStore, quantity: str) -> None:
    """What people see ("10 available", JSON ``"10"``), not an exponent such as ``1E+1``."""
    stock(store, position("BOLT", quantity))

    bolt = positions(store, "BOLT")["BOLT"]

    assert str(bolt.on_hand) == quantity
    assert bolt.model_dump(mode="json")["on_hand"] == quantity


# ------------------------------------------------------------------ master data


def test_a_contract_price_wins_over_the_list_price_for_its_customer_only(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_prices(
            [
                Price(sku="BOLT", currency="USD", unit_price=D("2.50"), customer_id="C-1"),
                Price(sku="BOLT", currency="USD", unit_price=D("3.00")),
                Price(sku="NUT", currency="USD", unit_price=D("12.00")),
                Price(sku="BOLT", currency="EUR", unit_price=D("2.80")),
            ]
        )

    with store.unit_of_work(write=False) as uow:
        contract = uow.masterdata.prices(["BOLT", "NUT"], "USD", "C-1")
        listed = uow.masterdata.prices(["BOLT", "NUT"], "USD", "C-2")

    assert {sku: p.unit_price for sku, p in contract.items()} == {
        "BOLT": D("2.50"),
        "NUT": D("12.00"),
    }
    assert {sku: p.unit_price for sku, p in listed.items()} == {
        "BOLT": D("3.00"),
        "NUT": D("12.00"),
    }


def test_customers_and_products_are_replaced_by_a_newer_copy(store: SqlStore) -> None:
    acme = Customer(
        customer_id="C-1", name="Acme", email="Buyer@Acme.test", legal_entity="A", region="WEST"
    )
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([acme])
        uow.masterdata.upsert_products([Product(sku="BOLT", description="Bolt")])
    with store.unit_of_work() as uow:
        uow.masterdata.upsert_customers([acme.model_copy(update={"legal_entity": "B"})])
        uow.masterdata.upsert_products([Product(sku="BOLT", description="Bolt M8")])

    with store.unit_of_work(write=False) as uow:
        customer = uow.masterdata.customer("C-1")
        by_email = uow.masterdata.customer_by_email("buyer@acme.TEST")
        products = uow.masterdata.products(["BOLT", "GHOST"])
        counts = uow.masterdata.counts()

    assert customer is not None
    assert customer.legal_entity == "B"
    assert by_email == customer
    assert {sku: p.description for sku, p in products.items()} == {"BOLT": "Bolt M8"}
    assert counts == {"customers": 1, "products": 1, "prices": 0}


def test_one_line_consumed_twice_in_one_call_never_goes_below_zero(store: SqlStore) -> None:
    stock(store, position("BOLT", "100"))
    with store.unit_of_work() as uow:
        uow.inventory.reserve("O-1", [line(1, "BOLT", "10")])

    with store.unit_of_work() as uow:
        uow.inventory.consume("O-1", [line(1, "BOLT", "6"), line(1, "BOLT", "6")])
        assert uow.inventory.reserved_for("O-1") == [line(1, "BOLT", "0")]

    bolt = positions(store, "BOLT")["BOLT"]
    assert (bolt.on_hand, bolt.reserved) == (D(88), D(0))


def test_reserving_nothing_holds_nothing_and_succeeds(store: SqlStore) -> None:
    stock(store, position("BOLT", "100"))
    with store.unit_of_work() as uow:
        assert uow.inventory.reserve("O-1", []) is True
        assert uow.inventory.reserved_for("O-1") == []


def test_the_time_of_the_last_stock_change_is_kept_per_position(store: SqlStore) -> None:
    later = T0 + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        uow.inventory.upsert_positions([position("BOLT", "10"), position("NUT", "4")], T0)
        uow.inventory.upsert_positions([position("BOLT", "10"), position("NUT", "6")], later)
        uow.inventory.reserve("O-1", [line(1, "BOLT", "2")])

    with store.unit_of_work(write=False) as uow:
        everything = uow.inventory.changed_between(T0, later + timedelta(seconds=1))
        recent = uow.inventory.changed_between(later, later + timedelta(seconds=1))

    # BOLT was reported unchanged at ``later`` and a reservation is no stock change: still T0.
    assert everything == [("BOLT@WH1", T0), ("NUT@WH1", later)]
    assert recent == [("NUT@WH1", later)]
