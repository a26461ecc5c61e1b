"""Settings of a warehouse system in the estate."""

from __future__ import annotations

from crossdock.integration.outbound import HttpEndpoint


class WmsSettings(HttpEndpoint):
    """Where the WMS lives and what the estate calls it (see :class:`HttpEndpoint`)."""

    name: str = "wms"
    """The system's name in the estate file; commands for it carry this name."""
