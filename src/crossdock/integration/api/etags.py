"""Entity tags and conditional GETs (RFC 9110 §8.8.3 and §13.1.2).

A GET that answers through :func:`conditional_json` carries a strong ``ETag`` computed from the
exact bytes of its JSON body: two answers share a tag exactly when they share a representation,
whatever changed underneath (a re-sync from the system of record, a stock movement) and whoever
asked (a partner's page of customers is not an admin's, so neither is its tag). A client that
sends the tag back in ``If-None-Match`` gets ``304 Not Modified`` with the tag and no body while
the representation is unchanged. ``If-None-Match: *`` matches any current representation; a list
of tags matches when any of them does, compared weakly (``W/"x"`` matches ``"x"``), as §13.1.2
requires for ``If-None-Match``.

Every answer says ``Cache-Control: private, no-cache``: the body is one caller's view, so shared
caches must not keep it, and a client must revalidate (cheaply, with the tag) before reusing it.

Any GET route can use it: build the view, hand it over, and declare the model and the extra
responses on the route, since a route that returns a ``Response`` takes its schema from there::

    @router.get("/things/{thing_id}", response_model=ThingView, responses=CONDITIONAL_RESPONSES)
    async def get_thing(thing_id: str, request: Request) -> Response:
        view = ThingView.of(...)
        return conditional_json(request, view)

Conditional requests are for GET (and HEAD) only: on a write, a failed ``If-None-Match`` means
412, which this module does not answer.
"""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

CACHE_CONTROL = "private, no-cache"
"""Every conditional answer's ``Cache-Control``: one caller's view, revalidated before reuse."""

VARY = "Authorization, X-API-Key"
"""The representation depends on who asks."""

_ENTITY_TAG = re.compile(r'(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"')
"""One entity tag of an ``If-None-Match`` list, its opaque part captured (RFC 9110 §8.8.3)."""
_SEPARATOR = re.compile(r"[ \t,]*")
"""Between the tags of a list (empty list elements are allowed, RFC 9110 §5.6.1)."""

CONDITIONAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {
                "description": "Strong tag of this representation; send it in If-None-Match",
                "schema": {"type": "string"},
            },
            "Cache-Control": {
                "description": f"Always `{CACHE_CONTROL}`",
                "schema": {"type": "string"},
            },
        }
    },
    304: {"description": "Not Modified: the If-None-Match tag still matches; no body"},
}
"""The ``responses`` of a route answered through :func:`conditional_json`, for OpenAPI."""


def entity_tag(body: bytes) -> str:
    """The strong entity tag of a representation: a quoted digest of its bytes."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def opaque_tags(if_none_match: str) -> frozenset[str] | None:
    """The opaque tags an ``If-None-Match`` value lists (weak or strong alike).

    None for ``*``. A malformed value lists nothing, so it never turns an answer into a 304.
    """
    if if_none_match.strip() == "*":
        return None
    tags: set[str] = set()
    position, end = 0, len(if_none_match)
    while (position := _skip_separators(if_none_match, position)) < end:
        match = _ENTITY_TAG.match(if_none_match, position)
        if match is None:
            return frozenset()
        tags.add(match.group(1))
        position = match.end()
    return frozenset(tags)


def _skip_separators(text: str, position: int) -> int:
    separators = _SEPARATOR.match(text, position)
    return position if separators is None else separators.end()


def none_match(if_none_match: str, current: str) -> bool:
    """Whether ``If-None-Match`` fails for the representation tagged ``current``: ``*``, or a
    listed tag equal to it under the weak comparison (304 for a GET)."""
    tags = opaque_tags(if_none_match)
    return tags is None or current.removeprefix("W/").strip('"') in tags


def conditional_json(
    request: Request, view: BaseModel, *, status_code: int = HTTPStatus.OK
) -> Response:
    """``view`` as JSON with its ``ETag``, or 304 when ``request`` already holds that tag."""
    body = view.model_dump_json().encode()
    tag = entity_tag(body)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    conditions = request.headers.getlist("if-none-match")
    if conditions and none_match(", ".join(conditions), tag):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)
