"""``/exceptions`` and ``/replays``: the exception queue, for operators.

List and read exceptions; assign, tag and resolve them; retry one (as stored, or with its request
corrected); replay many by filter, with a dry run first that says what would be sent and what
would be skipped because it already happened. Each route parses the request, hands it to the
exception desk on a worker thread and maps the answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from crossdock.integration.access.principal import Scope
from crossdock.integration.api.auth import require
from crossdock.integration.api.deps import Exceptions
from crossdock.integration.api.operator_schemas import (
    AssignRequest,
    ExceptionFilter,
    ReplayRequest,
    ResolveRequest,
    RetryRequest,
    TagRequest,
)
from crossdock.integration.api.operator_views import (
    ExceptionList,
    ExceptionView,
    ReplayItemView,
    ReplayReportView,
)
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.orchestration.intake import InvalidDocument

_UNKNOWN: dict[int | str, dict[str, object]] = {404: problem_doc("No exception has this id")}
_SETTLED: dict[int | str, dict[str, object]] = {
    **_UNKNOWN,
    409: problem_doc("The exception was resolved"),
}


def exceptions_router() -> APIRouter:
    """The exception queue's routes, and replays by filter."""
    router = APIRouter(
        tags=["exceptions"],
        responses=API_RESPONSES,
        dependencies=[Depends(require(Scope.ADMIN))],
    )

    @router.get("/exceptions")
    async def list_exceptions(
        filters: Annotated[ExceptionFilter, Query()], desk: Exceptions
    ) -> ExceptionList:
        """Exceptions matching every filter given, most recently seen first."""
        records = await desk.run(desk.search, filters.to_query())
        return ExceptionList(items=[ExceptionView.of(r) for r in records], count=len(records))

    @router.get("/exceptions/{exception_id}", responses=_UNKNOWN)
    async def get_exception(exception_id: str, desk: Exceptions) -> ExceptionView:
        """One exception, with the request that failed."""
        return ExceptionView.of(await desk.run(desk.get, exception_id))

    @router.post("/exceptions/{exception_id}/assign", responses=_SETTLED)
    async def assign_exception(
        exception_id: str, body: AssignRequest, desk: Exceptions
    ) -> ExceptionView:
        """Give the exception to someone (an empty assignee gives it back to the queue)."""
        record = await desk.run(desk.assign, exception_id, body.assignee, by=body.by)
        return ExceptionView.of(record)

    @router.post("/exceptions/{exception_id}/tags", responses=_UNKNOWN)
    async def tag_exception(exception_id: str, body: TagRequest, desk: Exceptions) -> ExceptionView:
        """Add and remove tags (a resolved exception can still be tagged)."""
        record = await desk.run(
            desk.tag, exception_id, add=tuple(body.add), remove=tuple(body.remove), by=body.by
        )
        return ExceptionView.of(record)

    @router.post("/exceptions/{exception_id}/resolve", responses=_SETTLED)
    async def resolve_exception(
        exception_id: str, body: ResolveRequest, desk: Exceptions
    ) -> ExceptionView:
        """Close the exception: someone dealt with it. Nothing is sent."""
        record = await desk.run(desk.resolve, exception_id, by=body.by, note=body.note)
        return ExceptionView.of(record)

    @router.post(
        "/exceptions/{exception_id}/retry",
        responses={
            **_SETTLED,
            422: problem_doc(
                "The corrected request is invalid, or changes its operation, "
                "system, order or idempotency key; each field is named (`request.…`)"
            ),
        },
    )
    async def retry_exception(
        exception_id: str, body: RetryRequest, desk: Exceptions
    ) -> ReplayItemView:
        """Send the exception's delivery again, with ``request`` when it was corrected.

        A delivery that already succeeded, is queued again, or whose result is already bound (the
        ERP's sales order number is known) is skipped, and the answer says why. A failing step is
        applied again after its order's quarantine is released.
        """
        try:
            item = await desk.run(
                desk.retry, exception_id, by=body.by, request=body.request, dry_run=body.dry_run
            )
        except InvalidDocument as exc:
            raise ApiProblem(
                422,
                "the corrected request cannot be sent",
                slug="invalid-request",
                errors=exc.problems,
            ) from exc
        return ReplayItemView.of(item)

    @router.post("/replays")
    async def replay_exceptions(body: ReplayRequest, desk: Exceptions) -> ReplayReportView:
        """Replay every unsettled exception the filter matches, each in its own transaction.

        ``dry_run`` (the default) changes nothing and says, for each exception, whether it would
        be sent or skipped and why.
        """
        report = await desk.run(desk.replay, body.to_query(), by=body.by, dry_run=body.dry_run)
        return ReplayReportView.of(report)

    return router
