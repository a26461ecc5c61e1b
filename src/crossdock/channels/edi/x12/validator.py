"""Validate transaction sets, groups and interchanges against the set definitions.

:func:`validate_set` checks one set's body: the segment sequence and loops (720 codes), each
placed segment's elements (723 codes), then the semantics of its kind (the 856 HL tree, CTT and
TDS totals; see :mod:`.validation.hierarchy` and :mod:`.validation.totals` for which of those
are errors and which only warnings). :func:`validate_group` picks each set's definition by
(GS08, ST01) and adds the group checks; :func:`validate_interchange` does every group. The
results carry the AK5/AK9 statuses a 997 needs (see :mod:`.validation.results`).

AK303 (loop identifier) is only filled for LS/LE bounded loops, as the standard says; none of
the retail sets here use them, so it stays empty (sample 19: ``AK3*LIN*3**8``).
"""

from __future__ import annotations

from crossdock.channels.edi.x12.definitions import definition_for, known_tags, schema_version
from crossdock.channels.edi.x12.definitions.schema import SetDef
from crossdock.channels.edi.x12.model import (
    Delimiters,
    Finding,
    FunctionalGroup,
    Interchange,
    Segment,
    Severity,
    TransactionSet,
)
from crossdock.channels.edi.x12.validation.acceptance import acceptor, acceptors
from crossdock.channels.edi.x12.validation.elements import check_elements
from crossdock.channels.edi.x12.validation.hierarchy import check_hierarchy
from crossdock.channels.edi.x12.validation.results import (
    GroupResult,
    InterchangeResult,
    SetResult,
    ValidationPolicy,
)
from crossdock.channels.edi.x12.validation.sequence import (
    ELEMENT_ERRORS,
    SequenceWalk,
    segment_finding,
)
from crossdock.channels.edi.x12.validation.totals import check_totals

_DEFAULT_POLICY = ValidationPolicy()
# GS01 → the sets that belong under it; a mismatch is only a warning (X12-RULES §2: be lenient
# on read, some vendors put 850s under IN).
_FUNCTIONAL_IDS = {"850": "PO", "855": "PR", "856": "SH", "810": "IN", "846": "IB", "997": "FA"}


def validate_set(
    transaction_set: TransactionSet,
    definition: SetDef | None,
    delimiters: Delimiters | None = None,
    policy: ValidationPolicy = _DEFAULT_POLICY,
    version: str | None = None,
) -> SetResult:
    """Validate one set against ``definition`` (None: not supported, 718 code 1).

    ``version`` (the group's GS08) only makes the "not supported" finding say which version.
    """
    header = transaction_set.header
    result = SetResult(
        transaction_set.set_id,
        transaction_set.control_number,
        header.element(3),
        list(transaction_set.findings),
        policy=policy,
    )
    if definition is None:
        result.findings.append(
            Finding(
                "set",
                "1",
                f"transaction set {transaction_set.set_id or '(none)'} is not supported"
                + ("" if version is None else f" in {version}"),
                segment_tag="ST",
                offset=header.offset,
                segment_index=1,
            )
        )
        return result
    component = (delimiters or Delimiters()).component
    body = transaction_set.body
    walker = SequenceWalk(definition, known_tags(definition.version))
    place = walker.place
    by_position: dict[int, list[Finding]] = {}
    # The acceptors say "no element finding" for clean segments in a few C calls; the others
    # (and every segment when the component separator rules the fast path out) get the exact
    # checks, which say what is wrong.
    table = acceptors(component)
    position = 1
    for segment in body:
        position += 1
        placed = place(segment, position)
        if placed is None:
            continue
        if table is not None:
            entry = table.get(id(placed))
            fast = entry[1] if entry is not None and entry[0] is placed else None
            if fast is None:
                fast = acceptor(table, placed, component)
            if fast.accepts(segment.elements):
                continue
        found = check_elements(segment, placed, position, component)
        if found:
            by_position[position] = found
    sequence = walker.finish(len(body) + 2)
    semantic = check_totals(definition.id, body)
    if definition.id == "856":
        structure = body[0].element(5) if body and body[0].tag == "BSN" else ""
        semantic += check_hierarchy(body, structure)
    if not (sequence or by_position or semantic):
        return result
    warnings = [f for f in semantic if f.level != "element"]
    for finding in semantic:
        if finding.level == "element":
            by_position.setdefault(finding.segment_index, []).append(finding)
    result.findings += _in_order(sequence, by_position, body)
    result.findings += warnings
    return result


def _in_order(
    sequence: list[Finding],
    by_position: dict[int, list[Finding]],
    body: list[Segment],
) -> list[Finding]:
    """Segment findings by position, each segment with element errors as one code-8 finding
    followed by its element findings (the AK3/AK4 nesting)."""
    entries: list[tuple[int, int, list[Finding]]] = [
        (finding.segment_index, 0, [finding]) for finding in sequence
    ]
    for position, found in by_position.items():
        errors = [f for f in found if f.severity is Severity.ERROR]
        found_warnings = [f for f in found if f.severity is not Severity.ERROR]
        if errors:
            segment = body[position - 2]
            head = segment_finding(
                segment.tag,
                position,
                ELEMENT_ERRORS,
                f"{segment.tag} has element errors",
                segment.offset,
            )
            entries.append((position, 1, [head, *errors]))
        if found_warnings:
            entries.append((position, 2, found_warnings))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [finding for _, _, found in entries for finding in found]


def validate_group(
    group: FunctionalGroup,
    delimiters: Delimiters | None = None,
    policy: ValidationPolicy = _DEFAULT_POLICY,
) -> GroupResult:
    """Validate every set of ``group`` and the group itself (716 codes, AK9 status)."""
    trailer_count = group.trailer.element(1) if group.trailer is not None else ""
    result = GroupResult(
        group.functional_id,
        group.control_number,
        group.version,
        int(trailer_count) if trailer_count.isdigit() else len(group.sets),
        findings=list(group.findings),
    )
    version = schema_version(group.version)
    if version is None:
        result.findings.append(
            Finding(
                "group",
                "2",
                f"version {group.version or '(none)'} is not supported",
                segment_tag="GS",
                offset=group.header.offset,
            )
        )
    seen: set[str] = set()
    for transaction_set in group.sets:
        definition = definition_for(group.version, transaction_set.set_id)
        set_result = validate_set(transaction_set, definition, delimiters, policy, group.version)
        _check_membership(group, transaction_set, version, seen, set_result)
        result.sets.append(set_result)
    rejected = result.rejected
    for set_result in result.sets:
        set_result.group_rejected = rejected
    return result


def _check_membership(
    group: FunctionalGroup,
    transaction_set: TransactionSet,
    version: str | None,
    seen: set[str],
    result: SetResult,
) -> None:
    control = transaction_set.control_number
    header = transaction_set.header
    if control in seen and not any(f.code == "23" for f in result.findings):
        # 718 code 23 exists from 005010; in 004010 a duplicate ST02 is only worth a warning.
        severity = Severity.ERROR if version == "005010" else Severity.WARNING
        result.findings.append(
            Finding(
                "set",
                "23",
                f"ST02 {control} repeats in the group",
                severity,
                segment_tag="ST",
                offset=header.offset,
                segment_index=1,
            )
        )
    seen.add(control)
    expected = _FUNCTIONAL_IDS.get(transaction_set.set_id)
    if expected is not None and expected != group.functional_id:
        result.findings.append(
            Finding(
                "set",
                "",
                f"{transaction_set.set_id} under GS01 {group.functional_id}, expected {expected}",
                Severity.WARNING,
                segment_tag="GS",
                offset=group.header.offset,
            )
        )


def validate_interchange(
    interchange: Interchange, policy: ValidationPolicy = _DEFAULT_POLICY
) -> InterchangeResult:
    """Validate every group of ``interchange``; its envelope findings come along."""
    return InterchangeResult(
        interchange.control_number,
        [validate_group(g, interchange.delimiters, policy) for g in interchange.groups],
        list(interchange.findings),
    )
