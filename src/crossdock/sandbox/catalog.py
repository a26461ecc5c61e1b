"""The shared, deterministic master data every sandbox system seeds from, so they agree."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

LOCATIONS = ("WH-EAST", "WH-WEST")
REGION_BY_ENTITY = {"A": "EAST", "B": "WEST"}
LOCATION_BY_REGION = {"EAST": "WH-EAST", "WEST": "WH-WEST"}

_FIRST = (
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Iris",
    "Jonas",
    "Kemi",
    "Luis",
    "Maya",
    "Niko",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
)
_LAST = (
    "Archer",
    "Brooks",
    "Castillo",
    "Dunn",
    "Ellis",
    "Fischer",
    "Garcia",
    "Hale",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Reyes",
    "Silva",
)
_COMPANY = ("Supply", "Hardware", "Traders", "Industrial", "Wholesale", "Distribution")
_CITIES = {
    "EAST": (
        ("Boston", "MA", "02110"),
        ("Newark", "NJ", "07102"),
        ("Albany", "NY", "12207"),
        ("Hartford", "CT", "06103"),
        ("Baltimore", "MD", "21201"),
    ),
    "WEST": (
        ("Seattle", "WA", "98101"),
        ("Portland", "OR", "97204"),
        ("Oakland", "CA", "94607"),
        ("Reno", "NV", "89501"),
        ("Boise", "ID", "83702"),
    ),
}
_STREETS = ("Main St", "Harbor Rd", "Mill Ave", "Depot St", "Commerce Way", "Freight Blvd")
_ITEMS = (
    "Hex bolt",
    "Wing nut",
    "Pallet wrap",
    "Box cutter",
    "Safety gloves",
    "Cable tie",
    "Hose clamp",
    "Tape measure",
    "Work light",
    "Shelf bracket",
    "Drill bit set",
    "Padlock",
    "Zip bag",
    "Label roll",
    "Ratchet strap",
)
_SIZES = ("S", "M", "L", "XL", "10 pk", "25 pk", "50 pk", "100 pk")


@dataclass(frozen=True, kw_only=True)
class Address:
    name: str
    address1: str
    address2: str
    city: str
    province_code: str
    zip: str
    country_code: str = "US"


@dataclass(frozen=True, kw_only=True)
class Customer:
    customer_id: str
    name: str
    first_name: str
    last_name: str
    email: str
    legal_entity: str
    region: str
    currency: str
    bill_to: Address


@dataclass(frozen=True, kw_only=True)
class Product:
    sku: str
    description: str
    uom: str = "EA"
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class Price:
    sku: str
    currency: str
    unit_price: Decimal
    customer_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class InventoryPosition:
    sku: str
    location: str
    on_hand: Decimal
    safety_stock: Decimal


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Customers, products, list prices and inventory positions, with lookups by key."""

    seed: int
    customers: tuple[Customer, ...]
    products: tuple[Product, ...]
    prices: tuple[Price, ...]
    inventory: tuple[InventoryPosition, ...]
    _customers: dict[str, Customer] = field(init=False, repr=False, compare=False)
    _prices: dict[str, Price] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_customers", {c.customer_id: c for c in self.customers})
        object.__setattr__(self, "_prices", {p.sku: p for p in self.prices})

    def customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id)

    def list_price(self, sku: str) -> Decimal | None:
        price = self._prices.get(sku)
        return None if price is None else price.unit_price


@lru_cache(maxsize=16)
def seed_catalog(seed: int = 7, products: int = 60, customers: int = 24) -> Catalog:
    """Build the estate's master data; the same arguments always give the same catalog."""
    rng = random.Random(f"catalog:{seed}")
    entities = ["A" if i < customers // 2 else "B" for i in range(customers)]
    rng.shuffle(entities)
    people: list[Customer] = []
    for i, entity in enumerate(entities, start=1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = f"{last} {rng.choice(_COMPANY)}"
        region = REGION_BY_ENTITY[entity]
        city, province, zip_code = rng.choice(_CITIES[region])
        people.append(
            Customer(
                customer_id=f"C{i:04d}",
                name=company,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}.{i:04d}@example.com",
                legal_entity=entity,
                region=region,
                currency="USD",
                bill_to=Address(
                    name=f"{first} {last}",
                    address1=f"{rng.randint(1, 999)} {rng.choice(_STREETS)}",
                    address2=rng.choice(("", f"Suite {rng.randint(100, 900)}")),
                    city=city,
                    province_code=province,
                    zip=zip_code,
                ),
            )
        )
    items: list[Product] = []
    prices: list[Price] = []
    stock: list[InventoryPosition] = []
    for i in range(1, products + 1):
        sku = f"SKU-{i:04d}"
        items.append(Product(sku=sku, description=f"{rng.choice(_ITEMS)} {rng.choice(_SIZES)}"))
        cents = rng.randint(200, 25000)
        prices.append(Price(sku=sku, currency="USD", unit_price=Decimal(cents).scaleb(-2)))
        for location in LOCATIONS:
            stock.append(
                InventoryPosition(
                    sku=sku,
                    location=location,
                    on_hand=Decimal(rng.randint(500, 2000)),
                    safety_stock=Decimal(rng.randint(0, 20)),
                )
            )
    return Catalog(
        seed=seed,
        customers=tuple(people),
        products=tuple(items),
        prices=tuple(prices),
        inventory=tuple(stock),
    )


def money(value: Decimal) -> str:
    """A decimal as a JSON money string with two places."""
    return str(value.quantize(Decimal("0.01")))


def quantity(value: Decimal) -> str:
    """A quantity as a JSON string, without a trailing `.0` for whole numbers."""
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value)
