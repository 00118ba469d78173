"""The page against the HTTP floor only, on a read model that is already there.

``python -m lcm_etl.bench.page_floor [--requests N] [--rounds R]`` starts ``lcm-etl serve`` and the
bench's floor server (``lcm_etl.bench.baseline``: ``/ping`` of a bare FastAPI app) against
``LCM_DATABASE_URL``, then measures the page of the median and the largest enterprise and the
floor at 1 and 16 clients, alternating page and floor within each round so that both meet the
same load on a shared machine. It prints each measurement as one JSON line (with the machine's
load average) and the page/floor ratios of the goals. Minutes instead of ``lcm-etl bench``'s
full run: the loop for working on the request path. It asserts nothing about time.

``--before DIR`` also serves the page from another checkout of the code (a ``git worktree`` of
``main``, say; its server runs with ``PYTHONPATH=DIR``), on ``--before-database-url`` (a copy of
the read model at that code's migrations; default ``LCM_DATABASE_URL``), and measures it right
after this code's page in every round: a change's before and after against the same load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from lcm_etl.bench.api import (
    CONCURRENCY,
    _page_path,
    _pick_enterprises,
    _PostgresWatch,
    _server_env,
    bench_engine,
)
from lcm_etl.bench.baseline import FLOOR_PATH
from lcm_etl.bench.load import (
    BASELINE_SERVER,
    PAGE_SERVER,
    LoadResult,
    Server,
    measure_load,
    running_server,
)
from lcm_etl.settings import load_settings


def measure_printed(
    server: Server,
    path: str,
    *,
    clients: int,
    requests: int,
    database: _PostgresWatch,
    labels: dict[str, str],
) -> LoadResult:
    """One measurement of a floor tool (this one, ``enrollments_floor``): 20 warm-up requests, at
    most a minute, printed as one JSON line — ``labels``, the result and the machine's load
    average."""
    result = measure_load(
        server,
        path,
        concurrency=clients,
        requests=requests,
        warmup=20,
        time_budget=60.0,
        database=database,
    )
    line = {**labels, **result.as_json(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(line), flush=True)
    return result


@contextlib.contextmanager
def disposing(engine: Engine) -> Iterator[Engine]:
    """``engine``, disposed of on leaving (for an ``ExitStack``)."""
    try:
        yield engine
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500, help="per measurement")
    parser.add_argument("--rounds", type=int, default=1, help="page/floor alternations")
    parser.add_argument("--log-dir", type=Path, default=None)
    parser.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    parser.add_argument("--before-database-url", default=None, help="its read model")
    args = parser.parse_args(argv)
    settings = load_settings()
    if settings.database_url is None:
        sys.exit("LCM_DATABASE_URL is not set: point it at a read model after a full pass.")
    engine = bench_engine(make_url(settings.database_url))
    typical, largest = _pick_enterprises(engine)
    log_dir = args.log_dir or settings.data_dir / "bench" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = _server_env(settings)
    watch = _PostgresWatch(engine)
    measured: dict[str, list[LoadResult]] = {}
    kinds = ["page, typical", "page, largest"]
    with contextlib.ExitStack() as servers:
        page_server = servers.enter_context(
            running_server(PAGE_SERVER, env, log_dir / "page-server.log")
        )
        floor_server = servers.enter_context(
            running_server(BASELINE_SERVER, env, log_dir / "baseline-server.log")
        )
        before: tuple[Server, _PostgresWatch] | None = None
        if args.before is not None:
            before_url = args.before_database_url or settings.database_url
            before_engine = servers.enter_context(disposing(bench_engine(make_url(before_url))))
            before_env = env | {"LCM_DATABASE_URL": before_url, "PYTHONPATH": str(args.before)}
            before_server = servers.enter_context(
                # In the checkout: ``python -c`` puts the working directory first on sys.path.
                running_server(
                    PAGE_SERVER, before_env, log_dir / "page-before-server.log", cwd=args.before
                )
            )
            before = (before_server, _PostgresWatch(before_engine))
            kinds += ["before, typical", "before, largest"]
        for _ in range(args.rounds):
            for clients in CONCURRENCY:
                runs: list[tuple[str, Server, str, _PostgresWatch]] = [
                    ("floor", floor_server, FLOOR_PATH, watch)
                ]
                for size, enterprise in (("typical", typical), ("largest", largest)):
                    path = _page_path(enterprise.uuid)
                    runs.append((f"page, {size}", page_server, path, watch))
                    if before is not None:
                        runs.append((f"before, {size}", before[0], path, before[1]))
                for kind, server, path, database in runs:
                    result = measure_printed(
                        server,
                        path,
                        clients=clients,
                        requests=args.requests,
                        database=database,
                        labels={"answer": kind},
                    )
                    measured.setdefault(f"{kind}, c{clients}", []).append(result)
    engine.dispose()
    for clients in CONCURRENCY:
        floor = measured[f"floor, c{clients}"]
        for kind in kinds:
            page = measured[f"{kind}, c{clients}"]
            p50 = statistics.median(p.p50_ms / f.p50_ms for p, f in zip(page, floor, strict=True))
            rps = statistics.median(
                p.requests_per_second / f.requests_per_second
                for p, f in zip(page, floor, strict=True)
            )
            cpu = statistics.median(p.cpu.server_ms for p in page if p.cpu is not None)
            backends = [p.cpu.postgres_ms for p in page if p.cpu and p.cpu.postgres_ms is not None]
            print(
                f"{kind}, {clients} client(s): p50 {p50:.2f}x the floor's, "
                f"req/s {rps:.0%} of the floor's, server CPU {cpu:.2f} ms/request"
                + (f", PostgreSQL {statistics.median(backends):.2f}" if backends else "")
            )


if __name__ == "__main__":
    main()
