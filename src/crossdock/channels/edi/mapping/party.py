"""Parties: the N1 loop (N1 name and id, N3 street, N4 city/state/zip/country) both ways."""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.channels.edi.mapping.x12_values import segment
from crossdock.channels.edi.x12.model import Segment
from crossdock.core.party import Address
from crossdock.core.value import Value

LOOP_MEMBERS = frozenset({"N2", "N3", "N4", "PER", "REF"})
"""Segments that continue an N1 loop; any other tag ends it."""

DEFAULT_COUNTRY = "US"
"""The country of an N4 without N404: X12 partners leave it out for domestic addresses."""


class Party(Value):
    """One N1 loop as the partner sent it (or as we write it)."""

    code: str
    """N101 entity code: ``ST`` ship-to, ``BT`` bill-to, ``BY`` buyer, ``VN`` vendor, ``SF`` …"""
    name: str = ""
    """N102."""
    id_qualifier: str = ""
    """N103, e.g. ``92`` (assigned by buyer), ``9`` (DUNS+4), ``UL`` (GLN)."""
    id: str = ""
    """N104: the party's code in the qualifier's scheme (a store or DC number)."""
    address_lines: tuple[str, ...] = ()
    """N301, N302 (and those of further N3 segments)."""
    city: str = ""
    """N401."""
    state: str = ""
    """N402."""
    postal_code: str = ""
    """N403."""
    country: str = ""
    """N404; empty in most domestic documents."""

    @classmethod
    def from_address(
        cls, code: str, address: Address, *, id_qualifier: str = "", id: str = ""
    ) -> Party:
        """The party for one of our addresses."""
        return cls(
            code=code,
            name=address.name,
            id_qualifier=id_qualifier,
            id=id,
            address_lines=tuple(line for line in (address.line1, address.line2) if line),
            city=address.city,
            state=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )

    def address(self) -> Address | None:
        """The postal address, or None when N3 or N4 (city and postal code) is missing.

        A missing N404 is read as :data:`DEFAULT_COUNTRY`.
        """
        if not self.address_lines or not self.city or not self.postal_code:
            return None
        return Address(
            name=self.name or self.id,
            line1=self.address_lines[0],
            line2=" ".join(self.address_lines[1:]),
            city=self.city,
            region=self.state,
            postal_code=self.postal_code,
            country=self.country or DEFAULT_COUNTRY,
        )

    def segments(self) -> list[Segment]:
        """The N1 loop: N1, then N3 and N4 when the party has an address."""
        found = [segment("N1", self.code, self.name, self.id_qualifier, self.id)]
        lines = self.address_lines
        for start in range(0, len(lines), 2):
            found.append(segment("N3", *lines[start : start + 2]))
        if self.city or self.state or self.postal_code or self.country:
            found.append(segment("N4", self.city, self.state, self.postal_code, self.country))
        return found


def read_party(loop: Sequence[Segment]) -> Party:
    """The party an N1 loop describes (``loop[0]`` is the N1)."""
    n1 = loop[0]
    lines: list[str] = []
    n4: Segment | None = None
    for found in loop[1:]:
        if found.tag == "N3":
            lines.extend(value for value in found.elements[:2] if value)
        elif found.tag == "N4" and n4 is None:
            n4 = found
    return Party(
        code=n1.element(1),
        name=n1.element(2),
        id_qualifier=n1.element(3),
        id=n1.element(4),
        address_lines=tuple(lines),
        city=n4.element(1) if n4 else "",
        state=n4.element(2) if n4 else "",
        postal_code=n4.element(3) if n4 else "",
        country=n4.element(4) if n4 else "",
    )


def split_loops(segments: Sequence[Segment]) -> tuple[list[list[Segment]], list[Segment]]:
    """The N1 loops among ``segments``, and the segments outside them."""
    loops: list[list[Segment]] = []
    others: list[Segment] = []
    current: list[Segment] | None = None
    for found in segments:
        if found.tag == "N1":
            current = [found]
            loops.append(current)
        elif current is not None and found.tag in LOOP_MEMBERS:
            current.append(found)
        else:
            current = None
            others.append(found)
    return loops, others
