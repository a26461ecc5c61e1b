"""``crossdock edi parse | validate | send``: X12 files from the command line.

``parse FILE`` shows the envelope tree and what the reader found; ``validate FILE [--partner P]``
checks every set against its definition (the codes a 997 would carry) and, with a partner, what
the channel would check before taking it (the sender's ids, the items); ``send FILE --partner P``
takes the file into the hub's database as if the partner had sent it (archived, acknowledged,
acted on; the workers do the rest).

Exit codes: 0 when nothing is wrong (warnings allowed), 1 when any finding is an error (or the
hub refused the file), 2 when the file cannot be opened or the partner is unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Finding, Interchange, Severity

edi_app = typer.Typer(help="EDI (X12) tools: read, validate and send a file.", no_args_is_help=True)


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "level": finding.level,
        "code": finding.code,
        "segment": finding.segment_tag,
        "offset": finding.offset,
        "index": finding.segment_index,
        "message": finding.message,
    }


def _findings(interchange: Interchange) -> list[Finding]:
    found = list(interchange.findings)
    for group in interchange.groups:
        found.extend(group.findings)
        for transaction in group.sets:
            found.extend(transaction.findings)
    return found


def _tree(interchange: Interchange) -> dict[str, Any]:
    d = interchange.delimiters
    return {
        "control_number": interchange.control_number,
        "sender": "/".join(interchange.sender),
        "receiver": "/".join(interchange.receiver),
        "version": interchange.version,
        "usage": interchange.usage,
        "offset": interchange.header.offset,
        "delimiters": {
            "element": d.element,
            "component": d.component,
            "segment": d.segment,
            "repetition": d.repetition,
        },
        "groups": [
            {
                "functional_id": group.functional_id,
                "control_number": group.control_number,
                "version": group.version,
                "offset": group.header.offset,
                "sets": [
                    {
                        "set_id": t.set_id,
                        "control_number": t.control_number,
                        "segments": len(t.segments),
                        "offset": t.header.offset,
                    }
                    for t in group.sets
                ],
            }
            for group in interchange.groups
        ],
        "findings": [_finding(f) for f in _findings(interchange)],
    }


def _print(tree: dict[str, Any]) -> None:
    d = tree["delimiters"]
    typer.echo(
        f"interchange {tree['control_number'] or '?'} @{tree['offset']}  "
        f"{tree['sender']} → {tree['receiver']}  version {tree['version']} {tree['usage']}  "
        f"delimiters {d['element']!r} {d['component']!r} {d['segment']!r} {d['repetition']!r}"
    )
    for group in tree["groups"]:
        typer.echo(
            f"  group {group['functional_id']} {group['control_number']} @{group['offset']}  "
            f"{group['version']}  {len(group['sets'])} set(s)"
        )
        for t in group["sets"]:
            typer.echo(
                f"    set {t['set_id']} {t['control_number']} @{t['offset']}  "
                f"{t['segments']} segments"
            )
    for f in tree["findings"]:
        where = f"{f['segment'] or '-'}@{f['offset']}" + (f"#{f['index']}" if f["index"] else "")
        typer.echo(f"  {f['severity']:<7} {f['level']:<11} {f['code']:>3}  {where}  {f['message']}")


@edi_app.command("parse")
def parse(
    file: Annotated[Path, typer.Argument(help="The X12 file to read.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the tree as JSON.")] = False,
) -> None:
    """Read FILE: interchanges, groups and sets with positions, then every finding."""
    if not file.is_file():
        typer.echo(f"cannot read {file}: not a file", err=True)
        raise typer.Exit(2)
    trees = []
    errors = 0
    for interchange in read_interchanges(file):
        tree = _tree(interchange)
        errors += sum(f["severity"] == Severity.ERROR.value for f in tree["findings"])
        if as_json:
            trees.append(tree)
        else:
            _print(tree)
    if as_json:
        typer.echo(json.dumps(trees, indent=2))
    raise typer.Exit(1 if errors else 0)


@edi_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The X12 file to check.")],
    partner: Annotated[
        str | None, typer.Option(help="Also check it as this partner's (the estate's name).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check FILE set by set: each error with its segment position and X12 code."""
    from crossdock.cli_edi_checks import partner_findings, validation_findings

    if not file.is_file():
        typer.echo(f"cannot read {file}: not a file", err=True)
        raise typer.Exit(2)
    profile = None
    if partner is not None:
        profile = _partner(partner)
    findings: list[dict[str, Any]] = []
    for interchange in read_interchanges(file):
        findings.extend(validation_findings(interchange))
        if profile is not None:
            findings.extend(partner_findings(interchange, profile))
    errors = [f for f in findings if f["severity"] == Severity.ERROR.value]
    if as_json:
        typer.echo(json.dumps(findings, indent=2))
    else:
        for f in findings:
            typer.echo(
                f"{f['severity']:<7} {f['where']:<28} {f['code_name']:<9} {f['code']:>3}  "
                f"{f['message']}"
            )
        typer.echo(f"{len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    raise typer.Exit(1 if errors else 0)


@edi_app.command("send")
def send(
    file: Annotated[Path, typer.Argument(help="The X12 file the partner sent.")],
    partner: Annotated[str, typer.Option(help="The partner (the estate's name).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the receipt as JSON.")] = False,
) -> None:
    """Take FILE into the hub as if PARTNER had sent it (CROSSDOCK_STORE__URL)."""
    from crossdock.cli_operations import operator_desks

    if not file.is_file():
        typer.echo(f"cannot read {file}: not a file", err=True)
        raise typer.Exit(2)
    _partner(partner)
    with operator_desks() as desks:
        receipt = desks.edi.receive_now(file.read_bytes(), "cli", file.name, partner)
    summary = {
        "file_id": receipt.file_id,
        "partner": receipt.partner,
        "status": receipt.status,
        "orders": receipt.order_ids,
        "acknowledgements": receipt.acknowledgements,
        "notes": receipt.notes,
    }
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(f"file {receipt.file_id}: {receipt.status}")
        for note in receipt.notes:
            typer.echo(f"  {note}")
    raise typer.Exit(1 if receipt.status in ("rejected", "duplicate") else 0)


def _partner(name: str) -> PartnerProfile:
    from crossdock.estate import load_estate, sandbox_estate
    from crossdock.settings import Settings

    settings = Settings()
    estate = load_estate(settings.estate_file) if settings.estate_file else sandbox_estate()
    profile = estate.edi.directory().get(name)
    if profile is None:
        known = ", ".join(estate.edi.directory().names()) or "none"
        typer.echo(f"no EDI partner is named {name!r} (partners: {known})", err=True)
        raise typer.Exit(2)
    return profile
