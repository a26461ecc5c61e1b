"""``/kpis``: the business KPIs of a window, for operators (admin scope).

``since`` and ``until`` bound the window ``[since, until)``; ``until`` defaults to now and ``since``
to a day before ``until``. Exceptions and systems are reported as they stand now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crossdock.integration.access.principal import Scope
from crossdock.integration.api.app import API_PREFIX
from crossdock.integration.api.auth import require
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.visibility.kpi_report import KpiReport
from crossdock.visibility.kpis import Kpis

DEFAULT_WINDOW = timedelta(days=1)
"""The window when the request names no ``since``."""

_BAD_WINDOW: dict[int | str, dict[str, object]] = {
    422: problem_doc("The window is empty or reversed (since is not before until)")
}


def kpis_router(kpis: Kpis, api_prefix: str = API_PREFIX) -> APIRouter:
    """The KPI routes over ``kpis``, under ``api_prefix`` (mounted as they are by the app)."""
    router = APIRouter(
        prefix=f"{api_prefix}/kpis",
        tags=["kpis"],
        responses=API_RESPONSES,
        dependencies=[Depends(require(Scope.ADMIN))],
    )

    @router.get("", responses=_BAD_WINDOW)
    async def get_kpis(
        since: Annotated[datetime | None, Query(description="Window start (inclusive)")] = None,
        until: Annotated[datetime | None, Query(description="Window end (exclusive)")] = None,
    ) -> KpiReport:
        """Cycle times, exceptions by type and system, stock latency, invoice sync, throughput,
        and each system's breaker and backlog."""
        end = until or kpis.clock.now()
        start = since or end - DEFAULT_WINDOW
        if start.tzinfo is None or end.tzinfo is None:
            raise ApiProblem(422, "since and until need a time zone (an offset or Z)")
        if start >= end:
            raise ApiProblem(422, f"since ({start.isoformat()}) is not before until")
        return await kpis.store.run(kpis.report, start, end)

    return router
