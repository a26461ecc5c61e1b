"""The console's partners pages: who may call the partner API, with which keys, and what an admin
does about it — register a partner, issue, rotate and revoke its keys, disable it.

Every read and change goes through the
:class:`~crossdock.integration.access.store.AccessStore` the CLI (``crossdock partners``) and the
admin API (``/api/v1/partners``) use, so the console holds to the same rules: partner ids,
scopes (``admin`` only for an admin partner), expiry, rotation. Every action writes one audit
entry (``console.partner.add``, ``console.partner.disable``,
``console.partner.key.create|rotate|revoke``), refused ones with outcome ``refused``.

A new key's secret exists in one place: the answer to the form that made it, sent with
``Cache-Control: no-store`` and kept out of htmx's history cache. It is never logged, audited
or stored; the hub keeps only its hash.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from crossdock.integration.access.principal import SCOPE_DESCRIPTIONS, Scope
from crossdock.integration.access.records import AccessError, ApiKey, IssuedKey, Partner
from crossdock.integration.access.store import scope_names
from crossdock.integration.subscriptions.store import SubscriptionStore
from crossdock.visibility.console.partner_forms import DEFAULT_OVERLAP_HOURS, KeyDraft, PartnerDraft
from crossdock.visibility.console.session import Operator
from crossdock.visibility.console.views import ConsoleViews

FLASHES = {
    "added": "Partner registered. Issue it a key below.",
    "revoked": "Revoked: the key and every token issued to it stop working now.",
    "disabled": "Disabled: its keys and tokens are revoked and its webhook subscriptions stopped.",
}
"""What the page says after an action (the action's redirect names one by key)."""

_FORM_FIELDS = {"expires_at": "expires_in_days"}
"""The store's field names that the forms call otherwise."""


def partner_routes(router: APIRouter, views: ConsoleViews) -> None:
    """Add the partner pages and actions to the console's ``router``."""
    access = views.access
    # Subscriptions live in the access store's database: disabling a partner stops them there.
    subscriptions = SubscriptionStore(access.engine, access.clock)

    async def list_page(
        operator: Operator,
        *,
        status_code: int = 200,
        draft: PartnerDraft | None = None,
        errors: dict[str, str] | None = None,
        flash: str = "",
    ) -> Response:
        partners = await views.call(access.partners)
        keys = await views.call(access.keys)
        now = access.clock.now()
        key_states: dict[str, dict[str, int]] = {}
        for key in keys:
            states = key_states.setdefault(key.partner_id, {})
            states[key.state(now)] = states.get(key.state(now), 0) + 1
        return views.page(
            "partners.html",
            operator,
            status_code=status_code,
            partners=partners,
            key_states=key_states,
            draft=draft or PartnerDraft(),
            errors=errors or {},
            flash=flash,
        )

    async def partner_page(
        operator: Operator,
        partner: Partner,
        *,
        status_code: int = 200,
        draft: KeyDraft | None = None,
        errors: dict[str, str] | None = None,
        flash: str = "",
    ) -> Response:
        keys = await views.call(access.keys, partner.partner_id)
        its_subscriptions = await views.call(subscriptions.subscriptions, partner.partner_id)
        now = access.clock.now()
        return views.page(
            "partner.html",
            operator,
            status_code=status_code,
            partner=partner,
            keys=[(key, key.state(now)) for key in reversed(keys)],
            subscriptions=its_subscriptions,
            scopes=[
                (scope.value, SCOPE_DESCRIPTIONS[scope])
                for scope in Scope
                if partner.admin or scope is not Scope.ADMIN
            ],
            draft=draft or KeyDraft(),
            errors=errors or {},
            flash=flash,
            default_overlap=f"{DEFAULT_OVERLAP_HOURS:g}",
        )

    async def refused(
        request: Request,
        operator: Operator,
        action: str,
        error: AccessError,
        target: str,
        **detail: Any,
    ) -> None:
        await views.audit(
            request,
            operator,
            action,
            outcome="refused",
            target=target,
            error=str(error),
            field=error.field,
            **detail,
        )

    # ------------------------------------------------------------------ partners

    @router.get("/partners")
    async def partners_page(request: Request, flash: str = "") -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        return await list_page(operator, flash=FLASHES.get(flash, ""))

    @router.post("/partners")
    async def add_partner(request: Request) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        draft = PartnerDraft.of(form)
        try:
            partner = await views.call(
                access.add_partner,
                draft.partner_id,
                name=draft.name,
                customer_ids=draft.customer_ids,
                admin=draft.admin,
                rate_limit=draft.rate_limit,
            )
        except AccessError as error:
            await refused(request, operator, "console.partner.add", error, draft.partner_id)
            return await list_page(
                operator,
                status_code=error.status,
                draft=draft,
                errors={error.field: str(error)},
            )
        await views.audit(
            request,
            operator,
            "console.partner.add",
            target=partner.partner_id,
            admin=partner.admin,
            customers=sorted(partner.customer_ids),
            rate_limit=partner.rate_limit,
        )
        return views.go(request, f"/partners/{partner.partner_id}", flash="added")

    @router.get("/partners/{partner_id}")
    async def partner_view(request: Request, partner_id: str, flash: str = "") -> Response:
        operator = await views.operator(request)
        if operator is None:
            return views.login_redirect(request)
        try:
            partner = await views.call(access.partner, partner_id)
        except AccessError:
            return _missing(views, operator, "partner", partner_id)
        return await partner_page(operator, partner, flash=FLASHES.get(flash, ""))

    @router.post("/partners/{partner_id}/disable")
    async def disable_partner(request: Request, partner_id: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        action = "console.partner.disable"
        try:
            partner = await views.call(access.partner, partner_id)
            if partner_id == operator.partner_id:
                raise AccessError(
                    f"you are logged in with a key of {partner_id!r}: disabling it would revoke "
                    "that key and end this session; disable it from another admin partner",
                    field="partner_id",
                    status=409,
                )
            if not form.checked("confirm"):
                raise AccessError("tick the box to confirm", field="confirm")
            await views.call(access.disable_partner, partner_id)
        except AccessError as error:
            await refused(request, operator, action, error, partner_id)
            if error.status == 404:
                return _missing(views, operator, "partner", partner_id)
            return await partner_page(
                operator, partner, status_code=error.status, errors={error.field: str(error)}
            )
        await views.audit(request, operator, action, target=partner_id)
        return views.go(request, f"/partners/{partner_id}", flash="disabled")

    # ------------------------------------------------------------------ keys

    @router.post("/partners/{partner_id}/keys")
    async def create_key(request: Request, partner_id: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        draft = KeyDraft.of(form)
        action = "console.partner.key.create"
        try:
            partner = await views.call(access.partner, partner_id)
            issued = await views.call(
                access.create_key,
                partner_id,
                draft.scopes,
                label=draft.label,
                expires_at=draft.expires_at(access.clock.now()),
            )
        except AccessError as error:
            await refused(request, operator, action, error, partner_id)
            if error.status == 404:
                return _missing(views, operator, "partner", partner_id)
            field = _FORM_FIELDS.get(error.field, error.field)
            return await partner_page(
                operator, partner, status_code=error.status, draft=draft, errors={field: str(error)}
            )
        await views.audit(request, operator, action, target=partner_id, **_described(issued.key))
        return _shown_once(views, operator, partner, issued)

    @router.post("/partners/{partner_id}/keys/{key_id}/rotate")
    async def rotate_key(request: Request, partner_id: str, key_id: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, form = checked
        draft = KeyDraft.of(form)
        action = "console.partner.key.rotate"
        try:
            partner, old = await _partner_and_key(views, partner_id, key_id)
            overlap = draft.overlap()
            # No days given: the store gives the new key the old one's lifetime, from now.
            issued = await views.call(
                access.create_key,
                partner_id,
                old.scopes,
                label=old.label,
                expires_at=draft.expires_at(access.clock.now()),
                rotate=key_id,
                overlap=overlap,
            )
        except AccessError as error:
            await refused(request, operator, action, error, key_id, partner=partner_id)
            if error.status == 404:
                return _missing(views, operator, "key", f"{partner_id}/{key_id}")
            return await partner_page(
                operator,
                partner,
                status_code=error.status,
                errors={"rotate": f"{key_id}: {error}"},
            )
        await views.audit(
            request,
            operator,
            action,
            target=key_id,
            partner=partner_id,
            overlap_hours=overlap.total_seconds() / 3600,
            **_described(issued.key),
        )
        return _shown_once(views, operator, partner, issued, rotated=key_id, overlap=overlap)

    @router.post("/partners/{partner_id}/keys/{key_id}/revoke")
    async def revoke_key(request: Request, partner_id: str, key_id: str) -> Response:
        checked = await views.action(request)
        if isinstance(checked, Response):
            return checked
        operator, _ = checked
        action = "console.partner.key.revoke"
        try:
            await _partner_and_key(views, partner_id, key_id)
            await views.call(access.revoke_key, key_id)
        except AccessError as error:
            await refused(request, operator, action, error, key_id, partner=partner_id)
            return _missing(views, operator, "key", f"{partner_id}/{key_id}")
        await views.audit(request, operator, action, target=key_id, partner=partner_id)
        return views.go(request, f"/partners/{partner_id}", flash="revoked")


async def _partner_and_key(
    views: ConsoleViews, partner_id: str, key_id: str
) -> tuple[Partner, ApiKey]:
    """The partner and one of its keys; AccessError (404) when either is missing, or the key is
    another partner's."""
    partner = await views.call(views.access.partner, partner_id)
    key = await views.call(views.access.key, key_id)
    if key.partner_id != partner_id:
        raise AccessError(
            f"partner {partner_id!r} has no key {key_id!r}", field="key_id", status=404
        )
    return partner, key


def _described(key: ApiKey) -> dict[str, Any]:
    """A new key as its audit entry names it: never its secret."""
    return {
        "key_id": key.key_id,
        "scopes": scope_names(key.scopes),
        "label": key.label,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
    }


def _shown_once(
    views: ConsoleViews,
    operator: Operator,
    partner: Partner,
    issued: IssuedKey,
    *,
    rotated: str = "",
    overlap: timedelta | None = None,
) -> Response:
    """The page that shows a new key's secret, this once: never cached, never stored."""
    response = views.page(
        "partner_key.html",
        operator,
        status_code=201,
        partner=partner,
        key=issued.key,
        scopes=scope_names(issued.key.scopes),
        secret=issued.secret,
        rotated=rotated,
        overlap_hours=f"{overlap.total_seconds() / 3600:g}" if overlap is not None else "",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _missing(views: ConsoleViews, operator: Operator, what: str, name: str) -> Response:
    return views.page(
        "error.html",
        operator,
        status_code=404,
        title=f"No such {what}",
        message=f"No {what} is called {name!r}.",
    )
