"""Settings of a legacy ERP system in the estate."""

from __future__ import annotations

from crossdock.integration.outbound import HttpEndpoint


class LegacyErpSettings(HttpEndpoint):
    """Where the legacy ERP lives and what the estate calls it (see :class:`HttpEndpoint`)."""

    name: str = "legacy_erp"
    """The system's name in the estate file; commands for it carry this name."""
