"""The ISA interchange header: its fixed layout, reading it (leniently), and checking its fields.

The ISA is the one segment whose layout is fixed: 16 elements of fixed width, 106 characters
with the segment terminator, and it declares the delimiters everything after it uses. Real
files get the widths wrong (unpadded sender ids, short security fields), so :func:`read_isa`
falls back to finding the 16 elements by the element separator, with a warning. The field
checks map to the TA1 note codes (TA105), the full list of which is 001–031:

====  ==========================================  ====  ===================================
001   ISA13/IEA02 control numbers differ          017   invalid version (ISA12)
004   invalid segment terminator                  018   invalid control number (ISA13)
005   invalid sender qualifier (ISA05)            019   invalid ack requested (ISA14)
006   invalid sender id (ISA06)                   020   invalid test indicator (ISA15)
007   invalid receiver qualifier (ISA07)          021   wrong number of groups (IEA01)
008   invalid receiver id (ISA08)                 022   invalid control structure
010   invalid authorization qualifier (ISA01)     023   premature end of file
011   invalid authorization value (ISA02)         024   invalid interchange content
012   invalid security qualifier (ISA03)          025   duplicate interchange
013   invalid security value (ISA04)              026   invalid element separator
014   invalid date (ISA09)                        027   invalid component separator
015   invalid time (ISA10)                        016   invalid standards id / ISA11
====  ==========================================  ====  ===================================
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass

from crossdock.channels.edi.x12.model import Delimiters, Finding, Segment, Severity

WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
"""The width of ISA01 … ISA16."""
FIXED_LENGTH = 106
"""ISA length including its segment terminator."""
SEPARATOR_POSITIONS = (3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103)
"""Where the 16 element separators sit in a fixed-width ISA."""
LENIENT_WINDOW = 512
"""How far a lenient read looks for the 16 element separators of an unpadded ISA."""
REPETITION_SINCE = "00402"
"""ISA11 is the repetition separator from this version on (``U`` before)."""


@dataclass(frozen=True, slots=True)
class IsaRead:
    """An ISA read from a buffer: the segment, its delimiters, and where it ends."""

    segment: Segment
    delimiters: Delimiters
    end: int
    """Buffer index just after the ISA's segment terminator."""
    findings: tuple[Finding, ...] = ()
    """Warnings (a lenient read) and errors about the delimiters themselves."""


def _failure(code: str, message: str, offset: int) -> Finding:
    return Finding("interchange", code, message, segment_tag="ISA", offset=offset)


def read_isa(buf: str, start: int, base: int, eof: bool) -> IsaRead | Finding | None:
    """Read the ISA that starts at ``buf[start]`` (``base`` is the file offset of ``buf[0]``).

    Returns the read ISA; ``None`` when ``buf`` ends too soon to tell and more input may
    follow; or an error :class:`Finding` when no ISA can be read here.
    """
    offset = base + start
    if len(buf) - start < 4:
        return None if not eof else _failure("023", "the file ends inside an ISA", offset)
    sep = buf[start + 3]
    if sep.isalnum() or sep.isspace():
        return _failure("026", f"invalid element separator {sep!r} after ISA", offset)
    lenient = not _fixed_width(buf, start, sep)
    if lenient:
        last = start + 3
        limit = min(len(buf), start + LENIENT_WINDOW)
        for _ in range(15):
            last = buf.find(sep, last + 1, limit)
            if last < 0:
                if not eof and len(buf) < start + LENIENT_WINDOW:
                    return None
                return _failure("024", "the ISA does not have 16 elements", offset)
        if last + 2 >= len(buf):
            if not eof:
                return None
            return _failure("023", "the file ends inside the ISA", offset)
    else:
        last = start + 103
    fields = buf[start + 4 : last].split(sep)
    component, terminator = buf[last + 1], buf[last + 2]
    if terminator.isalnum() or terminator in (sep, component):
        return _failure("004", f"invalid segment terminator {terminator!r} after ISA16", offset)
    if any(terminator in value for value in fields):
        return _failure("024", "the ISA runs into the next segment (too few elements)", offset)
    segment = Segment("ISA", (*fields, component), offset)
    findings: list[Finding] = []
    if lenient:
        findings.append(_lenient_warning(segment, last + 3 - start))
    if component.isalnum() or component == sep:
        findings.append(_failure("027", f"invalid component separator {component!r}", offset))
        component = ""
    repetition = _repetition(segment, (sep, component, terminator), findings)
    delimiters = Delimiters(sep, component, terminator, repetition)
    return IsaRead(segment, delimiters, last + 3, tuple(findings))


def _fixed_width(buf: str, start: int, sep: str) -> bool:
    if len(buf) - start < FIXED_LENGTH:
        return False
    if buf.count(sep, start, start + FIXED_LENGTH - 1) != len(SEPARATOR_POSITIONS):
        return False
    return all(buf[start + at] == sep for at in SEPARATOR_POSITIONS)


def _lenient_warning(segment: Segment, length: int) -> Finding:
    wrong = [
        f"ISA{n:02d}"
        for n, width in enumerate(WIDTHS[:15], start=1)
        if len(segment.element(n)) != width
    ]
    return Finding(
        "interchange",
        "024",
        f"the ISA is not fixed width ({length} characters, not {FIXED_LENGTH}; "
        f"{', '.join(wrong) or 'no field'} of the wrong width): read by its element separator",
        Severity.WARNING,
        segment_tag="ISA",
        offset=segment.offset,
    )


def _repetition(segment: Segment, in_use: tuple[str, ...], findings: list[Finding]) -> str | None:
    version = segment.element(12).strip()
    isa11 = segment.element(11)
    if not (version.isdigit() and version >= REPETITION_SINCE):
        return None
    if len(isa11) != 1 or isa11.isalnum() or isa11.isspace() or isa11 in in_use:
        findings.append(
            _failure("016", f"invalid repetition separator {isa11!r} in ISA11", segment.offset)
        )
        return None
    return isa11


def check_isa(isa: Segment) -> list[Finding]:
    """Check the values of ISA01–ISA15 (padding stripped); each problem with its TA1 code."""
    value = ("", *(element.strip() for element in isa.elements))
    problems: list[tuple[str, int, str, Severity]] = []
    error = Severity.ERROR
    for position, code in ((1, "010"), (3, "012")):
        if not (len(value[position]) == 2 and value[position].isdigit()):
            problems.append((code, position, "is not a two-digit qualifier", error))
    for position, code in ((5, "005"), (7, "007")):
        if not (len(value[position]) == 2 and value[position].isalnum()):
            problems.append((code, position, "is not a two-character id qualifier", error))
    for position, code in ((6, "006"), (8, "008")):
        if not 1 <= len(value[position]) <= 15:
            problems.append((code, position, "is not a 1–15 character id", error))
    if not _is_date(value[9]):
        problems.append(("014", 9, "is not a YYMMDD date", error))
    if not _is_time(value[10]):
        problems.append(("015", 10, "is not an HHMM time", error))
    version = value[12]
    if not (len(version) == 5 and version.isdigit()):
        problems.append(("017", 12, "is not a five-digit version", error))
    elif version < REPETITION_SINCE and isa.element(11) != "U":
        problems.append(("016", 11, "should be U before version 00402", Severity.WARNING))
    if not (len(value[13]) == 9 and value[13].isdigit()):
        problems.append(("018", 13, "is not a nine-digit control number", error))
    if value[14] not in ("0", "1"):
        problems.append(("019", 14, "is not 0 or 1", error))
    if value[15] not in ("P", "T"):
        problems.append(("020", 15, "is not P (production) or T (test)", error))
    return [_field_finding(isa, *problem) for problem in problems]


def _field_finding(
    isa: Segment, code: str, position: int, problem: str, severity: Severity
) -> Finding:
    value = isa.element(position)
    return Finding(
        "interchange",
        code,
        f"ISA{position:02d} {problem}: {value!r}",
        severity,
        segment_tag="ISA",
        offset=isa.offset,
        element_position=str(position),
        bad_value=value[:99],
    )


def _is_date(text: str) -> bool:
    """YYMMDD, a real calendar day."""
    if len(text) != 6 or not text.isdigit():
        return False
    month, day = int(text[2:4]), int(text[4:6])
    return 1 <= month <= 12 and 1 <= day <= monthrange(2000 + int(text[:2]), month)[1]


def _is_time(text: str) -> bool:
    """HHMM."""
    return len(text) == 4 and text.isdigit() and int(text[:2]) < 24 and int(text[2:]) < 60
