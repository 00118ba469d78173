"""HTTP load over loopback: servers in subprocesses, an asyncio httpx client in the bench process.

Each measurement opens ``concurrency`` keep-alive connections, warms them up (not measured), then
has ``concurrency`` clients send requests back to back until ``requests`` are done — or, for slow
answers, until the time budget is spent once every client has had two. Latency is per request as
the client sees it (send to last byte); requests/s is completed requests over the wall time.
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
from typing import Any

import httpx

from lcm_etl.bench.sources import BenchError

# ``lcm-etl serve`` exactly as an operator starts it (the console script's entry point).
PAGE_SERVER = (sys.executable, "-c", "from lcm_etl.cli import app; app()", "serve")
BASELINE_SERVER = (sys.executable, "-m", "lcm_etl.bench.baseline")


@dataclasses.dataclass(frozen=True)
class LoadResult:
    concurrency: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

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
    base_url: str,
    path: str,
    *,
    concurrency: int,
    requests: int,
    warmup: int,
    time_budget: float,
) -> LoadResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=httpx.Timeout(300.0)
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
        return summarize(latencies, concurrency, time.perf_counter() - started)


def measure_load(
    base_url: str,
    path: str,
    *,
    concurrency: int,
    requests: int,
    warmup: int,
    time_budget: float,
) -> LoadResult:
    return asyncio.run(
        _drive(
            base_url,
            path,
            concurrency=concurrency,
            requests=requests,
            warmup=warmup,
            time_budget=time_budget,
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
) -> Iterator[str]:
    """Start ``command --host 127.0.0.1 --port <free>`` and yield its base URL once /healthz
    answers 200; stop it afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
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
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
