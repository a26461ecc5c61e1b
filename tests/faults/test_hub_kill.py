"""``kill -9`` of the hub at random moments while 1,000 orders flow, restarted each time.

The embedded hub (``crossdock up`` on SQLite) dies mid-transaction, mid-request, mid-webhook. The
ERPs answer after 50 ms, so most kills find creates on the wire that the ERP completes after the
hub is gone; the restarted hub must find them by their external reference (legacy ERP) or replay
its idempotency key (cloud ERP), never create them twice. The storefront and the WMS retry what
the dead hub did not answer. Every order the hub accepted must close, and no sandbox ledger may
hold anything twice.

``CROSSDOCK_FAULT_ORDERS`` scales the run (CI runs the default 1,000); ``CROSSDOCK_FAULT_SEED``
picks other kill moments.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable

import pytest

from crossdock.cluster import LocalCluster

from .books import closed_within, every_repeated_attempt, take_books, total_backlog
from .conftest import StartCluster
from .figures import Figures
from .sampler import Sampler

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ORDERS = int(os.environ.get("CROSSDOCK_FAULT_ORDERS", "1000"))
SEED = int(os.environ.get("CROSSDOCK_FAULT_SEED", "20261126"))
KILLS = 6
BETWEEN_KILLS_S = (2.0, 9.0)
ERP_LATENCY = {"latency_ms": 50}


def in_flight(cluster: LocalCluster) -> int:
    """Deliveries on the wire to either ERP."""
    return cluster.in_flight("legacy_erp") + cluster.in_flight("cloud_erp")


def test_a_hub_killed_at_random_moments_closes_every_accepted_order_exactly_once(
    start_cluster: StartCluster, report: Callable[[Figures], None]
) -> None:
    rng = random.Random(SEED)
    started = time.monotonic()
    cluster = start_cluster()
    for erp in ("legacy_erp", "cloud_erp"):
        cluster.controls.set_faults(erp, **ERP_LATENCY)
    placing = cluster.place_orders_in_background(ORDERS, concurrency=8)
    restarts_s: list[float] = []
    caught_in_flight: list[int] = []

    with Sampler(lambda: total_backlog(cluster), every_s=0.5) as backlog:
        while len(restarts_s) < KILLS:
            time.sleep(rng.uniform(*BETWEEN_KILLS_S))  # the kill moments, not a synchronisation
            if placing.done() and cluster.hub_statuses() == {"closed": ORDERS}:
                break
            caught_in_flight.append(in_flight(cluster))
            restarts_s.append(cluster.restart_hub())
        last_restart = time.monotonic()
        closed_at_last_restart = cluster.hub_statuses().get("closed", 0)
        placing.result(timeout=600)
        everything_closed = closed_within(cluster, ORDERS, timeout_s=600)
        recovered_s = time.monotonic() - last_restart
    books = take_books(cluster)
    repeats = every_repeated_attempt(cluster)

    report(
        Figures(
            scenario="hub_kill_9",
            orders=len(books.accepted),
            lost=len(books.lost),
            duplicate_side_effects=books.duplicate_count,
            duplicates_absorbed=books.webhook_repeats + repeats,
            time_to_recover_s=round(recovered_s, 1) if everything_closed else None,
            backlog_peak=max(backlog.readings(), default=0),
            run_s=round(time.monotonic() - started, 1),
            more={
                "seed": SEED,
                "kills": len(restarts_s),
                "erp_deliveries_in_flight_at_each_kill": caught_in_flight,
                "restart_to_healthy_s": [round(s, 1) for s in restarts_s],
                "closed_at_last_restart": closed_at_last_restart,
                "webhooks_answered_as_repeats": books.webhook_repeats,
                "delivery_attempts_repeated": repeats,
                "storefront_orders_never_accepted": books.refused,
            },
        )
    )
    assert len(restarts_s) >= 3, "the orders closed before the hub was killed three times"
    assert any(caught_in_flight), "no kill landed while ERP creates were on the wire"
    assert everything_closed, books.lost[:20]
    assert books.lost == []
    assert books.refused == 0
    assert books.duplicates == {}
    assert books.unmatched() == {}
