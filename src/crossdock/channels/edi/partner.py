"""A trading partner: who it is on the envelope, how it wants its documents, its deadlines.

Profiles come from the estate file (``edi.partners.<name>``) and are served by the API. One
profile is everything the codec, the mappings and the transports need to know about a partner;
nothing about a partner is hard-coded anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crossdock.core.party import Address
from crossdock.orchestration.delivery_policy import DeliveryPolicy

ItemQualifier = Literal["VP", "BP", "UP", "EN", "IN"]
"""PO1/LIN product id qualifiers: vendor part (our SKU), buyer part, UPC, EAN, buyer's item."""

Version = Literal["004010", "005010"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvelopeIds(_Strict):
    """One side's ids on the envelope."""

    isa_qualifier: str = Field("ZZ", min_length=2, max_length=2)
    """ISA05/ISA07, e.g. ``ZZ`` (mutually defined), ``01`` (DUNS), ``12`` (phone)."""
    isa_id: str = Field(min_length=1, max_length=15)
    """ISA06/ISA08 (written padded to 15)."""
    gs_id: str = Field("", max_length=15)
    """GS02/GS03; empty means the same as ``isa_id``."""

    @property
    def application_id(self) -> str:
        """The GS02/GS03 code."""
        return self.gs_id or self.isa_id


class DelimiterSpec(_Strict):
    """The separators we write to this partner."""

    element: str = Field("*", min_length=1, max_length=1)
    component: str = Field(">", min_length=1, max_length=1)
    segment: str = Field("~", min_length=1, max_length=1)
    repetition: str = Field("^", min_length=1, max_length=1)
    """Written in ISA11 for 00501; 00401 writes ``U`` there and has no repetition separator."""

    @model_validator(mode="after")
    def _distinct(self) -> DelimiterSpec:
        chosen = [self.element, self.component, self.segment, self.repetition]
        if len(set(chosen)) != len(chosen):
            raise ValueError("element, component, segment and repetition separators must differ")
        return self


class As2Spec(_Strict):
    """AS2 (RFC 4130) to and from this partner."""

    url: str
    """Where we POST our messages (the partner's AS2 endpoint)."""
    partner_as2_id: str
    """AS2-To on our messages, AS2-From on theirs."""
    our_as2_id: str = "CROSSDOCK"
    """AS2-From on our messages, AS2-To on theirs."""
    mdn: Literal["sync", "async", "none"] = "sync"
    """The MDN we ask for on our messages."""
    mdn_url: str = ""
    """Where an asynchronous MDN should be sent (``Receipt-Delivery-Option``)."""
    certificate_file: str = ""
    """Our certificate (PEM): with ``key_file``, we sign our messages and MDNs and decrypt the
    partner's encrypted messages. Empty: unsigned, and encrypted messages are refused."""
    key_file: str = ""
    """The private key (PEM, unencrypted) of ``certificate_file``."""
    partner_certificate_file: str = ""
    """The partner's certificate (PEM): our messages are encrypted to it. Empty: unencrypted."""
    require_encryption: bool = False
    """Refuse the partner's unencrypted messages (MDN ``insufficient-message-security``)."""

    @model_validator(mode="after")
    def _pairs(self) -> As2Spec:
        if bool(self.certificate_file) != bool(self.key_file):
            raise ValueError("certificate_file and key_file go together")
        if self.require_encryption and not self.key_file:
            raise ValueError("require_encryption needs our certificate_file and key_file")
        if self.mdn == "async" and not self.mdn_url:
            raise ValueError("an asynchronous MDN needs mdn_url")
        return self


class DropSpec(_Strict):
    """A watched directory pair (the usual SFTP hand-off)."""

    inbox: str
    """Directory the partner's files arrive in; each file is taken once, then archived."""
    outbox: str
    """Directory our files are written to (atomically: written aside, then renamed)."""


class Deadlines(_Strict):
    """The document chain's deadlines, in hours."""

    ack_855_hours: float = Field(24.0, gt=0)
    """An 855 is due within this many hours of the 850."""
    expect_997_hours: float = Field(24.0, gt=0)
    """A 997 for each of our documents is expected within this many hours."""


class PartnerProfile(_Strict):
    """One EDI trading partner."""

    name: str = ""
    """The partner's name in the estate (filled from the key); also its channel on orders."""
    customer_id: str
    """The partner as a customer in the master data (orders are booked for it)."""
    partner: EnvelopeIds
    """The partner's ids (ISA06/GS02 on what it sends us)."""
    us: EnvelopeIds
    """Our ids as this partner knows us."""
    version: Version = "004010"
    """The version we write (ISA12 ``00401``/``00501``, GS08 ``004010``/``005010``)."""
    gs_version: str = Field("", max_length=12, pattern=r"^(|00[45]010[A-Z]*)$")
    """GS08 when the partner's guide wants an industry variant (``004010VICS``, ``004010UCS``);
    empty: ``version``. It must be a variant of ``version``."""
    delimiters: DelimiterSpec = Field(default_factory=DelimiterSpec)
    line_breaks: bool = False
    """Write a line feed after each segment terminator (some partners' tools want one)."""
    usage: Literal["P", "T"] = "P"
    """ISA15 on what we send. Inbound test interchanges (``T``) never reach an ERP."""
    ack_loops: Literal["always", "errors"] = "always"
    """AK2 loops in our 997s: for every set, or (004010 only) only for sets with errors."""
    ta1: Literal["requested", "always"] = "requested"
    """Send a TA1 when the ISA14 asks for one (and always for a broken envelope), or always."""
    item_qualifiers: tuple[ItemQualifier, ...] = ("VP", "BP", "UP")
    """The item ids we read (in order of preference) and echo back on 855/856/810 lines."""
    items: dict[str, str] = Field(default_factory=dict)
    """Cross-reference from a partner item id (``"BP:ABC-1"``, ``"UP:012345678905"``) to our SKU.
    A ``VP`` id is our SKU and needs no entry."""
    documents: tuple[Literal["855", "856", "810", "846"], ...] = ("855", "856", "810")
    """The documents we send this partner."""
    availability_skus: tuple[str, ...] = ()
    """The SKUs our 846s advertise to the partner (with ``846`` in ``documents``); empty: the
    SKUs of ``items``."""
    deadlines: Deadlines = Field(default_factory=Deadlines)
    as2: As2Spec | None = None
    drop: DropSpec | None = None
    ship_from: Address | None = None
    """The shipping warehouse's address (N1*SF on 856s); required to send 856s."""
    inventory_location: str = ""
    """When set, the partner's 846s are stock positions at this location (a 3PL or consignment
    warehouse reporting to us); when empty, its 846s are acknowledged and archived only."""
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    """Retries, circuit breaker, concurrency and rate limit for what we send this partner."""
    legal_entity: str = ""
    """Overrides the customer's legal entity on this partner's orders (empty: the customer's)."""
    region: str = ""
    """Overrides the customer's region (empty: the customer's)."""

    @model_validator(mode="after")
    def _one_transport(self) -> PartnerProfile:
        if self.as2 is None and self.drop is None:
            raise ValueError("a partner needs a transport: as2 or drop")
        if self.gs_version and not self.gs_version.startswith(self.version):
            raise ValueError(f"gs_version {self.gs_version} is not a variant of {self.version}")
        if self.ack_loops == "errors" and self.version != "004010":
            raise ValueError("ack_loops 'errors' is allowed in 004010 only (5010 requires AK2)")
        return self

    @property
    def interchange_version(self) -> str:
        """ISA12 for the version we write."""
        return "00401" if self.version == "004010" else "00501"


class PartnerDirectory:
    """Every partner profile, found by name or by the ids on an envelope."""

    def __init__(self, profiles: dict[str, PartnerProfile]) -> None:
        self._by_name = {
            name: profile if profile.name == name else profile.model_copy(update={"name": name})
            for name, profile in profiles.items()
        }
        self._by_sender = {
            (p.partner.isa_qualifier, p.partner.isa_id): p for p in self._by_name.values()
        }

    def __iter__(self) -> Iterator[PartnerProfile]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, name: str) -> PartnerProfile | None:
        """The partner with this name."""
        return self._by_name.get(name)

    def by_sender(self, qualifier: str, isa_id: str) -> PartnerProfile | None:
        """The partner whose ISA05/ISA06 these are (the id compared without its padding)."""
        return self._by_sender.get((qualifier.strip(), isa_id.strip()))

    def names(self) -> tuple[str, ...]:
        """Every partner's name."""
        return tuple(self._by_name)
