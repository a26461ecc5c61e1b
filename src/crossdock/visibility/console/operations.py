"""The console's operator pages: the exception queue (paged and filtered; triage, retry with an
edited request, resolve, bulk actions on the ticked exceptions, replay by filter with a dry run)
and the systems (pause, resume).

Every action goes through the desk the operator API uses and writes one audit entry
(``console.<what>``), refused actions included.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossdock.core.errors import BusinessRuleViolation
from crossdock.orchestration.exception_desk import ReplayReport, UnknownException
from crossdock.orchestration.intake import InvalidDocument
from crossdock.orchestration.store_ops import EXCEPTION_STATUSES, ExceptionRecord
from crossdock.orchestration.system_desk import UnknownSystem
from crossdock.visibility.console.bulk import (
    BULK_CAP,
    BulkAction,
    BulkRefused,
    BulkReport,
    carry_out,
)
from crossdock.visibility.console.exception_queue import exception_filter, queue_page
from crossdock.visibility.console.session import Operator
from crossdock.visibility.console.views import ConsoleViews, Form

FLASHES = {
    "retried": "Sent again: the delivery is queued and the exception is marked replayed.",
    "skipped": "Nothing was sent: the delivery already succeeded or is queued again.",
    "resolved": "Resolved.",
    "assigned": "Assignment saved.",
    "tagged": "Tags saved.",
    "paused": "Paused: its deliveries wait in its queue.",
    "resumed": "Resumed: its backlog drains in order.",
}
"""What the page says after an action (the action's redirect names one by key)."""


def operations_routes(router: APIRouter, views: ConsoleViews) -> None:
    """Add the exception, replay and system routes to the console's ``router``."""
    exceptions, systems = views.exceptions, views.systems

    async def queue(
        request: Request,
        operator: Operator,
        *,
        report: ReplayReport | None = None,
        bulk: BulkReport | None = None,
        error: str = "",
    ) -> Response:
        """The queue at the filters and page of the request's query string, with what an action
        on it did (or why it was refused)."""
        source = dict(request.query_params)
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
            bulk=bulk,
            bulk_cap=BULK_CAP,
            error=error,
        )

    @router.get("/exceptions")
    async def exception_queue(request: Request) -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        return await queue(request, operator)

    @router.post("/exceptions/bulk")
    async def exception_bulk(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, _ = checked
        # Every value of each field: the ticked ids share one name (``Form`` keeps the first).
        body = (await request.body()).decode("utf-8", "replace")
        fields = parse_qs(body, keep_blank_values=True)
        try:
            action = BulkAction.from_form(fields)
        except BulkRefused as refused:
            await views.audit(
                request,
                operator,
                "console.exceptions.bulk",
                outcome="refused",
                verb=next(iter(fields.get("verb", ())), ""),
                error=str(refused),
            )
            return await queue(request, operator, error=str(refused))
        report = await carry_out(exceptions, action, by=operator.name)
        await views.audit(request, operator, "console.exceptions.bulk", **report.audit())
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
            )
            record = await exceptions.run(exceptions.get, exception_id)
            return _exception_page(
                views, operator, record, error=_explain(refused), request_text=form.get("request")
            )
        await views.audit(request, operator, f"console.exception.{verb}", **detail)
        return views.go(request, f"/exceptions/{exception_id}", flash=flash)

    @router.post("/replays")
    async def replay(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        query = exception_filter(form.fields)
        dry_run = form.checked("dry_run")
        report = await exceptions.run(exceptions.replay, query, by=operator.name, dry_run=dry_run)
        await views.audit(
            request,
            operator,
            "console.replay",
            dry_run=dry_run,
            filter={k: v for k, v in form.fields.items() if k != "csrf" and v},
            sent=report.to_send,
            skipped=report.skipped,
        )
        return await queue(request, operator, report=report)

    # ------------------------------------------------------------------ systems

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


async def _act(
    views: ConsoleViews, operator: Operator, exception_id: str, verb: str, form: Form
) -> tuple[str, dict[str, Any]]:
    """Carry out one action on an exception; the flash to show and the audit's detail."""
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
        await desk.run(desk.resolve, exception_id, by=by, note=form.get("note"))
        return "resolved", {"note": form.get("note")}
    if verb == "assign":
        await desk.run(desk.assign, exception_id, form.get("assignee"), by=by)
        return "assigned", {"assignee": form.get("assignee")}
    if verb == "tag":
        add = tuple(t for t in form.get("add").replace(",", " ").split() if t)
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
