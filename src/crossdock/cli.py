"""The operator CLI.

Run the hub: ``crossdock up | api | worker | migrate``. Work the exception queue and the systems
(on the database at ``CROSSDOCK_STORE__URL``, no running hub needed; see :mod:`.cli_operations`):
``crossdock exceptions list | show | assign | tag | retry | resolve``, ``crossdock replay``,
``crossdock systems status | pause | resume``. Govern the partner API: ``crossdock partners``,
``crossdock openapi``, ``crossdock contracts``; EDI: ``crossdock edi``; search's back-fill of
shipment and tracking numbers: ``crossdock search backfill``. Try it out:
``crossdock sandbox up | demo | bench``.

Exit codes: 0 done; 1 refused or failed (the message says why); 2 bad usage or configuration.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossdock.cli_contracts import contracts_app
from crossdock.cli_edi import edi_app
from crossdock.cli_exceptions import exceptions_app, replay
from crossdock.cli_openapi import openapi
from crossdock.cli_partners import partners_app
from crossdock.cli_search import search_app
from crossdock.cli_systems import systems_app
from crossdock.core.errors import ConfigurationError, RetryableError
from crossdock.estate import Estate, load_estate, sandbox_estate
from crossdock.settings import Settings, database_url

app = typer.Typer(help="crossdock: the integration hub for distributors.", no_args_is_help=True)
sandbox_app = typer.Typer(help="The sandbox distribution estate.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (figures with the machine and settings).")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(systems_app, name="systems")
app.add_typer(partners_app, name="partners")
app.add_typer(search_app, name="search")
app.command("openapi")(openapi)
app.add_typer(edi_app, name="edi")
app.add_typer(contracts_app, name="contracts")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _estate(settings: Settings) -> Estate:
    try:
        return load_estate(settings.estate_file) if settings.estate_file else sandbox_estate()
    except ConfigurationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def migrate() -> None:
    """Bring the database (CROSSDOCK_STORE__URL) to the latest schema."""
    from crossdock.integration.store.migrate import current, upgrade

    settings = _settings()
    upgrade(settings.store.url)
    console.print(f"database at revision {current(settings.store.url)}: {settings.store.url}")


def _run(role: str, host: str | None, port: int | None) -> None:
    from crossdock.processes import run

    settings = _settings()
    if host:
        settings.api.host = host
    if port:
        settings.api.port = port
    from crossdock.visibility.logging import configure_logging
    from crossdock.visibility.tracing import configure_tracing

    configure_logging(settings.log_level, json=settings.observability.log_json)
    # One line per outbound request drowns the log; the timeline has every attempt already.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    tracing = configure_tracing(settings.observability.otlp_endpoint)
    estate = _estate(settings)
    if role != "worker":
        console.print(
            f"crossdock {role} on {settings.api.base_url()} — store {settings.store.url}, "
            f"broker {settings.broker.url}"
        )
    try:
        asyncio.run(run(role, settings, estate))  # type: ignore[arg-type]
    except ConfigurationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except RetryableError as exc:  # a server it needs is not there (yet): say so, no traceback
        console.print(f"[red]cannot start: {exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        tracing.shutdown()


@app.command()
def up(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Run the hub (API + workers) in one process; migrates the database first."""
    _run("up", host, port)


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Run the API only (scale-out: any number, stateless). Needs a migrated database."""
    _run("api", host, port)


@app.command()
def worker() -> None:
    """Run the workers only (scale-out: any number). Needs a migrated database."""
    _run("worker", None, None)


@sandbox_app.command("up")
def sandbox_up(
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    base_port: Annotated[int, typer.Option(help="First of six consecutive ports.")] = 8101,
    hub_url: Annotated[str, typer.Option(help="Where the storefront, WMS and retailer post.")] = (
        "http://127.0.0.1:8000"
    ),
    faults: Annotated[str, typer.Option(help="Preset: none or realistic.")] = "realistic",
    data_dir: Annotated[Path, typer.Option(help="Where each system keeps its SQLite file.")] = (
        Path("var/sandbox")
    ),
    in_memory: Annotated[
        bool, typer.Option("--in-memory", help="Keep every system's database in memory.")
    ] = False,
) -> None:
    """Run the sandbox estate alone: storefront, two ERPs, WMS, customer service, EDI retailer."""
    from crossdock.sandbox.estate import run_estate

    settings = _settings()
    try:
        shopify_secrets, wms_secret = settings.webhooks.resolved(
            sandbox=settings.estate_file is None
        )
    except ConfigurationError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    asyncio.run(
        run_estate(
            host=host,
            base_port=base_port,
            hub_url=hub_url,
            preset=faults,
            data_dir=None if in_memory else data_dir,
            shopify_secret=shopify_secrets[0],
            wms_secret=wms_secret,
        )
    )


@app.command()
def demo(
    orders: Annotated[int, typer.Option(help="Orders the storefront places.")] = 50,
    edi_orders: Annotated[
        int, typer.Option(help="Purchase orders the sandbox retailer sends over AS2 (X12 850s).")
    ] = 0,
    faults: Annotated[str, typer.Option(help="Sandbox faults: realistic or none.")] = "realistic",
    until_done: Annotated[
        bool,
        typer.Option(
            "--until-done",
            help="Succeed (exit 0) only when every order closed (with faults: closed or on hold "
            "with a reason). The demo always waits for orders to settle, up to --timeout.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 600.0,
    data_dir: Annotated[Path | None, typer.Option(help="Keep databases here (default: temp).")] = (
        None
    ),
) -> None:
    """Sandbox + hub + a storefront placing orders (and a retailer sending 850s); a summary."""
    from crossdock.demo import DemoOptions, run_demo

    if faults not in ("none", "realistic"):
        console.print("[red]--faults must be none or realistic[/red]")
        raise typer.Exit(2)
    settings = _settings()
    options = DemoOptions(
        orders=orders,
        edi_orders=edi_orders,
        faults=faults,
        until_done=until_done,
        timeout_s=timeout,
        data_dir=data_dir,
        progress=not as_json or sys.stderr.isatty(),
    )
    summary = asyncio.run(run_demo(settings, options, console))
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        summary.print(console)
    raise typer.Exit(0 if summary.succeeded(until_done=until_done) else 1)


@bench_app.command("drain")
def bench_drain(
    backlog: Annotated[
        int, typer.Option(help="Deliveries queued while the system is paused.")
    ] = 200,
    rate: Annotated[float, typer.Option(help="Requests/s the system admits (429 beyond).")] = 20.0,
    burst: Annotated[int, typer.Option(help="Requests the system admits back to back.")] = 2,
    hub_rate: Annotated[
        float | None, typer.Option(help="Requests/s the hub's policy declares (default: --rate).")
    ] = None,
    hub_burst: Annotated[
        int | None, typer.Option(help="Burst the hub's policy declares (default: --burst - 1).")
    ] = None,
    runs: Annotated[int, typer.Option(help="Repetitions; the median is reported.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print figures as JSON.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the databases go (a temp dir).")] = (
        None
    ),
) -> None:
    """A backlog left by an outage drains to a system limited to --rate requests/s."""
    from crossdock.benchmarks.drain import DrainSettings, run_drain_bench

    try:
        settings = DrainSettings(
            backlog=backlog,
            rate=rate,
            burst=burst,
            hub_rate=hub_rate,
            hub_burst=hub_burst if hub_burst is not None else max(burst - 1, 1),
            runs=runs,
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    report = asyncio.run(run_drain_bench(settings, data_dir=data_dir))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(report.render())


@bench_app.command("edi")
def bench_edi(
    size_mb: Annotated[float, typer.Option(help="Size of the generated mailbag, in MB.")] = 50.0,
    sets_per_group: Annotated[int, typer.Option(help="Transaction sets per group.")] = 20,
    runs: Annotated[int, typer.Option(help="Repetitions; the median is reported.")] = 3,
    seed: Annotated[int, typer.Option(help="Seeds the generated documents.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print figures as JSON.")] = False,
) -> None:
    """X12 parse + validate throughput (MB/s, sets/s) over a generated mailbag, with peak memory."""
    from crossdock.benchmarks.edi import EdiBenchSettings, run_edi_bench

    try:
        settings = EdiBenchSettings(
            size_mb=size_mb, sets_per_group=sets_per_group, seed=seed, runs=runs
        )
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    report = run_edi_bench(settings)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        typer.echo(report.render())


@bench_app.command("kpis")
def bench_kpis(
    orders: Annotated[int, typer.Option(help="Lifecycles to run before timing.")] = 1000,
    runs: Annotated[int, typer.Option(help="Repetitions; the median is reported.")] = 3,
    repeats: Annotated[int, typer.Option(help="Reports timed per run (median).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print figures as JSON.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the databases go (a temp dir).")] = (
        None
    ),
) -> None:
    """What one KPI report of the last 24 hours costs, against a bare scan of the same orders."""
    from crossdock.benchmarks.kpis import run_kpis_bench

    report = asyncio.run(
        run_kpis_bench(orders=orders, runs=runs, repeats=repeats, data_dir=data_dir)
    )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            console.print(f"{key:>30}: {value}")


@bench_app.command("lifecycle")
def bench_lifecycle(
    orders: Annotated[int, typer.Option(help="Lifecycles to run.")] = 1000,
    runs: Annotated[int, typer.Option(help="Repetitions; the median is reported.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print figures as JSON.")] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the databases go (a temp dir).")] = (
        None
    ),
    store: Annotated[
        str | None,
        typer.Option(help="Scale-out: a PostgreSQL URL (each run gets a schema of its own)."),
    ] = None,
    broker: Annotated[
        str, typer.Option(help="Scale-out: the broker URL (nats://…) or embedded.")
    ] = "embedded",
    workers: Annotated[int, typer.Option(help="Scale-out: worker processes.")] = 2,
) -> None:
    """Complete order-to-cash lifecycles: embedded (sandbox in-process), or scale-out processes."""
    if store is None:
        from crossdock.benchmarks.lifecycle import run_lifecycle_bench

        report = asyncio.run(run_lifecycle_bench(orders=orders, runs=runs, data_dir=data_dir))
    else:
        from crossdock.benchmarks.scaleout import run_scaleout_bench

        if not store.startswith("postgresql"):
            console.print("[red]--store must be a postgresql:// URL[/red]")
            raise typer.Exit(2)
        if not broker.startswith("nats://"):
            console.print("[red]scale-out needs --broker nats://… (workers wake each other)[/red]")
            raise typer.Exit(2)
        report = run_scaleout_bench(
            database_url=database_url(store),
            broker_url=broker,
            workers=workers,
            orders=orders,
            runs=runs,
        )
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            console.print(f"{key:>30}: {value}")


app.command()(replay)


if __name__ == "__main__":  # pragma: no cover
    app()
