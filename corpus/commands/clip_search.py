"""`corpus clip-search`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import out
from corpus.errors import UsageError


@command("clip-search", rich_help_panel="Query")
def clip_search(
    index: Annotated[Path, typer.Argument(
        help="A CLIP index folder written by `corpus images --clip-model`", show_default=False)],
    text: Annotated[str, typer.Argument(help="What to look for", show_default=False)],
    top: Annotated[int, typer.Option("--top", "-k", help="How many images to show")] = 10,
    clip_model: Annotated[Optional[Path], typer.Option(
        "--clip-model", help="Model folder, if it moved since indexing")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON")] = False,
) -> None:
    """Find the cached images closest to a text (text → image retrieval over the CLIP index).

    Query in the language the model was trained on: English for OpenAI CLIP.

    Example: corpus clip-search ~/.cache/corpus/clip/clip-vit-large-patch14-3f2a9c01d4e5 "a dog on a beach" --top 5
    """
    from corpus.clip_score import clip_search as search

    if top < 1:
        raise UsageError("--top must be at least 1")
    res = search(index, text, top=top, model_dir=clip_model)
    if as_json:
        out.print_json(json.dumps(res, ensure_ascii=False))
        return
    table = Table(title=f"{text!r}: top {len(res['hits'])} of {res['indexed']:,} images ({res['images_root']})")
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("image")
    for i, hit in enumerate(res["hits"], 1):
        table.add_row(str(i), f"{hit['score']:.4f}", "\n".join(hit["images"]) or hit["hash"])
    out.print(table)
