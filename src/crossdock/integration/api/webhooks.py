"""What every inbound webhook route shares: refusing a bad signature, parsing the raw body.

A webhook's signature covers the raw bytes, so its route reads the body itself, verifies it, and
only then parses it here. Both refusals are problem+json like every other error of the API.
"""

from __future__ import annotations

from typing import Any

import orjson

from crossdock.integration.api.problems import ApiProblem
from crossdock.orchestration.intake import FieldProblem


def bad_signature(header: str) -> ApiProblem:
    """The 401 for a missing or wrong signature (nothing about which secret was tried)."""
    return ApiProblem(
        401,
        f"the {header} header is missing or does not match the body",
        slug="bad-signature",
        errors=[FieldProblem(header, "missing or invalid signature")],
    )


def json_document(raw: bytes) -> Any:
    """The JSON document in a webhook body; a 400 problem naming ``body`` when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiProblem(
            400,
            "the request body is not valid JSON",
            slug="malformed-body",
            errors=[FieldProblem("body", "not valid JSON")],
        ) from exc
