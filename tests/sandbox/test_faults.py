from crossdock.sandbox.clock import ManualClock
from crossdock.sandbox.customer_service import CustomerService, CustomerServiceConfig
from crossdock.sandbox.faults import FaultConfig, OutageWindow

from .conftest import serving


def service(faults: FaultConfig, clock: ManualClock | None = None) -> CustomerService:
    return CustomerService(CustomerServiceConfig(faults=faults), clock=clock)


async def test_an_outage_window_answers_503_and_the_service_recovers_after_it() -> None:
    clock = ManualClock()
    faults = FaultConfig(outages=[OutageWindow(start_s=10, duration_s=5)])
    async with serving(service(faults, clock)) as client:
        before = await client.get("/api/status-updates")
        clock.advance(11)
        during = await client.get("/api/status-updates")
        health = await client.get("/_sandbox/health")
        clock.advance(5)
        after = await client.get("/api/status-updates")

    assert (before.status_code, during.status_code, after.status_code) == (200, 503, 200)
    assert during.headers["Retry-After"] == "4"
    assert health.status_code == 200


async def test_errors_answer_503_with_retry_after_but_never_on_sandbox_routes() -> None:
    async with serving(service(FaultConfig(error_rate=1.0))) as client:
        business = await client.get("/api/status-updates")
        ledger = await client.get("/_sandbox/ledger")

    assert business.status_code == 503
    assert business.headers["Retry-After"] == "1"
    assert ledger.status_code == 200


async def test_faults_can_be_read_and_changed_at_runtime() -> None:
    async with serving(service(FaultConfig(error_rate=1.0))) as client:
        changed = await client.put("/_sandbox/faults", json={"error_rate": 0})
        read = await client.get("/_sandbox/faults")
        business = await client.get("/api/status-updates")
        invalid = await client.put("/_sandbox/faults", json={"error_rate": 2})

    assert changed.status_code == 200
    assert read.json()["error_rate"] == 0
    assert business.status_code == 200
    assert (invalid.status_code, invalid.json()["field"]) == (422, "error_rate")


async def test_the_same_seed_makes_the_same_random_failures() -> None:
    async def failures() -> list[int]:
        async with serving(service(FaultConfig(error_rate=0.5))) as client:
            return [(await client.get("/api/status-updates")).status_code for _ in range(20)]

    first = await failures()
    assert first == await failures()
    assert set(first) == {200, 503}


# ---------------------------------------------------------------- rate limit

STATUS = "/api/status-updates"


async def test_above_the_rate_limit_it_answers_429_with_whole_and_fractional_waits() -> None:
    clock = ManualClock()
    faults = FaultConfig(rate_limit_per_s=4, rate_limit_burst=2)
    async with serving(service(faults, clock)) as client:
        burst = [(await client.get(STATUS)).status_code for _ in range(2)]
        limited = await client.get(STATUS)
        clock.advance(0.25)
        refilled = await client.get(STATUS)
        again = await client.get(STATUS)

    assert burst == [200, 200]
    assert limited.status_code == 429
    assert limited.json() == {"error": "rate limit exceeded"}
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Reset-After"] == "0.250"
    assert (refilled.status_code, again.status_code) == (200, 429)


async def test_a_client_pacing_itself_at_the_rate_is_never_refused() -> None:
    clock = ManualClock()
    async with serving(service(FaultConfig(rate_limit_per_s=4), clock)) as client:
        statuses = []
        for _ in range(9):
            statuses.append((await client.get(STATUS)).status_code)
            clock.advance(0.25)
        stats = (await client.get("/_sandbox/stats")).json()

    assert set(statuses) == {200}
    assert stats["rate_limited"] == 0
    assert stats["max_admitted_per_window"] == 4


async def test_sandbox_routes_are_neither_limited_nor_counted() -> None:
    clock = ManualClock()
    async with serving(service(FaultConfig(rate_limit_per_s=1), clock)) as client:
        control = [(await client.get("/_sandbox/health")).status_code for _ in range(5)]
        business = await client.get(STATUS)
        stats = (await client.get("/_sandbox/stats")).json()

    assert set(control) == {200}
    assert business.status_code == 200
    assert (stats["requests"], stats["admitted"]) == (1, 1)


async def test_changing_the_rate_limit_at_runtime_applies_to_the_next_request() -> None:
    clock = ManualClock()
    async with serving(service(FaultConfig(rate_limit_per_s=1), clock)) as client:
        first = [(await client.get(STATUS)).status_code for _ in range(2)]
        await client.put("/_sandbox/faults", json={"rate_limit_per_s": 0})
        unlimited = [(await client.get(STATUS)).status_code for _ in range(5)]
        await client.put("/_sandbox/faults", json={"rate_limit_per_s": 1, "rate_limit_burst": 3})
        reburst = [(await client.get(STATUS)).status_code for _ in range(4)]
        invalid = await client.put("/_sandbox/faults", json={"rate_limit_burst": 0})

    assert first == [200, 429]
    assert set(unlimited) == {200}
    assert reburst == [200, 200, 200, 429]
    assert (invalid.status_code, invalid.json()["field"]) == (422, "rate_limit_burst")


async def test_stats_count_admitted_refused_and_the_busiest_second_until_reset() -> None:
    clock = ManualClock()
    faults = FaultConfig(rate_limit_per_s=10, rate_limit_burst=5)
    async with serving(service(faults, clock)) as client:
        at_0 = [(await client.get(STATUS)).status_code for _ in range(7)]
        clock.advance(0.5)
        at_half = [(await client.get(STATUS)).status_code for _ in range(6)]
        clock.advance(0.5)
        at_1 = [(await client.get(STATUS)).status_code for _ in range(5)]
        await client.put("/_sandbox/faults", json={"error_rate": 1})
        clock.advance(0.1)
        failed = await client.get(STATUS)
        stats = (await client.get("/_sandbox/stats")).json()
        clock.advance(2.9)
        reset = await client.post("/_sandbox/stats/reset")
        after_reset = (await client.get("/_sandbox/stats")).json()

    assert (at_0.count(200), at_0.count(429)) == (5, 2)
    assert (at_half.count(200), at_half.count(429)) == (5, 1)
    assert set(at_1) == {200}
    assert failed.status_code == 503
    assert stats == {
        "system": "customer_service",
        "since": "2026-01-05T09:00:00+00:00",
        "requests": 19,
        "admitted": 15,
        "rate_limited": 3,
        "unavailable": 1,
        # 0.0–0.5 s admits 10; 0.5–1.0 s admits 10; the admissions at 0 s and at 1 s are a
        # full second apart, so no one-second window holds 15.
        "max_admitted_per_window": 10,
        "window_s": 1.0,
    }
    assert reset.json() == after_reset
    assert after_reset["since"] == "2026-01-05T09:00:04+00:00"
    assert [after_reset[k] for k in ("requests", "admitted", "max_admitted_per_window")] == [
        0,
        0,
        0,
    ]


# ---------------------------------------------------------------- outage on demand


async def test_an_outage_on_demand_answers_503_from_now_until_it_is_over() -> None:
    clock = ManualClock()
    async with serving(service(FaultConfig(), clock)) as client:
        started = await client.post("/_sandbox/outage", json={"duration_s": 60})
        during = await client.get(STATUS)
        faults = (await client.get("/_sandbox/faults")).json()
        clock.advance(59.5)
        last_moment = await client.get(STATUS)
        clock.advance(0.5)
        after = await client.get(STATUS)
        stats = (await client.get("/_sandbox/stats")).json()

    assert started.json() == {"unavailable_until": "2026-01-05T09:01:00+00:00"}
    assert faults["unavailable_until"] == "2026-01-05T09:01:00Z"
    assert (during.status_code, during.headers["Retry-After"]) == (503, "60")
    assert during.json() == {"error": "outage"}
    assert (last_moment.status_code, last_moment.headers["Retry-After"]) == (503, "1")
    assert after.status_code == 200
    assert (stats["unavailable"], stats["admitted"]) == (2, 1)


async def test_an_outage_on_demand_can_end_early_or_be_set_as_an_instant() -> None:
    clock = ManualClock()
    async with serving(service(FaultConfig(), clock)) as client:
        await client.post("/_sandbox/outage", json={"duration_s": 3600})
        ended = await client.delete("/_sandbox/outage")
        up = await client.get(STATUS)
        await client.put("/_sandbox/faults", json={"unavailable_until": "2026-01-05T09:00:10Z"})
        down = await client.get(STATUS)
        clock.advance(10)
        up_again = await client.get(STATUS)
        no_duration = await client.post("/_sandbox/outage", json={"duration_s": 0})
        naive = await client.put(
            "/_sandbox/faults", json={"unavailable_until": "2026-01-05T09:00:10"}
        )

    assert ended.json() == {"unavailable_until": None}
    assert (up.status_code, down.status_code, up_again.status_code) == (200, 503, 200)
    assert down.headers["Retry-After"] == "10"
    assert (no_duration.status_code, no_duration.json()["field"]) == (422, "duration_s")
    assert (naive.status_code, naive.json()["field"]) == (422, "unavailable_until")


async def test_requests_refused_during_an_outage_use_no_rate_limit_tokens() -> None:
    clock = ManualClock()
    faults = FaultConfig(rate_limit_per_s=1, rate_limit_burst=1)
    async with serving(service(faults, clock)) as client:
        await client.post("/_sandbox/outage", json={"duration_s": 0.5})
        during = [(await client.get(STATUS)).status_code for _ in range(3)]
        clock.advance(0.5)
        after = await client.get(STATUS)

    assert during == [503, 503, 503]
    assert after.status_code == 200
