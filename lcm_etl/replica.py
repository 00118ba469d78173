"""Where the readers read, and how far behind it is.

The API and ``lcm-etl page`` may read a PostgreSQL physical standby of the read model
(``LCM_READ_DATABASE_URL``). A standby replays the primary's WAL, so it holds exactly what the
primary published, a little later: every answer's ``data_as_of`` is read from the standby and so
is the standby's own. This module measures "a little later" for ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Connection, text

# Lag is 0 while the standby has replayed everything it received (an idle primary sends nothing,
# and the age of the last replayed transaction would grow without anything being missed);
# otherwise it is the age of the last transaction it replayed, the usual measure
# (pg_last_xact_replay_timestamp). A standby cut off from its primary receives nothing and so
# reports 0 too: ``receiving`` (the WAL receiver has a stream) tells that case apart.
_STATUS = text(
    """
    SELECT pg_is_in_recovery() AS in_recovery,
           pg_last_xact_replay_timestamp() AS last_replay_at,
           CASE
               WHEN NOT pg_is_in_recovery() THEN NULL
               WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                   THEN 0.0
               ELSE greatest(
                   extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0.0)
           END::float8 AS lag_seconds,
           pg_last_wal_receive_lsn() IS NOT NULL AS receiving
    """
)


@dataclasses.dataclass(frozen=True)
class ReplicaStatus:
    in_recovery: bool
    """The server is a standby (a read replica)."""
    lag_seconds: float | None
    """Seconds the standby is behind its primary; ``None`` on a primary."""
    last_replay_at: dt.datetime | None
    """Commit time (on the primary) of the last transaction the standby replayed."""
    receiving: bool
    """The standby has received WAL from a primary since it started."""

    def as_json(self) -> dict[str, object]:
        return {
            "role": "replica" if self.in_recovery else "primary",
            "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
            "last_replay_at": (
                None
                if self.last_replay_at is None
                else self.last_replay_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            ),
        }


def replica_status(conn: Connection) -> ReplicaStatus:
    """The replication state of the server ``conn`` reads (any role may ask)."""
    row = conn.execute(_STATUS).one()
    return ReplicaStatus(
        in_recovery=bool(row.in_recovery),
        lag_seconds=row.lag_seconds,
        last_replay_at=row.last_replay_at,
        receiving=bool(row.receiving),
    )
