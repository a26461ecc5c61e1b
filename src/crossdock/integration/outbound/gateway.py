"""``HttpGateway``: what every HTTP connector's gateway shares.

Its name in the estate, the operations it carries, turning a document it cannot map into a
:class:`~crossdock.core.errors.PermanentError` (never retried: the same document would fail the
same way), and closing its client. A connector's gateway subclasses it and writes only
``_deliver``: the mapping of each command to its system's calls.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, Protocol, TypeVar

from pydantic import ValidationError

from crossdock.core.errors import PermanentError
from crossdock.orchestration.messages import DeliveryCommand, Message


class ClosableClient(Protocol):
    """A system client that owns (or borrows) an HTTP connection pool."""

    async def aclose(self) -> None:
        """Close the pool, unless it was injected."""
        ...


ClientT = TypeVar("ClientT", bound=ClosableClient)


class HttpGateway(ABC, Generic[ClientT]):
    """Base of the connectors' gateways (each implements the ``SystemGateway`` port)."""

    operations: ClassVar[frozenset[str]]
    """The delivery operations (command ``kind``s) this system carries out."""

    def __init__(self, name: str, client: ClientT) -> None:
        self._name = name
        self._client = client

    @property
    def system(self) -> str:
        """The system's name in the estate file."""
        return self._name

    def supports(self, operation: str) -> bool:
        """Whether this system carries out ``operation``."""
        return operation in self.operations

    async def deliver(self, command: DeliveryCommand) -> Message | None:
        """Carry out ``command``; an operation it lacks or a document it cannot map is permanent."""
        if not self.supports(command.operation):
            raise PermanentError(
                f"{self.system} does not support {command.operation}", code="unsupported"
            )
        try:
            return await self._deliver(command)
        except ValidationError as exc:
            raise PermanentError(
                f"{self.system} {command.operation}: cannot map the document: {exc}", code="mapping"
            ) from exc

    @abstractmethod
    async def _deliver(self, command: DeliveryCommand) -> Message | None:
        """Send one supported command to the system; the result message, if it means one."""

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was injected."""
        await self._client.aclose()
