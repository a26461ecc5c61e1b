"""What the middlewares read of a request after the app answered it: the route's template, and
the response's status. The audit log, the HTTP metrics and the traces all name requests this way."""

from __future__ import annotations

from starlette.types import Message, Scope, Send


def route_template(scope: Scope) -> str | None:
    """The full template of the route that answered (``/api/v1/partners/{partner_id}/keys``),
    or None when no route matched.

    The matched route knows its template relative to the router it was declared on; the prefix
    it was included under is what the concrete path has before the part the route matched.
    """
    template = getattr(scope.get("route"), "path_format", None)
    if not isinstance(template, str):
        return None
    path = str(scope.get("path", ""))
    try:
        matched = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    if not path.endswith(matched):
        return template
    return path[: len(path) - len(matched)] + template


class StatusWatch:
    """A ``send`` that passes every message on and remembers the response's status (500 until a
    response starts: an app that raised answered nothing)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)
