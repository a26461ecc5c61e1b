"""An ERP publishes a rate limit and answers 429 with ``Retry-After`` above it.

Paced: the hub's delivery policy for the ERP carries the same limit, so it keeps under it by
itself — the ERP sees at most its limit (plus its burst) in any second and hardly ever has to
refuse. Unpaced: the hub knows no limit, meets 429s, and honours each: a tap between the hub and
the ERP shows that no request arrived while a wait the ERP had asked for (``Retry-After``, or the
more precise ``X-RateLimit-Reset-After``) was running, and every order still closes, each document
created once.

The legacy ERP is the hard case: it has no idempotency keys, so each create is a lookup by
external reference and then the create — two requests for one delivery. Known defects show there
and under a tight limit, each in a test marked ``xfail(strict=True)`` with its reason.

Reference data (customers, products, prices) is read from the legacy ERP every
``CROSSDOCK_WORKER__INVENTORY_SYNC_S``; those reads skip a throttled system but spend none of the
gate's tokens, so the sync is set to once an hour here and the ERP's traffic is the deliveries'
alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from crossdock.cluster import LocalCluster

from .books import closed_within, repeated_attempts, take_books
from .conftest import StartCluster
from .figures import Figures
from .sampler import Sampler
from .tap import Tap

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ORDERS = int(os.environ.get("CROSSDOCK_FAULT_RATE_ORDERS", "60"))
RATE_PER_S = 5.0
BURST = 5
LIMIT = {"rate_limit_per_s": RATE_PER_S, "rate_limit_burst": BURST}
TIGHT = {"rate_limit_per_s": 1.0, "rate_limit_burst": 1}
"""One request a second: each 429 asks for a wait of about a second, long enough to see."""
TIGHT_ORDERS = 20
NO_SYNC = {"CROSSDOCK_WORKER__INVENTORY_SYNC_S": "3600"}


class EarlyRequests(AssertionError):
    """Requests reached the ERP before the wait a 429 asked for was over."""


class OverLimit(AssertionError):
    """The ERP had to refuse more than a few requests of a hub paced to its limit."""


class Starved(AssertionError):
    """Orders did not close in the time a hub that kept to the limit would have needed."""


def check_nothing_lost_to_429s(cluster: LocalCluster, lost: list[str], refused: int) -> None:
    """Fail on lost orders; with :class:`Starved` when the ERP kept refusing with 429s."""
    if not lost:
        return
    exhausted = cluster.hub_get("/api/v1/exceptions", error_type="http_429")["items"]
    assert not exhausted, f"429s raised exceptions: {exhausted[:3]}"
    if refused:
        raise Starved(f"{len(lost)} orders not closed while the ERP refused {refused} requests")
    raise AssertionError(f"{len(lost)} orders not closed: {lost[:20]}")


def _run(
    cluster: LocalCluster,
    erp: str,
    limit: Mapping[str, Any],
    orders: int,
    *,
    timeout_s: float = 300,
) -> tuple[bool, int, float]:
    """Limit the ERP and flow the orders: whether all closed, the ERP's backlog peak, and how
    long the orders took to close."""
    cluster.controls.set_faults(erp, **limit)
    cluster.controls.reset_stats(erp)
    started = time.monotonic()
    with Sampler(lambda: cluster.backlog(erp), every_s=0.5) as backlog:
        cluster.place_orders(orders, concurrency=8)
        closed = closed_within(cluster, orders, timeout_s=timeout_s)
    return closed, max(backlog.readings(), default=0), time.monotonic() - started


@pytest.mark.parametrize(
    "erp",
    [
        "cloud_erp",
        pytest.param(
            "legacy_erp",
            marks=pytest.mark.xfail(
                strict=True,
                raises=(OverLimit, Starved),
                reason="the gate meters deliveries, but a legacy ERP create is two requests "
                "(lookup by external reference, then the create): paced to N deliveries a "
                "second the hub sends up to 2N requests (DeliveryPolicy.rate_limit_per_s); "
                "and its creates starve behind the lookups that take the tokens",
            ),
        ),
    ],
)
def test_a_hub_paced_to_the_erps_published_limit_stays_under_it(
    erp: str, start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    cluster = start_cluster(delivery={erp: LIMIT}, env=NO_SYNC)
    closed, peak, drained_s = _run(cluster, erp, LIMIT, ORDERS)
    stats = cluster.controls.stats(erp)
    books = take_books(cluster)

    report(
        Figures(
            scenario=f"rate_limit_paced_{erp}",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=repeated_attempts(cluster, erp),
            time_to_recover_s=None,
            backlog_peak=peak,
            run_s=round(time.monotonic() - started, 1),
            more={
                "limit_per_s": RATE_PER_S,
                "burst": BURST,
                "orders_closed_in_s": round(drained_s, 1),
                "erp": stats,
            },
        )
    )
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert stats["max_admitted_per_window"] <= RATE_PER_S + BURST
    check_nothing_lost_to_429s(cluster, books.lost, stats["rate_limited"])
    assert closed
    # Arrival jitter costs a paced client the odd 429 at exactly the limit; 10% is far below
    # what an unpaced hub meets (40-70%).
    if stats["rate_limited"] > 0.1 * stats["requests"]:
        raise OverLimit(f"{stats['rate_limited']} of {stats['requests']} requests refused: {stats}")


@pytest.mark.xfail(
    strict=False,
    raises=EarlyRequests,
    reason="on a loaded machine some requests follow a 429 up to ~80 ms before the wait it asked "
    "for is over (1 run in 4 on 2026-11-27): the throttle seems measured from the attempt's start, "
    "not from the 429's arrival (orchestration/deliveries.py); lost or duplicated orders fail",
)
def test_an_unpaced_hub_waits_as_long_as_each_429_asks_and_still_closes_every_order(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    erp = "cloud_erp"
    with Tap() as tap:
        cluster = start_cluster(env=NO_SYNC, through={erp: tap})
        closed, peak, drained_s = _run(cluster, erp, TIGHT, TIGHT_ORDERS)
        early = tap.early_requests()
        refusals = [x for x in tap.exchanges if x.status == 429]
    stats = cluster.controls.stats(erp)
    books = take_books(cluster)

    report(
        Figures(
            scenario=f"rate_limit_unpaced_{erp}",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=repeated_attempts(cluster, erp),
            time_to_recover_s=None,
            backlog_peak=peak,
            run_s=round(time.monotonic() - started, 1),
            more={
                **TIGHT,
                "orders_closed_in_s": round(drained_s, 1),
                "erp": stats,
                "requests_through_the_tap": len(tap.exchanges),
                "refusals_429": len(refusals),
                "requests_inside_an_asked_wait": early[:10],
            },
        )
    )
    assert books.duplicates == {}
    assert books.unmatched() == {}
    assert refusals, "the ERP never had to refuse: the scenario did not exercise 429s"
    if early:
        raise EarlyRequests(f"{len(early)} refusals were followed too early: {early[:3]}")
    check_nothing_lost_to_429s(cluster, books.lost, stats["rate_limited"])
    assert closed


@pytest.mark.xfail(
    strict=True,
    raises=Starved,
    reason="a lookup-before-create delivery is two requests, but after a 429 the hub comes back "
    "when the ERP can take one: under a tight limit each round's lookups take the tokens and the "
    "creates are refused, round after round (orchestration/system_gate.py, deliveries.py)",
)
def test_lookup_before_create_deliveries_get_through_a_tight_rate_limit(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    started = time.monotonic()
    erp = "legacy_erp"
    cluster = start_cluster(env=NO_SYNC)
    # Four requests per legacy order at one a second: a hub that kept to the limit closes these
    # in well under a minute.
    closed, peak, drained_s = _run(
        cluster, erp, {**TIGHT, "rate_limit_burst": 5}, TIGHT_ORDERS // 2, timeout_s=60
    )
    stats = cluster.controls.stats(erp)
    books = take_books(cluster)

    report(
        Figures(
            scenario=f"rate_limit_unpaced_{erp}",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=repeated_attempts(cluster, erp),
            time_to_recover_s=None,
            backlog_peak=peak,
            run_s=round(time.monotonic() - started, 1),
            more={
                **TIGHT,
                "rate_limit_burst": 5,
                "orders_closed_in_s": round(drained_s, 1),
                "erp": stats,
                "statuses": cluster.hub_statuses(),
            },
        )
    )
    assert books.duplicates == {}
    if not closed or books.lost:
        raise Starved(f"{len(books.lost)} orders not closed after 60 s: {stats}")
