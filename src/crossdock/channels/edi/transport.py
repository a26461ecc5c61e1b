"""How a file reaches a partner: the transport port and the drop-directory adapter.

A transport sends one archived file, at least once. Sending the same file again must be harmless:
the drop directory writes it under the same name (the partner sees one file), and an AS2 partner
drops a repeated Message-ID (ours is derived from the file id). Errors are classified by what the
delivery runner should do: :class:`RetryableError` (a full disk, a timeout, a 503) or
:class:`PermanentError` (a partner that refused the file).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

import httpx

from crossdock.channels.edi.as2.agreement import As2Agreement
from crossdock.channels.edi.as2.client import As2Client
from crossdock.channels.edi.partner import DropSpec, PartnerProfile
from crossdock.core.errors import PermanentError, RetryableError
from crossdock.orchestration.partner_documents import PartnerFile


class PartnerTransport(Protocol):
    """Carries our files to one partner."""

    async def send(self, profile: PartnerProfile, file: PartnerFile) -> str:
        """Send ``file``; returns a short note of what happened (for the timeline)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def outbound_name(file: PartnerFile) -> str:
    """The name a file is written under: stable, so a resend replaces rather than duplicates."""
    return file.name or f"{file.file_id}.edi"


class DropDirectoryTransport:
    """Writes files into the partner's outbox directory, atomically (aside, then renamed)."""

    async def send(self, profile: PartnerProfile, file: PartnerFile) -> str:
        """Write the file; a partner polling the directory never sees half of it."""
        target = Path(_drop(profile).outbox) / outbound_name(file)
        try:
            await asyncio.to_thread(_write_atomically, target, file.content)
        except OSError as exc:
            raise RetryableError(f"cannot write {target}: {exc}", code="drop_directory") from exc
        return f"written to {target}"

    async def aclose(self) -> None:
        """Nothing to release."""


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _drop(profile: PartnerProfile) -> DropSpec:
    if profile.drop is None:
        raise PermanentError(f"{profile.name} has no drop directory", code="configuration")
    return profile.drop


class As2Transport:
    """Sends files over AS2 (RFC 4130); the Message-ID is the file's, so a resend is recognised."""

    def __init__(
        self,
        client: As2Client,
        http: httpx.AsyncClient,
        agreement: As2Agreement,
        domain: str = "crossdock",
    ) -> None:
        self.client = client
        self.http = http
        self.agreement = agreement
        self.domain = domain

    async def send(self, profile: PartnerProfile, file: PartnerFile) -> str:
        """POST the file and check the MDN (a refusal is permanent; a 5xx or timeout retried)."""
        agreement = self.agreement
        message_id = f"<{file.file_id}@{self.domain}>"
        result = await self.client.send(file.content, agreement=agreement, message_id=message_id)
        if result.mdn is not None:
            return f"AS2 {message_id}: MDN {result.mdn.disposition}"
        if result.awaiting_mdn:
            # The MIC is kept with the file: a signed or encrypted message's MIC covers a MIME
            # entity (random boundary included) that cannot be rebuilt when the MDN comes.
            return f"AS2 {message_id}: asynchronous MDN awaited; MIC {result.mic}"
        return f"AS2 {message_id}: sent, no MDN asked"

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.http.aclose()
