"""`corpus augment`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import Input, Rejects, Seed, Stats

Method = Annotated[list[str], typer.Option(
    "--method", "-m", show_default=False,
    help="templates | backtranslate | image-position | split-turns, repeatable; options after a colon: "
         "split-turns:pairs=3,subsample=2")]
PerRecord = Annotated[Optional[int], typer.Option(
    "--per-record", min=1, help="At most K new records per input record and method "
                                "\\[default: 1; split-turns: every piece]")]
Ratio = Annotated[Optional[float], typer.Option(
    "--ratio", min=0.0, help="At most R × (input records) new records in all")]
MaxTotal = Annotated[Optional[int], typer.Option(
    "--max-total", min=0, help="At most N records in the output, originals included (originals are never dropped)")]
Engine = Annotated[str, typer.Option("--engine", help="Engine for backtranslate")]
Memory = Annotated[Optional[Path], typer.Option(
    "--memory", help="Translation-memory file for backtranslate \\[default: $CORPUS_TM or ~/.cache/corpus/...]")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Engine threads for backtranslate")]
NoOriginals = Annotated[bool, typer.Option(
    "--no-originals", help="Write only the new records, not the input ones")]


@command(rich_help_panel="Curate", writes=("output", "memory", "rejects", "stats"))
def augment(
    input: Input,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.json, .jsonl or .parquet)",
                                         show_default=False)],
    method: Method,
    per_record: PerRecord = None,
    ratio: Ratio = None,
    max_total: MaxTotal = None,
    seed: Seed = 0,
    engine: Engine = "bergamot",
    memory: Memory = None,
    workers: Workers = 1,
    no_originals: NoOriginals = False,
    rejects: Rejects = None,
    stats: Stats = None,
) -> None:
    """Add varied records: native pt-BR instructions, back-translated questions, <image> moves, split turns.

    Originals are kept; new records follow each one, with ids <id>#aug-<method>-<k> and provenance in meta.

    Same seed, same output. Per-method counts (made, kept, skipped, dropped) go to <output>.stats.json.

    Example: corpus augment pt.json -o pt.aug.json --method templates --method image-position --ratio 0.5 --seed 1
    """
    from corpus.augment.run import augment_file

    res = augment_file(input, output, method, seed=seed, per_record=per_record, ratio=ratio, max_total=max_total,
                       keep_originals=not no_originals, stats_path=stats, rejects=rejects, engine=engine,
                       memory=str(memory) if memory else None, workers=workers)
    table = Table(title=f"{input} → {output}: {res['records_out']:,} records "
                        f"({res['originals_out']:,} original + {res['added']:,} new)")
    for col in ("method", "made", "kept", "skipped", "dropped"):
        table.add_column(col, justify="left" if col in ("method", "skipped", "dropped") else "right")
    for m in res["methods"]:
        table.add_row(m["method"], f"{m['produced']:,}", f"{m['kept']:,}", _reasons(m["skipped"]),
                      _reasons(m["dropped"]))
    out.print(table)
    err.print(f"stats written to {stats or f'{output}.stats.json'}")
    if res["rejected"]:
        err.print(f"{res['rejected']:,} input items could not be read (see the stats file)")
        raise typer.Exit(1)


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "-"
