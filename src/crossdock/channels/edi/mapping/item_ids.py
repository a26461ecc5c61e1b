"""Product identifiers: the qualifier/id pairs on PO1, LIN and IT1 segments, and our SKU.

A partner names an item by one or more pairs (``VP`` vendor part, ``BP`` buyer part, ``UP`` UPC,
``EN`` EAN, ``IN`` buyer's item, or qualifiers of its own). A ``VP`` id is our SKU; any other id
resolves through the partner's cross-reference (``profile.items["BP:ABC-1"] == "WID-100"``). The
partner's :attr:`~crossdock.channels.edi.partner.PartnerProfile.item_qualifiers` say which
qualifiers are read, in order of preference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from crossdock.channels.edi.mapping.x12_values import element_name
from crossdock.channels.edi.partner import PartnerProfile
from crossdock.channels.edi.x12.model import Segment
from crossdock.core.value import Value
from crossdock.orchestration.intake import FieldProblem

OUR_SKU = "VP"
"""The qualifier whose id is our SKU."""


class ItemId(Value):
    """One qualifier/id pair."""

    qualifier: str
    """The product id qualifier (235), e.g. ``VP``, ``BP``, ``UP``."""
    id: str
    """The product id (234)."""

    @property
    def key(self) -> str:
        """The cross-reference key: ``BP:ABC-1``."""
        return f"{self.qualifier}:{self.id}"


def read_item_ids(
    found: Segment, first: int, where: str, problems: list[FieldProblem]
) -> tuple[ItemId, ...]:
    """The pairs from element ``first`` on (PO106, LIN02, IT106); half pairs become problems."""
    ids: list[ItemId] = []
    for position in range(first, len(found.elements) + 1, 2):
        qualifier, value = found.element(position), found.element(position + 1)
        if not qualifier and not value:
            continue
        if not value:
            name = element_name(found.tag, position + 1)
            problems.append(FieldProblem(f"{where}.{name}", f"qualifier {qualifier} has no id"))
        elif not qualifier:
            name = element_name(found.tag, position)
            problems.append(FieldProblem(f"{where}.{name}", f"id {value!r} has no qualifier"))
        else:
            ids.append(ItemId(qualifier=qualifier, id=value))
    return tuple(ids)


def pair_elements(ids: Iterable[ItemId]) -> list[str]:
    """The pairs flattened into element values, in order."""
    return [value for item in ids for value in (item.qualifier, item.id)]


def resolve_sku(ids: Sequence[ItemId], profile: PartnerProfile) -> str | None:
    """Our SKU for an item, trying the partner's qualifiers in its order of preference."""
    for qualifier in profile.item_qualifiers:
        for item in ids:
            if item.qualifier != qualifier:
                continue
            if qualifier == OUR_SKU:
                return item.id
            sku = profile.items.get(item.key)
            if sku:
                return sku
    return None


def describe(ids: Sequence[ItemId], profile: PartnerProfile) -> str:
    """Why no SKU was found, for an error message."""
    sent = ", ".join(f"{item.qualifier} {item.id}" for item in ids) or "no item ids"
    read = ", ".join(profile.item_qualifiers)
    return f"no item id resolves to a SKU (sent {sent}; partner reads {read})"


def partner_ids(sku: str, profile: PartnerProfile) -> tuple[ItemId, ...]:
    """Every id naming ``sku`` for this partner: ``VP`` first, then the cross-reference's ids.

    The cross-reference ids come in the partner's order of preference.
    """
    ids = [ItemId(qualifier=OUR_SKU, id=sku)]
    for qualifier in profile.item_qualifiers:
        if qualifier == OUR_SKU:
            continue
        for key, target in profile.items.items():
            prefix, _, value = key.partition(":")
            if target == sku and prefix == qualifier and value:
                ids.append(ItemId(qualifier=qualifier, id=value))
    return tuple(ids)
