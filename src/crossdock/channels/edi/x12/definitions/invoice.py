"""810 invoice."""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions.schema import (
    UNBOUNDED,
    Catalog,
    LoopDef,
    M,
    O,
    SegmentDef,
    SetDef,
)


def invoice(segments: dict[str, SegmentDef], version: str) -> SetDef:
    """810: BIG header, IT1 lines, TDS total (N2), summary allowances/charges and CTT."""
    use = Catalog(segments)

    def parties() -> LoopDef:
        return use.loop(
            "N1", O, 200,
            use("N1", M), use("N2", O, 2), use("N3", O, 2), use("N4"), use("REF", O, 12),
            use("PER", O, 3),
        )  # fmt: skip

    def charges() -> LoopDef:
        return use.loop("SAC", O, 25, use("SAC", M), use("TXI", O, 10))

    line = use.loop(
        "IT1", O, 200000,
        use("IT1", M), use("CUR"), use("TXI", O, 10),
        use.loop("PID", O, 1000, use("PID", M), use("MEA", O, 10)),
        use("PO4"), use("ITD", O, 2), use("REF", O, UNBOUNDED), use("PER", O, 5),
        use("SDQ", O, 500), use("DTM", O, 10), use("CAD", O, UNBOUNDED),
        charges(), parties(),
    )  # fmt: skip
    body = (
        use("BIG", M), use("NTE", O, 100), use("CUR"), use("REF", O, 12), use("PER", O, 3),
        parties(), use("ITD", O, UNBOUNDED), use("DTM", O, 10), use("FOB"),
        use("PID", O, 200), use("PKG", O, 25), line,
        use("TDS", M), use("TXI", O, 10), use("CAD"), use("AMT", O, UNBOUNDED), charges(),
        use.loop("ISS", O, UNBOUNDED, use("ISS", M), use("PID")),
        use("CTT"),
    )  # fmt: skip
    return SetDef("810", "IN", version, body, "Invoice")
