"""`backdesk sandbox`: build (or reopen) the simulated broker and serve it on loopback.

A restart, whether asked for through the control endpoint or on a timer, is a real
one: the server closes every socket, drops the in-memory stream buffer and reopens
the database from disk, on the same port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from sync.sandbox import aml_scenarios
from sync.sandbox import build as builder
from sync.sandbox.api import Gateway, create_app
from sync.sandbox.broker import Broker
from sync.sandbox.faults import FaultInjector, Faults, ResponseDropped
from sync.sandbox.simulation import Simulation
from sync.sandbox.store import SandboxStore
from sync.sandbox.stream import StreamHub
from sync.sandbox.tls import ensure_certificate
from sync.sandbox.vault import Vault

LOOPBACK = ("127.0.0.1", "::1", "localhost")
log = logging.getLogger("backdesk.sandbox")


@dataclass
class Options:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 1
    clients: int = 2000
    deals: int | None = None
    as_of: date | None = None
    rebuild: bool = False
    tick_s: float = 1.0
    heartbeat_s: float = 5.0
    stream_buffer: int = 200_000
    restart_every_s: float = 0.0
    tls: bool = False
    # One client (or a partner's clients) per AML monitoring rule, seeded once, so a
    # demo has alerts to work; tests seed them one by one through the control API.
    aml_scenarios: bool = False
    faults: Faults = field(default_factory=Faults)


def open_store(opts: Options, vault: Vault) -> SandboxStore:
    db = opts.data_dir / "sandbox.db"
    if opts.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = SandboxStore(db, vault.database_key)
    if not store.built:
        if store.head:
            raise SystemExit(f"{db} holds a half-built sandbox; start again with --rebuild.")
        started = time.perf_counter()
        as_of = opts.as_of or datetime.now(UTC).date()
        deals = opts.deals if opts.deals is not None else opts.clients * 10
        counts = builder.build(store, seed=opts.seed, clients=opts.clients, deals=deals,
                               as_of=as_of)
        print(f"Built the sandbox broker in {time.perf_counter() - started:.1f} s: "
              f"{counts.clients:,} clients, {counts.accounts:,} accounts, "
              f"{counts.deals:,} deals, {counts.payments:,} payments, "
              f"{counts.positions:,} open positions, {counts.partners:,} partners, "
              f"{counts.plans:,} commission plans.",
              flush=True)
    elif store.meta("seed") != str(opts.seed):
        print(f"Reopened the sandbox built with seed {store.meta('seed')}; add --rebuild to "
              f"build seed {opts.seed}.", flush=True)
    store.ensure_indexes()
    return store


class Sandbox:
    def __init__(self, opts: Options) -> None:
        self.opts = opts
        opts.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.vault = Vault(opts.data_dir / "gateway.key")
        self.rng = random.Random(f"{opts.seed}:faults")
        self.restart_requested = False
        self.server: uvicorn.Server | None = None
        self.port = opts.port

    def request_restart(self) -> None:
        self.restart_requested = True
        if self.server is not None:
            self.server.should_exit = True

    def gateway(self, store: SandboxStore) -> Gateway:
        hub = StreamHub(int(store.meta("stream_seq", "0")), self.opts.stream_buffer)
        broker = Broker(store, hub)
        if self.opts.aml_scenarios and not store.meta("aml_seeded"):
            with broker.transaction():
                for name in aml_scenarios.SCENARIOS:
                    aml_scenarios.seed(broker, name, {})
                store.set_meta("aml_seeded", "1")
        return Gateway(store=store, broker=broker, sim=Simulation(broker), hub=hub,
                       faults=self.opts.faults, vault=self.vault,
                       heartbeat_s=self.opts.heartbeat_s, rng=self.rng,
                       request_restart=self.request_restart)

    async def tick(self, g: Gateway) -> None:
        """The simulation clock, and the restart timer when one is set."""
        opts, started = self.opts, time.monotonic()
        while True:
            await asyncio.sleep(opts.tick_s or 1.0)
            if opts.tick_s:
                try:
                    g.sim.run(1)
                except Exception:  # a broken step is rolled back; the broker lives on
                    log.exception("simulation step %s failed", g.sim.step_no)
            if opts.restart_every_s and time.monotonic() - started > opts.restart_every_s:
                self.request_restart()
                return

    def bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.opts.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.opts.host, self.port))
        sock.listen(2048)  # connections queue from now on, before the server loop runs
        self.port = sock.getsockname()[1]
        sock.set_inheritable(True)
        return sock

    def url(self) -> str:
        scheme = "https" if self.opts.tls else "http"
        host = f"[{self.opts.host}]" if ":" in self.opts.host else self.opts.host
        return f"{scheme}://{host}:{self.port}"

    def serve(self) -> None:
        opts = self.opts
        tls = ensure_certificate(opts.data_dir) if opts.tls else None
        first = True
        while True:
            store = open_store(opts, self.vault)
            opts.rebuild = False
            g = self.gateway(store)
            app = create_app(g)

            @contextlib.asynccontextmanager
            async def lifespan(_: FastAPI, g: Gateway = g) -> AsyncIterator[None]:
                task = asyncio.create_task(self.tick(g))
                try:
                    yield
                finally:
                    task.cancel()

            app.router.lifespan_context = lifespan
            config = uvicorn.Config(
                FaultInjector(app, opts.faults, self.rng), log_level="warning",
                access_log=False, lifespan="on", timeout_graceful_shutdown=2,
                ws_ping_interval=None, ws_per_message_deflate=False,
                ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None)
            self.server = uvicorn.Server(config)
            sock = self.bind()
            if first:
                print(f"Sandbox gateway listening on {self.url()} (seed {opts.seed}; "
                      f"sign in as admin, manager, finance, compliance or clerk with "
                      f"password '{builder.SANDBOX_PASSWORD}'). Ctrl+C stops it.", flush=True)
                first = False
            else:
                print(f"Sandbox gateway restarted on {self.url()}.", flush=True)
            self.restart_requested = False
            try:
                self.server.run(sockets=[sock])
            except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after shutting down
                self.restart_requested = False
            finally:
                sock.close()
                store.close()
            if not self.restart_requested:
                print("Sandbox gateway stopped.", flush=True)
                return


class _HideInjectedDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ResponseDropped))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow listening on an address other than loopback")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--deals", type=int, help="default: ten per client")
    parser.add_argument("--as-of", type=date.fromisoformat,
                        help="last day of the built history (default: today)")
    parser.add_argument("--data", type=Path, help="where the sandbox keeps its database")
    parser.add_argument("--rebuild", action="store_true", help="throw the data away first")
    parser.add_argument("--tick", type=float, default=1.0,
                        help="seconds between simulation steps; 0 = paused")
    parser.add_argument("--heartbeat", type=float, default=5.0)
    parser.add_argument("--aml-scenarios", action="store_true",
                        help="seed one client per AML monitoring rule (once), so the demo "
                        "has alerts to work")
    parser.add_argument("--stream-buffer", type=int, default=200_000,
                        help="frames kept for resuming")
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS/WSS with a self-signed certificate")
    faults = parser.add_argument_group("faults")
    faults.add_argument("--latency-ms", type=int, default=0)
    faults.add_argument("--error-rate", type=float, default=0.0, help="share of 503s")
    faults.add_argument("--timeout-rate", type=float, default=0.0,
                        help="share of requests that hang, then 504")
    faults.add_argument("--timeout-s", type=float, default=30.0)
    faults.add_argument("--drop-rate", type=float, default=0.0,
                        help="share of commands whose response is cut after applying")
    faults.add_argument("--stream-duplicate-rate", type=float, default=0.0)
    faults.add_argument("--stream-reorder-rate", type=float, default=0.0)
    faults.add_argument("--stream-close-after", type=int, default=0,
                        help="close each socket after this many frames")
    faults.add_argument("--restart-every", type=float, default=0.0,
                        help="restart the server every this many seconds")


def main(argv: list[str], default_data: Path) -> int:
    parser = argparse.ArgumentParser(
        prog="backdesk sandbox",
        description="Serve a simulated broker that speaks the Backdesk gateway contract.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK and not args.allow_remote:
        print(f"The sandbox serves loopback only; add --allow-remote to listen on "
              f"{args.host}.", file=sys.stderr)
        return 2
    faults = Faults()
    try:
        faults.update({"latency_ms": args.latency_ms, "error_rate": args.error_rate,
                       "timeout_rate": args.timeout_rate, "timeout_s": args.timeout_s,
                       "drop_rate": args.drop_rate,
                       "stream": {"duplicate_rate": args.stream_duplicate_rate,
                                  "reorder_rate": args.stream_reorder_rate,
                                  "close_after": args.stream_close_after}})
    except ValueError as exc:
        print(f"Fault switch: {exc}", file=sys.stderr)
        return 2
    logging.getLogger("uvicorn.error").addFilter(_HideInjectedDrops())
    opts = Options(data_dir=args.data or default_data, host=args.host, port=args.port,
                   seed=args.seed, clients=args.clients, deals=args.deals, as_of=args.as_of,
                   rebuild=args.rebuild, tick_s=args.tick, heartbeat_s=args.heartbeat,
                   stream_buffer=args.stream_buffer, restart_every_s=args.restart_every,
                   tls=args.tls, aml_scenarios=args.aml_scenarios, faults=faults)
    Sandbox(opts).serve()
    return 0
