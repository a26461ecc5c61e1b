"""Control totals: CTT counts and hashes, and the 810's TDS amount.

What is an error and what only a warning (the 997 carries errors only):

- **CTT01**, the count of lines (850/855 PO1, 810 IT1, 856 HL, 846 LIN), is the set's own
  control total like SE01: a wrong count means lines were lost or added, so it is an **error**
  (AK3 CTT code 8, AK4 CTT01 354 with 723 code 7).
- **CTT02**, the hash (850 ΣPO102, 810 ΣIT102, 856 ΣSN102, 846 ΣQTY02), is a **warning**:
  partners truncate it (high-order digits dropped past its ten digits, which we accept) and
  disagree on what it sums. On an 856 it sums the SN1s of item (I) levels only, when there are
  any, because pack-level SN1s repeat their item's quantity (sample 08). 855 hashes are not
  checked: guides differ (sample 03 sums ACK02, not PO102).
- **TDS01** (N2) = Σ IT102 × IT104 + SAC charges − SAC allowances (SAC05, line and summary) +
  tax (TXI02, line and summary, when present), rounded to the cent: a mismatch is a **warning**.
  Amounts are a business matter for the invoice workflow (or an 824), not a syntax error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from crossdock.channels.edi.x12.model import Finding, Segment
from crossdock.channels.edi.x12.validation.elements import INVALID_CODE, element_finding
from crossdock.channels.edi.x12.validation.hierarchy import application_warning

LINE_TAGS = {"850": "PO1", "855": "PO1", "810": "IT1", "856": "HL", "846": "LIN"}
"""The segment CTT01 counts, per set."""
_HASH_QUANTITY = {"850": ("PO1", 2), "810": ("IT1", 2), "856": ("SN1", 2), "846": ("QTY", 2)}
_CENT = Decimal("0.01")
_AMOUNT_TAGS = frozenset(("IT1", "SAC", "TXI", "TDS"))


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def check_totals(set_id: str, body: list[Segment]) -> list[Finding]:
    """CTT (and for an 810, TDS) findings for a set body (``body[0]`` is at set position 2)."""
    findings: list[Finding] = []
    line_tag = LINE_TAGS.get(set_id)
    hashed = _HASH_QUANTITY.get(set_id)
    lines = 0
    quantities: list[tuple[Decimal, bool]] = []
    level = ""
    ctt: tuple[int, Segment] | None = None
    hash_tag, hash_position = hashed if hashed is not None else ("", 0)
    # Most segments are none of these: one set lookup each.
    counted = frozenset((line_tag or "", "HL", "CTT", hash_tag)) - {""}
    for position, segment in enumerate(body, 2):
        tag = segment.tag
        if tag not in counted:
            continue
        if tag == line_tag:
            lines += 1
        if tag == "HL":
            level = segment.element(3)
        elif tag == "CTT" and ctt is None:
            ctt = (position, segment)
        if tag == hash_tag:
            quantity = _number(segment.element(hash_position))
            if quantity is not None:
                quantities.append((quantity, level == "I"))
    if ctt is not None and line_tag is not None:
        findings += _check_ctt(set_id, ctt, lines, quantities)
    if set_id == "810":
        findings += _check_tds(body)
    return findings


def _check_ctt(
    set_id: str, ctt: tuple[int, Segment], lines: int, quantities: list[tuple[Decimal, bool]]
) -> list[Finding]:
    position, segment = ctt
    findings: list[Finding] = []
    declared = segment.element(1)
    if declared.isdigit() and int(declared) != lines:
        findings.append(
            element_finding(
                segment,
                position,
                "1",
                "354",
                INVALID_CODE,
                declared,
                detail=f"{lines} {LINE_TAGS[set_id]} segments in the set",
            )
        )
    declared_hash = _number(segment.element(2))
    if declared_hash is None or set_id not in _HASH_QUANTITY:
        return findings
    item_level = [q for q, at_item in quantities if at_item]
    total = sum(item_level if item_level else (q for q, _ in quantities), Decimal(0))
    if declared_hash != total and declared_hash != total % 10**10:
        findings.append(
            application_warning(
                segment, position, f"CTT02 hash is {declared_hash}, the quantities sum to {total}"
            )
        )
    return findings


def _check_tds(body: list[Segment]) -> list[Finding]:
    expected = Decimal(0)
    tds: tuple[int, Segment] | None = None
    for position, segment in enumerate(body, 2):
        tag = segment.tag
        if tag not in _AMOUNT_TAGS:
            continue
        if tag == "IT1":
            quantity, price = _number(segment.element(2)), _number(segment.element(4))
            if quantity is not None and price is not None:
                expected += quantity * price
        elif tag == "SAC":
            amount = _number(segment.element(5))
            if amount is not None and segment.element(1) in ("A", "C"):
                expected += amount / 100 if segment.element(1) == "C" else -amount / 100
        elif tag == "TXI":
            expected += _number(segment.element(2)) or 0
        elif tag == "TDS" and tds is None:
            tds = (position, segment)
    declared = _number(tds[1].element(1)) if tds is not None else None
    if tds is None or declared is None:
        return []
    expected = expected.quantize(_CENT, ROUND_HALF_UP)
    if declared / 100 == expected:
        return []
    return [
        application_warning(
            tds[1],
            tds[0],
            f"TDS01 is {declared / 100:.2f}, the lines, charges, allowances and tax "
            f"make {expected}",
        )
    ]
