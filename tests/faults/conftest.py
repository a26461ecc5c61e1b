"""Fixtures of the fault-injection suite: real processes per test, and the figures they report.

Every test here is marked ``slow`` and ``faults``: the default run (``-m 'not slow'``) leaves them
out, CI runs them with the other slow suites, and ``pytest -m faults -s`` runs them alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from crossdock.cluster import LocalCluster

from .figures import Figures, reporter
from .tap import Tap

StartCluster = Callable[..., LocalCluster]


@pytest.fixture
def start_cluster(tmp_path: Path) -> Iterator[StartCluster]:
    """Start the sandbox (no faults; databases on disk) and one ``crossdock up`` hub on SQLite.

    ``delivery`` sets systems' delivery policies in the hub's estate file; ``env`` adds
    ``CROSSDOCK_*`` settings for the hub; ``through`` puts a running :class:`Tap` between the hub
    and a system. Everything started is stopped after the test.
    """
    started: list[LocalCluster] = []

    def start(
        *,
        delivery: Mapping[str, Mapping[str, Any]] | None = None,
        env: Mapping[str, str] | None = None,
        through: Mapping[str, Tap] | None = None,
    ) -> LocalCluster:
        taps = dict(through or {})
        cluster = LocalCluster(
            tmp_path / f"cluster-{len(started)}",
            delivery=delivery,
            extra_env=env,
            base_urls={system: tap.url for system, tap in taps.items()},
        )
        for system, tap in taps.items():
            tap.upstream = cluster.url(system)
        started.append(cluster)
        cluster.start_sandbox()
        cluster.start_hub()
        return cluster

    yield start
    for cluster in started:
        cluster.stop()


@pytest.fixture
def report(record_property: Callable[[str, object], None]) -> Callable[[Figures], None]:
    """Print a scenario's figures and attach them to the test report."""
    return reporter(record_property)
