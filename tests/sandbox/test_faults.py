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
