"""The operations console: server-rendered pages (Jinja2, with HTMX vendored under ``static/``)
for admins at ``/console``, over the desks the operator API uses. Mount :func:`console_router`."""

from crossdock.visibility.console.routes import console_router
from crossdock.visibility.console.session import SESSION_TTL, ConsoleSessions

__all__ = ["SESSION_TTL", "ConsoleSessions", "console_router"]
