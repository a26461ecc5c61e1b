"""850 purchase order and 855 purchase order acknowledgment."""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions.schema import (
    UNBOUNDED,
    Catalog,
    LoopDef,
    M,
    Node,
    O,
    SegmentDef,
    SetDef,
)


def _party_loop(use: Catalog) -> LoopDef:
    # N1 loop as retail guides use it in both sets (ST/BT/BY/VN/SF parties).
    return use.loop(
        "N1", O, 200,
        use("N1", M), use("N2", O, 2), use("N3", O, 2), use("N4", O, UNBOUNDED),
        use("REF", O, 12), use("PER", O, UNBOUNDED), use("FOB"), use("TD1", O, 2),
        use("TD5", O, 12), use("TD3", O, 12), use("PKG", O, 200),
    )  # fmt: skip


def _notes_loop(use: Catalog) -> LoopDef:
    return use.loop("N9", O, 1000, use("N9", M), use("DTM", O, UNBOUNDED), use("MSG", O, 1000))


def _line_tail(use: Catalog) -> tuple[LoopDef, ...]:
    # What follows the line's own details in both sets: notes and line-level parties.
    return _notes_loop(use), _party_loop(use)


def _header(use: Catalog) -> tuple[Node, ...]:
    return (
        use("CUR"), use("REF", O, UNBOUNDED), use("PER", O, 3), use("TAX", O, UNBOUNDED),
        use("FOB", O, UNBOUNDED), use("CSH", O, 5),
        use.loop("SAC", O, 25, use("SAC", M), use("CUR")),
        use("ITD", O, UNBOUNDED), use("DTM", O, 10), use("PKG", O, 200), use("TD1", O, 2),
        use("TD5", O, 12), use("TD3", O, 12), use("MAN", O, 10), use("TXI", O, UNBOUNDED),
        _notes_loop(use), _party_loop(use),
    )  # fmt: skip


def _line_details(use: Catalog) -> tuple[Node, ...]:
    return (
        use("CUR"), use("MEA", O, 40),
        use.loop("PID", O, 1000, use("PID", M), use("MEA", O, 10)),
        use("PO4", O, UNBOUNDED), use("REF", O, UNBOUNDED), use("PER", O, 3),
        use.loop("SAC", O, 25, use("SAC", M), use("CUR")),
        use("CSH", O, UNBOUNDED), use("ITD", O, 2), use("TAX", O, UNBOUNDED),
        use("FOB", O, UNBOUNDED), use("SDQ", O, 500), use("DTM", O, 10), use("TD1", O, 2),
        use("TD5", O, 12), use("TD3", O, 12), use("MAN", O, 10), use("MSG", O, UNBOUNDED),
        use("TXI", O, UNBOUNDED),
    )  # fmt: skip


def _summary(use: Catalog) -> LoopDef:
    return use.loop("CTT", O, 1, use("CTT", M), use("AMT"))


def purchase_order(segments: dict[str, SegmentDef], version: str) -> SetDef:
    """850."""
    use = Catalog(segments)
    line = use.loop(
        "PO1", M, 100000, use("PO1", M), *_line_details(use),
        use.loop("SCH", O, 104, use("SCH", M), use("TD1", O, 2), use("TD5", O, 12),
                 use("TD3", O, 12), use("REF", O, UNBOUNDED)),
        *_line_tail(use), use.loop("AMT", O, UNBOUNDED, use("AMT", M), use("REF")),
    )  # fmt: skip
    body = (use("BEG", M), *_header(use), line, _summary(use))
    return SetDef("850", "PO", version, body, "Purchase Order")


def purchase_order_acknowledgment(segments: dict[str, SegmentDef], version: str) -> SetDef:
    """855."""
    use = Catalog(segments)
    line = use.loop(
        "PO1", O, 100000, use("PO1", M), *_line_details(use),
        use.loop("ACK", O, 104, use("ACK", M), use("DTM", O, 10)),
        use.loop("SCH", O, 200, use("SCH", M), use("TD1", O, 2), use("TD5", O, 12),
                 use("TD3", O, 12), use("REF", O, UNBOUNDED)),
        *_line_tail(use),
    )  # fmt: skip
    body = (use("BAK", M), *_header(use), line, _summary(use))
    return SetDef("855", "PR", version, body, "Purchase Order Acknowledgment")
