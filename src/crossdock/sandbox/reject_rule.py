"""RejectRule: a poison value an ERP refuses for good (422), whatever the client retries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, kw_only=True)
class Rejection:
    """Which field of the request a rule refused, and the sentence to answer with."""

    field: str
    message: str


class RejectRule(BaseModel):
    """Refuse a create request whose JSON body has `equals` at the dotted path `field`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str = Field(
        min_length=1,
        description="Dotted path into the request's JSON body, e.g. `ship_to.postal_code` or "
        "`lines.0.sku`; `*` matches any element of a list (`lines.*.sku`). The refusal names "
        "the concrete path that matched.",
    )
    equals: str | int | float | bool = Field(
        description="The poison value, compared with the body's value as JSON values: the "
        'string `"00000"` never matches the number 0, nor `true` the number 1.'
    )
    message: str | None = Field(
        None,
        description="The refusal's text; None says `<field> <value> is not a valid <name>`, "
        "the name being the path's last segment in words.",
    )

    def match(self, body: Any) -> Rejection | None:
        """The rejection when `body` carries the poison value, else None."""
        for path, value in _resolve(body, self.field.split(".")):
            if value == self.equals and isinstance(value, bool) == isinstance(self.equals, bool):
                return Rejection(field=path, message=self.message or self._default(path, value))
        return None

    @staticmethod
    def _default(path: str, value: Any) -> str:
        name = _CAMEL_HUMP.sub(" ", path.rsplit(".", 1)[-1]).replace("_", " ").lower()
        shown = value if isinstance(value, str) else orjson.dumps(value).decode()
        return f"{path} {shown} is not a valid {name}"


def first_rejection(rules: list[RejectRule], body: Any) -> Rejection | None:
    """The first rule (in configuration order) that refuses `body`, if any."""
    for rule in rules:
        rejection = rule.match(body)
        if rejection is not None:
            return rejection
    return None


def _resolve(node: Any, parts: list[str], prefix: str = "") -> list[tuple[str, Any]]:
    """Every (concrete path, value) that `parts` reaches from `node`; `*` fans out over lists."""
    if not parts:
        return [(prefix, node)]
    head, rest = parts[0], parts[1:]

    def below(key: str, child: Any) -> list[tuple[str, Any]]:
        return _resolve(child, rest, f"{prefix}.{key}" if prefix else key)

    if isinstance(node, dict):
        return below(head, node[head]) if head in node else []
    if isinstance(node, list):
        if head == "*":
            return [hit for i, child in enumerate(node) for hit in below(str(i), child)]
        if head.isdigit() and int(head) < len(node):
            return below(head, node[int(head)])
    return []
