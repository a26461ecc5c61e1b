"""Settings of a customer service system in the estate."""

from __future__ import annotations

from crossdock.integration.outbound import HttpEndpoint


class CustomerServiceSettings(HttpEndpoint):
    """Where customer service lives and what the estate calls it (see :class:`HttpEndpoint`)."""

    name: str = "customer_service"
    """The system's name in the estate file; commands for it carry this name."""
