"""Fixtures: the sample files read into transaction sets, a partner, a customer, a set from text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crossdock.channels.edi.partner import DropSpec, EnvelopeIds, PartnerProfile
from crossdock.channels.edi.x12.envelope import read_interchanges
from crossdock.channels.edi.x12.model import Delimiters, Segment, TransactionSet
from crossdock.core.party import Address, Customer

FIXTURES = Path(__file__).parent / "fixtures"

Sets = Callable[[str, str], list[tuple[TransactionSet, Delimiters]]]
SetFromText = Callable[[str, str], TransactionSet]


@pytest.fixture
def sample_sets() -> Sets:
    """Every set with this ST01 in a sample file, with its interchange's delimiters."""

    def read(name: str, set_id: str) -> list[tuple[TransactionSet, Delimiters]]:
        found: list[tuple[TransactionSet, Delimiters]] = []
        for interchange in read_interchanges(FIXTURES / name):
            for group in interchange.groups:
                found.extend(
                    (transaction_set, interchange.delimiters)
                    for transaction_set in group.sets
                    if transaction_set.set_id == set_id
                )
        return found

    return read


@pytest.fixture
def set_from_text() -> SetFromText:
    """A set built from body text in ``*`` and ``~`` (no envelope), wrapped in ST/SE."""

    def build(set_id: str, text: str) -> TransactionSet:
        body = [part.strip() for part in text.split("~") if part.strip()]
        segments = [Segment(tag="ST", elements=(set_id, "0001"))]
        for raw in body:
            tag, *elements = raw.split("*")
            segments.append(Segment(tag=tag, elements=tuple(elements)))
        segments.append(Segment(tag="SE", elements=(str(len(segments) + 1), "0001")))
        return TransactionSet(segments=segments)

    return build


@pytest.fixture
def partner() -> PartnerProfile:
    """A retailer that reads VP, BP and UP ids and cross-references two of its own."""
    return PartnerProfile(
        name="acme-retail",
        customer_id="C-ACME",
        partner=EnvelopeIds(isa_id="RETAILER"),
        us=EnvelopeIds(isa_id="DISTRIBUTOR"),
        item_qualifiers=("VP", "BP", "UP"),
        items={"BP:ABC-1": "WID-100", "UP:012345678912": "WID-200"},
        drop=DropSpec(inbox="/in", outbox="/out"),
        legal_entity="US-EAST",
    )


@pytest.fixture
def customer() -> Customer:
    """The partner as a customer in the master data."""
    return Customer(
        customer_id="C-ACME",
        name="Acme Retail",
        legal_entity="US-WEST",
        region="east",
        bill_to=Address(
            name="Acme HQ", line1="9 Head St", city="Boston", postal_code="02110", country="US"
        ),
    )


@pytest.fixture
def warehouse() -> Address:
    """Our shipping warehouse."""
    return Address(
        name="CROSSDOCK DC1",
        line1="100 DOCK RD",
        city="RENO",
        region="NV",
        postal_code="89502",
        country="US",
    )
