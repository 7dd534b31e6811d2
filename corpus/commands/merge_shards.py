"""`corpus merge-shards`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input, Stats


@command("merge-shards", rich_help_panel="Translate", writes=("output", "cache", "stats"))
def merge_shards(
    input: Input,
    shards: Annotated[List[Path], typer.Argument(help="The shard outputs (any order)", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Merged corpus")],
    memory: Annotated[Optional[List[Path]], typer.Option(
        "--memory", help="A shard's translation memory to merge (repeatable)")] = None,
    cache: Annotated[Optional[Path], typer.Option("--cache", help="Memory to merge into \\[default: the default memory]")] = None,
    stats: Stats = None,
) -> None:
    """Merge `corpus translate --shard K/N` outputs back into one corpus, in INPUT's order.

    Records missing from every shard were rejected by their shard (see its rejects file).

    Example: corpus merge-shards detail_23k.json detail_23k.pt-BR.shard-*-of-4.json -o detail_23k.pt-BR.json --memory tm1.sqlite
    """
    from corpus.atomic import write_json_atomic
    from corpus.translate.shard import merge_shards as merge

    res = merge(input, shards, output, memory or [], cache)
    write_json_atomic(stats or output.with_name(output.name + ".stats.json"), res)
    out.print(f"{res['records_out']:,} records from {len(shards)} shards written to {output}; "
              f"{res['not_in_any_shard']:,} of {res['records_in']:,} input records are in no shard (rejected there)")
    if memory:
        err.print(f"{res['memory_rows_added']:,} translation-memory rows merged")
