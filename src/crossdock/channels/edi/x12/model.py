"""The X12 envelope model: interchange → functional group → transaction set → segment → element.

Everything here is plain data. The tokenizer and envelope reader build it from bytes, the writer
renders it, the validator reads it. Positions are kept so every finding can name where it is:
``offset`` is the character offset of the segment's first character in the file, and ``index``
is the segment's position in its transaction set counting ST as 1 (the AK3 position); segments
outside a set (ISA, GS, GE, IEA) have ``index`` 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators one interchange declares in its ISA."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None
    """ISA11 when ISA12 ≥ 00402; ``None`` in 00401 and earlier (ISA11 is then ``U``)."""

    def all(self) -> tuple[str, ...]:
        """Every separator in use (any of them in data is an error)."""
        found = (self.element, self.component, self.segment, self.repetition)
        return tuple(d for d in found if d)


class Segment:
    """One segment: its tag and its elements (``elements[0]`` is element 01).

    A plain slotted class rather than a frozen dataclass: the reader builds one per segment,
    millions a mailbag, and a frozen dataclass costs three times as much to create. Treat it
    as immutable all the same (it hashes by value).
    """

    __slots__ = ("elements", "index", "offset", "tag")

    tag: str
    elements: tuple[str, ...]
    offset: int
    """Character offset of the segment in its file (0 when built in code)."""
    index: int
    """Position in its transaction set counting ST as 1; 0 outside a set."""

    def __init__(
        self, tag: str, elements: tuple[str, ...] = (), offset: int = 0, index: int = 0
    ) -> None:
        self.tag = tag
        self.elements = elements
        self.offset = offset
        self.index = index

    def __repr__(self) -> str:
        return (
            f"Segment(tag={self.tag!r}, elements={self.elements!r}, "
            f"offset={self.offset!r}, index={self.index!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segment) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.tag, self.elements, self.offset, self.index) == (
            other.tag,
            other.elements,
            other.offset,
            other.index,
        )

    def __hash__(self) -> int:
        return hash((self.tag, self.elements, self.offset, self.index))

    def element(self, position: int) -> str:
        """Element ``position`` (1-based), or ``""`` when the segment stops before it."""
        if 1 <= position <= len(self.elements):
            return self.elements[position - 1]
        return ""

    def components(self, position: int, delimiters: Delimiters) -> tuple[str, ...]:
        """The components of a composite element (a one-item tuple for a simple element)."""
        return tuple(self.element(position).split(delimiters.component))


class Severity(StrEnum):
    """How bad a finding is."""

    WARNING = "warning"
    """Read leniently (an unpadded ISA, a misused GS01): the document is still accepted."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong (or merely odd) with the input, where it is, and the X12 code it maps to.

    ``level`` says which acknowledgement carries the code: ``interchange`` → a TA1 note code
    (TA105), ``group`` → a 716 code (AK905), ``set`` → a 718 code (AK502), ``segment`` → a 720
    code (AK304), ``element`` → a 723 code (AK403).
    """

    level: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    segment_tag: str = ""
    offset: int = 0
    segment_index: int = 0
    """AK302: the segment's position in its set (ST = 1)."""
    loop_id: str = ""
    """AK303: the loop the segment sits in, when it does."""
    element_position: str = ""
    """AK401: ``"3"`` or, for a component, ``"3:1"``."""
    element_reference: str = ""
    """AK402: the data element reference number, when known."""
    bad_value: str = ""
    """AK404: a copy of the bad value (at most 99 characters)."""


@dataclass(slots=True)
class TransactionSet:
    """One ST…SE set with its segments in order (ST and SE included)."""

    segments: list[Segment]
    findings: list[Finding] = field(default_factory=list)
    """Trailer findings from reading (718 codes: SE missing, ST02/SE02 mismatch, SE01 count)."""

    @property
    def header(self) -> Segment:
        """The ST segment."""
        return self.segments[0]

    @property
    def set_id(self) -> str:
        """ST01, e.g. ``850``."""
        return self.header.element(1)

    @property
    def control_number(self) -> str:
        """ST02."""
        return self.header.element(2)

    @property
    def body(self) -> list[Segment]:
        """The segments between ST and SE."""
        end = -1 if self.segments and self.segments[-1].tag == "SE" else len(self.segments)
        return self.segments[1:end]


@dataclass(slots=True)
class FunctionalGroup:
    """One GS…GE group."""

    header: Segment
    sets: list[TransactionSet] = field(default_factory=list)
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)
    """Group findings from reading (716 codes: GE missing, GS06/GE02 mismatch, GE01 count)."""

    @property
    def functional_id(self) -> str:
        """GS01, e.g. ``PO``."""
        return self.header.element(1)

    @property
    def control_number(self) -> str:
        """GS06."""
        return self.header.element(6)

    @property
    def version(self) -> str:
        """GS08, e.g. ``004010`` or ``005010VICS``."""
        return self.header.element(8)


@dataclass(slots=True)
class Interchange:
    """One ISA…IEA interchange."""

    header: Segment
    delimiters: Delimiters
    groups: list[FunctionalGroup] = field(default_factory=list)
    trailer: Segment | None = None
    findings: list[Finding] = field(default_factory=list)
    """Envelope findings (TA1 note codes), warnings for lenient reads included."""
    segments: list[Segment] = field(default_factory=list)
    """Segments outside any group (a TA1, say)."""

    @property
    def sender(self) -> tuple[str, str]:
        """(ISA05 qualifier, ISA06 id), the id stripped of padding."""
        return self.header.element(5).strip(), self.header.element(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        """(ISA07 qualifier, ISA08 id), the id stripped of padding."""
        return self.header.element(7).strip(), self.header.element(8).strip()

    @property
    def control_number(self) -> str:
        """ISA13."""
        return self.header.element(13).strip()

    @property
    def version(self) -> str:
        """ISA12, e.g. ``00401``."""
        return self.header.element(12).strip()

    @property
    def usage(self) -> str:
        """ISA15: ``P`` production, ``T`` test."""
        return self.header.element(15).strip()

    @property
    def ack_requested(self) -> bool:
        """ISA14 = 1: the sender asks for a TA1."""
        return self.header.element(14).strip() == "1"
