"""Fixtures: the engine hub (real workflow, store and desks, fake gateways) with the console
mounted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .console_hub import ConsoleHub


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ConsoleHub]:
    built = ConsoleHub(f"sqlite:///{tmp_path}/hub.db")
    yield built
    built.close()
