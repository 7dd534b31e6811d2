"""`corpus validate`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import ImagesRoot, Input


@command(rich_help_panel="Data", writes=("report",))
def validate(
    input: Input,
    images_root: ImagesRoot = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write one JSON line per finding")] = None,
) -> None:
    """Check a LLaVA corpus: schema, roles, <image> placeholders, duplicate ids, images.

    Exit 0 when valid, 1 when there are findings, 2 when the input is unusable.

    Example: corpus validate detail_23k.json --images-root coco/train2017 --report findings.jsonl
    """
    from corpus.validate import validate_file

    res = validate_file(input, images_root, report)
    table = Table(title=f"{input}: {res.items:,} records, {res.valid:,} valid")
    table.add_column("rule")
    table.add_column("records", justify="right")
    table.add_column("findings", justify="right")
    for rule, n in res.by_rule.most_common():
        table.add_row(rule, f"{res.records_by_rule[rule]:,}", f"{n:,}")
    out.print(table if res.by_rule else f"{input}: {res.items:,} records, all valid")
    if report:
        err.print(f"findings written to {report}")
    if res.by_rule:
        raise typer.Exit(1)
