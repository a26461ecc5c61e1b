"""EdiCustomerStore: the retailer's tables (POs sent, documents received, findings, 997s sent)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from crossdock.sandbox.database import SandboxDatabase
from crossdock.sandbox.edi_checks import Expectations, Finding, Inspection, OrderedLine
from crossdock.sandbox.x12_lite import Interchange

SCHEMA = """
CREATE TABLE IF NOT EXISTS edi_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS purchase_orders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    po_number TEXT UNIQUE NOT NULL,
    gs06 INTEGER NOT NULL,
    body TEXT NOT NULL,
    raw TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS interchanges_received (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    isa13 TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents_received (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    isa13 TEXT NOT NULL,
    gs01 TEXT NOT NULL,
    gs06 TEXT NOT NULL,
    st01 TEXT NOT NULL,
    st02 TEXT NOT NULL,
    po_number TEXT,
    quantities TEXT NOT NULL,
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_received_po ON documents_received (po_number, st01);
CREATE TABLE IF NOT EXISTS findings (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    check_name TEXT NOT NULL,
    message TEXT NOT NULL,
    found_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acks_sent (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    isa13 TEXT NOT NULL,
    acknowledges TEXT NOT NULL,
    raw TEXT NOT NULL,
    mdn TEXT NOT NULL,
    sent_at TEXT NOT NULL
);
"""
WRAP = 10**9


class EdiCustomerStore:
    """SQLite tables of the EDI customer, on the service's own database."""

    def __init__(self, db: SandboxDatabase, *, base: int, our_id: str) -> None:
        self._db = db
        self._base = base
        self._our_id = our_id
        db.executescript(SCHEMA)

    def next_number(self, conn: sqlite3.Connection, name: str) -> int:
        """The next PO or control number: base + a persistent counter, wrapping, never 0."""
        conn.execute(
            "INSERT INTO edi_counters (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1",
            (name,),
        )
        (value,) = conn.execute("SELECT value FROM edi_counters WHERE name = ?", (name,)).fetchone()
        return (self._base + int(value)) % WRAP or 1

    # -- purchase orders ---------------------------------------------------------------------

    @staticmethod
    def add_purchase_order(
        conn: sqlite3.Connection, po: dict[str, Any], raw: str, at: datetime
    ) -> None:
        conn.execute(
            "INSERT INTO purchase_orders (po_number, gs06, body, raw, sent_at) VALUES (?,?,?,?,?)",
            (po["po_number"], int(po["gs06"]), orjson.dumps(po).decode(), raw, at.isoformat()),
        )

    def record_mdn(self, po_number: str, po: dict[str, Any]) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE purchase_orders SET body = ? WHERE po_number = ?",
                (orjson.dumps(po).decode(), po_number),
            )

    def _purchase_orders(self) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT body, sent_at FROM purchase_orders ORDER BY seq")
        return [orjson.loads(r["body"]) | {"sent_at": r["sent_at"]} for r in rows]

    # -- received documents ------------------------------------------------------------------

    def expectations(self, conn: sqlite3.Connection) -> Expectations:
        """What the checks compare a received interchange with, read in `conn`'s transaction."""
        orders: dict[str, dict[str, OrderedLine]] = {}
        groups: dict[int, str] = {}
        for row in conn.execute("SELECT po_number, gs06, body FROM purchase_orders"):
            groups[int(row["gs06"])] = row["po_number"]
            orders[row["po_number"]] = {
                line["line_id"]: OrderedLine(
                    line_id=line["line_id"],
                    sku=line["sku"],
                    qty=Decimal(line["qty"]),
                    price=Decimal(line["price"]),
                )
                for line in orjson.loads(row["body"])["lines"]
            }
        seen = {
            (r[0], r[1]) for r in conn.execute("SELECT sender, isa13 FROM interchanges_received")
        }
        invoiced: dict[tuple[str, str], Decimal] = {}
        query = "SELECT po_number, quantities FROM documents_received WHERE st01 = '810'"
        for row in conn.execute(query):
            for line_id, qty in orjson.loads(row["quantities"]).items():
                key = (row["po_number"], line_id)
                invoiced[key] = invoiced.get(key, Decimal(0)) + Decimal(qty)
        return Expectations(
            our_id=self._our_id, orders=orders, groups_sent=groups, seen=seen, invoiced=invoiced
        )

    def add_interchange(
        self,
        conn: sqlite3.Connection,
        interchange: Interchange,
        inspection: Inspection,
        message_id: str,
        at: datetime,
    ) -> None:
        """Store an interchange, its sets and its findings inside the caller's transaction."""
        conn.execute(
            "INSERT INTO interchanges_received (sender, isa13, message_id, received_at) "
            "VALUES (?,?,?,?)",
            (interchange.sender, interchange.control, message_id, at.isoformat()),
        )
        for received in inspection.sets:
            document = received.document
            raw = "".join(
                s.render(interchange.element) + interchange.terminator + "\n"
                for s in document.segments
            )
            conn.execute(
                "INSERT INTO documents_received (isa13, gs01, gs06, st01, st02, po_number, "
                "quantities, raw, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    interchange.control,
                    received.group.element(1),
                    received.group.element(6),
                    document.set_id,
                    document.control,
                    received.po_number,
                    orjson.dumps(received.quantities).decode(),
                    raw,
                    at.isoformat(),
                ),
            )
        self._insert_findings(conn, inspection.findings, at)

    def add_findings(self, findings: Sequence[Finding], at: datetime) -> None:
        with self._db.transaction() as conn:
            self._insert_findings(conn, findings, at)

    @staticmethod
    def _insert_findings(
        conn: sqlite3.Connection, findings: Sequence[Finding], at: datetime
    ) -> None:
        conn.executemany(
            "INSERT INTO findings (subject, check_name, message, found_at) VALUES (?,?,?,?)",
            [(f.subject, f.check, f.message, at.isoformat()) for f in findings],
        )

    def add_ack(
        self, *, isa13: str, acknowledges: list[str], raw: str, mdn: dict[str, str], at: datetime
    ) -> None:
        """Record a 997 interchange we sent and what its MDN said."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO acks_sent (isa13, acknowledges, raw, mdn, sent_at) VALUES (?,?,?,?,?)",
                (
                    isa13,
                    orjson.dumps(acknowledges).decode(),
                    raw,
                    orjson.dumps(mdn).decode(),
                    at.isoformat(),
                ),
            )

    def acks_sent(self) -> list[dict[str, Any]]:
        rows = self._db.query("SELECT isa13, acknowledges, raw, mdn FROM acks_sent ORDER BY seq")
        return [
            {
                "isa13": r["isa13"],
                "acknowledges": orjson.loads(r["acknowledges"]),
                "raw": r["raw"],
                "mdn": orjson.loads(r["mdn"]),
            }
            for r in rows
        ]

    def findings(self) -> list[dict[str, str]]:
        rows = self._db.query("SELECT subject, check_name, message FROM findings ORDER BY seq")
        return [
            {"subject": r["subject"], "check": r["check_name"], "message": r["message"]}
            for r in rows
        ]

    # -- reports -----------------------------------------------------------------------------

    def purchase_order_report(self, po_number: str) -> dict[str, Any] | None:
        """One PO: what was sent, which documents arrived for it, and its findings."""
        return next((p for p in self._po_reports() if p["po_number"] == po_number), None)

    def _po_reports(self) -> list[dict[str, Any]]:
        counts: dict[tuple[str, str], int] = {}
        query = (
            "SELECT po_number, st01, COUNT(*) AS n FROM documents_received "
            "WHERE po_number IS NOT NULL GROUP BY po_number, st01"
        )
        for row in self._db.query(query):
            counts[(row["po_number"], row["st01"])] = int(row["n"])
        findings = self.findings()
        return [
            po
            | {
                "received": {
                    "997": counts.get((po["po_number"], "997"), 0),
                    "855": counts.get((po["po_number"], "855"), 0),
                    "856": counts.get((po["po_number"], "856"), 0),
                    "810": counts.get((po["po_number"], "810"), 0),
                },
                "findings": [f for f in findings if f["subject"] == po["po_number"]],
            }
            for po in self._purchase_orders()
        ]

    def report(self) -> dict[str, Any]:
        """Totals over every PO (sent, MDN ok, 997, 855, shipped, invoiced) and all findings."""
        orders = self._po_reports()
        findings = self.findings()

        def having(set_id: str) -> int:
            return sum(1 for po in orders if po["received"][set_id] > 0)

        return {
            "sent": len(orders),
            "mdn_ok": sum(1 for po in orders if po["mdn_ok"]),
            "acknowledged": having("997"),
            "acknowledged_855": having("855"),
            "shipped": having("856"),
            "invoiced": having("810"),
            "findings_count": len(findings),
            "findings": findings,
            "acks_sent": len(self.acks_sent()),
            "purchase_orders": orders,
        }
