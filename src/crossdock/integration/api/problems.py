"""RFC 9457 problem details: every error the API answers is ``application/problem+json``.

A problem names every bad field in its ``errors`` extension, as a path into the request document
(``lines[0].quantity``), so a partner can fix all of them in one round trip. The handlers here
translate what the layers below raise into problems::

    RequestValidationError (malformed JSON)    400  field "body"
    RequestValidationError (schema)            422  one error per bad field
    InvalidDocument (master data refused it)   422  the document's own field problems
    UnknownOrder, UnknownException,            404
    UnknownSystem
    ExceptionSettled (it was resolved)         409
    BusinessRuleViolation                      409
    RetryableError (store busy or down)        503  Retry-After
    ApiProblem (raised by routes)              its own status
    HTTPException (unknown route, method …)    its own status
    anything else                              500  with no internals in the answer
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from crossdock.core.errors import BusinessRuleViolation, RetryableError
from crossdock.orchestration.exception_desk import ExceptionSettled, UnknownException
from crossdock.orchestration.intake import FieldProblem, InvalidDocument, UnknownOrder
from crossdock.orchestration.system_desk import UnknownSystem

log = logging.getLogger("crossdock.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "urn:crossdock:problem:"
"""Prefix of our problem type URIs; plain HTTP errors use ``about:blank`` (RFC 9457 §4.2.1)."""

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

#: Where a pydantic error location starts; the part name is not a field the caller wrote.
_LOCATION_PARTS = frozenset({"body", "query", "path", "header", "cookie"})


class FieldError(BaseModel):
    """One bad field of a request."""

    model_config = ConfigDict(frozen=True)

    field: str
    """Path of the field in the request document, e.g. ``lines[0].quantity``."""
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    model_config = ConfigDict(frozen=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    """The path of the request that went wrong."""
    errors: list[FieldError] = Field(default_factory=list)
    """Every bad field found (an extension member)."""


class ApiProblem(Exception):
    """Raised by a route to answer with a problem (a bad signature, an unparseable body …)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str = "",
        errors: Sequence[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.errors = tuple(errors)
        self.headers = dict(headers or {})


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str,
    slug: str = "",
    errors: Iterable[FieldProblem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response; ``slug`` names our own problem type (else ``about:blank``)."""
    problem = Problem(
        type=f"{PROBLEM_TYPE}{slug}" if slug else "about:blank",
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        errors=[FieldError(field=e.field, message=e.message) for e in errors],
    )
    return JSONResponse(
        problem.model_dump(mode="json"),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as a document path.

    ``("body", "lines", 0, "sku")`` → ``lines[0].sku``; ``("header", "Idempotency-Key")`` →
    ``Idempotency-Key``.
    """
    parts = list(loc)
    if parts and parts[0] in _LOCATION_PARTS and len(parts) > 1:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """Pydantic validation errors as field problems, one per bad field, in the order found."""
    problems: list[FieldProblem] = []
    for error in errors:
        problem = FieldProblem(field_path(error.get("loc", ())), str(error.get("msg", "")))
        if problem not in problems:
            problems.append(problem)
    return problems


def problem_doc(description: str) -> dict[str, Any]:
    """How an operation documents a problem answer in its ``responses``: a :class:`Problem` as
    ``application/problem+json``, the media type every error is served with."""
    return {
        "model": Problem,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "description": description,
    }


#: Documented on every route that can answer with a problem.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: problem_doc(description)
    for status, description in (
        (400, "Malformed request body"),
        (422, "Invalid fields, each named in `errors`"),
        (503, "The store is busy; retry after `Retry-After` seconds"),
    )
}

#: Documented on every route of the partner API (``/api/v1``): what any route can answer, and
#: what authentication (401, 403), the body size limit (413) and the rate limit (429) answer.
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: problem_doc("No credential, or one not accepted (`WWW-Authenticate: Bearer`)"),
    403: problem_doc("The credential lacks the scope this operation needs"),
    413: problem_doc("The request body is over the limit"),
    429: problem_doc("Too many requests from this key; retry after `Retry-After` seconds"),
}


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with problem+json."""
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(InvalidDocument, _invalid_document)
    app.add_exception_handler(UnknownOrder, _unknown_order)
    app.add_exception_handler(UnknownException, _unknown_exception)
    app.add_exception_handler(UnknownSystem, _unknown_system)
    app.add_exception_handler(ExceptionSettled, _exception_settled)
    app.add_exception_handler(BusinessRuleViolation, _rule_refused)
    app.add_exception_handler(RetryableError, _retryable)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return problem_response(
            400,
            "the request body is not valid JSON",
            instance=request.url.path,
            slug="malformed-body",
            errors=[FieldProblem("body", "not valid JSON")],
        )
    return problem_response(
        422,
        "the request has invalid fields",
        instance=request.url.path,
        slug="invalid-fields",
        errors=field_problems(errors),
    )


async def _invalid_document(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidDocument)
    return problem_response(
        422,
        "the document refers to data crossdock does not know",
        instance=request.url.path,
        slug="invalid-document",
        errors=exc.problems,
    )


async def _unknown_order(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(404, str(exc), instance=request.url.path, slug="unknown-order")


async def _unknown_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownException)
    return problem_response(
        404,
        str(exc),
        instance=request.url.path,
        slug="unknown-exception",
        errors=[FieldProblem("exception_id", f"no exception {exc.exception_id}")],
    )


async def _unknown_system(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownSystem)
    return problem_response(
        404,
        str(exc),
        instance=request.url.path,
        slug="unknown-system",
        errors=[FieldProblem("name", f"no system {exc.system!r}")],
    )


async def _exception_settled(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ExceptionSettled)
    return problem_response(
        409,
        f"{exc}: it cannot be changed or replayed any more",
        instance=request.url.path,
        slug="exception-settled",
        errors=[FieldProblem("exception_id", f"{exc.record.exception_id} is resolved")],
    )


async def _rule_refused(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(409, str(exc), instance=request.url.path, slug="business-rule")


async def _retryable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RetryableError)
    log.warning("retryable failure on %s: %s", request.url.path, exc)
    wait = max(1, math.ceil(exc.retry_after or 1))
    return problem_response(
        503,
        "crossdock is busy; try again shortly",
        instance=request.url.path,
        slug="retry-later",
        headers={"Retry-After": str(wait)},
    )


async def _api_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return problem_response(
        exc.status,
        exc.detail,
        instance=request.url.path,
        slug=exc.slug,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        headers["Allow"] = allowed
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


def _allowed_methods(request: Request) -> str:
    # Starlette's own Allow header names only the methods of the first route whose path matched.
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The cause goes to the log with its traceback; the caller learns nothing about internals.
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "an unexpected error occurred; it has been logged", instance=request.url.path
    )
