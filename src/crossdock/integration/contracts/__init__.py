"""Event contracts: the registry of the business events crossdock publishes (ARCHITECTURE D6).

::

    order_events.py    the data model of each order event, as the workflow emits it
    registry.py        EventContract, ContractRegistry, ORDER_EVENTS, validation of an event's data
    snapshot.py        the snapshot document committed as docs/api/events.json
    compatibility.py   breaking and compatible changes between two snapshots (pure functions)
    asyncapi.py        the AsyncAPI 3.0 document committed as docs/api/asyncapi.json
    published.py       the committed files, reviewed against the registry and refreshed
"""

from .compatibility import Change, compare, compare_schemas
from .published import PublishedContracts, Review
from .registry import ORDER_EVENTS, ContractRegistry, ContractViolation, EventContract

__all__ = [
    "ORDER_EVENTS",
    "Change",
    "ContractRegistry",
    "ContractViolation",
    "EventContract",
    "PublishedContracts",
    "Review",
    "compare",
    "compare_schemas",
]
