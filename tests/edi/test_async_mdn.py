"""An asynchronous MDN for one of our files is checked against the MIC we recorded when sending."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from crossdock.channels.edi.as2.mdn import Disposition, Mdn
from crossdock.channels.edi.as2.mic import Mic
from crossdock.channels.edi.channel import sent_mic, settle_async_mdn
from crossdock.integration.store.migrate import upgrade
from crossdock.integration.store.sql import SqlStore
from crossdock.orchestration.clock import FakeClock
from crossdock.orchestration.partner_documents import PartnerFile

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def archived(store: SqlStore, summary: str) -> PartnerFile:
    file = PartnerFile(
        file_id="f-1", partner="retailco", direction="out", transport="as2",
        name="retailco-000000001-856.edi", content=b"ISA*...~", at=AT, summary=summary,
    )  # fmt: skip
    with store.unit_of_work() as uow:
        uow.partner_documents.archive(file)
        uow.partner_documents.settle_file("f-1", status="sent", summary=summary, order_ids=["O-1"])
    return file


def test_the_recorded_mic_wins_over_one_recomputed_from_the_content() -> None:
    signed = Mic.of(b"a signed MIME entity", "sha-256")
    note = f"AS2 <f-1@crossdock>: asynchronous MDN awaited; MIC {signed}"
    unsigned = PartnerFile(
        file_id="f", partner="p", direction="out", transport="as2", name="n", content=b"X12",
        at=AT,
    )  # fmt: skip

    assert sent_mic(replace(unsigned, summary=note)).matches(signed)
    assert sent_mic(unsigned).matches(Mic.of(b"X12"))


def test_an_async_mdn_is_noted_on_the_orders_of_the_file_it_answers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade(url)
    store = SqlStore(url)
    signed = Mic.of(b"a signed MIME entity", "sha-256")
    archived(store, f"856; AS2 <f-1@crossdock>: asynchronous MDN awaited; MIC {signed}")

    good = Mdn(
        original_message_id="<f-1@crossdock>", disposition=Disposition.processed(), mic=signed
    )
    bad = Mdn(
        original_message_id="<f-1@crossdock>",
        disposition=Disposition.processed(),
        mic=Mic.of(b"something else", "sha-256"),
    )
    settle_async_mdn(store, FakeClock(AT), good)
    settle_async_mdn(store, FakeClock(AT), bad)

    with store.unit_of_work(write=False) as uow:
        lines = [entry.summary for entry in uow.timeline.for_order("O-1")]
    store.close()
    assert lines[0].endswith("MDN: automatic-action/MDN-sent-automatically; processed")
    assert "MDN refused our file" in lines[1]
