"""`corpus train`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import ImagesRoot

Recipe = Annotated[Path, typer.Argument(help="A fine-tuning recipe (flat YAML, see recipes/)", show_default=False)]
Dataset = Annotated[Optional[str], typer.Option("--dataset", help="Folder written by `corpus build`, or a Hub dataset id")]
Model = Annotated[Optional[str], typer.Option("--model", help="Model folder or Hub id (AutoModelForImageTextToText)")]
OutDir = Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for the adapter, processor and config")]
Sets = Annotated[Optional[list[str]], typer.Option("--set", help="Override a recipe value: --set lr=1e-4 (repeatable)")]


def log(message: str) -> None:
    err.print(message, markup=False, highlight=False)  # regexes like linear_[12] are not markup


@command(rich_help_panel="Train", writes=("output",))
def train(
    recipe: Recipe,
    dataset: Dataset = None,
    model: Model = None,
    images_root: ImagesRoot = None,
    output: OutDir = None,
    set_: Sets = None,
) -> None:
    """Fine-tune a vision-language model with LoRA on the published dataset.

    Reads the split with `datasets.load_dataset`, trains only the assistant tokens, and writes
    the adapter, processor, resolved recipe (train_config.yaml) and train_summary.json to the
    output folder. Options and --set override the recipe; a recipe with `stages:` runs them in
    order, merging between stages.

    Example: corpus train recipes/llava-1.5-7b-ptbr-lora.yaml --dataset out/llava-ptbr --model llava-hf/llava-1.5-7b-hf -o runs/llava-ptbr --set max_steps=1000
    """
    from corpus.train.config import load_recipe, parse_overrides
    from corpus.train.lora import train_recipe

    flags = {"dataset": dataset, "model": model, "images_root": str(images_root) if images_root else None,
             "output": str(output) if output else None}
    overrides = {**{k: v for k, v in flags.items() if v is not None}, **parse_overrides(set_)}
    results = train_recipe(load_recipe(recipe, overrides), log=log)
    table = Table(title=f"{recipe}: {len(results)} stage(s)")
    for col in ("stage", "steps", "loss first", "loss last", "skipped", "seconds", "adapter"):
        table.add_column(col, justify="left" if col in ("stage", "adapter") else "right")
    for r in results:
        table.add_row(r.output.name, str(r.steps), f"{r.losses[0]:.4f}", f"{r.losses[-1]:.4f}",
                      str(sum(r.skipped.values())), f"{r.seconds:.1f}", str(r.output))
    out.print(table)
    for r in results:
        if r.merged:
            out.print(f"merged model: {r.merged} (max |logit diff| {r.extra['merge_max_abs_diff']:.3g})")
