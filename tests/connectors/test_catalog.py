"""The connector catalog the composition root builds gateways from."""

from __future__ import annotations

import httpx
import pytest

from crossdock.connectors.catalog import CONNECTORS, build_gateway
from crossdock.core.errors import ConfigurationError
from crossdock.orchestration.gateways import InventorySource, MasterDataSource, SystemGateway


def test_the_catalog_names_the_four_connectors_of_the_sandbox_estate() -> None:
    assert set(CONNECTORS) == {"legacy_erp", "cloud_erp", "wms", "customer_service"}


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
async def test_every_connector_builds_a_gateway_that_owns_its_client_when_none_is_given(
    connector: str,
) -> None:
    gateway = build_gateway(connector, f"my_{connector}", {"base_url": "http://x.test"})
    assert isinstance(gateway, SystemGateway)
    assert gateway.system == f"my_{connector}"
    await gateway.aclose()


async def test_the_read_ports_are_found_on_the_systems_of_record_and_execution() -> None:
    async with httpx.AsyncClient() as http:
        erp = build_gateway("legacy_erp", "erp", {"base_url": "http://x.test"}, http)
        wms = build_gateway("wms", "wms", {"base_url": "http://x.test"}, http)
        cloud = build_gateway("cloud_erp", "cloud", {"base_url": "http://x.test"}, http)
    assert isinstance(erp, MasterDataSource)
    assert isinstance(wms, InventorySource)
    assert not isinstance(cloud, MasterDataSource | InventorySource)


def test_an_unknown_connector_fails_at_start_naming_the_key() -> None:
    with pytest.raises(ConfigurationError, match="known: cloud_erp") as raised:
        build_gateway("sap", "east_erp", {"base_url": "http://x.test"})
    assert raised.value.key == "systems.east_erp.connector"


def test_a_wrong_setting_fails_at_start_naming_the_key() -> None:
    with pytest.raises(ConfigurationError) as raised:
        build_gateway("wms", "dc_east", {"base_url": "http://x.test", "timeout": "soon"})
    assert raised.value.key == "systems.dc_east.timeout"
