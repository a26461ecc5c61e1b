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
    return body


_COMPILED: dict[int, tuple[SetDef, _Body]] = {}


def compiled(definition: SetDef) -> _Body:
    """The definition's body compiled once (kept by identity: definitions are long-lived)."""
    entry = _COMPILED.get(id(definition))
    if entry is None or entry[0] is not definition:
        entry = (definition, _compile(definition.body, None))
        _COMPILED[id(definition)] = entry
    return entry[1]


@dataclass(slots=True)
class _Frame:
    body: _Body
    index: int
    counts: list[int]


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
        root = compiled(definition)
        self._stack = [_Frame(root, -1, [0] * len(root.nodes))]
        self.findings: list[Finding] = []

    def place(self, segment: Segment, position: int) -> SegmentDef | None:
        """Place the body segment at set position ``position`` and record sequence findings;
        the segment's definition where it landed, or None when it fits nowhere."""
        tag = segment.tag
        stack = self._stack
        depth = len(stack) - 1
        found = -1
        while depth >= 0:
            frame = stack[depth]
            # Inside a loop, its first segment again means a new repeat, found in the parent.
            start = frame.index if frame.index > 0 else (0 if frame.body.loop is None else 1)
            found = frame.body.find(tag, start)
            if found >= 0:
                break
            depth -= 1
        if found < 0:
            self._stray(segment, position)
            return None
        while len(stack) - 1 > depth:
            self._close(stack.pop(), position)
        frame = stack[depth]
        self._skipped(frame, frame.index + 1, found, position)
        if found == frame.index:
            frame.counts[found] += 1
        else:
            frame.index = found
            frame.counts[found] = 1
        node = frame.body.nodes[found]
        count = frame.counts[found]
        if isinstance(node, SegmentUse):
            if node.max_use is not None and count > node.max_use:
                self._add(
                    tag,
                    position,
                    OVER_MAX_USE,
                    f"{tag} used more than {node.max_use} times here",
                    segment.offset,
                )
            return node.segment
        if node.max_repeat is not None and count > node.max_repeat:
            self._add(
                tag,
                position,
                LOOP_OVER_MAX,
                f"loop {node.id} repeated more than {node.max_repeat} times",
                segment.offset,
            )
        child = frame.body.children[found]
        counts = [0] * len(child.nodes)
        counts[0] = 1
        stack.append(_Frame(child, 0, counts))
        return node.trigger.segment

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
        self._skipped(frame, frame.index + 1, len(frame.body.nodes), position)

    def _skipped(self, frame: _Frame, start: int, stop: int, position: int) -> None:
        for index in frame.body.mandatory:
            if start <= index < stop and frame.counts[index] == 0:
                node = frame.body.nodes[index]
                what = f"loop {node.id}" if isinstance(node, LoopDef) else "segment"
                self._add(
                    node.tag, position, MANDATORY_MISSING, f"mandatory {what} {node.tag} missing"
                )

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
