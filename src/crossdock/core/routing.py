"""Routing rules: which ERP owns the financial transaction of an order.

Rules are evaluated in order and the first match wins; a rule matches when every criterion it
names equals the order's value (an empty criterion matches anything). When none matches, the
default system owns the order. The rule that matched is recorded on the order.
"""

from __future__ import annotations

from collections.abc import Sequence

from crossdock.core.errors import ConfigurationError
from crossdock.core.value import Value

DEFAULT_RULE = "default"


class RoutingRule(Value):
    """One rule of the routing table."""

    name: str
    system: str
    """The ERP that owns orders this rule matches."""
    legal_entity: str = ""
    region: str = ""
    fulfilment_source: str = ""

    def matches(self, *, legal_entity: str, region: str, fulfilment_source: str) -> bool:
        """True when every criterion this rule names equals the order's value."""
        return (
            (not self.legal_entity or self.legal_entity == legal_entity)
            and (not self.region or self.region == region)
            and (not self.fulfilment_source or self.fulfilment_source == fulfilment_source)
        )


class RouteDecision(Value):
    """The outcome of routing: the owning system and the rule that chose it."""

    system: str
    rule: str
    """The name of the rule that matched, or ``default``."""


class RoutingTable(Value):
    """An ordered list of rules with a default system."""

    rules: tuple[RoutingRule, ...] = ()
    default_system: str

    @classmethod
    def of(cls, rules: Sequence[RoutingRule], default_system: str) -> RoutingTable:
        """Build a table, refusing duplicate rule names (they would make the timeline ambiguous)."""
        names = [rule.name for rule in rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigurationError("routing.rules", f"duplicate rule names {duplicates}")
        if not default_system:
            raise ConfigurationError("routing.default_system", "a default system is required")
        return cls(rules=tuple(rules), default_system=default_system)

    def route(self, *, legal_entity: str, region: str, fulfilment_source: str) -> RouteDecision:
        """The first matching rule's system, or the default."""
        for rule in self.rules:
            if rule.matches(
                legal_entity=legal_entity, region=region, fulfilment_source=fulfilment_source
            ):
                return RouteDecision(system=rule.system, rule=rule.name)
        return RouteDecision(system=self.default_system, rule=DEFAULT_RULE)
