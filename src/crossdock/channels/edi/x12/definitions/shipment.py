"""856 ship notice/manifest: BSN, then the HL tree (shipment, order, tare, pack, item)."""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions.schema import (
    UNBOUNDED,
    Catalog,
    M,
    O,
    SegmentDef,
    SetDef,
)


def ship_notice(segments: dict[str, SegmentDef], version: str) -> SetDef:
    """856. Every level shares one HL loop; which segments belong to which level (TD5 on the
    shipment, PRF on the order, MAN on the pack, LIN/SN1 on the item) is a guide convention the
    standard does not enforce, so neither do we."""
    use = Catalog(segments)
    parties = use.loop(
        "N1", O, 200,
        use("N1", M), use("N2", O, 2), use("N3", O, 2), use("N4"), use("REF", O, 12),
        use("PER", O, 3), use("FOB"),
    )  # fmt: skip
    level = use.loop(
        "HL", M, 200000,
        use("HL", M), use("LIN"), use("SN1"), use("PRF"), use("PO4"), use("PID", O, 200),
        use("MEA", O, 40), use("PKG", O, 25), use("TD1", O, 20), use("TD5", O, 10),
        use("TD3", O, 12), use("REF", O, UNBOUNDED), use("PER", O, 3),
        use("MAN", O, UNBOUNDED), use("DTM", O, 10), use("FOB"), parties,
        use("SDQ", O, 50), use("CUR"), use.loop("SAC", O, UNBOUNDED, use("SAC", M), use("CUR")),
    )  # fmt: skip
    body = (use("BSN", M), use("DTM", O, 10), level, use("CTT"))
    return SetDef("856", "SH", version, body, "Ship Notice/Manifest")
