"""Shared rich consoles and the progress bar used by long jobs.

Results go to stdout; messages and progress go to stderr, so
``corpus query ... --format csv > out.csv`` stays clean.
"""
from __future__ import annotations

from typing import Iterable, Iterator, TypeVar

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def progress(*extra_columns, unit: str = "rec") -> Progress:
    """Count, rate, elapsed and ETA on stderr; silent when stderr is not a terminal.

    Extra columns can show task fields, e.g. ``TextColumn("{task.fields[hits]} hits")``.
    """
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[cyan]{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        *extra_columns,
        console=err,
        disable=not err.is_terminal,
    )


def track(items: Iterable[T], description: str, total: int | None = None, unit: str = "rec") -> Iterator[T]:
    """Iterate with a progress bar (count, rate, ETA when `total` is known)."""
    with progress(unit=unit) as bar:
        task = bar.add_task(description, total=total, rate="")
        n = 0
        for n, item in enumerate(items, 1):
            yield item
            if n % 256 == 0:
                speed = bar.tasks[0].speed
                bar.update(task, completed=n, rate=f"{speed:,.0f} {unit}/s" if speed else "")
        bar.update(task, completed=n)
