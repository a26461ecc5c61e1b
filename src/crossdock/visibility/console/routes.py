"""The operations console at ``/console``: server-rendered pages for admins, over the same desks
the operator API uses.

:func:`console_router` builds every route: login and logout, the overview (KPIs and charts:
:mod:`.kpi_charts`), orders (filters and pages: :mod:`.order_filters`; search by any number; an
order's page with its timeline as swimlanes and its place in the lifecycle), and, from
:mod:`.operations`, exceptions, replays, systems and partners. Every page needs a console session
(:mod:`.session`); every action carries the session's CSRF token and is audited.
"""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from crossdock.core.order import OrderStatus
from crossdock.integration.access.store import AccessStore
from crossdock.orchestration.clock import Clock
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import OrderDesk, UnknownOrder
from crossdock.orchestration.store import OrderRow
from crossdock.orchestration.store_ops import UNSETTLED, ExceptionQuery
from crossdock.orchestration.system_desk import SystemsDesk
from crossdock.visibility.console.kpi_charts import cycle_chart, exceptions_chart, hourly_chart
from crossdock.visibility.console.operations import operations_routes
from crossdock.visibility.console.order_filters import PAGE_SIZE, OrderFilters
from crossdock.visibility.console.order_view import Swimlanes, lifecycle
from crossdock.visibility.console.partners import partner_routes
from crossdock.visibility.console.session import COOKIE, ConsoleSessions, LoginRefused
from crossdock.visibility.console.systems import system_routes
from crossdock.visibility.console.views import PREFIX, ConsoleViews
from crossdock.visibility.kpi_report import KpiReport
from crossdock.visibility.kpis import Kpis
from crossdock.visibility.search import search_orders

KPI_WINDOW = timedelta(hours=24)
"""The window of the overview's KPIs: the last 24 hours."""

_HTMX = files("crossdock.visibility.console").joinpath("static", "htmx.min.js")


def console_router(
    *,
    desk: OrderDesk,
    access: AccessStore,
    exceptions: ExceptionDesk,
    systems: SystemsDesk,
    secret: bytes | None = None,
    secure_cookie: bool = False,
    clock: Clock | None = None,
    kpis: Kpis | None = None,
) -> APIRouter:
    """The console's routes, to mount as they are (they carry the ``/console`` prefix).

    ``secret`` signs session cookies (random per process when None: sessions then end with the
    process and are not shared by several); ``secure_cookie`` marks the cookie ``Secure`` (set it
    when the console is served over HTTPS). Time is the access store's clock unless ``clock``.
    With ``kpis`` the overview also shows the business KPIs of the last 24 hours.
    """
    views = ConsoleViews(
        desk=desk,
        access=access,
        exceptions=exceptions,
        systems=systems,
        sessions=ConsoleSessions(access, clock or access.clock, secret),
        secure_cookie=secure_cookie,
    )
    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/static/htmx.min.js")
    async def htmx() -> Response:
        return Response(
            _HTMX.read_bytes(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # ------------------------------------------------------------------ login

    @router.get("/login")
    async def login_form(next: str = "") -> Response:
        return views.page("login.html", None, next=_local(next), error="")

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await views.form(request)
        target = _local(form.get("next"))
        remote = request.client.host if request.client else ""
        try:
            cookie = await views.call(views.sessions.login, form.get("key"), remote=remote)
        except LoginRefused as refusal:
            await views.audit(
                request, None, "console.login", outcome="refused", reason=str(refusal)
            )
            return views.page(
                "login.html",
                None,
                status_code=401,
                next=target,
                error="That key was not accepted: it must be a valid key carrying the admin scope.",
            )
        operator = views.sessions.operator(cookie)
        await views.audit(request, operator, "console.login")
        response = RedirectResponse(target, status_code=303)
        views.set_session(response, cookie)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        await views.audit(request, checked[0], "console.logout")
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    # ------------------------------------------------------------------ overview

    @router.get("")
    async def overview(request: Request) -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        by_status = await desk.run(_count_by_status, desk)
        counts = await exceptions.run(exceptions.counts)
        statuses = await systems.run(systems.status)
        open_exceptions = sum(c.get(s, 0) for c in counts.values() for s in UNSETTLED)
        report = await views.call(_last_day, kpis) if kpis else None
        return views.page(
            "overview.html",
            operator,
            by_status=[(s.value, by_status.get(s.value, 0)) for s in OrderStatus],
            orders=sum(by_status.values()),
            open_exceptions=open_exceptions,
            systems=statuses,
            report=report,
            cycle_chart=cycle_chart(report) if report else None,
            hourly_chart=hourly_chart(report) if report else None,
            exceptions_chart=exceptions_chart(report) if report else None,
        )

    # ------------------------------------------------------------------ orders

    @router.get("/orders")
    async def orders(
        request: Request,
        q: Annotated[str, Query(max_length=200)] = "",
        status: str = "",
        channel: Annotated[str, Query(max_length=64)] = "",
        customer: Annotated[str, Query(max_length=64)] = "",
        received_from: Annotated[str, Query(max_length=32)] = "",
        received_to: Annotated[str, Query(max_length=32)] = "",
        after: Annotated[str, Query(max_length=64)] = "",
    ) -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        filters, problems = OrderFilters.parse(
            status=status,
            channel=channel,
            customer=customer,
            received_from=received_from,
            received_to=received_to,
        )
        text, next_page = q.strip(), ""
        if text:
            rows = await desk.run(_find_orders, desk, text, filters)
        else:
            page = await desk.run(desk.search, filters.query(after=after, limit=PAGE_SIZE + 1))
            rows = [(row, "") for row in page[:PAGE_SIZE]]
            if len(page) > PAGE_SIZE:
                next_page = filters.link(after=rows[-1][0].order_id)
        return views.page(
            "orders.html",
            operator,
            rows=rows,
            q=q,
            filters=filters.fields(),
            problems=problems,
            next_page=next_page,
            first_page=filters.link() if after and not text else "",
            page_size=PAGE_SIZE,
            statuses=[s.value for s in OrderStatus],
        )

    @router.get("/orders/{order_id}")
    async def order(request: Request, order_id: str) -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        try:
            row = await desk.run(desk.get, order_id)
        except UnknownOrder:
            return views.page(
                "error.html",
                operator,
                status_code=404,
                title="No such order",
                message=f"No order has the id {order_id!r}.",
            )
        timeline = await desk.run(desk.timeline, order_id)
        deliveries = await desk.run(desk.deliveries, order_id)
        its_exceptions = await exceptions.run(exceptions.search, ExceptionQuery(order_id=order_id))
        return views.page(
            "order.html",
            operator,
            row=row,
            swimlanes=Swimlanes.of(timeline),
            states=lifecycle(row.status, row.state.held_from if row.state else None),
            deliveries=deliveries,
            exceptions=its_exceptions,
        )

    operations_routes(router, views)
    system_routes(router, views)
    partner_routes(router, views)
    return router


def _local(target: str) -> str:
    """Where to go after login: a console path only (never another site)."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


def _last_day(kpis: Kpis) -> KpiReport:
    return kpis.recent(KPI_WINDOW)


def _count_by_status(desk: OrderDesk) -> dict[str, int]:
    with desk.store.unit_of_work(write=False) as uow:
        return uow.orders.count_by_status()


def _find_orders(desk: OrderDesk, q: str, filters: OrderFilters) -> list[tuple[OrderRow, str]]:
    """Orders any of whose numbers is ``q`` (ours, the channel's, the PO, or one a system gave
    it: :mod:`crossdock.visibility.search`) and that pass ``filters``, each with what matched."""
    matched: dict[str, list[str]] = {}
    for match in search_orders(desk.store, q, None):
        label = f"{match.system} {match.matched_on}" if match.system else match.matched_on
        matched.setdefault(match.order_id, []).append(label.replace("_", " "))
    rows = [(desk.get(order_id), ", ".join(labels)) for order_id, labels in matched.items()]
    return [(row, why) for row, why in rows if filters.admits(row)]
