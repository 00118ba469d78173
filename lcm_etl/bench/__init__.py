"""``lcm-etl bench``: the pipeline and the API measured against the physical limit and against
computing the page on read, in one run, on this machine.

One run (``run.py``) does, in order:
1. the demo source at the scale (cached in ``{LCM_DATA_DIR}/bench/``), copied for this run, and a
   fresh migrated read-model database on the configured or embedded PostgreSQL server;
2. **the limit** (``limit.py``): the same redemption rows read with one join query and COPYed
   into an unindexed copy of ``lcm.offer_redemption``;
3. the **full pass** and, after ``demo.apply_changes(fraction=0.005)``, the **incremental pass**,
   each in a child process of its own (``passes.py``: wall time, per-step timings, peak RSS);
4. **growth** (``growth.py``): full passes at every smaller size (rows per second, S to L), and
   incremental passes at 0.1 %, 0.5 % and 2 % changed on the two largest sizes (seconds per
   changed row), each size in a fresh read model of its own;
5. the **API under load** (``load.py``): ``lcm-etl serve`` and the **compute-on-read baseline**
   (``baseline.py``) in subprocesses, driven over loopback by an asyncio httpx client at 1 and 16
   concurrent clients — the page for a typical and for the largest enterprise, the enrollments
   list (20 rows, newest first, searched) for the largest; the two servers' answers are compared;
6. with ``--mysql-url``: the limit and the full pass again with the source in MariaDB.

With ``--json``, the report is rewritten after each phase (``record.py``): a late failure keeps
the figures before it, in a report marked partial. Ratios are computed from figures of the same
run. It reports; it never asserts a time. The goals
and how a run is held against them are in ``goals.py``; the API measurement in ``api.py``.
``freshness.py`` measures another thing, event-driven freshness (``lcm-etl bench-freshness``).
"""
