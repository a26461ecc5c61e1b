"""The drop directory: files claimed once, under names of their own, one failure not stopping
the others."""

from __future__ import annotations

from pathlib import Path

from crossdock.channels.edi.drop_watcher import DropWatcher, original_name
from crossdock.channels.edi.partner import PartnerDirectory, PartnerProfile


class Receiver:
    """Takes files; refuses those whose content says so (a database that is down, say)."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, bytes]] = []

    async def __call__(self, content: bytes, *, transport: str, name: str, partner: str) -> None:
        if content.startswith(b"FAIL"):
            raise RuntimeError("store unavailable")
        self.taken.append((name, content))


def watcher(root: Path) -> tuple[DropWatcher, Receiver, Path]:
    profile = PartnerProfile.model_validate(
        {
            "customer_id": "C1",
            "partner": {"isa_id": "P"},
            "us": {"isa_id": "US"},
            "drop": {"inbox": str(root / "in"), "outbox": str(root / "out")},
        }
    )
    receiver = Receiver()
    inbox = root / "in"
    inbox.mkdir()
    return DropWatcher(PartnerDirectory({"p": profile}), receiver), receiver, inbox


async def settle(drop: DropWatcher) -> int:
    """Two scans: a file is taken once it did not change between them."""
    return await drop.scan_once() + await drop.scan_once()


async def test_a_reused_name_never_overwrites_a_claimed_file_and_a_failure_stops_nothing(
    tmp_path: Path,
) -> None:
    drop, receiver, inbox = watcher(tmp_path)
    (inbox / "850.edi").write_bytes(b"FAIL first upload")
    (inbox / "other.edi").write_bytes(b"ISA other")

    assert await settle(drop) == 1
    assert receiver.taken == [("other.edi", b"ISA other")]

    (inbox / "850.edi").write_bytes(b"ISA second upload, same name")
    assert await settle(drop) == 1

    assert receiver.taken[-1] == ("850.edi", b"ISA second upload, same name")
    claimed = list((inbox / ".processing").iterdir())
    assert [path.read_bytes() for path in claimed] == [b"FAIL first upload"]
    assert [original_name(path) for path in claimed] == ["850.edi"]
    assert sorted(original_name(p) for p in (inbox / ".taken").iterdir()) == [
        "850.edi",
        "other.edi",
    ]
