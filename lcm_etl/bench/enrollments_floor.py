"""The enrollments list under load only, on a read model that is already there.

``python -m lcm_etl.bench.enrollments_floor [--requests N] [--rounds R] [--search TERM] [--path P]``
starts ``lcm-etl serve`` against ``LCM_DATABASE_URL`` and measures the bench's enrollments request
— the largest enterprise, first page of 20, newest first, searched by the last name of its newest
redemption's learner (``lcm_etl.bench.api``) — at 1 and 16 clients, then any other paths given
(``--path``, repeatable, e.g. an unsearched or a deep page). ``--server NAME=DATABASE_URL
[=PYTHONPATH]`` (repeatable) starts one server per database instead, each from the given source
tree if any (e.g. a checkout of the commit before a change against a copy of the read model that
was not migrated), and measures them in alternation, so that both meet the same load on a shared
machine. Each measurement is one JSON line with the CPU per request of the server, the client
and PostgreSQL's backends, and the machine's load average. Minutes instead of ``lcm-etl
bench``'s full run: the loop for working on the enrollments search (docs/serving.md). It asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from lcm_etl.bench.api import (
    CONCURRENCY,
    _enrollments_path,
    _pick_enterprises,
    _PostgresWatch,
    _search_term,
    _server_env,
    bench_engine,
)
from lcm_etl.bench.load import PAGE_SERVER, running_server
from lcm_etl.bench.page_floor import disposing, measure_printed
from lcm_etl.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500, help="per measurement")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--search", default=None, help="instead of the bench's last name")
    parser.add_argument("--path", action="append", default=[], help="another request to measure")
    parser.add_argument(
        "--server", action="append", default=[], help="NAME=DATABASE_URL[=PYTHONPATH]"
    )
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = load_settings()
    if settings.database_url is None:
        sys.exit("LCM_DATABASE_URL is not set: point it at a read model after a full pass.")
    engine = bench_engine(make_url(settings.database_url))
    _typical, largest = _pick_enterprises(engine)
    search = args.search or _search_term(engine, largest.uuid)
    paths = [_enrollments_path(largest.uuid, search), *args.path]
    log_dir = args.log_dir or settings.data_dir / "bench" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    specs = args.server or [f"lcm-etl={settings.database_url}"]
    with contextlib.ExitStack() as stack:
        servers = []
        for spec in specs:
            name, url, *source = spec.split("=", 2)
            env = _server_env(settings.model_copy(update={"database_url": url}))
            if source:
                env["PYTHONPATH"] = source[0]
            server = stack.enter_context(running_server(PAGE_SERVER, env, log_dir / f"{name}.log"))
            watch = _PostgresWatch(stack.enter_context(disposing(bench_engine(make_url(url)))))
            servers.append((name, server, watch))
        for _ in range(args.rounds):
            for path in paths:
                for clients in CONCURRENCY:
                    for name, server, watch in servers:
                        measure_printed(
                            server,
                            path,
                            clients=clients,
                            requests=args.requests,
                            database=watch,
                            labels={"server": name, "path": path},
                        )
    engine.dispose()


if __name__ == "__main__":
    main()
