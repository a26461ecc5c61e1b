"""846 inventory inquiry/advice."""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions.schema import (
    UNBOUNDED,
    Catalog,
    M,
    O,
    SegmentDef,
    SetDef,
)


def inventory_advice(segments: dict[str, SegmentDef], version: str) -> SetDef:
    """846: BIA header, one LIN loop per item with its quantities (QTY 33 available, 17 on hand,
    02 cumulative) and per-location quantities (SDQ), CTT with the hash of QTY02."""
    use = Catalog(segments)
    item = use.loop(
        "LIN", O, 10000,
        use("LIN", M), use("PID", O, UNBOUNDED), use("MEA", O, UNBOUNDED),
        use("PO4", O, UNBOUNDED), use("DTM", O, 10), use("REF", O, UNBOUNDED),
        use.loop("QTY", O, UNBOUNDED, use("QTY", M), use("DTM", O, 10)),
        use("SDQ", O, UNBOUNDED),
        use.loop("N1", O, UNBOUNDED, use("N1", M), use("N3", O, 2), use("N4"),
                 use("QTY", O, UNBOUNDED), use("DTM", O, 10)),
    )  # fmt: skip
    body = (
        use("BIA", M), use("CUR"), use("REF", O, UNBOUNDED), use("PER", O, 3),
        use("MEA", O, 10), use("DTM", O, 10),
        use.loop("N1", O, UNBOUNDED, use("N1", M), use("N2", O, 2), use("N3", O, 2),
                 use("N4"), use("REF", O, 12), use("PER", O, 3)),
        item, use("CTT"),
    )  # fmt: skip
    return SetDef("846", "IB", version, body, "Inventory Inquiry/Advice")
