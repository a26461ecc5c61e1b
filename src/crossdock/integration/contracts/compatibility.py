"""What changed between the published contracts and the registry, and whether it breaks anyone.

Both sides are snapshot documents (:func:`.snapshot.snapshot_of`): ``{"events": {type: entry}}``,
each entry with its ``dataschema``, ``subject`` and the ``schema`` of its data. Everything here
is a pure function of the two documents.

A published version is a promise to two readers: the consumer that handles new events, and
whoever reads old events again (a replay from the outbox, a stream read from the start). So a
change is **breaking** when either could be surprised:

- an event type (or one version of it) disappears, or its ``dataschema`` or subject changes;
- a field disappears, changes type, becomes required or stops being required;
- a field gains an enum, loses an enum value or loses its enum altogether;
- any other validation keyword changes (``pattern``, ``format``, ``minLength``, ``items`` …).

It is **compatible** when it only adds: a new event type or a new version of one, a new optional
field, a new enum value (consumers must tolerate values they do not know, as they ignore fields
they do not know), or when it only changes documentation (``title``, ``description`` …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ANNOTATIONS = frozenset({"title", "description", "examples", "default", "$comment", "deprecated"})
"""Keywords that document a schema without constraining it."""
_HANDLED = frozenset({"type", "properties", "required", "items", "enum", "$schema", "$id"})
_ALTERNATIVES = ("anyOf", "oneOf", "allOf", "prefixItems")


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """One difference between the published contract and the registry."""

    event_type: str
    """The CloudEvent type the change is about."""
    path: str
    """Where, in the event: ``data.reasons[]``, or empty for the event type as a whole."""
    message: str
    """What changed, for a person."""
    breaking: bool
    """Whether a published consumer or a replay of published events could fail on it."""

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        kind = "BREAKING" if self.breaking else "compatible"
        return f"{kind:<10} {self.event_type}{where}: {self.message}"


def compare(published: Mapping[str, Any], current: Mapping[str, Any]) -> list[Change]:
    """Every change from the ``published`` snapshot document to the ``current`` one."""
    before: Mapping[str, Any] = published.get("events", {})
    after: Mapping[str, Any] = current.get("events", {})
    changes: list[Change] = []
    for event_type, old in before.items():
        new = after.get(event_type)
        if new is None:
            changes.append(
                Change(
                    event_type=event_type,
                    path="",
                    message="removed: a published event type and version must stay",
                    breaking=True,
                )
            )
        else:
            changes.extend(_compare_event(event_type, old, new))
    published_names = {(e.get("family", "order"), e.get("name")) for e in before.values()}
    for event_type, new in after.items():
        if event_type in before:
            continue
        known = (new.get("family", "order"), new.get("name")) in published_names
        changes.append(
            Change(
                event_type=event_type,
                path="",
                message="new version of a published event" if known else "new event type",
                breaking=False,
            )
        )
    return changes


def compare_schemas(event_type: str, before: Any, after: Any, path: str = "data") -> list[Change]:
    """Every change from schema ``before`` to schema ``after`` (both self-contained)."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        if before == after:
            return []
        return [_broken(event_type, path, f"schema changed from {before!r} to {after!r}")]
    changes: list[Change] = []
    old_types, new_types = _types(before), _types(after)
    if old_types != new_types:
        changes.append(
            _broken(event_type, path, f"type changed from {_show(old_types)} to {_show(new_types)}")
        )
    changes.extend(_compare_enum(event_type, path, before.get("enum"), after.get("enum")))
    changes.extend(_compare_properties(event_type, path, before, after))
    if "items" in before or "items" in after:
        changes.extend(
            compare_schemas(
                event_type, before.get("items", {}), after.get("items", {}), path + "[]"
            )
        )
    for keyword in _ALTERNATIVES:
        changes.extend(_compare_alternatives(event_type, path, keyword, before, after))
    for keyword in sorted((before.keys() | after.keys()) - _HANDLED - set(_ALTERNATIVES)):
        old, new = before.get(keyword), after.get(keyword)
        if old == new:
            continue
        if keyword in ANNOTATIONS:
            changes.append(
                Change(
                    event_type=event_type,
                    path=path,
                    message=f"{keyword} changed",
                    breaking=False,
                )
            )
        else:
            changes.append(_broken(event_type, path, f"{keyword} changed from {old!r} to {new!r}"))
    return changes


def _compare_event(event_type: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes: list[Change] = []
    for attribute in ("dataschema", "subject"):
        if old.get(attribute) != new.get(attribute):
            changes.append(
                _broken(
                    event_type,
                    "",
                    f"{attribute} changed from {old.get(attribute)!r} to {new.get(attribute)!r}",
                )
            )
    for attribute in ("owner", "description"):
        if old.get(attribute) != new.get(attribute):
            changes.append(
                Change(
                    event_type=event_type, path="", message=f"{attribute} changed", breaking=False
                )
            )
    changes.extend(compare_schemas(event_type, old.get("schema", {}), new.get("schema", {})))
    return changes


def _compare_properties(
    event_type: str, path: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Change]:
    old_fields: Mapping[str, Any] = before.get("properties", {})
    new_fields: Mapping[str, Any] = after.get("properties", {})
    old_required = set(before.get("required", ()))
    new_required = set(after.get("required", ()))
    changes: list[Change] = []
    for field, old in old_fields.items():
        where = f"{path}.{field}"
        if field not in new_fields:
            changes.append(_broken(event_type, where, "field removed"))
            continue
        if field in old_required and field not in new_required:
            changes.append(_broken(event_type, where, "no longer required: it may be missing"))
        elif field in new_required and field not in old_required:
            changes.append(_broken(event_type, where, "now required: published events may lack it"))
        changes.extend(compare_schemas(event_type, old, new_fields[field], where))
    for field in new_fields.keys() - old_fields.keys():
        where = f"{path}.{field}"
        if field in new_required:
            changes.append(
                _broken(event_type, where, "new required field: published events lack it")
            )
        else:
            changes.append(
                Change(
                    event_type=event_type, path=where, message="new optional field", breaking=False
                )
            )
    return changes


def _compare_enum(event_type: str, path: str, before: Any, after: Any) -> list[Change]:
    if before == after:
        return []
    if before is None:
        return [_broken(event_type, path, f"now restricted to {after!r}")]
    if after is None:
        return [_broken(event_type, path, "no longer restricted to its enum values")]
    removed = [value for value in before if value not in after]
    added = [value for value in after if value not in before]
    changes: list[Change] = []
    if removed:
        changes.append(_broken(event_type, path, f"enum narrowed: {removed!r} removed"))
    if added:
        changes.append(
            Change(
                event_type=event_type,
                path=path,
                message=f"enum widened: {added!r} added",
                breaking=False,
            )
        )
    return changes


def _compare_alternatives(
    event_type: str, path: str, keyword: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Change]:
    old, new = before.get(keyword), after.get(keyword)
    if old == new:
        return []
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        changes: list[Change] = []
        for n, (a, b) in enumerate(zip(old, new, strict=True)):
            changes.extend(compare_schemas(event_type, a, b, f"{path}<{keyword}[{n}]>"))
        return changes
    return [_broken(event_type, path, f"{keyword} changed")]


def _types(schema: Mapping[str, Any]) -> frozenset[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    return frozenset()


def _show(types: frozenset[str]) -> str:
    return " | ".join(sorted(types)) or "any"


def _broken(event_type: str, path: str, message: str) -> Change:
    return Change(event_type=event_type, path=path, message=message, breaking=True)
