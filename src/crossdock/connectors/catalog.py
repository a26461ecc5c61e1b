"""Every connector crossdock ships, by the type name the estate file gives it.

The composition root builds each system's gateway from its entry in the estate file::

    gateway = CONNECTORS[entry.connector](entry.name, entry.settings, http=None)

``settings`` is the system's settings block (``base_url``, ``timeout``, ``headers``, ``token``);
an unknown or wrong key raises :class:`~crossdock.core.errors.ConfigurationError` naming it.
``http`` is an ``httpx.AsyncClient`` to send through (a test's ``MockTransport``, a benchmark's
``ASGITransport``) or None for the gateway to build and own its own.

Gateways of systems of record and of execution also implement the read ports: check with
``isinstance(gateway, MasterDataSource)`` (``legacy_erp``) or ``InventorySource`` (``wms``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from crossdock.connectors import cloud_erp, customer_service, legacy_erp, wms
from crossdock.core.errors import ConfigurationError
from crossdock.orchestration.gateways import SystemGateway

GatewayFactory = Callable[[str, Mapping[str, Any], httpx.AsyncClient | None], SystemGateway]
"""``(system name, settings block, http client or None) -> gateway``."""

CONNECTORS: Mapping[str, GatewayFactory] = {
    "legacy_erp": legacy_erp.build,
    "cloud_erp": cloud_erp.build,
    "wms": wms.build,
    "customer_service": customer_service.build,
}


def build_gateway(
    connector: str,
    name: str,
    settings: Mapping[str, Any],
    http: httpx.AsyncClient | None = None,
) -> SystemGateway:
    """The gateway of connector type ``connector`` for the system called ``name``."""
    factory = CONNECTORS.get(connector)
    if factory is None:
        raise ConfigurationError(
            f"systems.{name}.connector",
            f"unknown connector {connector!r}; known: {', '.join(sorted(CONNECTORS))}",
        )
    return factory(name, settings, http)
