"""The Shopify storefront: signed ``orders/create`` webhooks become canonical orders."""

from crossdock.channels.storefront.routes import storefront_router

__all__ = ["storefront_router"]
