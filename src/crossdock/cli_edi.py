"""``crossdock edi parse FILE``: read an X12 file and show its envelope tree and findings.

Exit codes: 0 when nothing is wrong (warnings allowed), 1 when any finding is an error,
2 when the file cannot be opened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Finding, Interchange, Severity

edi_app = typer.Typer(
    help="EDI (X12) tools: read a file, show its structure.", no_args_is_help=True
)


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
