"""Building outgoing interchanges: envelope values and set bodies in, an :class:`Interchange` out.

Usage (a 997 answering one group)::

    interchange = build_interchange(
        InterchangeSpec(
            sender=("ZZ", "DISTRIBUTOR"), receiver=("ZZ", "RETAILER"), control_number=7001,
            now=now, version="00501", delimiters=Delimiters("*", ":", "~", "^"), usage="T",
        ),
        [GroupSpec(functional_id="FA", sender="DISTRIBUTOR", receiver="RETAILER",
                   control_number=7001,
                   sets=[SetSpec(set_id="997", control_number=1, body=[
                       Segment("AK1", ("PO", "9001", "005010")),
                       Segment("AK9", ("A", "2", "2", "2")),
                   ])])],
    )
    text = render(interchange, line_break="\\n")

The caller passes the control numbers (ISA13, GS06, ST02): persistent sequences live elsewhere,
so building is a pure function of its arguments (``now`` included). The body of a set is the
segments between ST and SE; ST, SE, GE and IEA are added here. Body element values are business
data: any delimiter in use inside one is refused (:class:`~.writer.X12WriteError`, naming the
set, segment and element). Write a composite element with :func:`composite` and a repeated one
with :func:`repeated`: their markers become the partner's separators here, whatever they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from crossdock.channels.edi.x12.model import (
    Delimiters,
    FunctionalGroup,
    Interchange,
    Segment,
    TransactionSet,
)
from crossdock.channels.edi.x12.writer import X12WriteError, check_delimiters

COMPONENT_MARK = "\x1f"
"""Stands for the component separator in body data (ASCII unit separator)."""
REPETITION_MARK = "\x1e"
"""Stands for the repetition separator in body data (ASCII record separator)."""
MAX_CONTROL_NUMBER = 999_999_999


def composite(*components: str) -> str:
    """A composite element value (``composite("2", "1")`` renders as ``2:1`` with ``:``)."""
    return COMPONENT_MARK.join(components).rstrip(COMPONENT_MARK)


def repeated(*values: str) -> str:
    """A repeated element value (5010: rendered joined by the repetition separator)."""
    return REPETITION_MARK.join(values)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetSpec:
    """One transaction set to write."""

    set_id: str
    """ST01, e.g. ``997``."""
    control_number: int | str
    """ST02: an int is zero-padded to 4 digits; a str (4–9 characters) is used as is."""
    body: Sequence[Segment]
    """The segments between ST and SE, elements as business data (see :func:`composite`)."""
    convention: str = ""
    """ST03, the implementation convention reference (5010), when the partner wants one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSpec:
    """One functional group to write."""

    functional_id: str
    """GS01, e.g. ``FA`` for 997s, ``PR`` for 855s."""
    sender: str
    """GS02, our application sender code."""
    receiver: str
    """GS03, the partner's application receiver code."""
    control_number: int
    """GS06 (1–999999999); GE02 repeats it."""
    sets: Sequence[SetSpec]
    """The sets, in order."""
    version: str = ""
    """GS08, e.g. ``004010VICS``; default: ISA12 plus a ``0`` (``00401`` → ``004010``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InterchangeSpec:
    """The ISA values of one interchange to write."""

    sender: tuple[str, str]
    """(ISA05 qualifier, ISA06 id), e.g. ``("ZZ", "DISTRIBUTOR")``."""
    receiver: tuple[str, str]
    """(ISA07 qualifier, ISA08 id)."""
    control_number: int
    """ISA13 (0–999999999), written zero-padded to 9 digits; IEA02 repeats it."""
    now: datetime
    """The moment written in ISA09/ISA10 (YYMMDD, HHMM) and GS04/GS05 (CCYYMMDD, HHMM)."""
    version: str = "00401"
    """ISA12: ``00401`` or ``00501``."""
    delimiters: Delimiters = field(default_factory=Delimiters)
    """Separators; from 00402 on a repetition separator is required (e.g. ``^``)."""
    usage: str = "P"
    """ISA15: ``P`` production or ``T`` test."""
    ack_requested: bool = False
    """ISA14: ask the partner for a TA1."""
    authorization: tuple[str, str] = ("00", "")
    """(ISA01 qualifier, ISA02 value)."""
    security: tuple[str, str] = ("00", "")
    """(ISA03 qualifier, ISA04 value)."""


def build_interchange(spec: InterchangeSpec, groups: Sequence[GroupSpec]) -> Interchange:
    """Build the interchange ``spec`` describes around ``groups``, trailers included."""
    delimiters = spec.delimiters
    check_delimiters(delimiters, spec.version)
    if spec.usage not in ("P", "T"):
        raise X12WriteError(f"ISA15 {spec.usage!r} must be P or T")
    isa = (
        spec.authorization[0],
        spec.authorization[1],
        spec.security[0],
        spec.security[1],
        spec.sender[0],
        spec.sender[1],
        spec.receiver[0],
        spec.receiver[1],
        spec.now.strftime("%y%m%d"),
        spec.now.strftime("%H%M"),
        delimiters.repetition or "U",
        spec.version,
        f"{_control(spec.control_number, 'ISA13'):09d}",
        "1" if spec.ack_requested else "0",
        spec.usage,
        delimiters.component,
    )
    interchange = Interchange(Segment("ISA", isa), delimiters)
    for group in groups:
        interchange.groups.append(_group(group, spec, delimiters))
    iea = (str(len(interchange.groups)), isa[12])
    interchange.trailer = Segment("IEA", iea)
    return interchange


def _control(number: int, name: str) -> int:
    if not 0 <= number <= MAX_CONTROL_NUMBER:
        raise X12WriteError(f"{name} {number} is outside 0–{MAX_CONTROL_NUMBER}")
    return number


def _group(
    spec: GroupSpec, interchange: InterchangeSpec, delimiters: Delimiters
) -> FunctionalGroup:
    control = str(_control(spec.control_number, "GS06"))
    gs = (
        spec.functional_id,
        spec.sender,
        spec.receiver,
        interchange.now.strftime("%Y%m%d"),
        interchange.now.strftime("%H%M"),
        control,
        "X",
        spec.version or f"{interchange.version}0",
    )
    group = FunctionalGroup(Segment("GS", gs))
    group.sets = [_set(s, delimiters) for s in spec.sets]
    group.trailer = Segment("GE", (str(len(group.sets)), control))
    return group


def _set(spec: SetSpec, delimiters: Delimiters) -> TransactionSet:
    number = spec.control_number
    control = f"{_control(number, 'ST02'):04d}" if isinstance(number, int) else number
    if not 4 <= len(control) <= 9:
        raise X12WriteError(f"ST02 {control!r} must be 4–9 characters")
    st = (spec.set_id, control, spec.convention) if spec.convention else (spec.set_id, control)
    segments = [Segment("ST", st, index=1)]
    for index, segment in enumerate(spec.body, start=2):
        where = f"set {spec.set_id} {control}, segment {index}"
        segments.append(_data_segment(segment, delimiters, index, where))
    segments.append(Segment("SE", (str(len(segments) + 1), control), index=len(segments) + 1))
    return TransactionSet(segments)


def _data_segment(segment: Segment, delimiters: Delimiters, index: int, where: str) -> Segment:
    in_use = delimiters.all()
    elements = []
    for position, value in enumerate(segment.elements, start=1):
        for delimiter in in_use:
            if delimiter in value:
                raise X12WriteError(
                    f"{segment.tag}{position:02d} {value!r} contains the delimiter "
                    f"{delimiter!r} ({where})"
                )
        if REPETITION_MARK in value:
            if delimiters.repetition is None:
                raise X12WriteError(
                    f"{segment.tag}{position:02d} repeats, but the version has no repetition "
                    f"separator ({where})"
                )
            value = value.replace(REPETITION_MARK, delimiters.repetition)
        elements.append(value.replace(COMPONENT_MARK, delimiters.component))
    return Segment(segment.tag, tuple(elements), index=index)
