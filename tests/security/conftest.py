"""One hub per module, shared by its tests: building and enrolling it takes seconds, and every
test either only reads or makes its own keys, partners and objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from .two_partners import TwoPartners, build_two_partners


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TwoPartners]:
    """The hub with ``north`` and ``south`` enrolled (see :mod:`.two_partners`)."""
    built = await build_two_partners(Path(tmp_path_factory.mktemp("hub")))
    yield built
    await built.hub.stop()
