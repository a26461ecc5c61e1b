"""The HTTP client every connector talks to its system through."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from crossdock.core.errors import PermanentError
from crossdock.integration.outbound.endpoint import HttpEndpoint
from crossdock.integration.outbound.errors import error_for_response, error_for_transport

ResponseT = TypeVar("ResponseT", bound=BaseModel)

Params = Mapping[str, str]


class OutboundClient:
    """JSON over HTTP to one system, with every failure translated into the core error tree.

    ``http`` is injectable: tests pass a client built on ``httpx.MockTransport``, benchmarks one
    on ``httpx.ASGITransport``. An injected client belongs to whoever passed it and is left open by
    :meth:`aclose`; a client this class builds itself is closed by it.
    """

    def __init__(
        self,
        endpoint: HttpEndpoint,
        *,
        system: str,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._system = system
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient()
        self._clock = clock

    @property
    def system(self) -> str:
        """The system's name, used in every error message."""
        return self._system

    async def get(
        self, path: str, *, into: type[ResponseT], params: Params | None = None
    ) -> ResponseT:
        """GET ``path`` and parse the JSON answer as ``into``."""
        return await self._exchange("GET", path, into=into, params=params)

    async def post(
        self,
        path: str,
        body: BaseModel | Mapping[str, Any] | None = None,
        *,
        into: type[ResponseT],
        idempotency_key: str | None = None,
        creates: bool = False,
    ) -> ResponseT:
        """POST ``body`` as JSON to ``path`` and parse the answer as ``into``.

        ``idempotency_key`` is sent as the ``Idempotency-Key`` header. ``creates`` marks a request
        that creates a document: a failure after it may have reached the system raises
        :class:`~crossdock.integration.outbound.errors.AmbiguousOutcome`.
        """
        return await self._exchange(
            "POST", path, into=into, body=body, idempotency_key=idempotency_key, creates=creates
        )

    async def aclose(self) -> None:
        """Close the HTTP client when this object built it."""
        if self._owns_http:
            await self._http.aclose()

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        into: type[ResponseT],
        params: Params | None = None,
        body: BaseModel | Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        creates: bool = False,
    ) -> ResponseT:
        headers = self._endpoint.request_headers()
        content: bytes | None = None
        if body is not None:
            payload = (
                body.model_dump(mode="json", by_alias=True) if isinstance(body, BaseModel) else body
            )
            content = orjson.dumps(payload, default=_json_default)
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http.request(
                method,
                self._endpoint.url(path),
                params=dict(params) if params else None,
                content=content,
                headers=headers,
                timeout=self._endpoint.timeout,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_transport(
                exc, system=self._system, method=method, path=path, creates=creates
            ) from exc
        if not response.is_success:
            error = error_for_response(
                response, system=self._system, creates=creates, now=self._now()
            )
            # Chained so whoever records the failure can reach the request and the response.
            raise error from httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        return self._parse(response, into, f"{self._system} {method} {path}")

    def _parse(self, response: httpx.Response, into: type[ResponseT], what: str) -> ResponseT:
        try:
            # parse_float=Decimal: a system that sends money as a JSON number loses no cents.
            data: Any = (
                json.loads(response.content, parse_float=Decimal)
                if response.content.strip()
                else {}
            )
        except ValueError as exc:
            raise PermanentError(
                f"{what} answered {response.status_code} with non-JSON", code="mapping"
            ) from exc
        try:
            return into.model_validate(data)
        except ValidationError as exc:
            raise PermanentError(
                f"{what} answered an unexpected shape: {exc}", code="mapping"
            ) from exc

    def _now(self) -> datetime | None:
        return self._clock() if self._clock is not None else None


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
