"""The console's systems page: each system's breaker, pause, backlog and failures, and pausing and
resuming it through the :class:`~crossdock.orchestration.system_desk.SystemsDesk` the operator
API uses (audited as ``console.system.pause|resume``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossdock.orchestration.system_desk import UnknownSystem
from crossdock.visibility.console.views import ConsoleViews

FLASHES = {
    "paused": "Paused: its deliveries wait in its queue.",
    "resumed": "Resumed: its backlog drains in order.",
}
"""What the page says after an action (the action's redirect names one by key)."""


def system_routes(router: APIRouter, views: ConsoleViews) -> None:
    """Add the systems page and its pause and resume actions to the console's ``router``."""
    systems = views.systems

    @router.get("/systems")
    async def systems_page(request: Request, flash: str = "") -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        statuses = await systems.run(systems.status)
        return views.page("systems.html", operator, systems=statuses, flash=FLASHES.get(flash, ""))

    @router.post("/systems/{name}/{verb}")
    async def system_action(request: Request, name: str, verb: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        try:
            if verb == "pause":
                reason = form.get("reason")
                await systems.run(systems.pause, name, by=operator.name, reason=reason)
            elif verb == "resume":
                await systems.run(systems.resume, name, by=operator.name)
            else:
                return views.page(
                    "error.html", operator, status_code=404, title="No such action", message=verb
                )
        except UnknownSystem as unknown:
            return views.page(
                "error.html",
                operator,
                status_code=404,
                title="No such system",
                message=str(unknown),
            )
        await views.audit(request, operator, f"console.system.{verb}", system=name)
        return views.go(request, "/systems", flash=f"{verb}d")
