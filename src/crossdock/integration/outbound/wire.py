"""The base of every request and response shape a connector exchanges with its system."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A JSON document on the wire: frozen, and tolerant of fields we do not read.

    Systems add fields without telling us; a response shape names only what the connector needs
    (a tolerant reader). Decimals serialise as JSON strings (``model_dump(mode="json")``), which is
    how every system in the estate carries money and quantities.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
