"""Settings of a cloud ERP system in the estate."""

from __future__ import annotations

from crossdock.integration.outbound import HttpEndpoint


class CloudErpSettings(HttpEndpoint):
    """Where the cloud ERP lives and what the estate calls it (see :class:`HttpEndpoint`)."""

    name: str = "cloud_erp"
    """The system's name in the estate file; commands for it carry this name."""
