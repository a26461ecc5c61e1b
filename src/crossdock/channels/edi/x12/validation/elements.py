"""Element checks: one segment's values against its :class:`SegmentDef` → 723 codes.

A value is checked for presence, then by type: ``ID`` against its code list, ``AN`` for
non-printable characters, ``Nn``/``R`` for digits (sign and decimal point not counted in the
length), ``DT`` as a real CCYYMMDD date, ``TM`` as HHMM[SS[D..]]. Then the segment's syntax
notes (P/R/E/C/L) are checked over which positions are present.
"""

from __future__ import annotations

from datetime import date

from crossdock.channels.edi.x12.definitions.schema import (
    ElementDef,
    Requirement,
    RuleKind,
    SegmentDef,
    SyntaxRule,
    rule_broken,
)
from crossdock.channels.edi.x12.model import Finding, Segment, Severity

MISSING = "1"
CONDITIONAL_MISSING = "2"
TOO_MANY = "3"
TOO_SHORT = "4"
TOO_LONG = "5"
INVALID_CHARACTER = "6"
INVALID_CODE = "7"
INVALID_DATE = "8"
INVALID_TIME = "9"
EXCLUSION = "10"

_MEANING = {
    MISSING: "mandatory element missing",
    CONDITIONAL_MISSING: "conditional element missing",
    TOO_MANY: "too many data elements",
    TOO_SHORT: "value too short",
    TOO_LONG: "value too long",
    INVALID_CHARACTER: "invalid character in value",
    INVALID_CODE: "invalid code value",
    INVALID_DATE: "invalid date",
    INVALID_TIME: "invalid time",
    EXCLUSION: "exclusion condition violated",
}
_DIGITS = frozenset("0123456789")


def element_finding(
    segment: Segment,
    position: int,
    where: str,
    ref: str,
    code: str,
    value: str,
    severity: Severity = Severity.ERROR,
    detail: str = "",
) -> Finding:
    """A 723 finding on ``segment`` (at set position ``position``), element ``where``."""
    message = f"{segment.tag}{where.zfill(2) if ':' not in where else where}: {_MEANING[code]}"
    return Finding(
        "element",
        code,
        f"{message}{': ' + detail if detail else ''}",
        severity,
        segment_tag=segment.tag,
        offset=segment.offset,
        segment_index=position,
        element_position=where,
        element_reference=ref,
        bad_value=value[:99],
    )


def value_problem(definition: ElementDef, value: str) -> str | None:
    """The 723 code for a present ``value`` of an element defined by ``definition``, or None."""
    kind = definition.type
    if kind == "ID" or kind == "AN":
        size = len(value)
        if not value.isprintable():
            return INVALID_CHARACTER
        if size < definition.min:
            return TOO_SHORT
        if size > definition.max:
            return TOO_LONG
        if definition.codes is not None and value not in definition.codes:
            return INVALID_CODE
        return None
    if kind == "DT":
        return None if _is_date(value, definition.max) else INVALID_DATE
    if kind == "TM":
        return None if _is_time(value) else INVALID_TIME
    digits = value[1:] if value.startswith("-") else value
    if kind == "R" and "." in digits:
        whole, _, fraction = digits.partition(".")
        digits = whole + fraction
    if not digits or not _DIGITS.issuperset(digits):
        return INVALID_CHARACTER
    if len(digits) < definition.min:
        return TOO_SHORT
    if len(digits) > definition.max:
        return TOO_LONG
    return None


def _is_date(value: str, width: int) -> bool:
    if len(value) not in (6, 8) or not value.isdigit() or (len(value) == 6 and width != 6):
        return False
    year = int(value[:-4]) + (2000 if len(value) == 6 else 0)
    try:
        date(year, int(value[-4:-2]), int(value[-2:]))
    except ValueError:
        return False
    return True


def _is_time(value: str) -> bool:
    if len(value) not in (4, 6, 7, 8) or not value.isdigit():
        return False
    if int(value[:2]) > 23 or int(value[2:4]) > 59:
        return False
    return len(value) == 4 or int(value[4:6]) <= 59


class _Compiled:
    """A segment definition flattened for the hot path (built once per definition)."""

    __slots__ = ("elements", "mandatory", "rules")

    def __init__(self, definition: SegmentDef) -> None:
        self.elements = tuple(
            (index, d, d.requirement is Requirement.MANDATORY)
            for index, d in enumerate(definition.elements)
        )
        self.mandatory = tuple(i for i, d, required in self.elements if required)
        self.rules = tuple(
            (rule, rule.positions[0], frozenset(rule.positions), frozenset(rule.positions[1:]))
            for rule in definition.rules
        )


_COMPILED: dict[int, tuple[SegmentDef, _Compiled]] = {}


def _compiled(definition: SegmentDef) -> _Compiled:
    entry = _COMPILED.get(id(definition))
    if entry is None or entry[0] is not definition:
        entry = (definition, _Compiled(definition))
        _COMPILED[id(definition)] = entry
    return entry[1]


def check_elements(
    segment: Segment, definition: SegmentDef, position: int, component: str
) -> list[Finding]:
    """Every 723 finding for ``segment`` (at set position ``position``) against ``definition``.

    ``component`` is the interchange's component separator (composites are split on it).
    """
    values = segment.elements
    count = len(values)
    compiled = _compiled(definition)
    defs = compiled.elements
    findings: list[Finding] = []
    if count > len(defs):
        for extra in range(len(defs), count):
            # Empty trailing elements are sloppy but carry nothing: only data is "too many".
            if values[extra]:
                findings.append(
                    element_finding(segment, position, str(extra + 1), "", TOO_MANY, values[extra])
                )
                break
    for value, (index, element, required) in zip(values, defs, strict=False):
        if not value:
            if required:
                findings.append(
                    element_finding(segment, position, str(index + 1), element.ref, MISSING, "")
                )
            continue
        if element.components:
            findings += _check_composite(segment, position, index + 1, element, value, component)
            continue
        kind = element.type
        if (kind == "ID" or kind == "AN") and element.min <= len(value) <= element.max:
            # The common case, kept inline: a text value of the right length.
            codes = element.codes
            if value.isprintable() and component not in value and (codes is None or value in codes):
                continue
        problem = INVALID_CHARACTER if component in value else value_problem(element, value)
        if problem is not None:
            findings.append(
                element_finding(segment, position, str(index + 1), element.ref, problem, value)
            )
    for index in compiled.mandatory:
        if index >= count:
            ref = defs[index][1].ref
            findings.append(element_finding(segment, position, str(index + 1), ref, MISSING, ""))
    if compiled.rules:
        present = {i for i, value in enumerate(values, 1) if value}
        for rule, first, every, others in compiled.rules:
            broken = rule_broken(rule.kind, present, first, every, others)
            if broken:
                findings += _check_rule(segment, position, definition, rule)
    return findings


def _check_composite(
    segment: Segment, position: int, at: int, definition: ElementDef, value: str, component: str
) -> list[Finding]:
    parts = value.split(component)
    findings: list[Finding] = []
    for index, part_def in enumerate(definition.components):
        part = parts[index] if index < len(parts) else ""
        where = f"{at}:{index + 1}"
        if not part:
            if part_def.requirement is Requirement.MANDATORY:
                findings.append(
                    element_finding(segment, position, where, part_def.ref, MISSING, "")
                )
            continue
        problem = value_problem(part_def, part)
        if problem is not None:
            findings.append(element_finding(segment, position, where, part_def.ref, problem, part))
    for extra in range(len(definition.components), len(parts)):
        if parts[extra]:
            where = f"{at}:{extra + 1}"
            findings.append(element_finding(segment, position, where, "", TOO_MANY, parts[extra]))
            break
    return findings


def _check_rule(
    segment: Segment, position: int, definition: SegmentDef, rule: SyntaxRule
) -> list[Finding]:
    present = [bool(segment.element(p)) for p in rule.positions]
    kind = rule.kind
    first, others = present[0], present[1:]
    missing: list[int] = []
    code = CONDITIONAL_MISSING
    if kind is RuleKind.PAIRED and any(present) and not all(present):
        missing = [p for p, there in zip(rule.positions, present, strict=True) if not there]
    elif kind is RuleKind.REQUIRED and not any(present):
        missing = [rule.positions[0]]
    elif kind is RuleKind.CONDITIONAL and first and not all(others):
        missing = [p for p, there in zip(rule.positions[1:], others, strict=True) if not there]
    elif kind is RuleKind.LIST_CONDITIONAL and first and not any(others):
        missing = [rule.positions[1]]
    elif kind is RuleKind.EXCLUSION and sum(present) > 1:
        code = EXCLUSION
        missing = [[p for p, there in zip(rule.positions, present, strict=True) if there][1]]
    severity = Severity.ERROR if rule.strict else Severity.WARNING
    note = f"{kind.value}{''.join(f'{p:02d}' for p in rule.positions)}"
    findings = []
    for at in missing:
        ref = definition.elements[at - 1].ref if at <= len(definition.elements) else ""
        value = segment.element(at) if code == EXCLUSION else ""
        findings.append(
            element_finding(segment, position, str(at), ref, code, value, severity, f"rule {note}")
        )
    return findings
