"""Ingest: read the source systems and land their rows in ``lcm_raw``, in one transaction.

================== ============================================================================
``stage.py``       the ingest stage and ``SOURCES``, the registry of sources, in the order run
``base.py``        the framework: ``IngestRun`` (what a source runs in), ``SourceResult``, the
                   ``Source`` protocol, and ``TableSource``, the table-wise reader
``extract.py``     reading a source: one consistent snapshot, rows streamed in batches
``land.py``        landing: ``LandingTable`` (natural key, watermark policy), the ``Lander``
                   (COPY or upsert, rows it cannot hold become rejections), recording and resolving
                   landing rejections
``watermarks.py``  the watermark store, ``lcm_raw.watermark``
``ecommerce.py``   learner-credit offers and their redemptions (``control_totals.py``: the check a
                   full ingest makes against the source's own sums)
``coupons.py``     enterprise coupons, from the ecommerce database
``lms.py``         enterprise customers, learners, data-sharing consent (optional source)
``license_manager.py`` subscription agreements and plans (optional source)
``sources/``       the source systems' real DDL (``sources/ddl/*.sql``, MariaDB) and their tables
                   as SQLAlchemy Core (for the demo source and the tests)
================== ============================================================================

Every source module declares its landing tables — each a :class:`~lcm_etl.ingest.land.LandingTable`
naming the ``lcm_raw`` table (whose primary key is the source row's natural key) and its
watermark policy (``full``, ``id``, ``modified`` or ``referenced``, with the mark column) — and
exposes ``SOURCE``, an object with a ``name``, its ``tables`` and ``run(ingest) -> SourceResult``.
A run extracts and lands on ``ingest.conn`` (the stage's one transaction), records its
rejections, resolves those no longer seen, and moves its watermarks unless the run is targeted.

Adding a source
---------------
1. ``lcm_etl/ingest/<name>.py``: its ``LandingTable`` declarations and ``SOURCE``. A source read
   table by table subclasses ``TableSource`` (``name``, ``tables``, ``url(settings)``,
   ``read(reader, source)``; see ``lms.py`` for the whole of one); anything else implements the
   ``Source`` protocol (see ``ecommerce.py``).
2. Its DDL copy, ``lcm_etl/ingest/sources/ddl/<name>.sql`` (the real schema, for the MariaDB tests
   and the benchmark), added to ``sources.ddl.DDL_FILES``.
3. One line in ``stage.SOURCES``.
The ``lcm_raw`` tables it lands in are declared in ``lcm_etl/schema.py`` (``landing_table``) and
created by an Alembic revision, like every schema change; a new database's URL is a setting in
``lcm_etl/settings.py``.
"""
