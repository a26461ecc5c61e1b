"""The watched drop directory: files a partner (or its SFTP server) puts in its inbox directory.

Each file is taken once it has stopped growing: it is claimed by renaming it into
``.processing/`` (atomic, so of several workers scanning one directory exactly one gets it), handed
to the inbox (which archives it in the store before anything else), and then moved to
``.taken/``. A worker that dies holding a claim leaves the file in ``.processing/``; any scan
takes such a file again after :data:`STALE_CLAIM_S`. If the first worker got as far as the
store, the inbox recognises the repeated interchange (TA1 025) and creates nothing, so nothing is
lost and nothing is done twice. Files whose names start with a dot (partial uploads, our own
folders) are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from crossdock.channels.edi.partner import PartnerDirectory

log = logging.getLogger("crossdock.edi.drop")

TAKEN = ".taken"
PROCESSING = ".processing"
CLAIM_MARK = "~"
"""Separates a file's own name from its claim's suffix in ``.processing/`` and ``.taken/``."""
STALE_CLAIM_S = 600.0
"""A claim older than this belonged to a worker that died; the file is taken again."""

Receive = Callable[..., Awaitable[object]]


@dataclass(frozen=True, slots=True)
class _Seen:
    size: int
    mtime_ns: int


class DropWatcher:
    """Scans every partner's inbox directory."""

    def __init__(self, partners: PartnerDirectory, receive: Receive) -> None:
        self.partners = partners
        self.receive = receive
        self._last: dict[Path, _Seen] = {}

    async def scan_once(self) -> int:
        """Take every file that is complete; returns how many were taken."""
        taken = 0
        for profile in self.partners:
            if profile.drop is None:
                continue
            inbox = Path(profile.drop.inbox)
            claimed = await asyncio.to_thread(self._claim, inbox)
            for path in claimed:
                try:
                    content = await asyncio.to_thread(path.read_bytes)
                    await self.receive(
                        content, transport="drop", name=original_name(path), partner=profile.name
                    )
                except Exception:
                    # Left claimed: a later scan takes it again once the claim is stale. The other
                    # files of this scan go on.
                    log.exception("cannot take %s now", path)
                    continue
                await asyncio.to_thread(_move, path, inbox / TAKEN)
                taken += 1
        return taken

    def _claim(self, inbox: Path) -> list[Path]:
        """Rename every finished file (and every stale claim) into ``.processing/``."""
        processing = inbox / PROCESSING
        claimed: list[Path] = []
        for path in sorted(self._ready(inbox)):
            processing.mkdir(exist_ok=True)
            # A name of its own: partners reuse names (850.edi every time), and a new upload must
            # not overwrite a claimed file that is not archived yet.
            claim = processing / f"{path.name}{CLAIM_MARK}{uuid.uuid4().hex[:12]}"
            try:
                os.replace(path, claim)
            except FileNotFoundError:  # another worker claimed it first
                continue
            self._last.pop(path, None)
            claimed.append(claim)
        if processing.is_dir():
            now = time.time()
            for path in processing.iterdir():
                if path not in claimed and now - path.stat().st_ctime > STALE_CLAIM_S:
                    os.utime(path)  # renew the claim while this worker handles it
                    log.warning("taking %s again: its worker died holding it", path)
                    claimed.append(path)
        return claimed

    def _ready(self, inbox: Path) -> list[Path]:
        """Files whose size and mtime did not change since the previous scan (a finished upload)."""
        ready: list[Path] = []
        try:
            entries = list(os.scandir(inbox))
        except FileNotFoundError:
            return ready
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file():
                continue
            path = Path(entry.path)
            stat = entry.stat()
            now = _Seen(stat.st_size, stat.st_mtime_ns)
            if self._last.get(path) == now:
                ready.append(path)
            else:
                self._last[path] = now
        return ready


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    os.replace(path, folder / path.name)


def original_name(claim: Path) -> str:
    """The name the partner gave a file, from the name of its claim."""
    name, mark, _ = claim.name.rpartition(CLAIM_MARK)
    return name if mark else claim.name
