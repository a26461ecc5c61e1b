"""Acknowledgements we send: 997 bodies per received group, the 997 interchange, and TA1s.

Received 997s are read by :func:`~.functional_ack.read_997` (re-exported here).

Rules (X12-RULES §5):

- one 997 set per received group, AK1 (GS01, GS06, and GS08 as AK103 in 005010 only), AK2
  loops (``always``, or ``errors``: only sets not plainly accepted, allowed in 004010 only — in
  005010 the option is ignored because AK2 is required there), AK9 with GE01 as received;
- never a 997 for a 997 (a ``GS*FA`` group gets nothing) nor for an interchange without groups
  (a TA1 alone);
- a group-level error (716) rejects the group: AK9 R and every AK5 R (see
  :mod:`.validation.results`).

TA104 is ``A`` when the envelope has no errors (lenient-read warnings do not count: we accepted
it), ``E`` when its only errors are in the trailer (001 control number mismatch, 021 group
count, 023 premature end: the groups were still read and get their 997s), ``R`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from crossdock.channels.edi.x12.builder import (
    GroupSpec,
    InterchangeSpec,
    SetSpec,
    build_interchange,
    composite,
)
from crossdock.channels.edi.x12.functional_ack import FunctionalAck, read_997
from crossdock.channels.edi.x12.model import Delimiters, Interchange, Segment
from crossdock.channels.edi.x12.validation.results import (
    GroupResult,
    InterchangeResult,
    SetResult,
)

MAX_ELEMENT_ERRORS = 99
"""AK4 may repeat 99 times per AK3."""
_TRAILER_NOTES = frozenset(("001", "021", "023"))


@dataclass(frozen=True, kw_only=True)
class AckOptions:
    """How we write 997s for one partner."""

    loops: Literal["always", "errors"] = "always"
    """AK2 loops for every set, or (004010 only) only for sets with errors."""
    version: str = ""
    """The version our 997 is written in (GS08, ``004010``/``005010``); empty: the received
    group's. What a 997 may hold (AK103, AK2 loops optional) follows the 997's own version."""


@dataclass(frozen=True, kw_only=True)
class Addressing:
    """Our side of a 997 interchange: control numbers and the moment, the rest from the input."""

    interchange_control: int
    """ISA13 of the 997 interchange."""
    group_control: int
    """GS06 of the ``GS*FA`` group."""
    first_set_control: int
    """ST02 of the first 997; the others follow."""
    now: datetime
    """ISA09/10, GS04/05."""
    delimiters: Delimiters | None = None
    """Our separators; None: the received interchange's."""
    usage: str = ""
    """ISA15; empty: the received interchange's."""


def acknowledge_group(
    result: GroupResult, options: AckOptions = AckOptions(), scrub: Delimiters | None = None
) -> list[Segment] | None:
    """The 997 body (AK1…AK9, without ST/SE) for one received group, or None for a 997 group.

    ``scrub`` are the delimiters the 997 will be written with: they are removed from AK404
    copies of bad values (which must not break our own segments).
    """
    if result.functional_id == "FA" or any(s.set_id == "997" for s in result.sets):
        return None
    five = (options.version or result.version).startswith("005")
    ak1 = (result.functional_id, result.control_number) + ((result.version,) if five else ())
    body = [Segment("AK1", ak1)]
    for set_result in result.sets:
        if options.loops == "errors" and not five and set_result.status == "A":
            continue
        body += _set_response(set_result, five, scrub)
    ak9 = (
        result.status,
        str(result.declared_count),
        str(result.received),
        str(result.accepted),
        *result.group_codes,
    )
    body.append(Segment("AK9", ak9))
    return body


def _set_response(result: SetResult, five: bool, scrub: Delimiters | None) -> list[Segment]:
    ak2: tuple[str, ...] = (result.set_id, result.control_number)
    if five and result.implementation_reference:
        ak2 += (result.implementation_reference,)
    out = [Segment("AK2", ak2)]
    element_count = 0
    for finding in result.errors:
        if finding.level == "segment":
            out.append(
                Segment(
                    "AK3",
                    _trim(
                        (
                            finding.segment_tag,
                            str(finding.segment_index),
                            finding.loop_id,
                            finding.code,
                        )
                    ),
                )
            )
            element_count = 0
        elif finding.level == "element" and element_count < MAX_ELEMENT_ERRORS:
            element_count += 1
            where = composite(*finding.element_position.split(":"))
            bad = _scrubbed(finding.bad_value, scrub)
            out.append(Segment("AK4", _trim((where, finding.element_reference, finding.code, bad))))
    out.append(Segment("AK5", (result.status, *result.set_codes)))
    return out


def _trim(values: tuple[str, ...]) -> tuple[str, ...]:
    end = len(values)
    while end and not values[end - 1]:
        end -= 1
    return values[:end]


def _scrubbed(value: str, delimiters: Delimiters | None) -> str:
    if delimiters is None:
        return value
    for delimiter in delimiters.all():
        value = value.replace(delimiter, "")
    return value


def acknowledge_interchange(
    result: InterchangeResult, options: AckOptions = AckOptions(), scrub: Delimiters | None = None
) -> list[list[Segment]]:
    """997 bodies for every group of a received interchange that gets one, in order."""
    bodies = (acknowledge_group(group, options, scrub) for group in result.groups)
    return [body for body in bodies if body is not None]


def build_997_interchange(
    received: Interchange,
    result: InterchangeResult,
    addressing: Addressing,
    options: AckOptions = AckOptions(),
) -> Interchange | None:
    """The interchange answering ``received``: sender and receiver swapped, one ``GS*FA``
    holding a 997 per acknowledged group; None when nothing is to be acknowledged."""
    delimiters = addressing.delimiters or received.delimiters
    acknowledged = [
        (group, body)
        for group, group_result in zip(received.groups, result.groups, strict=True)
        if (body := acknowledge_group(group_result, options, delimiters)) is not None
    ]
    if not acknowledged:
        return None
    first = acknowledged[0][0]
    sets = [
        SetSpec(set_id="997", control_number=addressing.first_set_control + index, body=body)
        for index, (_, body) in enumerate(acknowledged)
    ]
    group = GroupSpec(
        functional_id="FA",
        sender=first.header.element(3),
        receiver=first.header.element(2),
        control_number=addressing.group_control,
        sets=sets,
        version=first.version,
    )
    spec = InterchangeSpec(
        sender=received.receiver,
        receiver=received.sender,
        control_number=addressing.interchange_control,
        now=addressing.now,
        version=received.version,
        delimiters=delimiters,
        usage=addressing.usage or received.usage,
    )
    return build_interchange(spec, [group])


def build_ta1(control_number: str, now: datetime, status: str, note: str) -> Segment:
    """TA1*ISA13*YYMMDD*HHMM*A|E|R*note."""
    if status not in ("A", "E", "R"):
        raise ValueError(f"TA104 {status!r} must be A, E or R")
    return Segment(
        "TA1", (control_number, now.strftime("%y%m%d"), now.strftime("%H%M"), status, note)
    )


def ta1_for(result: InterchangeResult, now: datetime) -> Segment:
    """The TA1 answering an interchange (status and note code from its envelope findings)."""
    errors = result.envelope_errors
    if not errors:
        return build_ta1(result.control_number, now, "A", "000")
    status = "E" if all(f.code in _TRAILER_NOTES for f in errors) else "R"
    return build_ta1(result.control_number, now, status, errors[0].code)


__all__ = [
    "AckOptions",
    "Addressing",
    "FunctionalAck",
    "acknowledge_group",
    "acknowledge_interchange",
    "build_997_interchange",
    "build_ta1",
    "read_997",
    "ta1_for",
]
