"""Routing rules: first match wins, empty criteria match anything, a default catches the rest."""

from __future__ import annotations

import pytest

from crossdock.core.errors import ConfigurationError
from crossdock.core.routing import DEFAULT_RULE, RouteDecision, RoutingRule, RoutingTable

TABLE = RoutingTable.of(
    [
        RoutingRule(name="entity-A-west", system="cloud_erp", legal_entity="A", region="WEST"),
        RoutingRule(name="entity-A", system="legacy_erp", legal_entity="A"),
        RoutingRule(name="wh-eu", system="eu_erp", fulfilment_source="WH-EU"),
    ],
    default_system="cloud_erp",
)


def route(legal_entity: str = "", region: str = "", source: str = "") -> RouteDecision:
    return TABLE.route(legal_entity=legal_entity, region=region, fulfilment_source=source)


def test_the_first_matching_rule_wins() -> None:
    assert route("A", "WEST") == RouteDecision(system="cloud_erp", rule="entity-A-west")
    assert route("A", "EAST") == RouteDecision(system="legacy_erp", rule="entity-A")


def test_a_rule_matches_only_when_every_named_criterion_matches() -> None:
    assert route("B", "WEST", "WH1").rule == DEFAULT_RULE
    assert route("B", "EAST", "WH-EU") == RouteDecision(system="eu_erp", rule="wh-eu")


def test_a_rule_with_no_criteria_matches_every_order() -> None:
    catch_all = RoutingRule(name="everything", system="legacy_erp")
    assert catch_all.matches(legal_entity="X", region="Y", fulfilment_source="Z")
    table = RoutingTable.of([catch_all], default_system="cloud_erp")
    assert table.route(legal_entity="", region="", fulfilment_source="").rule == "everything"


def test_an_order_no_rule_matches_goes_to_the_default_system() -> None:
    assert route("C", "NORTH", "WH9") == RouteDecision(system="cloud_erp", rule="default")


def test_duplicate_rule_names_are_refused_naming_the_setting() -> None:
    rules = [
        RoutingRule(name="same", system="a"),
        RoutingRule(name="other", system="b"),
        RoutingRule(name="same", system="c"),
    ]
    with pytest.raises(ConfigurationError, match=r"duplicate rule names \['same'\]") as refused:
        RoutingTable.of(rules, default_system="a")
    assert refused.value.key == "routing.rules"


def test_a_table_without_a_default_system_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        RoutingTable.of([], default_system="")
    assert refused.value.key == "routing.default_system"
