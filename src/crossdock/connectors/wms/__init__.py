"""The warehouse (WMS): fulfilment requests and stock on hand."""

from crossdock.connectors.wms.gateway import WmsGateway, build
from crossdock.connectors.wms.settings import WmsSettings

__all__ = ["WmsGateway", "WmsSettings", "build"]
