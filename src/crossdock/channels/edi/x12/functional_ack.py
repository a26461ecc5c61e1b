"""A received 997, read for outbound-document tracking: which of our groups and sets it answers,
and how (A accepted, E accepted with errors, P partially accepted, R rejected).

A 997 may list only the sets in error (AK2 loops are optional in 004010), so
:meth:`FunctionalAck.status_of` falls back on the group's AK901 for a set it does not list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from crossdock.channels.edi.x12.model import Finding, Segment, Severity


@dataclass(frozen=True, slots=True)
class ElementError:
    """One AK4 of a received 997."""

    position: str
    """AK401, ``"2"`` or ``"3:1"``."""
    reference: str
    code: str
    bad_value: str = ""


@dataclass(frozen=True, slots=True)
class SegmentError:
    """One AK3 of a received 997, with its AK4s."""

    tag: str
    position: int
    loop_id: str
    code: str
    elements: tuple[ElementError, ...] = ()


@dataclass(frozen=True, slots=True)
class SetAck:
    """One AK2 loop: how the partner took one of our sets."""

    set_id: str
    control_number: str
    """Our ST02."""
    status: str
    """AK501: A, E, R (or M, W, X)."""
    codes: tuple[str, ...] = ()
    segment_errors: tuple[SegmentError, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionalAck:
    """A received 997, read for outbound-document tracking."""

    functional_id: str
    """AK101: the GS01 of our group."""
    group_control_number: str
    """AK102: our GS06."""
    version: str
    """AK103 (005010), else empty."""
    status: str
    """AK901: A, E, P, R."""
    declared: int = 0
    received: int = 0
    accepted: int = 0
    group_codes: tuple[str, ...] = ()
    sets: tuple[SetAck, ...] = field(default_factory=tuple)
    findings: tuple[Finding, ...] = ()
    """Why the 997 could not be read in full (missing AK1/AK9, an AK2 without AK5)."""

    def status_of(self, control_number: str) -> str:
        """How our set ST02 ``control_number`` was taken: its AK5, else implied by AK9
        (a 997 may list only the sets in error: an unlisted set of an A/E/P group is accepted)."""
        for ack in self.sets:
            if ack.control_number == control_number:
                return ack.status
        return "A" if self.status in ("A", "E", "P") else "R"


def read_997(body: Sequence[Segment], component: str = ":") -> FunctionalAck:
    """Read a received 997 set's segments (with or without ST/SE) into a :class:`FunctionalAck`.

    ``component`` is the sender's component separator (AK401 composites are normalised to
    ``n:m``).
    """
    ack = FunctionalAck("", "", "", "")
    findings: list[Finding] = []
    sets: list[SetAck] = []
    current: SetAck | None = None
    errors: list[SegmentError] = []
    for segment in body:
        tag, value = segment.tag, segment.element
        if tag == "AK1":
            ack = replace(
                ack, functional_id=value(1), group_control_number=value(2), version=value(3)
            )
        elif tag == "AK2":
            current, errors = SetAck(value(1), value(2), ""), []
        elif tag == "AK3":
            position = value(2)
            errors.append(
                SegmentError(
                    value(1), int(position) if position.isdigit() else 0, value(3), value(4)
                )
            )
        elif tag == "AK4" and errors:
            where = value(1).replace(component, ":")
            element = ElementError(where, value(2), value(3), value(4))
            errors[-1] = replace(errors[-1], elements=(*errors[-1].elements, element))
        elif tag == "AK5" and current is not None:
            codes = tuple(c for c in segment.elements[1:] if c)
            sets.append(
                replace(current, status=value(1), codes=codes, segment_errors=tuple(errors))
            )
            current = None
        elif tag == "AK9":
            ack = replace(
                ack,
                status=value(1),
                declared=_count(value(2)),
                received=_count(value(3)),
                accepted=_count(value(4)),
                group_codes=tuple(c for c in segment.elements[4:] if c),
            )
    if not ack.functional_id:
        findings.append(Finding("set", "5", "the 997 has no AK1", Severity.ERROR))
    if not ack.status:
        findings.append(Finding("set", "5", "the 997 has no AK9", Severity.ERROR))
    if current is not None:
        findings.append(Finding("set", "5", f"AK2 for {current.control_number} has no AK5"))
    return replace(ack, sets=tuple(sets), findings=tuple(findings))


def _count(text: str) -> int:
    return int(text) if text.isdigit() else 0
