"""The console in a real browser: Debian's Chromium, headless, driven by Playwright against a real
uvicorn server over the engine hub.

An operator logs in, finds the demo order by its PO, sees its timeline across systems, opens the
refused booking's exception, retries it once the ERP is fixed, and sees it replayed and the order
released. Another ticks two exceptions on the queue and resolves them in one go. Screenshots are
kept under the test's ``artifacts`` directory; with
``CROSSDOCK_UPDATE_SCREENSHOTS=1`` the overview's is copied to ``docs/img/console-overview.png``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from credentials import admin_key

from .console_hub import REFUSED, SHIPPED, ConsoleHub

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "console-overview.png"

pytestmark = pytest.mark.browser


def _chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
    if os.environ.get("CROSSDOCK_REQUIRE_SERVERS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _off_the_browser_loop(work: Coroutine[Any, Any, None]) -> None:
    """Run the hub's async work on a thread of its own (Playwright's sync API holds a loop)."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, work).result(timeout=60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(hub: ConsoleHub) -> Iterator[str]:
    """The hub's app on a real uvicorn server in a thread; its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(hub.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(500):  # bounded: the server binds within a few hundred milliseconds
        if server.started:
            started.set()
            break
        started.wait(0.01)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _log_in(page: Page, served: str, key: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{served}/console")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Admin API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


@contextmanager
def _logged_in_page(served: str, key: str, artifacts: Path) -> Iterator[Page]:
    """A headless Chromium page logged in to the console; its last state is kept as
    ``last.png`` among the ``artifacts``, whatever happened."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    artifacts.mkdir()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            _log_in(page, served, key)
            yield page
        finally:
            page.screenshot(path=artifacts / "last.png", full_page=True)
            browser.close()


def test_an_operator_finds_an_order_by_po_and_retries_its_exception(
    hub: ConsoleHub, served: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    exception_id = asyncio.run(hub.demo())
    artifacts = tmp_path / "artifacts"

    with _logged_in_page(served, admin_key(hub.access), artifacts) as page:
        expect(page.locator("#kpi-open-exceptions .n")).to_have_text("1")
        page.screenshot(path=artifacts / "overview.png", full_page=True)
        if os.environ.get("CROSSDOCK_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(artifacts / "overview.png", DOCS_SCREENSHOT)

        page.get_by_role("link", name="Orders", exact=True).click()
        page.get_by_label("search orders").fill(f"PO-{SHIPPED}")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#orders tr[data-order]")).to_have_count(1)
        page.get_by_role("link", name=SHIPPED, exact=True).click()

        expect(page.get_by_role("heading", name=f"Order {SHIPPED}")).to_be_visible()
        lanes = page.locator("#swimlanes th[data-lane]")
        expect(lanes).to_contain_text(["crossdock", "storefront", "legacy_erp", "wms"])
        for system in ("legacy_erp", "wms", "storefront"):
            expect(page.locator(f'#swimlanes td.entry[data-lane="{system}"]').first).to_be_visible()
        expect(page.locator("#lifecycle [aria-current=step]")).to_have_text("closed")
        expect(page.locator("#swimlanes .rule").first).to_contain_text("rule ")
        cause = page.locator("#swimlanes td.entry.decision a.cause").first
        target = cause.get_attribute("href")
        cause.click()  # the lineage: from a decision to the message it decided on
        decided_on = page.locator(f"#swimlanes td.entry{target}")
        expect(decided_on).to_have_class(re.compile("inbound"))
        page.screenshot(path=artifacts / "order.png", full_page=True)

        page.get_by_role("link", name="Exceptions", exact=True).click()
        page.get_by_role("link", name=exception_id[:12]).click()
        expect(page.locator("#exception-status")).to_have_text("open")
        stored = page.get_by_label("request").input_value()
        page.get_by_label("request").fill("{not json")
        page.get_by_role("button", name="Retry").click()  # refused, and the page says why
        expect(page.get_by_text("is not valid JSON")).to_be_visible()
        expect(page.locator("#exception-status")).to_have_text("open")
        page.get_by_label("request").fill(stored)
        hub.fix_the_erp()
        page.get_by_role("button", name="Retry").click()

        expect(page.get_by_role("status")).to_contain_text("Sent again")
        expect(page.locator("#exception-status")).to_have_text("replayed")
        page.screenshot(path=artifacts / "exception-retried.png", full_page=True)

        _off_the_browser_loop(hub.drain())  # the delivery worker sends the booking again
        page.get_by_role("link", name=REFUSED).click()
        expect(page.locator("#order-status")).to_have_text("released")
        expect(page.locator("#deliveries")).to_contain_text("create_sales_order")
        page.screenshot(path=artifacts / "order-released.png", full_page=True)

    assert sorted(p.name for p in artifacts.iterdir()) == [
        "exception-retried.png",
        "last.png",
        "order-released.png",
        "order.png",
        "overview.png",
    ]


def test_an_operator_ticks_two_exceptions_and_resolves_them_at_once(
    hub: ConsoleHub, served: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    first, second, left = (asyncio.run(hub.refused_booking(o)) for o in ("O-1", "O-2", "O-3"))
    artifacts = tmp_path / "artifacts"

    with _logged_in_page(served, admin_key(hub.access), artifacts) as page:
        page.get_by_role("link", name="Exceptions", exact=True).click()
        page.get_by_role("button", name="Resolve", exact=True).click()  # nothing ticked
        expect(page.get_by_role("alert")).to_have_text("Tick at least one exception.")
        rows = page.locator("#exception-list input[name=id]")
        page.get_by_label("select every exception on this page").check()
        expect(rows).to_have_count(3)
        for row in rows.all():
            expect(row).to_be_checked()
        page.get_by_label(f"select {left[:12]}").uncheck()
        expect(page.get_by_label("select every exception on this page")).not_to_be_checked()
        for exception_id in (first, second):
            expect(page.get_by_label(f"select {exception_id[:12]}")).to_be_checked()

        page.get_by_label("bulk resolution note").fill("customer called")
        page.get_by_role("button", name="Resolve", exact=True).click()

        expect(page.locator("#bulk-summary")).to_contain_text("2 done, 0 skipped, 0 refused")
        expect(page.locator("#bulk-report tr[data-outcome=done]")).to_have_count(2)
        expect(page.locator("#exception-list tr[data-exception]")).to_have_count(1)
        expect(page.locator(f'#exception-list tr[data-exception="{left}"]')).to_be_visible()
        page.screenshot(path=artifacts / "bulk-resolved.png", full_page=True)

        page.get_by_label("status").select_option("resolved")
        page.get_by_role("button", name="Filter").click()
        resolved = page.locator("#exception-list tr[data-exception]")
        expect(resolved).to_have_count(2)
        expect(resolved.locator(".pill")).to_have_text(["resolved", "resolved"])

    assert {hub.exceptions.get(i).status for i in (first, second)} == {"resolved"}
    assert hub.exceptions.get(left).status == "open"
