"""`corpus run`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.options import Rejects, Stats

RecipeArg = Annotated[Path, typer.Argument(help="A recipe: YAML with a 'process:' list of stages", show_default=False)]
InputOpt = Annotated[Optional[Path], typer.Option("--input", "-i", help="Override the recipe's read.path")]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Override the recipe's write.path")]
SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", help="Override a parameter: stage.param=value (value read as YAML); repeatable")]


@command(rich_help_panel="Filter", writes=("output", "rejects", "stats"))
def run(
    recipe: RecipeArg,
    input: InputOpt = None,
    output: OutputOpt = None,
    rejects: Rejects = None,
    stats: Stats = None,
    set: SetOpt = None,
) -> None:
    """Run a curation recipe: read -> translate -> filter stages -> validate -> write.

    The recipe's stages and thresholds are in its YAML; the resolved recipe is
    saved in the stats JSON (default OUTPUT.stats.json). Every record read is
    written or rejected with a reason, and kept + rejected == read is checked.

    Example: corpus run recipes/ptbr-instruct.yaml --input llava_instruct_150k.json -o llava_instruct_ptbr.json --set translate.workers=2
    """
    from corpus.commands.filter import print_result
    from corpus.recipe import run_recipe

    res = run_recipe(recipe, input=input, output=output, rejects=rejects, stats=stats, overrides=set or [])
    print_result(res, stats)
