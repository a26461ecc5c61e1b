"""crossdock: an integration and orchestration hub for distributors."""

__version__ = "0.1.0"
