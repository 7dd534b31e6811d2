"""`corpus stats`."""
from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import out
from corpus.options import Input


@command(rich_help_panel="Data")
def stats(
    input: Input,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Count records, turns by role, characters, images, placeholders and text-only records.

    Example: corpus stats llava_instruct_150k.json --json
    """
    from corpus.stats import corpus_stats

    s = corpus_stats(input)
    if as_json:
        typer.echo(json.dumps(s, ensure_ascii=False, indent=2))
        return
    t = Table(title=str(input), show_header=False)
    for k in ("records", "bad_items", "turns", "chars", "records_with_image", "text_only_records",
              "unique_images", "placeholders"):
        t.add_row(k, f"{s[k]:,}")
    for role, n in s["turns_by_role"].items():
        t.add_row(f"turns ({role})", f"{n:,}")
    for role, n in s["chars_by_role"].items():
        t.add_row(f"chars ({role})", f"{n:,}")
    out.print(t)
