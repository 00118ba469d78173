"""kill -9 at several points of a pass: wherever the process dies, readers keep the last
published state, nothing half-written is visible, and the next pass completes to the same read
model a clean pass computes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from lcm_etl import pipeline
from lcm_etl.schema import pipeline_run

from support import golden_source as g
from support.readmodel import snapshot

# Each point: what the killed process patches to stop there, whether the pass's publish had
# committed by then, and whether a stage was mid-run (its row is then marked abandoned).
HANG = textwrap.dedent(
    """
    import sys, time
    from lcm_etl import pipeline, publish, runlog
    from lcm_etl.ingest import land
    from lcm_etl.settings import load_settings

    def hang_after(owner, name):
        real = getattr(owner, name)
        def wrapper(*args, **kwargs):
            result = real(*args, **kwargs)
            print("stopped", flush=True)
            time.sleep(600)  # SIGKILL arrives here
            return result
        setattr(owner, name, wrapper)

    point = {point!r}
    if point == "landing":
        hang_after(land.Lander, "land")  # the first batch landed, the ingest not committed
    elif point == "ingest-finish":
        hang_after(runlog, "finish")  # the run row says succeeded, not yet committed
    elif point == "between-stages":
        def publish_never(*args, **kwargs):
            print("stopped", flush=True)
            time.sleep(600)
        pipeline.publish = publish_never  # the ingest committed, the publish never started
    elif point == "publish-merge":
        hang_after(publish, "merge")  # new redemptions written, the publish not committed
    elif point == "vacuum":
        hang_after(pipeline, "vacuum_read_model")  # the publish committed, vacuum running
    settings = load_settings(database_url={db!r}, ecommerce_database_url={src!r}, data_dir={data!r})
    pipeline.run_pass(settings, mode={mode!r}, trigger="manual")
    """
)

POINTS = [
    ("landing", False, True),
    ("ingest-finish", False, True),
    ("between-stages", False, False),
    ("publish-merge", False, True),
    ("vacuum", True, False),
]


@pytest.fixture
def golden_settings(make_settings, sqlite_source_url):
    builder = g.build(sqlite_source_url)
    settings = make_settings(ecommerce_database_url=sqlite_source_url.render_as_string())
    return builder, settings


@pytest.mark.parametrize(("point", "published", "mid_stage"), POINTS)
def test_kill_9_leaves_the_last_published_state_and_the_next_pass_completes(
    golden_settings, engine, database_url, tmp_path, point, published, mid_stage
) -> None:
    builder, settings = golden_settings
    pipeline.run_pass(settings, mode="full", trigger="manual")
    before = snapshot(engine)
    builder.order(
        101,
        "late@seventy.example",
        [("course-v1:edX+Late+2026", D("250.00"), D("0.00"))],
        placed="2026-05-01 10:00:00",
    )
    # The vacuum only follows a full publish; the other points are reached by an incremental one.
    mode = "full" if point == "vacuum" else "incremental"
    script = HANG.format(
        point=point,
        db=database_url.render_as_string(hide_password=False),
        src=settings.ecommerce_database_url,
        data=str(tmp_path / "killed"),
        mode=mode,
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "stopped"
        during = snapshot(engine)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(60)
    after_kill = snapshot(engine)
    assert after_kill == during
    assert (after_kill == before) is not published

    result = pipeline.run_pass(settings, mode="incremental", trigger="manual")
    assert result.publish.status == "succeeded"
    recovered = snapshot(engine)
    pipeline.run_pass(settings, mode="full", trigger="manual")
    assert recovered == snapshot(engine)  # the same read model a clean full pass computes
    assert recovered != before
    with engine.connect() as conn:
        statuses = [
            row.status
            for row in conn.execute(select(pipeline_run.c.status).order_by(pipeline_run.c.run_id))
        ]
    assert "running" not in statuses
    assert ("abandoned" in statuses) is mid_stage
