"""The cloud ERP: sales orders and invoices, with ``Idempotency-Key`` on every create."""

from crossdock.connectors.cloud_erp.gateway import CloudErpGateway, build
from crossdock.connectors.cloud_erp.settings import CloudErpSettings

__all__ = ["CloudErpGateway", "CloudErpSettings", "build"]
