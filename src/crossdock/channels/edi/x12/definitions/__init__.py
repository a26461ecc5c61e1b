"""Declarative X12 set definitions (850, 855, 856, 810, 846, 997) for 004010 and 005010.

``definition_for(gs08, st01)`` picks the schema: the version comes from GS08's first six
characters, and any 0040xx (``004010VICS``, ``004010UCS``, ``004060``) reads as 004010, any
0050xx as 005010. Anything else is not supported (716 code 2).
"""

from __future__ import annotations

from functools import cache

from crossdock.channels.edi.x12.definitions.acknowledgment import functional_acknowledgment
from crossdock.channels.edi.x12.definitions.inventory import inventory_advice
from crossdock.channels.edi.x12.definitions.invoice import invoice
from crossdock.channels.edi.x12.definitions.orders import (
    purchase_order,
    purchase_order_acknowledgment,
)
from crossdock.channels.edi.x12.definitions.schema import (
    ElementDef,
    LoopDef,
    Requirement,
    RuleKind,
    SegmentDef,
    SegmentUse,
    SetDef,
    SyntaxRule,
)
from crossdock.channels.edi.x12.definitions.segments import segments_4010, segments_5010
from crossdock.channels.edi.x12.definitions.shipment import ship_notice

VERSIONS = ("004010", "005010")
SET_IDS = ("810", "846", "850", "855", "856", "997")


def schema_version(gs08: str) -> str | None:
    """The definitions' version for a GS08 (``004010VICS`` → ``004010``), or None."""
    head = gs08.strip()[:4]
    if head == "0040":
        return "004010"
    if head == "0050":
        return "005010"
    return None


@cache
def _definitions(version: str) -> dict[str, SetDef]:
    segments = segments_4010() if version == "004010" else segments_5010()
    return {
        "850": purchase_order(segments, version),
        "855": purchase_order_acknowledgment(segments, version),
        "856": ship_notice(segments, version),
        "810": invoice(segments, version),
        "846": inventory_advice(segments, version),
        "997": functional_acknowledgment(version),
    }


def definition_for(gs08: str, set_id: str) -> SetDef | None:
    """The definition of set ``set_id`` (ST01) in the group's version (GS08), or None."""
    version = schema_version(gs08)
    if version is None:
        return None
    return _definitions(version).get(set_id)


def known_tags(gs08: str) -> frozenset[str]:
    """Every segment tag the version's dictionary knows (720 code 6 vs 1)."""
    return _known_tags(schema_version(gs08) or "004010")


@cache
def _known_tags(version: str) -> frozenset[str]:
    tags: set[str] = set()
    for definition in _definitions(version).values():
        tags |= definition.tags
    return frozenset(tags)


__all__ = [
    "SET_IDS",
    "VERSIONS",
    "ElementDef",
    "LoopDef",
    "Requirement",
    "RuleKind",
    "SegmentDef",
    "SegmentUse",
    "SetDef",
    "SyntaxRule",
    "definition_for",
    "known_tags",
    "schema_version",
]
