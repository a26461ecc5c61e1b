"""The AsyncAPI 3.0 document describes every contract, on the subjects crossdock publishes to,
and every reference in it resolves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs

from crossdock.integration.contracts import ORDER_EVENTS
from crossdock.integration.contracts.asyncapi import asyncapi_document
from crossdock.integration.transport.cloudevents import attribute_headers, to_cloudevent
from crossdock.integration.transport.subjects import Subjects
from crossdock.orchestration.store import OutboxRecord

DOCUMENT = asyncapi_document(ORDER_EVENTS)


def resolve(ref: str) -> Any:
    """Follow a local ``#/a/b`` reference in the document (KeyError when it dangles)."""
    assert ref.startswith("#/"), ref
    node: Any = DOCUMENT
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def test_the_document_has_the_required_top_level_fields() -> None:
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert DOCUMENT["info"]["title"]
    assert DOCUMENT["info"]["version"]
    assert DOCUMENT["defaultContentType"] == "application/cloudevents+json"


def test_every_reference_resolves() -> None:
    refs = references(DOCUMENT)

    assert refs
    for ref in refs:
        assert resolve(ref) is not None


def test_every_contract_has_a_message_on_one_channel_and_a_send_operation() -> None:
    sent = {
        ref["$ref"]
        for operation in DOCUMENT["operations"].values()
        for ref in operation["messages"]
    }

    for contract in ORDER_EVENTS:
        message = DOCUMENT["components"]["messages"][contract.type]
        assert message["name"] == contract.type
        [channel_id] = [
            channel_id
            for channel_id, channel in DOCUMENT["channels"].items()
            if {"$ref": f"#/components/messages/{contract.type}"} in channel["messages"].values()
        ]
        assert f"#/channels/{channel_id}/messages/{contract.type}" in sent


def test_every_operation_sends_only_messages_of_its_own_channel() -> None:
    for operation in DOCUMENT["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(f"{channel_ref}/messages/")


def test_channel_addresses_are_the_subjects_the_transport_publishes_to() -> None:
    subjects = Subjects("acme")

    for contract in ORDER_EVENTS:
        [channel] = [c for c in DOCUMENT["channels"].values() if contract.type in c["messages"]]
        assert channel["address"].replace("{tenant}", "acme") == subjects.event(contract.type)
        assert set(channel["parameters"]) == {"tenant"}


def test_a_published_cloudevent_and_its_headers_match_the_message_schemas() -> None:
    record = OutboxRecord(
        seq=42,
        event_id="evt-1",
        order_id="O-1",
        type="crossdock.order.routed.v1",
        data={"order_id": "O-1", "status": "routed", "system": "legacy_erp", "rule": "entity-A"},
        created_at=datetime(2025, 3, 4, 9, 30, tzinfo=UTC),
        causation_id="msg-7",
    )
    envelope = to_cloudevent(record)
    message = DOCUMENT["components"]["messages"]["crossdock.order.routed.v1"]
    payload = {**message["payload"], "components": DOCUMENT["components"]}
    headers = {**attribute_headers(envelope), "Content-Type": "application/cloudevents+json"}

    assert list(jsonschema_rs.validator_for(payload).iter_errors(envelope)) == []
    assert list(jsonschema_rs.validator_for(message["headers"]).iter_errors(headers)) == []
    wrong = {**envelope, "data": {**envelope["data"], "system": 7}}
    assert list(jsonschema_rs.validator_for(payload).iter_errors(wrong)) != []
