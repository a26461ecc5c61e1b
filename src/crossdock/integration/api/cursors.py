"""Page cursors for listings keyed by more than one column (prices, stock positions).

A listing keyed by one id hands out that id as its ``next`` cursor, as the order list does. One
keyed by several columns hands out the key of its last item, encoded as an opaque URL-safe
string, and takes it back as ``after``: callers must not build or read one.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from http import HTTPStatus

from crossdock.integration.api.problems import ApiProblem
from crossdock.orchestration.intake import FieldProblem


def encode_cursor(key: Sequence[str]) -> str:
    """The opaque cursor of a page whose last item has ``key``."""
    text = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int, *, field: str = "after") -> list[str]:
    """The key a cursor carries; a 422 problem naming ``field`` when it is not one we issued."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        key = None
    if not (isinstance(key, list) and len(key) == parts and all(isinstance(p, str) for p in key)):
        raise ApiProblem(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "the request has invalid fields",
            slug="invalid-fields",
            errors=[FieldProblem(field, "not a cursor this API handed out; pass a page's `next`")],
        )
    return key
