"""A tenant's names on the broker: event subjects, wake-up subjects, the stream."""

from __future__ import annotations

import pytest

from crossdock.core.errors import ConfigurationError, PermanentError
from crossdock.integration.transport.subjects import Subjects


def test_an_event_is_published_on_its_tenants_order_subject_without_the_version() -> None:
    subjects = Subjects("acme")

    assert subjects.event("crossdock.order.shipment_confirmed.v1") == (
        "crossdock.acme.order.shipment_confirmed"
    )
    assert subjects.events == "crossdock.acme.order.>"
    assert subjects.default_stream == "CROSSDOCK_ACME"


@pytest.mark.parametrize(
    "event_type", ["crossdock.order.v1", "crossdock.invoice.posted.v1", "order.accepted", ""]
)
def test_an_event_type_outside_the_order_family_has_no_subject(event_type: str) -> None:
    with pytest.raises(PermanentError, match="has no subject"):
        Subjects("acme").event(event_type)


def test_a_wake_up_topic_becomes_subject_tokens_and_comes_back_unchanged() -> None:
    subjects = Subjects("acme")

    assert subjects.wake("delivery:legacy_erp") == "crossdock.acme.wake.delivery.legacy_erp"
    assert subjects.wake("inbox") == "crossdock.acme.wake.inbox"
    for topic in ["inbox", "delivery:legacy_erp", "delivery:erp.eu west/1", "a:*:>:%:é"]:
        subject = subjects.wake(topic)
        assert subject.startswith("crossdock.acme.wake.")
        assert not set(subject) & set(" \t\r\n*>")
        assert subjects.topic_of(subject) == topic


def test_wake_ups_are_not_under_the_events_the_stream_stores() -> None:
    subjects = Subjects("acme")

    assert not subjects.wake("order").startswith(subjects.events.removesuffix(">"))


@pytest.mark.parametrize(
    "subject", ["crossdock.other.wake.inbox", "crossdock.acme.wake.", "crossdock.acme.order.x"]
)
def test_a_subject_outside_the_tenants_wake_ups_is_no_topic(subject: str) -> None:
    with pytest.raises(ValueError, match="not a wake-up subject"):
        Subjects("acme").topic_of(subject)


def test_a_topic_with_an_empty_part_is_refused() -> None:
    with pytest.raises(ValueError, match="empty part"):
        Subjects("acme").wake("delivery:")


@pytest.mark.parametrize("tenant", ["", "Acme", "acme.eu", "acme eu", "a*", ">", "-acme"])
def test_a_tenant_that_cannot_be_a_subject_token_fails_at_start_naming_the_key(
    tenant: str,
) -> None:
    with pytest.raises(ConfigurationError, match=r"broker\.tenant"):
        Subjects(tenant)
