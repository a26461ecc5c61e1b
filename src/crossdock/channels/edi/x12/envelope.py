"""The envelope reader: tokens in, :class:`~.model.Interchange` trees out, one at a time.

:func:`read_interchanges` accepts a ``str``, ``bytes``, a :class:`pathlib.Path`, an open file
(binary or text) or an iterable of chunks, and yields each interchange as soon as it is read,
so memory stays bounded by one interchange. It never raises on bad input: every problem becomes
a :class:`~.model.Finding` on the interchange, group or set it concerns (codes in
:mod:`.controls` and :mod:`.isa`):

- text outside any interchange (TA1 024) goes to the interchange before it, or the first one;
- segments outside a group, other than a TA1, and segments between sets are 024 findings;
- a trailer that never comes closes its set (718 code 2), group (716 code 3) or interchange
  (TA1 023) at the next header or the end of the input;
- an input with no readable ISA yields one empty interchange (an ISA segment without elements)
  carrying the error.
"""

from __future__ import annotations

from collections.abc import Iterator

from crossdock.channels.edi.x12.controls import (
    check_group_header,
    close_group,
    close_interchange,
    close_set,
)
from crossdock.channels.edi.x12.isa import check_isa
from crossdock.channels.edi.x12.model import (
    Delimiters,
    Finding,
    FunctionalGroup,
    Interchange,
    Segment,
)
from crossdock.channels.edi.x12.source import Source
from crossdock.channels.edi.x12.tokenizer import InterchangeStart, token_batches

_CONTROL_TAGS = frozenset(("ST", "SE", "GS", "GE", "IEA"))
_OUTSIDE_GROUP_OK = frozenset(("TA1",))


def read_interchanges(source: Source) -> Iterator[Interchange]:
    """Yield every interchange in ``source`` with its groups, sets and findings, in file order."""
    reader = _Assembler()
    control_tags = _CONTROL_TAGS
    for batch in token_batches(source):
        for token in batch:
            if type(token) is Segment:
                open_set = reader.open_set
                if open_set is not None and token.tag not in control_tags:
                    open_set.append(token)
                else:
                    reader.control(token)
            elif isinstance(token, InterchangeStart):
                yield from reader.start(token)
            elif isinstance(token, Finding):
                reader.note(token)
    yield from reader.finish()


class _Assembler:
    """The open interchange, group and set, and the finished interchange not yet handed out."""

    def __init__(self) -> None:
        self.interchange: Interchange | None = None
        self.group: FunctionalGroup | None = None
        self.open_set: list[Segment] | None = None
        self.done: Interchange | None = None
        """Read to its IEA; held so that stray text after it can still be attached."""
        self.pending: list[Finding] = []
        """Findings before the first interchange."""
        self.yielded = False

    def start(self, token: InterchangeStart) -> Iterator[Interchange]:
        yield from self._flush()
        self.interchange = Interchange(
            token.header,
            token.delimiters,
            findings=[*self.pending, *token.findings, *check_isa(token.header)],
        )
        self.pending = []

    def note(self, finding: Finding) -> None:
        target = self.interchange or self.done
        (target.findings if target else self.pending).append(finding)

    def control(self, segment: Segment) -> None:
        interchange = self.interchange
        if interchange is None:  # the tokenizer yields segments only inside an interchange
            return
        tag = segment.tag
        if tag == "ST":
            self._close_set()
            if self.group is None:
                self._stray(segment, "outside any functional group")
            self.open_set = [segment]
        elif tag == "SE" and self.open_set is not None:
            self.open_set.append(segment)
            self._close_set()
        elif tag == "GS":
            self._close_group(None)
            self.group = FunctionalGroup(segment)
            check_group_header(self.group)
            interchange.groups.append(self.group)
        elif tag == "GE" and self.group is not None:
            self._close_group(segment)
        elif tag == "IEA":
            self._close_group(None)
            close_interchange(interchange, segment)
            self.done, self.interchange = interchange, None
        elif self.group is None:
            interchange.segments.append(segment)
            if tag not in _OUTSIDE_GROUP_OK:
                self._stray(segment, "outside any functional group")
        else:
            self._stray(segment, "outside any transaction set")

    def _stray(self, segment: Segment, where: str) -> None:
        assert self.interchange is not None
        self.interchange.findings.append(
            Finding(
                "interchange",
                "024",
                f"{segment.tag} segment {where}",
                segment_tag=segment.tag,
                offset=segment.offset,
            )
        )

    def _close_set(self) -> None:
        if self.open_set is None:
            return
        closed = close_set(self.open_set)
        self.open_set = None
        if self.group is not None:
            self.group.sets.append(closed)

    def _close_group(self, trailer: Segment | None) -> None:
        self._close_set()
        if self.group is not None:
            close_group(self.group, trailer)
            self.group = None

    def _flush(self) -> Iterator[Interchange]:
        if self.interchange is not None:
            self._close_group(None)
            close_interchange(self.interchange, None)
            self.done, self.interchange = self.interchange, None
        if self.done is not None:
            self.yielded = True
            yield self.done
            self.done = None

    def finish(self) -> Iterator[Interchange]:
        yield from self._flush()
        if not self.yielded:
            empty = Interchange(Segment("ISA"), Delimiters(), findings=self.pending)
            empty.findings.append(
                Finding("interchange", "023", "no interchange: the input holds no readable ISA")
            )
            yield empty
