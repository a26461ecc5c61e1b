"""Retiring a route: ``Deprecation``, ``Sunset`` and ``Link`` headers, then 410 Gone.

A route is deprecated by declaring it so where it is defined::

    @router.get("/old", **deprecated_route(Deprecation(since=…, sunset=…, successor="/api/v1/new")))

From then on every answer of the route carries ``Deprecation: @<unix time>`` (RFC 9745),
``Sunset: <HTTP date>`` (RFC 8594) and ``Link`` to the deprecation policy and to its successor,
and the OpenAPI document marks the operation ``deprecated``. From the sunset on, the route
answers ``410 Gone`` (problem+json, type ``urn:crossdock:problem:sunset``) naming the successor,
so a client that missed the headers gets a clear error instead of a silent change.

The policy (``docs/api.md#deprecation``): a route of a published version is deprecated for at
least six months before its sunset, partners are told through these headers and the changelog,
and a breaking change is a new version (``/api/v2``), never an edit of ``/api/v1``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any

from fastapi import Depends, Request, Response

from crossdock.integration.api.problems import ApiProblem

POLICY_URL = "https://github.com/crossdock/crossdock/blob/main/docs/api.md#deprecation"
"""Where partners read the deprecation policy (the ``rel="deprecation"`` link)."""
MINIMUM_NOTICE = timedelta(days=182)
"""The least time between a route's deprecation and its sunset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Deprecation:
    """When a route was deprecated, when it stops answering, and what replaces it."""

    since: datetime
    sunset: datetime
    successor: str = ""
    """The path (or URL) that replaces the route, if any."""

    def __post_init__(self) -> None:
        if self.sunset - self.since < MINIMUM_NOTICE:
            raise ValueError(
                f"a sunset needs at least {MINIMUM_NOTICE.days} days of notice after deprecation"
            )

    def headers(self) -> dict[str, str]:
        """The headers every answer of the deprecated route carries."""
        links = [f'<{POLICY_URL}>; rel="deprecation"; type="text/html"']
        if self.successor:
            links.append(f'<{self.successor}>; rel="successor-version"')
        return {
            "Deprecation": f"@{int(self.since.timestamp())}",
            "Sunset": format_datetime(self.sunset, usegmt=True),
            "Link": ", ".join(links),
        }


def _now(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    if clock is None:
        raise TypeError("app.state.clock is missing; build the app with create_app")
    now: datetime = clock.now()
    return now


def announce(deprecation: Deprecation) -> Callable[..., Awaitable[None]]:
    """A route dependency: the deprecation headers on the answer; 410 from the sunset on."""

    async def dependency(request: Request, response: Response) -> None:
        headers = deprecation.headers()
        if _now(request) >= deprecation.sunset:
            successor = f"; use {deprecation.successor}" if deprecation.successor else ""
            raise ApiProblem(
                HTTPStatus.GONE,
                f"this route was retired on {headers['Sunset']}{successor}",
                slug="sunset",
                headers=headers,
            )
        response.headers.update(headers)

    return dependency


def deprecated_route(deprecation: Deprecation) -> dict[str, Any]:
    """The route decorator arguments that deprecate it (see the module docstring)."""
    return {"deprecated": True, "dependencies": [Depends(announce(deprecation))]}
