"""The legacy ERP: sales orders, invoices and master data, with no idempotency support."""

from crossdock.connectors.legacy_erp.gateway import LegacyErpGateway, build
from crossdock.connectors.legacy_erp.settings import LegacyErpSettings

__all__ = ["LegacyErpGateway", "LegacyErpSettings", "build"]
