"""Envelope controls: trailers, counts and control numbers, each problem with its X12 code.

- transaction set (718, AK502): 2 SE missing, 3 ST02/SE02 mismatch, 4 SE01 count wrong,
  7 bad ST02 (AN 4–9);
- functional group (716, AK905): 3 GE missing, 4 GS06/GE02 mismatch, 5 GE01 count wrong,
  6 control number syntax (N0, 1–9 digits);
- interchange (TA1 note, TA105): 001 ISA13/IEA02 mismatch, 021 IEA01 wrong, 023 IEA missing.

ST02/SE02 are compared as exact strings; the numeric control numbers (GS06/GE02, ISA13/IEA02)
compare equal when their digits name the same number (``0049`` = ``49``).
"""

from __future__ import annotations

from crossdock.channels.edi.x12.model import (
    Finding,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
)


def _finding(level: str, code: str, message: str, segment: Segment, position: int = 0) -> Finding:
    return Finding(
        level,
        code,
        message,
        segment_tag=segment.tag,
        offset=segment.offset,
        segment_index=segment.index,
        element_position=str(position) if position else "",
        bad_value=segment.element(position)[:99] if position else "",
    )


def _same_number(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def _is_count(text: str, expected: int) -> bool:
    text = text.strip()
    return text.isdigit() and int(text) == expected


def close_set(segments: list[Segment]) -> TransactionSet:
    """Build a transaction set from its segments (ST first) with its 718 trailer findings."""
    found = TransactionSet(segments)
    st = segments[0]
    control = st.element(2)
    if not 4 <= len(control) <= 9 or not control.strip():
        found.findings.append(
            _finding("set", "7", f"ST02 {control!r} is not 4–9 characters", st, 2)
        )
    se = segments[-1]
    if len(segments) < 2 or se.tag != "SE":
        found.findings.append(_finding("set", "2", f"set {control!r} has no SE trailer", st))
        return found
    if se.element(2) != control:
        message = f"SE02 {se.element(2)!r} does not match ST02 {control!r}"
        found.findings.append(_finding("set", "3", message, se, 2))
    if not _is_count(se.element(1), len(segments)):
        message = f"SE01 says {se.element(1)!r} segments, the set has {len(segments)}"
        found.findings.append(_finding("set", "4", message, se, 1))
    return found


def check_group_header(group: FunctionalGroup) -> None:
    """Check GS06 syntax (716 code 6) as the group opens."""
    control = group.control_number
    if not (1 <= len(control) <= 9 and control.isdigit()):
        message = f"GS06 {control!r} is not 1–9 digits"
        group.findings.append(_finding("group", "6", message, group.header, 6))


def close_group(group: FunctionalGroup, trailer: Segment | None) -> None:
    """Record the GE trailer (``None`` when missing) and its 716 findings on ``group``."""
    group.trailer = trailer
    if trailer is None:
        message = f"group {group.control_number!r} has no GE trailer"
        group.findings.append(_finding("group", "3", message, group.header))
        return
    control = trailer.element(2)
    if not (1 <= len(control) <= 9 and control.isdigit()):
        message = f"GE02 {control!r} is not 1–9 digits"
        group.findings.append(_finding("group", "6", message, trailer, 2))
    if not _same_number(control, group.control_number):
        message = f"GE02 {control!r} does not match GS06 {group.control_number!r}"
        group.findings.append(_finding("group", "4", message, trailer, 2))
    if not _is_count(trailer.element(1), len(group.sets)):
        message = f"GE01 says {trailer.element(1)!r} sets, the group has {len(group.sets)}"
        group.findings.append(_finding("group", "5", message, trailer, 1))


def close_interchange(interchange: Interchange, trailer: Segment | None) -> None:
    """Record the IEA trailer (``None`` when missing) and its TA1 findings on ``interchange``."""
    interchange.trailer = trailer
    if trailer is None:
        message = f"interchange {interchange.control_number!r} ends without an IEA"
        interchange.findings.append(_finding("interchange", "023", message, interchange.header))
        return
    if not _is_count(trailer.element(1), len(interchange.groups)):
        message = (
            f"IEA01 says {trailer.element(1)!r} groups, "
            f"the interchange has {len(interchange.groups)}"
        )
        interchange.findings.append(_finding("interchange", "021", message, trailer, 1))
    if not _same_number(trailer.element(2), interchange.control_number):
        message = (
            f"IEA02 {trailer.element(2)!r} does not match ISA13 {interchange.control_number!r}"
        )
        interchange.findings.append(_finding("interchange", "001", message, trailer, 2))
