"""The console's orders list: filters that combine, pages of 50 that list every order exactly
once and keep the filters, and search that still finds by any number.

Orders go in through the order desk, as a channel would send them, at times the test sets; the
engine does not run, so every order stays ``received`` unless a test drives it further.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from credentials import admin_key
from crossdock.core.order import Order, OrderLine
from engine.hub import CONTRACT_PRICES, CUSTOMERS, LIST_PRICES, SHIP_TO

from .console_hub import ConsoleHub

ORDER_ROW = re.compile(r'<tr data-order="([^"]+)">')


def place(
    hub: ConsoleHub, order_id: str, *, channel: str = "storefront", customer: str = "C-A"
) -> None:
    """``customer`` orders a bolt on ``channel``, now."""
    entity = next(c.legal_entity for c in CUSTOMERS if c.customer_id == customer)
    price = CONTRACT_PRICES.get((customer, "BOLT"), LIST_PRICES["BOLT"])
    order = Order(
        order_id=order_id,
        channel=channel,
        channel_order_number=f"#{order_id}",
        customer_id=customer,
        customer_po=f"PO-{order_id}",
        ship_to=SHIP_TO,
        legal_entity=entity,
        region="WEST",
        lines=(OrderLine(line_no=1, sku="BOLT", quantity=Decimal(1), unit_price=price),),
        received_at=hub.clock.now(),
    )
    assert hub.desk.submit(order, source=channel, dedupe_key=None).created


async def log_in(http: httpx.AsyncClient, hub: ConsoleHub) -> None:
    response = await http.post("/console/login", data={"key": admin_key(hub.access)})
    assert response.status_code == 303


@pytest.fixture
async def operator(hub: ConsoleHub) -> AsyncIterator[httpx.AsyncClient]:
    """A browser logged in to the console with an admin key."""
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await log_in(http, hub)
        yield http


async def listed(operator: httpx.AsyncClient, url: str) -> tuple[list[str], str | None]:
    """The order ids a page lists, and its next page's link (None on the last page)."""
    page = await operator.get(url)
    assert page.status_code == 200
    found = re.search(r'<a href="([^"]+)" id="next-page"', page.text)
    next_page = found.group(1).replace("&amp;", "&") if found else None
    return ORDER_ROW.findall(page.text), next_page


async def every_page(operator: httpx.AsyncClient, url: str) -> list[list[str]]:
    """Each page's order ids, following the next-page links from ``url`` to the last page."""
    pages: list[list[str]] = []
    next_page: str | None = url
    while next_page is not None:
        ids, next_page = await listed(operator, next_page)
        pages.append(ids)
        assert len(pages) < 10, "the next-page links go round in circles"
    return pages


async def test_pages_of_fifty_list_every_order_exactly_once(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    placed = [f"O-{n:03}" for n in range(120)]
    for order_id in placed:
        place(hub, order_id)

    pages = await every_page(operator, "/console/orders")

    assert [len(ids) for ids in pages] == [50, 50, 20]
    every = [order_id for ids in pages for order_id in ids]
    assert sorted(every) == placed, "each order once, none left out"


async def test_an_order_arriving_between_pages_neither_repeats_nor_hides_another(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    for n in range(60):
        place(hub, f"O-{n:03}")
    first, next_page = await listed(operator, "/console/orders")
    place(hub, "O-000a")  # sorts inside the first page, already read

    assert next_page is not None
    second, last = await listed(operator, next_page)

    assert last is None
    assert second == [f"O-{n:03}" for n in range(50, 60)]
    assert not set(first) & set(second)


async def test_filters_combine_and_the_next_page_keeps_them(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    # Day 1 (5 Jan): 30 storefront orders of C-A, 30 EDI orders of C-B.
    # Day 2 (6 Jan): 70 EDI orders of C-B, 10 EDI orders of C-A.
    for n in range(30):
        place(hub, f"D1-SF-{n:03}", channel="storefront", customer="C-A")
        place(hub, f"D1-EDI-{n:03}", channel="edi", customer="C-B")
    hub.clock.advance(timedelta(days=1))
    for n in range(70):
        place(hub, f"D2-EDI-{n:03}", channel="edi", customer="C-B")
    for n in range(10):
        place(hub, f"D2-EDI-A-{n:03}", channel="edi", customer="C-A")
    await log_in(operator, hub)  # the session of day 1 has ended

    url = "/console/orders?channel=edi&customer=C-B&received_from=2026-01-06&received_to=2026-01-06"
    pages = await every_page(operator, url)

    assert [len(ids) for ids in pages] == [50, 20]
    assert sorted(i for ids in pages for i in ids) == [f"D2-EDI-{n:03}" for n in range(70)]
    _, next_page = await listed(operator, url)
    assert next_page is not None
    for kept in (
        "channel=edi",
        "customer=C-B",
        "received_from=2026-01-06",
        "received_to=2026-01-06",
    ):
        assert kept in next_page
    assert (await listed(operator, "/console/orders?channel=edi&received_to=2026-01-05"))[0] == [
        f"D1-EDI-{n:03}" for n in range(30)
    ]
    day_one_c_a = await every_page(operator, "/console/orders?customer=C-A&received_to=2026-01-05")
    assert day_one_c_a == [[f"D1-SF-{n:03}" for n in range(30)]]
    assert (await listed(operator, "/console/orders?channel=storefront&customer=C-B"))[0] == []


async def test_status_combines_with_the_other_filters(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    place(hub, "O-A1", customer="C-A")
    place(hub, "O-A2", customer="C-A")
    place(hub, "O-B1", customer="C-B")
    hub.steps.run_batch()  # each of the three takes its first step
    moved = hub.row("O-A1").status.value
    assert moved != "received"
    assert hub.row("O-B1").status.value == moved
    place(hub, "O-A3", customer="C-A")  # no step has run for it: still received

    received_a, _ = await listed(operator, "/console/orders?status=received&customer=C-A")
    moved_a, _ = await listed(operator, f"/console/orders?status={moved}&customer=C-A")
    moved_b, _ = await listed(operator, f"/console/orders?status={moved}&customer=C-B")
    moved_edi, _ = await listed(operator, f"/console/orders?status={moved}&channel=edi")

    assert received_a == ["O-A3"]
    assert moved_a == ["O-A1", "O-A2"]
    assert moved_b == ["O-B1"]
    assert moved_edi == []


async def test_search_still_finds_by_any_number_and_honours_the_filters(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    place(hub, "O-1", channel="edi", customer="C-B")

    found, _ = await listed(operator, "/console/orders?q=PO-O-1")
    same_channel, _ = await listed(operator, "/console/orders?q=PO-O-1&channel=edi")
    other_channel, _ = await listed(operator, "/console/orders?q=PO-O-1&channel=storefront")
    later, _ = await listed(operator, "/console/orders?q=%23O-1&received_from=2026-01-06")

    assert (found, same_channel) == (["O-1"], ["O-1"])
    assert (other_channel, later) == ([], [])


async def test_a_date_that_is_not_a_date_is_said_and_left_out(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    place(hub, "O-1")

    page = await operator.get("/console/orders", params={"received_from": "5 January"})

    assert page.status_code == 200
    assert "“5 January” is not a date (YYYY-MM-DD): received from is left out." in page.text
    assert ORDER_ROW.findall(page.text) == ["O-1"]


async def test_the_second_page_links_back_to_the_first_with_the_same_filters(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    for n in range(55):
        place(hub, f"O-{n:03}", channel="edi")
    _, next_page = await listed(operator, "/console/orders?channel=edi")
    assert next_page is not None

    second = (await operator.get(next_page)).text

    assert '<a href="/console/orders?channel=edi" id="first-page">' in second
    assert 'id="next-page"' not in second
    assert 'id="first-page"' not in (await operator.get("/console/orders?channel=edi")).text
