"""``ReadModels``: read-only transactions over crossdock's read models, for the API.

Master data and availability routes only read: each read is one ``write=False`` unit of work,
run on the store's worker threads so the event loop never waits on the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends

from crossdock.integration.api.deps import Desk
from crossdock.orchestration.store import Store, UnitOfWork

T = TypeVar("T")


class ReadModels:
    """Runs reads against the store, one read-only transaction each."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def read(self, fn: Callable[[UnitOfWork], T]) -> T:
        """What ``fn`` reads in one read-only transaction."""

        def work() -> T:
            with self.store.unit_of_work(write=False) as uow:
                return fn(uow)

        return await self.store.run(work)


def read_models(desk: Desk) -> ReadModels:
    """The read models of the store the app's order desk works on."""
    return ReadModels(desk.store)


Reads = Annotated[ReadModels, Depends(read_models)]
"""A route parameter annotated ``Reads`` receives the read models."""
