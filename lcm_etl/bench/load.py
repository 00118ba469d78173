"""HTTP load over loopback: servers in subprocesses, an asyncio httpx client in the bench process.

Each measurement opens ``concurrency`` keep-alive connections, warms them up (not measured), then
has ``concurrency`` clients send requests back to back until ``requests`` are done — or, for slow
answers, until the time budget is spent once every client has had two. Latency is per request as
the client sees it (send to last byte); requests/s is completed requests over the wall time.

Where the CPU went during the measured part is read from the processes themselves (psutil): the
server, this client, the PostgreSQL backends serving the server's connections (when PostgreSQL
runs on this machine), and everything else on the machine — other processes and the kernel —
as CPU milliseconds per request, with the machine's overall busy fraction. On a small machine
shared with other work this says whether a latency was the answer's or the neighbours'.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx
import psutil

from lcm_etl.bench.sources import BenchError

# ``lcm-etl serve`` exactly as an operator starts it (the console script's entry point).
PAGE_SERVER = (sys.executable, "-c", "from lcm_etl.cli import app; app()", "serve")
BASELINE_SERVER = (sys.executable, "-m", "lcm_etl.bench.baseline")


class DatabaseWatch(Protocol):
    """What the load measurement asks the read-model database."""

    def backend_pids(self) -> list[int] | None:
        """The backends serving the servers' connections, if they are local processes."""

    def sessions(self) -> int:
        """Sessions ever opened on the database (``pg_stat_database.sessions``)."""


class _Unwatched:
    def backend_pids(self) -> list[int] | None:
        return None

    def sessions(self) -> int:
        return 0


@dataclasses.dataclass(frozen=True)
class Server:
    base_url: str
    pid: int


@dataclasses.dataclass(frozen=True)
class CpuUse:
    """CPU milliseconds per request, by whom; ``postgres_ms`` is None when PostgreSQL's backends
    are not processes of this machine."""

    server_ms: float
    client_ms: float
    postgres_ms: float | None
    other_ms: float
    busy_fraction: float
    """Of all the machine's CPUs over the measurement."""

    def as_json(self) -> dict[str, Any]:
        return {
            "server_ms": round(self.server_ms, 3),
            "client_ms": round(self.client_ms, 3),
            "postgres_ms": None if self.postgres_ms is None else round(self.postgres_ms, 3),
            "other_ms": round(self.other_ms, 3),
            "busy_fraction": round(self.busy_fraction, 3),
        }


def _process_seconds(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still running."""
    seconds = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
    return seconds


def _used_since(start: dict[int, float]) -> float:
    """CPU seconds used since ``start`` by those processes (one that exited meanwhile is not
    counted: its time is then part of the rest of the machine)."""
    now = _process_seconds(list(start))
    return sum(max(now[pid] - start[pid], 0.0) for pid in now)


def _children(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent running something (Linux counts guest time inside user, and
    steal is the hypervisor's, not this machine's work)."""
    times = psutil.cpu_times()
    fields = ("user", "nice", "system", "irq", "softirq")
    return sum(getattr(times, name, 0.0) for name in fields)


class _CpuProbe:
    def __init__(self, server_pid: int, database: DatabaseWatch) -> None:
        self.database = database
        backends = database.backend_pids()
        self.local_postgres = backends is not None
        self.started = {
            "server": _process_seconds([server_pid, *_children(server_pid)]),  # uvicorn workers
            "client": _process_seconds([os.getpid()]),
            "postgres": _process_seconds(backends or []),
        }
        self.busy = _machine_busy_seconds()
        self.clock = time.perf_counter()

    def per_request(self, requests: int) -> CpuUse:
        used = {who: _used_since(start) for who, start in self.started.items()}
        # Backends that connected meanwhile (the pool reopens overflow connections) count whole.
        backends = self.database.backend_pids() or []
        born = [pid for pid in backends if pid not in self.started["postgres"]]
        used["postgres"] += sum(_process_seconds(born).values())
        busy = _machine_busy_seconds() - self.busy
        wall = time.perf_counter() - self.clock
        ours = sum(used.values())
        return CpuUse(
            server_ms=used["server"] * 1000 / requests,
            client_ms=used["client"] * 1000 / requests,
            postgres_ms=used["postgres"] * 1000 / requests if self.local_postgres else None,
            other_ms=max(busy - ours, 0.0) * 1000 / requests,
            busy_fraction=min(busy / (wall * (psutil.cpu_count() or 1)), 1.0),
        )


@dataclasses.dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu: CpuUse | None = None
    new_connections: int | None = None
    """Database sessions opened during the measured part (0 when nothing reconnects)."""

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "p50_ms": round(self.p50_ms, 3),
            "p95_ms": round(self.p95_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "requests_per_second": round(self.requests_per_second, 1),
            "cpu_per_request": None if self.cpu is None else self.cpu.as_json(),
            "new_connections": self.new_connections,
        }


def summarize(latencies: list[float], concurrency: int, seconds: float) -> LoadResult:
    """Percentiles (inclusive method: p99 of few samples is near their maximum)."""
    if len(latencies) < 2:
        raise BenchError("a load measurement needs at least two requests")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadResult(
        concurrency=concurrency,
        requests=len(latencies),
        seconds=seconds,
        p50_ms=cuts[49] * 1000,
        p95_ms=cuts[94] * 1000,
        p99_ms=cuts[98] * 1000,
        max_ms=max(latencies) * 1000,
    )


async def _drive(
    server: Server,
    path: str,
    *,
    concurrency: int,
    requests: int,
    warmup: int,
    time_budget: float,
    database: DatabaseWatch,
) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=server.base_url, limits=limits, timeout=httpx.Timeout(300.0)
    ) as client:

        async def one() -> float:
            started = time.perf_counter()
            response = await client.get(path)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise BenchError(
                    f"GET {path} answered {response.status_code}: {response.text[:300]}"
                )
            return elapsed

        # Opens every connection and warms the server's caches; not measured.
        await asyncio.gather(*(one() for _ in range(max(warmup, concurrency))))
        # After the warm-up the server's pool holds the connections this load uses.
        probe = _CpuProbe(server.pid, database)
        sessions = database.sessions()
        latencies: list[float] = []
        minimum = 2 * concurrency
        remaining = requests
        started = time.perf_counter()
        deadline = started + time_budget

        async def client_loop() -> None:
            nonlocal remaining
            while remaining > 0 and (time.perf_counter() < deadline or len(latencies) < minimum):
                remaining -= 1
                latencies.append(await one())

        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        result = summarize(latencies, concurrency, time.perf_counter() - started)
        return dataclasses.replace(
            result,
            cpu=probe.per_request(result.requests),
            new_connections=database.sessions() - sessions,
        )


def measure_load(
    server: Server,
    path: str,
    *,
    concurrency: int,
    requests: int,
    warmup: int,
    time_budget: float,
    database: DatabaseWatch | None = None,
) -> LoadResult:
    """``database`` is asked after the warm-up and again at the end: which local PostgreSQL
    backends serve the server (for their CPU; new ones count whole) and how many sessions were
    opened meanwhile (a pool that reconnects under load shows here)."""
    return asyncio.run(
        _drive(
            server,
            path,
            concurrency=concurrency,
            requests=requests,
            warmup=warmup,
            time_budget=time_budget,
            database=database or _Unwatched(),
        )
    )


def get_json(base_url: str, path: str) -> Any:
    response = httpx.get(base_url + path, timeout=300.0)
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextlib.contextmanager
def running_server(
    command: tuple[str, ...],
    env: Mapping[str, str],
    log_path: Path,
    *,
    startup_timeout: float = 60.0,
    cwd: Path | None = None,
) -> Iterator[Server]:
    """Start ``command --host 127.0.0.1 --port <free>`` (in ``cwd``) and yield it (URL and
    process id) once /healthz answers 200; stop it afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while True:
                if process.poll() is not None:
                    raise BenchError(
                        f"the server {' '.join(command[-2:])} exited with {process.returncode}:\n"
                        + _tail(log_path)
                    )
                try:
                    if httpx.get(base_url + "/healthz", timeout=2.0).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(
                        f"the server on port {port} did not become healthy in "
                        f"{startup_timeout:.0f} s:\n" + _tail(log_path)
                    )
                time.sleep(0.1)
            yield Server(base_url, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
