"""The sandbox: a runnable reference estate of external systems crossdock integrates with.

Storefront, legacy ERP, cloud ERP, WMS and customer service, each a small HTTP service with its
own SQLite database, behaviour and faults. Self-contained: imports nothing else from crossdock.
"""

from crossdock.sandbox.catalog import Catalog, seed_catalog
from crossdock.sandbox.clock import Clock, ManualClock, SystemClock
from crossdock.sandbox.cloud_erp import CloudErp, CloudErpConfig, CloudErpFaults
from crossdock.sandbox.customer_service import CustomerService, CustomerServiceConfig
from crossdock.sandbox.estate import (
    EstateClients,
    InProcessEstate,
    SandboxConfig,
    SandboxEstate,
    run_estate,
)
from crossdock.sandbox.faults import FaultConfig, OutageWindow
from crossdock.sandbox.legacy_erp import LegacyErp, LegacyErpConfig, LegacyErpFaults
from crossdock.sandbox.outbox import sign as sign_wms_event
from crossdock.sandbox.reject_rule import RejectRule
from crossdock.sandbox.retry import RetryPolicy
from crossdock.sandbox.shopify_webhook import ShopifyWebhook, shopify_signature
from crossdock.sandbox.storefront import (
    PlacedOrder,
    Storefront,
    StorefrontConfig,
    StorefrontFaults,
)
from crossdock.sandbox.wms import Wms, WmsConfig, WmsFaults

__all__ = [
    "Catalog",
    "Clock",
    "CloudErp",
    "CloudErpConfig",
    "CloudErpFaults",
    "CustomerService",
    "CustomerServiceConfig",
    "EstateClients",
    "FaultConfig",
    "InProcessEstate",
    "LegacyErp",
    "LegacyErpConfig",
    "LegacyErpFaults",
    "ManualClock",
    "OutageWindow",
    "PlacedOrder",
    "RejectRule",
    "RetryPolicy",
    "SandboxConfig",
    "SandboxEstate",
    "ShopifyWebhook",
    "Storefront",
    "StorefrontConfig",
    "StorefrontFaults",
    "SystemClock",
    "Wms",
    "WmsConfig",
    "WmsFaults",
    "run_estate",
    "seed_catalog",
    "shopify_signature",
    "sign_wms_event",
]
