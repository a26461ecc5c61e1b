from typing import Any

from crossdock.sandbox.reject_rule import Rejection, RejectRule, first_rejection

ORDER: dict[str, Any] = {
    "externalReference": "ORD-1",
    "shipTo": {"postalCode": "00000", "residential": True, "floor": 0},
    "lines": [{"itemNumber": "SKU-1", "quantity": "2"}, {"itemNumber": "SKU-2", "quantity": 2}],
}


def rule(field: str, equals: Any, message: str | None = None) -> RejectRule:
    return RejectRule(field=field, equals=equals, message=message)


def test_a_rule_names_the_concrete_path_and_words_the_field_from_its_last_segment() -> None:
    assert rule("shipTo.postalCode", "00000").match(ORDER) == Rejection(
        field="shipTo.postalCode", message="shipTo.postalCode 00000 is not a valid postal code"
    )
    assert rule("lines.*.quantity", 2).match(ORDER) == Rejection(
        field="lines.1.quantity", message="lines.1.quantity 2 is not a valid quantity"
    )


def test_values_compare_as_json_so_strings_numbers_and_booleans_never_mix() -> None:
    assert rule("shipTo.postalCode", 0).match(ORDER) is None
    assert rule("shipTo.floor", False).match(ORDER) is None
    assert rule("shipTo.residential", 1).match(ORDER) is None
    assert rule("shipTo.residential", True).match(ORDER) is not None
    assert rule("lines.0.quantity", 2).match(ORDER) is None
    assert rule("lines.0.quantity", "2").match(ORDER) is not None


def test_a_path_the_body_does_not_have_matches_nothing() -> None:
    for path in ("shipTo.postal_code", "lines.5.itemNumber", "lines.x.itemNumber", "a.b.c"):
        assert rule(path, "00000").match(ORDER) is None


def test_the_first_matching_rule_in_configuration_order_wins() -> None:
    rules = [rule("externalReference", "ORD-2"), rule("lines.*.itemNumber", "SKU-2", "blocked")]

    assert first_rejection(rules, ORDER) == Rejection(field="lines.1.itemNumber", message="blocked")
    assert first_rejection(rules[:1], ORDER) is None
