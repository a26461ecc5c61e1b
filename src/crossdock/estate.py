"""The estate file (``crossdock.yaml``): which systems exist, their connectors and roles (D7).

Roles, not names, drive the orchestration:

* ``master_data`` — system of record for customers, products and prices;
* ``inventory`` — system of record for stock on hand;
* ``fulfilment`` — system of execution that picks, packs and ships;
* ``status`` — system of engagement told about every status change;
* ``finance`` — an ERP that can own orders (routing rules name which).
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crossdock.channels.edi.partner import PartnerDirectory, PartnerProfile
from crossdock.core.errors import ConfigurationError
from crossdock.core.invoice import GatePolicy
from crossdock.core.routing import RoutingRule, RoutingTable
from crossdock.orchestration.delivery_policy import DeliveryPolicy
from crossdock.orchestration.workflow import WorkflowPolicy
from crossdock.visibility.sla_policy import InvoiceCutoff, SlaPolicy

Role = Literal["master_data", "inventory", "fulfilment", "status", "finance"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SystemSpec(_Strict):
    """One external system."""

    connector: str
    """The connector type (``legacy_erp``, ``cloud_erp``, ``wms``, ``customer_service``)."""
    base_url: str
    roles: tuple[Role, ...] = ()
    timeout_s: float = 10.0
    settings: dict[str, Any] = Field(default_factory=dict)
    """Connector-specific settings (credentials, company codes …)."""
    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)
    """Retries, circuit breaker, concurrency and rate limit for deliveries to this system."""


class RoutingSpec(_Strict):
    """The routing table."""

    default_system: str
    rules: tuple[RoutingRule, ...] = ()


class LocationSpec(_Strict):
    """Which warehouse ships an order that names none."""

    default: str
    regions: dict[str, str] = Field(default_factory=dict)


class EdiSpec(_Strict):
    """EDI trading partners and how often their files are looked for."""

    partners: dict[str, PartnerProfile] = Field(default_factory=dict)
    """Each partner by name: the name is its channel on orders and its delivery queue."""
    drop_scan_s: float = Field(2.0, gt=0)
    """Seconds between scans of the partners' drop directories."""
    ack_sweep_s: float = Field(60.0, gt=0)
    """Seconds between looks for our documents whose 997 is overdue."""
    availability_s: float = Field(3600.0, gt=0)
    """Seconds between the 846 availability snapshots sent to partners that take them."""

    def directory(self) -> PartnerDirectory:
        """The partners, each named after its key."""
        return PartnerDirectory(dict(self.partners))


class InvoiceCutoffSpec(_Strict):
    """By when, local time, the shipments confirmed on a day must be invoiced."""

    at: time = time(23, 59)
    """The local time of day, ``HH:MM``."""
    timezone: str = "UTC"
    """An IANA time zone name (``America/Chicago``) the day and ``at`` are read in."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{name!r} is not a known time zone") from exc
        return name


class SlaAlertsSpec(_Strict):
    """Where SLA alerts go besides the exception queue (mail: ``CROSSDOCK_SMTP__*``)."""

    webhook_url: str = ""
    """POST each alert as JSON here (signed with ``CROSSDOCK_ALERT_WEBHOOK_SECRET`` when set)."""


class SlaSpec(_Strict):
    """Service levels; each rule is off unless set. See ``docs/sla.md``."""

    not_booked_within_minutes: float | None = Field(None, gt=0)
    """An order with no sales order this many minutes after it arrived is a breach."""
    no_855_within_hours: float | Literal["partner"] | None = None
    """An EDI order with no 855 this many hours after its 850 is a breach: a number for every
    partner, ``partner`` for each partner's own ``deadlines.ack_855_hours``. Only partners that
    take 855s are checked."""
    not_invoiced_by: InvoiceCutoffSpec | None = None
    """A shipment confirmed on a day and not invoiced by this local time is a breach."""
    sweep_s: float = Field(60.0, gt=0)
    """Seconds between sweeps for breaches."""
    alerts: SlaAlertsSpec = Field(default_factory=SlaAlertsSpec)

    @field_validator("no_855_within_hours")
    @classmethod
    def _positive_hours(cls, hours: float | str | None) -> float | str | None:
        if isinstance(hours, float | int) and hours <= 0:
            raise ValueError("must be greater than 0, or 'partner'")
        return hours


class Estate(_Strict):
    """The whole estate file."""

    systems: dict[str, SystemSpec]
    routing: RoutingSpec
    locations: LocationSpec
    edi: EdiSpec = Field(default_factory=EdiSpec)
    price_tolerance: Decimal = Decimal("0.01")
    booking_deadline_minutes: float = 30.0
    short_ship_settle_minutes: float = Field(10.0, ge=0)
    sla: SlaSpec | None = None
    """Service levels watched by the SLA monitor; None: no monitor."""

    @model_validator(mode="after")
    def _check_references(self) -> Estate:
        names = set(self.systems)
        routed = {self.routing.default_system, *(rule.system for rule in self.routing.rules)}
        for name in sorted(routed - names):
            raise ValueError(f"routing names system {name!r}, which is not in systems")
        for name in sorted(routed):
            if "finance" not in self.systems[name].roles:
                raise ValueError(f"routing sends orders to {name!r}, which lacks the finance role")
        for name in sorted(names & set(self.edi.partners)):
            raise ValueError(f"{name!r} is both a system and an EDI partner: names must differ")
        required: tuple[Role, ...] = ("fulfilment", "master_data")
        for role in required:
            if not self.with_role(role):
                raise ValueError(f"no system has the {role} role")
        return self

    def with_role(self, role: Role) -> list[str]:
        """Names of the systems that have ``role``."""
        return [name for name, spec in self.systems.items() if role in spec.roles]

    def delivery_policies(self) -> dict[str, DeliveryPolicy]:
        """Each system's (and each EDI partner's) delivery policy, by name."""
        policies = {name: spec.delivery for name, spec in self.systems.items()}
        policies.update({name: partner.delivery for name, partner in self.edi.partners.items()})
        return policies

    def workflow_policy(self) -> WorkflowPolicy:
        """The order-to-cash policy this estate implies."""
        return WorkflowPolicy(
            routing=RoutingTable.of(self.routing.rules, self.routing.default_system),
            gate=GatePolicy(price_tolerance=self.price_tolerance),
            fulfilment_system=self.with_role("fulfilment")[0],
            status_systems=tuple(self.with_role("status")),
            channel_systems=tuple(self.edi.partners),
            region_locations=dict(self.locations.regions),
            default_location=self.locations.default,
            booking_deadline=timedelta(minutes=self.booking_deadline_minutes),
            short_ship_settle=timedelta(minutes=self.short_ship_settle_minutes),
            price_tolerance=self.price_tolerance,
        )

    def sla_policy(self) -> SlaPolicy | None:
        """The SLA rules this estate sets, with each EDI partner's 855 window; None without
        an ``sla`` block."""
        spec = self.sla
        if spec is None:
            return None
        ack_855: dict[str, timedelta] = {}
        if spec.no_855_within_hours is not None:
            for name, partner in self.edi.partners.items():
                if "855" not in partner.documents:
                    continue
                hours = spec.no_855_within_hours
                if hours == "partner":
                    hours = partner.deadlines.ack_855_hours
                ack_855[name] = timedelta(hours=float(hours))
        cutoff = spec.not_invoiced_by
        return SlaPolicy(
            not_booked_within=(
                None
                if spec.not_booked_within_minutes is None
                else timedelta(minutes=spec.not_booked_within_minutes)
            ),
            ack_855_within=ack_855,
            invoice_cutoff=(
                None
                if cutoff is None
                else InvoiceCutoff(at=cutoff.at, zone=ZoneInfo(cutoff.timezone))
            ),
            sweep_every=timedelta(seconds=spec.sweep_s),
        )


def parse_estate(document: dict[str, Any], *, source: str = "estate") -> Estate:
    """Validate an estate document, naming the bad key on failure."""
    try:
        return Estate.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or source
        raise ConfigurationError(f"{source}:{key}", first["msg"]) from exc


def load_estate(path: Path) -> Estate:
    """Read and validate an estate file."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigurationError("estate_file", f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError("estate_file", f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigurationError("estate_file", f"{path} must hold a mapping")
    return parse_estate(document, source=str(path))


def sandbox_estate(host: str = "127.0.0.1", base_port: int = 8101) -> Estate:
    """The estate of the sandbox (``crossdock sandbox up``) on its default ports."""
    url = f"http://{host}:{{}}"
    return parse_estate(
        {
            "systems": {
                "legacy_erp": {
                    "connector": "legacy_erp",
                    "base_url": url.format(base_port + 1),
                    "roles": ["master_data", "finance"],
                },
                "cloud_erp": {
                    "connector": "cloud_erp",
                    "base_url": url.format(base_port + 2),
                    "roles": ["finance"],
                },
                "wms": {
                    "connector": "wms",
                    "base_url": url.format(base_port + 3),
                    "roles": ["fulfilment", "inventory"],
                },
                "customer_service": {
                    "connector": "customer_service",
                    "base_url": url.format(base_port + 4),
                    "roles": ["status"],
                },
            },
            "routing": {
                "default_system": "legacy_erp",
                "rules": [
                    {"name": "entity-A-legacy", "legal_entity": "A", "system": "legacy_erp"},
                    {"name": "entity-B-cloud", "legal_entity": "B", "system": "cloud_erp"},
                ],
            },
            "locations": {"default": "WH-EAST", "regions": {"EAST": "WH-EAST", "WEST": "WH-WEST"}},
            # The sandbox warehouse reports a shipment within seconds, even out of order.
            "short_ship_settle_minutes": 0.1,
            "edi": {
                "partners": {
                    # The sandbox's retailer: 850s over AS2, expects 997, 855, 856 and 810 back.
                    "edi_customer": {
                        "customer_id": "C0003",
                        "partner": {"isa_qualifier": "ZZ", "isa_id": "RETAILCO"},
                        "us": {"isa_qualifier": "ZZ", "isa_id": "CROSSDOCK"},
                        "line_breaks": True,
                        "as2": {
                            "url": f"{url.format(base_port + 5)}/as2",
                            "partner_as2_id": "RETAILCO",
                            "our_as2_id": "CROSSDOCK",
                            "mdn": "sync",
                        },
                        "ship_from": {
                            "name": "Crossdock East DC",
                            "line1": "1 Dock Road",
                            "city": "Newark",
                            "region": "NJ",
                            "postal_code": "07101",
                            "country": "US",
                        },
                    }
                }
            },
        },
        source="sandbox estate",
    )
