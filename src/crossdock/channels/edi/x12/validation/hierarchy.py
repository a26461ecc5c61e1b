"""The 856 HL tree: ids, parents, level order against BSN05, and the child flag.

What is an error and what only a warning (the 997 carries errors only):

- HL01 not sequential from 1 (or repeated), HL02 naming no earlier HL, HL02 missing on any HL
  but the first: **errors** (AK3 HL code 8; AK4 on HL01/HL02 with 723 code 7, or 2 for a missing
  parent). The tree is what ties packs and items to orders; a broken tree cannot be read.
- A level out of the order BSN05 declares (0001 S-O-P-I, 0002 S-O-I-P, 0004 S-O-I; a tare T may
  sit between the order and what it holds), and HL04 disagreeing with whether children follow:
  **warnings**. Partners are loose with both (sample 04 declares 0002 without packs) and
  neither stops us from reading the shipment.
"""

from __future__ import annotations

from crossdock.channels.edi.x12.model import Finding, Segment, Severity
from crossdock.channels.edi.x12.validation.elements import (
    CONDITIONAL_MISSING,
    INVALID_CODE,
    element_finding,
)

STRUCTURES: dict[str, tuple[str, ...]] = {
    "0001": ("S", "O", "T", "P", "I"),
    "0002": ("S", "O", "T", "I", "P"),
    "0004": ("S", "O", "T", "I"),
}
"""BSN05 → the level order it declares (levels may be skipped, never reversed)."""


def application_warning(segment: Segment, position: int, message: str) -> Finding:
    """A finding no acknowledgement carries: for the operator (or an 824), not the 997."""
    return Finding(
        "application",
        "",
        message,
        Severity.WARNING,
        segment_tag=segment.tag,
        offset=segment.offset,
        segment_index=position,
    )


def check_hierarchy(body: list[Segment], structure: str) -> list[Finding]:
    """Findings on the HL tree of an 856 body (``body[0]`` is at set position 2)."""
    findings: list[Finding] = []
    order = STRUCTURES.get(structure)
    levels: dict[str, str] = {}
    children: dict[str, int] = {}
    nodes: list[tuple[int, Segment]] = []
    for position, segment in enumerate(body, 2):
        if segment.tag != "HL":
            continue
        nodes.append((position, segment))
        own, parent, level = segment.element(1), segment.element(2), segment.element(3)
        expected = str(len(nodes))
        if own.lstrip("0") != expected or own in levels:
            findings.append(
                element_finding(
                    segment,
                    position,
                    "1",
                    "628",
                    INVALID_CODE,
                    own,
                    detail=f"HL01 should be {expected}",
                )
            )
        if not parent:
            if len(nodes) > 1:
                findings.append(
                    element_finding(
                        segment,
                        position,
                        "2",
                        "734",
                        CONDITIONAL_MISSING,
                        "",
                        detail="only the first HL may be the root",
                    )
                )
            elif order is not None and level != order[0]:
                findings.append(
                    application_warning(
                        segment,
                        position,
                        f"the first HL is level {level}, BSN05 {structure} starts with {order[0]}",
                    )
                )
        elif parent not in levels:
            findings.append(
                element_finding(
                    segment,
                    position,
                    "2",
                    "734",
                    INVALID_CODE,
                    parent,
                    detail="HL02 names no earlier HL01",
                )
            )
        else:
            children[parent] = children.get(parent, 0) + 1
            above = levels[parent]
            known = order is not None and above in order and level in order
            if known and order is not None and order.index(level) <= order.index(above):
                findings.append(
                    application_warning(
                        segment,
                        position,
                        f"level {level} under {above} breaks BSN05 {structure} ({'-'.join(order)})",
                    )
                )
        levels.setdefault(own, level)
    for position, segment in nodes:
        flag, count = segment.element(4), children.get(segment.element(1), 0)
        if (flag == "1" and count == 0) or (flag == "0" and count > 0):
            findings.append(
                application_warning(
                    segment,
                    position,
                    f"HL04 is {flag} but HL {segment.element(1)} has {count} children",
                )
            )
    return findings
