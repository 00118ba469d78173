"""The CLI's live progress display (rich) and the closing table of a pass's counts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lcm_etl.progress import StepTracker
from lcm_etl.runlog import PassResult

_COUNT_COLUMNS = ("extracted", "landed", "rejected", "published")


class _RichTracker:
    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task_id, amount)  # type: ignore[arg-type]


class RichProgress:
    """A live display on stderr: one line per step with its row count and elapsed time."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description:<40}"),
            BarColumn(bar_width=16),
            TextColumn("{task.completed:>12,.0f} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    @contextlib.contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[StepTracker]:
        task_id = self._progress.add_task(description, total=total)
        try:
            yield _RichTracker(self._progress, task_id)
        finally:
            task = self._progress.tasks[task_id]
            self._progress.update(task_id, total=task.completed, completed=task.completed)

    def note(self, message: str) -> None:
        self._progress.console.print(message)

    def print_summary(self, result: PassResult) -> None:
        title = f"lcm-etl pass: {result.ingest.mode} ingest, {result.publish.mode} publish"
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        table.add_column("stage", no_wrap=True)
        table.add_column("run", justify="right")
        table.add_column("status", no_wrap=True)
        for key in _COUNT_COLUMNS:
            table.add_column(key, justify="right", no_wrap=True)
        table.add_column("secs", justify="right")
        for stage in (result.ingest, result.publish):
            counts = stage.counts
            table.add_row(
                stage.stage,
                str(stage.run_id),
                "ok" if stage.status == "succeeded" else stage.status,
                *(f"{counts[key]:,}" if key in counts else "" for key in _COUNT_COLUMNS),
                f"{stage.seconds:.1f}",
            )
        self._console.print(table)
        if result.publish.data_as_of is not None:
            self._console.print(f"data as of {result.publish.data_as_of.isoformat()}")
