"""``PublishedContracts``: the committed contract files, and how the registry stands against them.

A directory (``docs/api`` in the repository) holds ``events.json``, the snapshot of every
published contract, and ``asyncapi.json``, the AsyncAPI document generated from the same
registry. :meth:`PublishedContracts.review` says what changed since the snapshot, whether any of
it breaks a published version, and which file no longer matches the registry;
:meth:`PublishedContracts.write` refreshes both files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .asyncapi import asyncapi_document
from .compatibility import Change, compare
from .registry import ContractRegistry
from .snapshot import render, snapshot_of

SNAPSHOT_FILE = "events.json"
ASYNCAPI_FILE = "asyncapi.json"


@dataclass(frozen=True, slots=True)
class Review:
    """The registry against the committed files."""

    changes: list[Change] = field(default_factory=list)
    """Every change since the committed snapshot (none when there is no snapshot yet)."""
    stale: list[str] = field(default_factory=list)
    """Files that are missing or no longer match the registry, each with why."""

    @property
    def breaking(self) -> list[Change]:
        """The changes that break a published version."""
        return [change for change in self.changes if change.breaking]

    @property
    def current(self) -> bool:
        """The committed files are exactly what the registry generates."""
        return not self.changes and not self.stale


class PublishedContracts:
    """The committed snapshot and AsyncAPI document in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snapshot_path = directory / SNAPSHOT_FILE
        self.asyncapi_path = directory / ASYNCAPI_FILE

    def published(self) -> dict[str, Any] | None:
        """The committed snapshot, or ``None`` when nothing was published yet."""
        if not self.snapshot_path.is_file():
            return None
        loaded: dict[str, Any] = json.loads(self.snapshot_path.read_text(encoding="utf-8"))
        return loaded

    def review(self, registry: ContractRegistry) -> Review:
        """Compare ``registry`` with the committed files."""
        stale: list[str] = []
        published = self.published()
        current = snapshot_of(registry)
        if published is None:
            changes: list[Change] = []
            stale.append(f"{self.snapshot_path}: missing")
        else:
            changes = compare(published, current)
            if published != current:
                stale.append(f"{self.snapshot_path}: does not match the registry")
        if not self.asyncapi_path.is_file():
            stale.append(f"{self.asyncapi_path}: missing")
        elif json.loads(self.asyncapi_path.read_text(encoding="utf-8")) != asyncapi_document(
            registry
        ):
            stale.append(f"{self.asyncapi_path}: does not match the registry")
        return Review(changes=changes, stale=stale)

    def write(self, registry: ContractRegistry) -> list[Path]:
        """Write both files from ``registry``; returns the files whose content changed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        written = []
        for path, document in (
            (self.snapshot_path, snapshot_of(registry)),
            (self.asyncapi_path, asyncapi_document(registry)),
        ):
            text = render(document)
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                written.append(path)
        return written
