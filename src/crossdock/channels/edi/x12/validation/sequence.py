"""Segment sequence: a set's body walked against its definition's loops → 720 codes.

The walk keeps a stack of open loops. A segment is looked for from the current place forward in
the innermost loop, then in each enclosing one (leaving the inner loops, whose unseen mandatory
segments are then reported missing). Finding the loop's first segment again starts a new repeat.
A segment found nowhere forward is out of sequence (7) when the set uses its tag at a level that
is open, unexpected (2) when the set only uses it inside a loop that is not open, not in the set
(6) when it looks like a segment ID, and unrecognised (1) otherwise; the walk then carries on
from where it was, so one stray segment yields one finding.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from crossdock.channels.edi.x12.definitions.schema import (
    LoopDef,
    Requirement,
    SegmentDef,
    SegmentUse,
    SetDef,
)
from crossdock.channels.edi.x12.model import Finding, Segment

UNRECOGNISED = "1"
UNEXPECTED = "2"
MANDATORY_MISSING = "3"
LOOP_OVER_MAX = "4"
OVER_MAX_USE = "5"
NOT_IN_SET = "6"
OUT_OF_SEQUENCE = "7"
ELEMENT_ERRORS = "8"


@dataclass(slots=True)
class _Body:
    """A loop body (or the set's body) compiled for lookups by tag."""

    nodes: tuple[SegmentUse | LoopDef, ...]
    by_tag: dict[str, tuple[int, ...]]
    loop: LoopDef | None
    children: dict[int, _Body] = field(default_factory=dict)
    mandatory: tuple[int, ...] = ()
    """Indices of the mandatory nodes (most bodies have one or two: checked without a scan)."""
    next_at: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Tag → for each frame index + 1, the node the walk finds the tag at from there, or -1."""
    segments: tuple[SegmentDef, ...] = ()
    """The definition of each node's segment (a loop's: its first segment's)."""
    limits: tuple[int, ...] = ()
    """Each node's maximum use (a loop's: repeats); ``sys.maxsize`` for the standard's ``>1``."""

    def find(self, tag: str, start: int) -> int:
        """The first node at or after ``start`` that ``tag`` matches, or -1."""
        for index in self.by_tag.get(tag, ()):
            if index >= start:
                return index
        return -1


def _compile(nodes: tuple[SegmentUse | LoopDef, ...], loop: LoopDef | None) -> _Body:
    by_tag: dict[str, list[int]] = {}
    body = _Body(nodes, {}, loop)
    for index, node in enumerate(nodes):
        by_tag.setdefault(node.tag, []).append(index)
        if isinstance(node, LoopDef):
            body.children[index] = _compile(node.body, node)
    body.by_tag = {tag: tuple(found) for tag, found in by_tag.items()}
    body.mandatory = tuple(
        index for index, node in enumerate(nodes) if node.requirement is Requirement.MANDATORY
    )
    # A frame at index i looks from i on; from its first node, a loop looks past it (finding
    # its first segment again is a new repeat, the parent's business). The set's body has no
    # such rule and starts at index -1.
    starts = [max(index, 0 if loop is None else 1) for index in range(-1, len(nodes))]
    body.next_at = {tag: tuple(body.find(tag, at) for at in starts) for tag in body.by_tag}
    body.segments = tuple(
        node.segment if isinstance(node, SegmentUse) else node.trigger.segment for node in nodes
    )
    body.limits = tuple(
        _limit(node.max_use if isinstance(node, SegmentUse) else node.max_repeat) for node in nodes
    )
    return body


def _limit(maximum: int | None) -> int:
    return sys.maxsize if maximum is None else maximum


_COMPILED: dict[int, tuple[SetDef, _Body]] = {}


def compiled(definition: SetDef) -> _Body:
    """The definition's body compiled once (kept by identity: definitions are long-lived)."""
    entry = _COMPILED.get(id(definition))
    if entry is None or entry[0] is not definition:
        entry = (definition, _compile(definition.body, None))
        _COMPILED[id(definition)] = entry
    return entry[1]


class _Frame:
    """An open body: the node the walk is at, and how often it has been used in a row.

    Nodes past ``index`` are unused: the walk only moves forward within a frame.
    """

    __slots__ = ("body", "count", "index")

    def __init__(self, body: _Body, index: int, count: int) -> None:
        self.body = body
        self.index = index
        self.count = count


def segment_finding(
    segment_tag: str, position: int, code: str, message: str, offset: int = 0, loop_id: str = ""
) -> Finding:
    """A 720 finding for segment ``segment_tag`` at set position ``position`` (ST = 1)."""
    return Finding(
        "segment",
        code,
        message,
        segment_tag=segment_tag,
        offset=offset,
        segment_index=position,
        loop_id=loop_id,
    )


class SequenceWalk:
    """Walks one set's body; :meth:`place` each segment in order, then :meth:`finish`."""

    def __init__(self, definition: SetDef, known_tags: frozenset[str]) -> None:
        self._definition = definition
        self._known = known_tags
        self._stack = [_Frame(compiled(definition), -1, 0)]
        self.findings: list[Finding] = []

    def place(self, segment: Segment, position: int) -> SegmentDef | None:
        """Place the body segment at set position ``position`` and record sequence findings;
        the segment's definition where it landed, or None when it fits nowhere."""
        tag = segment.tag
        stack = self._stack
        frame = stack[-1]
        body = frame.body
        nexts = body.next_at.get(tag)
        found = -1 if nexts is None else nexts[frame.index + 1]
        if found < 0:
            # Not forward in the innermost body: look in the enclosing ones.
            depth = len(stack) - 2
            while depth >= 0:
                frame = stack[depth]
                nexts = frame.body.next_at.get(tag)
                if nexts is not None and (found := nexts[frame.index + 1]) >= 0:
                    break
                depth -= 1
            if found < 0:
                self._stray(segment, position)
                return None
            while len(stack) - 1 > depth:
                self._close(stack.pop(), position)
            body = frame.body
        if found == frame.index:
            frame.count += 1
        else:
            for index in body.mandatory:
                if frame.index < index < found:
                    self._missing(body, index, position)
            frame.index = found
            frame.count = 1
        if frame.count > body.limits[found]:
            self._over(body.nodes[found], segment, position)
        child = body.children.get(found)
        if child is not None:
            stack.append(_Frame(child, 0, 1))
        return body.segments[found]

    def finish(self, position: int) -> list[Finding]:
        """Close every open loop at the trailer (set position ``position``); all findings."""
        while self._stack:
            self._close(self._stack.pop(), position)
        return self.findings

    def _bounded(self) -> str:
        for frame in reversed(self._stack):
            if frame.body.loop is not None and frame.body.loop.bounded:
                return frame.body.loop.id
        return ""

    def _close(self, frame: _Frame, position: int) -> None:
        for index in frame.body.mandatory:
            if index > frame.index:
                self._missing(frame.body, index, position)

    def _missing(self, body: _Body, index: int, position: int) -> None:
        node = body.nodes[index]
        what = f"loop {node.id}" if isinstance(node, LoopDef) else "segment"
        self._add(node.tag, position, MANDATORY_MISSING, f"mandatory {what} {node.tag} missing")

    def _over(self, node: SegmentUse | LoopDef, segment: Segment, position: int) -> None:
        tag = segment.tag
        if isinstance(node, SegmentUse):
            code, message = OVER_MAX_USE, f"{tag} used more than {node.max_use} times here"
        else:
            code, message = (
                LOOP_OVER_MAX,
                f"loop {node.id} repeated more than {node.max_repeat} times",
            )
        self._add(tag, position, code, message, segment.offset)

    def _stray(self, segment: Segment, position: int) -> None:
        tag = segment.tag
        if tag in self._definition.tags:
            open_tags = {t for frame in self._stack for t in frame.body.by_tag}
            if tag in open_tags:
                code, why = OUT_OF_SEQUENCE, "out of sequence"
            else:
                code, why = UNEXPECTED, "unexpected here (its loop is not open)"
        elif tag in self._known or _looks_like_tag(tag):
            code, why = NOT_IN_SET, f"not used in the {self._definition.id} set"
        else:
            code, why = UNRECOGNISED, "not a recognised segment ID"
        self._add(tag, position, code, f"{tag}: {why}", segment.offset)

    def _add(self, tag: str, position: int, code: str, message: str, offset: int = 0) -> None:
        self.findings.append(segment_finding(tag, position, code, message, offset, self._bounded()))


def _looks_like_tag(tag: str) -> bool:
    # X12 segment IDs are two or three upper-case letters or digits, starting with a letter.
    return 2 <= len(tag) <= 3 and tag[0].isalpha() and tag.isalnum() and tag.isupper()
