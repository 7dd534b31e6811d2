"""`corpus build` and its inverse, `corpus export`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from corpus.cli import command
from corpus.console import err, out
from corpus.options import ImagesRoot, Rejects, Stats

Sources = Annotated[list[str], typer.Argument(
    help="A folder of {split}.jsonl files (from `corpus split`), or split files (train.jsonl, name=path.json)",
    show_default=False)]
RepoDir = Annotated[Path, typer.Option("--output", "-o", help="The dataset folder to write (README.md + data/)",
                                       show_default=False)]
EmbedImages = Annotated[bool, typer.Option("--embed-images", help="Store image bytes (datasets.Image) instead of paths")]
ShardSize = Annotated[str, typer.Option("--max-shard-size", help="Start a new Parquet shard past this size")]
CardStats = Annotated[Optional[list[Path]], typer.Option(
    "--card-stats", help="Stats JSON of earlier stages to describe in the card (their inputs' stats are found too)")]
License = Annotated[Optional[str], typer.Option("--license", help="Licence id for the card \\[default: cc-by-nc-4.0]")]
PrettyName = Annotated[Optional[str], typer.Option("--pretty-name", help="Dataset name shown on the Hub")]
RepoId = Annotated[Optional[str], typer.Option("--repo-id", help="org/name, for the loading example in the card")]
NoCard = Annotated[bool, typer.Option("--no-card", help="Write the shards only, not README.md")]


@command(rich_help_panel="Publish", writes=("output", "rejects", "stats"))
def build(
    sources: Sources,
    output: RepoDir,
    images_root: ImagesRoot = None,
    embed_images: EmbedImages = False,
    max_shard_size: ShardSize = "500MB",
    card_stats: CardStats = None,
    license: License = None,
    pretty_name: PrettyName = None,
    repo_id: RepoId = None,
    no_card: NoCard = False,
    rejects: Rejects = None,
    stats: Stats = None,
) -> None:
    """Write a Hub-ready dataset folder: data/{split}-NNNNN-of-NNNNN.parquet shards and README.md.

    Columns: id (string), image (string path, or datasets.Image with --embed-images),
    conversations (list of {from, value}); extra and meta (JSON strings) only when
    records carry other keys. `datasets.load_dataset(DIR)` reads it; `corpus export`
    turns it back into the same LLaVA JSON.

    Example: corpus build splits/ -o llava-ptbr/ --card-stats filtered.jsonl.stats.json
    """
    from corpus.build import build_repo

    res = build_repo(sources, output, images_root=images_root, embed_images=embed_images,
                     max_shard_size=max_shard_size, rejects=rejects, stats=stats)
    table = Table(title=f"{output}: columns {', '.join(res['columns'])}")
    for col in ("split", "records", "shards", "MB"):
        table.add_column(col, justify="left" if col == "split" else "right")
    for name, s in res["splits"].items():
        table.add_row(name, f"{s['records']:,}", str(len(s["shards"])), f"{s['bytes'] / 1e6:,.1f}")
    out.print(table)
    out.print(f"records_out {res['records_out']:,} + rejected {res['rejected']:,} = records_in {res['records_in']:,}")
    err.print(f"stats written to {res['stats_file']}")
    if not no_card:
        from corpus.card import check_card, write_card

        path = write_card(output, [res["stats_file"], *(card_stats or [])], license=license,
                          pretty_name=pretty_name, repo_id=repo_id)
        problems = check_card(path)
        out.print(f"card written to {path}" + (f" with {len(problems)} problem(s)" if problems else ""))
        for p in problems:
            err.print(f"card: {p}")
    if res["rejected"]:
        raise typer.Exit(1)


@command(rich_help_panel="Publish", writes=("output",))
def export(
    repo_dir: Annotated[Path, typer.Argument(help="A dataset folder written by `corpus build`", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="LLaVA file to write (.json or .jsonl)",
                                         show_default=False)],
    split: Annotated[Optional[list[str]], typer.Option("--split", help="Only these splits (repeatable)")] = None,
) -> None:
    """Regenerate the LLaVA JSON from a built dataset folder, exactly as it went in.

    Example: corpus export llava-ptbr/ -o test.json --split test
    """
    from corpus.build import export_llava

    counts = export_llava(repo_dir, output, split)
    out.print(f"{sum(counts.values()):,} records written to {output} ("
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")")
