"""`corpus evaluate`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import ImagesRoot

Models = Annotated[list[str], typer.Option(
    "--model", help="Model or adapter folder (or Hub id); repeat to compare, e.g. --model base=DIR --model ft=DIR",
    show_default=False)]
Dataset = Annotated[str, typer.Option("--dataset", help="Folder written by `corpus build`, or a Hub dataset id",
                                      show_default=False)]
Split = Annotated[str, typer.Option("--split", help="Dataset split to evaluate on")]
OutDir = Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder for predictions-*.jsonl and metrics.json")]
MaxNew = Annotated[int, typer.Option("--max-new-tokens", min=1, help="Longest generated answer, in tokens")]
Limit = Annotated[Optional[int], typer.Option("--limit", min=1, help="Evaluate only the first N records")]
Template = Annotated[Optional[str], typer.Option(
    "--chat-template", help="Jinja template (string or file) for models whose processor has none, e.g. a base "
    "PaliGemma; adapters trained with a recipe template already carry it", show_default=False)]


@command(rich_help_panel="Train", writes=("output",))
def evaluate(
    model: Models,
    dataset: Dataset,
    split: Split = "test",
    images_root: ImagesRoot = None,
    output: OutDir = None,
    max_new_tokens: MaxNew = 64,
    limit: Limit = None,
    chat_template: Template = None,
) -> None:
    """Generate answers on a dataset split and score them; compare models side by side.

    Metrics (0-100): exact match and token F1 after Portuguese normalisation (case, accents,
    punctuation, articles), ROUGE-1/2/L with an accent-safe tokenizer, BLEU and chrF (sacrebleu).

    Example: corpus evaluate --model base=llava-hf/llava-1.5-7b-hf --model ft=runs/llava-ptbr --dataset out/llava-ptbr --split test -o runs/eval
    """
    from corpus.train.evaluate import evaluate as run
    from corpus.train.metrics import METRICS

    results = run(model, dataset, split=split, images_root=str(images_root) if images_root else None,
                  output=output, max_new_tokens=max_new_tokens, limit=limit,
                  chat_template=chat_template, log=lambda m: err.print(m, markup=False, highlight=False))
    table = Table(title=f"{dataset} ({split}): {results[0].metrics['n']:,} answers")
    table.add_column("metric")
    for r in results:
        table.add_column(r.label, justify="right")
    if len(results) == 2:
        table.add_column("delta", justify="right")
    for name in METRICS:
        cells = [f"{r.metrics[name]:.2f}" for r in results]
        if len(results) == 2:
            cells.append(f"{results[1].metrics[name] - results[0].metrics[name]:+.2f}")
        table.add_row(name, *cells)
    out.print(table)
    if output:
        err.print(f"predictions and metrics.json written to {output}", markup=False)
