"""The X12 writer: an :class:`~.model.Interchange` in, the exact text to send out.

:func:`render` is a pure function: the same interchange renders to the same characters, so a
retry can resend identical bytes. It

- writes the ISA fixed width (ISA02/04 padded to 10, ISA06/08 to 15, ISA13 zero-padded to 9
  digits), with ISA11 = the repetition separator from version 00402 (``U`` before) and
  ISA16 = the component separator;
- computes every trailer from the structure: SE01 (segments ST…SE inclusive), SE02 = ST02,
  GE01 (sets), GE02 = GS06, IEA01 (groups), IEA02 = ISA13 — trailers already on the model
  are ignored;
- omits trailing empty elements;
- refuses (:class:`X12WriteError`, naming the segment and element) an element holding the
  element separator or the segment terminator, and, in envelope segments, any delimiter. In
  the model a component or repetition separator inside a body element *is* structure (a
  composite, a repeat); business data is checked for them where it enters, in
  :func:`~.builder.build_interchange`.

To write a new document, build the interchange with :mod:`.builder`, then render it.
"""

from __future__ import annotations

from crossdock.channels.edi.x12.isa import REPETITION_SINCE, WIDTHS
from crossdock.channels.edi.x12.model import Delimiters, Interchange, Segment
from crossdock.core.errors import PermanentError

LINE_BREAKS = ("", "\n", "\r\n")
"""What may follow each segment terminator (a partner option)."""
_PADDED = {2: 10, 4: 10, 6: 15, 8: 15}
_ENVELOPE_TAGS = frozenset(("ISA", "GS", "ST", "SE", "GE", "IEA", "TA1"))


class X12WriteError(PermanentError):
    """The interchange cannot be written as given (data holding a delimiter, a bad width…)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="x12_write")


def check_delimiters(delimiters: Delimiters, version: str) -> None:
    """Refuse delimiters that are not single, distinct, non-alphanumeric characters, or a
    repetition separator that does not match the version (required from 00402, absent before).
    """
    named = {
        "element separator": delimiters.element,
        "component separator": delimiters.component,
        "segment terminator": delimiters.segment,
    }
    if delimiters.repetition is not None:
        named["repetition separator"] = delimiters.repetition
    for name, value in named.items():
        if len(value) != 1 or value.isalnum() or value == " ":
            raise X12WriteError(f"the {name} {value!r} must be one non-alphanumeric character")
    if len(set(named.values())) != len(named):
        raise X12WriteError(f"the delimiters must be distinct: {named}")
    needs_repetition = version >= REPETITION_SINCE
    if needs_repetition and delimiters.repetition is None:
        raise X12WriteError(f"version {version} needs a repetition separator (ISA11)")
    if not needs_repetition and delimiters.repetition is not None:
        raise X12WriteError(f"version {version} has no repetition separator (ISA11 is U)")


def render(interchange: Interchange, *, line_break: str = "") -> str:
    """Render ``interchange`` to text, a ``line_break`` (``""``, LF or CRLF) after each segment."""
    delimiters = interchange.delimiters
    if line_break not in LINE_BREAKS:
        raise X12WriteError(f"line break {line_break!r} must be one of {LINE_BREAKS}")
    if any(c in delimiters.all() for c in line_break):
        raise X12WriteError(f"the line break {line_break!r} collides with a delimiter")
    version = interchange.header.element(12).strip()
    check_delimiters(delimiters, version)
    end = delimiters.segment + line_break
    isa = _isa_elements(interchange.header, delimiters)
    out = [_line("ISA", isa, delimiters, envelope=True, trim=False), end]
    out.extend(_segment(s, delimiters, end) for s in interchange.segments)
    for group in interchange.groups:
        out.append(_segment(group.header, delimiters, end))
        for transaction in group.sets:
            body = transaction.body
            out.append(_segment(transaction.header, delimiters, end))
            out.extend(_segment(s, delimiters, end) for s in body)
            se = (str(len(body) + 2), transaction.control_number)
            out.append(_segment(Segment("SE", se), delimiters, end))
        ge = (str(len(group.sets)), group.control_number)
        out.append(_segment(Segment("GE", ge), delimiters, end))
    iea = (str(len(interchange.groups)), isa[12])
    out.append(_segment(Segment("IEA", iea), delimiters, end))
    return "".join(out)


def render_bytes(interchange: Interchange, *, line_break: str = "") -> bytes:
    """:func:`render`, encoded as latin-1 (the reader's decoding: bytes round-trip exactly)."""
    text = render(interchange, line_break=line_break)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise X12WriteError(f"character {bad!r} at offset {exc.start} is not latin-1") from exc


def _isa_elements(header: Segment, delimiters: Delimiters) -> tuple[str, ...]:
    values = []
    for position, width in enumerate(WIDTHS[:15], start=1):
        value = header.element(position)
        if position in _PADDED:
            value = value.ljust(width)
        elif position == 13 and value.strip().isdigit():
            value = value.strip().zfill(width)
        elif position == 11:
            value = delimiters.repetition or "U"
        if len(value) != width:
            raise X12WriteError(f"ISA{position:02d} {value!r} must be {width} characters")
        values.append(value)
    values.append(delimiters.component)
    return tuple(values)


def _segment(segment: Segment, delimiters: Delimiters, end: str) -> str:
    envelope = segment.tag in _ENVELOPE_TAGS
    return _line(segment.tag, segment.elements, delimiters, envelope=envelope) + end


def _line(
    tag: str,
    elements: tuple[str, ...],
    delimiters: Delimiters,
    *,
    envelope: bool,
    trim: bool = True,
) -> str:
    if not (tag.isascii() and tag.isalnum() and tag == tag.upper()):
        raise X12WriteError(f"segment tag {tag!r} must be upper-case letters and digits")
    count = len(elements)
    if trim:
        while count and not elements[count - 1]:
            count -= 1
    kept = elements[:count]
    sep, term = delimiters.element, delimiters.segment
    text = sep.join(kept)
    forbidden = (sep, term, *(delimiters.all() if envelope else ()))
    if text.count(sep) != max(count - 1, 0) or any(d in text for d in forbidden[1:]):
        _refuse(tag, kept, forbidden, delimiters, envelope)
    return f"{tag}{sep}{text}" if count else tag


def _refuse(
    tag: str,
    elements: tuple[str, ...],
    forbidden: tuple[str, ...],
    delimiters: Delimiters,
    envelope: bool,
) -> None:
    isa_last = tag == "ISA"
    for position, value in enumerate(elements, start=1):
        if isa_last and position in (11, 16):
            continue  # ISA11 and ISA16 are the repetition and component separators themselves
        for delimiter in forbidden:
            if delimiter in value:
                raise X12WriteError(
                    f"{tag}{position:02d} {value!r} contains the delimiter {delimiter!r} "
                    f"({_name(delimiter, delimiters)})"
                )


def _name(delimiter: str, delimiters: Delimiters) -> str:
    if delimiter == delimiters.element:
        return "element separator"
    if delimiter == delimiters.segment:
        return "segment terminator"
    if delimiter == delimiters.component:
        return "component separator"
    return "repetition separator"
