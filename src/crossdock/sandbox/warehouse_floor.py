"""WarehouseFloor: the WMS's shipments, their pick/pack/ship milestones and its stock."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import orjson

from crossdock.sandbox.catalog import Catalog, quantity
from crossdock.sandbox.database import SandboxDatabase
from crossdock.sandbox.ledger import Ledger
from crossdock.sandbox.outbox import Outbox
from crossdock.sandbox.shipment_plan import (
    PlanLine,
    ShipmentPlan,
    plan_shipments,
    sscc,
    ups_tracking_number,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS shipments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id TEXT UNIQUE,
    fulfilment_id TEXT NOT NULL REFERENCES fulfilments (fulfilment_id),
    lines TEXT NOT NULL,
    cartons TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    final INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS milestones (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fulfilment_id TEXT NOT NULL,
    shipment_id TEXT NOT NULL,
    milestone TEXT NOT NULL,
    due_at REAL NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS milestones_due ON milestones (due_at) WHERE done = 0;
CREATE TABLE IF NOT EXISTS inventory (
    sku TEXT NOT NULL,
    location TEXT NOT NULL,
    on_hand TEXT NOT NULL,
    safety_stock TEXT NOT NULL,
    PRIMARY KEY (sku, location)
);
"""
MILESTONES = ("picked", "packed", "shipped")
CARRIER = "UPSN"


@dataclass(frozen=True, kw_only=True)
class _Rates:
    duplicate: float
    reorder: float


class WarehouseFloor:
    """Works fulfilments through picked → packed → shipped, per shipment.

    Reaching a milestone moves the shipment, decrements stock on `shipped`, and appends the
    event to the outbox, all in one transaction. The `fulfilments` table belongs to the WMS.

    A fulfilment drawn for reordering has its events held back until its last milestone (or
    its cancellation), then released together in a shuffled order, so the hub can hear
    `shipped` before `picked`.
    """

    def __init__(self, db: SandboxDatabase, ledger: Ledger, catalog: Catalog, seed: int) -> None:
        self._db = db
        self._ledger = ledger
        self._seed = seed
        db.executescript(SCHEMA)
        with db.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO inventory VALUES (?,?,?,?)",
                [
                    (p.sku, p.location, str(p.on_hand), str(p.safety_stock))
                    for p in catalog.inventory
                ],
            )

    def schedule(
        self,
        conn: sqlite3.Connection,
        *,
        fulfilment_id: str,
        order_id: str,
        lines: list[PlanLine],
        start: float,
        delays: tuple[float, float, float],
        split_rate: float,
        short_ship_rate: float,
    ) -> ShipmentPlan:
        """Plan the shipments of a new fulfilment and schedule their milestones."""
        plan = plan_shipments(
            lines,
            random.Random(f"{self._seed}:{order_id}:plan"),
            split_rate=split_rate,
            short_ship_rate=short_ship_rate,
        )
        due = start
        weights = random.Random(f"{self._seed}:{order_id}:weights")
        for k, shipment_lines in enumerate(plan.shipments, start=1):
            shipment_id = f"{fulfilment_id}-S{k}"
            ship_seq = conn.execute(
                "INSERT INTO shipments (shipment_id, fulfilment_id, lines, cartons, "
                "tracking_number, final, status) VALUES (?,?,?,?,?,?,?)",
                (
                    shipment_id,
                    fulfilment_id,
                    orjson.dumps(
                        [
                            {
                                "line_no": ln.line_no,
                                "sku": ln.sku,
                                "quantity": quantity(ln.quantity),
                            }
                            for ln in shipment_lines
                        ]
                    ).decode(),
                    "[]",
                    "",
                    int(k == len(plan.shipments)),
                    "planned",
                ),
            ).lastrowid
            assert ship_seq is not None
            # Two lines to a carton; each carton says what it holds (an 856's pack level).
            cartons = [
                {
                    "carton_id": sscc(ship_seq * 10 + c),
                    "weight_kg": f"{weights.uniform(0.5, 25):.2f}",
                    "lines": [
                        {
                            "line_no": ln.line_no,
                            "sku": ln.sku,
                            "quantity": quantity(ln.quantity),
                        }
                        for ln in shipment_lines[2 * c : 2 * c + 2]
                    ],
                }
                for c in range((len(shipment_lines) + 1) // 2)
            ]
            conn.execute(
                "UPDATE shipments SET cartons = ?, tracking_number = ? WHERE seq = ?",
                (orjson.dumps(cartons).decode(), ups_tracking_number(ship_seq), ship_seq),
            )
            for name, delay in zip(MILESTONES, delays, strict=True):
                due += delay
                conn.execute(
                    "INSERT INTO milestones (fulfilment_id, shipment_id, milestone, due_at) "
                    "VALUES (?,?,?,?)",
                    (fulfilment_id, shipment_id, name, due),
                )
        return plan

    def advance(
        self, now: float, *, duplicate_event_rate: float, reorder_events_rate: float
    ) -> None:
        """Reach every milestone due by `now`, one transaction each, queuing its event."""
        due = self._db.query(
            "SELECT * FROM milestones WHERE done = 0 AND due_at <= ? ORDER BY seq", (now,)
        )
        rates = _Rates(duplicate=duplicate_event_rate, reorder=reorder_events_rate)
        for milestone in due:
            with self._db.transaction() as conn:
                self._reach(conn, milestone, now, rates)

    def next_due(self) -> float | None:
        rows = self._db.query("SELECT MIN(due_at) AS t FROM milestones WHERE done = 0")
        value = rows[0]["t"]
        return None if value is None else float(value)

    def halt(self, conn: sqlite3.Connection, fulfilment_id: str, *, now: float) -> None:
        """Cancel a fulfilment's shipments and drop its remaining milestones; events held
        back for reordering are released, since they happened."""
        conn.execute(
            "UPDATE shipments SET status = 'cancelled' WHERE fulfilment_id = ?", (fulfilment_id,)
        )
        conn.execute("UPDATE milestones SET done = 1 WHERE fulfilment_id = ?", (fulfilment_id,))
        order_id = conn.execute(
            "SELECT order_id FROM fulfilments WHERE fulfilment_id = ?", (fulfilment_id,)
        ).fetchone()["order_id"]
        Outbox.release(conn, fulfilment_id, at=now, rng=self._rng(order_id, "reorder-shuffle"))

    def _rng(self, key: str, purpose: str) -> random.Random:
        """Seeded by an order or event id, so decisions do not depend on arrival order."""
        return random.Random(f"{self._seed}:{key}:{purpose}")

    def _reach(
        self, conn: sqlite3.Connection, milestone: sqlite3.Row, now: float, rates: _Rates
    ) -> None:
        conn.execute("UPDATE milestones SET done = 1 WHERE seq = ?", (milestone["seq"],))
        fulfilment = conn.execute(
            "SELECT * FROM fulfilments WHERE fulfilment_id = ?", (milestone["fulfilment_id"],)
        ).fetchone()
        if fulfilment["status"] == "cancelled":
            return
        shipment = conn.execute(
            "SELECT * FROM shipments WHERE shipment_id = ?", (milestone["shipment_id"],)
        ).fetchone()
        name = milestone["milestone"]
        conn.execute(
            "UPDATE shipments SET status = ? WHERE shipment_id = ?", (name, shipment["shipment_id"])
        )
        lines = orjson.loads(shipment["lines"])
        final = bool(shipment["final"])
        if name == "shipped":
            for line in lines:
                conn.execute(
                    "UPDATE inventory SET on_hand = ? WHERE sku = ? AND location = ?",
                    (
                        str(
                            self._on_hand(conn, line["sku"], fulfilment["location"])
                            - Decimal(line["quantity"])
                        ),
                        line["sku"],
                        fulfilment["location"],
                    ),
                )
            conn.execute(
                "UPDATE fulfilments SET status = ? WHERE fulfilment_id = ?",
                ("shipped" if final else "partially_shipped", fulfilment["fulfilment_id"]),
            )
        occurred_at = datetime.fromtimestamp(milestone["due_at"], UTC)
        event_id = f"{shipment['shipment_id']}.{name}"
        event = {
            "event_id": event_id,
            "fulfilment_id": fulfilment["fulfilment_id"],
            "order_id": fulfilment["order_id"],
            "shipment_id": shipment["shipment_id"],
            "milestone": name,
            "occurred_at": occurred_at.isoformat(),
            "lines": lines if name == "shipped" else [],
            "cartons": orjson.loads(shipment["cartons"]) if name != "picked" else [],
            "carrier": CARRIER if name == "shipped" else None,
            "tracking_number": shipment["tracking_number"] if name == "shipped" else None,
            "final": final and name == "shipped",
        }
        body = orjson.dumps(event)
        stream = fulfilment["fulfilment_id"]
        copies = 2 if self._rng(event_id, "duplicate").random() < rates.duplicate else 1
        order_id = fulfilment["order_id"]
        # A fulfilment already holding events keeps holding, should the rate change meanwhile.
        reorder = self._rng(order_id, "reorder").random() < rates.reorder
        if reorder or Outbox.holds(conn, stream):
            for _ in range(copies):
                Outbox.hold(conn, event_id=event_id, stream=stream, body=body)
            if final and name == "shipped":
                Outbox.release(conn, stream, at=now, rng=self._rng(order_id, "reorder-shuffle"))
        else:
            for _ in range(copies):
                Outbox.append(conn, event_id=event_id, stream=stream, body=body, at=now)
        if name == "shipped":
            self._ledger.record(
                conn,
                kind="shipment",
                doc_id=shipment["shipment_id"],
                external_ref=fulfilment["order_id"],
                at=occurred_at,
                body=event,
            )

    @staticmethod
    def _on_hand(conn: sqlite3.Connection, sku: str, location: str) -> Decimal:
        row = conn.execute(
            "SELECT on_hand FROM inventory WHERE sku = ? AND location = ?", (sku, location)
        ).fetchone()
        return Decimal(row["on_hand"]) if row is not None else Decimal(0)
