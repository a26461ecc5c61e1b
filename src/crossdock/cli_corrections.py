"""``--set dotted.path=value``: an operator's correction of one field of a stored request.

``crossdock exceptions retry ID --set order.ship_to.postal_code=93651`` fixes one field of the
request that failed, without writing a file. The exception desk then checks the corrected request
as a whole (and refuses one that changes where it goes), so this only has to find the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import typer

_OPTION = "'--set'"


@dataclass(frozen=True, slots=True)
class FieldCorrection:
    """A new value for the field at ``path`` of a JSON document."""

    path: tuple[str, ...]
    """Keys of objects and indices of lists (as numbers), outermost first."""
    raw: str
    """The value as the operator wrote it."""

    @classmethod
    def parse(cls, text: str) -> FieldCorrection:
        """``order.lines.0.quantity=5`` → path ``(order, lines, 0, quantity)``, raw ``5``."""
        path, sep, raw = text.partition("=")
        steps = tuple(path.strip().split("."))
        if not sep or not all(steps):
            raise typer.BadParameter(
                f"{text!r} is not dotted.path=value (e.g. order.ship_to.postal_code=93650)",
                param_hint=_OPTION,
            )
        return cls(path=steps, raw=raw)

    def apply(self, document: Any) -> None:
        """Set the field in ``document`` (in place).

        The value is parsed as JSON when it parses (numbers, true, null, objects, lists), except
        that a field holding a string keeps a string: ``postal_code=93650`` stays ``"93650"``. A
        missing last key is added (the desk refuses it if the document has no such field); a
        missing parent is a usage error naming the path.
        """
        parent = document
        for depth, step in enumerate(self.path[:-1]):
            parent = self._child(parent, step, self.path[: depth + 1])
        last = self.path[-1]
        if isinstance(parent, list):
            index = self._index(parent, last, self.path)
            parent[index] = self._value(parent[index])
        elif isinstance(parent, dict):
            parent[last] = self._value(parent.get(last))
        else:
            raise typer.BadParameter(
                f"{'.'.join(self.path[:-1])} is neither an object nor a list", param_hint=_OPTION
            )

    def _value(self, current: Any) -> Any:
        try:
            value = json.loads(self.raw)
        except ValueError:
            return self.raw
        if isinstance(current, str) and not isinstance(value, str | None):
            return self.raw
        return value

    @classmethod
    def _child(cls, node: Any, step: str, where: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return node[cls._index(node, step, where)]
        if isinstance(node, dict) and step in node:
            return node[step]
        raise typer.BadParameter(
            f"{'.'.join(where)}: the request has no such field", param_hint=_OPTION
        )

    @staticmethod
    def _index(items: list[Any], step: str, where: tuple[str, ...]) -> int:
        if not step.isdigit() or int(step) >= len(items):
            raise typer.BadParameter(
                f"{'.'.join(where)}: not an index of the list (it has {len(items)} items)",
                param_hint=_OPTION,
            )
        return int(step)
