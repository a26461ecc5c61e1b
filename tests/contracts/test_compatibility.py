"""Which changes to a published event contract break its consumers, and which do not.

Each test crafts a published snapshot and the registry's next one, and reads the verdict.
"""

from __future__ import annotations

import copy
from typing import Any

from crossdock.integration.contracts import Change, compare

TYPE = "crossdock.order.shipment_confirmed.v1"


def entry(**schema_changes: Any) -> dict[str, Any]:
    """A published entry for ``TYPE``; ``schema_changes`` replace keys of its schema."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:crossdock:schema:order/shipment_confirmed:v1",
        "type": "object",
        "description": "The warehouse confirmed a shipment.",
        "properties": {
            "order_id": {"type": "string", "minLength": 1},
            "status": {"type": "string", "enum": ["shipped", "partially_shipped"]},
            "carrier": {"type": "string", "description": "The carrier."},
            "cartons": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["order_id", "status", "carrier"],
    }
    schema.update(schema_changes)
    return {
        "family": "order",
        "name": "shipment_confirmed",
        "version": 1,
        "owner": "order-to-cash",
        "description": "The warehouse confirmed a shipment.",
        "subject": "crossdock.{tenant}.order.shipment_confirmed",
        "dataschema": "urn:crossdock:schema:order/shipment_confirmed:v1",
        "schema": schema,
    }


def doc(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"events": {f"crossdock.order.{e['name']}.v{e['version']}": e for e in entries}}


def changed(**edit: Any) -> list[Change]:
    """The changes from the published entry to one whose schema properties are edited:
    ``edit`` maps a field to its new schema, or to ``None`` to remove it."""
    after = entry()
    properties = after["schema"]["properties"]
    for field, schema in edit.items():
        if schema is None:
            del properties[field]
        else:
            properties[field] = schema
    return compare(doc(entry()), doc(after))


def verdicts(changes: list[Change]) -> list[tuple[str, str, bool]]:
    return [(c.path, c.message, c.breaking) for c in changes]


# ------------------------------------------------------------------ breaking


def test_the_same_contract_has_no_change() -> None:
    assert compare(doc(entry()), doc(entry())) == []


def test_removing_a_published_event_type_breaks() -> None:
    [removed] = compare(doc(entry()), doc())

    assert (removed.event_type, removed.breaking) == (TYPE, True)
    assert "removed" in removed.message


def test_removing_a_field_breaks() -> None:
    assert verdicts(changed(carrier=None)) == [("data.carrier", "field removed", True)]


def test_changing_a_fields_type_breaks() -> None:
    assert verdicts(changed(carrier={"type": "integer", "description": "The carrier."})) == [
        ("data.carrier", "type changed from string to integer", True)
    ]


def test_allowing_null_in_a_field_breaks_consumers_that_expect_a_value() -> None:
    [change] = changed(carrier={"type": ["string", "null"], "description": "The carrier."})

    assert (change.path, change.breaking) == ("data.carrier", True)
    assert change.message == "type changed from string to null | string"


def test_a_new_required_field_breaks_because_published_events_lack_it() -> None:
    after = entry()
    after["schema"]["properties"]["tracking_number"] = {"type": "string"}
    after["schema"]["required"].append("tracking_number")

    assert verdicts(compare(doc(entry()), doc(after))) == [
        ("data.tracking_number", "new required field: published events lack it", True)
    ]


def test_making_an_optional_field_required_breaks() -> None:
    after = entry()
    after["schema"]["required"].append("cartons")

    [change] = compare(doc(entry()), doc(after))

    assert (change.path, change.breaking) == ("data.cartons", True)


def test_making_a_required_field_optional_breaks_consumers_that_rely_on_it() -> None:
    after = entry()
    after["schema"]["required"].remove("carrier")

    assert verdicts(compare(doc(entry()), doc(after))) == [
        ("data.carrier", "no longer required: it may be missing", True)
    ]


def test_narrowing_an_enum_breaks_published_events_that_carry_the_removed_value() -> None:
    assert verdicts(changed(status={"type": "string", "enum": ["shipped"]})) == [
        ("data.status", "enum narrowed: ['partially_shipped'] removed", True)
    ]


def test_restricting_a_free_field_to_an_enum_breaks() -> None:
    [change] = changed(carrier={"type": "string", "enum": ["UPS"], "description": "The carrier."})

    assert (change.path, change.breaking) == ("data.carrier", True)


def test_changing_an_array_items_type_breaks() -> None:
    assert verdicts(changed(cartons={"type": "array", "items": {"type": "integer"}})) == [
        ("data.cartons[]", "type changed from string to integer", True)
    ]


def test_changing_a_constraint_breaks() -> None:
    [change] = changed(order_id={"type": "string", "minLength": 1, "pattern": "^O-"})

    assert (change.path, change.breaking) == ("data.order_id", True)
    assert change.message.startswith("pattern changed")


def test_a_changed_dataschema_breaks() -> None:
    after = entry()
    after["dataschema"] = "urn:crossdock:schema:order/shipped:v1"

    [change] = compare(doc(entry()), doc(after))

    assert change.breaking
    assert change.message.startswith("dataschema changed")


def test_a_change_inside_a_nested_object_is_found_at_its_path() -> None:
    address: dict[str, Any] = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
        "required": ["city"],
    }
    before, after = entry(), entry()
    before["schema"]["properties"]["ship_to"] = address
    trimmed = copy.deepcopy(address)
    del trimmed["properties"]["zip"]
    after["schema"]["properties"]["ship_to"] = trimmed

    assert verdicts(compare(doc(before), doc(after))) == [
        ("data.ship_to.zip", "field removed", True)
    ]


# ------------------------------------------------------------------ compatible


def test_a_new_optional_field_is_compatible() -> None:
    assert verdicts(changed(tracking_number={"type": "string"})) == [
        ("data.tracking_number", "new optional field", False)
    ]


def test_a_new_enum_value_is_compatible() -> None:
    widened = {"type": "string", "enum": ["shipped", "partially_shipped", "delivered"]}

    assert verdicts(changed(status=widened)) == [
        ("data.status", "enum widened: ['delivered'] added", False)
    ]


def test_a_new_event_type_is_compatible() -> None:
    invoiced = entry() | {"name": "invoiced"}

    assert verdicts(compare(doc(entry()), doc(entry(), invoiced))) == [
        ("", "new event type", False)
    ]


def test_a_new_version_next_to_the_published_one_is_compatible() -> None:
    v2 = entry() | {"version": 2, "dataschema": "urn:crossdock:schema:order/shipment_confirmed:v2"}

    [change] = compare(doc(entry()), doc(entry(), v2))

    assert (change.event_type, change.message, change.breaking) == (
        "crossdock.order.shipment_confirmed.v2",
        "new version of a published event",
        False,
    )


def test_replacing_a_version_by_the_next_breaks_its_consumers() -> None:
    v2 = entry() | {"version": 2}

    changes = compare(doc(entry()), doc(v2))

    assert [(c.event_type, c.breaking) for c in changes] == [
        (TYPE, True),
        ("crossdock.order.shipment_confirmed.v2", False),
    ]


def test_documentation_changes_are_compatible() -> None:
    after = entry(description="The warehouse shipped it.")
    after["schema"]["properties"]["carrier"]["description"] = "Who carries it."

    changes = compare(doc(entry()), doc(after))

    assert changes
    assert not any(c.breaking for c in changes)
    assert {c.path for c in changes} == {"data", "data.carrier"}
