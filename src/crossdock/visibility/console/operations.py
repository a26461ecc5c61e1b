"""The console's exception pages: the queue (paged and filtered; triage, retry with an edited
request, resolve, bulk actions on the ticked exceptions, replay by filter with a dry run).

Every action goes through the desk the operator API uses and writes one audit entry
(``console.<what>``), refused actions included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from crossdock.core.errors import BusinessRuleViolation
from crossdock.orchestration.exception_desk import ReplayReport, UnknownException
from crossdock.orchestration.intake import InvalidDocument
from crossdock.orchestration.store_ops import EXCEPTION_STATUSES, ExceptionRecord
from crossdock.visibility.console.bulk import (
    ASSIGNEE_LENGTH,
    BULK_CAP,
    BULK_FIELDS,
    BulkAction,
    BulkRefused,
    BulkReport,
    FieldRefused,
    carry_out,
    storable,
)
from crossdock.visibility.console.exception_queue import (
    FILTERS,
    REPLAY_CAP,
    ReplayScope,
    queue_page,
    replay_scope,
)
from crossdock.visibility.console.session import Operator
from crossdock.visibility.console.views import PREFIX, ConsoleViews, Form

FLASHES = {
    "retried": "Sent again: the delivery is queued and the exception is marked replayed.",
    "skipped": "Nothing was sent: the delivery already succeeded or is queued again.",
    "resolved": "Resolved.",
    "assigned": "Assignment saved.",
    "tagged": "Tags saved.",
}
"""What the page says after an action (the action's redirect names one by key)."""


def operations_routes(router: APIRouter, views: ConsoleViews) -> None:
    """Add the exception and replay routes to the console's ``router``."""
    exceptions, systems = views.exceptions, views.systems

    async def queue(
        request: Request,
        operator: Operator,
        *,
        source: Mapping[str, str] | None = None,
        report: ReplayReport | None = None,
        scope: ReplayScope | None = None,
        bulk: BulkReport | None = None,
        error: str = "",
    ) -> Response:
        """The queue at the filters and page of ``source`` (by default the request's query
        string), with what an action on it did (or why it was refused)."""
        source = dict(request.query_params if source is None else source)
        page = await exceptions.run(queue_page, exceptions, source)
        return views.page(
            "exceptions.html",
            operator,
            status_code=422 if error else 200,
            page=page,
            records=page.records,
            filters=source,
            statuses=EXCEPTION_STATUSES,
            systems=systems.systems,
            report=report,
            replay_scope=scope,
            replay_cap=REPLAY_CAP,
            bulk=bulk,
            bulk_cap=BULK_CAP,
            assignee_length=ASSIGNEE_LENGTH,
            error=error,
        )

    @router.get("/exceptions")
    async def exception_queue(request: Request) -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        return await queue(request, operator)

    @router.get("/exceptions/bulk")
    async def exception_bulk_reloaded(request: Request) -> Response:
        """The address a bulk's answer shows, opened again: the queue it was sent from."""
        return _to_queue(request)

    @router.post("/exceptions/bulk")
    async def exception_bulk(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        try:
            if form.size > BULK_FIELDS:
                raise BulkRefused(
                    f"The bulk form carries more than {BULK_FIELDS} fields (at most {BULK_CAP} "
                    "exceptions): nothing was done. Tick fewer, or replay by filter."
                )
            action = BulkAction.from_form(form.values)
        except BulkRefused as refused:
            await views.audit(
                request,
                operator,
                "console.exceptions.bulk",
                outcome="refused",
                verb=form.get("verb"),
                error=str(refused),
                **({"field": refused.field} if refused.field else {}),
            )
            return await queue(request, operator, error=str(refused))

        async def record(report: BulkReport) -> None:
            outcome = "failed" if report.stopped else "ok"
            await views.audit(
                request, operator, "console.exceptions.bulk", outcome=outcome, **report.audit()
            )

        report = await carry_out(exceptions, action, by=operator.name, record=record)
        return await queue(request, operator, bulk=report)

    @router.get("/exceptions/{exception_id}")
    async def exception_page(request: Request, exception_id: str, flash: str = "") -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        try:
            record = await exceptions.run(exceptions.get, exception_id)
        except UnknownException:
            return _missing(views, operator, exception_id)
        return _exception_page(views, operator, record, flash=FLASHES.get(flash, ""))

    @router.post("/exceptions/{exception_id}/{verb}")
    async def exception_action(request: Request, exception_id: str, verb: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        try:
            flash, detail = await _act(views, operator, exception_id, verb, form)
        except UnknownException:
            return _missing(views, operator, exception_id)
        except (InvalidDocument, BusinessRuleViolation, ValueError) as refused:
            await views.audit(
                request,
                operator,
                f"console.exception.{verb}",
                outcome="refused",
                error=str(refused),
                **({"field": refused.field} if isinstance(refused, FieldRefused) else {}),
            )
            record = await exceptions.run(exceptions.get, exception_id)
            return _exception_page(
                views, operator, record, error=_explain(refused), request_text=form.get("request")
            )
        await views.audit(request, operator, f"console.exception.{verb}", **detail)
        return views.go(request, f"/exceptions/{exception_id}", flash=flash)

    @router.get("/replays")
    async def replay_reloaded(request: Request) -> Response:
        """The address a replay's answer shows without script, opened again: the queue."""
        return _to_queue(request)

    @router.post("/replays")
    async def replay(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        filters = {name: form.get(name) for name in FILTERS if form.get(name)}
        dry_run = form.checked("dry_run")
        scope = await exceptions.run(replay_scope, exceptions, filters)
        report = (
            await exceptions.run(exceptions.replay, scope.query, by=operator.name, dry_run=dry_run)
            if scope.query is not None
            else ReplayReport(dry_run=dry_run, items=())
        )
        capped: dict[str, Any] = (
            {"capped_at": REPLAY_CAP, "matching": scope.matching} if scope.more else {}
        )
        await views.audit(
            request,
            operator,
            "console.replay",
            dry_run=dry_run,
            filter=filters,
            sent=report.to_send,
            skipped=report.skipped,
            **capped,
        )
        # The answer is the queue at the replay's filters, and says so: a boosted form would
        # otherwise leave /console/replays in the address bar, which a reload cannot GET.
        response = await queue(request, operator, source=filters, report=report, scope=scope)
        response.headers["HX-Push-Url"] = _queue_url(filters)
        return response


def _queue_url(filters: Mapping[str, str]) -> str:
    """The queue at ``filters`` (only the queue's own: status, system, order, …)."""
    kept = {name: filters[name] for name in FILTERS if filters.get(name)}
    return f"{PREFIX}/exceptions" + (f"?{urlencode(kept)}" if kept else "")


def _to_queue(request: Request) -> Response:
    """To the queue at the filters and page of the request's query string."""
    page = request.query_params.get("page", "")
    target = _queue_url(request.query_params)
    if page:
        target += ("&" if "?" in target else "?") + urlencode({"page": page})
    return RedirectResponse(target, status_code=303)


async def _act(
    views: ConsoleViews, operator: Operator, exception_id: str, verb: str, form: Form
) -> tuple[str, dict[str, Any]]:
    """Carry out one action on an exception; the flash to show and the audit's detail. What the
    operator typed is checked first (:func:`storable`): a value the database would refuse is a
    :class:`FieldRefused` naming the field, not a failed transaction."""
    desk, by = views.exceptions, operator.name
    if verb == "retry":
        request = await _corrected_request(views, exception_id, form.get("request"))
        item = await desk.run(desk.retry, exception_id, by=by, request=request)
        return ("retried" if item.action == "send" else "skipped"), {
            "result": item.action,
            "reason": item.reason,
            "corrected": request is not None,
        }
    if verb == "resolve":
        note = storable("note", form.get("note"))
        await desk.run(desk.resolve, exception_id, by=by, note=note)
        return "resolved", {"note": note}
    if verb == "assign":
        assignee = storable("assignee", form.get("assignee"), limit=ASSIGNEE_LENGTH)
        await desk.run(desk.assign, exception_id, assignee, by=by)
        return "assigned", {"assignee": assignee}
    if verb == "tag":
        add = tuple(storable("tags", t) for t in form.get("add").replace(",", " ").split())
        remove = tuple(t for t in form.get("remove").replace(",", " ").split() if t)
        await desk.run(desk.tag, exception_id, add=add, remove=remove, by=by)
        return "tagged", {"add": add, "remove": remove}
    raise ValueError(f"the console has no action {verb!r} on exceptions")


async def _corrected_request(
    views: ConsoleViews, exception_id: str, text: str
) -> dict[str, Any] | None:
    """The edited request, or None when the operator left it as stored (or empty)."""
    if not text:
        return None
    try:
        edited = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the edited request is not valid JSON: {exc}") from None
    if not isinstance(edited, dict):
        raise ValueError("the edited request must be a JSON object")
    stored = await views.exceptions.run(views.exceptions.get, exception_id)
    return None if edited == stored.request else edited


def _explain(refused: Exception) -> str:
    if isinstance(refused, InvalidDocument):
        return "The corrected request cannot be sent: " + "; ".join(
            f"{p.field}: {p.message}" for p in refused.problems
        )
    return str(refused)


def _exception_page(
    views: ConsoleViews,
    operator: Operator,
    record: ExceptionRecord,
    *,
    flash: str = "",
    error: str = "",
    request_text: str = "",
) -> Response:
    return views.page(
        "exception.html",
        operator,
        status_code=422 if error else 200,
        record=record,
        request_text=request_text or json.dumps(record.request, indent=2, sort_keys=True),
        flash=flash,
        error=error,
    )


def _missing(views: ConsoleViews, operator: Operator, exception_id: str) -> Response:
    return views.page(
        "error.html",
        operator,
        status_code=404,
        title="No such exception",
        message=f"No exception has the id {exception_id!r}.",
    )
