"""`corpus card`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from corpus.cli import command
from corpus.console import err, out


@command(rich_help_panel="Publish")
def card(
    repo_dir: Annotated[Path, typer.Argument(help="A dataset folder written by `corpus build`", show_default=False)],
    stats: Annotated[Optional[list[Path]], typer.Option(
        "--stats", help="Stats JSON files of the pipeline (repeatable); their inputs' stats are found too")] = None,
    license: Annotated[Optional[str], typer.Option("--license", help="Licence id \\[default: cc-by-nc-4.0]")] = None,
    pretty_name: Annotated[Optional[str], typer.Option("--pretty-name", help="Dataset name shown on the Hub")] = None,
    source_dataset: Annotated[Optional[list[str]], typer.Option(
        "--source-dataset", help="Hub id of a source dataset (repeatable) \\[default: inferred from file names]")] = None,
    repo_id: Annotated[Optional[str], typer.Option("--repo-id", help="org/name, for the loading example")] = None,
    no_follow: Annotated[bool, typer.Option("--no-follow", help="Describe only the stats files given")] = False,
    check: Annotated[bool, typer.Option("--check", help="Only check the existing README.md, write nothing")] = False,
) -> None:
    """Write (or check) the dataset card README.md of a built dataset folder.

    The YAML (language pt / pt-BR, licence, tasks, size, configs) comes from
    huggingface_hub's DatasetCardData; the body says how the data was made, from
    the stats files. Fields you edited by hand in the YAML are kept on re-runs.
    Exit 1 when the card has problems.

    Example: corpus card llava-ptbr/ --stats llava-ptbr.stats.json --license cc-by-nc-4.0
    """
    from corpus.card import check_card, write_card

    path = repo_dir / "README.md"
    if not check:
        path = write_card(repo_dir, stats or [], license=license, pretty_name=pretty_name,
                          source_datasets=source_dataset, repo_id=repo_id, follow=not no_follow)
    problems = check_card(path, repo_dir)
    for p in problems:
        err.print(f"{path}: {p}")
    out.print(f"{path}: " + (f"{len(problems)} problem(s)" if problems else "valid dataset card"))
    if problems:
        raise typer.Exit(1)
