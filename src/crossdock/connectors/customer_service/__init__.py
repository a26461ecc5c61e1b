"""Customer service: a system of engagement told where each order stands."""

from crossdock.connectors.customer_service.gateway import CustomerServiceGateway, build
from crossdock.connectors.customer_service.settings import CustomerServiceSettings

__all__ = ["CustomerServiceGateway", "CustomerServiceSettings", "build"]
