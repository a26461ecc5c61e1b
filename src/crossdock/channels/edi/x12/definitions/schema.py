"""The declarative language X12 set definitions are written in.

A :class:`SetDef` is a tree: its body is a tuple of :class:`SegmentUse` (one segment at one place,
with its requirement and maximum use) and :class:`LoopDef` (a repeating group whose first member
is the segment that starts it). Segments are described once, as :class:`SegmentDef` with their
:class:`ElementDef` and :class:`SyntaxRule` (the standard's P/R/E/C/L notes), and reused by every
set. Everything is frozen so definitions can be shared between versions and precompiled once.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum


class Requirement(StrEnum):
    """The standard's requirement designators."""

    MANDATORY = "M"
    OPTIONAL = "O"
    CONDITIONAL = "X"
    """Governed by a syntax rule of its segment (checked through :class:`SyntaxRule`)."""


M = Requirement.MANDATORY
O = Requirement.OPTIONAL  # noqa: E741 (the standard's own letter reads best in tables)
X = Requirement.CONDITIONAL

ELEMENT_TYPES = frozenset({"ID", "AN", "N0", "N1", "N2", "N3", "N4", "R", "DT", "TM"})


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One data element at one position of a segment (or one component of a composite)."""

    ref: str
    """The data element reference number (AK402), e.g. ``"353"``; a composite's id (``"C001"``)."""
    type: str
    """``ID``, ``AN``, ``Nn`` (implied decimals), ``R``, ``DT``, ``TM``; ``""`` for a composite."""
    min: int
    """Minimum length (sign and decimal point not counted)."""
    max: int
    """Maximum length (sign and decimal point not counted)."""
    requirement: Requirement = O
    codes: frozenset[str] | None = None
    """The allowed values of an ``ID`` element; ``None`` accepts any value of the right length."""
    components: tuple[ElementDef, ...] = ()
    """A composite's components, in order; empty for a simple element."""

    def __post_init__(self) -> None:
        if self.type not in ELEMENT_TYPES and not (self.type == "" and self.components):
            raise ValueError(f"element {self.ref}: unknown type {self.type!r}")
        if self.min > self.max:
            raise ValueError(f"element {self.ref}: min {self.min} above max {self.max}")

    @property
    def is_composite(self) -> bool:
        """True for a composite element (its value is split by the component separator)."""
        return bool(self.components)


class RuleKind(StrEnum):
    """The standard's syntax note kinds (the letter before the positions in ``P0304``)."""

    PAIRED = "P"
    """If any of the elements is present, all are required."""
    REQUIRED = "R"
    """At least one of the elements is required."""
    EXCLUSION = "E"
    """Not more than one of the elements may be present."""
    CONDITIONAL = "C"
    """If the first element is present, all the others are required."""
    LIST_CONDITIONAL = "L"
    """If the first element is present, at least one of the others is required."""


@dataclass(frozen=True, slots=True)
class SyntaxRule:
    """One syntax note of a segment, e.g. ``P0304`` on N1."""

    kind: RuleKind
    positions: tuple[int, ...]
    """1-based element positions the rule relates."""
    strict: bool = True
    """False when real senders break the rule so often that breaking it is only a warning
    (the finding is kept, the 997 does not carry it)."""

    @classmethod
    def parse(cls, note: str, *, strict: bool = True) -> SyntaxRule:
        """Build a rule from the standard's notation: ``"P0304"``, ``"R020304"``."""
        digits = note[1:]
        if not note or len(digits) % 2 or not digits.isdigit():
            raise ValueError(f"bad syntax note {note!r}")
        positions = tuple(int(digits[i : i + 2]) for i in range(0, len(digits), 2))
        return cls(RuleKind(note[0]), positions, strict)


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """A segment as the dictionary describes it: its elements and syntax notes."""

    tag: str
    elements: tuple[ElementDef, ...]
    rules: tuple[SyntaxRule, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class SegmentUse:
    """A segment used at one place of a set (or loop)."""

    segment: SegmentDef
    requirement: Requirement = O
    max_use: int | None = 1
    """How many times in a row it may appear here; ``None`` is the standard's ``>1``."""

    @property
    def tag(self) -> str:
        """The segment's tag."""
        return self.segment.tag


@dataclass(frozen=True, slots=True)
class LoopDef:
    """A loop: a repeating group started by its first segment (which must be a segment use)."""

    id: str
    """The loop identifier, e.g. ``"N1"`` or ``"HL"``."""
    body: tuple[SegmentUse | LoopDef, ...]
    requirement: Requirement = O
    max_repeat: int | None = 1
    """How many times the loop may repeat; ``None`` is unbounded."""
    bounded: bool = False
    """True for an LS/LE bounded loop: only those carry their id in AK303."""

    def __post_init__(self) -> None:
        if not self.body or not isinstance(self.body[0], SegmentUse):
            raise ValueError(f"loop {self.id} must start with a segment")

    @property
    def trigger(self) -> SegmentUse:
        """The segment that starts each repeat of the loop."""
        first = self.body[0]
        assert isinstance(first, SegmentUse)  # guaranteed by __post_init__
        return first

    @property
    def tag(self) -> str:
        """The tag of the segment that starts the loop."""
        return self.trigger.tag


Node = SegmentUse | LoopDef


@dataclass(frozen=True, slots=True)
class SetDef:
    """A transaction set: the body between ST and SE (the envelope reader checks ST/SE)."""

    id: str
    """ST01, e.g. ``"850"``."""
    functional_id: str
    """The GS01 the set travels under, e.g. ``"PO"``."""
    version: str
    """``"004010"`` or ``"005010"``."""
    body: tuple[Node, ...]
    name: str = ""
    tags: frozenset[str] = field(init=False, default=frozenset())
    """Every segment tag used anywhere in the set (computed)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", frozenset(_tags(self.body)))


def _tags(body: tuple[Node, ...]) -> set[str]:
    found: set[str] = set()
    for node in body:
        if isinstance(node, SegmentUse):
            found.add(node.tag)
        else:
            found |= _tags(node.body)
    return found


UNBOUNDED = None
"""The standard's ``>1``: a segment or loop with no maximum."""


class Catalog:
    """Segment uses by tag from one version's segment dictionary: ``use("REF", O, UNBOUNDED)``."""

    def __init__(self, segments: dict[str, SegmentDef]) -> None:
        self._segments = segments

    def __call__(
        self, tag: str, requirement: Requirement = O, max_use: int | None = 1
    ) -> SegmentUse:
        """``tag`` used once at this place (or up to ``max_use`` times in a row)."""
        return SegmentUse(self._segments[tag], requirement, max_use)

    def loop(
        self,
        loop_id: str,
        requirement: Requirement,
        max_repeat: int | None,
        *body: SegmentUse | LoopDef,
    ) -> LoopDef:
        """A loop started by its first segment, which is mandatory in each repeat."""
        return LoopDef(loop_id, tuple(body), requirement, max_repeat)


def rule_broken(
    kind: RuleKind,
    present: AbstractSet[int],
    first: int,
    every: AbstractSet[int],
    others: AbstractSet[int],
) -> bool:
    """Whether a syntax note is broken, given the positions of the elements that are present.

    ``every`` is the note's positions, ``first`` the first of them, ``others`` the rest.
    """
    if kind is RuleKind.PAIRED:
        return bool(present & every) and not every <= present
    if kind is RuleKind.REQUIRED:
        return present.isdisjoint(every)
    if kind is RuleKind.CONDITIONAL:
        return first in present and not others <= present
    if kind is RuleKind.LIST_CONDITIONAL:
        return first in present and present.isdisjoint(others)
    return len(present & every) > 1
