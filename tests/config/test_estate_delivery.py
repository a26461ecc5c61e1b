"""The estate file's per-system delivery policy: read as written, refused with the key named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from crossdock.core.errors import ConfigurationError
from crossdock.estate import load_estate, sandbox_estate
from crossdock.orchestration.delivery_policy import DeliveryPolicy


def _write(tmp_path: Path, delivery: object) -> Path:
    document = sandbox_estate().model_dump(mode="json")
    document["systems"]["legacy_erp"]["delivery"] = delivery
    path = tmp_path / "crossdock.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_system_without_a_delivery_block_gets_the_documented_defaults() -> None:
    policies = sandbox_estate().delivery_policies()

    # EDI partners are delivery targets too (what we send them is queued, retried, limited).
    assert set(policies) == {"legacy_erp", "cloud_erp", "wms", "customer_service", "edi_customer"}
    policy = policies["legacy_erp"]
    assert policy == DeliveryPolicy()
    assert (policy.breaker.failure_threshold, policy.breaker.open_for) == (
        5,
        timedelta(seconds=30),
    )
    assert (policy.concurrency, policy.rate_limit_per_s, policy.retry.max_attempts) == (16, 0, 12)


def test_the_delivery_block_is_read_with_durations_in_seconds_or_iso(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "retry": {"initial_interval": 2, "max_attempts": 20, "deadline": "PT6H"},
            "breaker": {"failure_threshold": 3, "open_for": 10},
            "concurrency": 4,
            "rate_limit_per_s": 2,
        },
    )

    policy = load_estate(path).delivery_policies()["legacy_erp"]

    assert policy.retry.initial_interval == timedelta(seconds=2)
    assert policy.retry.max_attempts == 20
    assert policy.retry.deadline == timedelta(hours=6)
    assert policy.breaker.failure_threshold == 3
    assert policy.breaker.open_for == timedelta(seconds=10)
    assert (policy.concurrency, policy.rate_limit_per_s, policy.rate_limit_burst) == (4, 2, 1)
    assert load_estate(path).delivery_policies()["cloud_erp"] == DeliveryPolicy()


@pytest.mark.parametrize(
    ("delivery", "key"),
    [
        ({"concurrency": 0}, "systems.legacy_erp.delivery.concurrency"),
        ({"rate_limit_per_s": -1}, "systems.legacy_erp.delivery.rate_limit_per_s"),
        ({"breaker": {"failure_rate": 1.5}}, "systems.legacy_erp.delivery.breaker.failure_rate"),
        ({"retry": {"max_attemps": 3}}, "systems.legacy_erp.delivery.retry.max_attemps"),
    ],
)
def test_a_bad_delivery_setting_is_refused_naming_its_key(
    tmp_path: Path, delivery: dict[str, object], key: str
) -> None:
    path = _write(tmp_path, delivery)

    with pytest.raises(ConfigurationError) as refused:
        load_estate(path)

    assert refused.value.key == f"{path}:{key}"
