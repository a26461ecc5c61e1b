"""FastAPI dependencies: what a route may ask for, taken from the app's state.

The composition root puts the desk on ``app.state`` through :func:`create_app`; nothing here reads
the environment or opens a connection.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crossdock.orchestration.intake import OrderDesk


def get_desk(request: Request) -> OrderDesk:
    """The order desk the app was built with."""
    desk = request.app.state.desk
    if not isinstance(desk, OrderDesk):
        raise TypeError("app.state.desk is not an OrderDesk; build the app with create_app")
    return desk


Desk = Annotated[OrderDesk, Depends(get_desk)]
"""A route parameter annotated ``Desk`` receives the order desk."""
