"""What every console route shares: the desks it reads and acts through, the templates, the login
check, the CSRF check and the audit entry each action writes.

Forms are plain ``application/x-www-form-urlencoded`` posts, parsed here (the console needs no
multipart parser), at most :data:`FORM_FIELDS` fields each: a post with more is refused unread.
A page answers with the whole document; HTMX (``hx-boost``) swaps its body in place, and after
an action the console answers a boosted request with ``HX-Location`` and a plain one with a 303,
so both land on the page the action leads to (post, redirect, get).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode

import anyio.to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from crossdock.integration.access.store import AccessStore
from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.system_desk import SystemsDesk
from crossdock.visibility.console.session import COOKIE, SESSION_TTL, ConsoleSessions, Operator

log = logging.getLogger("crossdock.console")

PREFIX = "/console"
"""Where the console is mounted."""
AUDIT_REMOTE = "console"
"""The ``remote`` of the audit entries the console writes (the client address is in detail)."""

FORM_FIELDS = 1000
"""The most fields a console form may carry: the bulk bar (two per exception on a ticked page,
200 at most) sends the most. A post with more is refused before any of it is read."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Form:
    """A posted form's fields (the first value of each)."""

    fields: dict[str, str]
    values: dict[str, list[str]] = field(default_factory=dict)
    """Every value of each field, in the order posted (ticked checkboxes share one name)."""
    too_many_fields: bool = False
    """The post carried more than :data:`FORM_FIELDS` fields and was not read (it is empty)."""

    def every(self, name: str) -> list[str]:
        """Every value of one field, as posted; none when absent."""
        return self.values.get(name, [])

    @property
    def size(self) -> int:
        """How many fields the post carried (each value of a repeated one counts)."""
        return sum(len(values) for values in self.values.values())

    def get(self, name: str, default: str = "") -> str:
        """One field, stripped; ``default`` when absent."""
        return self.fields.get(name, default).strip()

    def checked(self, name: str) -> bool:
        """Whether a checkbox was ticked."""
        return name in self.fields


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def duration(seconds: float | None) -> str:
    """A duration as operators read it (``"2d 3h"``, ``"1h 30m"``, ``"45s"``); ``"–"`` for
    none. Two units at most: a KPI card wants the order of magnitude, not the second."""
    if seconds is None:
        return "–"
    whole = max(0, round(seconds))
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        if whole >= size or (name == "s" and not parts):
            parts.append(f"{whole // size}{name}")
            whole %= size
        if len(parts) == 2 or (parts and not whole):
            break
    return " ".join(parts)


class ConsoleViews:
    """The console's desks, templates and guards (see the module docstring)."""

    def __init__(
        self,
        *,
        desk: OrderDesk,
        access: AccessStore,
        exceptions: ExceptionDesk,
        systems: SystemsDesk,
        sessions: ConsoleSessions,
        secure_cookie: bool = False,
    ) -> None:
        self.desk = desk
        self.access = access
        self.exceptions = exceptions
        self.systems = systems
        self.sessions = sessions
        self.secure_cookie = secure_cookie
        self.templates = Environment(
            loader=PackageLoader("crossdock.visibility.console", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when
        self.templates.filters["duration"] = duration
        self.templates.globals["prefix"] = PREFIX

    # ------------------------------------------------------------------ rendering

    def page(
        self, template: str, operator: Operator | None, *, status_code: int = 200, **data: Any
    ) -> HTMLResponse:
        """A whole page: ``template`` with ``data``, the operator and their CSRF token."""
        html = self.templates.get_template(template).render(
            operator=operator, csrf=operator.csrf if operator else "", **data
        )
        return HTMLResponse(html, status_code=status_code)

    @staticmethod
    def go(request: Request, path: str, **query: str) -> Response:
        """Send the browser to ``path`` after an action (see the module docstring)."""
        target = f"{PREFIX}{path}" + (f"?{urlencode(query)}" if query else "")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=200, headers={"HX-Location": target})
        return RedirectResponse(target, status_code=303)

    # ------------------------------------------------------------------ guards

    async def operator(self, request: Request) -> Operator | None:
        """The logged-in operator, or None."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        return await anyio.to_thread.run_sync(self.sessions.operator, cookie)

    async def form(self, request: Request) -> Form:
        """The posted form; an empty one marked ``too_many_fields`` when it carries more than
        :data:`FORM_FIELDS` (counted before anything is parsed)."""
        body = (await request.body()).decode("utf-8", "replace")
        try:
            parsed = parse_qs(body, keep_blank_values=True, max_num_fields=FORM_FIELDS)
        except ValueError:  # "Max number of fields exceeded"
            return Form({}, too_many_fields=True)
        return Form({name: values[0] for name, values in parsed.items()}, values=parsed)

    async def action(self, request: Request) -> tuple[Operator, Form] | Response:
        """Check a POST: a logged-in operator, a form of at most :data:`FORM_FIELDS` fields and
        the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``). Answers the
        operator and the form, or the refusal."""
        operator = await self.operator(request)
        if operator is None:
            return self.login_redirect(request)
        form = await self.form(request)
        if form.too_many_fields:
            await self.audit(
                request, operator, "console.form", outcome="refused", error="too many fields"
            )
            return self.page(
                "error.html",
                operator,
                status_code=422,
                title="Refused",
                message=f"This form carries more than {FORM_FIELDS} fields: nothing was done.",
            )
        token = form.get("csrf") or request.headers.get("x-csrf-token", "")
        if not self.sessions.csrf_matches(request.cookies.get(COOKIE), token):
            await self.audit(request, operator, "console.csrf", outcome="refused")
            return self.page(
                "error.html",
                operator,
                status_code=403,
                title="Refused",
                message="This form is stale or was not sent by the console: reload and retry.",
            )
        return operator, form

    def login_redirect(self, request: Request) -> Response:
        """To the login page, coming back to where the operator was going."""
        return RedirectResponse(
            f"{PREFIX}/login?{urlencode({'next': request.url.path})}", status_code=303
        )

    def set_session(self, response: Response, cookie: str) -> None:
        """Give the browser its session cookie."""
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(SESSION_TTL.total_seconds()),
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookie,
        )

    # ------------------------------------------------------------------ running and auditing

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking desk or store call on a worker thread."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    async def audit(
        self,
        request: Request,
        operator: Operator | None,
        action: str,
        *,
        outcome: str = "ok",
        target: str = "",
        **detail: Any,
    ) -> None:
        """Write one audit entry for a console action; a failure to write it is logged loudly."""
        client = request.client.host if request.client else ""
        try:
            await self.call(
                self.access.record,
                action,
                outcome=outcome,
                partner_id=operator.partner_id if operator else "",
                key_id=operator.key_id if operator else "",
                target=target or request.url.path,
                remote=AUDIT_REMOTE,
                detail={"address": client, **detail},
            )
        except Exception:
            log.exception("could not write the audit entry of console action %s", action)
