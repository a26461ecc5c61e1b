"""``/partners``, ``/keys``, ``/audit`` and ``/me``: who may call the API, for operators.

Admins register partners (with the customers whose data they may reach), issue keys with scopes
(the secret is in the answer once and never again), rotate a key with an overlap window during
which the old one still works, revoke keys, and read the audit log. Any caller may ask ``/me``
who the hub takes it for. The same operations are on the CLI (``crossdock partners …``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from crossdock.integration.access.principal import Scope, parse_scopes
from crossdock.integration.access.records import (
    AccessError,
    ApiKey,
    AuditEntry,
    AuditQuery,
    Partner,
)
from crossdock.integration.access.store import scope_names
from crossdock.integration.api.auth import Access, Authenticated, require
from crossdock.integration.api.problems import API_RESPONSES, ApiProblem, problem_doc
from crossdock.integration.api.schemas import RequestDocument
from crossdock.orchestration.intake import FieldProblem

_MISSING: dict[int | str, dict[str, object]] = {404: problem_doc("No such partner or key")}
T = TypeVar("T")
ScopeName = Annotated[str, Field(description="A scope: " + ", ".join(s.value for s in Scope))]


class NewPartner(RequestDocument):
    """A partner to register."""

    partner_id: str = Field(min_length=1, max_length=48, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = ""
    customer_ids: list[str] = Field(default_factory=list)
    """The customers whose orders and master data the partner may reach."""
    admin: bool = False
    """An operator partner: may hold the ``admin`` scope."""
    rate_limit: str = ""
    """Requests per key (``120/minute``); empty: the hub's default."""


class NewKey(RequestDocument):
    """A key to issue."""

    scopes: list[ScopeName] = Field(min_length=1)
    label: str = ""
    expires_at: AwareDatetime | None = None
    """When the key stops working; none: never — or, with ``rotate``, as long after now as the
    rotated key was set to live (created to expiry)."""
    rotate: str | None = None
    """A key of the same partner to replace: it keeps working for ``overlap_hours`` more."""
    overlap_hours: float = Field(default=24, ge=0, le=24 * 30)

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        parse_scopes(scopes)
        return scopes


class PartnerView(BaseModel):
    """A partner as the API shows it."""

    partner_id: str
    name: str
    customer_ids: list[str]
    admin: bool
    rate_limit: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def of(cls, partner: Partner) -> PartnerView:
        """The view of a stored partner."""
        return cls(
            partner_id=partner.partner_id,
            name=partner.name,
            customer_ids=sorted(partner.customer_ids),
            admin=partner.admin,
            rate_limit=partner.rate_limit,
            created_at=partner.created_at,
            disabled_at=partner.disabled_at,
        )


class KeyView(BaseModel):
    """A key as the API shows it: never its secret."""

    key_id: str
    """The visible prefix of the key."""
    partner_id: str
    scopes: list[str]
    label: str
    state: str
    """``active``, ``expiring`` (rotated, inside its overlap), ``expired`` or ``revoked``."""
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_from: str

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> KeyView:
        """The view of a stored key."""
        return cls(
            key_id=key.key_id,
            partner_id=key.partner_id,
            scopes=scope_names(key.scopes),
            label=key.label,
            state=key.state(now),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            last_used_from=key.last_used_from,
        )


class IssuedKeyView(KeyView):
    """A key just issued, with its secret: shown this once, stored nowhere."""

    secret: str


class AuditEntryView(BaseModel):
    """One entry of the audit log."""

    audit_id: int
    at: datetime
    partner_id: str
    key_id: str
    action: str
    target: str
    outcome: str
    remote: str
    detail: dict[str, object]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryView:
        """The view of an audit entry."""
        return cls(
            audit_id=entry.audit_id,
            at=entry.at,
            partner_id=entry.partner_id,
            key_id=entry.key_id,
            action=entry.action,
            target=entry.target,
            outcome=entry.outcome,
            remote=entry.remote,
            detail=dict(entry.detail),
        )


class AuditPage(BaseModel):
    """A page of the audit log, newest first."""

    items: list[AuditEntryView]
    next: int | None
    """Pass as ``before`` for the next page; null on the last page."""


class Me(BaseModel):
    """Who the hub takes the caller for."""

    partner_id: str
    key_id: str
    scopes: list[str]
    customer_ids: list[str]
    via: str


def _problem(error: AccessError) -> ApiProblem:
    errors = [FieldProblem(error.field, str(error))] if error.field else []
    return ApiProblem(error.status, str(error), slug="access", errors=errors)


async def _call(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``fn`` on a worker thread; an AccessError becomes the problem it describes."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))
    except AccessError as error:
        raise _problem(error) from None


def partners_router() -> APIRouter:
    """The partner, key and audit routes (admin), and ``/me`` (any caller)."""
    router = APIRouter(tags=["partners"], responses=API_RESPONSES)
    admin = [Depends(require(Scope.ADMIN))]

    @router.get("/me")
    async def me(caller: Authenticated) -> Me:
        """The partner, key and scopes of the credential this request carries."""
        return Me(
            partner_id=caller.partner_id,
            key_id=caller.key_id,
            scopes=scope_names(caller.scopes),
            customer_ids=sorted(caller.customer_ids),
            via=caller.via,
        )

    @router.post(
        "/partners",
        status_code=HTTPStatus.CREATED,
        dependencies=admin,
        responses={409: problem_doc("The partner id is taken")},
    )
    async def add_partner(body: NewPartner, access: Access, response: Response) -> PartnerView:
        """Register a partner."""
        partner: Partner = await _call(
            access.add_partner,
            body.partner_id,
            name=body.name,
            customer_ids=body.customer_ids,
            admin=body.admin,
            rate_limit=body.rate_limit,
        )
        response.headers["Location"] = f"/api/v1/partners/{partner.partner_id}"
        return PartnerView.of(partner)

    @router.get("/partners", dependencies=admin)
    async def list_partners(access: Access) -> list[PartnerView]:
        """Every partner."""
        partners: list[Partner] = await _call(access.partners)
        return [PartnerView.of(partner) for partner in partners]

    @router.get("/partners/{partner_id}", dependencies=admin, responses=_MISSING)
    async def get_partner(partner_id: str, access: Access) -> PartnerView:
        """One partner."""
        return PartnerView.of(await _call(access.partner, partner_id))

    @router.post("/partners/{partner_id}/disable", dependencies=admin, responses=_MISSING)
    async def disable_partner(partner_id: str, access: Access) -> PartnerView:
        """Cut a partner off: its keys and tokens are revoked and its webhook subscriptions stop.
        Its orders and data stay."""
        return PartnerView.of(await _call(access.disable_partner, partner_id))

    @router.post(
        "/partners/{partner_id}/keys",
        status_code=HTTPStatus.CREATED,
        dependencies=admin,
        responses=_MISSING,
    )
    async def create_key(
        partner_id: str, body: NewKey, access: Access, response: Response
    ) -> IssuedKeyView:
        """Issue a key. Its ``secret`` is in this answer only: store it now."""
        # Never cached, and never kept as an idempotent replay: the secret exists only here.
        response.headers["Cache-Control"] = "no-store"
        issued = await _call(
            access.create_key,
            partner_id,
            parse_scopes(body.scopes),
            label=body.label,
            expires_at=body.expires_at,
            rotate=body.rotate,
            overlap=timedelta(hours=body.overlap_hours),
        )
        view = KeyView.of(issued.key, access.clock.now())
        return IssuedKeyView(**view.model_dump(), secret=issued.secret)

    @router.get("/partners/{partner_id}/keys", dependencies=admin, responses=_MISSING)
    async def list_keys(partner_id: str, access: Access) -> list[KeyView]:
        """A partner's keys, oldest first (never their secrets)."""
        await _call(access.partner, partner_id)
        keys: list[ApiKey] = await _call(access.keys, partner_id)
        now = access.clock.now()
        return [KeyView.of(key, now) for key in keys]

    @router.post("/keys/{key_id}/revoke", dependencies=admin, responses=_MISSING)
    async def revoke_key(key_id: str, access: Access) -> KeyView:
        """Revoke a key now, with every token issued to it."""
        key: ApiKey = await _call(access.revoke_key, key_id)
        return KeyView.of(key, access.clock.now())

    @router.get("/audit", dependencies=admin)
    async def read_audit(
        access: Access,
        partner: str | None = None,
        key: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
        before: Annotated[int | None, Query(description="The `next` of a page")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> AuditPage:
        """The audit log, newest first: who did what, when, from where, and how it ended."""
        query = AuditQuery(
            partner_id=partner,
            key_id=key,
            action=action,
            outcome=outcome,
            since=since,
            until=until,
            before=before,
            limit=limit + 1,
        )
        entries: list[AuditEntry] = await _call(access.audit, query)
        page = entries[:limit]
        return AuditPage(
            items=[AuditEntryView.of(entry) for entry in page],
            next=page[-1].audit_id if len(entries) > limit else None,
        )

    return router
