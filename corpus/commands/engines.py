"""`corpus engines`."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import out


@command(rich_help_panel="Translate")
def engines(
    names: Annotated[Optional[list[str]], typer.Argument(help="Only these engines (default: all)", show_default=False)] = None,
    source: Annotated[str, typer.Option("--source", help="Source language")] = "en",
    target: Annotated[str, typer.Option("--target", help="Target language")] = "pt-BR",
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="LibreTranslate server to check")] = None,
    probe: Annotated[bool, typer.Option("--probe", help="Build each available engine and translate one sentence (uses the network for online engines)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (one object per engine) instead of a table")] = False,
) -> None:
    """List translation engines (built-in and plugins), whether each can run here, and why not.

    Keys come from the environment (DEEPL_API_KEY, MICROSOFT_API_KEY, LIBRE_API_KEY) and are never shown.

    Example: corpus engines libre --probe --base-url http://localhost:5000
    """
    from corpus.translate.availability import check_all

    options = {"base_url": base_url} if base_url else {}
    rows = check_all(source, target, probe=probe, names=names, **options)
    if as_json:
        typer.echo(json.dumps([a.to_dict() for a in rows], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Translation engines ({source} → {target})")
    for col in ("engine", "kind", "origin", "available", "why / why not"):
        table.add_column(col, overflow="fold")
    for a in rows:
        table.add_row(a.name, a.kind, a.origin, "[green]yes[/]" if a.available else "[red]no[/]", a.why)
    out.print(table)
