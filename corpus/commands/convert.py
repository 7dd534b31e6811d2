"""`corpus convert`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corpus.cli import command
from corpus.console import out
from corpus.errors import UsageError
from corpus.options import Input


@command(rich_help_panel="Data", writes=("output",))
def convert(
    input: Input,
    output: Annotated[Path, typer.Argument(help="Output file (.json, .jsonl or .parquet)", show_default=False)],
    to: Annotated[str, typer.Option("--to", help="Target format: llava or messages")] = "messages",
) -> None:
    """Convert between LLaVA records and the Hugging Face chat "messages" format.

    Example: corpus convert detail_23k.json detail_23k.messages.jsonl --to messages
    """
    from corpus.convert import FORMATS, convert_file

    if to not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, got {to!r}")
    counts = convert_file(input, output, to)
    out.print(f"{counts['written']:,} records written to {output} ({to}); {counts['bad_items']:,} bad input items")
    if counts["bad_items"]:
        raise typer.Exit(1)
