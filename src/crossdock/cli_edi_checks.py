"""What ``crossdock edi validate`` reports: every finding of a file, with where and which code."""

from __future__ import annotations

from typing import Any

from crossdock.channels.edi.mapping.item_ids import resolve_sku
from crossdock.channels.edi.mapping.purchase_order import parse_850
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Finding, Interchange, Severity
from crossdock.channels.edi.x12.validator import validate_interchange
from crossdock.orchestration.intake import InvalidDocument

CODE_NAMES = {
    "interchange": "TA1 note",
    "group": "716",
    "set": "718",
    "segment": "720",
    "element": "723",
}
"""Which code list a finding's code comes from, by its level."""


def validation_findings(interchange: Interchange) -> list[dict[str, Any]]:
    """The reader's and the validator's findings, envelope first, then set by set."""
    result = validate_interchange(interchange)
    found = [_row(f, f"ISA {interchange.control_number}") for f in result.findings]
    for group, checked in zip(interchange.groups, result.groups, strict=True):
        where = f"GS {group.functional_id} {group.control_number}"
        found.extend(_row(f, where) for f in checked.findings)
        for transaction_set, set_result in zip(group.sets, checked.sets, strict=True):
            label = f"{transaction_set.set_id} {transaction_set.control_number}"
            found.extend(_row(f, label) for f in set_result.findings)
    return found


def partner_findings(interchange: Interchange, profile: PartnerProfile) -> list[dict[str, Any]]:
    """What the channel would refuse for this partner: another sender, unmappable 850s, items."""
    found: list[dict[str, Any]] = []
    expected = (profile.partner.isa_qualifier, profile.partner.isa_id)
    if interchange.sender != expected:
        found.append(
            _row(
                Finding(
                    "interchange",
                    "006",
                    f"sender {'/'.join(interchange.sender)} is not {profile.name} "
                    f"({'/'.join(expected)})",
                ),
                f"ISA {interchange.control_number}",
            )
        )
    for group in interchange.groups:
        for transaction_set in group.sets:
            if transaction_set.set_id != "850":
                continue
            where = f"850 {transaction_set.control_number}"
            try:
                po = parse_850(transaction_set, interchange.delimiters)
            except InvalidDocument as exc:
                found.extend(_mapping(where, p.field, p.message) for p in exc.problems)
                continue
            for line in po.lines:
                if resolve_sku(line.item_ids, profile) is None:
                    ids = ", ".join(i.key for i in line.item_ids) or "no ids"
                    found.append(
                        _mapping(where, f"PO1[{line.line_no}]", f"no item id resolves ({ids})")
                    )
    return found


def _row(finding: Finding, where: str) -> dict[str, Any]:
    position = f" #{finding.segment_index}" if finding.segment_index else ""
    tag = finding.segment_tag
    element, _, component = finding.element_position.partition(":")
    if element.isdigit():
        # The usual reference: BEG03, or C00301-2 style for a component (BEG03-2).
        tag = f"{tag}{int(element):02d}" + (f"-{component}" if component else "")
    return {
        "severity": finding.severity.value,
        "where": f"{where}{position} {tag}".rstrip(),
        "level": finding.level,
        "code_name": CODE_NAMES.get(finding.level, finding.level),
        "code": finding.code,
        "offset": finding.offset,
        "message": finding.message,
    }


def _mapping(where: str, field: str, message: str) -> dict[str, Any]:
    return {
        "severity": Severity.ERROR.value,
        "where": f"{where} {field}",
        "level": "mapping",
        "code_name": "mapping",
        "code": "",
        "offset": 0,
        "message": message,
    }
