"""FastAPI dependencies: what a route may ask for, taken from the app's state.

The composition root puts the desks on ``app.state`` through :func:`create_app`; nothing here reads
the environment or opens a connection.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Request

from crossdock.orchestration.exception_desk import ExceptionDesk
from crossdock.orchestration.intake import OrderDesk
from crossdock.orchestration.system_desk import SystemsDesk

D = TypeVar("D")


def _state(request: Request, name: str, kind: type[D]) -> D:
    desk = getattr(request.app.state, name, None)
    if not isinstance(desk, kind):
        raise TypeError(f"app.state.{name} is not a {kind.__name__}; build the app with create_app")
    return desk


def get_desk(request: Request) -> OrderDesk:
    """The order desk the app was built with."""
    return _state(request, "desk", OrderDesk)


def get_exception_desk(request: Request) -> ExceptionDesk:
    """The exception desk the app was built with."""
    return _state(request, "exceptions", ExceptionDesk)


def get_systems_desk(request: Request) -> SystemsDesk:
    """The systems desk the app was built with."""
    return _state(request, "systems", SystemsDesk)


Desk = Annotated[OrderDesk, Depends(get_desk)]
"""A route parameter annotated ``Desk`` receives the order desk."""

Exceptions = Annotated[ExceptionDesk, Depends(get_exception_desk)]
"""A route parameter annotated ``Exceptions`` receives the exception desk."""

Systems = Annotated[SystemsDesk, Depends(get_systems_desk)]
"""A route parameter annotated ``Systems`` receives the systems desk."""
