"""Envelope-less fragments: transaction sets pasted without ISA/GS (test strings, guide samples).

:func:`read_fragment` reads ``ST … SE`` sets that have no interchange around them, so no ISA
declares the delimiters. Unless given, they are detected from the first segment: the element
separator is the character after its tag, and the segment terminator is the first character
after that which is neither alphanumeric, nor the element separator, nor a space. The component
and repetition separators cannot be detected: the component defaults to the first of
``> : ^ \\`` not already in use, and there is no repetition separator; pass ``delimiters`` when
composites matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossdock.channels.edi.x12.controls import close_set
from crossdock.channels.edi.x12.model import Delimiters, Finding, Segment, TransactionSet
from crossdock.channels.edi.x12.tokenizer import IGNORABLE, tokenize_segments

_COMPONENT_CHOICES = (">", ":", "^", "\\")


@dataclass(slots=True)
class Fragment:
    """The sets read from a fragment, the delimiters used, and findings outside any set."""

    delimiters: Delimiters
    sets: list[TransactionSet] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Problems outside the sets (their own trailer findings are on each set)."""


def detect_delimiters(text: str) -> Delimiters | None:
    """Detect the element separator and terminator from the first segment, or ``None``."""
    body = text.lstrip(IGNORABLE)
    tag_end = 0
    while tag_end < min(len(body), 3) and body[tag_end].isalnum():
        tag_end += 1
    if tag_end < 2 or tag_end >= len(body):
        return None
    element = body[tag_end]
    if element.isspace():
        return None
    terminator = next(
        (c for c in body[tag_end + 1 :] if not c.isalnum() and c not in (element, " ")), None
    )
    if terminator is None:
        return None
    component = next(c for c in _COMPONENT_CHOICES if c not in (element, terminator))
    return Delimiters(element, component, terminator)


def read_fragment(text: str | bytes, delimiters: Delimiters | None = None) -> Fragment:
    """Read the transaction sets of an envelope-less ``text``; never raises on bad input.

    Each set carries its 718 trailer findings (SE missing, SE01 and SE02 wrong, ST02 syntax);
    segments outside any set, undetectable delimiters or an envelope segment are findings on
    the returned :class:`Fragment`.
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    found = delimiters or detect_delimiters(text)
    if found is None:
        message = "no segment to detect the delimiters from"
        return Fragment(Delimiters(), findings=[Finding("interchange", "024", message)])
    fragment = Fragment(found)
    current: list[Segment] | None = None
    for token in tokenize_segments(text, found):
        if isinstance(token, Finding):
            fragment.findings.append(token)
        elif token.tag == "ST":
            if current is not None:
                fragment.sets.append(close_set(current))
            current = [token]
        elif current is None:
            message = f"{token.tag} segment outside any transaction set"
            fragment.findings.append(
                Finding("segment", "2", message, segment_tag=token.tag, offset=token.offset)
            )
        else:
            current.append(token)
            if token.tag == "SE":
                fragment.sets.append(close_set(current))
                current = None
    if current is not None:
        fragment.sets.append(close_set(current))
    return fragment
