"""The X12 tokenizer: text in, segments out, one chunk at a time.

:func:`tokenize` reads any :data:`~.source.Source` incrementally and yields a stream of tokens:

- :class:`InterchangeStart` for each ISA, with the delimiters it declares (element separator =
  4th character, component = ISA16, segment terminator = the character after ISA16, repetition
  = ISA11 from version 00402) and warnings for a lenient read;
- :class:`~.model.Segment` for every other segment, with its file offset and its position in
  its transaction set (ST = 1);
- :class:`~.model.Finding` for text it cannot place (content outside any interchange, a segment
  with no terminator in sight).

It never raises on bad input. It tolerates a UTF-8 byte order mark, CR/LF and other whitespace
after terminators, a newline as the terminator, a missing final terminator, and several
interchanges per file, each with its own delimiters. Memory is bounded by one chunk plus one
segment (:data:`MAX_SEGMENT`): segments are found with ``str.find`` over whole chunks.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass

from crossdock.channels.edi.x12.isa import read_isa
from crossdock.channels.edi.x12.model import Delimiters, Finding, Segment
from crossdock.channels.edi.x12.source import Source, text_chunks

MAX_SEGMENT = 1 << 20
"""A segment longer than this (no terminator in sight) is skipped with a finding."""
IGNORABLE = " \t\r\n\x0b\x0c\x00\x1a\ufeff\xef\xbb\xbf"
"""Characters that may sit between interchanges unremarked: whitespace, NUL and Ctrl-Z padding,
and a byte order mark (as text, or as its three latin-1 characters)."""
SAMPLE = 40
"""How much stray text a finding quotes."""
_ENVELOPE = frozenset(("GS", "GE", "IEA", "ISA"))
_CONTROL = _ENVELOPE | {"ST", "SE"}
"""Tags that move a segment's position in its set; every other one counts on."""
WINDOW = 1 << 14
"""How much text the fast path splits at a time (its segments are held only as a batch)."""


@dataclass(frozen=True, slots=True)
class InterchangeStart:
    """An ISA: the segment, the delimiters it declares, and findings about reading it."""

    header: Segment
    delimiters: Delimiters
    findings: tuple[Finding, ...] = ()


Token = Segment | InterchangeStart | Finding
"""What :func:`tokenize` yields."""


def tokenize(source: Source) -> Iterator[Token]:
    """Yield the tokens of ``source`` (see the module docstring), reading it incrementally."""
    for batch in token_batches(source):
        yield from batch


def token_batches(source: Source) -> Iterator[list[Token]]:
    """:func:`tokenize` in batches (up to a chunk's worth of segments): the fast path."""
    return _Tokenizer(text_chunks(source)).tokens()


def tokenize_segments(text: str, delimiters: Delimiters) -> Iterator[Segment | Finding]:
    """Yield the segments of envelope-less ``text`` split by known ``delimiters``.

    Stops with a finding at an ISA or IEA: an envelope is :func:`tokenize`'s business.
    """
    tokenizer = _Tokenizer(iter((text,)))
    batches = tokenizer.segments(0, delimiters)
    while True:
        try:
            batch = next(batches)
        except StopIteration as stop:
            end: int = stop.value
            break
        for token in batch:
            if not isinstance(token, InterchangeStart):
                yield token
    if tokenizer.buf[end:].strip(IGNORABLE):
        yield Finding(
            "interchange",
            "024",
            "an envelope segment inside an envelope-less fragment; the rest is not read",
            offset=tokenizer.base + end,
        )


class _Tokenizer:
    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.buf = ""
        self.base = 0
        """File offset of ``buf[0]``."""
        self.eof = False

    def _refill(self, pos: int) -> int:
        """Drop ``buf[:pos]`` and append the next chunk; sets ``eof`` when there is none."""
        self.base += pos
        rest = self.buf[pos:]
        for chunk in self._chunks:
            if chunk:
                self.buf = rest + chunk
                return 0
        self.buf = rest
        self.eof = True
        return 0

    def tokens(self) -> Iterator[list[Token]]:
        pos = 0
        while True:
            found = yield from self._seek_isa(pos)
            if found is None:
                return
            pos = yield from self.segments(*found)

    def _seek_isa(self, pos: int) -> Generator[list[Token], None, tuple[int, Delimiters] | None]:
        """Skip to the next readable ISA and yield it; returns where its segments start."""
        stray = _Stray()
        while True:
            buf = self.buf
            at = buf.find("ISA", pos)
            if at < 0:
                keep = len(buf) if self.eof else max(pos, len(buf) - 2)
                stray.note(buf, pos, keep, self.base)
                if self.eof:
                    yield [*stray.findings()]
                    return None
                pos = self._refill(keep)
                continue
            stray.note(buf, pos, at, self.base)
            read = read_isa(buf, at, self.base, self.eof)
            if read is None:
                pos = self._refill(at)
                continue
            if isinstance(read, Finding):
                yield [*stray.findings(), read]
                pos = at + 3
                continue
            start = InterchangeStart(read.segment, read.delimiters, read.findings)
            yield [*stray.findings(), start]
            return read.end, read.delimiters

    def segments(self, pos: int, delimiters: Delimiters) -> Generator[list[Token], None, int]:
        """Yield segments until an IEA (returns past it), an ISA (returns at it) or the end."""
        term, sep = delimiters.segment, delimiters.element
        buf, base, index = self.buf, self.base, 0
        batch: list[Token] = []
        while True:
            # The fast path: every whole segment in the next window, split in one call.
            last = buf.rfind(term, pos, pos + WINDOW)
            if last >= 0:
                start = pos
                for part in buf[pos:last].split(term):
                    at, start = start, start + len(part) + 1
                    text = part.lstrip()
                    if not text:
                        continue
                    elements = text.split(sep)
                    tag = elements[0]
                    offset = base + at + len(part) - len(text)
                    if tag not in _CONTROL:
                        if index:
                            index += 1
                        batch.append(Segment(tag, tuple(elements[1:]), offset, index))
                        continue
                    if tag == "ISA":
                        yield batch
                        return offset - base
                    if tag == "ST":
                        index = 1
                    elif tag != "SE":
                        index = 0
                    elif index:
                        index += 1
                    batch.append(Segment(tag, tuple(elements[1:]), offset, index))
                    if tag == "SE":
                        index = 0
                    elif tag == "IEA":
                        yield batch
                        return start
                pos = last + 1
                continue
            # No terminator in the window: the segment is long, or more text must be read.
            end = buf.find(term, pos)
            if end < 0:
                if not self.eof:
                    if len(buf) - pos > MAX_SEGMENT:
                        message = f"no segment terminator {term!r} in {MAX_SEGMENT} characters"
                        batch.append(Finding("interchange", "024", message, offset=base + pos))
                        yield batch
                        return len(buf)
                    yield batch
                    batch = []
                    pos = self._refill(pos)
                    buf, base = self.buf, self.base
                    continue
                end = len(buf)
                if pos >= end:
                    yield batch
                    return end
            part = buf[pos:end]
            text = part.lstrip()
            if not text:
                pos = end + 1
                continue
            start = pos + len(part) - len(text)
            elements = text.split(sep)
            tag = elements[0]
            if tag == "ST":
                index = 1
            elif tag in _ENVELOPE:
                if tag == "ISA":
                    yield batch
                    return start
                index = 0
            elif index:
                index += 1
            batch.append(Segment(tag, tuple(elements[1:]), base + start, index))
            pos = end + 1
            if tag == "SE":
                index = 0
            elif tag == "IEA":
                yield batch
                return min(pos, len(buf))


class _Stray:
    """Text outside any interchange: remembered by where it starts and ends, and a sample."""

    def __init__(self) -> None:
        self.offset, self.end, self.sample = -1, -1, ""

    def note(self, buf: str, start: int, end: int, base: int) -> None:
        text = buf[start:end]
        if self.offset < 0:
            content = text.lstrip(IGNORABLE)
            if not content:
                return
            self.offset = base + end - len(content)
            self.sample = content[:SAMPLE]
        elif len(self.sample) < SAMPLE:
            self.sample += text[: SAMPLE - len(self.sample)]
        if kept := text.rstrip(IGNORABLE):
            self.end = base + start + len(kept)

    def findings(self) -> list[Finding]:
        if self.offset < 0:
            return []
        length = self.end - self.offset
        found = Finding(
            "interchange",
            "024",
            f"{length} characters outside any interchange: {self.sample[:length]!r}",
            offset=self.offset,
        )
        self.offset, self.end, self.sample = -1, -1, ""
        return [found]
