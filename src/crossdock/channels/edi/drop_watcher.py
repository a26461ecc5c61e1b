"""The watched drop directory: files a partner (or its SFTP server) puts in its inbox directory.

Each file is taken once it has stopped growing, handed to the inbox (which archives it in the
store before anything else), and then moved to ``.taken/`` beside it. A crash between the two
leaves the file where it was: the next scan takes it again, and the inbox answers the repeated
interchange with TA1 025 and creates nothing, so nothing is lost and nothing is done twice.
Files whose names start with a dot (partial uploads, our own folders) are left alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from crossdock.channels.edi.partner import PartnerDirectory

log = logging.getLogger("crossdock.edi.drop")

TAKEN = ".taken"

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
            for path in sorted(self._ready(inbox)):
                content = path.read_bytes()
                await self.receive(content, transport="drop", name=path.name, partner=profile.name)
                done = inbox / TAKEN
                done.mkdir(exist_ok=True)
                os.replace(path, done / path.name)
                self._last.pop(path, None)
                taken += 1
        return taken

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
