"""`corpus convert`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corpus.cli import command
from corpus.console import out
from corpus.errors import UsageError
from corpus.options import Input, Rejects, Stats


@command(rich_help_panel="Data", writes=("output", "rejects", "stats"))
def convert(
    input: Input,
    output: Annotated[Path, typer.Argument(help="Output file (.json, .jsonl or .parquet)", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="Target format: llava or messages")] = "messages",
    rejects: Rejects = None,
    stats: Stats = None,
) -> None:
    """Convert between LLaVA records and the Hugging Face chat "messages" format.

    Example: corpus convert detail_23k.json detail_23k.messages.jsonl --to messages
    """
    from corpus.convert import FORMATS, convert_file

    if to not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, got {to!r}")
    res = convert_file(input, output, to, rejects=rejects, stats=stats)
    out.print(f"{res['records_out']:,} records written to {output} ({to}); {res['rejected']:,} bad input items"
              + (f" in {res['rejects']}" if res["rejected"] else ""))
    if res["rejected"]:
        raise typer.Exit(1)
