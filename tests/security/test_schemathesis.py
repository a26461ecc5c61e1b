"""Schemathesis against the OpenAPI document the hub serves: no request, valid or not, makes the
hub fail (5xx), and every answer is one the document declares — its status code, its media type
and its body's schema.

The hub is the whole one ``build_hub`` wires, with two partners, their orders and subscriptions
(:mod:`.two_partners`), called in process as an operator and as partner ``south``. Path
parameters are drawn at random and also set to objects that exist, so success answers are
checked as well as 404s. Generation is derandomized and small per operation, so the run is
reproducible and fits ``make test``.

The operations come from :data:`.route_guards.RULES`, which the OWASP suite holds equal to the
served document. (Schemathesis' own ``from_fixture`` parametrization does not run under pytest 9,
so each operation is one pytest case here, running Hypothesis over schemathesis' strategy.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from credentials import bearer

from .route_guards import RULES, Operation
from .two_partners import TwoPartners, build_two_partners

OPENAPI = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
UNLIMITED = "1000000/minute"
EXAMPLES = 10
"""Hypothesis examples per operation and generation mode."""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> TwoPartners:
    """The hub under test (built on its own event loop: schemathesis calls it synchronously)."""
    directory = Path(tmp_path_factory.mktemp("schemathesis"))
    # The run makes more requests a minute than a partner should: 429s would hide the rest.
    return asyncio.run(build_two_partners(directory, rate_limit=UNLIMITED))


@pytest.fixture(scope="module")
def served(hub: TwoPartners) -> Any:
    """The OpenAPI document the hub serves, loaded by schemathesis and bound to the hub's app."""
    return schemathesis.openapi.from_asgi(OPENAPI, hub.hub.app)


def existing_objects(hub: TwoPartners) -> dict[str, str]:
    """Path values naming objects that exist."""
    return {
        "order_id": hub.north.order_id,
        "customer_id": hub.north.customer_id,
        "subscription_id": hub.north.subscription_id,
        "sku": "BOLT",
        "partner_id": hub.north.partner_id,
        "key_id": hub.north.key[:16],
        "name": "cloud_erp",
    }


@pytest.mark.parametrize("caller", ["operator", "partner"])
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
@pytest.mark.parametrize(
    "operation",
    [pytest.param(operation, id=" ".join(operation)) for operation in sorted(RULES)],
)
def test_the_hub_answers_every_request_as_its_openapi_document_declares(
    operation: Operation, mode: GenerationMode, caller: str, hub: TwoPartners, served: Any
) -> None:
    method, path = operation
    api_operation = served[path][method]
    known = {name: value for name, value in existing_objects(hub).items() if f"{{{name}}}" in path}
    strategy = api_operation.as_strategy(generation_mode=mode)
    if known:
        strategy = st.one_of(strategy, api_operation.as_strategy(mode, path_parameters=known))
    # Schemathesis fills the declared credential headers with made-up keys; present the
    # caller's key in both, so requests reach the operation rather than a 401.
    key = hub.admin if caller == "operator" else hub.south.key
    headers = {**bearer(key), "X-API-Key": key}

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_declared(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        answers_as_declared()
    except Unsatisfiable:
        # Nothing in the document constrains the request (a raw body, say): no invalid one exists.
        assert mode is GenerationMode.NEGATIVE
        pytest.skip(f"no request to {method} {path} can violate its schema")
