"""Fixtures: a hub with seeded master data and stock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .hub import Hub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    built = Hub(tmp_path)
    yield built
    built.close()
