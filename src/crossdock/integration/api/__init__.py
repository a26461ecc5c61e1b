"""The partner REST API: the app factory, problem details and the order routes."""

from crossdock.integration.api.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
