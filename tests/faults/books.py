"""Books: what the sandbox estate holds against what the hub accepted, after a fault scenario.

Zero lost means every order the hub accepted (a channel was answered 2xx, or the hub stores it)
is closed. Zero duplicated means every sandbox system holds each document once: one sales order
per order across both ERPs, one fulfilment request per order, one invoice per shipped shipment
(the WMS's own shipments say which), one status update per order, status and detail.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, or_, select

from crossdock.cluster import LocalCluster, wait_for
from crossdock.integration.store import schema as t

ERPS = ("legacy_erp", "cloud_erp")


def _extra(counts: Counter[Any]) -> int:
    return sum(seen - 1 for seen in counts.values() if seen > 1)


@dataclass(frozen=True, kw_only=True)
class Books:
    """Both sides of the ledger after a run."""

    accepted: frozenset[str]
    """Orders the hub accepted: answered 2xx to a channel, or stored."""
    refused: int
    """Storefront orders the hub never answered 2xx (the storefront gave up retrying)."""
    statuses: Mapping[str, str]
    """Each stored order's status."""
    sales_orders: Counter[str]
    """Sales orders per order id, both ERPs together."""
    fulfilments: Counter[str]
    """Fulfilment requests per order id in the WMS."""
    invoices: Counter[str]
    """Invoices per invoice id (``<order id>-<shipment id>``), both ERPs together."""
    shipped: Mapping[str, str]
    """The invoice ids the WMS's shipped shipments (with a quantity) call for, and their order."""
    status_updates: Counter[tuple[str, str, str]]
    """Status updates per (order, status, detail) in customer service."""
    webhook_repeats: int
    """Storefront webhooks the hub answered as repeats: absorbed at intake."""

    @property
    def lost(self) -> list[str]:
        """Accepted orders that are not closed."""
        return sorted(o for o in self.accepted if self.statuses.get(o) != "closed")

    @property
    def duplicates(self) -> dict[str, int]:
        """Extra documents per kind; empty when nothing was done twice."""
        found = {
            "sales_order": _extra(self.sales_orders),
            "fulfilment": _extra(self.fulfilments),
            "invoice": _extra(self.invoices),
            "status_update": _extra(self.status_updates),
        }
        return {kind: extra for kind, extra in found.items() if extra}

    @property
    def duplicate_count(self) -> int:
        """Every extra document in every system."""
        return sum(self.duplicates.values())

    def unmatched(self) -> dict[str, list[str]]:
        """Documents missing or unexpected, per kind; empty when each exists exactly once (what a
        closed order needs: its sales order, its fulfilment, an invoice per shipped shipment)."""
        closed = {o for o, status in self.statuses.items() if status == "closed"}
        gaps = {
            "sales orders missing": sorted(closed - set(self.sales_orders)),
            "fulfilments missing": sorted(closed - set(self.fulfilments)),
            "invoices missing": sorted(
                invoice
                for invoice, order in self.shipped.items()
                if order in closed and invoice not in self.invoices
            ),
            "invoices without a shipment": sorted(set(self.invoices) - set(self.shipped)),
        }
        return {what: ids[:20] for what, ids in gaps.items() if ids}


def take_books(cluster: LocalCluster, *, api_orders: Iterable[str] = ()) -> Books:
    """Read the hub's orders and every sandbox system's ledger."""
    controls = cluster.controls
    storefront = [d for d in controls.ledger("storefront") if d["kind"] == "order"]
    answered = {
        str(d["body"]["hub_order_id"])
        for d in storefront
        if d["body"].get("hub_order_id") and 200 <= (d["body"].get("status_code") or 0) < 300
    }
    repeats = sum(
        1
        for d in storefront
        for attempt in d["body"].get("deliveries", [])
        if attempt.get("status_code") == 200
    )
    statuses = {str(o["order_id"]): str(o["status"]) for o in cluster.hub_orders()}
    erp_documents = [d for erp in ERPS for d in controls.ledger(erp)]
    fulfilments = [d for d in controls.ledger("wms") if d["kind"] == "fulfilment"]
    updates = [d for d in controls.ledger("customer_service") if d["kind"] == "status_update"]
    return Books(
        accepted=frozenset(answered | set(api_orders) | set(statuses)),
        refused=len(storefront) - len(answered),
        statuses=statuses,
        sales_orders=Counter(
            d["external_ref"] for d in erp_documents if d["kind"] == "sales_order"
        ),
        fulfilments=Counter(d["external_ref"] for d in fulfilments),
        invoices=Counter(d["external_ref"] for d in erp_documents if d["kind"] == "invoice"),
        shipped=_shipped_invoices(cluster, fulfilments),
        status_updates=Counter(
            (
                str(d["external_ref"]),
                str(d["body"].get("status")),
                json.dumps(d["body"].get("detail") or {}, sort_keys=True),
            )
            for d in updates
        ),
        webhook_repeats=repeats,
    )


def _shipped_invoices(cluster: LocalCluster, fulfilments: list[dict[str, Any]]) -> dict[str, str]:
    """``<order id>-<shipment id>`` of every shipment the WMS shipped with a quantity, with the
    order id."""
    expected: dict[str, str] = {}
    with httpx.Client(base_url=cluster.url("wms"), timeout=30) as wms:
        for document in fulfilments:
            fulfilment = wms.get(f"/api/fulfilments/{document['id']}").json()
            for shipment in fulfilment["shipments"]:
                units = sum(float(line["quantity"]) for line in shipment["lines"])
                if shipment["status"] == "shipped" and units > 0:
                    order = str(fulfilment["order_id"])
                    expected[f"{order}-{shipment['shipment_id']}"] = order
    return expected


def repeated_attempts(cluster: LocalCluster, system: str) -> int:
    """Attempts beyond the first of a system's deliveries that went through: repeats the
    system absorbed (its ledger holds each document once)."""
    return cluster.read_store(
        lambda uow: int(
            uow.connection.execute(
                select(func.coalesce(func.sum(t.deliveries.c.attempts - 1), 0)).where(
                    t.deliveries.c.system == system, t.deliveries.c.status == "done"
                )
            ).scalar_one()
        )
    )


def system_lines(cluster: LocalCluster, system: str) -> list[tuple[str, str]]:
    """``(order id, summary)`` of every timeline line about a system's gate (breaker)."""
    return cluster.read_store(
        lambda uow: [
            (str(order_id), str(summary))
            for order_id, summary in uow.connection.execute(
                select(t.timeline.c.order_id, t.timeline.c.summary)
                .where(t.timeline.c.kind == "system", t.timeline.c.system == system)
                .order_by(t.timeline.c.entry_id)
            )
        ]
    )


def closed_within(cluster: LocalCluster, expected: int, *, timeout_s: float) -> bool:
    """Wait until the hub holds ``expected`` orders with nothing left to do but by a person
    (each closed, held or cancelled); whether they all closed. False too when the time ran out
    (the books then say which were lost)."""
    settled = {"closed", "on_hold", "cancelled"}
    try:
        statuses = wait_for(
            lambda: (
                (found := cluster.hub_statuses())
                and set(found) <= settled
                and sum(found.values()) == expected
                and found
            ),
            timeout_s=timeout_s,
            what=f"{expected} settled orders",
        )
    except TimeoutError:
        return False
    return statuses == {"closed": expected}


def every_repeated_attempt(cluster: LocalCluster) -> int:
    """Attempts beyond the first of every delivery that went through, all systems together."""
    return cluster.read_store(
        lambda uow: int(
            uow.connection.execute(
                select(func.coalesce(func.sum(t.deliveries.c.attempts - 1), 0)).where(
                    t.deliveries.c.status == "done"
                )
            ).scalar_one()
        )
    )


def total_backlog(cluster: LocalCluster) -> int:
    """Deliveries not gone through yet (pending and in flight), all systems together."""
    counts = cluster.read_store(lambda uow: uow.deliveries.counts())
    return sum(c.get("pending", 0) + c.get("in_flight", 0) for c in counts.values())


@dataclass(frozen=True, kw_only=True)
class WarehouseEvents:
    """The WMS's milestone events against what the hub kept of them."""

    posted: int
    """Events the WMS posted and the hub answered 2xx (each outbox row once)."""
    unsent: int
    """Events still waiting in the WMS's outbox (held back for reordering included)."""
    distinct: int
    """Different event ids among them."""
    stored: int
    """Milestone messages the hub stored: one per event id."""

    @property
    def repeats_absorbed(self) -> int:
        """Events posted again under an id the hub had, answered ``accepted: false``."""
        return self.posted - self.stored


def warehouse_events(cluster: LocalCluster) -> WarehouseEvents:
    """Read the WMS's outbox (its database file) and the hub's inbox."""
    path = cluster.workdir / "sandbox" / "wms.db"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as wms:
        posted, distinct = wms.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM outbox WHERE sent_at IS NOT NULL"
        ).fetchone()
        unsent = wms.execute(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL)"
            " + (SELECT COUNT(*) FROM held_events)"
        ).fetchone()[0]
    stored = cluster.read_store(
        lambda uow: int(
            uow.connection.execute(
                select(func.count()).where(t.inbox.c.dedupe_key.like("wms:%"))
            ).scalar_one()
        )
    )
    return WarehouseEvents(posted=posted, unsent=unsent, distinct=distinct, stored=stored)


def decisions_mentioning(cluster: LocalCluster, *phrases: str) -> list[tuple[str, str]]:
    """``(order id, summary)`` of every decision on a timeline whose summary holds a phrase."""
    timeline = t.timeline
    return cluster.read_store(
        lambda uow: [
            (str(order_id), str(summary))
            for order_id, summary in uow.connection.execute(
                select(timeline.c.order_id, timeline.c.summary).where(
                    timeline.c.kind == "decision",
                    or_(*(timeline.c.summary.contains(phrase) for phrase in phrases)),
                )
            )
        ]
    )
