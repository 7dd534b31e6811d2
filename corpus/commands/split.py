"""`corpus split`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input, Rejects, Seed, Stats

OutDir = Annotated[Path, typer.Option("--output", "-o", help="Folder for {split}.jsonl files and split.stats.json",
                                      show_default=False)]
Ratios = Annotated[str, typer.Option("--ratios", help="Split shares, in order; they must sum to 1")]
By = Annotated[str, typer.Option("--by", help="Group records by: image (path), image-name (file name only, for "
                                 "mixes that prefix the same file differently) or id")]
Format = Annotated[str, typer.Option("--format", help="Split file format: jsonl, json or parquet")]


@command(rich_help_panel="Publish", writes=("output", "rejects", "stats"))
def split(
    input: Input,
    output: OutDir,
    ratios: Ratios = "train=0.98,validation=0.01,test=0.01",
    by: By = "image",
    seed: Seed = 42,
    format: Format = "jsonl",
    rejects: Rejects = None,
    stats: Stats = None,
) -> None:
    """Split a corpus into train/validation/test with no image in two splits.

    Records sharing an image stay together (records without an image are grouped
    by id). Each group's split comes from a hash of its key and the seed, so
    adding records later never moves an existing one.

    Example: corpus split llava_ptbr.jsonl -o splits/ --ratios train=0.98,validation=0.01,test=0.01
    """
    from corpus.split import split_file

    res = split_file(input, output, ratios, by=by, seed=seed, fmt=format, rejects=rejects, stats=stats)
    total = res["records_out"] or 1
    table = Table(title=f"{input}: {res['records_in']:,} records in, grouped by {by}, seed {seed}")
    for col in ("split", "records", "groups", "share", "file"):
        table.add_column(col, justify="right" if col in ("records", "groups", "share") else "left")
    for name, s in res["splits"].items():
        table.add_row(name, f"{s['records']:,}", f"{s['groups']:,}", f"{s['records'] / total:.2%}", s["file"])
    out.print(table)
    out.print(f"records_out {res['records_out']:,} + rejected {res['rejected']:,} = records_in {res['records_in']:,}")
    err.print(f"stats written to {res['stats_file']}")
    if res["rejected"]:
        raise typer.Exit(1)
