"""x12_lite: the retailer's own small X12 reader and writer (004010, no schemas).

A real trading partner runs its own translator, so the sandbox does not borrow the hub's. Reading
takes the delimiters from each ISA (element = 4th character, component = ISA16, segment terminator
= the character after ISA16), tolerates line breaks after terminators, and splits a file into
interchanges, groups and sets with their trailers. Writing renders a fixed-width ISA and counts
every trailer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

ELEMENT, COMPONENT, TERMINATOR = "*", ">", "~"
ISA_ELEMENTS = 16


class X12Error(ValueError):
    """The text is not X12 this reader can split (no ISA, a truncated ISA, no IEA)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its tag and elements (``element(1)`` is the first after the tag)."""

    tag: str
    elements: tuple[str, ...]

    def element(self, position: int) -> str:
        """The element at `position` (1-based), or "" when the segment is shorter."""
        return self.elements[position - 1] if 0 < position <= len(self.elements) else ""

    def render(self, separator: str = ELEMENT) -> str:
        return separator.join((self.tag, *self.elements))


@dataclass(kw_only=True)
class TransactionSet:
    """ST … SE: `segments` holds both, so `len(segments)` is what SE01 must say."""

    segments: list[Segment]
    closed: bool = False
    """An SE ended the set (False when the group or file ended first)."""

    @property
    def set_id(self) -> str:
        return self.segments[0].element(1)

    @property
    def control(self) -> str:
        return self.segments[0].element(2)

    @property
    def trailer(self) -> Segment | None:
        return self.segments[-1] if self.closed else None

    def body(self, tag: str | None = None) -> list[Segment]:
        """The segments between ST and SE, optionally only those tagged `tag`."""
        inner = self.segments[1:-1] if self.closed else self.segments[1:]
        return [s for s in inner if tag is None or s.tag == tag]

    def first(self, tag: str) -> Segment | None:
        return next(iter(self.body(tag)), None)


@dataclass(kw_only=True)
class Group:
    """GS … GE."""

    header: Segment
    trailer: Segment | None = None
    sets: list[TransactionSet] = field(default_factory=list)

    @property
    def functional_id(self) -> str:
        return self.header.element(1)

    @property
    def control(self) -> str:
        return self.header.element(6)


@dataclass(kw_only=True)
class Interchange:
    """ISA … IEA, with the delimiters its ISA declared and any TA1 it carries."""

    header: Segment
    element: str
    component: str
    terminator: str
    trailer: Segment | None = None
    groups: list[Group] = field(default_factory=list)
    ta1: list[Segment] = field(default_factory=list)

    @property
    def control(self) -> str:
        return self.header.element(13)

    @property
    def sender(self) -> str:
        return self.header.element(6).strip()

    @property
    def receiver(self) -> str:
        return self.header.element(8).strip()


def read(text: str) -> list[Interchange]:
    """Every interchange in `text` (a mailbag may declare different delimiters in each)."""
    interchanges: list[Interchange] = []
    pos = _skip_space(text, 0)
    if pos >= len(text):
        raise X12Error("empty document")
    while pos < len(text):
        interchange, pos = _read_interchange(text, pos)
        interchanges.append(interchange)
        pos = _skip_space(text, pos)
    return interchanges


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \r\n\t":
        pos += 1
    return pos


def _read_interchange(text: str, pos: int) -> tuple[Interchange, int]:
    if not text.startswith("ISA", pos) or len(text) < pos + 4:
        raise X12Error(f"expected ISA at offset {pos}")
    element = text[pos + 3]
    end = pos
    for _ in range(ISA_ELEMENTS):
        end = text.find(element, end + 1)
        if end < 0:
            raise X12Error("the ISA is truncated")
    if len(text) < end + 3:
        raise X12Error("the ISA has no ISA16 or segment terminator")
    component, terminator = text[end + 1], text[end + 2]
    interchange: Interchange | None = None
    while pos < len(text):
        stop = text.find(terminator, pos)
        raw = text[pos:] if stop < 0 else text[pos:stop]
        pos = len(text) if stop < 0 else stop + 1
        raw = raw.strip("\r\n")
        if not raw.strip():
            continue
        tag, *elements = raw.split(element)
        segment = Segment(tag.strip(), tuple(elements))
        if interchange is None:
            interchange = Interchange(
                header=segment, element=element, component=component, terminator=terminator
            )
            continue
        if _place(interchange, segment):
            return interchange, pos
    raise X12Error(f"interchange {interchange.control if interchange else '?'} has no IEA")


def _place(interchange: Interchange, segment: Segment) -> bool:
    """File `segment` in its interchange; True when it was the IEA."""
    group = interchange.groups[-1] if interchange.groups else None
    open_group = group if group is not None and group.trailer is None else None
    current = open_group.sets[-1] if open_group and open_group.sets else None
    open_set = current if current is not None and not current.closed else None
    if segment.tag == "IEA":
        interchange.trailer = segment
        return True
    if segment.tag == "TA1":
        interchange.ta1.append(segment)
    elif segment.tag == "GS":
        interchange.groups.append(Group(header=segment))
    elif segment.tag == "GE" and open_group is not None:
        open_group.trailer = segment
    elif segment.tag == "ST" and open_group is not None:
        open_group.sets.append(TransactionSet(segments=[segment]))
    elif open_set is not None:
        open_set.segments.append(segment)
        open_set.closed = segment.tag == "SE"
    return False


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Party:
    """One end of an interchange: ISA qualifier/id and the GS application code."""

    qualifier: str
    isa_id: str
    gs_id: str


@dataclass(frozen=True, kw_only=True)
class SetSpec:
    """A transaction set to write: ST01, ST02 and the segments between ST and SE."""

    set_id: str
    control: str
    body: Sequence[Sequence[str]]
    """Each segment as (tag, element, …); trailing empty elements are dropped."""


@dataclass(frozen=True, kw_only=True)
class GroupSpec:
    """A functional group to write."""

    functional_id: str
    control: int
    sets: Sequence[SetSpec]
    version: str = "004010"


def write(
    *,
    sender: Party,
    receiver: Party,
    control: int,
    at: datetime,
    groups: Sequence[GroupSpec],
    usage: str = "P",
) -> str:
    """Render one interchange: fixed-width ISA, GS/ST with their counted trailers, IEA."""
    isa = (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender.qualifier.ljust(2),
        sender.isa_id.ljust(15)[:15],
        receiver.qualifier.ljust(2),
        receiver.isa_id.ljust(15)[:15],
        at.strftime("%y%m%d"),
        at.strftime("%H%M"),
        "U",
        "00401",
        f"{control % 10**9:09d}",
        "0",
        usage,
        COMPONENT,
    )
    lines = [ELEMENT.join(isa)]
    for group in groups:
        date, time = at.strftime("%Y%m%d"), at.strftime("%H%M")
        gs = ("GS", group.functional_id, sender.gs_id, receiver.gs_id, date, time)
        lines.append(_render((*gs, str(group.control), "X", group.version)))
        for spec in group.sets:
            segments = [("ST", spec.set_id, spec.control), *spec.body]
            lines.extend(_render(s) for s in segments)
            lines.append(_render(("SE", str(len(segments) + 1), spec.control)))
        lines.append(_render(("GE", str(len(group.sets)), str(group.control))))
    lines.append(_render(("IEA", str(len(groups)), f"{control % 10**9:09d}")))
    return "".join(f"{line}{TERMINATOR}\n" for line in lines)


def _render(segment: Sequence[str]) -> str:
    elements = list(segment)
    while len(elements) > 1 and elements[-1] == "":
        elements.pop()
    return ELEMENT.join(elements)
