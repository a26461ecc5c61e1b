"""The data element dictionary: each reference number's type, lengths and (checked) code list.

Segments name their elements by reference number and requirement only (``el("353", M)``); the
type and lengths come from here, so one correction fixes every segment using the element.
"""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions import codes
from crossdock.channels.edi.x12.definitions.schema import (
    ElementDef,
    Requirement,
    SegmentDef,
    SyntaxRule,
)

_Spec = tuple[str, int, int, frozenset[str] | None]

ELEMENTS: dict[str, _Spec] = {
    "2": ("N0", 1, 6, None),
    "19": ("AN", 2, 30, None),
    "22": ("AN", 1, 30, None),
    "23": ("ID", 1, 1, None),
    "24": ("ID", 2, 2, None),
    "26": ("ID", 2, 3, None),
    "28": ("N0", 1, 9, None),
    "40": ("ID", 2, 2, None),
    "54": ("ID", 2, 2, None),
    "61": ("AN", 1, 30, None),
    "65": ("R", 1, 8, None),
    "66": ("ID", 1, 2, None),
    "67": ("AN", 2, 80, None),
    "76": ("AN", 1, 22, None),
    "79": ("AN", 1, 50, None),
    "80": ("N0", 1, 7, None),
    "81": ("R", 1, 10, None),
    "82": ("R", 1, 8, None),
    "87": ("AN", 1, 48, None),
    "88": ("ID", 1, 2, None),
    "91": ("ID", 1, 2, None),
    "92": ("ID", 2, 2, codes.PURCHASE_ORDER_TYPE),
    "93": ("AN", 1, 60, None),
    "97": ("N0", 1, 6, None),
    "98": ("ID", 2, 3, None),
    "100": ("ID", 3, 3, None),
    "102": ("ID", 1, 1, None),
    "103": ("AN", 3, 5, None),
    "107": ("ID", 1, 2, None),
    "116": ("ID", 3, 15, None),
    "118": ("R", 1, 9, None),
    "123": ("N0", 1, 6, None),
    "127": ("AN", 1, 30, None),
    "128": ("ID", 2, 3, None),
    "133": ("ID", 1, 2, None),
    "140": ("ID", 2, 4, None),
    "143": ("ID", 3, 3, None),
    "146": ("ID", 2, 2, None),
    "156": ("ID", 2, 2, None),
    "166": ("AN", 1, 55, None),
    "183": ("R", 1, 8, None),
    "187": ("ID", 1, 2, None),
    "189": ("R", 1, 8, None),
    "206": ("AN", 1, 4, None),
    "207": ("AN", 1, 10, None),
    "212": ("R", 1, 17, None),
    "234": ("AN", 1, 48, None),
    "235": ("ID", 2, 2, codes.PRODUCT_ID_QUALIFIER),
    "248": ("ID", 1, 1, codes.ALLOWANCE_OR_CHARGE),
    "280": ("R", 4, 10, None),
    "284": ("ID", 1, 2, None),
    "306": ("ID", 1, 2, None),
    "309": ("ID", 1, 2, None),
    "310": ("AN", 1, 30, None),
    "324": ("AN", 1, 22, None),
    "325": ("AN", 1, 30, None),
    "326": ("AN", 1, 45, None),
    "327": ("AN", 1, 8, None),
    "328": ("AN", 1, 30, None),
    "329": ("AN", 4, 9, None),
    "330": ("R", 1, 15, None),
    "331": ("ID", 2, 2, None),
    "332": ("R", 1, 6, None),
    "333": ("ID", 1, 2, None),
    "334": ("ID", 2, 2, None),
    "335": ("ID", 3, 3, None),
    "336": ("ID", 2, 2, None),
    "337": ("TM", 4, 8, None),
    "338": ("R", 1, 6, None),
    "342": ("R", 1, 5, None),
    "347": ("R", 1, 10, None),
    "349": ("ID", 1, 1, codes.PRODUCT_DESCRIPTION_TYPE),
    "350": ("AN", 1, 20, None),
    "351": ("N0", 1, 3, None),
    "352": ("AN", 1, 80, None),
    "353": ("ID", 2, 2, codes.TRANSACTION_PURPOSE),
    "354": ("N0", 1, 6, None),
    "355": ("ID", 2, 2, codes.UNIT_OF_MEASURE),
    "356": ("N0", 1, 6, None),
    "357": ("R", 1, 8, None),
    "358": ("R", 1, 10, None),
    "362": ("N2", 1, 10, None),
    "363": ("ID", 3, 3, None),
    "364": ("AN", 1, 80, None),
    "365": ("ID", 2, 2, None),
    "366": ("ID", 2, 2, None),
    "367": ("AN", 1, 30, None),
    "368": ("ID", 2, 2, None),
    "369": ("AN", 1, 45, None),
    "370": ("DT", 8, 8, None),
    "373": ("DT", 8, 8, None),
    "374": ("ID", 3, 3, None),
    "378": ("ID", 1, 1, None),
    "380": ("R", 1, 15, None),
    "382": ("R", 1, 10, None),
    "384": ("R", 1, 9, None),
    "385": ("R", 1, 9, None),
    "386": ("N0", 1, 3, None),
    "387": ("AN", 1, 35, None),
    "388": ("DT", 8, 8, None),
    "389": ("N2", 1, 10, None),
    "396": ("AN", 2, 30, None),
    "407": ("AN", 2, 15, None),
    "441": ("ID", 1, 1, None),
    "443": ("AN", 1, 20, None),
    "446": ("DT", 8, 8, None),
    "447": ("AN", 1, 4, None),
    "478": ("ID", 1, 1, None),
    "479": ("ID", 2, 2, None),
    "480": ("AN", 1, 12, None),
    "508": ("AN", 1, 35, None),
    "522": ("ID", 1, 3, None),
    "559": ("ID", 2, 2, None),
    "563": ("ID", 1, 2, None),
    "587": ("ID", 2, 2, codes.ACKNOWLEDGMENT_TYPE),
    "596": ("ID", 1, 1, None),
    "610": ("N2", 1, 15, None),
    "623": ("ID", 2, 2, None),
    "628": ("AN", 1, 12, None),
    "639": ("ID", 2, 2, None),
    "640": ("ID", 2, 2, None),
    "641": ("ID", 3, 3, None),
    "646": ("R", 1, 15, None),
    "662": ("ID", 1, 1, None),
    "668": ("ID", 2, 2, codes.LINE_ITEM_STATUS),
    "669": ("ID", 3, 3, None),
    "673": ("ID", 2, 2, None),
    "706": ("ID", 2, 2, None),
    "715": ("ID", 1, 1, codes.FUNCTIONAL_ACK_GROUP),
    "716": ("ID", 1, 3, codes.GROUP_SYNTAX_ERROR),
    "717": ("ID", 1, 1, codes.FUNCTIONAL_ACK_SET),
    "718": ("ID", 1, 3, codes.SET_SYNTAX_ERROR_4010),
    "719": ("N0", 1, 10, None),
    "720": ("ID", 1, 3, codes.SEGMENT_SYNTAX_ERROR),
    "721": ("ID", 2, 3, None),
    "722": ("N0", 1, 2, None),
    "723": ("ID", 1, 3, codes.ELEMENT_SYNTAX_ERROR_4010),
    "724": ("AN", 1, 99, None),
    "725": ("N0", 1, 4, None),
    "728": ("R", 1, 10, None),
    "731": ("ID", 1, 2, None),
    "732": ("ID", 1, 1, None),
    "733": ("ID", 2, 2, None),
    "734": ("AN", 1, 12, None),
    "735": ("ID", 1, 2, codes.HIERARCHICAL_LEVEL),
    "736": ("ID", 1, 1, codes.HIERARCHICAL_CHILD),
    "737": ("ID", 2, 2, None),
    "738": ("ID", 1, 3, None),
    "739": ("R", 1, 20, None),
    "750": ("ID", 2, 3, None),
    "751": ("AN", 1, 12, None),
    "752": ("ID", 2, 2, None),
    "753": ("ID", 2, 2, None),
    "754": ("AN", 1, 7, None),
    "755": ("ID", 2, 2, codes.INVENTORY_REPORT_TYPE),
    "765": ("N0", 1, 2, None),
    "770": ("AN", 1, 30, None),
    "782": ("R", 1, 18, None),
    "786": ("ID", 2, 2, None),
    "810": ("N0", 1, 6, None),
    "819": ("ID", 2, 3, None),
    "822": ("AN", 1, 15, None),
    "828": ("R", 1, 15, None),
    "933": ("AN", 1, 264, None),
    "934": ("ID", 2, 2, None),
    "954": ("R", 1, 10, None),
    "955": ("ID", 1, 2, None),
    "956": ("AN", 1, 10, None),
    "963": ("ID", 2, 2, None),
    "1005": ("ID", 4, 4, codes.HIERARCHICAL_STRUCTURE),
    "1019": ("ID", 3, 3, None),
    "1018": ("R", 1, 15, None),
    "649": ("R", 1, 10, None),
    "1073": ("ID", 1, 1, None),
    "740": ("R", 1, 20, None),
    "741": ("R", 1, 20, None),
    "935": ("ID", 2, 2, None),
    "936": ("R", 1, 10, None),
    "1373": ("ID", 1, 2, None),
    "1166": ("ID", 2, 2, None),
    "1232": ("ID", 2, 2, None),
    "1250": ("ID", 2, 3, None),
    "1251": ("AN", 1, 35, None),
    "1271": ("AN", 1, 30, None),
    "1300": ("ID", 4, 4, None),
    "1301": ("AN", 1, 10, None),
    "1470": ("N0", 1, 9, None),
    "1528": ("N0", 1, 2, None),
    "1686": ("N0", 1, 4, None),
    "1705": ("AN", 1, 35, None),
    "1715": ("ID", 1, 3, None),
}
"""Reference number → (type, min, max, checked codes)."""


def el(ref: str, requirement: Requirement = Requirement.OPTIONAL) -> ElementDef:
    """The dictionary's element ``ref`` used with ``requirement``."""
    kind, low, high, allowed = ELEMENTS[ref]
    return ElementDef(ref, kind, low, high, requirement, allowed)


def coded(ref: str, requirement: Requirement, allowed: frozenset[str]) -> ElementDef:
    """Element ``ref`` with a code list narrower than (or instead of) the dictionary's."""
    kind, low, high, _ = ELEMENTS[ref]
    return ElementDef(ref, kind, low, high, requirement, allowed)


def composite(ref: str, requirement: Requirement, *parts: ElementDef) -> ElementDef:
    """A composite element (``C001``, ``C030``...) made of ``parts``."""
    return ElementDef(ref, "", 0, 0, requirement, None, tuple(parts))


def seg(tag: str, *elements: ElementDef, rules: str = "", lenient: str = "") -> SegmentDef:
    """A segment; ``rules`` and ``lenient`` are space-separated syntax notes (``"P0304 R0203"``),
    the lenient ones only warned about."""
    parsed = [SyntaxRule.parse(note) for note in rules.split()]
    parsed += [SyntaxRule.parse(note, strict=False) for note in lenient.split()]
    return SegmentDef(tag, tuple(elements), tuple(parsed))


def pairs(first: int, last: int, left: str, right: str) -> tuple[ElementDef, ...]:
    """Repeated qualifier/value pairs (``235``/``234`` from ``first`` to ``last``), conditional."""
    out: list[ElementDef] = []
    for _ in range(first, last + 1, 2):
        out += [el(left, Requirement.CONDITIONAL), el(right, Requirement.CONDITIONAL)]
    return tuple(out)


def paired_notes(first: int, last: int) -> str:
    """The ``P0607 P0809 …`` notes for pairs from ``first`` to ``last``."""
    return " ".join(f"P{i:02d}{i + 1:02d}" for i in range(first, last + 1, 2))


__all__ = ["ELEMENTS", "coded", "composite", "el", "paired_notes", "pairs", "seg"]
