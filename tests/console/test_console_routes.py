"""The console over HTTP: who may log in, what every page needs, CSRF, and that pages show the
hub's real data and actions go through the desks (and the audit log)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from credentials import admin_key, partner_key
from crossdock.core.errors import PermanentError
from crossdock.core.order import OrderStatus
from crossdock.integration.access.records import AuditQuery

from .console_hub import BOOK, LEGACY, POSTAL_REFUSAL, REFUSED, SHIPPED, ConsoleHub

PAGES = (
    "/console",
    "/console/orders",
    f"/console/orders/{SHIPPED}",
    "/console/exceptions",
    "/console/systems",
    "/console/partners",
)


@pytest.fixture
async def browser(hub: ConsoleHub) -> AsyncIterator[httpx.AsyncClient]:
    """A client with a cookie jar, like a browser, not yet logged in."""
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def log_in(http: httpx.AsyncClient, key: str) -> httpx.Response:
    return await http.post("/console/login", data={"key": key, "next": "/console"})


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


@pytest.fixture
async def operator(browser: httpx.AsyncClient, hub: ConsoleHub) -> httpx.AsyncClient:
    """A browser logged in with an admin key."""
    response = await log_in(browser, admin_key(hub.access))
    assert response.status_code == 303
    return browser


# ---------------------------------------------------------------- login


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_sends_a_visitor_without_a_session_to_the_login(
    browser: httpx.AsyncClient, path: str
) -> None:
    response = await browser.get(path)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=")


async def test_an_admin_key_opens_a_strict_httponly_session_and_is_audited(
    browser: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await log_in(browser, admin_key(hub.access))

    assert (response.status_code, response.headers["location"]) == (303, "/console")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert "Max-Age=28800" in cookie
    assert (await browser.get("/console")).status_code == 200
    [entry] = hub.access.audit(AuditQuery(action="console.login"))
    assert (entry.outcome, entry.partner_id, entry.remote) == ("ok", "ops", "console")


async def test_a_wrong_key_is_refused_and_the_refusal_audited(
    browser: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    real = admin_key(hub.access)

    response = await log_in(browser, real[:-4] + "xxxx")

    assert response.status_code == 401
    assert "not accepted" in response.text
    assert (await browser.get("/console")).status_code == 303
    [entry] = hub.access.audit(AuditQuery(action="console.login"))
    assert entry.outcome == "refused"


async def test_a_partner_key_without_the_admin_scope_is_refused(
    browser: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await log_in(browser, partner_key(hub.access, "acme", ["C-A"]))

    assert response.status_code == 401
    assert (await browser.get("/console")).status_code == 303


async def test_a_forged_cookie_is_no_session(browser: httpx.AsyncClient) -> None:
    browser.cookies.set("crossdock_console", "eyJwIjoib3BzIn0.deadbeef", path="/console")

    assert (await browser.get("/console")).status_code == 303


async def test_a_session_ends_after_eight_hours(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    hub.clock.advance(timedelta(hours=7, minutes=59))
    assert (await operator.get("/console")).status_code == 200

    hub.clock.advance(timedelta(minutes=1))

    assert (await operator.get("/console")).status_code == 303


async def test_revoking_the_key_ends_its_console_session(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    [key] = hub.access.keys("ops")

    hub.access.revoke_key(key.key_id)

    assert (await operator.get("/console")).status_code == 303


async def test_login_never_sends_the_operator_off_the_console(
    browser: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await browser.post(
        "/console/login", data={"key": admin_key(hub.access), "next": "https://evil.example/"}
    )

    assert response.headers["location"] == "/console"


async def test_logout_ends_the_session(operator: httpx.AsyncClient) -> None:
    token = csrf_of(await operator.get("/console"))

    response = await operator.post("/console/logout", data={"csrf": token})

    assert response.status_code == 303
    assert (await operator.get("/console")).status_code == 303


# ---------------------------------------------------------------- CSRF


async def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    response = await operator.post("/console/systems/wms/pause", data={"reason": "forged"})

    assert response.status_code == 403
    assert not hub.systems.get("wms").paused
    [entry] = hub.access.audit(AuditQuery(action="console.csrf"))
    assert entry.outcome == "refused"


async def test_a_token_of_another_session_is_refused(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    transport = httpx.ASGITransport(app=hub.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await log_in(other, admin_key(hub.access))
        foreign = csrf_of(await other.get("/console/systems"))

    response = await operator.post("/console/systems/wms/pause", data={"csrf": foreign})

    assert response.status_code == 403
    assert not hub.systems.get("wms").paused


# ---------------------------------------------------------------- pages


async def test_the_overview_counts_orders_by_status_open_exceptions_and_backlog(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()

    page = (await operator.get("/console")).text

    assert re.search(r'id="kpi-orders"><div class="n">2<', page)
    assert re.search(r'id="kpi-open-exceptions"><div class="n">1<', page)
    assert re.search(r'data-status="closed"><div class="n">1<', page)
    assert re.search(r'data-status="on_hold"><div class="n">1<', page)
    assert 'data-system="legacy_erp"' in page


@pytest.mark.parametrize(
    "q", [f"PO-{SHIPPED}", f"#{SHIPPED}", SHIPPED, f"SO-{SHIPPED}", "INV-S-0", "1Z-S-0"]
)
async def test_an_order_is_found_by_any_of_its_numbers(
    operator: httpx.AsyncClient, hub: ConsoleHub, q: str
) -> None:
    await hub.demo()

    page = (await operator.get("/console/orders", params={"q": q})).text

    assert f'data-order="{SHIPPED}"' in page
    assert f'data-order="{REFUSED}"' not in page


async def test_an_unknown_search_finds_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()

    page = (await operator.get("/console/orders", params={"q": "PO-NOPE"})).text

    assert "data-order=" not in page
    assert "No order matches" in page


async def test_the_order_page_draws_a_lane_per_system_and_marks_the_current_state(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()

    page = (await operator.get(f"/console/orders/{SHIPPED}")).text

    lanes = set(re.findall(r'<td class="entry [a-z]+" data-lane="([a-z_]+)"', page))
    assert {"crossdock", "legacy_erp", "wms", "storefront"} <= lanes
    assert re.search(r'class="state current"\s+data-state="closed"', page)
    assert re.search(r'class="state reached"\s+data-state="invoiced"', page)


async def test_a_held_order_shows_on_hold_and_the_state_it_was_held_in(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()

    page = (await operator.get(f"/console/orders/{REFUSED}")).text

    assert re.search(r'class="state current side"\s+data-state="on_hold"', page)
    assert re.search(r'class="state reached"\s+data-state="routed"', page)
    assert "create_sales_order" in page


ENTRY = re.compile(
    r'<td class="entry ([a-z]+)" data-lane="([^"]+)" id="entry-(\d+)">(.*?)</td>', re.DOTALL
)


def entries_of(page: str) -> dict[str, tuple[str, str, str]]:
    """The order page's timeline cells: entry id → (kind, lane, the cell's HTML)."""
    return {entry_id: (kind, lane, html) for kind, lane, entry_id, html in ENTRY.findall(page)}


def cause_of(html: str) -> str | None:
    found = re.search(r'class="cause" href="#entry-(\d+)"', html)
    return found.group(1) if found else None


async def test_each_decision_shows_its_rule_and_links_to_the_message_it_decided_on(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()

    cells = entries_of((await operator.get(f"/console/orders/{SHIPPED}")).text)

    routed = [html for kind, _, html in cells.values() if kind == "decision" and "rule " in html]
    assert routed, "no decision on the page names the rule it matched"
    decisions = [(i, html) for i, (kind, _, html) in cells.items() if kind == "decision"]
    for entry_id, html in decisions:
        cause = cause_of(html)
        assert cause is not None, f"decision {entry_id} links to no cause"
        assert cells[cause][0] == "inbound", f"decision {entry_id} is caused by {cells[cause]}"
    deliveries = [html for kind, _, html in cells.values() if kind == "delivery"]
    assert deliveries
    assert all(cells[cause_of(html) or ""][0] == "inbound" for html in deliveries)
    assert "correlation</dt><dd>O-SHIP<" in next(iter(cells.values()))[2]


async def test_a_replay_links_to_the_exception_it_replayed(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    hub.fix_the_erp()
    page = await operator.get(f"/console/exceptions/{exception_id}")
    await operator.post(f"/console/exceptions/{exception_id}/retry", data={"csrf": csrf_of(page)})
    await hub.drain()

    cells = entries_of((await operator.get(f"/console/orders/{REFUSED}")).text)

    [(refused_id, _)] = [
        (i, html) for i, (kind, lane, html) in cells.items() if kind == "exception"
    ]
    assert cells[refused_id][1] == LEGACY
    replayed = [html for kind, _, html in cells.values() if kind == "operator"]
    assert replayed
    assert all(cause_of(html) == refused_id for html in replayed)
    released = [
        html for kind, _, html in cells.values() if kind == "inbound" and "hold_released" in html
    ]
    assert released
    assert all(cause_of(html) == refused_id for html in released)
    [(_, _, resent)] = [
        cell for cell in cells.values() if cell[0] == "delivery" and cell[1] == LEGACY
    ]
    [(replay_id, _)] = [(i, html) for i, (kind, _, html) in cells.items() if kind == "operator"]
    assert cause_of(resent) == replay_id, "the re-sent booking does not link to its replay"
    [booked] = [
        html for kind, _, html in cells.values() if kind == "inbound" and "booked from" in html
    ]
    assert cells[cause_of(booked) or ""][2] == resent, "the ERP's answer skips the attempt"


async def test_an_unknown_order_is_a_404_page(operator: httpx.AsyncClient) -> None:
    response = await operator.get("/console/orders/O-NOPE")

    assert response.status_code == 404
    assert "O-NOPE" in response.text


async def test_the_partners_page_lists_partners_and_their_keys(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    partner_key(hub.access, "acme", ["C-A"])

    page = (await operator.get("/console/partners")).text

    assert 'data-partner="acme"' in page
    assert 'data-partner="ops"' in page
    assert "1 active" in page


# ---------------------------------------------------------------- actions


async def test_retry_after_the_erp_is_fixed_books_the_order_and_is_audited(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    page = await operator.get(f"/console/exceptions/{exception_id}")
    assert 'id="exception-status">open<' in page.text
    hub.fix_the_erp()

    response = await operator.post(
        f"/console/exceptions/{exception_id}/retry", data={"csrf": csrf_of(page)}
    )

    assert response.status_code == 303
    assert "flash=retried" in response.headers["location"]
    await hub.drain()
    assert hub.status(REFUSED) is OrderStatus.RELEASED
    after = (await operator.get(response.headers["location"])).text
    assert 'id="exception-status">replayed<' in after
    [entry] = hub.access.audit(AuditQuery(action="console.exception.retry"))
    assert (entry.outcome, entry.detail["result"]) == ("ok", "send")


async def test_retry_with_an_edited_request_sends_the_correction(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    page = await operator.get(f"/console/exceptions/{exception_id}")
    record = hub.exceptions.get(exception_id)
    edited = record.request | {"order": record.request["order"] | {"customer_po": "PO-FIXED"}}
    hub.fix_the_erp()

    response = await operator.post(
        f"/console/exceptions/{exception_id}/retry",
        data={"csrf": csrf_of(page), "request": json.dumps(edited)},
    )

    assert response.status_code == 303
    assert hub.booking(REFUSED)["command"]["order"]["customer_po"] == "PO-FIXED"


async def test_an_edited_request_that_is_not_json_is_refused_on_the_page(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    page = await operator.get(f"/console/exceptions/{exception_id}")

    response = await operator.post(
        f"/console/exceptions/{exception_id}/retry",
        data={"csrf": csrf_of(page), "request": "{not json"},
    )

    assert response.status_code == 422
    assert "not valid JSON" in response.text
    assert hub.booking(REFUSED)["status"] == "failed"


async def test_assign_tag_and_resolve_go_through_the_exception_desk(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    token = csrf_of(await operator.get(f"/console/exceptions/{exception_id}"))
    base = f"/console/exceptions/{exception_id}"

    await operator.post(f"{base}/assign", data={"csrf": token, "assignee": "jane"})
    await operator.post(f"{base}/tag", data={"csrf": token, "add": "postal, erp"})
    await operator.post(f"{base}/resolve", data={"csrf": token, "note": "customer called"})

    record = hub.exceptions.get(exception_id)
    assert (record.assignee, record.tags, record.status) == ("jane", ("postal", "erp"), "resolved")
    assert record.note == "customer called"


async def test_a_replay_dry_run_says_what_would_be_sent_and_sends_nothing(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    token = csrf_of(await operator.get("/console/exceptions"))

    response = await operator.post(
        "/console/replays", data={"csrf": token, "system": "legacy_erp", "dry_run": "on"}
    )

    assert response.status_code == 200
    assert "Dry run: would send 1, skipped 0" in response.text
    assert exception_id[:12] in response.text
    assert hub.booking(REFUSED)["status"] == "failed"


async def test_a_replay_sends_every_matching_exception_again(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    await hub.demo()
    hub.fix_the_erp()
    token = csrf_of(await operator.get("/console/exceptions"))

    response = await operator.post("/console/replays", data={"csrf": token, "system": "legacy_erp"})

    assert "Sent 1, skipped 0" in response.text
    await hub.drain()
    assert [d.status for d in hub.deliveries(REFUSED, BOOK)] == ["done"]


async def test_pause_and_resume_a_system(operator: httpx.AsyncClient, hub: ConsoleHub) -> None:
    token = csrf_of(await operator.get("/console/systems"))

    paused = await operator.post(
        "/console/systems/wms/pause", data={"csrf": token, "reason": "stocktake"}
    )
    assert paused.status_code == 303
    status = hub.systems.get("wms")
    assert (status.paused, status.paused_reason) == (True, "stocktake")
    assert status.paused_by.startswith("ops/")
    assert "stocktake" in (await operator.get("/console/systems")).text

    await operator.post("/console/systems/wms/resume", data={"csrf": token})

    assert not hub.systems.get("wms").paused
    actions = [e.action for e in hub.access.audit(AuditQuery())]
    assert {"console.system.pause", "console.system.resume"} <= set(actions)


async def test_a_boosted_action_answers_with_hx_location(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    token = csrf_of(await operator.get("/console/systems"))

    response = await operator.post(
        "/console/systems/wms/pause",
        data={"reason": "x"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )

    assert (response.status_code, response.headers["hx-location"]) == (
        200,
        "/console/systems?flash=paused",
    )
    assert hub.systems.get("wms").paused


async def test_the_vendored_htmx_is_served_without_a_session(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/console/static/htmx.min.js")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "htmx" in response.text[:200]


async def test_the_overview_shows_the_last_days_kpis_and_a_cycle_time_chart(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    hub.submit(SHIPPED)
    await hub.drain()
    hub.clock.advance(timedelta(minutes=90))
    await hub.ship(SHIPPED)  # shipped and invoiced 90 minutes after it was received
    hub.gateways[LEGACY].break_down(BOOK, PermanentError(POSTAL_REFUSAL, code="http_422"))
    hub.submit(REFUSED)
    await hub.drain()
    hub.clock.advance(timedelta(minutes=45))

    page = (await operator.get("/console")).text

    for card in ("shipped-p50", "shipped-p95", "invoiced-p50", "invoiced-p95"):
        assert re.search(rf'id="kpi-{card}"><div class="n">1h 30m<', page), card
    assert re.search(r'id="kpi-invoice-sync"><div class="n">100%<', page)
    assert re.search(r'id="kpi-throughput"><div class="n">2 / 1<', page)
    assert "0.08 per hour in" in page  # 2 orders received over 24 hours
    row = re.search(
        r'data-error-type="http_422" data-system="legacy_erp">.*?class="count">(\d+)<'
        r'.*?class="age">([^<]+)<',
        page,
    )
    assert row
    assert row.groups() == ("1", "45m")
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in page
    cycle = re.search(r'<figure class="chart-figure" id="cycle-chart">(.*?)</figure>', page, re.S)
    assert cycle
    assert cycle.group(1).count("<rect ") == 4
    assert "shipped p50: 1h 30m" in page


async def test_the_chart_says_so_when_nothing_shipped_in_the_last_day(
    operator: httpx.AsyncClient,
) -> None:
    page = (await operator.get("/console")).text

    assert "No order shipped or invoiced in the last 24 hours." in page
    assert "<rect " not in page
    assert re.search(r'id="kpi-shipped-p50"><div class="n">–<', page)


async def test_a_form_with_more_fields_than_the_console_reads_is_refused_unread(
    operator: httpx.AsyncClient, hub: ConsoleHub
) -> None:
    exception_id = await hub.demo()
    page = f"/console/exceptions/{exception_id}"
    token = csrf_of(await operator.get(page))

    response = await operator.post(
        f"{page}/assign", data={"csrf": token, "assignee": "jane", "pad": [""] * 1000}
    )

    assert response.status_code == 422
    assert "This form carries more than 1000 fields: nothing was done." in response.text
    assert hub.exceptions.get(exception_id).assignee == ""
    [entry] = hub.access.audit(AuditQuery(action="console.form"))
    assert entry.outcome == "refused"
