"""The element checks' fast path: one regular expression per segment definition.

Almost every segment of a real mailbag is clean, and :func:`.elements.check_elements` walks
its elements one by one in Python to say so. A :class:`SegmentAcceptor` says the same with a
few C-level calls: the values joined by a separator no clean value contains, matched against
a pattern compiled once from the definition (each value's type, length and code list), and the
presence of each value (mandatory elements, syntax notes, "too many") looked up in a table of
the presence patterns already judged.

It is a filter, never a judge: it accepts only segments the exact checks find nothing wrong
with, and anything it does not accept (a bad value, a 29 February, a non-ASCII character, a
component separator it cannot work with) goes to :func:`.elements.check_elements`, which says
what is wrong. A pattern that rejects too much only costs time.
"""

from __future__ import annotations

import re
import string

from crossdock.channels.edi.x12.definitions.schema import (
    ElementDef,
    Requirement,
    SegmentDef,
    rule_broken,
)

JOIN = "\x1f"
"""Joins the values for matching: a control character, so never part of a clean value."""
PRESENCE_PATTERNS = 1024
"""Presence patterns remembered per definition (memory stays bounded on hostile input)."""

_MONTH_DAY = (
    "(?:(?:0[1-9]|1[0-2])(?:0[1-9]|1[0-9]|2[0-8])"  # any month, days 1–28
    "|(?:0[13-9]|1[0-2])(?:29|30)"  # every month but February, days 29–30
    "|(?:0[13578]|1[02])31)"  # the long months' 31st; 29 February goes to the exact check
)
_TIME = "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9][0-9]{0,2})?"
"""HHMM[SS[D[D]]]."""


class SegmentAcceptor:
    """Accepts the values of a clean segment of one definition, in one interchange's syntax."""

    __slots__ = ("_definition", "_match", "_presence")

    def __init__(self, definition: SegmentDef, component: str) -> None:
        self._definition = definition
        self._match = re.compile(_segment(definition, component)).fullmatch
        self._presence: dict[tuple[bool, ...], bool] | None = {} if definition.rules else None

    def accepts(self, values: tuple[str, ...]) -> bool:
        """True when ``values`` certainly have no element finding (False: check them)."""
        count = len(values)
        if not count:
            return False
        joined = JOIN.join(values)
        if joined.count(JOIN) != count - 1 or self._match(joined) is None:
            return False
        table = self._presence
        if table is None:
            return True
        # Syntax notes relate elements' presence: judged once per presence pattern.
        presence = tuple(map(bool, values))
        known = table.get(presence)
        if known is None:
            known = _rules_hold(self._definition, presence)
            if len(table) < PRESENCE_PATTERNS:
                table[presence] = known
        return known


def usable(component: str) -> bool:
    """Whether values can be matched for an interchange with this component separator."""
    return len(component) == 1 and (component in string.punctuation or component == " ")


def _segment(definition: SegmentDef, component: str) -> str:
    """Every element up to the last mandatory one, the others if there, no data past them."""
    elements = definition.elements
    mandatory = [i for i, element in enumerate(elements) if _required(element)]
    last = mandatory[-1] if mandatory else 0
    head = JOIN.join(_element(e, component, _required(e)) for e in elements[: last + 1])
    tail = _nested(["", *(_element(e, component, False) for e in elements[last + 1 :])], JOIN)
    return f"{head}{tail}(?:{JOIN})*"


def _nested(parts: list[str], separator: str) -> str:
    """``p1(?:,p2(?:,p3)?)?``: any number of the parts, each possibly empty."""
    pattern = ""
    for part in reversed(parts[1:]):
        pattern = f"(?:{separator}{part}{pattern})?"
    return (parts[0] if parts else "") + pattern


def _element(definition: ElementDef, component: str, required: bool = False) -> str:
    """A pattern for one element's value: present and clean, or (unless ``required``) empty."""
    if definition.components:
        separator = re.escape(component)
        parts = [_element(part, component) for part in definition.components]
        composite = _nested(parts, separator) + f"(?:{separator})*"
        mandatory = [i for i, p in enumerate(definition.components) if _required(p)]
        if mandatory:
            # Mandatory components must be there (and non-empty) whenever the composite is.
            last = mandatory[-1]
            heads = [
                _value(p, component) if _required(p) else parts[i]
                for i, p in enumerate(definition.components[: last + 1])
            ]
            tail = _nested(["", *parts[last + 1 :]], separator)
            composite = separator.join(heads) + tail + f"(?:{separator})*"
        return f"(?=[^{JOIN}]){composite}" if required else f"(?:{composite})?"
    value = _value(definition, component)
    return value if required else f"(?:{value})?"


def _required(definition: ElementDef) -> bool:
    return definition.requirement is Requirement.MANDATORY


def _value(definition: ElementDef, component: str) -> str:
    """A pattern matching only present (non-empty) values with no problem."""
    kind = definition.type
    low, high = max(definition.min, 1), definition.max
    if kind in ("ID", "AN"):
        text = "[" + "".join(re.escape(c) for c in map(chr, range(32, 127)) if c != component)
        text += "]"
        if definition.codes is None:
            return f"{text}{{{low},{high}}}"
        codes = sorted(
            code
            for code in definition.codes
            if low <= len(code) <= high and code.isascii() and code.isprintable()
            if component not in code
        )
        return "(?:" + "|".join(map(re.escape, codes)) + ")" if codes else "(?!)"
    if kind == "DT":
        year = "(?!0000)[0-9]{4}"
        return f"(?:[0-9]{{2}}|{year}){_MONTH_DAY}" if high == 6 else year + _MONTH_DAY
    if kind == "TM":
        return _TIME
    sign = "" if component == "-" else "-?"
    whole = f"[0-9]{{{low},{high}}}"
    if kind != "R" or component == ".":
        return sign + whole
    # A decimal point is not counted in the length: the run of digits and point is one longer.
    return f"{sign}(?:{whole}|(?=[0-9.]{{{low + 1},{high + 1}}}(?![0-9.]))[0-9]*\\.[0-9]*)"


def _rules_hold(definition: SegmentDef, presence: tuple[bool, ...]) -> bool:
    """No syntax note of ``definition`` broken by which elements are present."""
    present = {position for position, there in enumerate(presence, 1) if there}
    for rule in definition.rules:
        every = set(rule.positions)
        first, others = rule.positions[0], every - {rule.positions[0]}
        broken = rule_broken(rule.kind, present, first, every, others)
        if broken:
            return False
    return True


_ACCEPTORS: dict[str, dict[int, tuple[SegmentDef, SegmentAcceptor]]] = {}


def acceptors(component: str) -> dict[int, tuple[SegmentDef, SegmentAcceptor]] | None:
    """The acceptors for one component separator, by ``id`` of their definition (filled by
    :func:`acceptor`); None when values cannot be matched with this separator."""
    if not usable(component):
        return None
    return _ACCEPTORS.setdefault(component, {})


def acceptor(
    table: dict[int, tuple[SegmentDef, SegmentAcceptor]], definition: SegmentDef, component: str
) -> SegmentAcceptor:
    """The acceptor of ``definition`` in ``table`` (compiled on first use)."""
    entry = table.get(id(definition))
    if entry is None or entry[0] is not definition:
        entry = (definition, SegmentAcceptor(definition, component))
        table[id(definition)] = entry
    return entry[1]
