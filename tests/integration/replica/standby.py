"""A real PostgreSQL primary and a physical standby of it, started by the test itself.

``initdb`` a primary on a free loopback port, ``pg_basebackup -R`` a copy of it (which writes
``standby.signal`` and ``primary_conninfo``), start that copy on another port: a hot standby
streaming the primary's WAL, exactly as production replicas are built. The binaries come from the
embedded PostgreSQL package (pgserver) or the system's installation; :func:`find_binaries` says
which, or why neither can run here.

PostgreSQL refuses to run as root: under root the clusters belong to an unprivileged system user
(``pgserver``, which the embedded package creates, or ``postgres``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from lcm_etl.db import normalize_url

NEEDED = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
REPLAY_WAIT_SECONDS = 120.0


class Unavailable(RuntimeError):
    """No usable PostgreSQL binaries or user here; the message says why (the test skips)."""


def _candidate_bin_dirs() -> list[Path]:
    found: list[Path] = []
    with contextlib.suppress(Exception):
        import pgserver  # the embedded PostgreSQL's own binaries

        found.append(Path(pgserver.__file__).resolve().parent / "pginstall" / "bin")
    initdb = shutil.which("initdb")
    if initdb:
        found.append(Path(initdb).resolve().parent)
    found.extend(Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
    return [d for d in dict.fromkeys(found) if all((d / name).exists() for name in NEEDED)]


def _run_as() -> str | None:
    """The OS user the clusters run as: ``None`` for the current (non-root) user."""
    if os.geteuid() != 0:
        return None
    for name in ("pgserver", "postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise Unavailable("running as root and no unprivileged 'pgserver' or 'postgres' user exists")


def _run(args: list[str], user: str | None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        args, user=user, check=True, capture_output=True, text=True, timeout=300, **kwargs
    )


def find_binaries() -> tuple[Path, str | None]:
    """A directory with initdb, pg_ctl, pg_basebackup and postgres that runs here, and the user."""
    user = _run_as()
    tried = []
    for bin_dir in _candidate_bin_dirs():
        try:
            _run([str(bin_dir / "initdb"), "--version"], user)
        except (OSError, subprocess.SubprocessError) as exc:
            tried.append(f"{bin_dir} ({exc})")
            continue
        return bin_dir, user
    if tried:
        raise Unavailable("no PostgreSQL binaries run here: " + "; ".join(tried))
    raise Unavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, postgres) were found "
        "in the pgserver package or on PATH"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class StandbyPair:
    root: Path
    bin_dir: Path
    user: str | None
    primary_port: int
    standby_port: int

    def url(self, port: int, database: str) -> URL:
        return normalize_url(f"postgresql://postgres@127.0.0.1:{port}/{database}")

    def primary_url(self, database: str = "postgres") -> URL:
        return self.url(self.primary_port, database)

    def standby_url(self, database: str = "postgres") -> URL:
        return self.url(self.standby_port, database)

    def _pg_ctl(self, data: Path, *args: str) -> None:
        _run([str(self.bin_dir / "pg_ctl"), "-D", str(data), *args], self.user)

    def stop(self) -> None:
        for name in ("standby", "primary"):
            data = self.root / name
            if (data / "postmaster.pid").exists():
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    self._pg_ctl(data, "stop", "-m", "immediate", "-w")


def _configure(data: Path, port: int, socket_dir: Path) -> None:
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            # A test cluster: small, and no fsync (its data is thrown away).
            "max_connections = 60\nshared_buffers = 32MB\nfsync = off\n"
            "synchronous_commit = off\nfull_page_writes = off\n"
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
        )


@contextlib.contextmanager
def standby_pair() -> Iterator[StandbyPair]:
    """Start a primary and a streaming hot standby of it; stop and delete both afterwards."""
    bin_dir, user = find_binaries()
    root = Path(tempfile.mkdtemp(prefix="lcm-replica-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    pair = StandbyPair(root, bin_dir, user, _free_port(), _free_port())
    try:
        primary, standby = root / "primary", root / "standby"
        initdb_options = [
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
        _run([str(bin_dir / "initdb"), "-D", str(primary), *initdb_options], user)
        _configure(primary, pair.primary_port, root)
        pair._pg_ctl(primary, "start", "-w", "-l", str(root / "primary.log"))
        # -R: standby.signal and primary_conninfo, so the copy starts as a streaming standby.
        copy_options = ["-U", "postgres", "-R", "-X", "stream", "-c", "fast"]
        primary_address = ["-h", "127.0.0.1", "-p", str(pair.primary_port)]
        _run(
            [str(bin_dir / "pg_basebackup"), *primary_address, "-D", str(standby), *copy_options],
            user,
        )
        with (standby / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\nport = {pair.standby_port}\n")
        pair._pg_ctl(standby, "start", "-w", "-l", str(root / "standby.log"))
        yield pair
    finally:
        pair.stop()
        shutil.rmtree(root, ignore_errors=True)


def wait_for_replay(primary: Engine, standby: Engine) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with primary.connect() as conn:
        target = conn.execute(text("SELECT pg_current_wal_lsn()")).scalar_one()
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    with standby.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        while True:
            caught_up = conn.execute(
                text("SELECT pg_last_wal_replay_lsn() >= CAST(:target AS pg_lsn)"),
                {"target": target},
            ).scalar_one()
            if caught_up:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the standby did not replay up to {target} in {REPLAY_WAIT_SECONDS:g} s"
                )
            time.sleep(0.05)
