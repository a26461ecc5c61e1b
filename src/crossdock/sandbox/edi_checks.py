"""The retailer's checks of what its supplier sends back: envelopes, 997, 855, 856 and 810.

`inspect` is a pure function of one parsed interchange and what the retailer knows (its POs,
the groups it sent, the interchanges it already received, what was invoiced before); it returns
the findings and, per transaction set, the PO it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from crossdock.sandbox.x12_lite import Interchange, Segment, TransactionSet

CENT = Decimal("0.01")
ACK_CODES = frozenset({"IA", "IB", "IQ", "IR"})
PARENT_LEVELS = {"S": frozenset({""}), "O": frozenset("S"), "T": frozenset("O")}
PARENT_LEVELS |= {"P": frozenset("OT"), "I": frozenset("OTP")}

_Problems = list[tuple[str, str]]
"""(check name, message) pairs collected while checking one set."""
_Fail = Callable[[str, str], None]


@dataclass(frozen=True, kw_only=True)
class OrderedLine:
    """A line of a purchase order the retailer sent."""

    line_id: str
    sku: str
    qty: Decimal
    price: Decimal


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A check that failed: on which PO (or interchange), which check, and why."""

    subject: str
    check: str
    message: str


@dataclass(frozen=True, kw_only=True)
class Expectations:
    """What the retailer knows when a document arrives."""

    our_id: str
    """Our ISA id: every interchange must be addressed to it."""
    orders: Mapping[str, Mapping[str, OrderedLine]]
    """PO number → line id → the ordered line."""
    groups_sent: Mapping[int, str]
    """GS06 of each 850 group sent → its PO number."""
    seen: Collection[tuple[str, str]] = ()
    """(ISA06 sender, ISA13) of every interchange received before."""
    invoiced: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    """(PO number, line id) → quantity invoiced by earlier 810s."""


@dataclass(kw_only=True)
class ReceivedSet:
    """One received transaction set and what it refers to."""

    group: Segment
    document: TransactionSet
    po_number: str | None = None
    quantities: dict[str, str] = field(default_factory=dict)
    """Line id → quantity shipped (856) or invoiced (810)."""


@dataclass(kw_only=True)
class Inspection:
    """The outcome of `inspect`: the sets received and every failed check."""

    sets: list[ReceivedSet] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    duplicate: bool = False
    """The same sender sent this ISA13 before."""


def inspect(interchange: Interchange, expect: Expectations) -> Inspection:
    """Check one interchange: its envelope, then each set by its ST01."""
    result = Inspection()
    subject = f"ISA {interchange.control}"

    def fail(check: str, message: str, about: str = subject) -> None:
        result.findings.append(Finding(subject=about, check=check, message=message))

    result.duplicate = (interchange.sender, interchange.control) in expect.seen
    _check_envelope(interchange, expect, fail)
    for group in interchange.groups:
        for document in group.sets:
            received = ReceivedSet(group=group.header, document=document)
            result.sets.append(received)
            checker = _CHECKERS.get(document.set_id)
            problems: list[tuple[str, str]] = []
            if checker is None:
                problems.append(("set.unsupported", f"unexpected set {document.set_id}"))
            else:
                checker(document, expect, received, problems)
            about = received.po_number or subject
            for check, message in _check_set_trailer(document):
                fail(check, f"ST {document.control}: {message}", about)
            for check, message in problems:
                fail(check, f"{document.set_id} {document.control}: {message}", about)
    return result


def _check_envelope(interchange: Interchange, expect: Expectations, fail: _Fail) -> None:
    isa13 = interchange.control
    if (interchange.sender, isa13) in expect.seen:
        fail("envelope.duplicate_isa13", f"ISA13 {isa13} from {interchange.sender} came before")
    if interchange.receiver != expect.our_id:
        fail("envelope.receiver", f"ISA08 is {interchange.receiver!r}, not {expect.our_id!r}")
    for ta1 in interchange.ta1:
        if ta1.element(4) != "A":
            fail(
                "envelope.ta1", f"TA1 for {ta1.element(1)}: {ta1.element(4)} note {ta1.element(5)}"
            )
    trailer = interchange.trailer
    if trailer is None or trailer.element(2) != isa13:
        fail("envelope.iea02", f"IEA02 {_el(trailer, 2)!r} is not ISA13 {isa13!r}")
    if trailer is not None and trailer.element(1) != str(len(interchange.groups)):
        fail("envelope.iea01", f"IEA01 {trailer.element(1)} but {len(interchange.groups)} groups")
    for group in interchange.groups:
        gs06, ge = group.control, group.trailer
        if ge is None or ge.element(2) != gs06:
            fail("envelope.ge02", f"GE02 {_el(ge, 2)!r} is not GS06 {gs06!r}")
        if ge is not None and ge.element(1) != str(len(group.sets)):
            fail("envelope.ge01", f"GE01 {ge.element(1)} but group {gs06} has {len(group.sets)}")


def _check_set_trailer(document: TransactionSet) -> list[tuple[str, str]]:
    se = document.trailer
    if se is None:
        return [("envelope.se02", "no SE")]
    problems = []
    if se.element(2) != document.control:
        problems.append(("envelope.se02", f"SE02 {se.element(2)!r} is not ST02"))
    if se.element(1) != str(len(document.segments)):
        problems.append(("envelope.se01", f"SE01 {se.element(1)} but {len(document.segments)}"))
    return problems


def _check_997(
    document: TransactionSet, expect: Expectations, received: ReceivedSet, problems: _Problems
) -> None:
    ak1 = document.first("AK1")
    group = _int(ak1.element(2)) if ak1 else None
    if ak1 is not None and ak1.element(1) != "PO":
        problems.append(("997.ak1", f"AK101 is {ak1.element(1)!r}: we only send PO groups"))
    if group is None or group not in expect.groups_sent:
        problems.append(("997.ak1", f"AK1 {_el(ak1, 2)!r} names no group we sent"))
    else:
        received.po_number = expect.groups_sent[group]
    for ak5 in document.body("AK5"):
        if ak5.element(1) != "A":
            problems.append(("997.ak5", f"AK501 is {ak5.element(1)!r}, not A"))
    ak9 = document.first("AK9")
    if ak9 is None or ak9.element(1) != "A":
        problems.append(("997.ak9", f"AK901 is {_el(ak9, 1)!r}, not A"))


def _check_855(
    document: TransactionSet, expect: Expectations, received: ReceivedSet, problems: _Problems
) -> None:
    lines = _order(document.first("BAK"), 3, "855.po_number", expect, received, problems)
    po1s = document.body("PO1")
    answered: list[str] = []
    unanswered: list[str] = []
    pending: str | None = None
    for segment in document.body():
        if segment.tag == "PO1":
            unanswered += [] if pending is None else [pending]
            pending = segment.element(1)
            answered.append(pending)
        elif segment.tag == "ACK":
            pending = None
            if segment.element(1) not in ACK_CODES:
                problems.append(("855.ack01", f"ACK01 {segment.element(1)!r} is not a line code"))
    unanswered += [] if pending is None else [pending]
    if unanswered:
        problems.append(("855.ack", f"PO1 lines {unanswered} have no ACK"))
    if lines is not None and sorted(answered) != sorted(lines):
        problems.append(("855.lines", f"answers lines {answered}, ordered {sorted(lines)}"))
    ctt = document.first("CTT")
    if ctt is not None and ctt.element(1) != str(len(po1s)):
        problems.append(("855.ctt01", f"CTT01 {ctt.element(1)} but {len(po1s)} PO1"))


def _check_856(
    document: TransactionSet, expect: Expectations, received: ReceivedSet, problems: _Problems
) -> None:
    levels: dict[str, str] = {}
    shipped: dict[tuple[str, str], Decimal] = {}
    lines: Mapping[str, OrderedLine] | None = None
    po = ""
    total = Decimal(0)
    for segment in document.body():
        if segment.tag == "HL":
            _check_hl(segment, levels, problems)
        elif segment.tag == "PRF":
            lines = _order(segment, 1, "856.po_number", expect, received, problems)
            po = segment.element(1)
        elif segment.tag == "MAN" and segment.element(1) == "GM":
            if not is_sscc(segment.element(2)):
                message = f"MAN02 {segment.element(2)!r} is not an SSCC-18 with a valid check digit"
                problems.append(("856.sscc", message))
        elif segment.tag == "SN1":
            qty = _decimal(segment.element(2), "856.sn102", problems)
            total += qty
            key = (po, segment.element(1))
            shipped[key] = shipped.get(key, Decimal(0)) + qty
            if lines is not None and segment.element(1) not in lines:
                problems.append(("856.line", f"SN101 {segment.element(1)!r} is not on PO {po}"))
    for (number, line_id), qty in shipped.items():
        ordered = expect.orders.get(number, {}).get(line_id)
        if ordered is not None and qty > ordered.qty:
            problems.append(("856.overshipped", f"line {line_id}: {qty} > ordered {ordered.qty}"))
        if number == received.po_number:
            received.quantities[line_id] = str(qty)
    _check_ctt(document, str(len(levels)), total, "856", "HL", problems)


def _check_hl(segment: Segment, levels: dict[str, str], problems: _Problems) -> None:
    hl01, parent, level = segment.element(1), segment.element(2), segment.element(3)
    if hl01 != str(len(levels) + 1):
        problems.append(("856.hl01", f"HL01 {hl01!r} should be {len(levels) + 1}"))
    if parent and parent not in levels:
        problems.append(("856.hl02", f"HL {hl01}: parent {parent!r} is not an earlier HL01"))
    elif level not in PARENT_LEVELS or levels.get(parent, "") not in PARENT_LEVELS[level]:
        under = levels.get(parent, "nothing")
        problems.append(("856.hl03", f"HL {hl01}: level {level!r} under {under}"))
    levels[hl01] = level


def _check_810(
    document: TransactionSet, expect: Expectations, received: ReceivedSet, problems: _Problems
) -> None:
    lines = _order(document.first("BIG"), 4, "810.po_number", expect, received, problems) or {}
    cents = Decimal(0)
    quantity = Decimal(0)
    it1s = document.body("IT1")
    for it1 in it1s:
        line_id = it1.element(1)
        qty = _decimal(it1.element(2), "810.it102", problems)
        price = _decimal(it1.element(4), "810.it104", problems)
        quantity += qty
        cents += qty * price
        ordered = lines.get(line_id)
        if ordered is None:
            if received.po_number is not None:
                problems.append(("810.line", f"IT101 {line_id!r} is not on the PO"))
            continue
        if abs(price - ordered.price) > CENT:
            message = f"line {line_id}: {price} but ordered at {ordered.price}"
            problems.append(("810.price", message))
        before = expect.invoiced.get((received.po_number or "", line_id), Decimal(0))
        if before + qty > ordered.qty:
            problems.append(
                ("810.overinvoiced", f"line {line_id}: {before} + {qty} > ordered {ordered.qty}")
            )
        received.quantities[line_id] = str(qty)
    expected = (cents.quantize(CENT) * 100).to_integral_value()
    for txi in document.body("TXI"):
        expected += (_decimal(txi.element(2), "810.txi02", problems) * 100).quantize(Decimal(1))
    tds = document.first("TDS")
    if tds is None or _int(tds.element(1)) != int(expected):
        problems.append(("810.tds01", f"TDS01 {_el(tds, 1)!r}, lines and tax make {expected}"))
    _check_ctt(document, str(len(it1s)), quantity, "810", "IT1", problems)


def _check_ctt(
    document: TransactionSet, count: str, total: Decimal, kind: str, what: str, problems: _Problems
) -> None:
    ctt = document.first("CTT")
    if ctt is None:
        problems.append((f"{kind}.ctt01", "no CTT"))
        return
    if ctt.element(1) != count:
        problems.append((f"{kind}.ctt01", f"CTT01 {ctt.element(1)} but {count} {what}"))
    if ctt.element(2) and _decimal(ctt.element(2), f"{kind}.ctt02", problems) != total:
        problems.append((f"{kind}.ctt02", f"CTT02 {ctt.element(2)} but the quantities sum {total}"))


def _order(
    segment: Segment | None,
    position: int,
    check: str,
    expect: Expectations,
    received: ReceivedSet,
    problems: _Problems,
) -> Mapping[str, OrderedLine] | None:
    number = _el(segment, position)
    lines = expect.orders.get(number)
    if lines is None:
        problems.append((check, f"PO {number!r} is not one of ours"))
    elif received.po_number is None:
        received.po_number = number
    return lines


def is_sscc(value: str) -> bool:
    """An SSCC-18 (or 20 digits with the 00 AI) whose GS1 mod-10 check digit is right."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return False
    weighted = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:17])))
    return (10 - weighted % 10) % 10 == int(digits[17])


def _el(segment: Segment | None, position: int) -> str:
    return segment.element(position) if segment is not None else ""


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _decimal(value: str, check: str, problems: _Problems) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        problems.append((check, f"{value!r} is not a number"))
        return Decimal(0)


_CHECKERS = {"997": _check_997, "855": _check_855, "856": _check_856, "810": _check_810}
