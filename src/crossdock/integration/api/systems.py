"""``/systems``: each external system's breaker, pause and backlog; pausing and resuming it.

A paused system's deliveries wait in its queue; on resume they drain in order. The pause is shared
by every worker through the store.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from crossdock.integration.access.principal import Scope
from crossdock.integration.api.auth import require
from crossdock.integration.api.deps import Systems
from crossdock.integration.api.operator_schemas import PauseRequest, ResumeRequest
from crossdock.integration.api.operator_views import SystemStatusView
from crossdock.integration.api.problems import API_RESPONSES, problem_doc

_UNKNOWN: dict[int | str, dict[str, object]] = {
    404: problem_doc("The estate has no system of this name")
}


def systems_router() -> APIRouter:
    """The systems routes."""
    router = APIRouter(
        prefix="/systems",
        tags=["systems"],
        responses=API_RESPONSES,
        dependencies=[Depends(require(Scope.ADMIN))],
    )

    @router.get("")
    async def list_systems(desk: Systems) -> list[SystemStatusView]:
        """Every system of the estate, by name."""
        return [SystemStatusView.of(status) for status in await desk.run(desk.status)]

    @router.get("/{name}", responses=_UNKNOWN)
    async def get_system(name: str, desk: Systems) -> SystemStatusView:
        """One system's breaker, pause, backlog and open exceptions."""
        return SystemStatusView.of(await desk.run(desk.get, name))

    @router.post("/{name}/pause", responses=_UNKNOWN)
    async def pause_system(name: str, body: PauseRequest, desk: Systems) -> SystemStatusView:
        """Stop sending to the system; its deliveries wait in its queue (nothing fails)."""
        return SystemStatusView.of(await desk.run(desk.pause, name, by=body.by, reason=body.reason))

    @router.post("/{name}/resume", responses=_UNKNOWN)
    async def resume_system(
        name: str, desk: Systems, body: ResumeRequest | None = None
    ) -> SystemStatusView:
        """Send to the system again; its backlog drains in order. The body is optional."""
        by = (body or ResumeRequest()).by
        return SystemStatusView.of(await desk.run(desk.resume, name, by=by))

    return router
